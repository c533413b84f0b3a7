"""A reversal as a job (issue #14, point 5): queued under the closing lock, performed by
closing.jobs.reverse on a worker, with the books ending as the in-process reversal leaves them."""

from decimal import Decimal

import pytest

from closing import jobs, services
from closing import queue as closing_queue
from closing.models import ClosingRun
from common.errors import DomainError
from common.models import AuditEntry

D = Decimal
BOOK = """
    R1,2026-01-02,WIDGET,2,10.00,financial,,,
    R2,2026-01-03,WIDGET,2,20.00,financial,,,
    S1,2026-01-04,WIDGET,-3,,financial,,,
"""


@pytest.fixture
def closed(books) -> ClosingRun:
    books.item("WIDGET", "FIFO", unit_cost="4.00")
    books.post(BOOK)
    books.close("2026-01-31")
    return books.last_run()


@pytest.fixture
def queued(monkeypatch) -> list[tuple[str, int]]:
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(closing_queue, "enqueue", lambda kind, object_id: calls.append((kind, object_id)))
    return calls


def books_now(books) -> tuple:
    return (books.export(), books.settlements(), books.balance("1400"), books.balance("5000"), books.on_hand_value("WIDGET"))


@pytest.mark.parametrize("how", ["here", "job"])
def test_it_ends_the_reversal_with_the_same_books_here_and_as_a_job(books, company, how, queued,
                                                                     django_capture_on_commit_callbacks):
    books.item("WIDGET", "FIFO", unit_cost="4.00")
    books.post(BOOK)
    before = books_now(books)
    books.close("2026-01-31")
    close = books.last_run()

    if how == "here":
        [reversal] = services.closing_reverse()
    else:
        with django_capture_on_commit_callbacks(execute=True):
            queued_run = services.reversal_queue()
        assert (queued_run.status, queued) == ("queued", [("reverse", queued_run.pk)])
        jobs.reverse(queued_run.pk)
        reversal = ClosingRun.objects.get(pk=queued_run.pk)

    close.refresh_from_db()
    assert (reversal.status, reversal.phase, reversal.reverses_id) == ("ended", "ended", close.pk)
    assert (close.status, close.is_cancelled) == ("cancelled", True)
    assert books_now(books) == before
    # The close made S1 5.00 cheaper (1400 debit, 5000 credit); its reversal takes that back.
    assert books.voucher_lines(reversal) == [("1400", D("0.00"), D("5.00"), False), ("5000", D("5.00"), D("0.00"), False)]


def test_it_does_nothing_when_the_job_is_delivered_twice(closed, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reversal = services.reversal_queue()
    jobs.reverse(reversal.pk)
    ended = ClosingRun.objects.get(pk=reversal.pk)
    audits = AuditEntry.objects.count()

    jobs.reverse(reversal.pk)

    again = ClosingRun.objects.get(pk=reversal.pk)
    assert (again.status, again.ended_at, again.voucher_id) == ("ended", ended.ended_at, ended.voucher_id)
    assert ClosingRun.objects.filter(run_type="reversal").count() == 1
    assert AuditEntry.objects.count() == audits


def test_it_refuses_a_second_reversal_while_one_is_queued(closed, queued):
    services.reversal_queue()

    with pytest.raises(DomainError, match="Another closing or adjustment has not finished yet"):
        services.reversal_queue()


def test_it_leaves_nothing_queued_when_redis_is_away(closed, monkeypatch, django_capture_on_commit_callbacks):
    def away(kind, object_id):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    monkeypatch.setattr(closing_queue, "enqueue", away)

    with pytest.raises(DomainError, match=r"The job queue \(Redis\) cannot be reached, so the reversal was not queued "
                                          r"\(Error 111 connecting"):
        with django_capture_on_commit_callbacks(execute=True):
            services.reversal_queue()

    assert not ClosingRun.objects.filter(run_type="reversal").exists()
    closed.refresh_from_db()
    assert (closed.status, closed.is_cancelled) == ("ended", False)


def test_it_fails_the_run_with_the_error_and_resume_queues_it_again(closed, queued, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    reversal = services.reversal_queue(queue=False)
    monkeypatch.setattr("closing.services.reversal.undo_run", lambda run_id: (_ for _ in ()).throw(RuntimeError("disk full")))

    with pytest.raises(RuntimeError):
        jobs.reverse(reversal.pk)

    reversal.refresh_from_db()
    closed.refresh_from_db()
    assert (reversal.status, reversal.error, closed.status) == ("failed", "disk full", "ended")
    monkeypatch.undo()
    monkeypatch.setattr(closing_queue, "enqueue", lambda kind, object_id: queued.append((kind, object_id)))
    with django_capture_on_commit_callbacks(execute=True):
        services.closing_resume(run_id=reversal.pk)
    assert queued == [("reverse", reversal.pk)]
    jobs.reverse(reversal.pk)
    reversal.refresh_from_db()
    assert reversal.status == "ended"


def test_it_refuses_to_take_a_run_off_an_on_hand_cache_that_lost_its_row(closed, books):
    """The cached on-hand value the run adjusted must be there to take its adjustment back: a
    missing row fails the reversal, on either database, and leaves the books as they were."""
    from inventory.models import OnHand

    assert closed.adjustments_count > 0
    OnHand.objects.filter(item__number="WIDGET").delete()
    before = (books.export(), books.settlements(), books.balance("1400"))

    with pytest.raises(RuntimeError, match="WIDGET has transactions in .* but no on-hand row there"):
        services.closing_reverse()

    closed.refresh_from_db()
    assert (closed.status, closed.is_cancelled) == ("ended", False)
    assert (books.export(), books.settlements(), books.balance("1400")) == before
