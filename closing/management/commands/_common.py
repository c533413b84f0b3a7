"""Shared by the closing commands: how progress and summaries are printed."""

from decimal import Decimal, InvalidOperation

from django.core.management.base import CommandError

from closing.models import ClosingRun


def parse_amount(value: str | None, name: str) -> Decimal:
    if value in (None, ""):
        return Decimal("0")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise CommandError(f"{name} must be a number, not {value!r}.") from None


def summary(run: ClosingRun) -> str:
    voucher = run.voucher.number if run.voucher_id else "none"
    seconds = (run.ended_at - run.started_at).total_seconds() if run.ended_at and run.started_at else 0
    return (f"{run.get_run_type_display()} {run.number} up to {run.date:%Y-%m-%d}: {run.get_status_display().lower()}; "
            f"{run.items_done}/{run.items_total} items, {run.transactions_done} transactions, "
            f"{run.settlements_count} settlements, {run.adjustments_count} adjustments, {run.warnings_count} warnings; "
            f"voucher {voucher}; {seconds:.1f} s")


def progress_printer(stdout):
    def show(run: ClosingRun) -> None:
        stdout.write(f"  bundle {run.bundles_done}/{run.bundles_total}: {run.items_done}/{run.items_total} items, "
                     f"{run.transactions_done} transactions")
    return show
