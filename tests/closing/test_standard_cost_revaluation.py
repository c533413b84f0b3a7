"""Standard cost revaluation (docs/domain.md §3.5, issue #17 point 12), as the books read.

The STD item BOLT, standard 10.00, in the company of tests/conftest.py (site MAIN; 1400 inventory,
2100 purchase accrual, 5000 cost of goods sold, 5200 price difference, 5300 cost revaluation):

    | Jan  5 | purchase 5 @ 11.00 (standard 10.00) | 1400 50.00 / 5200 5.00 / 2100 55.00 |
    | Jan 10 | sale 2 at the standard              | 5000 20.00 / 1400 20.00              |
    | Jan 20 | new standard 12.00, 3 on hand        | 1400 6.00 / 5300 6.00                |
    | Jan 25 | sale 1 at the new standard           | 5000 12.00 / 1400 12.00              |
"""

from datetime import date
from decimal import Decimal

import pytest

from closing.models import ClosingRun
from closing.services.revaluation import standard_cost_revalue
from closing.services.reversal import closing_reverse
from common.errors import DomainError
from common.models import AuditEntry
from inventory.models import Item, SourceType
from inventory.services.posting import posting_session
from ledger.models import VoucherLine
from reports.checks import books_check
from tests.factories import ItemFactory

D = Decimal


@pytest.fixture
def bolt(company, ada_accountant):
    item = ItemFactory(number="BOLT", model_group="STD", default_cost_price=D("10.00"))
    with posting_session(user=ada_accountant) as session:
        session.receive(item=item, qty=D("5"), unit_cost=D("11.00"), posting_date=date(2026, 1, 5), site=company.site,
                        warehouse=company.warehouse, source_type=SourceType.PURCHASE, financial=True, ref="P1")
        session.issue(item=item, qty=D("2"), posting_date=date(2026, 1, 10), site=company.site,
                      warehouse=company.warehouse, source_type=SourceType.SALE, financial=True, ref="S1")
    return item


def balance(account: str) -> Decimal:
    return sum((debit - credit for debit, credit in VoucherLine.objects.filter(account__number=account)
                .values_list("debit", "credit")), D("0.00"))


def voucher(run: ClosingRun) -> list[tuple[str, Decimal, Decimal]]:
    return [(line.account.number, line.debit, line.credit)
            for line in VoucherLine.objects.filter(voucher_id=run.voucher_id).select_related("account")
            .order_by("account__number")]


def sell(company, item, qty: str, on: date, ref: str):
    with posting_session() as session:
        return session.issue(item=item, qty=D(qty), posting_date=on, site=company.site, warehouse=company.warehouse,
                             source_type=SourceType.SALE, financial=True, ref=ref)


def test_it_revalues_what_is_on_hand_to_the_new_standard(company, bolt, ada_accountant):
    assert balance("1400") == D("30.00")

    run = standard_cost_revalue(item=bolt, new_standard=D("12.00"), on=date(2026, 1, 20), user=ada_accountant)

    assert (run.run_type, run.status, run.date) == ("standard_cost_revaluation", "ended", date(2026, 1, 20))
    assert voucher(run) == [("1400", D("6.00"), D("0.00")), ("5300", D("0.00"), D("6.00"))]
    assert balance("1400") == D("36.00")
    bolt.refresh_from_db()
    assert bolt.default_cost_price == D("12.00")
    assert sum(bolt.on_hand.values_list("financial_value", flat=True)) == D("36.00")
    entry = AuditEntry.objects.get(action="standard_cost_revaluation.post")
    assert (entry.username, entry.detail["item"], entry.detail["changes"]) == (
        "ada", "BOLT", {"standard_cost": {"from": "10", "to": "12"}})
    # The next sale goes out at the new standard, and the books still tie.
    sale = sell(company, bolt, "1", date(2026, 1, 25), "S2")
    assert sale.cost_amount == D("-12.00")
    assert balance("1400") == D("24.00")
    assert books_check().ok


