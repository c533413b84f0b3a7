"""Each voucher line carries its voucher's date, and an account's lines are indexed in statement
order with their amounts (account, date, voucher, id, covering debit, credit and item group), replacing the
plain index on the account: statements, trial balances and "as of" reconciliations read one index
range instead of joining a million vouchers."""

from django.db import migrations, models

# The balance trigger (0002) fires on every update of a line; it need only fire when an amount or
# the voucher changes. Narrowed first, so that filling in the dates below leaves no trigger event
# pending (PostgreSQL refuses to alter a table that has some) and does not re-check every voucher.
NARROW_TRIGGER = """
DROP TRIGGER IF EXISTS ledger_voucherline_balanced ON ledger_voucherline;
CREATE CONSTRAINT TRIGGER ledger_voucherline_balanced
    AFTER INSERT OR UPDATE OF voucher_id, debit, credit OR DELETE ON ledger_voucherline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_voucher_balanced();
"""
WIDEN_TRIGGER = """
DROP TRIGGER IF EXISTS ledger_voucherline_balanced ON ledger_voucherline;
CREATE CONSTRAINT TRIGGER ledger_voucherline_balanced
    AFTER INSERT OR UPDATE OR DELETE ON ledger_voucherline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_voucher_balanced();
"""


def narrow_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NARROW_TRIGGER, params=None)


def widen_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WIDEN_TRIGGER, params=None)


FILL_DATES = """
UPDATE ledger_voucherline
   SET date = (SELECT v.date FROM ledger_voucher v WHERE v.id = ledger_voucherline.voucher_id)
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_balanced_voucher_trigger")]

    operations = [
        migrations.RunPython(narrow_trigger, widen_trigger),
        migrations.AddField(model_name="voucherline", name="date", field=models.DateField(null=True)),
        migrations.RunSQL(FILL_DATES, migrations.RunSQL.noop),
        migrations.AlterField(model_name="voucherline", name="date", field=models.DateField()),
        migrations.AlterField(
            model_name="voucherline", name="account",
            field=models.ForeignKey(db_index=False, on_delete=models.deletion.PROTECT, related_name="lines",
                                    to="ledger.mainaccount"),
        ),
        migrations.AddIndex(
            model_name="voucherline",
            index=models.Index(fields=["account", "date", "voucher", "id"], include=["debit", "credit", "item_group"],
                               name="voucherline_account_date"),
        ),
    ]
