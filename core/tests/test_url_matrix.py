"""The URL × role × office matrix, generated from the URLconf (issue #9).

Every URL pattern of the project (`django.urls.get_resolver()`, walked recursively) must have a
declaration in url_matrix.URLS; `test_every_url_has_a_declaration` fails for one that has none
and names what to declare. Each declared URL is then requested by every role (url_matrix.ROLES)
on the own office's object and another office's (url_world.py): the status must be the declared
one; every 200 answer (page, xlsx, pdf, docx, ics, file) must not contain the marker of an office
outside the role's scope, and a list or export must contain the own one; a POST the role may not
make must be refused with nothing changed (no new audit row).

Left out: `admin:` (Django's admin has its own permission model; see
`test_admin_sends_non_staff_to_its_login`) and the JSON API under `api/` (schema-generated
matrix in api/tests/test_matrix.py)."""

import io
import re

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.models import AuditEvent

from .url_matrix import ALLOWED, ANONYMOUS, KABKOTA, NATIONAL, PEOPLE, URLS
from .url_world import NOW, build_world

EXCLUDED_NAMESPACES = ("admin", "api")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def url_patterns(patterns=None, namespace=(), prefix=""):
    """(key, route) of every URL pattern: the key is "namespace:name", or "/route" for a
    pattern without a name."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + ((pattern.namespace,) if pattern.namespace else ())
            if inner and inner[0] in EXCLUDED_NAMESPACES:
                continue
            yield from url_patterns(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            key = ":".join((*namespace, pattern.name)) if pattern.name else "/" + route
            yield key, route


def test_every_url_has_a_declaration():
    found = dict(url_patterns())
    missing = [
        f"{key} (/{route}): add URLS[{key!r}] = Url(get=..., kwargs=..., post=...) to "
        "core/tests/url_matrix.py (see its docstring), then run core/tests/test_url_matrix.py"
        for key, route in sorted(found.items())
        if key not in URLS
    ]
    stale = [
        f"{key}: no such URL any more; remove it from URLS" for key in URLS if key not in found
    ]
    problems = missing + stale
    assert not problems, "URLs without a declaration:\n" + "\n".join(problems)


def _cases():
    for key, url in URLS.items():
        for role in PEOPLE:
            yield pytest.param(key, role, "own", id=f"{key}-{role}-own")
            if url.sided:
                yield pytest.param(key, role, "other", id=f"{key}-{role}-other")
        yield pytest.param(key, ANONYMOUS, "own", id=f"{key}-{ANONYMOUS}")


# --- the world, built once for the module --------------------------------------------------------


@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("url-matrix-media")


def _storages(root):
    return {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root},
        },
    }


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, media_root):
    """The world's files, for every test of the module (instead of a folder per test)."""
    settings.STORAGES = _storages(media_root)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, media_root):
    """Built in a transaction of its own that is rolled back after the module; each test runs
    in a savepoint inside it (the `db` fixture), so a POST that did change something is undone."""
    with (
        django_db_blocker.unblock(),
        time_machine.travel(NOW, tick=False),
        override_settings(
            STORAGES=_storages(media_root),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def frozen(world):
    with time_machine.travel(NOW, tick=False):
        yield


# --- reading an answer ---------------------------------------------------------------------------


def text_of(response) -> str:
    """The text a person would read in the answer: a page's HTML, the cells of an xlsx, the
    text of a PDF or DOCX; a stored file as its bytes."""
    if response.streaming:
        return b"".join(response.streaming_content).decode("latin-1")
    content_type = response.get("Content-Type", "").split(";")[0]
    if content_type == XLSX:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    if content_type == "application/pdf":
        from pypdf import PdfReader

        return "\n".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        )
    if content_type == DOCX:
        from docx import Document

        document = Document(io.BytesIO(response.content))
        parts = [p.text for p in document.paragraphs]
        parts += [
            cell.text for table in document.tables for row in table.rows for cell in row.cells
        ]
        return "\n".join(parts)
    return response.content.decode()


def _outside_sides(role: str) -> list[str]:
    """The sides (url_world) outside the role's scope (none for BPS RI)."""
    if role in NATIONAL:
        return []
    return ["X", "B"] if role in KABKOTA else ["X"]


def _outside(world, role: str) -> list[str]:
    """Markers of the offices outside the role's scope."""
    return [world.side(key).marker for key in _outside_sides(role)]


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- the matrix ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "role", "office"), list(_cases()))
def test_url(key, role, office, world, frozen, db):
    url = URLS[key]
    other = office == "other"
    side = world.side("A")
    if other:
        side = world.side("B" if role in KABKOTA else "X")
    path = key if key.startswith("/") else reverse(key, kwargs=url.kwargs_for(side))
    query = url.query(side) if url.query else {}
    if role in NATIONAL and not url.public:
        # BPS RI reaches every province: it names the side's province (`provinsi`), as the
        # links of the national dashboard do; a page that takes no year ignores it
        query = {**query, "provinsi": side.office.parent.code}
    client = Client()
    if role != ANONYMOUS:
        client.force_login(world.users[role])

    response = client.get(path, query)
    expected = url.anonymous if role == ANONYMOUS else url.expected_get(role, other)
    assert (response.status_code, path, query) == (expected, path, query)
    if role == ANONYMOUS and not url.public:
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    if response.status_code == 200:
        text = text_of(response)
        leaked = [m for m in _outside(world, role) if m in text or m in _squeezed(text)]
        assert leaked == [], f"{key} shows {role} another office's data ({leaked})"
        if url.names_own_offices:
            names = [world.side(k).office.short_name for k in _outside_sides(role)]
            named = [n for n in names if re.search(rf"\b{n}\b", text)]
            assert named == [], f"{key} names to {role} offices outside its scope ({named})"
        if url.shows_own and not other:
            assert side.marker in _squeezed(text), f"{key} does not show the own office's rows"

    if url.post is None:
        return
    expected_post = url.anonymous if role == ANONYMOUS else url.expected_post(role, other)
    if expected_post is ALLOWED:
        return
    before = AuditEvent.objects.count()
    response = client.post(path + _query_string(query), url.data(side))
    assert response.status_code == expected_post, f"POST {path}"
    assert AuditEvent.objects.count() == before, f"a refused POST to {key} changed something"


def _query_string(query: dict) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode(query) if query else ""


def test_admin_sends_non_staff_to_its_login(world, frozen, db):
    """Django's admin has its own permission model (is_staff and model permissions): every
    persona but the admin, and anonymous, is sent to the admin's login page."""
    answers = {}
    for role in (*PEOPLE, ANONYMOUS):
        client = Client()
        if role != ANONYMOUS:
            client.force_login(world.users[role])
        response = client.get(reverse("admin:index"))
        answers[role] = (response.status_code, response.get("Location", "").split("?")[0])
    login = reverse("admin:login")
    assert answers == {
        **{role: (302, login) for role in (*PEOPLE, ANONYMOUS) if role != "admin"},
        "admin": (200, ""),
    }
