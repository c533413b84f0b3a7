"""Shared by the closing commands: how progress and summaries are printed."""

from decimal import Decimal, InvalidOperation

from django.core.management.base import CommandError

from closing import services
from closing.models import ClosingRun
from common.errors import DomainError


def parse_amount(value: str | None, name: str) -> Decimal:
    if value in (None, ""):
        return Decimal("0")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CommandError(f"{name} must be a number, not {value!r}.") from None
    if not number.is_finite():
        raise CommandError(f"{name} must be a number, not {value!r}.")
    return number


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


def start_and_follow(command, request: "services.RunRequest", *, wait: bool, workers: int, verb: str) -> None:
    """What close_inventory and recalculate_inventory share: start the run (queued for the workers,
    or run here to the end with --wait, printing progress, a summary and the log) and turn any
    refusal into a non-zero exit with the message."""
    try:
        run = services.closing_start(request=request, queue=not wait)
    except DomainError as error:
        raise CommandError(error.message) from error
    if not wait:
        command.stdout.write(f"Queued {run.number}. Follow it with: python manage.py closing_status")
        return
    command.stdout.write(f"{verb} inventory up to {run.date:%Y-%m-%d} ({run.number})…")
    run = services.run_execute(run_id=run.pk, progress=progress_printer(command.stdout), workers=workers)
    command.stdout.write(summary(run))
    for entry in run.log.all()[:20]:
        command.stdout.write(f"  warning: {entry.message}")
    if run.status != ClosingRun.Status.ENDED:
        raise CommandError(run.error or f"{run.get_run_type_display()} {run.number} stopped: {run.get_status_display().lower()}.")
