"""What the ledger keeps in PostgreSQL beyond Django's tables: balanced vouchers checked once per
voucher at commit (the statement trigger notes the vouchers a statement left off balance, the
deferred constraint trigger checks them whole), updates and deletes of lines checked row by row
(the voucher a line leaves as well as the one it is in), the voucher
feed's position (the writing transaction id), and the delete guards that stand in for foreign keys
the bulk writers check set-based (docs/benchmarks.md; their function is common 0002_database's;
the guard on the user table, for vouchers and transactions alike, is inventory 0003_database's).
SQLite (make run) has none of it; there the services' own checks stand."""

from django.db import migrations

FORWARD = r"""
CREATE UNLOGGED TABLE ledger_voucher_balance_check (
    txid bigint NOT NULL
);
ALTER TABLE ONLY ledger_voucher_balance_check ADD CONSTRAINT ledger_voucher_balance_check_pkey PRIMARY KEY (txid);

CREATE UNLOGGED TABLE ledger_voucher_unchecked (
    voucher_id bigint NOT NULL
);

ALTER TABLE ledger_voucher ADD COLUMN feed_xact bigint DEFAULT txid_current() NOT NULL;

CREATE FUNCTION ledger_voucher_balanced() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    checked_id bigint;
    difference numeric;
BEGIN
    -- A deleted or changed line's voucher, and the voucher a line is moved to (fired on delete
    -- and update only: inserts are noted per statement).
    FOREACH checked_id IN ARRAY CASE WHEN TG_OP = 'UPDATE' AND NEW.voucher_id <> OLD.voucher_id
                                     THEN ARRAY[OLD.voucher_id, NEW.voucher_id] ELSE ARRAY[OLD.voucher_id] END
    LOOP
        SELECT COALESCE(SUM(debit), 0) - COALESCE(SUM(credit), 0) INTO difference
          FROM ledger_voucherline WHERE voucher_id = checked_id;
        IF difference <> 0 THEN
            RAISE EXCEPTION 'Voucher % does not balance: debit minus credit is %', checked_id, difference
                USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE FUNCTION ledger_voucherline_note_inserted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    -- Only the vouchers whose lines in this statement do not net to zero: a voucher that balanced
    -- before (every committed one does: this rests on it) still balances after lines that net to
    -- zero; one whose lines arrive over several statements is noted by each statement whose own
    -- lines do not net to zero, and then checked whole. Updates and deletes keep their row check
    -- of the whole voucher, both vouchers where a line moves from one to another.
    INSERT INTO ledger_voucher_unchecked (voucher_id)
    SELECT voucher_id FROM inserted_lines GROUP BY voucher_id HAVING SUM(debit) <> SUM(credit);
    IF FOUND THEN
        INSERT INTO ledger_voucher_balance_check (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION ledger_vouchers_balanced_at_commit() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
$$;

CREATE INDEX ledger_voucher_feed ON ledger_voucher USING btree (feed_xact, id);

CREATE TRIGGER ledger_mainaccount_kept_by_transactions AFTER DELETE ON ledger_mainaccount REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('inventory_inventorytransaction', 'inventory_account_id', 'inventory_inventorytransaction', 'offset_account_id');

CREATE TRIGGER ledger_mainaccount_kept_by_voucherlines AFTER DELETE ON ledger_mainaccount REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('ledger_voucherline', 'account_id');

CREATE TRIGGER ledger_voucher_kept_by_voucherlines AFTER DELETE ON ledger_voucher REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('ledger_voucherline', 'voucher_id');

CREATE TRIGGER ledger_voucher_kept_by_vouchers AFTER DELETE ON ledger_voucher REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION costbook_refuse_delete_referenced('ledger_voucher', 'reverses_id');

CREATE CONSTRAINT TRIGGER ledger_voucher_balance_check_at_commit AFTER INSERT ON ledger_voucher_balance_check DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_vouchers_balanced_at_commit();

CREATE CONSTRAINT TRIGGER ledger_voucherline_balanced AFTER DELETE OR UPDATE OF voucher_id, debit, credit ON ledger_voucherline DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_voucher_balanced();

CREATE TRIGGER ledger_voucherline_balanced_insert AFTER INSERT ON ledger_voucherline REFERENCING NEW TABLE AS inserted_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_voucherline_note_inserted();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS ledger_voucherline_balanced_insert ON ledger_voucherline;
DROP TRIGGER IF EXISTS ledger_voucherline_balanced ON ledger_voucherline;
DROP TRIGGER IF EXISTS ledger_voucher_balance_check_at_commit ON ledger_voucher_balance_check;
DROP TRIGGER IF EXISTS ledger_voucher_kept_by_vouchers ON ledger_voucher;
DROP TRIGGER IF EXISTS ledger_voucher_kept_by_voucherlines ON ledger_voucher;
DROP TRIGGER IF EXISTS ledger_mainaccount_kept_by_voucherlines ON ledger_mainaccount;
DROP TRIGGER IF EXISTS ledger_mainaccount_kept_by_transactions ON ledger_mainaccount;
DROP INDEX IF EXISTS ledger_voucher_feed;
DROP FUNCTION IF EXISTS ledger_vouchers_balanced_at_commit();
DROP FUNCTION IF EXISTS ledger_voucherline_note_inserted();
DROP FUNCTION IF EXISTS ledger_voucher_balanced();
ALTER TABLE ledger_voucher DROP COLUMN IF EXISTS feed_xact;
DROP TABLE IF EXISTS ledger_voucher_unchecked;
DROP TABLE IF EXISTS ledger_voucher_balance_check;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_initial"),
        ("common", "0002_database"),
    ]
    operations = [migrations.RunPython(forward, backward)]
