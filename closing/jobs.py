"""RQ jobs: thin, idempotent, taking ids. Each claims its unit of work in the database and calls a
service; the queue can be lost and rebuilt (resume) without losing anything."""

from closing import queue as steps
from closing import services
from closing.models import ClosingBundle, ClosingRun

__all__ = ["coordinate", "finalize", "process_bundle", "reverse"]


def coordinate(run_id: int) -> None:
    services.run_coordinate(run_id=run_id)


def process_bundle(bundle_id: int) -> str:
    outcome = services.bundle_process(bundle_id=bundle_id)
    run_id = ClosingBundle.objects.values_list("run_id", flat=True).get(pk=bundle_id)
    run = ClosingRun.objects.get(pk=run_id)
    if run.status == ClosingRun.Status.RUNNING and not run.bundles.exclude(status=ClosingBundle.Status.DONE).exists():
        steps.enqueue("finalize", run_id)
    return outcome


def finalize(run_id: int) -> None:
    services.run_finalize(run_id=run_id)


def reverse(run_id: int) -> None:
    services.reversal_perform(run_id=run_id)
