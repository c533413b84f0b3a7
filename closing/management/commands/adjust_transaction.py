from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from closing.management.commands._common import parse_amount
from closing.models import Specification
from closing.services.adjustments import TransactionChange, transaction_adjust
from common.errors import DomainError


class Command(BaseCommand):
    help = ("Adjust the cost of one financially updated receipt no close has settled yet (docs/domain.md §3.2). The issues "
            "settled against it take the change at the next recalculation or close.")

    def add_arguments(self, parser):
        parser.add_argument("--ref", required=True, help="The receipt's transaction reference")
        how = parser.add_mutually_exclusive_group(required=True)
        how.add_argument("--unit-cost", help="New cost price of the receipt")
        how.add_argument("--value", help="New total value of the receipt")
        parser.add_argument("--date", type=date.fromisoformat, help="Posting date, YYYY-MM-DD (default: today)")
        parser.add_argument("--specification", choices=Specification.values)
        parser.add_argument("--no-ledger", action="store_true", help="Change the inventory cost only; post no voucher")
        parser.add_argument("--note", default="")

    def handle(self, *args, **options):
        change = TransactionChange(
            ref=options["ref"],
            new_unit_cost=parse_amount(options["unit_cost"], "--unit-cost") if options["unit_cost"] is not None else None,
            new_value=parse_amount(options["value"], "--value") if options["value"] is not None else None)
        try:
            run = transaction_adjust(changes=[change], on=options["date"] or timezone.localdate(),
                                     specification=options["specification"], update_ledger=not options["no_ledger"],
                                     note=options["note"])
        except DomainError as error:
            raise CommandError(error.message) from error
        voucher = run.voucher.number if run.voucher_id else "none"
        self.stdout.write(f"Transaction adjustment {run.number} on {run.date:%Y-%m-%d}: {options['ref']} adjusted; "
                          f"voucher {voucher}.")
