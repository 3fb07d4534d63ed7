"""A village's coaching work plan: kept by its kab/kota team, read by the province and the
office's other roles, realised with evidence, every change audited, no silent overwrite."""

from datetime import date, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import desa_in, make_user
from core.deadlines import JAKARTA, Status
from core.models import Attachment, AuditEvent, Role
from core.services import ObjectGoneError, grant_extension
from program import services
from program.models import ParticipatingVillage, Stage, VillageKind, WorkPlanActivity
from program.queries import work_plan_items
from program.services import add_activity, realise_activity, update_activity

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
FROZEN = datetime(2026, 5, 18, 12, tzinfo=JAKARTA)
READ_ONLY = [
    "kepala",
    "ketua_tim",
    "tim_provinsi",
    "viewer_provinsi",
    "pimpinan_rejang_lebong",
    "viewer_rejang_lebong",
]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Personas log in with force_login: a slow password hash would only slow the tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_activity(village, by, **values) -> WorkPlanActivity:
    plan = {
        "stage": Stage.KOORDINASI,
        "name": "Sosialisasi dan pencanangan Desa Cantik",
        "pelaksana": "Pembina dan perangkat desa",
        "target_output": "Berita acara pencanangan",
        "planned_start": date(2026, 5, 4),
        "planned_end": date(2026, 5, 8),
        **values,
    }
    return add_activity(village, by=by, **plan)


def pdf(name: str = "daftar-hadir.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


STALE_NOTICE = "core/_stale_notice.html"  # "saved now by the other person", for every form


def plan_form(**overrides) -> dict:
    return {
        "stage": "identifikasi",
        "name": "Kunjungan identifikasi kebutuhan data",
        "pelaksana": "Pembina",
        "target_output": "Kuesioner identifikasi terisi",
        "planned_start": "2026-06-01",
        "planned_end": "2026-06-12",
        **overrides,
    }


@pytest.fixture
def activity(village_rejang_lebong, tim_rejang_lebong) -> WorkPlanActivity:
    return make_activity(village_rejang_lebong, tim_rejang_lebong)


@pytest.fixture
def realised(village_rejang_lebong, tim_rejang_lebong) -> WorkPlanActivity:
    line = make_activity(village_rejang_lebong, tim_rejang_lebong, name="Rapat koordinasi")
    return realise_activity(
        line,
        version=line.version,
        realised_on=date(2026, 5, 7),
        realisation_output="Notulen rapat",
        realisation_notes="",
        evidence=[pdf()],
        by=tim_rejang_lebong,
    )


def statuses(response) -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (group.stage.value, [(line.activity.name, line.status.value) for line in group.lines])
        for group in response.context["plan"]
    ]


# --- adding -------------------------------------------------------------------------------------


def test_kabkota_team_adds_an_activity_with_an_audit_row(
    client, tim_rejang_lebong, village_rejang_lebong
):
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:activity_add", args=[village_rejang_lebong.pk]), plan_form()
    )

    assert response.status_code == 302
    assert response.url == (
        reverse("program:village_detail", args=[village_rejang_lebong.pk]) + "#rencana-kerja"
    )
    activity = WorkPlanActivity.objects.get()
    assert (activity.village, activity.stage, activity.name, activity.planned_end) == (
        village_rejang_lebong,
        "identifikasi",
        "Kunjungan identifikasi kebutuhan data",
        date(2026, 6, 12),
    )
    event = AuditEvent.objects.get(action="work_plan.add")
    assert (event.actor, event.object_id, event.office) == (
        tim_rejang_lebong,
        str(activity.pk),
        village_rejang_lebong.office,
    )
    assert event.changes["name"] == [None, "Kunjungan identifikasi kebutuhan data"]
    assert event.changes["planned_start"] == [None, "2026-06-01"]


