"""The warehouse item journal and Calculate Whse. Adjustment in the browser: register a quantity
found in a bin, then bring inventory to it."""

import pytest
from playwright.sync_api import expect

from inventory.services.imports import transactions_import
from tests.factories import ItemFactory
from warehouse.models import Bin
from warehouse.services.bins import bin_create, default_bin_set, warehouse_bins_set

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_it_registers_a_bin_quantity_and_posts_the_warehouse_adjustment(logged_in_page, company):
    a1 = bin_create(warehouse=company.warehouse, code="A1")
    bin_create(warehouse=company.warehouse, code="ADJ", kind=Bin.Kind.ADJUSTMENT)
    warehouse_bins_set(warehouse=company.warehouse, bin_mandatory=True)
    widget = ItemFactory(number="WIDGET-9", default_cost_price="3.00")
    default_bin_set(item=widget, bin=a1)
    transactions_import(text="ref,date,item,qty,unit_cost,update\nPO-9,2026-01-10,WIDGET-9,5,3.00,financial\n")
    page = logged_in_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Bins").click()
    page.get_by_role("link", name="Warehouse journals").click()
    page.get_by_label("Kind", exact=True).select_option(label="Warehouse item journal")
    page.get_by_label("Warehouse", exact=True).select_option(label="MAIN/MAIN")
    page.get_by_label("Date", exact=True).fill("2026-01-20")
    page.get_by_role("button", name="New warehouse journal").click()
    expect(page.locator(".messages")).to_contain_text("created")

    page.get_by_label("Item", exact=True).fill("WIDGET-9")
    page.get_by_label("Bin", exact=True).select_option(label="MAIN/MAIN A1")
    page.get_by_label("Quantity", exact=True).fill("2")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#lines tbody tr")).to_contain_text("WIDGET-9")
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#journal-status")).to_have_text("Registered")

    page.get_by_role("link", name="Calculate Whse. Adjustment").click()
    page.get_by_label("Warehouse", exact=True).select_option(label="MAIN/MAIN")
    page.get_by_label("Posting date", exact=True).fill("2026-01-21")
    page.get_by_role("button", name="Calculate").click()
    expect(page.locator(".messages")).to_contain_text("proposes 1 line(s)")
    expect(page.locator("#adjustment-journals tbody tr").first).to_contain_text("WIDGET-9 2")
    page.locator("#adjustment-journals").get_by_role("button", name="Post").click()
    expect(page.locator(".messages")).to_contain_text("the adjustment bin is emptied")

    page.get_by_role("link", name="Bins vs inventory").click()
    row = page.locator("#comparison tbody tr").filter(has_text="WIDGET-9")
    expect(row.locator("td").nth(2)).to_have_text("7")
    expect(row.locator("td").nth(3)).to_have_text("7")
    expect(row.locator("td").nth(6)).to_have_text("yes")


def test_it_uploads_bin_quantities_and_drills_down_from_the_contents_to_the_entries(logged_in_page, company, tmp_path):
    a1 = bin_create(warehouse=company.warehouse, code="A1")
    bin_create(warehouse=company.warehouse, code="ADJ", kind=Bin.Kind.ADJUSTMENT)
    warehouse_bins_set(warehouse=company.warehouse, bin_mandatory=True)
    default_bin_set(item=ItemFactory(number="WIDGET-8", default_cost_price="3.00"), bin=a1)
    transactions_import(text="ref,date,item,qty,unit_cost,update\nPO-8,2026-01-10,WIDGET-8,5,3.00,financial\n")
    sheet = tmp_path / "found.csv"
    sheet.write_text("item,warehouse,bin,qty,lot,serial\nWIDGET-8,MAIN,A1,-7,,\n")
    page = logged_in_page
    page.goto("/warehouse/journals/")

    page.get_by_label("Bin quantities CSV").set_input_files(str(sheet))
    page.get_by_label("Registering date").fill("2026-01-20")
    page.get_by_role("button", name="Register the file").click()
    expect(page.locator(".messages")).to_contain_text("CSV line 2: bin A1 holds 5 of WIDGET-8: 7 cannot be taken out of it")

    sheet.write_text("item,warehouse,bin,qty,lot,serial\nWIDGET-8,MAIN,A1,-2,,\n")
    page.get_by_label("Bin quantities CSV").set_input_files(str(sheet))
    page.get_by_label("Registering date").fill("2026-01-20")
    page.get_by_role("button", name="Register the file").click()
    expect(page.locator(".messages")).to_contain_text("1 line(s) registered in the bins.")

    page.get_by_role("link", name="Bin contents").click()
    row = page.locator("#bin-contents tbody tr").filter(has_text="A1")
    row.get_by_role("link", name="3").click()
    expect(page.locator("#entries tbody tr")).to_have_count(2)
    expect(page.locator("#entries")).to_contain_text("PO-8")
