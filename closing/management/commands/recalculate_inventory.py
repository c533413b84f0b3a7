from datetime import date

from django.core.management.base import BaseCommand

from closing import services
from closing.management.commands._common import parse_amount, start_and_follow
from closing.models import ClosingRun, InventoryParameters, Specification


def _codes(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class Command(BaseCommand):
    help = "Recalculate inventory up to a date: adjust issue costs without settling or locking the period."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--items", help="Comma-separated item numbers.")
        parser.add_argument("--item-groups", help="Comma-separated item group codes.")
        parser.add_argument("--min-adjustment", help="Adjustments below this amount are not made.")
        parser.add_argument("--specification", choices=Specification.values)
        parser.add_argument("--note", default="")
        parser.add_argument("--wait", action="store_true", help="Run to the end in this process (no Redis needed).")
        parser.add_argument("--workers", type=int, default=1,
                            help="With --wait on PostgreSQL: process bundles on this many connections at once.")

    def handle(self, *args, **options):
        parameters = InventoryParameters.load()
        minimum = (parse_amount(options["min_adjustment"], "--min-adjustment") if options["min_adjustment"] is not None
                   else parameters.default_min_adjustment)
        request = services.RunRequest(
            run_type=ClosingRun.RunType.RECALCULATION, date=options["date"], note=options["note"],
            specification=options["specification"] or parameters.default_specification, min_adjustment=minimum,
            items=_codes(options["items"]), item_groups=_codes(options["item_groups"]))
        start_and_follow(self, request, wait=options["wait"], workers=options["workers"], verb="Recalculating")
