"""One place turns a user into a scope: core/permissions.py (offices_visible_to and the office
functions built on it) and each app's queries module (`*_visible_to(user)`). Views, exports,
the dashboard, the API, services, tasks and commands go through those functions; a module
that calls the low-level scope function itself fails here.

Tests are left out: they may read any row to state what a user must (not) see."""

import ast
from pathlib import Path

from django.conf import settings

# The low-level scope pieces: the set of office ids a user reaches, and its per-user cache.
LOW_LEVEL = {"visible_office_ids", "_monev_office_ids"}
ROOT = Path(settings.BASE_DIR)
SKIPPED_DIRS = {".venv", "node_modules", "var", "static", "migrations", "tests", ".git"}


def may_scope(path: Path) -> bool:
    """core/permissions.py and the queries modules (queries.py or a queries/ package)."""
    relative = path.relative_to(ROOT)
    return relative == Path("core/permissions.py") or (
        path.name == "queries.py" or "queries" in relative.parts[:-1]
    )


def modules() -> list[Path]:
    found = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in parts[:-1]):
            continue
        if path.name == "conftest.py" or path.name.startswith("test_"):
            continue
        found.append(path)
    return found


def low_level_uses(source: str) -> list[tuple[int, str]]:
    """(line, name) of every use of a low-level scope piece."""
    return uses_of(source, LOW_LEVEL)


def uses_of(source: str, names: set[str]) -> list[tuple[int, str]]:
    """(line, name) of every use of one of `names`: a name, an attribute, an import or a
    string (getattr)."""
    uses = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.alias):
            name = node.name.rsplit(".", 1)[-1]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value
        else:
            continue
        if name in names:
            uses.append((getattr(node, "lineno", 0), name))
    return sorted(uses)


def test_only_permissions_and_queries_modules_turn_a_user_into_a_scope():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {name}"
        for path in modules()
        if not may_scope(path)
        for line, name in low_level_uses(path.read_text())
    ]

    assert offenders == []


def test_the_walk_sees_every_app_and_the_allowed_modules():
    names = {str(path.relative_to(ROOT)) for path in modules()}

    for expected in [
        "core/permissions.py",
        "meetings/views.py",
        "meetings/queries.py",
        "monitoring/views.py",
        "monitoring/tasks.py",
        "reports/queries/needs.py",
        "api/endpoints/meetings.py",
        "lke/exports.py",
        "program/services.py",
    ]:
        assert expected in names, expected
    assert may_scope(ROOT / "reports/queries/needs.py")
    assert may_scope(ROOT / "lke/queries.py")
    assert not may_scope(ROOT / "meetings/views.py")
    assert not may_scope(ROOT / "api/endpoints/meetings.py")


def test_every_way_of_reaching_the_low_level_function_is_caught():
    source = """
from core.permissions import visible_office_ids
from core import permissions
import core.permissions as p

a = visible_office_ids(user)
b = permissions.visible_office_ids(user)
c = getattr(user, "_monev_office_ids", None)
"""
    assert low_level_uses(source) == [
        (2, "visible_office_ids"),
        (6, "visible_office_ids"),
        (7, "visible_office_ids"),
        (8, "_monev_office_ids"),
    ]
