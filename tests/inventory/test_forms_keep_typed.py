"""Issue #17, point 7: counting's calculation keeps its selection, and a refused calculation or
parameters form keeps what was typed with each error next to its field."""

from django.urls import reverse
from factories import ItemFactory

from inventory.services.counting import counting_journal_create


def test_the_calculation_keeps_its_selection_and_a_refused_one_what_was_typed(carl_client, company):
    ItemFactory(number="WIDGET", model_group="FIFO")
    journal = counting_journal_create(description="Count")
    url = reverse("inventory:journal_calculate", args=[journal.number])

    carl_client.post(url, {"date": "2026-01-20", "item_group": company.item_group.pk, "site": company.site.pk,
                           "warehouse": company.warehouse.pk})
    kept = carl_client.get(journal.get_absolute_url()).content.decode()
    carl_client.post(url, {"date": "2026-13-45", "item": "WIDGET", "tracking_number": "LOT-9"})
    refused = carl_client.get(journal.get_absolute_url()).content.decode()

    assert f'<option value="{company.item_group.pk}" selected>' in kept
    assert f'<option value="{company.site.pk}" selected>' in kept
    assert f'<option value="{company.warehouse.pk}" selected>' in kept
    assert 'value="2026-01-20"' in kept
    assert 'id="calculate-date-errors"' in refused and "Count as of: Enter a valid date." in refused
    assert 'value="2026-13-45"' in refused and 'value="LOT-9"' in refused and 'value="WIDGET"' in refused


def test_the_parameters_form_keeps_what_was_typed_with_each_error_next_to_its_field(ada_client, company):
    response = ada_client.post(reverse("closing:parameters"), {
        "default_specification": "total", "default_min_adjustment": "abc", "items_per_bundle": "0",
        "max_iterations": "7"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_items_per_bundle-errors"' in html and 'id="id_default_min_adjustment-errors"' in html
    assert 'name="default_min_adjustment" value="abc"' in html
    assert 'name="max_iterations" value="7"' in html