def test_add_form_preselects_the_stage_of_the_link(
    client, tim_rejang_lebong, village_rejang_lebong
):
    client.force_login(tim_rejang_lebong)

    response = client.get(
        reverse("program:activity_add", args=[village_rejang_lebong.pk]), {"tahap": "monev"}
    )

    assert response.status_code == 200
    assert response.context["form"]["stage"].value() == "monev"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"planned_end": "2026-05-31"}, "planned_end"),
        ({"planned_start": "kemarin"}, "planned_start"),
        ({"planned_end": ""}, "planned_end"),
        ({"name": ""}, "name"),
        ({"stage": "persiapan"}, "stage"),
    ],
    ids=["end-before-start", "bad-date", "missing-end", "missing-name", "unknown-stage"],
)
def test_bad_plan_is_refused_with_nothing_saved(
    client, tim_rejang_lebong, village_rejang_lebong, overrides, field
):
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:activity_add", args=[village_rejang_lebong.pk]), plan_form(**overrides)
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert WorkPlanActivity.objects.count() == 0
    assert not AuditEvent.objects.filter(action="work_plan.add").exists()


def test_end_before_start_reads_in_indonesian(client, tim_rejang_lebong, village_rejang_lebong):
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:activity_add", args=[village_rejang_lebong.pk]),
        plan_form(planned_end="2026-05-01"),
    )

    assert "Tanggal selesai sebelum tanggal mulai." in response.content.decode()


@pytest.mark.parametrize("persona", READ_ONLY)
def test_read_only_roles_cannot_add(request, client, village_rejang_lebong, persona):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("program:activity_add", args=[village_rejang_lebong.pk])

    assert (client.get(url).status_code, client.post(url, plan_form()).status_code) == (403, 403)
    assert WorkPlanActivity.objects.count() == 0


def test_team_of_another_office_cannot_reach_the_plan(client, tim_kaur, village_rejang_lebong):
    client.force_login(tim_kaur)

    response = client.post(
        reverse("program:activity_add", args=[village_rejang_lebong.pk]), plan_form()
    )

    assert response.status_code == 404
    assert WorkPlanActivity.objects.count() == 0


def test_add_refuses_a_wrong_method(client, tim_rejang_lebong, village_rejang_lebong):
    client.force_login(tim_rejang_lebong)

    response = client.put(reverse("program:activity_add", args=[village_rejang_lebong.pk]))

    assert response.status_code == 405


# --- the plan on the village page -----------------------------------------------------------------


@time_machine.travel(FROZEN, tick=False)
def test_village_page_groups_the_plan_by_stage_with_deadline_badges(
    client, tim_rejang_lebong, ketua_tim, village_rejang_lebong
):
    village, by = village_rejang_lebong, tim_rejang_lebong
    make_activity(village, by, stage="monev", name="Evaluasi", planned_end=date(2026, 6, 30))
    make_activity(village, by, name="Terlewat", planned_end=date(2026, 5, 10))
    make_activity(village, by, name="Hampir", planned_end=date(2026, 5, 20))
    make_activity(village, by, stage="identifikasi", name="Belum", planned_end=date(2026, 5, 26))
    on_time = make_activity(village, by, stage="perencanaan", name="Tepat")
    late = make_activity(village, by, stage="perencanaan", name="Telat")
    extended = make_activity(village, by, stage="pelaksanaan", name="Dispensasi")
    for line, day in [(on_time, date(2026, 5, 8)), (late, date(2026, 5, 12))]:
        update_activity(line, version=line.version, realised_on=day, by=by)
    grant_extension(
        extended, office=village.office, until=date(2026, 5, 25), reason="Banjir", by=ketua_tim
    )
    client.force_login(ketua_tim)

    response = client.get(reverse("program:village_detail", args=[village.pk]))

    assert statuses(response) == [
        (
            "koordinasi",
            [("Terlewat", "lewat"), ("Hampir", "segera")],
        ),
        ("identifikasi", [("Belum", "belum_jatuh_tempo")]),
        ("perencanaan", [("Tepat", "tepat_waktu"), ("Telat", "terlambat")]),
        ("pelaksanaan", [("Dispensasi", "dispensasi")]),
        ("monev", [("Evaluasi", "belum_jatuh_tempo")]),
    ]
    page = response.content.decode()
    assert 'id="rencana-kerja"' in page
    assert page.count('data-status="lewat"') == 1
    assert "Lewat tenggat" in page and "Dispensasi" in page and "Tepat waktu" in page
    assert response.context["can_edit_plan"] is False
    assert reverse("program:activity_add", args=[village.pk]) not in page


