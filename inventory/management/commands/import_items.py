from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inventory.services.imports import items_import_file


class Command(BaseCommand):
    help = "Create or update items from a CSV file (header item,name,item_group,model_group,unit_cost). A file with any bad row changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            with path.open("rb") as stream:  # read as a stream, decoded strictly (inventory.services.csv_files)
                result = items_import_file(stream=stream)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        if not result.ok:
            for line, message in result.errors:
                self.stderr.write(f"{path.name}: line {line}: {message}")
            raise CommandError(f"{result.error_count} bad row(s); nothing was imported.")
        self.stdout.write(self.style.SUCCESS(f"Imported {result.posted} items."))
