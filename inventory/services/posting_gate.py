"""The posting gate: postings and the start of a close exclude each other.

A close reads every transaction dated on or before its date, and from the moment it starts nothing
may be posted on or before that date (closing.selectors.closing_lock_date). A posting already open
when a close starts would commit after the close's bundles had read its items, inside the closed
period, unseen by the close: its sales would stay unsettled with the period locked (20,000 of them
in one test of an import started a few seconds before a close). So every posting session holds the
gate, shared, until it commits; a close starts only when it gets the gate to itself at once, and is
otherwise refused with nothing written. A posting that waited for the gate reads the closing date
after it got it, so it sees the close that has just started, and refuses the dates it closed.

PostgreSQL: a transaction-level advisory lock, released at commit or rollback. SQLite has one
writer at a time already: a posting holds the database's write lock until it commits, and a close
start waits for it.
"""

from django.db import connection

GATE = 0x436F_7374  # "Cost": one advisory lock key for the whole company


def posting_gate_enter() -> None:
    """Hold the gate, shared with other postings, until the caller's transaction ends. Waits while a
    close is being started."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [GATE])


def posting_gate_close() -> bool:
    """Take the gate for a close that is starting, until the caller's transaction ends, without
    waiting: False while any posting is open."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [GATE])
        return bool(cursor.fetchone()[0])
