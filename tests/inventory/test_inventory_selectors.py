"""The item page's running average is the price the next issue is posted at (docs/domain.md §1.1)."""

from datetime import date
from decimal import Decimal

import pytest
from factories import ItemFactory

from inventory.models import SourceType
from inventory.selectors import item_cost_dimensions
from inventory.services.posting import posting_session

D = Decimal


def post(company, item, *, qty, unit_cost=None, financial=True):
    with posting_session() as session:
        common = dict(item=item, qty=D(qty), posting_date=date(2026, 1, 5), site=company.site,
                      warehouse=company.warehouse, financial=financial)
        if unit_cost is None:
            return session.issue(source_type=SourceType.SALE, **common)
        return session.receive(unit_cost=D(unit_cost), source_type=SourceType.PURCHASE, **common)


def shown_average(item) -> Decimal:
    [row] = item_cost_dimensions(item=item)
    return row["running_average"]


@pytest.mark.parametrize(("model_group", "expected"), [
    ("FIFO", D("7.00")),  # physical receipts do not count without IPV: the default cost price
    ("FIFO-IPV", D("10.00")),
    ("MOVAVG", D("10.00")),  # moving average always counts physical receipts
    ("STD", D("7.00")),  # standard cost is the standard, whatever was received
])
def test_it_shows_the_price_the_next_issue_is_posted_at(company, model_group, expected):
    item = ItemFactory(model_group=model_group, default_cost_price=D("7.00"))
    post(company, item, qty="2", unit_cost="10.00", financial=False)

    assert shown_average(item) == expected
    assert post(company, item, qty="1").cost_amount_posted == -expected


def test_it_shows_a_zero_average_for_stock_received_free(company):
    item = ItemFactory(model_group="FIFO", default_cost_price=D("3.00"))
    post(company, item, qty="5", unit_cost="0")

    assert shown_average(item) == D("0")
    assert post(company, item, qty="1").cost_amount_posted == D("0.00")


def test_it_shows_the_running_average_on_the_item_page(company, audrey_client):
    item = ItemFactory(model_group="FIFO-IPV")
    post(company, item, qty="2", unit_cost="10.00", financial=False)
    post(company, item, qty="1", unit_cost="11.00")

    page = audrey_client.get(item.get_absolute_url())

    assert page.status_code == 200
    assert '<td class="num" data-testid="running-average">10.33</td>' in page.content.decode()
