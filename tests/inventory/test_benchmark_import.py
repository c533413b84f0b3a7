"""The import benchmark (docs/benchmarks.md, import) on a few rows: it posts its whole generated file
and tells a repeated run on the same database to take another seed."""

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from inventory.models import InventoryTransaction


def test_it_posts_the_file_it_generates_and_refuses_to_repeat_a_seed(company, tmp_path):
    out, kept = StringIO(), tmp_path / "transactions.csv"

    call_command("benchmark_import", rows=60, items=5, seed=3, keep=kept, stdout=out)

    figures = json.loads(out.getvalue().splitlines()[-1])
    with kept.open() as source:
        refs = [row["ref"] for row in csv.DictReader(source)]
    assert figures["rows"] == figures["file_rows"] == len(refs) >= 60  # every row, invoices included
    assert InventoryTransaction.objects.filter(ref__in=refs).count() == len(set(refs))
    with pytest.raises(CommandError, match="already holds the run of --seed 3"):
        call_command("benchmark_import", rows=60, items=5, seed=3, stdout=StringIO())



@pytest.mark.django_db(transaction=True)
def test_the_write_floor_is_timed_in_a_transaction_that_leaves_the_books_as_they_were(company, tmp_path):
    from django.db import connection
    from django.db.models import Sum

    from ledger.models import VoucherLine

    if connection.vendor != "postgresql":
        pytest.skip("the floor is timed with PostgreSQL's COPY")
    earlier, kept = tmp_path / "earlier.csv", tmp_path / "transactions.csv"
    call_command("benchmark_import", rows=40, items=3, seed=3, keep=earlier, stdout=StringIO())
    out = StringIO()

    call_command("benchmark_import", rows=60, items=5, seed=4, keep=kept, floor=True, stdout=out)

    figures = json.loads(out.getvalue().splitlines()[-1])
    assert figures["floor_seconds"] > 0 and figures["floor_ratio_to_copy"] > 0
    # The floor empties the tables and writes this run's rows back, then rolls back: the earlier
    # run's transactions and lines are still there, and every voucher still balances.
    for path in (earlier, kept):
        with path.open() as source:
            refs = {row["ref"] for row in csv.DictReader(source)}
        assert InventoryTransaction.objects.filter(ref__in=refs).count() == len(refs)
        lines = VoucherLine.objects.filter(inventory_transaction__ref__in=refs)
        totals = lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
        assert lines.count() > 0 and totals["debit"] == totals["credit"]
