"""Issue #17, point 1: an amount that is really not posted. With include physical value, a
physical-only issue is adjusted by the close, but its model group does not post physical
inventory, so its adjustment reaches no voucher: the preview and the close summary show it on the
"of which not posted" line, and what is left ties to the voucher to the cent."""

from decimal import Decimal as D

from django.db.models import Sum
from django.urls import reverse

from inventory.models import ItemModelGroup
from tests.closing.test_closing_views import DIALOGS, text

# R2 is received physically only and counts in the cost (include physical value): S1, issued
# physically only, is adjusted by -5.00 (not posted) and S2, invoiced, by +5.00 (posted).
BOOK = """
    R1,2026-01-02,WIDGET,2,10.00,financial,,,
    R2,2026-01-03,WIDGET,2,20.00,physical,,,
    S1,2026-01-04,WIDGET,-3,,physical,,,
    S2,2026-01-05,WIDGET,-1,,financial,,,
"""


def test_it_shows_the_amount_no_voucher_carries_and_ties_the_rest_to_the_voucher(books, ada_client):
    ItemModelGroup.objects.filter(code="FIFO").update(include_physical_value=True, post_physical_inventory=False)
    books.item("WIDGET", "FIFO", unit_cost="4.00")
    books.post(BOOK)

    response = ada_client.post(DIALOGS["close"], {"date": "2026-01-31", "specification": "total", "action": "preview"})
    preview, page = response.context["preview"], text(response)
    books.close("2026-01-31")
    run = books.last_run()
    inventory = run.voucher.lines.filter(account__number="1400").aggregate(debit=Sum("debit"), credit=Sum("credit"))
    on_voucher = (inventory["debit"] or D(0)) - (inventory["credit"] or D(0))
    summary = text(ada_client.get(reverse("reports:close_summary", args=[run.pk])))

    assert on_voucher == D("5.00")  # S2's adjustment only
    assert (preview.change_total, preview.not_posted_total, preview.posted_total) == (D("0.00"), D("-5.00"), D("5.00"))
    assert ('<tr class="not-posted"><td class="indent">of which not posted <span class="muted">(physical-only, no '
            'ledger posting)</span></td><td class="num">-5.00</td></tr>') in page
    assert 'data-testid="preview-not-posted-total">-5.00<' in page
    assert 'data-testid="preview-posted-total">+5.00<' in page and 'data-testid="preview-debit-total">5.00<' in page
    assert 'data-testid="value-change-total">0.00<' in summary
    assert 'data-testid="not-posted-total">-5.00<' in summary
    assert 'data-testid="posted-total">+5.00<' in summary
    assert '<td class="indent" colspan="3">of which not posted <span class="muted">(physical-only, or update ledger ' \
           'off)</span></td><td class="num">-5.00</td>' in summary
