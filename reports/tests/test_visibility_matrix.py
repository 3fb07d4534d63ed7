"""Every report URL × every persona × a village of the persona's own kab/kota, of another
kab/kota and of another province (DESIGN.md "People, roles, visibility").

Expected outcomes come from RULES, written from the design: outside the scope → 404; inside it,
the kab/kota team of the village's office writes (drafts, files, submitting), the province
team reviews (return, approve), everyone else reads; a write or review the persona may not do
→ 403; anonymous → the login page."""

from dataclasses import dataclass
from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse

from conftest import make_user
from core.deadlines import JAKARTA
from core.models import Attachment, Office, Region, Role
from program.models import ParticipatingVillage, ProgramYear, VillageKind
from reports import services
from reports.models import Purpose, Report, ReportKind, ReportState

from .conftest import PDF, complete_identifikasi, submitted_sosialisasi, upload

pytestmark = pytest.mark.django_db

BENGKULU = frozenset(
    {"1701", "1702", "1703", "1704", "1705", "1706", "1707", "1708", "1709", "1771"}
)


@dataclass(frozen=True)
class Rule:
    reads: frozenset[str]  # kab/kota offices whose villages' reports the persona reads
    writes: frozenset[str]  # ... and writes (drafts, files, submitting)
    reviews: bool  # returns and approves reports it reads


RULES = {
    "kepala": Rule(BENGKULU, frozenset(), False),
    "ketua_tim": Rule(BENGKULU, frozenset(), True),
    "tim_provinsi": Rule(BENGKULU, frozenset(), True),
    "viewer_provinsi": Rule(BENGKULU, frozenset(), False),
    "admin_provinsi": Rule(BENGKULU, frozenset(), False),
    "tim_rejang_lebong": Rule(frozenset({"1702"}), frozenset({"1702"}), False),
    "pimpinan_rejang_lebong": Rule(frozenset({"1702"}), frozenset(), False),
    "viewer_rejang_lebong": Rule(frozenset({"1702"}), frozenset(), False),
    "tim_kaur": Rule(frozenset({"1704"}), frozenset({"1704"}), False),
}
TARGETS = ["1702", "1704", "1601"]


@dataclass(frozen=True)
class Action:
    name: str
    method: str
    needs: str  # "read", "write" or "review"
    ok: int


ACTIONS = [
    Action("report_detail", "get", "read", 200),
    Action("version_detail", "get", "read", 200),
    Action("report_history", "get", "read", 200),
    Action("report_pdf", "get", "read", 200),
    Action("attachment_download", "get", "read", 200),
    Action("final_draft_docx", "get", "read", 200),
    Action("final_draft_pdf", "get", "read", 200),
    Action("report_edit", "get", "write", 200),
    Action("report_edit", "post", "write", 302),
    Action("report_upload", "post", "write", 302),
    Action("attachment_remove", "post", "write", 302),
    Action("report_submit", "post", "write", 302),
    Action("report_return", "post", "review", 302),
    Action("report_approve", "post", "review", 302),
]


def expected_status(rule: Rule, action: Action, target: str) -> int:
    if target not in rule.reads:
        return 404
    if action.needs == "write" and target not in rule.writes:
        return 403
    if action.needs == "review" and not rule.reviews:
        return 403
    return action.ok


@pytest.fixture
def other_province_village(db) -> ParticipatingVillage:
    sumsel = Region.objects.create(code="16", name="SUMATERA SELATAN", level=Region.Level.PROVINSI)
    oku = Region.objects.create(
        code="16.01", name="KAB. OGAN KOMERING ULU", level=Region.Level.KABKOTA, parent=sumsel
    )
    kecamatan = Region.objects.create(
        code="16.01.01", name="Sosoh Buay Rayap", level=Region.Level.KECAMATAN, parent=oku
    )
    desa = Region.objects.create(
        code="16.01.01.2001", name="Seberang", level=Region.Level.DESA, parent=kecamatan
    )
    province = Office.objects.create(
        code="1600",
        name="BPS Provinsi Sumatera Selatan",
        short_name="Sumatera Selatan",
        kind=Office.Kind.PROVINSI,
        region=sumsel,
    )
    office = Office.objects.create(
        code="1601",
        name="BPS Kabupaten Ogan Komering Ulu",
        short_name="Ogan Komering Ulu",
        kind=Office.Kind.KABKOTA,
        region=oku,
        parent=province,
    )
    from program.services import create_program_year

    year = create_program_year(province, year=2026, by=None)
    assert isinstance(year, ProgramYear)
    return ParticipatingVillage.objects.create(
        program_year=year, village=desa, office=office, kind=VillageKind.UTAMA
    )


