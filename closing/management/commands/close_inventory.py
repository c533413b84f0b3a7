from datetime import date

from django.core.management.base import BaseCommand, CommandError

from closing import services
from closing.management.commands._common import start_and_follow
from closing.models import ClosingRun, InventoryParameters, Specification
from common.errors import DomainError


class Command(BaseCommand):
    help = "Close inventory up to a date for all items: settle issues to receipts, adjust, post one voucher."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--specification", choices=Specification.values)
        parser.add_argument("--note", default="")
        parser.add_argument("--preview", action="store_true", help="Dry run: report the ledger effect, write nothing.")
        parser.add_argument("--wait", action="store_true", help="Run to the end in this process (no Redis needed).")
        parser.add_argument("--workers", type=int, default=1,
                            help="With --wait on PostgreSQL: process bundles on this many connections at once.")

    def handle(self, *args, **options):
        request = services.RunRequest(
            run_type=ClosingRun.RunType.CLOSING, date=options["date"], note=options["note"],
            specification=options["specification"] or InventoryParameters.load().default_specification)
        if options["preview"]:
            try:
                return self._preview(request)
            except DomainError as error:
                raise CommandError(error.message) from error
        start_and_follow(self, request, wait=options["wait"], workers=options["workers"], verb="Closing")

    def _preview(self, request):
        preview = services.closing_preview(request=request)
        self.stdout.write(f"Preview of a close up to {request.date:%Y-%m-%d} (nothing written): {preview.items} items, "
                          f"{preview.transactions} transactions, {preview.settlements} settlements, "
                          f"{preview.adjustments} adjustments, {len(preview.warnings)} warnings")
        self.stdout.write("Ledger effect per account:")
        for row in preview.accounts:
            self.stdout.write(f"  {row['account'].number:<8} {row['account'].name:<45} {row['amount']:>14}")
        self.stdout.write("Inventory value change per item group:")
        for row in preview.item_groups:
            self.stdout.write(f"  {row['item_group'].code:<12} {row['amount']:>14}")
        for warning in preview.warnings[:50]:
            self.stdout.write(f"  warning: {warning}")
