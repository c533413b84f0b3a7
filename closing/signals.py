"""Signals other apps listen to without the closing engine knowing them."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.dispatch import Signal

# Sent after commit when a close, recalculation, on-hand or transaction adjustment, or reversal has
# ended, with `run_id`. The book checks (reports app) run on it and store their result on the run.
run_ended = Signal()
# Sent after commit when a run has failed (a bundle failed, or it stalled), with `run_id`: whoever
# started it is told (reports.receivers).
run_failed = Signal()

_announcing = ContextVar("announcing_run_ends", default=True)


def run_ended_after_commit(run_id: int) -> None:
    """Announce a run's end once its transaction has committed, so listeners read the final books."""
    from django.db import transaction

    if _announcing.get():
        transaction.on_commit(lambda: run_ended.send(sender="closing", run_id=run_id))


def run_failed_after_commit(run_id: int) -> None:
    """Announce a run's failure once the failure has committed."""
    from django.db import transaction

    transaction.on_commit(lambda: run_failed.send(sender="closing", run_id=run_id))


@contextmanager
def run_ends_unannounced() -> Iterator[None]:
    """Runs ending in this block are not announced: the benchmark times the close apart from the
    checks that follow it, and announces the end itself."""
    token = _announcing.set(False)
    try:
        yield
    finally:
        _announcing.reset(token)
