"""Every engine scenario ends with the book checks green: whatever a close, recalculation or
reversal did, vouchers balance, the subledger equals the ledger, nothing is settled beyond what
exists and on-hand equals the transactions (reports.checks, the same checks as check_books)."""

import pytest

from reports.checks import books_check


@pytest.fixture(autouse=True)
def books_agree_afterwards(request):
    if "books" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("books")  # set up first, so the database is still there at teardown
    yield
    if hasattr(request.node, "rep_call") and not request.node.rep_call.passed:
        return  # the scenario failed on its own: its own message says more than the checks'
    result = books_check()
    assert result.ok, "check_books after the scenario:\n" + "\n".join(result.lines())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keeps each phase's report on the test, so the fixture above knows whether the scenario passed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
