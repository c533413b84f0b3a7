"""Vouchers balance, enforced by PostgreSQL at commit (a deferred constraint trigger), not only by
the Python check in ledger.services: a voucher whose lines' debits and credits differ cannot be
committed, whatever wrote it. SQLite has no deferred triggers; there the services' check stands."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION ledger_voucher_balanced() RETURNS trigger AS $$
DECLARE
    checked_id bigint;
    difference numeric;
BEGIN
    IF TG_OP = 'DELETE' THEN checked_id := OLD.voucher_id; ELSE checked_id := NEW.voucher_id; END IF;
    SELECT COALESCE(SUM(debit), 0) - COALESCE(SUM(credit), 0) INTO difference
      FROM ledger_voucherline WHERE voucher_id = checked_id;
    IF difference <> 0 THEN
        RAISE EXCEPTION 'Voucher % does not balance: debit minus credit is %', checked_id, difference
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_voucherline_balanced
    AFTER INSERT OR UPDATE OR DELETE ON ledger_voucherline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_voucher_balanced();
"""

DROP = """
DROP TRIGGER IF EXISTS ledger_voucherline_balanced ON ledger_voucherline;
DROP FUNCTION IF EXISTS ledger_voucher_balanced();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
