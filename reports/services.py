"""Writes of the reports app: the book checks' result stored on the run they followed, and the book
checks asked for on demand (queued, performed by a worker, kept)."""

import logging
from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from closing.models import ClosingRun
from common.audit import audit_record
from common.errors import DomainError
from ledger.models import VoucherLine
from reports import queue as job_queue
from reports.checks import CHECK_COUNT, BooksCheck, books_check
from reports.models import BookCheck, CloseSignOff
from reports.selectors import inventory_account_ids

logger = logging.getLogger(__name__)


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


# How many checks of different dates one user may have waiting or running at once.
UNFINISHED_PER_USER = 3


def book_check_request(*, as_of: date | None, user: AbstractBaseUser | None, queue: bool = True) -> BookCheck:
    """Queue the book checks (as of a date) for a worker once committed (`queue=False`: the caller
    runs them). Asked
    again while the same check (same date) waits or runs, it is that check, not a second one; a
    check lost by its worker is recorded as failed first (BookCheck.LOST_AFTER). A user with
    UNFINISHED_PER_USER checks of other dates waiting or running is refused."""
    lost_checks_fail()
    with transaction.atomic():
        waiting = BookCheck.objects.filter(status__in=BookCheck.UNFINISHED, as_of=as_of).first()
        if waiting is not None:
            return waiting
        if getattr(user, "pk", None):
            # Each check reads every big table: one user cannot fill the workers' queue with them.
            mine = BookCheck.objects.filter(status__in=BookCheck.UNFINISHED, requested_by=user).count()
            if mine >= UNFINISHED_PER_USER:
                raise DomainError(f"You have {mine} book checks waiting or running: wait for one of them to end "
                                  "before asking for another.", field="as_of")
        try:
            with transaction.atomic():
                check = BookCheck.objects.create(as_of=as_of, requested_by=user if getattr(user, "pk", None) else None,
                                                 checks_total=CHECK_COUNT)
        except IntegrityError:  # someone asked for the same check a moment ago (one_unfinished_book_check_per_date)
            return BookCheck.objects.get(status__in=BookCheck.UNFINISHED, as_of=as_of)
        audit_record(user=user, action="books.check", obj=check, as_of=as_of.isoformat() if as_of else None)
        if queue:
            transaction.on_commit(lambda: _enqueue(check.pk))
    return check


def _enqueue(check_id: int) -> None:
    try:
        job_queue.enqueue_book_check(check_id)
    except Exception as error:
        logger.exception("Book check %s could not be queued", check_id)
        BookCheck.objects.filter(pk=check_id, status=BookCheck.Status.QUEUED).update(
            status=BookCheck.Status.FAILED, error=f"It could not be queued for a worker: {error}", ended_at=timezone.now())


def lost_checks_fail() -> int:
    """Record the checks still waiting or running long after any check would have ended as failed
    (their worker died, or the queue was lost): they no longer hold their date."""
    deadline = timezone.now() - BookCheck.LOST_AFTER
    return BookCheck.objects.filter(status__in=BookCheck.UNFINISHED).filter(
        Q(started_at__lt=deadline) | Q(started_at__isnull=True, created_at__lt=deadline)).update(
        status=BookCheck.Status.FAILED, ended_at=timezone.now(),
        error=f"No worker ended it within {BookCheck.LOST_AFTER.seconds // 60} minutes: is a worker running on the default queue?")


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


def close_sign_off(*, run: ClosingRun, user: AbstractBaseUser, comment: str = "") -> CloseSignOff:
    """Sign off a run's close summary as `user` (the caller checks the permission, as its page does):
    once per run, and only a run that ended and was not reversed. Audited."""
    with transaction.atomic():
        # The run row is locked so two accountants signing at once make one sign-off, not an error.
        run = ClosingRun.objects.select_for_update().get(pk=run.pk)
        if run.is_cancelled or run.status == ClosingRun.Status.CANCELLED:
            raise DomainError(f"{run.number} was reversed: there is nothing left to sign off.")
        if run.status != ClosingRun.Status.ENDED:
            raise DomainError(f"{run.number} is {run.get_status_display().lower()}: sign off its summary once it has ended.")
        existing = CloseSignOff.objects.filter(run=run).first()
        if existing is not None:
            raise DomainError(f"{run.number} was already signed off by {existing.signed_by_name} on "
                              f"{timezone.localtime(existing.signed_at):%Y-%m-%d %H:%M}.")
        sign_off = CloseSignOff.objects.create(run=run, signed_by=user, comment=comment.strip(),
                                               signed_by_name=user.get_full_name() or user.get_username())
        audit_record(user=user, action="closing.sign_off", obj=run, comment=sign_off.comment)
    return sign_off
