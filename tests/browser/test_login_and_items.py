"""Signing in, finding your way to the items, and being refused a page your role does not allow."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ItemFactory

pytestmark = pytest.mark.browser


def test_it_signs_in_and_lists_items(logged_in_page):
    ItemFactory(number="WIDGET-42", name="Browser-tested widget")
    page = logged_in_page
    expect(page.get_by_test_id("role")).to_have_text("Inventory accountant")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Items").click()
    expect(page).to_have_url(re.compile(r"/inventory/items/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Items")
    expect(page.locator("table tr", has_text="WIDGET-42")).to_contain_text("Browser-tested widget")


def test_it_refuses_closing_to_a_user_without_a_role(live_server, log_in, company, nora_norole):
    page = log_in(nora_norole)
    expect(page.get_by_test_id("role")).to_have_text("No role")

    response = page.goto("/closing/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator("main")).to_contain_text("Your role (No role) does not allow this page")
