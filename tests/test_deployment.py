"""Deployment: the compose file, production settings from the environment, the container health
check against a real gunicorn, and `make run`'s supervisor script starting and stopping for real.

Settings are read once per process, so every check that needs a different environment runs in a
subprocess with exactly the variables it names (nothing inherited from the test run's DATABASE_URL,
SECRET_KEY or DEBUG)."""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What the subprocesses must not inherit from the test run (DJANGO_ALLOW_ASYNC_UNSAFE would fail
# check --deploy: it only belongs to the browser tests).
SETTINGS_VARIABLES = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS",
                      "SECURE_SSL_REDIRECT", "DJANGO_SETTINGS_MODULE", "PORT", "CONN_MAX_AGE", "DJANGO_ALLOW_ASYNC_UNSAFE")


def clean_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.update(overrides)
    return env


def production_env(**overrides: str) -> dict[str, str]:
    return clean_env(SECRET_KEY=secrets.token_urlsafe(50), DEBUG="0", ALLOWED_HOSTS="costbook.example.com",
                     **overrides)


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_databases(**env: str) -> dict:
    code = "import json, config.settings as s; print(json.dumps(s.DATABASES, default=str))"
    result = run([sys.executable, "-c", code], clean_env(**env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["default"]


# docker-compose ---------------------------------------------------------------------------------

def test_it_has_a_valid_compose_file(tmp_path):
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose; .ci/run does)")
    # The compose file reads .env, which is never committed: use the documented example instead.
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    base = [compose, "-f", str(ROOT / "docker-compose.yml"), "--project-directory", str(tmp_path)]

    check = run([*base, "config", "-q"], os.environ.copy())
    assert check.returncode == 0, check.stderr

    services = run([*base, "config", "--services"], os.environ.copy())
    assert set(services.stdout.split()) == {"postgres", "redis", "migrate", "web", "worker"}
    config = run([*base, "config"], os.environ.copy()).stdout
    assert "service_completed_successfully" in config
    assert "scripts/healthcheck.py" in config


def test_it_documents_every_deployment_variable_in_the_env_example():
    names = {line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
             if "=" in line and not line.startswith("#")}
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS",
            "SECURE_SSL_REDIRECT"} <= names


def gunicorn_config(**env: str) -> dict[str, str]:
    result = run([sys.executable, "-m", "gunicorn", "--config", "config/gunicorn_conf.py", "--print-config",
                  "config.wsgi"], clean_env(**env))
    assert result.returncode == 0, result.stderr
    return {name.strip(): value.strip() for name, _, value in
            (line.partition("=") for line in result.stdout.splitlines()) if name.strip()}


def test_it_starts_gunicorn_with_several_workers_and_a_timeout_from_the_environment():
    dockerfile = (ROOT / "Dockerfile").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    command = '["gunicorn", "--config", "config/gunicorn_conf.py", "config.wsgi"]'
    assert f"CMD {command}" in dockerfile
    assert f"command: {command}" in compose

    default = gunicorn_config()
    assert (default["workers"], default["timeout"], default["bind"]) == ("3", "60", "['0.0.0.0:8000']")
    tuned = gunicorn_config(WEB_CONCURRENCY="5", GUNICORN_TIMEOUT="90")
    assert (tuned["workers"], tuned["timeout"]) == ("5", "90")


# The lock files ----------------------------------------------------------------------------------

def locked_versions(lock: Path) -> dict[str, str]:
    text = lock.read_text().replace("\\\n", " ")
    return {line.split("==")[0].lower(): line.split("==")[1].split()[0].split(";")[0]
            for line in text.splitlines() if "==" in line and not line.lstrip().startswith("#")}


