from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from common.money import plain_number
from common.spreadsheets import CsvWriter
from warehouse.selectors import bin_contents, warehouse_by_code

COLUMNS = ["item", "warehouse", "bin", "lot", "serial", "qty"]


class Command(BaseCommand):
    help = ("Write what every bin holds as CSV (columns item,warehouse,bin,lot,serial,qty; warehouse as SITE/CODE) "
            "to standard output: the sum of the warehouse entries per bin, item, lot and serial, empty ones left out.")

    def add_arguments(self, parser):
        parser.add_argument("--warehouse", default="", help="Only this warehouse (CODE, or SITE/CODE).")

    def handle(self, *args, **options):
        try:
            warehouse = warehouse_by_code(options["warehouse"]) if options["warehouse"] else None
        except DomainError as error:
            raise CommandError(error.message) from error
        writer = CsvWriter(self.stdout, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in bin_contents(warehouse=warehouse):
            writer.writerow([row.item, row.warehouse, row.bin, row.lot, row.serial, Decimal(plain_number(row.qty))])
