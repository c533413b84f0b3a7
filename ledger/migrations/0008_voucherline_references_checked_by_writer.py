"""No database foreign keys on voucher lines (issue #15, point 4; docs/benchmarks.md, import).

PostgreSQL checked a line's five references (voucher, account, item, item group, transaction) one
row and key at a time, each an index probe and a row lock: a fifth of an import's time. Now:

* `vouchers_write`, which writes every voucher line, checks each reference column for all the
  lines it writes in one query (common.bulk.references_check), locking the accounts, items and item
  groups referred to (FOR KEY SHARE, as a foreign key does) until it commits;
* the tables referred to refuse to delete a row that a line still refers to: a BEFORE DELETE
  trigger (`costbook_refuse_delete_referenced`, shared with inventory migration 0011) looks for a
  referring row after the row lock is granted, so a delete that waited for a writer sees its lines.

Django's PROTECT still refuses such deletes first, with its own message. The trigger function
takes pairs of arguments (referring table, column)."""

import django.db.models.deletion
from django.db import migrations, models

GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION costbook_refuse_delete_referenced() RETURNS trigger AS $$
DECLARE
    i integer := 0;
    referred boolean;
BEGIN
    WHILE i < TG_NARGS LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I = $1)', TG_ARGV[i], TG_ARGV[i + 1])
            INTO referred USING OLD.id;
        IF referred THEN
            RAISE EXCEPTION 'Row % of % is still referred to by %.%', OLD.id, TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1]
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        i := i + 2;
    END LOOP;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
"""

# Referred table: its referring (table, column) pairs.
GUARDS = {
    "ledger_voucher": [("ledger_voucherline", "voucher_id")],
    "ledger_mainaccount": [("ledger_voucherline", "account_id")],
    "inventory_item": [("ledger_voucherline", "item_id")],
    "inventory_itemgroup": [("ledger_voucherline", "item_group_id")],
    "inventory_inventorytransaction": [("ledger_voucherline", "inventory_transaction_id")],
}


def guards_create(schema_editor, guards: dict, name: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(GUARD_FUNCTION, params=None)
    for table, referring in guards.items():
        arguments = ", ".join(f"'{part}'" for pair in referring for part in pair)
        schema_editor.execute(f"CREATE TRIGGER {table}_{name} BEFORE DELETE ON {table} FOR EACH ROW "
                              f"EXECUTE FUNCTION costbook_refuse_delete_referenced({arguments})", params=None)


def guards_drop(schema_editor, guards: dict, name: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in guards:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}", params=None)


def create(apps, schema_editor):
    guards_create(schema_editor, GUARDS, "kept_by_voucherlines")


def drop(apps, schema_editor):
    guards_drop(schema_editor, GUARDS, "kept_by_voucherlines")


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0010_item_number_validator'),
        ('ledger', '0007_audit_log_page'),
    ]

    operations = [
        migrations.AlterField(
            model_name='voucherline',
            name='voucher',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='ledger.voucher'),
        ),
        migrations.AlterField(
            model_name='voucherline',
            name='account',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='ledger.mainaccount'),
        ),
        migrations.AlterField(
            model_name='voucherline',
            name='inventory_transaction',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='voucher_lines', to='inventory.inventorytransaction'),
        ),
        migrations.AlterField(
            model_name='voucherline',
            name='item',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inventory.item'),
        ),
        migrations.AlterField(
            model_name='voucherline',
            name='item_group',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='inventory.itemgroup'),
        ),
        migrations.RunPython(create, drop),
    ]
