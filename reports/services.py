"""Writes of the reports app: the book checks' result stored on the run they followed, and the book
checks asked for on demand (queued, performed by a worker, kept)."""

from collections.abc import Callable
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from closing.models import ClosingRun
from ledger.models import VoucherLine
from ledger.services import audit_record
from reports.checks import CHECK_COUNT, BooksCheck, books_check
from reports.models import BookCheck
from reports.selectors import inventory_account_ids

# A check asked for again while the same one (same date) waits or runs is that check, not a second
# one; after this long a check still "waiting" has lost its worker, and a new one is queued.
SAME_CHECK_WITHIN = timedelta(minutes=10)


def run_checks_record(*, run_id: int) -> BooksCheck:
    """Check the books as a run left them and store the result on the run (ClosingRun.checks).

    The ledger comparison covers the inventory accounts the run's voucher touched, or every
    inventory account when the run posted nothing."""
    run = ClosingRun.objects.get(pk=run_id)
    accounts = None
    if run.voucher_id:
        touched = set(VoucherLine.objects.filter(voucher_id=run.voucher_id).values_list("account_id", flat=True))
        accounts = touched & inventory_account_ids() or None
    result = books_check(accounts=accounts)
    with transaction.atomic():
        # Only the checks column: a worker may be writing the run's other columns at the same time.
        ClosingRun.objects.filter(pk=run_id).update(checks=result.to_dict())
    return result


def book_check_request(*, as_of: date | None, user, enqueue: Callable[[int], None]) -> BookCheck:
    """Queue the book checks (as of a date) for a worker; `enqueue` is called once committed."""
    with transaction.atomic():
        waiting = BookCheck.objects.filter(status__in=BookCheck.UNFINISHED, as_of=as_of,
                                           created_at__gte=timezone.now() - SAME_CHECK_WITHIN).first()
        if waiting is not None:
            return waiting
        check = BookCheck.objects.create(as_of=as_of, requested_by=user if getattr(user, "pk", None) else None,
                                         checks_total=CHECK_COUNT)
        audit_record(user=user, action="books.check", obj=check, as_of=as_of.isoformat() if as_of else None)
        transaction.on_commit(lambda: enqueue(check.pk))
    return check


def book_check_perform(*, check_id: int) -> BookCheck:
    """Run a queued book check and keep its result. Claimed with a conditional update, so a check
    enqueued twice runs once; a check that fails to run is marked failed with the error."""
    claimed = BookCheck.objects.filter(pk=check_id, status=BookCheck.Status.QUEUED).update(
        status=BookCheck.Status.RUNNING, started_at=timezone.now())
    check = BookCheck.objects.get(pk=check_id)
    if not claimed:
        return check

    def count(result) -> None:
        BookCheck.objects.filter(pk=check_id).update(checks_done=F("checks_done") + 1)

    try:
        result = books_check(as_of=check.as_of, on_check_done=count)
    except Exception as error:
        BookCheck.objects.filter(pk=check_id).update(status=BookCheck.Status.FAILED, error=f"{type(error).__name__}: {error}",
                                                     ended_at=timezone.now())
        raise
    BookCheck.objects.filter(pk=check_id).update(status=BookCheck.Status.ENDED, result=result.to_dict(),
                                                 checks_done=CHECK_COUNT, ended_at=timezone.now())
    check.refresh_from_db()
    return check
