"""A 403 (a role without the permission) is logged as one line, without a traceback (issue #17, point 20)."""

import logging

from django.core.exceptions import PermissionDenied

from config.log_filters import NoTracebackForClientErrors


def record(status_code: int) -> logging.LogRecord:
    try:
        raise PermissionDenied("Your role does not allow this page or action.")
    except PermissionDenied as error:
        entry = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden (Permission denied): %s",
                                  ("/closing/close/",), (type(error), error, error.__traceback__))
    entry.status_code = status_code
    return entry


def test_it_drops_the_traceback_of_a_refused_request_and_keeps_the_line():
    refused, failed = record(403), record(500)

    assert NoTracebackForClientErrors().filter(refused) and NoTracebackForClientErrors().filter(failed)
    assert logging.Formatter().format(refused) == "Forbidden (Permission denied): /closing/close/"
    assert "Traceback" in logging.Formatter().format(failed)


def test_it_is_on_the_console_handler(settings):
    assert "no_traceback_for_client_errors" in settings.LOGGING["handlers"]["console"]["filters"]


def test_it_answers_the_favicon_to_anyone(client, db):
    # Browsers ask for /favicon.ico on pages that name no icon (the admin, the API's pages).
    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (302, "/static/favicon.svg")
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/login/").content.decode()
