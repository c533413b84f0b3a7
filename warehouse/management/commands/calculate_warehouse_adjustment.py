from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from common.errors import DomainError
from common.money import plain_number
from warehouse.selectors import warehouse_by_code
from warehouse.services.adjustment import warehouse_adjustment_calculate, warehouse_adjustment_post


class Command(BaseCommand):
    help = ("Calculate Whse. Adjustment: propose the inventory profit/loss journal lines that bring inventory to "
            "what the bins hold (the adjustment bin's content, opposite sign) and, with --post, post them, which "
            "empties the adjustment bin.")

    def add_arguments(self, parser):
        parser.add_argument("--warehouse", required=True, help="CODE, or SITE/CODE.")
        parser.add_argument("--date", required=True, help="Posting date (YYYY-MM-DD).")
        parser.add_argument("--item", action="append", default=[], help="Only this item (repeatable).")
        parser.add_argument("--post", action="store_true", help="Post the journal at once.")

    def handle(self, *args, **options):
        try:
            on = date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"Bad --date {options['date']!r}: expected YYYY-MM-DD.") from None
        try:
            warehouse = warehouse_by_code(options["warehouse"])
            with transaction.atomic():  # with --post: a journal that cannot be posted is not left behind
                journal = warehouse_adjustment_calculate(warehouse=warehouse, on=on, items=tuple(options["item"]))
                lines = list(journal.lines.select_related("item"))
                if options["post"]:
                    journal = warehouse_adjustment_post(journal=journal)
        except DomainError as error:
            raise CommandError("\n".join(error.errors)) from error
        for line in lines:
            what = f"{line.item.number}" + (f" {line.tracking_number}" if line.tracking_number else "")
            self.stdout.write(f"  line {line.line_number}: {what} {plain_number(line.qty)}")
        state = "posted" if options["post"] else "created (draft: check it and post it, or run again with --post)"
        self.stdout.write(self.style.SUCCESS(f"Journal {journal.number} with {len(lines)} line(s) {state}."))
