"""Issue #17, point 8: one format on the lists and cards: amounts with thousands separators and two
decimals, quantities without trailing zeros (the stored 1.500000 reads 1.5)."""

from datetime import date
from decimal import Decimal as D

from django.urls import reverse
from factories import ItemFactory

from inventory.models import SourceType
from inventory.services.posting import posting_session


def test_it_shows_amounts_grouped_and_quantities_without_trailing_zeros(audrey_client, company):
    item = ItemFactory(number="WIDGET", model_group="FIFO")
    with posting_session() as session:
        receipt = session.receive(item=item, qty=D("1.5"), unit_cost=D("823.00"), posting_date=date(2026, 1, 5),
                                  site=company.site, warehouse=company.warehouse, source_type=SourceType.PURCHASE,
                                  financial=True)
    voucher = session.vouchers[0]

    listed = audrey_client.get(reverse("inventory:transaction_list")).content.decode()
    card = audrey_client.get(receipt.get_absolute_url()).content.decode()
    item_card = audrey_client.get(reverse("inventory:item_detail", args=[item.number])).content.decode()
    voucher_page = audrey_client.get(voucher.get_absolute_url()).content.decode()

    assert '<td class="num">1.5</td>' in listed and '<td class="num">1,234.50</td>' in listed
    assert "1.500000" not in listed and "1234.50" not in listed
    assert '<strong data-testid="cost-amount">1,234.50</strong>' in card
    assert '<td class="num">1.5</td>' in item_card and "1,234.50" in item_card and "1.500000" not in item_card
    assert '1,234.50</td>' in voucher_page and "1234.50" not in voucher_page