@time_machine.travel(FROZEN, tick=False)
def test_village_page_badges_match_the_tracked_items(
    client, tim_rejang_lebong, village_rejang_lebong
):
    make_activity(village_rejang_lebong, tim_rejang_lebong, planned_end=date(2026, 5, 22))
    client.force_login(tim_rejang_lebong)

    response = client.get(reverse("program:village_detail", args=[village_rejang_lebong.pk]))

    items = work_plan_items(village_rejang_lebong.program_year, [village_rejang_lebong.office_id])
    assert [item.status for item in items] == [Status.SEGERA]
    assert items[0].url == (
        reverse("program:village_detail", args=[village_rejang_lebong.pk]) + "#rencana-kerja"
    )
    assert statuses(response)[0][1] == [("Sosialisasi dan pencanangan Desa Cantik", "segera")]
    assert response.context["can_edit_plan"] is True


def test_village_page_shows_an_empty_state_per_stage(
    client, pimpinan_rejang_lebong, village_rejang_lebong
):
    client.force_login(pimpinan_rejang_lebong)

    response = client.get(reverse("program:village_detail", args=[village_rejang_lebong.pk]))

    assert statuses(response) == [(stage.value, []) for stage in Stage]
    assert response.content.decode().count("Belum ada kegiatan untuk tahap ini.") == 5


def test_village_page_query_count_does_not_grow_with_the_plan(
    client, tim_rejang_lebong, village_rejang_lebong
):
    client.force_login(tim_rejang_lebong)
    url = reverse("program:village_detail", args=[village_rejang_lebong.pk])
    make_activity(village_rejang_lebong, tim_rejang_lebong)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for index in range(12):
        line = make_activity(
            village_rejang_lebong, tim_rejang_lebong, stage=list(Stage)[index % 5], name=f"K{index}"
        )
        realise_activity(
            line,
            version=1,
            realised_on=date(2026, 5, 8),
            realisation_output="",
            realisation_notes="",
            evidence=[pdf()],
            by=tim_rejang_lebong,
        )

    with CaptureQueriesContext(connection) as large:
        response = client.get(url)

    assert sum(len(group.lines) for group in response.context["plan"]) == 13
    assert len(large) == len(small)


# --- editing, and two people editing at once ------------------------------------------------------


def test_kabkota_team_edits_the_plan_with_old_and_new_values(client, tim_rejang_lebong, activity):
    client.force_login(tim_rejang_lebong)
    form = client.get(reverse("program:activity_edit", args=[activity.pk]))

    response = client.post(
        reverse("program:activity_edit", args=[activity.pk]),
        plan_form(stage="koordinasi", name=activity.name, version=1),
    )

    assert form.context["form"]["version"].value() == 1
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.pelaksana, activity.planned_end, activity.version) == (
        "Pembina",
        date(2026, 6, 12),
        2,
    )
    event = AuditEvent.objects.get(action="work_plan.update")
    assert event.changes == {
        "pelaksana": ["Pembina dan perangkat desa", "Pembina"],
        "target_output": ["Berita acara pencanangan", "Kuesioner identifikasi terisi"],
        "planned_start": ["2026-05-04", "2026-06-01"],
        "planned_end": ["2026-05-08", "2026-06-12"],
    }


def test_a_stale_edit_is_refused_and_the_first_save_stays(
    client, tim_rejang_lebong, village_rejang_lebong, activity
):
    colleague = make_user("pembina_rl", "1702", Role.TIM_KABKOTA)
    client.force_login(tim_rejang_lebong)
    opened = client.get(reverse("program:activity_edit", args=[activity.pk]))
    update_activity(activity, version=1, pelaksana="Agen statistik", by=colleague)

    response = client.post(
        reverse("program:activity_edit", args=[activity.pk]),
        plan_form(stage="koordinasi", name="Nama dari saya", version=1),
    )

    assert opened.context["form"]["version"].value() == 1
    assert response.status_code == 409
    page = response.content.decode()
    assert "Orang lain mengubah kegiatan ini saat Anda menyunting." in page
    assert 'value="Nama dari saya"' in page  # the user's input is still in the form
    assert response.context["current"].pelaksana == "Agen statistik"
    assert STALE_NOTICE in [t.name for t in response.templates]
    assert 'data-testid="stale-notice"' in page and "Agen statistik" in page
    activity.refresh_from_db()
    assert (activity.name, activity.pelaksana, activity.version) == (
        "Sosialisasi dan pencanangan Desa Cantik",
        "Agen statistik",
        2,
    )
    assert [(e.actor, e.action) for e in AuditEvent.objects.filter(action="work_plan.update")] == [
        (colleague, "work_plan.update")
    ]


