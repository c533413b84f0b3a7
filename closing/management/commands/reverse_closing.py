from datetime import date

from django.core.management.base import BaseCommand, CommandError

from closing import services
from common.errors import DomainError


class Command(BaseCommand):
    help = ("Reverse the latest active close, the latest on-hand or transaction adjustment (--adjustment), or every "
            "recalculation from a date. Reversals run in this process.")

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group()
        what.add_argument("--recalculations-from", type=date.fromisoformat, help="YYYY-MM-DD")
        what.add_argument("--adjustment", action="store_true", help="Reverse the latest on-hand or transaction adjustment")
        parser.add_argument("--wait", action="store_true",
                            help="Accepted for symmetry with the other commands: a reversal always completes before this returns.")

    def handle(self, *args, **options):
        try:
            reversals = services.closing_reverse(recalculations_from=options["recalculations_from"],
                                                 latest_adjustment=options["adjustment"])
        except DomainError as error:
            raise CommandError(error.message) from error
        for reversal in reversals:
            voucher = reversal.voucher.number if reversal.voucher_id else "none"
            self.stdout.write(f"Reversed {reversal.reverses.get_run_type_display().lower()} {reversal.reverses.number} "
                              f"({reversal.reverses.date:%Y-%m-%d}) as {reversal.number}; voucher {voucher}.")
