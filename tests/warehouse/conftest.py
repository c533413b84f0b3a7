"""The warehouse MAIN of the standard company with bins: storage bins A1 and A2 and the adjustment
bin ADJ, bins mandatory. Items are made by the tests (tests/factories.py)."""

from types import SimpleNamespace

import pytest

from warehouse.models import Bin
from warehouse.services.bins import bin_create, warehouse_bins_set


@pytest.fixture
def bins(company) -> SimpleNamespace:
    a1 = bin_create(warehouse=company.warehouse, code="A1", description="Aisle A, shelf 1")
    a2 = bin_create(warehouse=company.warehouse, code="A2")
    adjustment = bin_create(warehouse=company.warehouse, code="ADJ", kind=Bin.Kind.ADJUSTMENT)
    warehouse_bins_set(warehouse=company.warehouse, bin_mandatory=True)
    return SimpleNamespace(a1=a1, a2=a2, adjustment=adjustment, warehouse=company.warehouse, site=company.site)