@pytest.mark.parametrize("persona", READ_ONLY)
def test_read_only_roles_cannot_edit(request, client, activity, persona):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("program:activity_edit", args=[activity.pk])

    post = client.post(url, plan_form(version=1))

    assert (client.get(url).status_code, post.status_code) == (403, 403)
    activity.refresh_from_db()
    assert activity.version == 1


# --- realisation and evidence ---------------------------------------------------------------------


@time_machine.travel(FROZEN, tick=False)
def test_realisation_with_pdf_evidence_is_saved_and_audited(client, tim_rejang_lebong, activity):
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:activity_realise", args=[activity.pk]),
        {
            "realised_on": "2026-05-08",
            "realisation_output": "Piagam komitmen ditandatangani",
            "realisation_notes": "Dihadiri 40 orang",
            "version": 1,
            "evidence": [pdf("undangan.pdf"), pdf("daftar-hadir.pdf")],
        },
    )

    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.realised_on, activity.realisation_output, activity.version) == (
        date(2026, 5, 8),
        "Piagam komitmen ditandatangani",
        2,
    )
    files = Attachment.objects.filter(owner_id=str(activity.pk))
    assert sorted(a.original_name for a in files) == ["daftar-hadir.pdf", "undangan.pdf"]
    assert {a.purpose for a in files} == {"bukti_realisasi"}
    events = AuditEvent.objects.filter(
        object_type__model="workplanactivity", object_id=str(activity.pk)
    ).order_by("id")
    assert [e.action for e in events] == [
        "work_plan.add",
        "work_plan.realise",
        "attachment.add",
        "attachment.add",
    ]
    page = client.get(reverse("program:village_detail", args=[activity.village_id]))
    assert statuses(page)[0][1] == [(activity.name, "tepat_waktu")]


@time_machine.travel(FROZEN, tick=False)
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"realised_on": "2026-05-19"}, "realised_on"),
        ({"realised_on": ""}, "realised_on"),
        ({"realised_on": "08/13/2026"}, "realised_on"),
        ({"evidence": [SimpleUploadedFile("foto.pdf", EXE)]}, "evidence"),
        ({"evidence": [SimpleUploadedFile("notulen.exe", PDF)]}, "evidence"),
    ],
    ids=["future", "missing", "bad-date", "renamed-executable", "name-mismatch"],
)
def test_bad_realisation_saves_nothing(client, tim_rejang_lebong, activity, data, field):
    client.force_login(tim_rejang_lebong)
    form = {"realised_on": "2026-05-08", "version": 1, "evidence": [pdf()], **data}

    response = client.post(reverse("program:activity_realise", args=[activity.pk]), form)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    activity.refresh_from_db()
    assert (activity.realised_on, activity.version) == (None, 1)
    assert Attachment.objects.count() == 0
    assert not AuditEvent.objects.filter(action="work_plan.realise").exists()


def test_future_realisation_reads_in_indonesian(client, tim_rejang_lebong, activity):
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:activity_realise", args=[activity.pk]),
        {"realised_on": "2099-01-01", "version": 1},
    )

    assert "Tanggal realisasi tidak boleh di masa depan." in response.content.decode()


