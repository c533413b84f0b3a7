"""benchmark_reports on a small generated history: the history's posting vouchers agree with the
transactions, and every report page the command times answers 200 (the command refuses otherwise)."""

import json
from datetime import date
from io import StringIO

from django.core.management import call_command

from closing.benchmark import history_generate
from reports.checks import books_check
from reports.selectors import reconciliation

CLOSE = date(2025, 12, 31)


def test_the_generated_history_carries_its_posting_vouchers(company):
    history_generate(transactions=600, items=12, close_date=CLOSE, seed=3)

    assert books_check().ok
    account = next(row for row in reconciliation(as_of=None).accounts if row["account"].number == "1400")
    assert account["subledger"] == account["ledger"] != 0


def test_it_times_every_report_page_after_closing(company):
    history_generate(transactions=600, items=12, close_date=CLOSE, seed=3)
    out, err = StringIO(), StringIO()

    call_command("benchmark_reports", "--close-date", CLOSE.isoformat(), "--workers", "1", "--repeat", "1",
                 stdout=out, stderr=err)

    figures = json.loads(out.getvalue())
    assert "setup_close_seconds" in figures  # no close was active: the command made one
    assert {"reconciliation_details_account", "account_statement_all", "close_summary", "book_checks",
            "book_check_detail"} <= set(figures["seconds"])
    assert figures["book_check_ok"] is True and figures["book_check_on_worker_seconds"] > 0
    assert "account_statement_all" in err.getvalue()
