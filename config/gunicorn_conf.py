"""gunicorn's settings for the `web` container (Dockerfile CMD and docker-compose's `web` command).

WEB_CONCURRENCY  worker processes (default: 3). Each handles one request at a time, so a slow
                 report holds one worker while the others keep serving; more need more memory
                 (about 100 MB each) and PostgreSQL connections. gunicorn's own variable.
GUNICORN_TIMEOUT seconds a worker may spend on one request before it is killed and replaced
                 (default: 60). The slowest page measured on the million-transaction benchmark is
                 a reconciliation drill-down, 2.7 s (7.4 s before it was optimised;
                 docs/benchmarks.md); long work (closes, imports, big exports, book checks) runs as
                 jobs on the RQ workers, never in a request. A minute, some 20 times the slowest
                 page, is thus a request that went wrong, not a slow one on a busy machine, and
                 killing it frees the worker.
                 Uploads count too: the TLS proxy in front should buffer request bodies, as nginx
                 does by default, so that a slow client's upload does not hold a worker.
PORT             port to listen on (default: 8000; scripts/healthcheck.py asks the same one)
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT') or '8000'}"
workers = int(os.environ.get("WEB_CONCURRENCY") or "3")
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or "60")
# Requests in flight when the container stops get as long to finish as a request may take.
graceful_timeout = timeout
accesslog = "-"
# Django is loaded once, before the port opens and the workers fork: a worker answers as soon as it
# exists (no request waits for one to import the app), and the workers share that memory. Nothing
# connects to PostgreSQL or Redis at import time, so no connection is shared across the fork.
preload_app = True