def test_a_stale_realisation_is_refused_and_keeps_the_input(client, tim_rejang_lebong, activity):
    client.force_login(tim_rejang_lebong)
    update_activity(activity, version=1, name="Pencanangan", by=tim_rejang_lebong)

    response = client.post(
        reverse("program:activity_realise", args=[activity.pk]),
        {
            "realised_on": "2026-05-08",
            "realisation_output": "Output saya",
            "version": 1,
            "evidence": [pdf()],
        },
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert 'value="Output saya"' in page
    # the one notice of every stale form, with the activity as saved now
    assert STALE_NOTICE in [t.name for t in response.templates]
    notice = page[page.index('data-testid="stale-notice"') :]
    assert "Pencanangan" in notice[: notice.index("</dl>")]
    activity.refresh_from_db()
    assert (activity.name, activity.realised_on) == ("Pencanangan", None)
    assert Attachment.objects.count() == 0


@pytest.mark.parametrize("persona", READ_ONLY)
def test_read_only_roles_cannot_realise_or_upload(request, client, realised, persona):
    client.force_login(request.getfixturevalue(persona))

    realise = client.post(
        reverse("program:activity_realise", args=[realised.pk]),
        {"realised_on": "2026-05-01", "version": realised.version},
    )
    upload = client.post(reverse("program:activity_upload", args=[realised.pk]), {"file": pdf()})

    assert (realise.status_code, upload.status_code) == (403, 403)
    realised.refresh_from_db()
    assert realised.realised_on == date(2026, 5, 7)
    assert Attachment.objects.count() == 1


def test_evidence_is_added_to_a_realised_activity(client, tim_rejang_lebong, realised):
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:activity_upload", args=[realised.pk]), {"file": pdf("foto.pdf")}
    )

    assert response.status_code == 302
    assert sorted(a.original_name for a in Attachment.objects.all()) == [
        "daftar-hadir.pdf",
        "foto.pdf",
    ]


def test_evidence_needs_a_realisation_first(client, tim_rejang_lebong, activity):
    client.force_login(tim_rejang_lebong)

    response = client.post(reverse("program:activity_upload", args=[activity.pk]), {"file": pdf()})

    assert response.status_code == 400
    assert "Catat realisasi sebelum menambahkan bukti." in response.content.decode()
    assert Attachment.objects.count() == 0


def test_evidence_downloads_for_readers_of_the_office(client, kepala, tim_kaur, realised):
    attachment = Attachment.objects.get()
    url = reverse("program:activity_attachment", args=[realised.pk, attachment.pk])
    client.force_login(kepala)

    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    client.force_login(tim_kaur)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 405


def test_evidence_of_another_activity_is_not_found_through_this_one(
    client, kepala, realised, activity
):
    client.force_login(kepala)
    attachment = Attachment.objects.get()

    response = client.get(reverse("program:activity_attachment", args=[activity.pk, attachment.pk]))

    assert response.status_code == 404


# --- deleting -------------------------------------------------------------------------------------


def test_kabkota_team_deletes_an_unrealised_activity(client, tim_rejang_lebong, activity):
    client.force_login(tim_rejang_lebong)
    confirm = client.get(reverse("program:activity_delete", args=[activity.pk]))

    response = client.post(reverse("program:activity_delete", args=[activity.pk]))

    assert confirm.status_code == 200
    assert response.status_code == 302
    assert WorkPlanActivity.objects.count() == 0
    event = AuditEvent.objects.get(action="work_plan.delete")
    assert (event.actor, event.changes) == (
        tim_rejang_lebong,
        {"name": ["Sosialisasi dan pencanangan Desa Cantik", None]},
    )


def test_a_realised_activity_cannot_be_deleted(client, tim_rejang_lebong, realised):
    client.force_login(tim_rejang_lebong)

    response = client.post(reverse("program:activity_delete", args=[realised.pk]), follow=True)

    assert WorkPlanActivity.objects.filter(pk=realised.pk).exists()
    assert "Kegiatan yang sudah direalisasikan tidak dapat dihapus." in response.content.decode()
    assert not AuditEvent.objects.filter(action="work_plan.delete").exists()


@pytest.mark.parametrize("persona", READ_ONLY)
def test_read_only_roles_cannot_delete(request, client, activity, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse("program:activity_delete", args=[activity.pk]))

    assert response.status_code == 403
    assert WorkPlanActivity.objects.count() == 1


# --- every activity URL: other office, wrong methods, history -------------------------------------

ACTIVITY_URLS = [
    ("activity_detail", "get"),
    ("activity_edit", "get"),
    ("activity_edit", "post"),
    ("activity_realise", "post"),
    ("activity_delete", "post"),
    ("activity_upload", "post"),
    ("activity_history", "get"),
]


