from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from warehouse.services.bins import bins_import_file


class Command(BaseCommand):
    help = ("Add bins from a CSV file with the header warehouse,bin,kind (kind: storage or adjustment; one "
            "adjustment bin per warehouse). All or nothing; bins that exist with the same kind are left as they are.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            with path.open("rb") as stream:
                result = bins_import_file(stream=stream)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        if not result.ok:
            for line, message in result.errors:
                self.stderr.write(f"{path.name}: line {line}: {message}")
            raise CommandError(f"{result.error_count} problem(s); no bin was added.")
        self.stdout.write(self.style.SUCCESS(f"{result.posted} bin(s) added ({result.rows_read} rows read)."))
