"""The balance check at commit (0004) looks up each noted voucher's lines through the voucher index,
instead of letting the planner merge-join the notes with every line of the ledger.

With a few thousand vouchers noted (an import checks after every chunk of 5,000 rows), PostgreSQL
chose to read the whole `voucher_id` index in order and merge it with the sorted notes: 1.2 s per
chunk at 680,000 lines, growing with the ledger. A LATERAL sum per voucher is a few index probes
each: about the same for any ledger size (docs/benchmarks.md, import). The notes are deleted and
read in one statement."""

from django.db import migrations

BY_VOUCHER = """
CREATE OR REPLACE FUNCTION ledger_vouchers_balanced_at_commit() RETURNS trigger AS $$
DECLARE
    unbalanced_id bigint;
    difference numeric;
BEGIN
    WITH noted AS (DELETE FROM ledger_voucher_unchecked RETURNING voucher_id)
    SELECT v.voucher_id, d.difference INTO unbalanced_id, difference
      FROM (SELECT DISTINCT voucher_id FROM noted) v
     CROSS JOIN LATERAL (SELECT SUM(l.debit) - SUM(l.credit) AS difference
                           FROM ledger_voucherline l WHERE l.voucher_id = v.voucher_id) d
     WHERE d.difference <> 0
     LIMIT 1;
    DELETE FROM ledger_voucher_balance_check WHERE txid = NEW.txid;
    IF unbalanced_id IS NOT NULL THEN
        RAISE EXCEPTION 'Voucher % does not balance: debit minus credit is %', unbalanced_id, difference
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

GROUPED = """
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
"""


def by_voucher(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BY_VOUCHER, params=None)


def grouped(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GROUPED, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_voucherline_references_checked_by_writer")]

    operations = [migrations.RunPython(by_voucher, grouped)]
