"""Logging rules of the project (configured in settings.LOGGING): one JSON object per line for
log shipping, the id of the request being served on every record, refusals without tracebacks."""

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

# The id of the request this thread or task is serving (core.middleware.RequestLogMiddleware),
# None outside a request (commands, workers).
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
# An id we accept from the load balancer (nginx's $request_id is 32 hex digits, a UUID 36
# characters): letters, digits and . _ : - only, so it can go into a log line or a header as it
# is. Anything else is replaced by an id of our own.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def request_id_from(incoming: str | None) -> str:
    """The incoming X-Request-ID if it is a valid id, else a new random one."""
    if incoming and VALID_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


def forget_request_id(**_kwargs) -> None:
    """On request_finished (the response is closed): records after it belong to no request."""
    request_id_var.set(None)


class RequestIdFilter(logging.Filter):
    """Puts `request_id` (None outside a request) on every record that reaches a handler; set
    on the handlers, so records of every logger get it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


# The attributes every LogRecord has; anything else came as `extra` and goes into the JSON.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time (UTC, ISO 8601), level, logger, message,
    request_id, the record's extra fields that are plain values (str, number, bool, None; an
    object such as Django's `request` is left out), and a traceback as one string field."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            plain = value is None or isinstance(value, str | int | float | bool)
            if plain and key not in _STANDARD and key not in entry and key[0] != "_":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


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
