"""The Riwayat pages read in the user's language: labelled actions, fields and values."""

import ast
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from core.history import ACTION_LABELS, action_label, key_label, value_label
from core.models import AuditEvent
from core.services import audit
from lke.models import Level
from lke.services import TRANSITIONS as LKE_TRANSITIONS
from program.models import ParticipatingVillage, VillageKind

ROOT = Path(settings.BASE_DIR)
APPS = ["core", "program", "reports", "meetings", "lke", "monitoring", "api"]
ACTION_SHAPE = re.compile(r"^[a-z_]+(\.[a-z_]+){1,2}$")
NOT_ACTIONS = {"queries", "services", "models", "views", "xlsx", "pdf", "docx", "csv", "json"}


def _source_modules():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" not in path.parts and "migrations" not in path.parts:
                yield path


def _actions_written_by_the_code() -> set[str]:
    """Every literal passed as `action=` to audit(), plus every string of an audited object's
    prefix that has an action's shape (tables such as meetings' TRANSITIONS), plus the LKE
    actions built from its transition table and levels."""
    literal, shaped = set(), set()
    for path in _source_modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "audit":
                for keyword in node.keywords:
                    if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                        literal.add(keyword.value.value)
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value
                if ACTION_SHAPE.match(value) and not set(value.split(".")) & NOT_ACTIONS:
                    shaped.add(value)
    prefixes = {action.split(".")[0] for action in literal}
    found = literal | {value for value in shaped if value.split(".")[0] in prefixes}
    found |= {f"lke.{name}" for name in LKE_TRANSITIONS}
    found |= {f"lke.{kind}.{level}" for kind in ("answer", "import") for level in Level.values}
    return found


def test_every_action_the_code_writes_has_a_label():
    missing = sorted(_actions_written_by_the_code() - set(ACTION_LABELS))
    assert not missing, f"add a label to core/history.py ACTION_LABELS for: {missing}"


def test_actions_read_in_indonesian_never_as_codes():
    with translation.override("id"):
        assert action_label("report.approve") == "Laporan disetujui"
        assert action_label("report.return") == "Laporan dikembalikan untuk perbaikan"
        # The Django admin writes `<model>.update`: the verb still reads as a word.
        assert action_label("office.update") == "Diubah"
        assert action_label("something.unknown") == "Perubahan"


def test_values_read_as_people_write_them():
    kind = ParticipatingVillage._meta.get_field("kind")
    with translation.override("id"):
        assert value_label(kind, "utama") == "Utama"
        assert value_label(kind, ["utama", "tambahan"]) == "Utama, Tambahan"
        assert value_label(None, True) == "Ya"
        assert value_label(None, False) == "Tidak"
        assert value_label(None, "2026-11-18") == "18 November 2026"
        assert value_label(None, date(2026, 11, 18)) == "18 November 2026"
        # Stored in UTC, read in Jakarta time.
        moment = datetime(2026, 11, 18, 2, 5, tzinfo=ZoneInfo("UTC"))
        assert value_label(None, moment.isoformat()) == "18 November 2026 09.05"
        assert value_label(None, None) == "—"
        assert value_label(None, "") == "—"


def test_keys_that_are_no_fields_read_in_indonesian():
    from meetings.models import Meeting

    with translation.override("id"):
        assert key_label(Meeting, "action item") == ("tindak lanjut", None)
        assert key_label(Meeting, "minutes: Progres pembinaan desa") == (
            "notulen: Progres pembinaan desa",
            None,
        )
        assert key_label(Meeting, "decisions")[0] == "keputusan"


def test_change_rows_use_choice_labels(village_kaur, ketua_tim):
    event = audit(
        village_kaur,
        by=ketua_tim,
        action="village.update",
        changes={"kind": ("tambahan", "utama"), "pembina": (["A"], ["A", "B"])},
    )
    with translation.override("id"):
        assert event.change_rows == [("jenis", "Tambahan", "Utama"), ("pembina", "A", "A, B")]
        assert event.action_label == "Data desa diubah"


def test_village_history_page_shows_labels_not_codes(client, ketua_tim, village_kaur):
    village_kaur.kind = VillageKind.TAMBAHAN
    audit(
        village_kaur,
        by=ketua_tim,
        action="village.update",
        changes={"kind": (VillageKind.UTAMA, VillageKind.TAMBAHAN)},
    )
    client.force_login(ketua_tim)

    page = client.get(reverse("program:village_history", args=[village_kaur.pk])).content.decode()

    assert "Data desa diubah" in page
    assert '<span class="audit-old">Utama</span> → <span class="audit-new">Tambahan</span>' in page
    assert "village.update" not in page
    assert AuditEvent.objects.filter(action="village.update").exists()  # the record keeps the code
