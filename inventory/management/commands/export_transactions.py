import json

from django.core.management.base import BaseCommand, CommandError

from common.spreadsheets import CsvWriter
from inventory.models import Item
from inventory.selectors import EXPORT_COLUMNS, transactions_export_rows


class Command(BaseCommand):
    help = "Write every inventory transaction to stdout as CSV (default) or JSON, in the export contract's columns."

    def add_arguments(self, parser):
        parser.add_argument("--item", help="Only this item number.")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, **options):
        item = options.get("item")
        if item and not Item.objects.filter(number=item).exists():
            raise CommandError(f"There is no item {item}.")
        rows = transactions_export_rows(item_number=item)
        if options["format"] == "json":
            self.stdout.write(json.dumps(list(rows), indent=1))
            return
        # Text a spreadsheet would run as a formula (an item named "=HYPERLINK(...)") is quoted;
        # amounts and quantities, plain numbers, stay as they are (common.spreadsheets).
        writer = CsvWriter(self.stdout, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            row["value_open"] = "1" if row["value_open"] else "0"
            writer.writerow(row[column] for column in EXPORT_COLUMNS)