def test_it_installs_every_package_from_a_hashed_lock():
    makefile = (ROOT / "Makefile").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "install --quiet --require-hashes -r $(LOCK)" in makefile and "LOCK := requirements/dev.txt" in makefile
    assert "--no-deps --no-build-isolation -e ." in makefile  # the project alone, built by the locked setuptools
    assert "RUN pip install --require-hashes -r requirements/runtime.txt" in dockerfile
    assert "pip install ." not in dockerfile and "make test" in (ROOT / ".ci" / "run").read_text()

    # Every requirement of pyproject.toml is pinned with hashes, the image's at the test run's versions.
    check = run([sys.executable, "scripts/check_lock.py"], clean_env())
    assert check.returncode == 0, check.stderr
    # What the tests run with is what is locked.
    import importlib.metadata
    dev = locked_versions(ROOT / "requirements" / "dev.txt")
    for name in ("django", "gunicorn", "django-axes", "psycopg", "rq"):
        assert importlib.metadata.version(name) == dev[name], name


def test_it_names_a_dependency_that_pyproject_toml_has_and_the_lock_does_not(tmp_path):
    pyproject = (ROOT / "pyproject.toml").read_text()
    changed = tmp_path / "pyproject.toml"
    changed.write_text(pyproject.replace('dependencies = [\n', 'dependencies = [\n    "django-otp>=1.5,<2",\n', 1))

    check = run([sys.executable, "scripts/check_lock.py", str(changed), "requirements/dev.txt",
                 "requirements/runtime.txt"], clean_env())

    assert check.returncode == 1
    assert "dev.txt: django-otp<2,>=1.5 from pyproject.toml is not locked" in check.stderr
    assert "run `make lock`" in check.stderr


def test_it_keeps_dependencies_above_known_advisories_and_below_the_next_major():
    import tomllib

    from packaging.requirements import Requirement
    from packaging.version import Version

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = {Requirement(line).name.lower(): Requirement(line).specifier for line in
                    project["dependencies"] + [line for group in project["optional-dependencies"].values()
                                               for line in group]}
    # Django before 5.2.9 and gunicorn before 23 have published security advisories.
    assert not requirements["django"].contains("5.2.8") and requirements["django"].contains("5.2.9")
    assert not requirements["gunicorn"].contains("22.0.0") and requirements["gunicorn"].contains("23.0.0")
    unbounded = [name for name, specifier in requirements.items()
                 if not any(spec.operator in ("<", "~=", "==") for spec in specifier)]
    assert unbounded == []
    locked = locked_versions(ROOT / "requirements" / "runtime.txt")
    assert Version(locked["django"]) >= Version("5.2.9") and Version(locked["gunicorn"]) >= Version("23")


# Production settings ----------------------------------------------------------------------------

def test_it_passes_the_deployment_checks_with_production_settings():
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run([sys.executable, "manage.py", "check"], clean_env(DEBUG="0"))
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_it_refuses_the_placeholder_secret_key_of_the_env_example():
    placeholder = next(line.split("=", 1)[1] for line in (ROOT / ".env.example").read_text().splitlines()
                       if line.startswith("SECRET_KEY="))
    for debug in ("0", "1"):
        result = run([sys.executable, "manage.py", "check"],
                     clean_env(SECRET_KEY=placeholder, DEBUG=debug, ALLOWED_HOSTS="costbook.example.com"))
        assert result.returncode != 0
        assert "ImproperlyConfigured: SECRET_KEY is still the placeholder from .env.example" in result.stderr


