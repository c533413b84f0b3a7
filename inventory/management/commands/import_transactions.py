from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inventory.services.imports import transactions_import_file


class Command(BaseCommand):
    help = ("Post inventory transactions from a CSV file (header ref,date,item,qty,unit_cost,update,site,warehouse,marking). "
            "A file with any bad row posts nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            # Read as a stream and posted in chunks (one database transaction): flat memory for any size.
            with path.open("rb") as stream:
                result = transactions_import_file(stream=stream)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        if not result.ok:
            for line, message in result.errors:
                self.stderr.write(f"{path.name}: line {line}: {message}")
            raise CommandError(f"{result.error_count} bad row(s); nothing was posted.")
        self.stdout.write(self.style.SUCCESS(
            f"Posted {result.posted} rows in {result.seconds:.2f} s ({result.rate:,.0f} rows/s)."))
