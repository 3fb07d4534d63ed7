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

from conftest import make_user
from core import people as core_people
from core import services
from core.models import AuditEvent, Membership, NotificationOptOut, Office, OutgoingMail, Role, User
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

# Services that check their actor but have no per-persona case yet (none left: every service
# of issue 9 has its case); test_a_service_without_a_case_still_checks_its_actor reads the body
# of any listed here for the check. A service may join only for a while, with a reason.
WITHOUT_CASE: dict[str, str] = {}

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


# --- the cases of core.people: the person changed is a tim_kabkota of Rejang Lebong, whose
# people an administrator or the team lead of the province manages (and a superuser) ---------

PEOPLE_MANAGERS = frozenset({"superuser", "admin", "ketua_tim"})


def _person(*, active: bool = True, extra_role: str | None = None) -> User:
    user = make_user("orang_rejang_lebong", "1702", Role.TIM_KABKOTA)
    user.email, user.is_active = "orang@bps.go.id", active
    user.save(update_fields=["email", "is_active"])
    if extra_role:
        Membership.objects.create(
            user=user, office=Office.objects.get(code="1702"), role=extra_role
        )
    return user


def _account(user: User):
    return lambda: (
        User.objects.filter(pk=user.pk)
        .values_list("full_name", "nip", "position", "email", "is_active")
        .get(),
        sorted(Membership.objects.filter(user=user).values_list("office__code", "role")),
        OutgoingMail.objects.count(),
    )


def _accounts():
    return User.objects.count(), Membership.objects.count(), OutgoingMail.objects.count()


def _invite(office_code: str, role: str):
    def setup(users):
        office = Office.objects.get(code=office_code)
        return (
            lambda by: core_people.invite_user(
                email="baru@bps.go.id",
                full_name="Siti Aminah, S.Si.",
                office=office,
                role=role,
                by=by,
            ),
            _accounts,
        )

    return setup


def _password_link(users):
    user = _person()
    return (lambda by: core_people.send_password_link(user, by=by), _account(user))


def _update_user(users):
    user = _person()
    return (
        lambda by: core_people.update_user(
            user,
            full_name="Orang Baru, S.E.",
            nip="",
            position="Statistisi",
            email=user.email,
            by=by,
        ),
        _account(user),
    )


def _add_membership(users):
    user = _person()
    office = Office.objects.get(code="1702")
    return (
        lambda by: core_people.add_membership(user, office=office, role=Role.VIEWER, by=by),
        _account(user),
    )


def _remove_membership(users):
    user = _person(extra_role=Role.VIEWER)
    membership = Membership.objects.get(user=user, role=Role.VIEWER)
    return (lambda by: core_people.remove_membership(membership, by=by), _account(user))


def _deactivate(users):
    user = _person()
    return (
        lambda by: core_people.deactivate_user(user, by=by, reason="Pindah tugas"),
        _account(user),
    )


def _reactivate(users):
    user = _person(active=False)
    return (lambda by: core_people.reactivate_user(user, by=by), _account(user))


def _import_people(users):
    office = Office.objects.get(code="1702")
    row = core_people.PersonRow(
        2,
        {
            "full_name": "Siti Aminah, S.Si.",
            "email": "baru@bps.go.id",
            "username": "baru",
            "nip": "",
            "position": "",
            "office_id": office.pk,
            "role": Role.TIM_KABKOTA,
        },
    )
    return (lambda by: core_people.import_people([row], by=by, file_name="orang.xlsx"), _accounts)


CASES = [
    Case(services.update_profile, frozenset({"tim_kabkota"}), _profile),
    Case(services.set_notification_preferences, frozenset({"tim_kabkota"}), _notifications),
    Case(core_people.invite_user, PEOPLE_MANAGERS, _invite("1702", Role.TIM_KABKOTA), "kabkota"),
    Case(
        core_people.invite_user,
        frozenset({"superuser", "admin"}),
        _invite("1700", Role.ADMIN),
        "admin",
    ),
    Case(core_people.send_password_link, PEOPLE_MANAGERS, _password_link),
    Case(core_people.update_user, PEOPLE_MANAGERS, _update_user),
    Case(core_people.add_membership, PEOPLE_MANAGERS, _add_membership),
    Case(core_people.remove_membership, PEOPLE_MANAGERS, _remove_membership),
    Case(core_people.deactivate_user, PEOPLE_MANAGERS, _deactivate),
    Case(core_people.reactivate_user, PEOPLE_MANAGERS, _reactivate),
    Case(core_people.import_people, PEOPLE_MANAGERS, _import_people),
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