@pytest.mark.parametrize(("name", "method"), ACTIVITY_URLS)
def test_activity_of_another_office_is_not_found(client, tim_kaur, activity, name, method):
    client.force_login(tim_kaur)

    response = getattr(client, method)(reverse(f"program:{name}", args=[activity.pk]))

    assert response.status_code == 404
    activity.refresh_from_db()
    assert activity.version == 1


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("activity_detail", "post"),
        ("activity_edit", "delete"),
        ("activity_realise", "put"),
        ("activity_delete", "put"),
        ("activity_upload", "get"),
        ("activity_history", "post"),
    ],
)
def test_activity_urls_refuse_wrong_methods(client, tim_rejang_lebong, activity, name, method):
    client.force_login(tim_rejang_lebong)

    response = getattr(client, method)(reverse(f"program:{name}", args=[activity.pk]))

    assert response.status_code == 405


def test_activity_page_shows_plan_realisation_and_evidence(client, viewer_rejang_lebong, realised):
    client.force_login(viewer_rejang_lebong)

    response = client.get(reverse("program:activity_detail", args=[realised.pk]))

    assert response.status_code == 200
    assert response.context["can_edit"] is False
    assert response.context["line"].status == Status.TEPAT_WAKTU
    assert [a.original_name for a in response.context["line"].evidence] == ["daftar-hadir.pdf"]
    page = response.content.decode()
    assert "Notulen rapat" in page and "7 Mei 2026" in page
    assert reverse("program:activity_edit", args=[realised.pk]) not in page


def test_activity_history_lists_its_changes_newest_first(
    client, pimpinan_rejang_lebong, tim_rejang_lebong, realised
):
    client.force_login(pimpinan_rejang_lebong)

    response = client.get(reverse("program:activity_history", args=[realised.pk]))

    assert [(e.action, e.actor) for e in response.context["events"]] == [
        ("attachment.add", tim_rejang_lebong),
        ("work_plan.realise", tim_rejang_lebong),
        ("work_plan.add", tim_rejang_lebong),
    ]


# --- the office overview --------------------------------------------------------------------------


@time_machine.travel(FROZEN, tick=False)
def test_office_overview_counts_planned_and_realised_per_village_and_stage(
    client, pimpinan_rejang_lebong, tim_rejang_lebong, village_rejang_lebong, year_2026
):
    by = tim_rejang_lebong
    second = ParticipatingVillage.objects.create(
        program_year=year_2026,
        village=desa_in(village_rejang_lebong.office, 1),
        office=village_rejang_lebong.office,
        kind=VillageKind.TAMBAHAN,
    )
    make_activity(village_rejang_lebong, by, name="A", planned_end=date(2026, 5, 10))
    done = make_activity(village_rejang_lebong, by, name="B")
    update_activity(done, version=1, realised_on=date(2026, 5, 8), by=by)
    make_activity(village_rejang_lebong, by, stage="monev", name="C", planned_end=date(2026, 5, 20))
    make_activity(second, by, stage="pelaksanaan", name="D", planned_end=date(2026, 8, 31))
    client.force_login(pimpinan_rejang_lebong)

    response = client.get(
        reverse("program:office_work_plan", args=[village_rejang_lebong.office_id]),
        {"tahun": 2026},
    )

    assert response.status_code == 200
    assert [
        (r.village.pk, r.cells, r.realised, r.planned, r.overdue, r.soon)
        for r in response.context["rows"]
    ] == [
        (village_rejang_lebong.pk, [(1, 2), (0, 0), (0, 0), (0, 0), (0, 1)], 1, 3, 1, 1),
        (second.pk, [(0, 0), (0, 0), (0, 0), (0, 1), (0, 0)], 0, 1, 0, 0),
    ]
    office_page = client.get(
        reverse("program:office_detail", args=[village_rejang_lebong.office_id]), {"tahun": 2026}
    )
    assert [(pv.planned, pv.realised) for pv in office_page.context["villages"]] == [(3, 1), (1, 0)]


