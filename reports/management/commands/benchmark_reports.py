"""Time every report page, as a signed-in auditor would open it, on the data set `benchmark_close`
leaves behind (issue #7: every report answers in under 2 s on the 1M-transaction data set).

Each page is requested through Django's test client (URL routing, permissions, the selectors and the
template, first page of its table), twice; the faster of the two counts, so a cold cache does not
decide. The book checks, which the page queues for a worker, are timed as the worker runs them. The
figures are printed as one JSON line."""

import json
import time
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.test import Client, override_settings
from django.urls import reverse

from closing import services
from closing.benchmark import run_to_end, timed
from closing.models import ClosingRun
from closing.selectors import latest_close
from closing.signals import run_ends_unannounced
from common.errors import DomainError
from config.roles import AUDITOR
from inventory.models import InventoryTransaction, Item, ItemGroup
from ledger.models import MainAccount
from reports.models import BookCheck
from reports.services import book_check_perform, book_check_request

TARGET_SECONDS = 2.0
USERNAME = "benchmark-auditor"


class Command(BaseCommand):
    help = ("Time every report page on the current data (after benchmark_close): closes first when no close is "
            "active, then prints one JSON line of seconds per page, best of two requests.")

    def add_arguments(self, parser):
        parser.add_argument("--close-date", type=date.fromisoformat, default=date(2025, 12, 31),
                            help="Close up to this date first when no close is active (default: benchmark_close's).")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--repeat", type=int, default=2, help="Requests per page; the fastest counts.")

    def handle(self, *args, **options):
        if not InventoryTransaction.objects.exists():
            raise CommandError("There are no transactions: run benchmark_close on this database first.")
        figures: dict = {"transactions": InventoryTransaction.objects.count()}
        close = latest_close()
        if close is None:
            figures["setup_close_seconds"] = timed(lambda: self._close(options["close_date"], options["workers"]))
            close = latest_close()
        client = self._client()
        # The book checks run on a worker (the page queues them and follows them): timed here as
        # the worker runs them, apart from the pages; the pages then show this check.
        check = book_check_request(as_of=None, user=None, queue=False)
        if check.status != BookCheck.Status.QUEUED:
            raise CommandError(f"Book check {check.pk} is running on a worker: wait for it to end, then run this again.")
        figures["book_check_on_worker_seconds"] = timed(lambda: book_check_perform(check_id=check.pk))
        figures["book_check_ok"] = BookCheck.objects.get(pk=check.pk).ok
        pages = self._pages(close, check)
        seconds = {}
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
            for name, url in pages.items():
                seconds[name] = min(self._request(client, name, url) for _ in range(options["repeat"]))
                self.stderr.write(f"{name:<40} {seconds[name]:6.2f} s  {url}")
        figures["seconds"] = seconds
        figures["slowest"] = max(seconds, key=seconds.get)
        figures["all_under_target"] = all(value < TARGET_SECONDS for value in seconds.values())
        self.stdout.write(json.dumps(figures))

    @staticmethod
    def _close(on: date, workers: int) -> None:
        try:
            run = services.closing_start(request=services.RunRequest(run_type=ClosingRun.RunType.CLOSING, date=on), queue=False)
            with run_ends_unannounced():  # the checks are timed as a page below, not here
                run_to_end(run, workers)
        except DomainError as error:
            raise CommandError(error.message) from error

    @staticmethod
    def _client() -> Client:
        user, _ = get_user_model().objects.get_or_create(username=USERNAME, defaults={"first_name": "Benchmark"})
        user.groups.add(Group.objects.get(name=AUDITOR))
        client = Client()
        client.force_login(user)
        return client

    @staticmethod
    def _pages(close: ClosingRun, check: BookCheck) -> dict[str, str]:
        inventory = MainAccount.objects.get(number="1400")
        group = ItemGroup.objects.order_by("code").first()
        item = Item.objects.filter(number__startswith="BM").order_by("number").first() or Item.objects.order_by("number").first()
        close_date = close.date.isoformat()
        mid_year = close.date.replace(month=6, day=30).isoformat()
        month_start = close.date.replace(day=1).isoformat()
        year_start = close.date.replace(month=1, day=1).isoformat()
        return {
            "inventory_value_today": reverse("reports:inventory_value"),
            "inventory_value_at_close": f"{reverse('reports:inventory_value')}?as_of={close_date}",
            "inventory_value_mid_year": f"{reverse('reports:inventory_value')}?as_of={mid_year}",
            "inventory_value_drill_down": f"{reverse('reports:inventory_value_transactions')}?item={item.number}",
            "reconciliation_today": reverse("reports:reconciliation"),
            "reconciliation_at_close": f"{reverse('reports:reconciliation')}?as_of={close_date}",
            "reconciliation_details_account": f"{reverse('reports:reconciliation_details')}?account={inventory.pk}",
            "reconciliation_details_item_group":
                f"{reverse('reports:reconciliation_details')}?account={inventory.pk}&item_group={group.pk}",
            "trial_balance_year": f"{reverse('ledger:trial_balance')}?date_from={year_start}&date_to={close_date}",
            "account_statement_all": reverse("ledger:account_statement", args=[inventory.pk]),
            "account_statement_month":
                f"{reverse('ledger:account_statement', args=[inventory.pk])}?date_from={month_start}&date_to={close_date}",
            "close_summary": reverse("reports:close_summary", args=[close.pk]),
            "item_with_cost_history": reverse("inventory:item_detail", args=[item.number]),
            "book_checks": reverse("reports:book_checks"),
            "book_check_detail": check.get_absolute_url(),
            "closing_and_adjustment": reverse("closing:run_list"),
            "run_detail": reverse("closing:run_detail", args=[close.pk]),
            "run_settlements": reverse("closing:run_settlements", args=[close.pk]),
            "transactions": reverse("inventory:transaction_list"),
            "vouchers": reverse("ledger:voucher_list"),
        }

    @classmethod
    def _request(cls, client: Client, name: str, url: str) -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = round(time.perf_counter() - started, 2)
        if response.status_code != 200:
            raise CommandError(f"{name}: {url} answered {response.status_code}.")
        return elapsed
