"""The voucher feed's position (issue #15, point 1, `GET /api/v1/vouchers/`): on PostgreSQL every
voucher records the id of the database transaction that wrote it, filled by a column default, so
whatever writes vouchers (bulk_create, COPY, raw SQL) fills it without knowing about it.

A voucher's own id is taken at insert, not at commit, so ids do not arrive in order: the feed orders
by (feed_xact, id) and serves only vouchers of transactions older than every transaction still
running (api.selectors.voucher_feed). The column is not a model field: Django never writes it.
SQLite has one writer at a time; there the feed orders by id and needs no column."""

from django.db import migrations

CREATE = """
ALTER TABLE ledger_voucher ADD COLUMN feed_xact bigint NOT NULL DEFAULT txid_current();
CREATE INDEX ledger_voucher_feed ON ledger_voucher (feed_xact, id);
"""

DROP = """
DROP INDEX IF EXISTS ledger_voucher_feed;
ALTER TABLE ledger_voucher DROP COLUMN IF EXISTS feed_xact;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_voucher_balance_per_statement")]

    operations = [migrations.RunPython(create, drop)]
