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

`cached` keeps a computed value (dataclasses, dicts, model rows; the dashboard's figures part
as HTML), shared by the users of one scope. `cached_page` keeps a whole page per user on top
of it (below: "whole pages"), the CSRF token put back per request. Django's cache: Redis when
REDIS_URL is set (shared by every app server), else a per-process memory cache (each process
keeps its own copy, still keyed on the shared database's counters)."""

import contextvars
import functools
import hashlib
import random
import re
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.http import HttpResponse
from django.middleware.csrf import _unmask_cipher_token, get_token
from django.utils import timezone, translation

from .deadlines import JAKARTA
from .models import AuditEvent, ChangeCounter, Membership, Office, User
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
            _holds_until(valid_until)
            return value
    value = compute()
    valid_until = until(value) if until else None
    cache.set(key, (value, valid_until), TIMEOUT)
    _holds_until(valid_until)
    return value


# --- whole pages ----------------------------------------------------------------------------
#
# A cached page (`cached_page`) keeps the HTML of the whole response for one user, so a request
# while nothing changed costs the session and user lookups and one query for the version: no
# membership, program year or form is read and no template rendered. The figures inside stay
# shared between the users of one scope (`cached` above); the page entry adds what is the
# user's own (the name, the roles in the menu, "Tugas saya" and its count), all of it under the
# same data version, so it cannot go stale either. The CSRF token is never stored: every token
# of the request's secret is replaced by a mark, and a hit puts the request's own token back.

CSRF_MARK = "\x00monev-csrf-token\x00"
_MASKED_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")
_valid_until: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "pagecache_valid_until", default=None
)


def _holds_until(moment: datetime | None) -> None:
    """Note, for the page being built, that a part of it holds only until `moment`."""
    moments = _valid_until.get()
    if moments is not None and moment is not None:
        moments.append(moment)


def user_version(user: User) -> tuple:
    """The data version of everything `user` may read, in one query, without loading the
    memberships: the committed writes and the latest audit event of the provinces of the
    user's memberships (as `data_version`, the provinces worked out in SQL) and of no office;
    of every office for a superuser or a member of the national office; and the number of the
    user's memberships. A membership given, changed or taken is an audited write in its
    province or of no office, so the version moves with the user's scope too."""
    if user.is_superuser:
        return ("all", *data_version(None))
    q = connection.ops.quote_name
    counters, events = q(ChangeCounter._meta.db_table), q(AuditEvent._meta.db_table)
    offices, members = q(Office._meta.db_table), q(Membership._meta.db_table)
    # `mine`: the kind and province of each of the user's memberships, read once (a query
    # naming the memberships four times took PostgreSQL 1.3 ms to plan, as long as to run).
    mine = (
        f"SELECT o.kind AS kind, CASE WHEN o.kind = %s OR o.parent_id IS NULL THEN o.id "
        f"ELSE o.parent_id END AS province FROM {members} m "
        f"JOIN {offices} o ON o.id = m.office_id WHERE m.user_id = %s"
    )
    national = "(SELECT EXISTS (SELECT 1 FROM mine WHERE kind = %s))"
    provinces = "(SELECT province FROM mine)"
    sql = (
        f"WITH mine AS ({mine}) "
        f"SELECT CASE WHEN {national} THEN (SELECT SUM(count) FROM {counters}) "
        f"ELSE (SELECT SUM(count) FROM {counters} WHERE scope = %s OR scope IN {provinces}) "
        f"END, "
        f"CASE WHEN {national} THEN (SELECT MAX(id) FROM {events}) "
        f"ELSE (SELECT MAX(latest) FROM (SELECT (SELECT MAX(e.id) FROM {events} e "
        f"WHERE e.office_id = oo.id) AS latest FROM {offices} oo "
        f"WHERE oo.id IN {provinces} OR oo.parent_id IN {provinces} "
        f"UNION ALL SELECT MAX(id) FROM {events} WHERE office_id IS NULL) latest_events) END, "
        f"(SELECT COUNT(*) FROM mine)"
    )
    province, nasional = Office.Kind.PROVINSI.value, Office.Kind.NASIONAL.value
    params = [province, user.pk, nasional, NO_OFFICE, nasional]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count, latest, memberships = cursor.fetchone()
    return ("scoped", count or 0, latest or 0, memberships)


def page_key(request, name: str, *, now: datetime) -> str:
    """The key of `request`'s page for its user: the page, its full path (the parameters) and
    htmx headers, the language, the date in Jakarta, the user and what of the user a page shows,
    and the version of everything the user may read."""
    user = request.user
    raw = repr(
        (
            KEY_VERSION,
            "page",
            name,
            request.get_full_path(),
            sorted((k, v) for k, v in request.headers.items() if k.lower().startswith("hx-")),
            translation.get_language(),
            now.astimezone(JAKARTA).date().isoformat(),
            (user.pk, user.is_superuser, user.is_staff, user.is_active, user.get_full_name()),
            user_version(user),
        )
    )
    return f"page:{name}:{hashlib.sha256(raw.encode()).hexdigest()}"


def _has_messages(request) -> bool:
    """A message waits to be shown (django.contrib.messages): the page is rendered afresh."""
    if request.COOKIES.get(CookieStorage.cookie_name):
        return True
    session = getattr(request, "session", None)
    return session is not None and SessionStorage.session_key in session


def _without_tokens(request, content: str) -> str | None:
    """The page with every CSRF token of the request's secret replaced by CSRF_MARK; None when
    a token of another secret is on it (never stored)."""
    secret = request.META.get("CSRF_COOKIE")

    def mark(match):
        return CSRF_MARK if secret and _unmask_cipher_token(match.group(0)) == secret else match[0]

    if CSRF_MARK in content:
        return None
    return _MASKED_TOKEN.sub(mark, content)


def cached_page(name: str):
    """A GET view whose whole 200 response is kept per user (see above); put it under
    login_required. The view itself still checks what it checks: it runs whenever the key
    changed, and a response that is not a plain 200 page (a redirect, a 404) is never kept."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method != "GET" or _has_messages(request):
                return view(request, *args, **kwargs)
            now = timezone.now()
            key = page_key(request, name, now=now)
            entry = cache.get(key)
            if entry is not None:
                content, headers, valid_until = entry
                if valid_until is None or now < valid_until:
                    if CSRF_MARK in content:
                        content = content.replace(CSRF_MARK, get_token(request))
                    return HttpResponse(content, headers=headers)
            moments: list = []
            reset = _valid_until.set(moments)
            try:
                response = view(request, *args, **kwargs)
            finally:
                _valid_until.reset(reset)
            if (
                response.status_code != 200
                or response.streaming
                or not response.get("Content-Type", "").startswith("text/html")
                or response.cookies
            ):
                return response
            content = _without_tokens(request, response.content.decode(response.charset))
            if content is not None:
                valid_until = min(moments, default=None)
                headers = {k: v for k, v in response.headers.items() if k != "Content-Length"}
                cache.set(key, (content, headers, valid_until), TIMEOUT)
            return response

        return wrapper

    return decorator
