import json
import resource
import statistics
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from closing import services
from closing.benchmark import baseline_query, history_found, history_generate, run_to_end, timed
from closing.models import ClosingRun, InventoryParameters
from closing.signals import run_ended, run_ends_unannounced
from common.errors import DomainError
from inventory.models import Item
from inventory.services.company import company_bootstrap


def _peak_rss_mb() -> float:
    """This process's peak resident set so far (it only grows): read after each step, it shows
    which step set the command's peak."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _cpu_seconds() -> float:
    """CPU seconds used by this process and its ended children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Command(BaseCommand):
    help = ("Benchmark the close on a generated history (use an empty PostgreSQL database): generation, close, "
            "recalculation of 10% of the items, reversal, peak RSS and a baseline window query, as one JSON line.")

    def add_arguments(self, parser):
        parser.add_argument("--transactions", type=int, default=1_000_000)
        parser.add_argument("--items", type=int, default=10_000)
        parser.add_argument("--close-date", type=date.fromisoformat, default=date(2025, 12, 31))
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--items-per-bundle", type=int, help="Override the inventory parameter for this run.")
        parser.add_argument("--workers", type=int, default=2,
                            help="Bundles processed at once (the close's --wait --workers); default: this machine's 2 cores.")
        parser.add_argument("--generate-only", action="store_true",
                            help="Generate the history and stop (to copy the database as a template for several runs).")
        parser.add_argument("--history-exists", action="store_true",
                            help="Skip generation: the database holds a history this command generated "
                                 "(e.g. a copy of a --generate-only database) and no run yet.")

    def handle(self, *args, **options):
        if options["transactions"] < options["items"] * 2:
            raise CommandError("--transactions must be at least twice --items.")
        close_date = options["close_date"]
        company_bootstrap(today=close_date)
        if options["items_per_bundle"]:
            InventoryParameters.objects.update_or_create(pk=1, defaults={"items_per_bundle": options["items_per_bundle"]})
        figures = {"database": connection.vendor, "items": options["items"]}
        peaks = figures["peak_rss_mb_after"] = {}
        try:
            started = time.perf_counter()
            if options["history_exists"]:
                history = history_found(close_date=close_date)
            else:
                history = history_generate(transactions=options["transactions"], items=options["items"],
                                           close_date=close_date, seed=options["seed"])
                figures["generation_seconds"] = round(time.perf_counter() - started, 2)
            peaks["history"] = _peak_rss_mb()
            figures["transactions"] = history.transactions
            figures["items"] = history.items
            if options["generate_only"]:
                self.stdout.write(json.dumps(figures))
                return
            # The yardstick moves with the machine's load by up to 2x between single runs: the
            # median of three (all three are printed) keeps one lucky or unlucky run from setting
            # every ratio.
            figures["baseline_runs"] = [timed(baseline_query) for _ in range(3)]
            figures["baseline_seconds"] = statistics.median(figures["baseline_runs"])

            close = services.RunRequest(run_type=ClosingRun.RunType.CLOSING, date=close_date)
            run = services.closing_start(request=close, queue=False)
            workers = options["workers"]
            figures["workers"] = workers
            # The book checks that follow every run are timed on their own: they read the whole
            # ledger and subledger, whatever the close did, and run after it has committed.
            cpu_before = _cpu_seconds()
            with run_ends_unannounced():
                figures["close_seconds"] = timed(lambda: run_to_end(run, workers))
            # Python's share of the close (this process and its bundle processes, not PostgreSQL):
            # what the machine's load moves least.
            figures["close_cpu_seconds"] = round(_cpu_seconds() - cpu_before, 2)
            peaks["close"] = _peak_rss_mb()
            figures["checks_after_close_seconds"] = timed(lambda: run_ended.send(sender="benchmark", run_id=run.pk))
            peaks["checks_after_close"] = _peak_rss_mb()
            run.refresh_from_db()
            figures["checks_green"] = bool(run.checks.get("ok"))
            figures["settlements"] = run.settlements_count
            figures["adjustments"] = run.adjustments_count
            figures["warnings"] = run.warnings_count

            selection = list(Item.objects.filter(number__startswith="BM").order_by("number").values_list("number", flat=True))[::10]
            recalculation = services.RunRequest(run_type=ClosingRun.RunType.RECALCULATION, date=history.last_date,
                                                items=selection)
            recalc_run = services.closing_start(request=recalculation, queue=False)
            with run_ends_unannounced():
                figures["recalculation_seconds"] = timed(lambda: run_to_end(recalc_run, workers))
                peaks["recalculation"] = _peak_rss_mb()
                services.closing_reverse(recalculations_from=history.last_date)
                reversals = []
                figures["reversal_seconds"] = timed(lambda: reversals.extend(services.closing_reverse()))
                peaks["reversal"] = _peak_rss_mb()
            figures["checks_after_reversal_seconds"] = timed(
                lambda: run_ended.send(sender="benchmark", run_id=reversals[0].pk))
        except DomainError as error:
            raise CommandError(error.message) from error
        figures["peak_rss_mb"] = _peak_rss_mb()
        # The largest of the worker processes (`--workers` > 1 closes in child processes).
        figures["peak_worker_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
        baseline = figures["baseline_seconds"] or 1e-9
        figures["close_x_baseline"] = round(figures["close_seconds"] / baseline, 1)
        figures["reversal_x_baseline"] = round(figures["reversal_seconds"] / baseline, 1)
        self.stdout.write(json.dumps(figures))
