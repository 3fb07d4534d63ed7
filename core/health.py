"""The health checks behind /healthz, for the load balancer and the monitoring.

Each check does one cheap round trip to one service this app server depends on and reports
only its status and how long it took (the mail check also the age of the oldest waiting
mail): no data, no error text (it could name hosts or paths). Why a check failed goes to the
log, with the request id."""

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Min
from django.utils import timezone

from .models import OutgoingMail

logger = logging.getLogger(__name__)

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass
class Check:
    name: str
    status: str
    ms: float
    details: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"status": self.status, "ms": self.ms, **self.details}


def check_database() -> tuple[str, dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK, {}


def check_storage() -> tuple[str, dict]:
    """Writes, reads back and deletes a tiny object in the file storage (disk or bucket)."""
    token = uuid.uuid4().hex
    name = default_storage.save(f"healthz-{token}.txt", ContentFile(token.encode()))
    try:
        with default_storage.open(name, "rb") as stored:
            if stored.read() != token.encode():
                raise OSError("the probe read back differs from what was written")
    finally:
        default_storage.delete(name)
    return OK, {}


def check_cache() -> tuple[str, dict]:
    key, token = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, token, timeout=30)
    try:
        if cache.get(key) != token:
            raise OSError("the cache did not return what was set")
    finally:
        cache.delete(key)
    return OK, {}


def check_mail_outbox() -> tuple[str, dict]:
    """The age of the oldest mail still waiting to be sent. Past HEALTHZ_MAIL_MAX_AGE seconds
    the check warns (the mail worker or the mail server is stuck) but does not fail: the app
    server itself still serves pages, and a load balancer taking every server out because the
    mail server is down would turn a mail outage into a full one."""
    oldest = OutgoingMail.objects.filter(state=OutgoingMail.State.PENDING).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    age = None if oldest is None else max(int((timezone.now() - oldest).total_seconds()), 0)
    limit = settings.HEALTHZ_MAIL_MAX_AGE
    status = WARN if age is not None and age > limit else OK
    return status, {"oldest_unsent_seconds": age, "max_seconds": limit}


CHECKS: dict[str, Callable[[], tuple[str, dict]]] = {
    "database": check_database,
    "storage": check_storage,
    "cache": check_cache,
    "mail_outbox": check_mail_outbox,
}


def run_checks() -> list[Check]:
    """Every check, each timed; one that raises is `fail` (logged with its traceback)."""
    results = []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            status, details = check()
        except Exception:  # whatever the service's client raises: the service is not usable
            logger.exception("health check %s failed", name)
            status, details = FAIL, {}
        ms = round((time.perf_counter() - started) * 1000, 1)
        results.append(Check(name, status, ms, details))
    return results


def overall(checks: list[Check]) -> str:
    statuses = {check.status for check in checks}
    return FAIL if FAIL in statuses else WARN if WARN in statuses else OK
