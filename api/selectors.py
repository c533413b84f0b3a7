"""Reads of the API: the querysets its lists page through (each in a stable, unique order) and the
voucher feed's cursor query."""

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Prefetch, QuerySet

from api.models import ApiToken
from inventory.models import InventoryTransaction, Item
from ledger.models import Voucher, VoucherLine


def tokens_of(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at", "-id")


def item_list() -> QuerySet[Item]:
    return Item.objects.select_related("item_group", "model_group").order_by("number")


def transactions_by_ref(*, refs: set[str]) -> dict[str, InventoryTransaction]:
    """The stored transactions of `refs`, with what an idempotent re-post is compared against."""
    return {txn.ref: txn for txn in InventoryTransaction.objects.filter(ref__in=refs).select_related(
        "item__model_group", "site", "warehouse", "marked_to")}


def transaction_list(*, item: str | None = None, ref_prefix: str | None = None, date_from: date | None = None,
                     date_to: date | None = None, status: str | None = None) -> QuerySet[InventoryTransaction]:
    """Transactions in posting order (id), filtered; dates filter the physical (first) posting date."""
    rows = InventoryTransaction.objects.select_related("item").order_by("id")
    if item:
        rows = rows.filter(item__number=item)
    if ref_prefix:
        rows = rows.filter(ref__startswith=ref_prefix)
    if date_from:
        rows = rows.filter(date_physical__gte=date_from)
    if date_to:
        rows = rows.filter(date_physical__lte=date_to)
    if status:
        rows = rows.filter(status=status)
    return rows


# -- the voucher feed ---------------------------------------------------------------------------------

@dataclass(frozen=True, order=True)
class FeedPosition:
    """Where a ledger's last pull ended: the writing database transaction's id and the voucher id.

    Voucher ids are taken when a voucher is inserted, not when its transaction commits: a posting
    that took id 10 can commit after one that took id 11 was already read, and an id cursor would
    skip 10 for ever. On PostgreSQL each voucher carries the id of the transaction that wrote it
    (ledger migration 0002_database), and the feed serves only vouchers of transactions older than the
    oldest one of this database still running (FEED_SQL): nothing can commit behind the cursor later.
    SQLite has one writer at a time, so commit order is id order there and `xact` stays 0."""

    xact: int
    voucher_id: int

    def token(self) -> str:
        return f"{self.xact}-{self.voucher_id}"

    @classmethod
    def parse(cls, token: str) -> "FeedPosition":
        """Raises ValueError for a cursor this feed did not write."""
        xact, _, voucher_id = token.partition("-")
        if not (xact.isdigit() and voucher_id.isdigit()) or len(token) > 40:
            raise ValueError(token)
        return cls(int(xact), int(voucher_id))


START = FeedPosition(0, 0)


# The bound below which every writing transaction has ended: the oldest transaction our snapshot
# sees running (its xip list), or the snapshot's xmax when none runs. Transactions of other databases
# of the cluster are left out (they cannot write our vouchers, and a long one there must not stall
# the feed): pg_stat_activity names their database. What it does not show (another role's sessions
# without pg_read_all_stats, prepared transactions) counts as ours, which only delays the feed.
# xip holds 64-bit txids, backend_xid 32-bit xids: two running transactions never share the low 32
# bits. One statement, so the bound and the rows come from the same snapshot.
FEED_SQL = """
WITH snapshot AS (SELECT txid_current_snapshot() AS s),
     elsewhere AS (SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity
                    WHERE datname <> current_database() AND backend_xid IS NOT NULL),
     bound AS (SELECT COALESCE(MIN(running.xid), (SELECT txid_snapshot_xmax(s) FROM snapshot)) AS xact
                 FROM (SELECT txid_snapshot_xip(s) AS xid FROM snapshot) running
                WHERE running.xid %% 4294967296 NOT IN (SELECT xid FROM elsewhere))
SELECT v.feed_xact, v.id FROM ledger_voucher v, bound
 WHERE (v.feed_xact, v.id) > (%s, %s) AND v.feed_xact < bound.xact
 ORDER BY v.feed_xact, v.id
 LIMIT %s
"""


def _feed_positions(after: FeedPosition, limit: int) -> list[tuple[int, int]]:
    """(xact, voucher id) of the next `limit` vouchers after `after`, in feed order."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(FEED_SQL, [after.xact, after.voucher_id, limit])
        else:
            cursor.execute("SELECT 0, id FROM ledger_voucher WHERE id > %s ORDER BY id LIMIT %s", [after.voucher_id, limit])
        return [(int(xact), int(pk)) for xact, pk in cursor.fetchall()]


def voucher_feed(*, after: FeedPosition, limit: int) -> tuple[list[Voucher], FeedPosition, bool]:
    """The next vouchers of the ledger feed, with their lines, the cursor to continue from and
    whether more are ready now."""
    positions = _feed_positions(after, limit + 1)
    more = len(positions) > limit
    positions = positions[:limit]
    if not positions:
        return [], after, False
    lines = VoucherLine.objects.select_related("account", "item_group", "item", "inventory_transaction").order_by("id")
    by_id = {voucher.pk: voucher for voucher in Voucher.objects.filter(pk__in=[pk for _, pk in positions])
             .select_related("reverses", "created_by").prefetch_related(Prefetch("lines", queryset=lines))}
    vouchers = [by_id[pk] for _, pk in positions]
    for (xact, pk), voucher in zip(positions, vouchers, strict=True):
        voucher.feed_position = FeedPosition(xact, pk)
    return vouchers, FeedPosition(*positions[-1]), more