def test_it_refuses_to_load_the_demo_with_debug_off(tmp_path):
    database = tmp_path / "deployed.sqlite3"
    env = production_env(DATABASE_URL=f"sqlite:///{database}")
    migrated = run([sys.executable, "manage.py", "migrate", "--noinput"], env, timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    code = ("import django; django.setup(); from django.contrib.auth.models import User; "
            "from inventory.models import Item; print(User.objects.count(), Item.objects.count())")

    result = run([sys.executable, "manage.py", "demo"], env)

    assert result.returncode == 1
    assert "demo is for development only and refuses to run with DEBUG off" in result.stderr
    assert "Nothing was written." in result.stderr
    assert run([sys.executable, "-c", code], env).stdout.split() == ["0", "0"]


def test_it_reads_a_sqlite_database_url(tmp_path):
    database = settings_databases(DATABASE_URL=f"sqlite:///{tmp_path}/books.sqlite3")
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == f"{tmp_path}/books.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert database["CONN_MAX_AGE"] == 0


def test_it_reads_a_postgres_database_url():
    database = settings_databases(DATABASE_URL="postgres://costbook:s3cret@db.example.com:6543/books",
                                  CONN_MAX_AGE="120")
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == ("books", "costbook", "s3cret")
    assert (database["HOST"], database["PORT"]) == ("db.example.com", 6543)
    assert database["CONN_MAX_AGE"] == 120


def test_it_defaults_to_sqlite_in_the_checkout():
    database = settings_databases()
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(ROOT / "costbook.sqlite3")


# The container health check, against gunicorn with production settings ----------------------------

def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "server exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on port {port} after {timeout} s")


@pytest.mark.slow
def test_it_reports_gunicorn_healthy_behind_production_settings(tmp_path):
    port = free_port()
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path}/health.sqlite3", PORT=str(port), WEB_CONCURRENCY="2")
    # The image's command, listening on loopback instead of 0.0.0.0.
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "config/gunicorn_conf.py", "config.wsgi",
                               "-b", f"127.0.0.1:{port}"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(port, server)
        deadline = time.monotonic() + 30
        while len([pid for pid in descendants(server.pid) if alive(pid)]) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len([pid for pid in descendants(server.pid) if alive(pid)]) == 2  # WEB_CONCURRENCY workers
        # A plain request is refused (unknown host) and an http one redirected: the health check
        # must present itself like traffic from the TLS proxy.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5)
        assert refused.value.code == 400

        healthy = run([sys.executable, "scripts/healthcheck.py"], env, timeout=30)
        assert healthy.returncode == 0, healthy.stderr

        unhealthy = run([sys.executable, "scripts/healthcheck.py"], {**env, "PORT": str(free_port())}, timeout=30)
        assert unhealthy.returncode == 1
    finally:
        server.terminate()
        server.wait(timeout=30)


# make run ---------------------------------------------------------------------------------------

def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the script's child processes through /proc")
@pytest.mark.slow
def test_it_runs_the_dev_server_with_a_private_redis_and_stops_everything_on_ctrl_c(tmp_path):
    port = free_port()
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path}/dev.sqlite3", PORT=str(port),
                    REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    env.pop("DJANGO_SETTINGS_MODULE")
    script = subprocess.Popen([sys.executable, "scripts/dev.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    # The script and its children share the pipe: keep draining it so that none of them blocks.
    lines: list[str] = []

    def drain():
        for line in script.stdout:
            lines.append(line)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 180
        while not any("Press Ctrl-C to stop." in line for line in lines):
            assert script.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.2)
        output = "".join(lines)
        assert "does not answer: starting a private Redis" in output
        assert f"Costbook is running at http://127.0.0.1:{port}/" in output
        assert "accountant  costbook-accountant" in output
        assert get(f"http://127.0.0.1:{port}/health/") == 200
        assert get(f"http://127.0.0.1:{port}/login/") == 200

        started = descendants(script.pid)
        commands = [(Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                    for pid in started if alive(pid)]
        assert any("redis-server" in command for command in commands), commands
        assert any("runserver" in command for command in commands), commands
        assert any("rqworker closing default" in command for command in commands), commands

        script.send_signal(signal.SIGINT)
        assert script.wait(timeout=60) == 0, "".join(lines)
        reader.join(timeout=30)  # end of file: every process holding the pipe has exited
        assert not reader.is_alive()
        assert [pid for pid in started if alive(pid)] == []
    finally:
        if script.poll() is None:  # the test failed half-way: still leave nothing running
            script.terminate()
            try:
                script.wait(timeout=30)
            except subprocess.TimeoutExpired:
                script.kill()
                script.wait()
                for pid in started:
                    if alive(pid):
                        os.kill(pid, signal.SIGKILL)
