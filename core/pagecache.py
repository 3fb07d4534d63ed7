"""Computed page figures (the dashboard, the drill-downs, the LKE results, a recap, "Tugas
saya"), cached under a key that cannot go stale, so a page costs almost nothing while nothing
changed and a change by anyone shows on the very next request. No time-based expiry is needed
for correctness; entries expire after a day only to free memory.

The key holds everything the figures depend on:
- the page and its parameters (`name`, `parts`: the program year, a filter, an object);
- the viewer's scope and roles (`core.permissions.scope_key`): two users share an entry only
  when they see the same;
- the data version of the provinces the figures read (`data_version`): the id of the latest
  audit event of their offices and of no office (admin edits, profiles, which any page may
  show), and how many audited writes were committed there (`ChangeCounter`). Every write
  appends an audit event (core.services.audit): the writer's own transaction sees the new id at
  once, and the count moves once the write has committed, so a reader that sees it reads the
  new data too. (The id alone would not do on PostgreSQL, where a transaction may commit after
  one holding a later id.) Meetings are audited on the province office, a work plan on its
  kab/kota: the version of a page is that of its whole province, whoever views it;
- the date in Jakarta: statuses move at day boundaries only (deadlines are ends of days);
- the language (labels are translated when the figures are built) and KEY_VERSION, raised when
  the shape of a cached value changes.

What is cached is the computed value (dataclasses, dicts, model rows), never HTML: the
template renders it with the request's own CSRF token and user. Django's cache: Redis when
REDIS_URL is set (shared by every app server), else a per-process memory cache (each process
keeps its own copy, still keyed on the shared database's counters)."""

import hashlib
import random
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation

from .deadlines import JAKARTA
from .models import AuditEvent, ChangeCounter, Office, User
from .permissions import scope_key

KEY_VERSION = 1
TIMEOUT = 24 * 3600
NO_OFFICE = 0  # the ChangeCounter scope of writes that belong to no office

_MISSING = object()


def scope_of(office: Office | None) -> int:
    """The ChangeCounter scope of a write on `office`: its province's office id."""
    if office is None:
        return NO_OFFICE
    return office.pk if office.is_province or office.parent_id is None else office.parent_id


def count_change(scope: int) -> None:
    """Count one committed audited write in `scope` (run on commit by core.services.audit)."""
    if ChangeCounter.objects.filter(scope=scope).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            ChangeCounter.objects.create(scope=scope, count=random.randrange(1 << 40))
    except IntegrityError:  # created meanwhile by another writer
        count_change(scope)


def forget_all() -> None:
    """Move every counter on, so no cached figure is used again (after a restore, which puts
    back older data and older counters)."""
    ChangeCounter.objects.update(count=F("count") + random.randrange(1, 1 << 40))


def data_version(province_ids: Collection[int] | None) -> tuple[int, int]:
    """(committed writes, id of the latest audit event) of the provinces' offices (every
    office when None) and of the writes of no office. One query: the latest event is one index
    probe per office (core_audit_office_latest)."""
    counters = connection.ops.quote_name(ChangeCounter._meta.db_table)
    events = connection.ops.quote_name(AuditEvent._meta.db_table)
    offices = connection.ops.quote_name(Office._meta.db_table)
    if province_ids is None:
        sql = f"SELECT (SELECT SUM(count) FROM {counters}), (SELECT MAX(id) FROM {events})"
        params: list[int] = []
    else:
        ids = sorted(province_ids)
        marks = ", ".join(["%s"] * len(ids)) or "NULL"
        sql = (
            f"SELECT (SELECT SUM(count) FROM {counters} WHERE scope IN (%s, {marks})), "
            f"(SELECT MAX(latest) FROM (SELECT (SELECT MAX(e.id) FROM {events} e "
            f"WHERE e.office_id = o.id) AS latest FROM {offices} o "
            f"WHERE o.id IN ({marks}) OR o.parent_id IN ({marks}) "
            f"UNION ALL SELECT MAX(id) FROM {events} WHERE office_id IS NULL) latest_events)"
        )
        params = [NO_OFFICE, *ids, *ids, *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count, latest = cursor.fetchone()
    return (count or 0, latest or 0)


def cache_key(
    name: str,
    user: User,
    *,
    provinces: Collection[int] | None,
    parts: tuple = (),
    now: datetime | None = None,
) -> str:
    now = now or timezone.now()
    raw = repr(
        (
            KEY_VERSION,
            name,
            parts,
            translation.get_language(),
            now.astimezone(JAKARTA).date().isoformat(),
            data_version(None if provinces is None else sorted(provinces)),
            scope_key(user),
        )
    )
    return f"page:{name}:{hashlib.sha256(raw.encode()).hexdigest()}"


def cached(
    name: str,
    user: User,
    compute: Callable[[], Any],
    *,
    provinces: Collection[int] | None,
    parts: tuple = (),
    until: Callable[[Any], datetime | None] | None = None,
    now: datetime | None = None,
) -> Any:
    """`compute()` as `user` would get it now, from the cache when nothing it depends on has
    changed. `provinces`: the province office ids whose data the figures read (None: any).
    `until(value)`: a moment within the day after which the value no longer holds (a meeting
    that starts), or None. The version is read before computing, so a value is never stored
    under a key older than the data it was computed from."""
    now = now or timezone.now()
    key = cache_key(name, user, provinces=provinces, parts=parts, now=now)
    try:
        entry = cache.get(key, _MISSING)
    except Exception:  # an entry of an older shape that no longer unpickles: compute again
        entry = _MISSING
    if entry is not _MISSING:
        value, valid_until = entry
        if valid_until is None or now < valid_until:
            return value
    value = compute()
    cache.set(key, (value, until(value) if until else None), TIMEOUT)
    return value
