import json

from django.core.management.base import BaseCommand

from closing.selectors import WATCHED, run_latest, run_status
from closing.services import run_watch


class Command(BaseCommand):
    help = "Show the latest closing run: id, type, status, progress, counts."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        run = run_latest()
        if run is None:
            self.stdout.write(json.dumps(None) if options["json"] else "No closing run yet.")
            return
        if run.status in WATCHED:
            run = run_watch(run_id=run.pk)  # a run that has stalled is queued again, or failed as stalled
        status = run_status(run=run)
        if options["json"]:
            self.stdout.write(json.dumps(status))
            return
        self.stdout.write(f"{status['number']} {status['type']} up to {status['date']}: {status['status']} "
                          f"({status['progress']}%, {status['phase']})")
        self.stdout.write(f"  items {status['items_done']}/{status['items_total']}, bundles {status['bundles_done']}/"
                          f"{status['bundles_total']}, transactions {status['transactions_done']}/{status['transactions_total']}, "
                          f"settlements {status['settlements']}, adjustments {status['adjustments']}, warnings {status['warnings']}")
        if status["error"]:
            self.stdout.write(f"  error: {status['error']}")
