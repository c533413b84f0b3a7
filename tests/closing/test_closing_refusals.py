"""What the close, the recalculation and the reversal refuse (docs/domain.md §2.4-§2.6), through the commands:
each refusal is a CommandError a user can act on, and leaves the books exactly as they were."""

import pytest

from closing import queue as closing_queue
from ledger.models import FiscalPeriod

CLOSE = "2026-01-31"


@pytest.fixture
def closed_january(books):
    """BOLT's BASE-22 book, closed up to January 31."""
    books.item("BOLT", "FIFO")
    books.base22("BOLT")
    books.close(CLOSE)
    return books.last_run()


def unchanged(books):
    """A check that nothing moved: runs, settlements, adjustments, vouchers, log, and every
    transaction as exported."""
    before = (books.counts(), books.export())
    return lambda: (books.counts(), books.export()) == before


@pytest.mark.parametrize("command", ["close_inventory", "recalculate_inventory"])
@pytest.mark.parametrize("on", ["2026-01-31", "2026-01-15"])
def test_it_refuses_a_date_on_or_before_the_last_close(books, closed_january, command, on):
    nothing_moved = unchanged(books)

    message = books.refused(command, "--date", on, "--wait")

    assert message == f"Inventory is already closed up to 2026-01-31 ({closed_january.number}): choose a date after it."
    assert nothing_moved()


@pytest.mark.parametrize("status, shown", [(FiscalPeriod.Status.CLOSED, "closed"), (FiscalPeriod.Status.ON_HOLD, "on hold")])
@pytest.mark.parametrize("command", ["close_inventory", "recalculate_inventory"])
def test_it_refuses_a_date_in_a_fiscal_period_that_is_not_open(books, command, status, shown):
    books.item("BOLT", "FIFO")
    books.base22("BOLT")
    FiscalPeriod.objects.filter(name="2026-01").update(status=status)
    nothing_moved = unchanged(books)

    message = books.refused(command, "--date", CLOSE, "--wait")

    assert message == f"Fiscal period 2026-01 is {shown}: nothing can be posted on 2026-01-31."
    assert nothing_moved()


def test_it_refuses_a_recalculation_of_an_unknown_item(books):
    books.item("BOLT", "FIFO")
    books.base22("BOLT")
    nothing_moved = unchanged(books)

    message = books.refused("recalculate_inventory", "--date", CLOSE, "--items", "BOLT,NOPE,GONE", "--wait")

    assert message == "Unknown item(s) in the selection: NOPE, GONE."
    assert nothing_moved()


def test_it_refuses_a_recalculation_of_an_unknown_item_group(books):
    books.item("BOLT", "FIFO")
    books.base22("BOLT")
    nothing_moved = unchanged(books)

    message = books.refused("recalculate_inventory", "--date", CLOSE, "--item-groups", "DEFAULT,NOPE", "--wait")

    assert message == "Unknown item group(s) in the selection: NOPE."
    assert nothing_moved()


def test_it_refuses_to_reverse_a_close_a_later_recalculation_was_made_after(books, closed_january):
    books.post("S7,2026-02-10,BOLT,-1,,financial,,,")
    books.recalculate("2026-02-28")
    recalculation = books.last_run()
    nothing_moved = unchanged(books)

    message = books.refused("reverse_closing")

    assert message == f"Recalculation {recalculation.number} was made after close {closed_january.number}: reverse it first."
    assert nothing_moved()
    # Newest first, one at a time: the recalculation, then the close.
    books.reverse("--recalculations-from", "2026-02-01")
    books.reverse()
    closed_january.refresh_from_db()
    assert closed_january.is_cancelled


def test_it_refuses_to_reverse_a_recalculation_a_later_close_was_made_after(books):
    # The close valued January on top of the recalculation: taking the recalculation away alone
    # would leave closed transactions at other values than the close settled them at.
    books.item("BOLT", "FIFO")
    books.base22("BOLT")
    books.recalculate("2026-01-20")
    recalculation = books.last_run()
    books.close(CLOSE)
    close = books.last_run()
    nothing_moved = unchanged(books)

    message = books.refused("reverse_closing", "--recalculations-from", "2026-01-01")

    assert message == f"Close {close.number} was made after recalculation {recalculation.number}: reverse it first."
    assert nothing_moved()
    books.reverse()
    books.reverse("--recalculations-from", "2026-01-01")
    assert books.adjusted("BOLT") == {}


def test_it_refuses_a_second_run_while_one_has_not_finished(books, monkeypatch):
    queued = []
    monkeypatch.setattr(closing_queue, "enqueue", lambda kind, object_id: queued.append((kind, object_id)))
    books.item("BOLT", "FIFO")
    books.base22("BOLT")
    out = books.call("close_inventory", "--date", CLOSE)  # queued for the workers, not run here
    first = books.last_run()
    assert out.startswith(f"Queued {first.number}.")
    assert first.status == "queued"
    nothing_moved = unchanged(books)
    another = f"Another closing or adjustment has not finished yet ({first}). Wait for it, resume it or reverse it."

    assert books.refused("close_inventory", "--date", "2026-02-28", "--wait") == another
    assert books.refused("recalculate_inventory", "--date", "2026-02-28", "--wait") == another
    assert books.refused("reverse_closing") == another
    assert nothing_moved()


def test_it_refuses_posting_on_or_before_the_closed_date_until_the_close_is_reversed(books, closed_january):
    nothing_moved = unchanged(books)

    for on in ("2026-01-31", "2026-01-20"):
        message = books.post_refused(f"S7,{on},BOLT,-1,,financial,,,")
        assert message.splitlines()[0] == "1 bad row(s); nothing was posted."
        assert message.splitlines()[1].endswith(
            f"line 2: Inventory is closed up to 2026-01-31: nothing can be posted on {on}. "
            "Post on a later date or reverse the close.")
    # Invoicing the physical receipt R4 on the closed date is refused the same way.
    assert "Inventory is closed up to 2026-01-31" in books.post_refused("R4,2026-01-31,BOLT,1,25.00,financial,,,")
    assert nothing_moved()

    books.post("S8,2026-02-01,BOLT,-1,,financial,,,")  # after the closed date: fine
    books.reverse()
    books.post("S7,2026-01-31,BOLT,-1,,financial,,,")  # reopened
    assert {"S7", "S8"} <= set(books.export("BOLT"))
