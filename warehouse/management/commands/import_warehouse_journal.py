from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from warehouse.services.journals import warehouse_journal_import_file


class Command(BaseCommand):
    help = ("Register bin quantities found (+) or missing (-) from a CSV file with the header "
            "item,warehouse,bin,qty,lot,serial: each goes to its bin and the opposite to the warehouse's adjustment "
            "bin (one warehouse item journal per warehouse). No inventory transaction is posted. All or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--date", required=True, help="Registration date (YYYY-MM-DD).")

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            on = date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"Bad --date {options['date']!r}: expected YYYY-MM-DD.") from None
        try:
            with path.open("rb") as stream:
                result = warehouse_journal_import_file(stream=stream, on=on)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        if not result.ok:
            for line, message in result.errors:
                self.stderr.write(f"{path.name}: line {line}: {message}")
            raise CommandError(f"{result.error_count} problem(s); nothing was registered.")
        self.stdout.write(self.style.SUCCESS(f"{result.posted} line(s) registered."))
