"""python manage.py check_books [--date YYYY-MM-DD] [--json]: the book checks on demand."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reports.checks import books_check


class Command(BaseCommand):
    help = ("Check the books: vouchers balanced, subledger equals ledger on the inventory accounts, nothing "
            "settled beyond what exists, on-hand equals the transactions, the latest close covers its period, bins "
            "equal inventory once the adjustment bin is empty. Exits 1 on any difference.")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="check the ledger and subledger as of this date (YYYY-MM-DD)")
        parser.add_argument("--json", action="store_true", help="print the structured result as JSON")

    def handle(self, *args, **options):
        as_of = None
        if options["date"]:
            try:
                as_of = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"--date {options['date']!r} is not a date: use YYYY-MM-DD.") from None
        result = books_check(as_of=as_of)
        if options["json"]:
            self.stdout.write(json.dumps(result.to_dict(), indent=2))
        else:
            for line in result.lines():
                self.stdout.write(line)
        if not result.ok:
            failed = [check.title for check in result.checks if not check.ok]
            raise CommandError(f"The books do not agree: {'; '.join(failed)}.", returncode=1)
        if not options["json"]:
            self.stdout.write("The books agree.")
