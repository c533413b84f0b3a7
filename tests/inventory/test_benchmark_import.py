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