@dataclass
class World:
    villages: dict[str, ParticipatingVillage]
    sosialisasi: dict[str, Report]  # submitted: the read URLs, and returned by a reviewer
    final: dict[str, Report]  # submitted: approved by a reviewer
    identifikasi: dict[str, Report]  # a complete draft: the write URLs
    spare_file: dict[str, Attachment]  # a removable file of each identifikasi draft


def submitted_final(village, by) -> Report:
    report = services.save_draft(
        Report(village=village, kind=ReportKind.LAPORAN_AKHIR),
        by=by,
        revision=None,
        fields={"anchor_date": date(2026, 5, 11), "notes": ""},
    )
    services.add_attachment(
        report, upload=upload("akhir.pdf"), purpose=Purpose.LAPORAN_FINAL, by=by
    )
    services.submit_report(report, by=by)
    return report


@pytest.fixture
def world(village_rejang_lebong, village_kaur, other_province_village, tim_rejang_lebong, tim_kaur):
    writers = {
        "1702": tim_rejang_lebong,
        "1704": tim_kaur,
        "1601": make_user("tim_oku", "1601", Role.TIM_KABKOTA),
    }
    villages = {"1702": village_rejang_lebong, "1704": village_kaur, "1601": other_province_village}
    with time_machine.travel(datetime(2026, 5, 12, 9, tzinfo=JAKARTA), tick=True):
        sosialisasi = {c: submitted_sosialisasi(v, writers[c]) for c, v in villages.items()}
        final = {c: submitted_final(v, writers[c]) for c, v in villages.items()}
        identifikasi = {c: complete_identifikasi(v, writers[c]) for c, v in villages.items()}
        spare = {
            c: services.add_attachment(
                r, upload=upload("lain.pdf", PDF), purpose=Purpose.LAINNYA, by=writers[c]
            )
            for c, r in identifikasi.items()
        }
    return World(villages, sosialisasi, final, identifikasi, spare)


def request_for(action: Action, world: World, target: str) -> tuple[str, dict]:
    village = world.villages[target]
    if action.name.startswith("final_draft"):
        return reverse(f"reports:{action.name}", args=[village.pk]), {}
    kind = {"write": "identifikasi", "read": "sosialisasi"}.get(action.needs)
    if action.needs == "review":
        kind = "sosialisasi" if action.name == "report_return" else "akhir"
    extra = []
    if action.name == "version_detail":
        extra = [1]
    elif action.name == "attachment_download":
        extra = [world.sosialisasi[target].versions.get().snapshot["attachments"][0]["id"]]
    elif action.name == "attachment_remove":
        extra = [world.spare_file[target].pk]
    url = reverse(f"reports:{action.name}", args=[kind, village.pk, *extra])
    data = {}
    if action.name == "report_edit" and action.method == "post":
        data = {
            "revision": str(world.identifikasi[target].revision),
            "anchor_date": "2026-05-08",
            "respondent_name": "Diubah lewat uji matriks",
            "respondent_position": "Sekdes",
            "coaching_data_management": "true",
            "coaching_data_collection": "true",
            "coaching_data_analysis": "false",
            "coaching_data_presentation": "true",
            "coaching_website": "false",
            "data-TOTAL_FORMS": "1",
            "data-INITIAL_FORMS": "0",
            "data-0-topic": "kesehatan",
            "data-0-description": "Data posyandu",
            "kegiatan-TOTAL_FORMS": "0",
            "kegiatan-INITIAL_FORMS": "0",
        }
    elif action.name == "report_upload":
        data = {
            "purpose": "dokumentasi",
            "file": upload("foto.png", b"\x89PNG\r\n\x1a\n" + b"0" * 30),
        }
    elif action.name == "report_return":
        data = {"return-version": "1", "return-comment": "Perbaiki"}
    elif action.name == "report_approve":
        data = {"approve-version": "1"}
    return url, data


