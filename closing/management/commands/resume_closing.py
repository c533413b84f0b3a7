from django.core.management.base import BaseCommand, CommandError

from closing import services
from closing.management.commands._common import progress_printer, summary
from common.errors import DomainError


class Command(BaseCommand):
    help = "Resume a paused or failed close or recalculation: what is not done is queued again (or run here with --wait)."

    def add_arguments(self, parser):
        parser.add_argument("--wait", action="store_true", help="Run the rest in this process (no Redis needed).")

    def handle(self, *args, **options):
        try:
            run = services.closing_resume(queue=not options["wait"])
        except DomainError as error:
            raise CommandError(error.message) from error
        if not options["wait"]:
            self.stdout.write(f"Resumed {run.number}: {run.bundles_total - run.bundles_done} bundles queued again.")
            return
        run = services.run_execute(run_id=run.pk, progress=progress_printer(self.stdout))
        self.stdout.write(summary(run))
