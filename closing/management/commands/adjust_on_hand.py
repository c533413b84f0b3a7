from django.core.management.base import BaseCommand, CommandError

from closing import selectors
from closing.management.commands._common import parse_amount
from closing.models import Specification
from closing.services.adjustments import OnHandChange, on_hand_adjust
from common.errors import DomainError
from inventory.models import Item, Warehouse


class Command(BaseCommand):
    help = ("Adjust the value of an item's open on-hand inventory, dated on the latest close (docs/domain.md §3.1): "
            "a new cost price, a new total value or a percentage, spread over its open receipts.")

    def add_arguments(self, parser):
        parser.add_argument("--item", required=True)
        parser.add_argument("--site", help="Site code (default: every site the item has open quantity in)")
        parser.add_argument("--warehouse", help="Warehouse code: only the receipts stored there")
        how = parser.add_mutually_exclusive_group(required=True)
        how.add_argument("--unit-cost", help="New cost price of the open quantity")
        how.add_argument("--value", help="New total value of the open quantity (one line: give --site if several)")
        how.add_argument("--percent", help="Change of value in percent, e.g. -5 or 12.5")
        parser.add_argument("--specification", choices=Specification.values)
        parser.add_argument("--no-ledger", action="store_true", help="Change the inventory value only; post no voucher")
        parser.add_argument("--note", default="")

    def handle(self, *args, **options):
        close = selectors.latest_close()
        if close is None:
            raise CommandError("An on-hand adjustment is made after a close: close inventory first.")
        if not Item.objects.filter(number=options["item"]).exists():
            raise CommandError(f"Item {options['item']} does not exist.")
        warehouse = self._warehouse(options["warehouse"], options["site"])
        lines = selectors.on_hand_adjustment_lines(on=close.date, items=[options["item"]],
                                                   sites=[options["site"]] if options["site"] else (), warehouse=warehouse)
        if not lines:
            raise CommandError(f"Item {options['item']} has no open quantity on {close.date:%Y-%m-%d} "
                               "in this selection: there is nothing to adjust.")
        if options["value"] is not None and len(lines) > 1:
            sites = ", ".join(line["cost_dimension__site__code"] for line in lines)
            raise CommandError(f"Item {options['item']} has {len(lines)} on-hand lines (sites {sites}): "
                               "give --site to choose the one the new value is for.")
        figures = {name: parse_amount(options[name], f"--{name.replace('_', '-')}")
                   for name in ("unit_cost", "value", "percent") if options[name] is not None}
        changes = [OnHandChange(cost_dimension_id=line["cost_dimension_id"], warehouse_id=line["warehouse_id"],
                                new_unit_cost=figures.get("unit_cost"), new_value=figures.get("value"),
                                percent=figures.get("percent"),
                                label=f"Item {line['item__number']} at site {line['cost_dimension__site__code']}")
                   for line in lines]
        try:
            run = on_hand_adjust(changes=changes, specification=options["specification"],
                                 update_ledger=not options["no_ledger"], note=options["note"])
        except DomainError as error:
            for message in error.errors[1:]:
                self.stderr.write(message)
            raise CommandError(error.message) from error
        voucher = run.voucher.number if run.voucher_id else "none"
        self.stdout.write(f"On-hand adjustment {run.number} on {run.date:%Y-%m-%d}: {run.adjustments_count} receipts "
                          f"adjusted; voucher {voucher}.")

    @staticmethod
    def _warehouse(code: str | None, site: str | None) -> Warehouse | None:
        if not code:
            return None
        warehouses = Warehouse.objects.filter(code=code)
        if site:
            warehouses = warehouses.filter(site__code=site)
        found = list(warehouses.select_related("site")[:2])
        if not found:
            raise CommandError(f"Warehouse {code} does not exist{f' at site {site}' if site else ''}.")
        if len(found) > 1:
            raise CommandError(f"Warehouse {code} exists at several sites: give --site.")
        return found[0]
