from datetime import date

from django.core.management.base import BaseCommand

from config.roles import roles_ensure
from inventory.services.company import company_bootstrap


class Command(BaseCommand):
    help = ("Set up a new company: chart of accounts, site and warehouse MAIN, item group DEFAULT, model groups, fiscal "
            "periods, and the roles' permissions. Idempotent.")

    def handle(self, *args, **options):
        roles_ensure()
        created = company_bootstrap(today=date.today())
        self.stdout.write(self.style.SUCCESS(
            f"Bootstrap complete: {created['accounts']} accounts, {created['model_groups']} model groups, "
            f"{created['periods']} fiscal periods created."))
