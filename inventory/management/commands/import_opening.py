from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inventory.services.imports import opening_import_file
from ledger.models import MainAccount


class Command(BaseCommand):
    help = ("Create an opening balance journal from a CSV file (header item,site,warehouse,tracking_number,expiry_date,"
            "qty,unit_cost) and, with --post, post it. A file with any bad row creates nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--date", required=True, help="Go-live date the entries are posted on (YYYY-MM-DD).")
        parser.add_argument("--offset-account", default="3900",
                            help="Account the entries are posted against (default 3900, opening balance equity).")
        parser.add_argument("--description", default="")
        parser.add_argument("--post", action="store_true", help="Post the journal at once.")

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            posting_date = date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"Bad --date {options['date']!r}: expected YYYY-MM-DD.") from None
        account = MainAccount.objects.filter(number=options["offset_account"], is_active=True).first()
        if account is None:
            raise CommandError(f"There is no active account {options['offset_account']}.")
        try:
            with path.open("rb") as stream:
                result = opening_import_file(stream=stream, posting_date=posting_date, offset_account=account,
                                             description=options["description"], post=options["post"])
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        if not result.ok:
            for line, message in result.errors:
                self.stderr.write(f"{path.name}: line {line}: {message}")
            raise CommandError(f"{result.error_count} problem(s); nothing was created or posted.")
        state = "posted" if options["post"] else "created (draft: check it and post it)"
        self.stdout.write(self.style.SUCCESS(f"Opening journal {result.journal.number} with {result.posted} lines {state}."))
