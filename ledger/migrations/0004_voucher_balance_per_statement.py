"""Vouchers still balance at commit, but inserted lines are checked per statement, not per row.

The deferred row trigger of 0002 ran one `SUM` per inserted line at commit (about 50 µs a line:
23 s of a 200,000-row import's commit). Lines are inserted in bulk (COPY, INSERT … SELECT), so the
check of inserts is now set-based:

1. an AFTER INSERT … FOR EACH STATEMENT trigger with a transition table notes the statement's
   voucher ids in `ledger_voucher_unchecked` and, once per transaction, inserts the transaction's id
   into `ledger_voucher_balance_check` (`ON CONFLICT DO NOTHING`: later statements queue nothing);
2. a deferred constraint trigger on that one row runs at commit (or at `SET CONSTRAINTS … IMMEDIATE`)
   and checks every noted voucher in one grouped query, then empties both tables.

Both tables only ever hold rows of transactions in progress (the check deletes them before its
transaction commits), so no transaction sees another's. A savepoint rolled back takes its lines,
its notes and its queued check with it. Updates and deletes of lines are rare (a correction by hand)
and keep the row trigger of 0002/0003 under its old name, `ledger_voucherline_balanced`, which
test helpers switch off around such an edit. SQLite has no deferred triggers; there the services'
Python check stands."""

from django.db import migrations

CREATE = """
CREATE UNLOGGED TABLE ledger_voucher_unchecked (voucher_id bigint NOT NULL);
CREATE UNLOGGED TABLE ledger_voucher_balance_check (txid bigint PRIMARY KEY);

CREATE OR REPLACE FUNCTION ledger_voucherline_note_inserted() RETURNS trigger AS $$
BEGIN
    INSERT INTO ledger_voucher_unchecked (voucher_id) SELECT DISTINCT voucher_id FROM inserted_lines;
    IF FOUND THEN
        INSERT INTO ledger_voucher_balance_check (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION ledger_vouchers_balanced_at_commit() RETURNS trigger AS $$
DECLARE
    unbalanced_id bigint;
    difference numeric;
BEGIN
    SELECT l.voucher_id, SUM(l.debit) - SUM(l.credit) INTO unbalanced_id, difference
      FROM ledger_voucherline l
     WHERE l.voucher_id IN (SELECT voucher_id FROM ledger_voucher_unchecked)
     GROUP BY l.voucher_id
    HAVING SUM(l.debit) <> SUM(l.credit)
     LIMIT 1;
    DELETE FROM ledger_voucher_unchecked;
    DELETE FROM ledger_voucher_balance_check WHERE txid = NEW.txid;
    IF unbalanced_id IS NOT NULL THEN
        RAISE EXCEPTION 'Voucher % does not balance: debit minus credit is %', unbalanced_id, difference
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS ledger_voucherline_balanced ON ledger_voucherline;
CREATE CONSTRAINT TRIGGER ledger_voucherline_balanced
    AFTER UPDATE OF voucher_id, debit, credit OR DELETE ON ledger_voucherline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_voucher_balanced();

CREATE TRIGGER ledger_voucherline_balanced_insert
    AFTER INSERT ON ledger_voucherline
    REFERENCING NEW TABLE AS inserted_lines
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_voucherline_note_inserted();

CREATE CONSTRAINT TRIGGER ledger_voucher_balance_check_at_commit
    AFTER INSERT ON ledger_voucher_balance_check
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_vouchers_balanced_at_commit();
"""

DROP = """
DROP TRIGGER IF EXISTS ledger_voucherline_balanced_insert ON ledger_voucherline;
DROP TABLE IF EXISTS ledger_voucher_balance_check;
DROP TABLE IF EXISTS ledger_voucher_unchecked;
DROP FUNCTION IF EXISTS ledger_vouchers_balanced_at_commit();
DROP FUNCTION IF EXISTS ledger_voucherline_note_inserted();
DROP TRIGGER IF EXISTS ledger_voucherline_balanced ON ledger_voucherline;
CREATE CONSTRAINT TRIGGER ledger_voucherline_balanced
    AFTER INSERT OR UPDATE OF voucher_id, debit, credit OR DELETE ON ledger_voucherline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_voucher_balanced();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_voucher_line_date")]

    operations = [migrations.RunPython(create, drop)]
