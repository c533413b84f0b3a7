"""What inventory keeps in PostgreSQL beyond Django's tables: the delete guards standing in for
the foreign keys the posting writer checks set-based, and room on every page of the transaction
table (fillfactor 50) so a close's updates of settled amounts stay HOT (docs/benchmarks.md), and
refs in byte order (collation "C") so the unique index on ref serves prefix searches."""

from django.conf import settings
from django.db import migrations

FORWARD = r"""
CREATE TRIGGER inventory_costdimension_kept_by_transactions AFTER DELETE ON inventory_costdimension REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('inventory_inventorytransaction', 'cost_dimension_id');

CREATE TRIGGER inventory_inventorytransaction_kept_by_closing AFTER DELETE ON inventory_inventorytransaction REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('closing_settlement', 'issue_id', 'closing_settlement', 'receipt_id', 'closing_costadjustment', 'transaction_id');

CREATE TRIGGER inventory_inventorytransaction_kept_by_voucherlines AFTER DELETE ON inventory_inventorytransaction REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('ledger_voucherline', 'inventory_transaction_id');

CREATE TRIGGER inventory_inventorytransaction_kept_by_transactions AFTER DELETE ON inventory_inventorytransaction REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('inventory_inventorytransaction', 'marked_to_id', 'inventory_inventorytransaction', 'transfer_issue_id');

CREATE TRIGGER inventory_journalline_kept_by_transactions AFTER DELETE ON inventory_journalline REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('inventory_inventorytransaction', 'journal_line_id');

CREATE TRIGGER inventory_item_kept_by_transactions AFTER DELETE ON inventory_item REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('inventory_inventorytransaction', 'item_id');

CREATE TRIGGER inventory_item_kept_by_voucherlines AFTER DELETE ON inventory_item REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('ledger_voucherline', 'item_id');

CREATE TRIGGER inventory_itemgroup_kept_by_voucherlines AFTER DELETE ON inventory_itemgroup REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('ledger_voucherline', 'item_group_id');

CREATE TRIGGER inventory_site_kept_by_transactions AFTER DELETE ON inventory_site REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('inventory_inventorytransaction', 'site_id');

CREATE TRIGGER inventory_warehouse_kept_by_transactions AFTER DELETE ON inventory_warehouse REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('inventory_inventorytransaction', 'warehouse_id');

ALTER TABLE inventory_inventorytransaction SET (fillfactor=50);

-- Refs compared byte by byte, so the unique index on ref also serves a prefix search (the API's
-- ref_prefix: LIKE 'PO-2026%'), which under a linguistic collation reads the whole table.
ALTER TABLE inventory_inventorytransaction ALTER COLUMN ref TYPE varchar(60) COLLATE "C";
"""

BACKWARD = r"""
ALTER TABLE inventory_inventorytransaction ALTER COLUMN ref TYPE varchar(60) COLLATE "default";
ALTER TABLE inventory_inventorytransaction RESET (fillfactor);
DROP TRIGGER IF EXISTS inventory_warehouse_kept_by_transactions ON inventory_warehouse;
DROP TRIGGER IF EXISTS inventory_site_kept_by_transactions ON inventory_site;
DROP TRIGGER IF EXISTS inventory_itemgroup_kept_by_voucherlines ON inventory_itemgroup;
DROP TRIGGER IF EXISTS inventory_item_kept_by_voucherlines ON inventory_item;
DROP TRIGGER IF EXISTS inventory_item_kept_by_transactions ON inventory_item;
DROP TRIGGER IF EXISTS inventory_journalline_kept_by_transactions ON inventory_journalline;
DROP TRIGGER IF EXISTS inventory_inventorytransaction_kept_by_transactions ON inventory_inventorytransaction;
DROP TRIGGER IF EXISTS inventory_inventorytransaction_kept_by_voucherlines ON inventory_inventorytransaction;
DROP TRIGGER IF EXISTS inventory_inventorytransaction_kept_by_closing ON inventory_inventorytransaction;
DROP TRIGGER IF EXISTS inventory_costdimension_kept_by_transactions ON inventory_costdimension;
"""


# The user who posted a transaction or wrote a voucher, one guard for both (the user model is
# swappable, so its table is named here; a transaction's user has no index: users are deleted
# rarely, and never one who posted).
USER_GUARD = ("CREATE TRIGGER inventory_user_kept_by_postings AFTER DELETE ON {table} REFERENCING OLD TABLE AS gone "
              "FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('inventory_inventorytransaction', "
              "'created_by_id', 'ledger_voucher', 'created_by_id')")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)
        table = apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table
        schema_editor.execute(USER_GUARD.format(table=schema_editor.quote_name(table)), params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table
        schema_editor.execute(f"DROP TRIGGER IF EXISTS inventory_user_kept_by_postings ON {schema_editor.quote_name(table)}",
                              params=None)
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0002_initial"),
        ("common", "0002_database"),
        ("ledger", "0002_database"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    operations = [migrations.RunPython(forward, backward)]
