from datetime import date

from django.core.management.base import BaseCommand

from inventory.services.company import DEMO_ADMIN, DEMO_PASSWORDS, demo_load


class Command(BaseCommand):
    help = "Load the demo company (items, sites, warehouses, users per role, three months of history). Idempotent."

    def handle(self, *args, **options):
        stats = demo_load(today=date.today())
        self.stdout.write(self.style.SUCCESS(
            f"Demo company ready: {stats['items']} items, {stats['transactions']} transactions, {stats['users']} users created."))
        self.stdout.write("Demo logins:")
        for username, (_, _, role, password) in DEMO_PASSWORDS.items():
            self.stdout.write(f"  {username:<11} {password:<22} {role}")
        self.stdout.write(f"  {DEMO_ADMIN[0]:<11} {DEMO_ADMIN[1]:<22} Administrator (Django admin)")
