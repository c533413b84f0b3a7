"""Run numbers (issue #17, point 10): every run draws its number from one sequence (CLS-000002)
and pages show it with its type's prefix (REC-000002). The run list's search finds a run by its
label, its stored number or its digits; a label of another type finds nothing."""

from datetime import date

import pytest
from django.urls import reverse

from closing.models import ClosingRun


@pytest.fixture
def runs(db):
    close = ClosingRun.objects.create(number="CLS-000001", run_type=ClosingRun.RunType.CLOSING, date=date(2026, 1, 31),
                                      status=ClosingRun.Status.ENDED)
    recalculation = ClosingRun.objects.create(number="CLS-000012", run_type=ClosingRun.RunType.RECALCULATION,
                                              date=date(2026, 2, 15), status=ClosingRun.Status.ENDED)
    return close, recalculation


def found(client, value: str) -> list[str]:
    response = client.get(reverse("closing:run_list"), {"number": value})
    assert response.status_code == 200
    return [run.number for run in response.context["table"].data]


@pytest.mark.parametrize(("typed", "expected"), [
    ("REC-000012", ["CLS-000012"]),  # the label the pages show
    ("rec-12", ["CLS-000012"]),
    ("CLS-000012", ["CLS-000012"]),  # the number as stored
    ("12", ["CLS-000012"]),
    ("000012", ["CLS-000012"]),
    ("CLS-1", ["CLS-000001"]),
    ("REC-000001", []),  # the close is not a recalculation
    ("ADJ-000012", []),
    ("2", []),  # digits match whole numbers only
    ("nonsense", []),
    ("", ["CLS-000012", "CLS-000001"]),
])
def test_it_finds_a_run_by_its_label_its_number_or_its_digits(audrey_client, runs, typed, expected):
    assert sorted(found(audrey_client, typed)) == sorted(expected)


def test_it_offers_the_search_on_the_run_list(audrey_client, runs):
    page = audrey_client.get(reverse("closing:run_list")).content.decode()
    assert '<label for="id_number">Run number</label>' in page
