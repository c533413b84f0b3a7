"""Postings and a close exclude each other (the import/close race): a posting open when a close is
started makes the start refuse, with nothing written; a posting that waits while a close is being
started sees the close once it goes on, and is refused for the dates it closed. Both ways on
PostgreSQL, with real concurrent transactions (one connection per thread)."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from closing.models import ClosingRun
from closing.services import RunRequest, closing_start
from closing.services import runs as run_services
from common.errors import DomainError
from inventory.models import Item, Site, SourceType, Warehouse
from inventory.services.posting import posting_session

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]

CLOSE = RunRequest(run_type=ClosingRun.RunType.CLOSING, date=date(2026, 1, 31))


def sell(ref: str, on: date, *, inside: threading.Event | None = None, release: threading.Event | None = None,
         errors: list | None = None) -> None:
    """Post one sale of A in its own transaction, on this thread's own connection; with `inside`
    and `release`, hold the posting open (posted, not committed) until released."""
    try:
        with posting_session() as session:
            session.issue(item=Item.objects.get(number="A"), qty=Decimal("2"), posting_date=on,
                          site=Site.objects.get(code="MAIN"), warehouse=Warehouse.objects.get(code="MAIN"),
                          source_type=SourceType.SALE, financial=True, ref=ref)
            if inside is not None:
                inside.set()
                assert release.wait(30)
    except DomainError as error:
        if errors is None:
            raise
        errors.append(error.message)
    finally:
        connection.close()


def test_it_refuses_to_start_a_close_while_a_posting_is_open_and_closes_it_once_posted(books):
    books.items("A,Widget,DEFAULT,FIFO,")
    books.post("R1,2026-01-05,A,10,10.00,financial\nR2,2026-01-06,A,10,14.00,financial")
    inside, release = threading.Event(), threading.Event()
    importing = threading.Thread(target=sell, args=("S1", date(2026, 1, 20)), kwargs={"inside": inside, "release": release})
    importing.start()
    try:
        assert inside.wait(30)
        with pytest.raises(DomainError, match="Postings are being made right now"):
            closing_start(request=CLOSE, queue=False)
        assert not ClosingRun.objects.exists()
    finally:
        release.set()
        importing.join(30)

    books.close("2026-01-31")  # once posted, the close starts and sees the sale
    assert books.last_run().status == "ended"
    assert books.settlements() == [("S1", "R1", Decimal("2"), Decimal("20.00"))]
    assert "Inventory is closed up to 2026-01-31" in books.post_refused("S2,2026-01-25,A,-1,,financial")


def test_it_makes_a_posting_that_waited_while_a_close_was_starting_see_the_close(books, monkeypatch):
    books.items("A,Widget,DEFAULT,FIFO,")
    books.post("R1,2026-01-05,A,10,10.00,financial")
    starting, go_on = threading.Event(), threading.Event()
    audit_record = run_services.audit_record

    def slow_audit(**kwargs):  # inside closing_start's transaction, the run written, the gate held
        starting.set()
        assert go_on.wait(30)
        return audit_record(**kwargs)

    monkeypatch.setattr(run_services, "audit_record", slow_audit)
    closing = threading.Thread(target=lambda: (closing_start(request=CLOSE, queue=False), connection.close()))
    closing.start()
    errors: list[str] = []
    try:
        assert starting.wait(30)
        selling = threading.Thread(target=sell, args=("S1", date(2026, 1, 20)), kwargs={"errors": errors})
        selling.start()
        with connection.cursor() as cursor:  # the sale waits at the gate
            for _ in range(100):
                cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                if cursor.fetchone()[0]:
                    break
                threading.Event().wait(0.05)
            else:
                pytest.fail("the sale did not wait for the close being started")
    finally:
        go_on.set()
        closing.join(30)
    selling.join(30)

    assert len(errors) == 1 and errors[0].startswith("Inventory is closed up to 2026-01-31")
    assert ClosingRun.objects.get().status == ClosingRun.Status.QUEUED
