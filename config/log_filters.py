"""Logging filters of config/settings.LOGGING."""

import logging


class NoTracebackForClientErrors(logging.Filter):
    """A refused request (403 for a role without the permission, 404, 400) is the client's doing, not
    a fault: Django logs it with the exception that refused it, which the console would print as a
    traceback. The one-line warning stays; the traceback goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