def test_it_is_reversed_like_an_adjustment_with_the_old_standard_back(company, bolt, ada_accountant):
    run = standard_cost_revalue(item=bolt, new_standard=D("12.00"), on=date(2026, 1, 20), user=ada_accountant)

    [reversal] = closing_reverse(user=ada_accountant, latest_adjustment=True)

    run.refresh_from_db()
    bolt.refresh_from_db()
    assert (run.is_cancelled, reversal.reverses_id) == (True, run.pk)
    assert voucher(reversal) == [("1400", D("0.00"), D("6.00")), ("5300", D("6.00"), D("0.00"))]
    assert (bolt.default_cost_price, balance("1400"), balance("5300")) == (D("10.00"), D("30.00"), D("0.00"))
    assert sum(bolt.on_hand.values_list("financial_value", flat=True)) == D("30.00")
    assert books_check().ok


def test_it_refuses_to_reverse_once_the_item_was_posted_at_the_new_standard(company, bolt, ada_accountant):
    standard_cost_revalue(item=bolt, new_standard=D("12.00"), on=date(2026, 1, 20), user=ada_accountant)
    sell(company, bolt, "1", date(2026, 1, 25), "S2")

    with pytest.raises(DomainError, match="BOLT has transaction S2 posted after standard cost revaluation"):
        closing_reverse(user=ada_accountant, latest_adjustment=True)

    bolt.refresh_from_db()
    assert bolt.default_cost_price == D("12.00")


def test_it_refuses_what_it_cannot_revalue_and_writes_nothing(company, bolt, ada_accountant):
    fifo = ItemFactory(number="NUT", model_group="FIFO", default_cost_price=D("1.00"))
    with posting_session() as session:
        session.receive(item=bolt, qty=D("1"), unit_cost=D("9.00"), posting_date=date(2026, 1, 12), site=company.site,
                        warehouse=company.warehouse, source_type=SourceType.PURCHASE, financial=False, ref="P2")
    cases = {
        "NUT": (fifo, D("2"), date(2026, 1, 20), "only standard-cost items are revalued"),
        "same": (bolt, D("10"), date(2026, 1, 20), "already has the standard cost 10.00"),
        "negative": (bolt, D("-1"), date(2026, 1, 20), "is negative"),
        "decimals": (bolt, D("1.0000001"), date(2026, 1, 20), "more decimals than a cost price keeps"),
        "earlier": (bolt, D("12"), date(2026, 1, 8), "has transaction S1 dated after 2026-01-08"),
        "not invoiced": (bolt, D("12"), date(2026, 1, 20), "posted physically but not invoiced (P2)"),
    }
    for name, (item, standard, on, message) in cases.items():
        with pytest.raises(DomainError) as refused:
            standard_cost_revalue(item=item, new_standard=standard, on=on, user=ada_accountant)
        assert message in refused.value.message, name

    assert not ClosingRun.objects.exists()
    assert Item.objects.get(number="BOLT").default_cost_price == D("10.00")
    assert not AuditEntry.objects.filter(action__startswith="standard_cost").exists()


def test_it_revalues_each_warehouse_at_its_own_quantity(company, ada_accountant):
    from tests.factories import WarehouseFactory

    second = WarehouseFactory(site=company.site, code="SECOND")
    item = ItemFactory(number="PIN", model_group="STD", default_cost_price=D("0.10"))
    with posting_session() as session:
        for warehouse, qty in ((company.warehouse, "7"), (second, "3")):
            session.receive(item=item, qty=D(qty), unit_cost=D("0.10"), posting_date=date(2026, 1, 5),
                            site=company.site, warehouse=warehouse, source_type=SourceType.PURCHASE, financial=True)

    run = standard_cost_revalue(item=item, new_standard=D("0.125"), on=date(2026, 1, 6), user=ada_accountant)

    # 7 x 0.025 = 0.175 -> 0.18 and 3 x 0.025 = 0.075 -> 0.08, each place rounded half-up on its own.
    assert dict(item.on_hand.values_list("warehouse__code", "financial_value")) == {"MAIN": D("0.88"), "SECOND": D("0.38")}
    assert voucher(run) == [("1400", D("0.26"), D("0.00")), ("5300", D("0.00"), D("0.26"))]
    assert books_check().ok
