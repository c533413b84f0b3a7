"""Real `manage.py rqworker` processes for the worker integration tests (tests/faults/test_runs_on_workers.py).

The workers are separate processes, so they must see what the test committed: they are pointed at
the pytest-django test database (PostgreSQL only: an in-memory SQLite database cannot be shared) and
at the test's Redis. Killing a worker kills its work horse too: RQ runs each job in a forked child
in a process group of its own, which would otherwise finish the job after its worker died.

    with queues_reserved(), WorkerPool(log_dir=tmp_path) as pool:
        pool.start()                    # a long-running worker on `closing default`
        pool.start(burst=True).wait()   # one that drains the queues and exits
        pool.kill(worker)               # SIGKILL the worker and its work horse: the machine died
    with ItemsHeld("BM000009") as held: # the bundle of that item stops in the middle…
        wait_for(held.waiting, ...)     # …here, until held.release()
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import django_rq
import psycopg
import redis
from django.conf import settings
from django.db import connection

PROJECT_DIR = Path(__file__).resolve().parents[2]
QUEUES = ("closing", "default")


# -- where the workers connect --------------------------------------------------------------------

def skip_reason() -> str | None:
    """Why the worker tests cannot run here, or None."""
    if connection.vendor != "postgresql":
        return (f"needs PostgreSQL (DATABASE_URL=postgres://…): the {connection.vendor} test database "
                "cannot be shared with worker processes")
    url = os.environ.get("REDIS_URL")
    if not url:
        return "needs a real Redis: set REDIS_URL (use a dedicated database number, e.g. redis://127.0.0.1:6379/5)"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at REDIS_URL={url} does not answer PING: {error}"
    return None


def database_url() -> str:
    """The database pytest-django made for this session (test_<name>), as a DATABASE_URL."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}"


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DEBUG": "1",
        "CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
    })
    return env


# -- the queues -----------------------------------------------------------------------------------

def queues_clear() -> None:
    """Empty the queues the tests use, their registries (started, failed, …) and their jobs — only
    those keys, never the whole Redis server."""
    from rq.job import Job
    from rq.results import Result

    for name in QUEUES:
        queue = django_rq.get_queue(name)
        queue.empty()
        redis_connection = queue.connection
        for registry in (queue.started_job_registry, queue.failed_job_registry, queue.finished_job_registry,
                         queue.deferred_job_registry, queue.scheduled_job_registry, queue.canceled_job_registry):
            job_ids = registry.get_job_ids(cleanup=False)
            keys = [key for job_id in job_ids for key in (Job.key_for(job_id), Result.get_key(job_id))]
            redis_connection.delete(registry.key, *keys)


@contextmanager
def queues_reserved(*, timeout: float = 300) -> Iterator[None]:
    """The queues, empty, for one test at a time: other test processes using the same Redis
    database (pytest-xdist, another engineer's run) wait for their turn instead of sharing jobs."""
    from redis.exceptions import LockError

    lock = django_rq.get_connection("closing").lock("costbook:tests:rq-workers", timeout=timeout,
                                                    blocking_timeout=timeout)
    if not lock.acquire():
        raise AssertionError(f"the RQ queues stayed taken by another test run for {timeout:.0f} s")
    try:
        queues_clear()
        yield
    finally:
        queues_clear()
        try:
            lock.release()
        except LockError:
            pass  # expired: the test took longer than the lock's timeout


def started_jobs(function: str) -> list:
    """The jobs of `function` (dotted name) a worker has started and not finished."""
    queue = django_rq.get_queue("closing")
    jobs = [queue.fetch_job(job_id) for job_id in queue.started_job_registry.get_job_ids()]
    return [job for job in jobs if job is not None and job.func_name == function]


def registered_workers() -> set[str]:
    """Names of the workers registered in Redis for the closing queue (alive, or killed and not yet expired)."""
    from rq import Worker

    return {worker.name for worker in Worker.all(queue=django_rq.get_queue("closing"))}


# -- holding a bundle in the middle ---------------------------------------------------------------

