"""No database foreign keys on settlements' and cost adjustments' run and transactions (issue #19,
point 2; docs/benchmarks.md, close). A close writes 650,000 settlements and 400,000 adjustments per
million transactions, and PostgreSQL checked their 2.7 million keys row by row at each bundle's
commit (a third of a bundle's writing time). The close's writer checks them set-based instead:
every transaction a bundle settles or adjusts is updated, and so locked, by the same statement that
counts them (inventory.services.valuation.transactions_settle). Deleting a run or a transaction
that a settlement or adjustment still refers to is refused by a trigger on the referred table (the
function is ledger migration 0008's), as PROTECT refuses it in Django."""

import django.db.models.deletion
from django.db import migrations, models

# Referred table: its referring (table, column) pairs.
GUARDS = {
    "inventory_inventorytransaction": [("closing_settlement", "issue_id"), ("closing_settlement", "receipt_id"),
                                       ("closing_costadjustment", "transaction_id")],
    "closing_closingrun": [("closing_settlement", "run_id"), ("closing_costadjustment", "run_id")],
}


def guards_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, referring in GUARDS.items():
        arguments = ", ".join(f"'{part}'" for pair in referring for part in pair)
        schema_editor.execute(f"CREATE TRIGGER {table}_kept_by_closing BEFORE DELETE ON {table} FOR EACH ROW "
                              f"EXECUTE FUNCTION costbook_refuse_delete_referenced({arguments})", params=None)


def guards_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in GUARDS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_kept_by_closing ON {table}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('closing', '0009_standard_cost_revaluation'),
        ('inventory', '0011_transaction_fewer_indexes'),
        ('ledger', '0008_voucherline_references_checked_by_writer'),
    ]

    operations = [
        migrations.AlterField(
            model_name='costadjustment',
            name='run',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='adjustments', to='closing.closingrun'),
        ),
        migrations.AlterField(
            model_name='costadjustment',
            name='transaction',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='cost_adjustments', to='inventory.inventorytransaction'),
        ),
        migrations.AlterField(
            model_name='settlement',
            name='issue',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='settlements_as_issue', to='inventory.inventorytransaction'),
        ),
        migrations.AlterField(
            model_name='settlement',
            name='receipt',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='settlements_as_receipt', to='inventory.inventorytransaction'),
        ),
        migrations.AlterField(
            model_name='settlement',
            name='run',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='settlements', to='closing.closingrun'),
        ),
        migrations.RunPython(guards_create, guards_drop),
    ]
