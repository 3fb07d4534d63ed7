"""Logging rules of the project (configured in settings.LOGGING)."""

import logging


class OneLineForRefusals(logging.Filter):
    """A refused request (4xx: 403 PermissionDenied, 404 Http404, 400 SuspiciousOperation) is
    logged as one line — Django's message with the method, plus the exception's own message —
    instead of a traceback, so the tracebacks left in the log are those of real errors (5xx)."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is None or status >= 500 or getattr(record, "_one_line", False):
            return True
        record._one_line = True  # the logger's and the handler's filter both see the record
        method = getattr(getattr(record, "request", None), "method", None)
        if method:
            record.msg = f"{method} {record.msg}"
        if record.exc_info:
            exception = record.exc_info[1]
            detail = " ".join(str(exception).split()) if exception else ""
            if detail:
                record.msg = f"{record.msg} ({detail.replace('%', '%%')})"
            record.exc_info = None
            record.exc_text = None
        return True
