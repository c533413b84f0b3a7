from django.core.management.base import BaseCommand, CommandError

from closing import services
from common.errors import DomainError


class Command(BaseCommand):
    help = "Pause the running close or recalculation: no new bundle starts, running bundles finish."

    def handle(self, *args, **options):
        try:
            run = services.closing_pause()
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"{run.number} is {run.get_status_display().lower()}.")
