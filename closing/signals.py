"""Signals other apps listen to without the closing engine knowing them."""

from django.dispatch import Signal

# Sent after commit when a close, recalculation, on-hand or transaction adjustment, or reversal has
# ended, with `run_id`. The book checks (reports app) run on it and store their result on the run.
run_ended = Signal()


def run_ended_after_commit(run_id: int) -> None:
    """Announce a run's end once its transaction has committed, so listeners read the final books."""
    from django.db import transaction

    transaction.on_commit(lambda: run_ended.send(sender="closing", run_id=run_id))
