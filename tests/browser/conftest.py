"""Browser fixtures: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Playwright never downloads a browser here: it always launches /usr/bin/chromium (CI installs it;
without it every browser test is skipped and says why).

While Playwright's sync API is started, its event loop counts as running in the test's thread: Django
then refuses ORM calls from test code as "async-unsafe" (they are synchronous, hence
DJANGO_ALLOW_ASYNC_UNSAFE), and asyncio.run()/async_to_sync() fail outright. So the browser lives
for one test module, not the session, and the variable is set only while it lives: the tests that
run after the browser tests (and the subprocesses they start) see neither.
"""

import os
import re
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    playwright = sync_api.sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            del os.environ[ASYNC_UNSAFE]
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def new_page(browser, live_server):
    """Opens pages in fresh browser contexts (separate cookies: one signed-in user each)."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def log_in(new_page):
    """Signs a persona of tests/conftest.py in through the login form, as a person would, in a page
    of its own: log_in(nora_norole)."""

    from playwright.sync_api import expect

    def sign_in(user):
        page = new_page()
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/login/\?next=/$"))  # every page needs a signed-in user
        page.get_by_label("User name").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"^http://[^/]+/$"))
        return page

    return sign_in


@pytest.fixture
def logged_in_page(live_server, log_in, company, ada_accountant):
    """A page signed in as Ada, inventory accountant of the bootstrapped company (tests/conftest.py)."""
    return log_in(ada_accountant)


class GatedJobs:
    """Jobs without Redis: each enqueued job runs the very job function RQ would, on a thread of its
    own, held until the test opens the gate (so the page is seen waiting first and reaches the end
    only through its polling). Each thread closes its own database connection when done."""

    def __init__(self, timeout: float):
        self.gate = threading.Event()
        self.timeout = timeout
        self.threads: list[threading.Thread] = []
        self.failures: list[BaseException] = []

    def start(self, job: Callable[..., object], *args) -> None:
        def run() -> None:
            try:
                self.gate.wait(timeout=self.timeout)
                job(*args)
            except BaseException as error:
                self.failures.append(error)
            finally:
                connection.close()

        self.threads.append(threading.Thread(target=run, daemon=True))
        self.threads[-1].start()

    def finish(self) -> None:
        """Open the gate, wait for every job, and fail the test on any job's error."""
        self.gate.set()
        for thread in self.threads:
            thread.join(timeout=self.timeout)
        assert self.failures == []
