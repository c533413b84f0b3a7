"""Items › New item and Items › item › Edit (issue #17, point 12), the items import's permissions and
standard cost (issue #16, point 9), and the admin's item edits through the services, audited with
the values before and after (issue #16, point 12). Ada keeps items; Carl the clerk may not."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from common.models import AuditEntry
from inventory.models import ImportJob, Item, SourceType
from inventory.services.imports import items_import
from inventory.services.posting import posting_session
from tests.factories import ItemFactory

D = Decimal


def form(company, **changes) -> dict:
    return {"number": "BOLT-M6", "name": "Bolt M6", "unit": "pcs", "item_type": "item",
            "item_group": company.item_group.pk, "model_group": company.model_groups["FIFO"].pk,
            "default_cost_price": "0.12", "tracking": "none", **changes}


def receive(company, item, qty="2", cost="10.00"):
    with posting_session() as session:
        session.receive(item=item, qty=D(qty), unit_cost=D(cost), posting_date=date(2026, 1, 5), site=company.site,
                        warehouse=company.warehouse, source_type=SourceType.PURCHASE, financial=True)


def test_it_lets_an_accountant_create_an_item_audited(company, ada_client):
    response = ada_client.post(reverse("inventory:item_new"), form(company))

    item = Item.objects.get(number="BOLT-M6")
    assert (response.status_code, response["Location"]) == (302, item.get_absolute_url())
    entry = AuditEntry.objects.get(action="item.create")
    assert (entry.username, entry.object_type, entry.object_id) == ("ada", "inventory.Item", "BOLT-M6")
    assert entry.detail["changes"]["name"] == {"from": "", "to": "Bolt M6"}
    assert entry.detail["changes"]["model_group"] == {"from": "", "to": "FIFO"}


def test_it_keeps_what_was_typed_and_names_the_field_of_a_refusal(company, ada_client):
    response = ada_client.post(reverse("inventory:item_new"),
                               form(company, number="A/B", model_group=company.model_groups["STD"].pk,
                                    default_cost_price="0"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "may contain only letters, digits" in page
    assert 'value="Bolt M6"' in page
    assert not Item.objects.filter(name="Bolt M6").exists()
    fixed = ada_client.post(reverse("inventory:item_new"),
                            form(company, model_group=company.model_groups["STD"].pk, default_cost_price="0"))
    assert "uses standard cost: enter its standard cost" in fixed.content.decode()
    assert list(AuditEntry.objects.exclude(action="company.bootstrap").values_list("action", "detail")) == []


def test_it_locks_the_model_group_once_the_item_has_transactions(company, ada_client):
    item = ItemFactory(number="WIDGET", name="Widget", model_group="FIFO", default_cost_price=D("10"))
    url = reverse("inventory:item_edit", args=[item.number])
    assert 'name="model_group"' in ada_client.get(url).content.decode()
    receive(company, item)

    page = ada_client.get(url).content.decode()
    # Shown but disabled: a tampered POST cannot move it either.
    response = ada_client.post(url, form(company, number="WIDGET", name="Blue widget",
                                         model_group=company.model_groups["LIFO"].pk, default_cost_price="11"))

    assert "Locked: the item has transactions." in page and "disabled" in page
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.name, item.model_group.code, item.default_cost_price) == ("Blue widget", "FIFO", D("11"))
    entry = AuditEntry.objects.get(action="item.change")
    assert entry.detail["changes"] == {"name": {"from": "Widget", "to": "Blue widget"},
                                       "default_cost_price": {"from": "10", "to": "11"}}


def test_it_sends_a_standard_cost_change_to_the_revaluation(company, ada_client):
    item = ItemFactory(number="BOLT", model_group="STD", default_cost_price=D("10"))
    receive(company, item)
    url = reverse("inventory:item_edit", args=[item.number])

    page = ada_client.get(url).content.decode()
    ada_client.post(url, form(company, number="BOLT", model_group=company.model_groups["STD"].pk,
                              default_cost_price="12"))

    assert "Changed only by a standard cost revaluation" in page
    assert reverse("closing:revalue_standard_cost", args=["BOLT"]) in page
    item.refresh_from_db()
    assert item.default_cost_price == D("10")


def test_it_posts_a_revaluation_from_the_item_page(company, ada_client):
    item = ItemFactory(number="BOLT", model_group="STD", default_cost_price=D("10"))
    receive(company, item, qty="3")
    url = reverse("closing:revalue_standard_cost", args=[item.number])

    refused = ada_client.post(url, {"new_standard": "12", "date": "2026-01-02", "specification": "total"})
    posted = ada_client.post(url, {"new_standard": "12", "date": "2026-01-20", "specification": "total"})

    assert "has transaction" in refused.content.decode() and "dated after 2026-01-02" in refused.content.decode()
    assert 'value="12"' in refused.content.decode()
    assert posted.status_code == 302
    item.refresh_from_db()
    assert item.default_cost_price == D("12")
    assert sum(item.on_hand.values_list("financial_value", flat=True)) == D("36.00")


def test_it_forbids_items_to_a_clerk(company, carl_client):
    item = ItemFactory(number="WIDGET")

    assert carl_client.post(reverse("inventory:item_new"), form(company)).status_code == 403
    assert carl_client.post(reverse("inventory:item_edit", args=[item.number]), form(company)).status_code == 403
    assert not Item.objects.filter(number="BOLT-M6").exists()


def test_it_refuses_the_items_import_to_a_clerk(company, carl_client, ada_client, settings, tmp_path):
    settings.FILES_DIR = tmp_path
    body = b"item,name,item_group,model_group,unit_cost\nNEW-1,New,DEFAULT,FIFO,1.00\n"

    refused = carl_client.post(reverse("inventory:import"),
                               {"kind": "items", "file": SimpleUploadedFile("items.csv", body)})
    accepted = ada_client.post(reverse("inventory:import"),
                               {"kind": "items", "file": SimpleUploadedFile("items.csv", body)})

    assert refused.status_code == 403 and ImportJob.objects.filter(kind="items").count() == 1
    assert accepted.status_code == 302


def test_it_refuses_a_standard_cost_change_by_import_and_audits_other_changes(company, ada_accountant):
    bolt = ItemFactory(number="BOLT", name="Bolt", model_group="STD", default_cost_price=D("10"))
    ItemFactory(number="NUT", name="Nut", model_group="FIFO", default_cost_price=D("1"))
    receive(company, bolt)

    refused = items_import(text="item,name,item_group,model_group,unit_cost\nBOLT,Bolt,DEFAULT,STD,12\n",
                           user=ada_accountant)
    changed = items_import(text="item,name,item_group,model_group,unit_cost\nBOLT,Hex bolt,DEFAULT,STD,10\n"
                                "NUT,Nut,DEFAULT,FIFO,1.50\n", user=ada_accountant)

    assert "changes only through a standard cost revaluation" in refused.errors[0][1]
    assert changed.posted == 2
    assert Item.objects.get(number="BOLT").default_cost_price == D("10")
    entries = {entry.object_id: entry.detail["changes"] for entry in AuditEntry.objects.filter(action="item.change")}
    assert entries == {"BOLT": {"name": {"from": "Bolt", "to": "Hex bolt"}},
                       "NUT": {"default_cost_price": {"from": "1", "to": "1.5"}}}


@pytest.fixture
def admin_client(client, sam_staff):
    client.force_login(sam_staff)
    return client


def test_it_saves_admin_item_edits_through_the_service_audited(company, admin_client):
    item = ItemFactory(number="BOLT", name="Bolt", model_group="STD", default_cost_price=D("10"))
    receive(company, item)
    url = reverse("admin:inventory_item_change", args=[item.pk])
    data = {"number": "BOLT", "name": "Hex bolt", "unit": "pcs", "item_type": "item", "item_group": company.item_group.pk,
            "model_group": company.model_groups["STD"].pk, "default_cost_price": "10", "tracking": "none"}

    refused = admin_client.post(url, {**data, "default_cost_price": "12", "model_group": company.model_groups["FIFO"].pk})
    saved = admin_client.post(url, data)

    assert refused.status_code == 200
    assert "changes only through a standard cost revaluation" in refused.content.decode()
    assert "its model group is locked" in refused.content.decode()
    assert saved.status_code == 302
    entry = AuditEntry.objects.get(action="item.change")
    assert (entry.username, entry.detail["changes"]) == ("sam", {"name": {"from": "Bolt", "to": "Hex bolt"}})


def test_it_audits_admin_edits_of_groups_periods_sequences_and_parameters(company, admin_client):
    from closing.models import InventoryParameters
    from common.models import NumberSequence
    from common.numbering import number_next
    from ledger.models import FiscalPeriod

    group = company.item_group
    number_next(code="voucher")
    number_next(code="voucher")
    sequence = NumberSequence.objects.get(code="voucher")
    period = FiscalPeriod.objects.order_by("start_date").first()
    accounts = {name: getattr(group, f"{name}_id") for name in (
        "inventory_receipt_account", "inventory_issue_account", "cogs_account", "purchase_accrual_account",
        "packing_slip_offset_account", "inventory_profit_account", "inventory_loss_account",
        "price_difference_account", "cost_revaluation_account")}

    admin_client.post(reverse("admin:inventory_itemgroup_change", args=[group.pk]),
                      {"code": "DEFAULT", "name": "Default goods", **accounts})
    admin_client.post(reverse("admin:ledger_fiscalperiod_change", args=[period.pk]),
                      {"name": period.name, "start_date": period.start_date, "end_date": period.end_date,
                       "status": "on_hold"})
    back = admin_client.post(reverse("admin:common_numbersequence_change", args=[sequence.pk]),
                             {"code": "voucher", "prefix": sequence.prefix, "next_value": "1", "width": "6"})
    admin_client.post(reverse("admin:closing_inventoryparameters_change", args=[1]),
                      {"storno_for_adjustments": "on", "default_specification": "total", "default_min_adjustment": "0",
                       "items_per_bundle": "200", "max_iterations": "100"})

    assert "the next number cannot go back" in back.content.decode()
    assert NumberSequence.objects.get(code="voucher").next_value == 3
    changes = {entry.action: entry.detail["changes"] for entry in AuditEntry.objects.exclude(action="company.bootstrap")}
    assert changes == {
        "item_group.change": {"name": {"from": group.name, "to": "Default goods"}},
        "fiscal_period.change": {"status": {"from": "open", "to": "on_hold"}},
        "parameters.change": {"storno_for_adjustments": {"from": "False", "to": "True"}},
    }
    assert InventoryParameters.load().storno_for_adjustments