class ItemsHeld:
    """Row locks (FOR NO KEY UPDATE) on every transaction of some items, held on a connection of
    its own: a worker processing their bundle reads and computes, writes its settlements, then waits
    at its first UPDATE of those transactions until `release()`. A bundle caught in the middle, when
    the test says so, with nothing added to the production code."""

    def __init__(self, *item_numbers: str):
        self.item_numbers = list(item_numbers)
        self.conn: psycopg.Connection | None = None

    def __enter__(self) -> "ItemsHeld":
        self.conn = psycopg.connect(database_url())
        self.conn.execute(
            "SELECT t.id FROM inventory_inventorytransaction t JOIN inventory_item i ON i.id = t.item_id "
            "WHERE i.number = ANY(%s) FOR NO KEY UPDATE OF t", [self.item_numbers]).fetchall()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def waiting(self) -> list[int]:
        """Backends (worker database sessions) waiting for these locks. Asked on the test's own
        connection: pg_stat_activity is a snapshot per transaction, so not on the holder's."""
        if self.conn is None:
            return []
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                           [self.conn.info.backend_pid])
            return [row[0] for row in cursor.fetchall()]

    def release(self) -> None:
        if self.conn is not None:
            self.conn.rollback()
            self.conn.close()
            self.conn = None


def backend_gone(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is None


# -- waiting --------------------------------------------------------------------------------------

def wait_for(condition: Callable[[], object], *, timeout: float, what: str, interval: float = 0.2):
    """Poll `condition` every `interval` seconds until it returns something truthy (returned), or
    fail after `timeout` seconds saying what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# -- the processes --------------------------------------------------------------------------------

class Worker:
    def __init__(self, process: subprocess.Popen, log: Path, name: str):
        self.process = process
        self.log = log
        self.name = name

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait(self, timeout: float = 60) -> int:
        """Wait for a burst worker to drain the queues and exit."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"worker {self.name} still running after {timeout:.0f} s; log:\n{self.output()}") from None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.process.poll() is None


class WorkerPool:
    """Starts rqworker processes and makes sure every one of them is gone at the end."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.workers: list[Worker] = []

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()

    def start(self, *, burst: bool = False, env: dict[str, str] | None = None) -> Worker:
        """Start a worker; `env` adds to its environment (tests/faults labels its database sessions)."""
        name = f"costbook-test-{uuid.uuid4().hex[:12]}"
        log = self.log_dir / f"{name}.log"
        args = [sys.executable, "manage.py", "rqworker", *QUEUES, "--name", name]
        if burst:
            args.append("--burst")
        with open(log, "wb") as out:
            # A session of its own: signals meant for pytest (Ctrl-C) do not reach it; kill() does.
            process = subprocess.Popen(args, cwd=PROJECT_DIR, env={**worker_env(), **(env or {})}, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        worker = Worker(process, log, name)
        self.workers.append(worker)
        return worker

    def kill(self, worker: Worker) -> None:
        """SIGKILL the worker and its work horse. RQ puts each horse in a process group of its own
        (so that signals to the worker do not reach the job): the horse is found among the worker's
        children and killed first, as a crash of the machine would take both. A worker that has
        exited (burst) is left alone: its horse ended before it did."""
        if not worker.alive():
            return
        horses = _children(worker.pid)
        for horse in horses:
            _kill(horse)
        _kill(worker.pid)
        worker.process.wait(timeout=10)
        # The orphaned horses are reaped by init; wait (bounded) until they are really gone.
        deadline = time.monotonic() + 10
        while any(_alive(horse) for horse in horses) and time.monotonic() < deadline:
            time.sleep(0.05)

    def ready(self) -> bool:
        """Every live worker of this pool is registered in Redis (so waiting for jobs)."""
        return {worker.name for worker in self.workers if worker.alive()} <= registered_workers()

    def jobs_done(self) -> dict[str, int]:
        """Jobs each live worker of this pool has finished, as RQ counts them."""
        from rq import Worker as RQWorker

        redis_connection = django_rq.get_connection("closing")
        counts = {}
        for worker in self.workers:
            found = RQWorker.find_by_key(RQWorker.redis_worker_namespace_prefix + worker.name, connection=redis_connection)
            counts[worker.name] = found.successful_job_count if found is not None else 0
        return counts

    def stop_all(self) -> None:
        from rq import Worker as RQWorker
        from rq.worker_registration import unregister

        for worker in self.workers:
            self.kill(worker)
            # A killed worker cannot say it died: take it off the registry so it is not counted later.
            redis_connection = django_rq.get_connection("closing")
            found = RQWorker.find_by_key(RQWorker.redis_worker_namespace_prefix + worker.name, connection=redis_connection)
            if found is not None:
                unregister(found)
                redis_connection.delete(found.key)

    def logs(self) -> str:
        return "\n".join(f"--- {worker.name}\n{worker.output()[-4000:]}" for worker in self.workers)


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid:
            children.append(int(entry))
    return children


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead, awaiting its reaper
    except OSError:
        return False
