"""Writes of the reports app: the book checks' result stored on the run they followed."""

from django.db import transaction

from closing.models import ClosingRun
from ledger.models import VoucherLine
from reports.checks import BooksCheck, books_check
from reports.selectors import inventory_account_ids


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
