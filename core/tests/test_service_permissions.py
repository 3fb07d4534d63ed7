"""Permissions inside every service (issue 9): a service that changes state checks its actor
(`by`) itself, so a management command or the JSON API cannot do what a page refuses.

Generated: every public function of an app's services module that takes `by` must have a case
in that app's tests/test_service_permissions.py (called by each persona of
core/tests/service_permissions.py, refusals checked for PermissionDenied, a translated message,
no audit row and no change), or be named below with the reason it has none. A new service
without a case fails `test_every_service_taking_by_has_a_case`.

The building blocks that write for a service (the audit row, a stored file, an extension) take
`by` but check nothing themselves: only services modules (and the audited admin) may call them.

This file also holds the cases of core.services."""

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from core import services
from core.models import AuditEvent, NotificationOptOut, User
from core.tests.service_permissions import (
    Case,
    check,
    parametrize,
    people,  # noqa: F401 (the fixture)
)
from core.tests.test_one_place import ROOT, modules, uses_of

# The building blocks: they write what a checked service decided (core/admin.py audits the
# operator's own changes in the Django admin, which only staff reach).
BUILDING_BLOCKS = {
    "core.services.audit": "appends the audit row of a change its caller checked",
    "core.services.store_attachment": "stores a file for a service that checked the owner",
    "core.services.grant_extension": "writes the extension monitoring.services.grant_dispensasi "
    "allows (can_grant_extensions)",
}
MAY_CALL_BUILDING_BLOCKS = {"core/admin.py", "core/people.py"}  # core.people: services

# Modules of services besides the apps' services.py: the people services of core.
EXTRA_SERVICE_MODULES = ["core.people"]

# Functions of a services module that take `by` only to read within its scope: nothing to refuse
# beyond what they read (they are 404/403 through the visibility rules).
READS = {
    "core.people.managed_offices": "the offices whose people `by` manages",
    "core.people.people_template_xlsx": "the import template of those offices",
    "core.people.read_people": "parses an upload; import_people writes (and checks)",
    "program.services.read_villages": "parses an upload; import_villages writes (and checks)",
}

# Services that check their actor but have no per-persona case yet; their own tests show
# refusals, and test_a_service_without_a_case_still_checks_its_actor reads each body for the
# check. A new service cannot join this list without a reason; emptying it is the work left of
# issue 9.
WITHOUT_CASE = {
    # New on main while issue 9 was done (the people pages): they check with
    # core.permissions.can_manage_people/can_manage_user.
    "core.people.invite_user": "_check_role (can_manage_people)",
    "core.people.send_password_link": "_require_manager",
    "core.people.update_user": "_require_manager",
    "core.people.add_membership": "_require_manager",
    "core.people.remove_membership": "_require_manager",
    "core.people.deactivate_user": "_require_manager",
    "core.people.reactivate_user": "_require_manager",
    "core.people.import_people": "_check_role (can_manage_people)",
}

# Apps whose services take `by`; each has a tests/test_service_permissions.py with CASES.
APPS_WITH_CASES = ["api", "core", "lke", "meetings", "monitoring", "program", "reports"]


def services_taking_by() -> dict[str, object]:
    """{"app.services.name": function} of every public function defined in an app's services
    module with a parameter named `by`."""
    found = {}
    names = [
        f"{config.name}.services"
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(ROOT) and ".venv" not in Path(config.path).parts
    ]
    for module_name in [*names, *EXTRA_SERVICE_MODULES]:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            if "by" in inspect.signature(function).parameters:
                found[f"{module.__name__}.{name}"] = function
    return found


def all_cases() -> list[Case]:
    cases = []
    for app in APPS_WITH_CASES:
        module = importlib.import_module(f"{app}.tests.test_service_permissions")
        cases += module.CASES
    return cases


def test_every_service_taking_by_has_a_case():
    covered = {case.name for case in all_cases()}
    missing = sorted(
        name
        for name in services_taking_by()
        if name not in covered
        and name not in BUILDING_BLOCKS
        and name not in WITHOUT_CASE
        and name not in READS
    )

    assert missing == [], (
        "These services change state for a user (`by`) but no test checks who may call them. "
        "Check the actor inside the service (core.permissions.require with the app's can_* "
        "rule) and add a Case to the app's tests/test_service_permissions.py: " + ", ".join(missing)
    )


def test_the_lists_name_only_existing_services_and_no_service_twice():
    existing = services_taking_by()
    covered = [case.name for case in all_cases()]
    listed = [*BUILDING_BLOCKS, *WITHOUT_CASE, *READS]

    assert [name for name in [*covered, *listed] if name not in existing] == []
    assert set(covered) & set(listed) == set()
    assert len(existing) > 60  # the walk finds the services of every app


def test_a_service_without_a_case_still_checks_its_actor():
    """The services listed without a case: their body checks (PermissionDenied, require, a
    _require_* helper, monitoring's _check of a transition's roles, core.people's _check_role,
    a can_* rule, or another service that checks, as import_people invites through
    invite_user)."""
    delegates = {n.rsplit(".", 1)[1] for n in [*WITHOUT_CASE, *(c.name for c in all_cases())]}
    unchecked = []
    for name, function in services_taking_by().items():
        if name not in WITHOUT_CASE:
            continue
        tree = ast.parse(inspect.getsource(function).lstrip())
        called = {
            node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
        }
        raised = {
            getattr(node.exc, "id", "") for node in ast.walk(tree) if isinstance(node, ast.Raise)
        }
        if not (
            "PermissionDenied" in raised
            or called & (delegates - {function.__name__})  # another service that checks
            or any(
                c in {"require", "_check", "_check_role"}
                or c.startswith(("_require", "can_", "_is_"))
                for c in called
            )
        ):
            unchecked.append(name)

    assert unchecked == []


def test_only_services_call_the_building_blocks():
    names = {name.rsplit(".", 1)[1] for name in BUILDING_BLOCKS}
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {name}"
        for path in modules()
        if path.name != "services.py"
        and str(path.relative_to(ROOT)) not in MAY_CALL_BUILDING_BLOCKS
        for line, name in uses_of(path.read_text(), names)
    ]

    assert offenders == []


# --- the cases of core.services ------------------------------------------------------------------


def _profile(users):
    user = users["tim_kabkota"]
    return (
        lambda by: services.update_profile(user, full_name="Nama Baru", nip="", by=by),
        lambda: User.objects.filter(pk=user.pk).values_list("full_name", "nip").get(),
    )


def _notifications(users):
    user = users["tim_kabkota"]
    return (
        lambda by: services.set_notification_preferences(user, enabled=[], by=by),
        lambda: sorted(NotificationOptOut.objects.filter(user=user).values_list("kind", flat=True)),
    )


CASES = [
    Case(services.update_profile, frozenset({"tim_kabkota"}), _profile),
    Case(services.set_notification_preferences, frozenset({"tim_kabkota"}), _notifications),
]


@parametrize(CASES)
def test_service_checks_the_actor(case, persona, allowed, people):  # noqa: F811
    check(case, persona, allowed, people)


def test_an_anonymous_actor_is_refused_like_a_user_without_a_role(people):  # noqa: F811
    user = people["tim_kabkota"]
    rows = AuditEvent.objects.count()

    with pytest.raises(PermissionDenied):
        services.update_profile(user, full_name="X", nip="", by=AnonymousUser())

    assert AuditEvent.objects.count() == rows
