"""Closing and adjustment services: start, process, finalize, pause, resume, reverse and preview
runs. One module per job; this package exports what views, jobs and commands call.

    runs.py        the request, its checks, the closing lock, starting a run, what is queued next
    parameters.py  the Inventory parameters
    bundles.py     coordinating and processing bundles, ending a run (here or on the workers)
    outcome.py     what a bundle writes: settlements, adjustments kept, warnings
    vouchers.py    a run's voucher and what it posted
    pause.py       pause and resume
    reversal.py    reversing a close, an adjustment or recalculations
    preview.py     the dry run
    watch.py       noticing a run that has stalled, and queueing it again
    adjustments.py on-hand and transaction adjustments

The SQL that writes a run's results, or takes them back, is the data layer's (closing/writer.py).
"""

from closing.services.bundles import (
    bundle_process,
    run_coordinate,
    run_execute,
    run_finalize,
)
from closing.services.parameters import PARAMETER_FIELDS, parameters_update
from closing.services.pause import closing_pause, closing_resume
from closing.services.preview import Preview, closing_preview
from closing.services.reversal import closing_reverse, reversal_perform, reversal_queue
from closing.services.runs import (
    ANOTHER_RUN,
    RunRequest,
    closing_lock,
    closing_start,
)
from closing.services.watch import run_watch

__all__ = [
    "ANOTHER_RUN", "PARAMETER_FIELDS", "Preview", "RunRequest", "bundle_process", "closing_lock",
    "closing_pause", "closing_preview", "closing_resume", "closing_reverse", "closing_start", "parameters_update",
    "reversal_perform", "reversal_queue", "run_coordinate", "run_execute", "run_finalize", "run_watch",
]