def test_office_overview_answers_by_scope(client, tim_kaur, ketua_tim, province, rejang_lebong):
    from program.services import create_program_year

    create_program_year(province, year=2026, by=None)
    url = reverse("program:office_work_plan", args=[rejang_lebong.pk])
    client.force_login(tim_kaur)
    assert client.get(url, {"tahun": 2026}).status_code == 404
    client.force_login(ketua_tim)
    assert client.get(url, {"tahun": 2026}).status_code == 200
    assert client.post(url, {"tahun": 2026}).status_code == 405
    assert client.get(url, {"tahun": 2031}).status_code == 404
    province_url = reverse("program:office_work_plan", args=[province.pk])
    assert client.get(province_url, {"tahun": 2026}).status_code == 404


def test_office_overview_query_count_does_not_grow(
    client, ketua_tim, tim_rejang_lebong, year_2026, rejang_lebong
):
    url = reverse("program:office_work_plan", args=[rejang_lebong.pk]) + "?tahun=2026"
    client.force_login(ketua_tim)

    def add_villages(indexes):
        for index in indexes:
            village = ParticipatingVillage.objects.create(
                program_year=year_2026,
                village=desa_in(rejang_lebong, index),
                office=rejang_lebong,
                kind=VillageKind.UTAMA,
            )
            for stage in Stage:
                make_activity(village, tim_rejang_lebong, stage=stage, name=f"{stage} {index}")

    add_villages([0])
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    add_villages(range(1, 8))

    with CaptureQueriesContext(connection) as large:
        response = client.get(url)

    assert [r.planned for r in response.context["rows"]] == [5] * 8
    assert len(large) == len(small)


# --- the admin shows work plans for inspection only -------------------------------------------


def test_admin_lists_work_plan_lines_but_offers_no_edit(client, activity):
    from django.contrib.auth import get_user_model

    operator = get_user_model().objects.create_superuser("operator", password="x")
    client.force_login(operator)

    listing = client.get(reverse("admin:program_workplanactivity_changelist"))
    add = client.get(reverse("admin:program_workplanactivity_add"))
    change = client.post(
        reverse("admin:program_workplanactivity_change", args=[activity.pk]), {"name": "X"}
    )

    assert listing.status_code == 200
    assert activity.name in listing.content.decode()
    assert add.status_code == 403
    assert change.status_code == 403
    activity.refresh_from_db()
    assert activity.name == "Sosialisasi dan pencanangan Desa Cantik"


def test_an_edit_of_an_activity_deleted_meanwhile_keeps_the_input_with_a_clear_error(
    client, monkeypatch, tim_rejang_lebong, activity
):
    """The colleague deletes the line between the page's read and the save: the form comes
    back with the reason and what was typed (not a 500, not a saved ghost)."""
    colleague = make_user("pembina_rl", "1702", Role.TIM_KABKOTA)
    original = services.update_activity

    def deleted_first(current, **values):
        services.delete_activity(WorkPlanActivity.objects.get(pk=current.pk), by=colleague)
        return original(current, **values)

    monkeypatch.setattr(services, "update_activity", deleted_first)
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:activity_edit", args=[activity.pk]),
        plan_form(stage="koordinasi", name="Nama dari saya", version=1),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "Orang lain telah menghapus kegiatan rencana kerja ini; perubahan Anda tidak disimpan."
        in page
    )
    assert 'value="Nama dari saya"' in page
    assert not WorkPlanActivity.objects.exists()
    assert not AuditEvent.objects.filter(action="work_plan.update").exists()


def test_a_service_write_on_a_row_deleted_meanwhile_raises_object_gone(tim_rejang_lebong, activity):
    stale_copy = WorkPlanActivity.objects.get(pk=activity.pk)
    WorkPlanActivity.objects.filter(pk=activity.pk).delete()

    with pytest.raises(ObjectGoneError) as raised:
        update_activity(stale_copy, version=1, pelaksana="x", by=tim_rejang_lebong)

    assert raised.value.code == "gone"
    assert not AuditEvent.objects.filter(action="work_plan.update").exists()


def test_the_write_lock_reads_the_row_alone(activity):
    """locked() reads only the row it locks: the model's ordering (by village) would join the
    village table, whose rows FOR UPDATE would lock too on PostgreSQL."""
    from django.db import transaction

    from core.services import locked

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert locked(WorkPlanActivity, activity.pk) == activity

    (query,) = queries.captured_queries
    assert "JOIN" not in query["sql"] and "ORDER BY" not in query["sql"]