def effects(world: World, target: str) -> dict:
    """What the write and review URLs may change, read back from the database."""
    identifikasi = Report.objects.get(pk=world.identifikasi[target].pk)
    return {
        "sosialisasi": Report.objects.get(pk=world.sosialisasi[target].pk).state,
        "final": Report.objects.get(pk=world.final[target].pk).state,
        "identifikasi": identifikasi.state,
        "respondent": identifikasi.respondent_name,
        "photos": Attachment.objects.filter(
            owner_id=str(identifikasi.pk), purpose="dokumentasi"
        ).count(),
        "spare_file": Attachment.objects.filter(pk=world.spare_file[target].pk).exists(),
    }


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("persona", list(RULES))
def test_every_report_url_answers_by_scope_and_role(request, client, world, persona, target):
    """The actions run in ACTIONS order on one world (reads, then writes ending with the
    submit, then the reviews on two different reports), so each sees the others' effects only
    where the design says it should."""
    user = request.getfixturevalue(persona)
    rule = RULES[persona]
    answers, expected = {}, {}
    with time_machine.travel(datetime(2026, 5, 13, 9, tzinfo=JAKARTA), tick=True):
        client.force_login(user)
        for action in ACTIONS:
            url, data = request_for(action, world, target)
            response = getattr(client, action.method)(url, data)
            key = f"{action.name} {action.method}"
            answers[key] = response.status_code
            expected[key] = expected_status(rule, action, target)
            if response.status_code == 200 and action.name == "report_detail":
                assert response.context["can_write"] is (target in rule.writes)
                assert response.context["can_review"] is rule.reviews

    assert answers == expected
    writes, reviews = target in rule.writes, rule.reviews and target in rule.reads
    assert effects(world, target) == {
        "sosialisasi": ReportState.RETURNED if reviews else ReportState.SUBMITTED,
        "final": ReportState.APPROVED if reviews else ReportState.SUBMITTED,
        "identifikasi": ReportState.SUBMITTED if writes else ReportState.DRAFT,
        "respondent": "Diubah lewat uji matriks" if writes else "Hendra Gunawan",
        "photos": 1 if writes else 0,
        "spare_file": not writes,
    }


@pytest.mark.parametrize("action", ACTIONS, ids=[f"{a.name}-{a.method}" for a in ACTIONS])
def test_anonymous_users_are_sent_to_the_login_page(client, world, action):
    url, data = request_for(action, world, "1702")

    response = getattr(client, action.method)(url, data)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", list(RULES))
def test_lists_and_needs_show_only_the_persona_scope(request, client, world, persona):
    client.force_login(request.getfixturevalue(persona))

    rows = client.get(reverse("reports:report_list", args=["sosialisasi"]) + "?tahun=2026")
    needs = client.get(reverse("reports:needs") + "?tahun=2026")

    reads = RULES[persona].reads
    assert {r.village.office.code for r in rows.context["rows"]} == reads & {"1702", "1704"}
    assert {r.office.code for r in needs.context["table"].coaching} == set(reads)
    assert needs.context["table"].answered_total == 0  # identification reports are drafts


def test_a_report_not_started_gives_404_for_its_files_and_versions(
    client, village_rejang_lebong, kepala
):
    client.force_login(kepala)
    village = village_rejang_lebong

    for name, extra in [("version_detail", [1]), ("report_history", []), ("report_pdf", [])]:
        response = client.get(reverse(f"reports:{name}", args=["akhir", village.pk, *extra]))
        assert response.status_code == 404, name
    assert (
        client.get(reverse("reports:report_detail", args=["akhir", village.pk])).status_code == 200
    )
    assert Report.objects.filter(village=village).count() == 0
