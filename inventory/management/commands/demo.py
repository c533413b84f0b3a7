from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inventory.services.company import DEMO_ADMIN, DEMO_PASSWORDS, demo_load
from inventory.services.demo_counting import demo_counting_periods_load


class Command(BaseCommand):
    help = ("Load the demo company (items, sites, warehouses, users per role, three months of history). Idempotent. "
            "Development only: refused with DEBUG off.")

    def handle(self, *args, **options):
        # The demo users' passwords are printed here and written in the README: on a deployment
        # they would be an administrator account anyone can sign in to.
        if not settings.DEBUG:
            raise CommandError(
                "demo is for development only and refuses to run with DEBUG off: it creates users whose "
                f"passwords are public (\"{DEMO_ADMIN[0]}\" is a superuser). Nothing was written. On a development "
                "machine, run it with DEBUG=1.")
        stats = demo_load(today=date.today())
        counting = demo_counting_periods_load(today=date.today())
        self.stdout.write(self.style.SUCCESS(
            f"Demo company ready: {stats['items']} items, {stats['transactions']} transactions, {stats['users']} users created."))
        self.stdout.write(f"Cycle counting: {counting['periods']} counting periods; {counting['due']} items due for "
                          "counting today (Journals › Counting periods).")
        self.stdout.write("Demo logins:")
        for username, (_, _, role, password) in DEMO_PASSWORDS.items():
            self.stdout.write(f"  {username:<11} {password:<22} {role}")
        self.stdout.write(f"  {DEMO_ADMIN[0]:<11} {DEMO_ADMIN[1]:<22} Administrator (Django admin)")
