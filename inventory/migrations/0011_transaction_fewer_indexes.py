"""Fewer indexes on inventory transactions: every row an import writes costs one entry in each
(issue #15, point 4; docs/benchmarks.md, import). Twelve become eight, three of them partial:

* `item_id` and `cost_dimension_id` had an index of their own besides the composite indexes that
  start with them (`txn_item_phys_date`, `txn_dimension_fin_date`), which serve the same look-ups;
* `site_id` and `warehouse_id` point into tables of a handful of rows: a read by site alone is a
  third of the table, which PostgreSQL scans rather than read through an index;
* `marked_to_id`, `transfer_issue_id` and `journal_line_id` are empty on most rows: they are now
  indexed only where set (`WHERE … IS NOT NULL`), which still serves `= id` and `IN (…)`.

The indexes are dropped by hand (Django's AlterField would drop and re-add each foreign key,
re-checking every row of the table).

The item, site, warehouse, cost dimension and the two accounts lose their database foreign keys,
which PostgreSQL checked one row and key at a time: the writers check and lock them set-based
(common.bulk.references_check), and the tables referred to refuse to delete a row a transaction
still refers to (the delete guards of ledger migration 0008)."""

import django.db.models.deletion
from django.db import migrations, models

DROPPED = ["inventory_inventorytransaction_cost_dimension_id_a1608b0f", "inventory_inventorytransaction_item_id_35d8d850",
           "inventory_inventorytransaction_site_id_1d42649e", "inventory_inventorytransaction_warehouse_id_49a8f4fc",
           "inventory_inventorytransaction_marked_to_id_d52a98c2",
           "inventory_inventorytransaction_transfer_issue_id_ad8a43a4",
           "inventory_inventorytransaction_journal_line_id_826b7893"]


def _drop(apps, schema_editor):
    for name in DROPPED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def _restore(apps, schema_editor):
    for name in DROPPED:
        column = name.removeprefix("inventory_inventorytransaction_").rsplit("_", 1)[0]
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON inventory_inventorytransaction ("{column}")')


# Referred table: its referring (table, column) pairs (see ledger migration 0008).
GUARDS = {
    "inventory_item": [("inventory_inventorytransaction", "item_id")],
    "inventory_site": [("inventory_inventorytransaction", "site_id")],
    "inventory_warehouse": [("inventory_inventorytransaction", "warehouse_id")],
    "inventory_costdimension": [("inventory_inventorytransaction", "cost_dimension_id")],
    "ledger_mainaccount": [("inventory_inventorytransaction", "inventory_account_id"),
                           ("inventory_inventorytransaction", "offset_account_id")],
}


def _guards_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, referring in GUARDS.items():  # the function is ledger migration 0008's
        arguments = ", ".join(f"'{part}'" for pair in referring for part in pair)
        schema_editor.execute(f"CREATE TRIGGER {table}_kept_by_transactions BEFORE DELETE ON {table} FOR EACH ROW "
                              f"EXECUTE FUNCTION costbook_refuse_delete_referenced({arguments})", params=None)


def _guards_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in GUARDS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_kept_by_transactions ON {table}", params=None)


def _unindexed(to, related_name, **extra):
    return models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name=related_name,
                             to=to, **extra)


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0010_item_number_validator'),
        ('ledger', '0008_voucherline_references_checked_by_writer'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name='inventorytransaction', name='cost_dimension',
                                      field=_unindexed('inventory.costdimension', 'transactions')),
                migrations.AlterField(model_name='inventorytransaction', name='item',
                                      field=_unindexed('inventory.item', 'transactions')),
                migrations.AlterField(model_name='inventorytransaction', name='site',
                                      field=_unindexed('inventory.site', '+')),
                migrations.AlterField(model_name='inventorytransaction', name='warehouse',
                                      field=_unindexed('inventory.warehouse', '+')),
                migrations.AlterField(model_name='inventorytransaction', name='marked_to',
                                      field=_unindexed('inventory.inventorytransaction', 'marked_issues', blank=True,
                                                       null=True)),
                migrations.AlterField(model_name='inventorytransaction', name='transfer_issue',
                                      field=_unindexed('inventory.inventorytransaction', 'transfer_receipts', blank=True,
                                                       null=True, help_text='For the receiving side of a transfer: '
                                                       'the issue whose cost it carries.')),
                migrations.AlterField(model_name='inventorytransaction', name='journal_line',
                                      field=_unindexed('inventory.journalline', 'transactions', blank=True, null=True)),
            ],
            database_operations=[migrations.RunPython(_drop, _restore)],
        ),
        migrations.AddIndex(
            model_name='inventorytransaction',
            index=models.Index(condition=models.Q(('marked_to__isnull', False)), fields=['marked_to'], name='txn_marked_to'),
        ),
        migrations.AddIndex(
            model_name='inventorytransaction',
            index=models.Index(condition=models.Q(('transfer_issue__isnull', False)), fields=['transfer_issue'],
                               name='txn_transfer_issue'),
        ),
        migrations.AddIndex(
            model_name='inventorytransaction',
            index=models.Index(condition=models.Q(('journal_line__isnull', False)), fields=['journal_line'],
                               name='txn_journal_line'),
        ),
        migrations.AlterField(model_name='inventorytransaction', name='item',
                              field=_unindexed('inventory.item', 'transactions', db_constraint=False)),
        migrations.AlterField(model_name='inventorytransaction', name='site',
                              field=_unindexed('inventory.site', '+', db_constraint=False)),
        migrations.AlterField(model_name='inventorytransaction', name='warehouse',
                              field=_unindexed('inventory.warehouse', '+', db_constraint=False)),
        migrations.AlterField(model_name='inventorytransaction', name='cost_dimension',
                              field=_unindexed('inventory.costdimension', 'transactions', db_constraint=False)),
        migrations.AlterField(model_name='inventorytransaction', name='inventory_account',
                              field=_unindexed('ledger.mainaccount', '+', blank=True, null=True, db_constraint=False)),
        migrations.AlterField(model_name='inventorytransaction', name='offset_account',
                              field=_unindexed('ledger.mainaccount', '+', blank=True, null=True, db_constraint=False)),
        migrations.RunPython(_guards_create, _guards_drop),
    ]
