"""The harness of the `test_service_permissions.py` files: every service that changes state is
called directly (no view in between, as a management command or the JSON API would call it) by
a user of each role, of the object's own office and of another, and by the system actor.

A file declares `CASES`, one `Case` per service (or per variant of one): `setup(people)` builds
the objects and returns `act(by)`, which calls the service once, and `state()`, a value that
must not change when the service refuses. `allowed` names the personas (PEOPLE) that may make
the change. `parametrize(CASES)` turns the list into tests:

- every other persona: the service raises PermissionDenied, with a message that the Indonesian
  catalogue translates (shown on the 403 page), adds no audit row and leaves `state()` as it was;
- every allowed persona: no PermissionDenied, and at least one audit row (the change was made),
  so the refusals above are not the service failing for everybody.

core/tests/test_service_permissions.py checks that every public function of every app's
services module that takes `by` has a case (or a stated reason why it needs none)."""

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from conftest import make_user
from core.models import AuditEvent, Office, Region, Role

# persona → (office code, role); the object of every case belongs to Rejang Lebong (1702) of
# the province of Bengkulu (1700). Kaur (1704) is another kab/kota of the same province,
# Sumatera Selatan (1600) another province.
PEOPLE = {
    "superuser": (None, None),
    "admin": ("1700", Role.ADMIN),
    "kepala": ("1700", Role.KEPALA),
    "ketua_tim": ("1700", Role.KETUA_TIM),
    "tim_provinsi": ("1700", Role.TIM_PROVINSI),
    "viewer": ("1700", Role.VIEWER),
    "tim_kabkota": ("1702", Role.TIM_KABKOTA),
    "pimpinan_kabkota": ("1702", Role.PIMPINAN_KABKOTA),
    "viewer_kabkota": ("1702", Role.VIEWER),
    "tim_other_kabkota": ("1704", Role.TIM_KABKOTA),
    "pimpinan_other_kabkota": ("1704", Role.PIMPINAN_KABKOTA),
    "ketua_tim_other_province": ("1600", Role.KETUA_TIM),
    "tim_provinsi_other_province": ("1600", Role.TIM_PROVINSI),
    "system": (None, None),  # by=None: a management command acting as the system
}
PROVINCE_TEAM = frozenset({"ketua_tim", "tim_provinsi"})

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf(name: str = "bukti.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@dataclass(frozen=True)
class Case:
    service: Callable
    allowed: frozenset[str]
    setup: Callable  # (people) -> (act(by), state())
    variant: str = ""
    notes: str = field(default="", compare=False)

    @property
    def name(self) -> str:
        return f"{self.service.__module__}.{self.service.__name__}"

    @property
    def id(self) -> str:
        return self.service.__name__ + (f"[{self.variant}]" if self.variant else "")


def _other_province() -> Office:
    region, _ = Region.objects.get_or_create(
        code="16", defaults={"name": "SUMATERA SELATAN", "level": Region.Level.PROVINSI}
    )
    office, _ = Office.objects.get_or_create(
        code="1600",
        defaults={
            "name": "BPS Provinsi Sumatera Selatan",
            "short_name": "Sumatera Selatan",
            "kind": Office.Kind.PROVINSI,
            "region": region,
        },
    )
    return office


@pytest.fixture
def people(db, settings):
    """One user per persona (PEOPLE); "system" is None."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _other_province()
    users = {}
    for name, (office, role) in PEOPLE.items():
        if name == "system":
            users[name] = None
        elif name == "superuser":
            users[name] = make_user("root", None, None, is_superuser=True, is_staff=True)
        else:
            users[name] = make_user(f"p_{name}", office, role)
    return users


def parametrize(cases: list[Case]):
    """The (case, persona, allowed) parameters of a test_service_permissions.py file."""
    params = []
    for case in cases:
        unknown = case.allowed - set(PEOPLE)
        assert not unknown, f"{case.id}: unknown personas {sorted(unknown)}"
        for persona in PEOPLE:
            allowed = persona in case.allowed
            params.append(
                pytest.param(
                    case,
                    persona,
                    allowed,
                    id=f"{case.id}-{persona}-{'allowed' if allowed else 'refused'}",
                )
            )
    return pytest.mark.parametrize(("case", "persona", "allowed"), params)


def check(case: Case, persona: str, allowed: bool, people) -> None:
    act, state = case.setup(people)
    by = people[persona]
    audit_rows, before = AuditEvent.objects.count(), state()
    if allowed:
        act(by)
        assert AuditEvent.objects.count() > audit_rows, f"{case.id} by {persona} changed nothing"
        return
    messages = {}
    for language in ("en", "id"):
        with translation.override(language), pytest.raises(PermissionDenied) as refused:
            act(by)
        messages[language] = str(refused.value)
    assert messages["id"], f"{case.id}: PermissionDenied without a message"
    assert messages["id"] != messages["en"], f"not translated: {messages['en']!r}"
    assert AuditEvent.objects.count() == audit_rows
    assert state() == before


def today() -> date:
    from django.utils import timezone

    return timezone.localdate()


def xlsx_file(rows: list[list], header: list[str]) -> SimpleUploadedFile:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("berkas.xlsx", buffer.getvalue())
