"""The report workflow (DESIGN.md "Workflows"): drafts, the rules checked before submitting,
the allowed transitions, frozen versions and their diff, review comments, audit rows."""

from datetime import date, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from core.deadlines import JAKARTA
from core.models import Attachment, AuditEvent
from reports import services
from reports.models import (
    FrozenError,
    LastAction,
    Purpose,
    Report,
    ReportKind,
    ReportState,
    ReportVersion,
    Review,
)
from reports.queries import report_files, version_diff

from .conftest import (
    AGENTS,
    NEEDS,
    PDF,
    PNG,
    SOSIALISASI_FIELDS,
    complete_identifikasi,
    complete_sosialisasi,
    draft_sosialisasi,
    new_report,
    submitted_sosialisasi,
    upload,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 12, 9, tzinfo=JAKARTA)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


def audit_actions(report) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type__model="report", object_id=str(report.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- drafts ---------------------------------------------------------------------------------------


def test_first_save_creates_a_draft_with_its_agents_and_an_audit_row(
    village_rejang_lebong, tim_rejang_lebong
):
    report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    report = Report.objects.get(pk=report.pk)
    assert (report.state, report.place, report.attendance_count, report.charter_signed) == (
        ReportState.DRAFT,
        "Balai Desa",
        42,
        True,
    )
    assert [(a.name, a.is_village_official) for a in report.agents.all()] == [
        ("Siti Aminah", True),
        ("Budi Santoso", False),
    ]
    assert (report.last_action, report.last_action_by) == (LastAction.CREATED, tim_rejang_lebong)
    event = AuditEvent.objects.get(object_type__model="report", object_id=str(report.pk))
    assert event.action == "report.create"
    assert event.changes["place"] == [None, "Balai Desa"]
    assert event.changes["agen statistik"][1] == [  # the audit log keeps lists sorted
        "Budi Santoso; Ketua Karang Taruna; SK 141/12/2026",
        "Siti Aminah; Kaur Perencanaan; aparat desa; SK 141/12/2026",
    ]


def test_editing_a_draft_records_old_and_new_values(village_rejang_lebong, tim_rejang_lebong):
    report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    services.save_draft(
        report,
        by=tim_rejang_lebong,
        revision=report.revision,
        fields={**SOSIALISASI_FIELDS, "place": "Aula Kantor Desa", "attendance_count": 45},
        agents=AGENTS[:1],
    )

    report.refresh_from_db()
    assert (report.place, report.attendance_count, report.revision) == ("Aula Kantor Desa", 45, 2)
    assert [a.name for a in report.agents.all()] == ["Siti Aminah"]
    event = AuditEvent.objects.filter(action="report.update").get()
    assert event.changes["place"] == ["Balai Desa", "Aula Kantor Desa"]
    assert event.changes["attendance_count"] == [42, 45]
    assert (
        len(event.changes["agen statistik"][0]) == 2
        and len(event.changes["agen statistik"][1]) == 1
    )


def test_saving_unchanged_content_writes_nothing(village_rejang_lebong, tim_rejang_lebong):
    report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    services.save_draft(
        report, by=tim_rejang_lebong, revision=1, fields=SOSIALISASI_FIELDS, agents=AGENTS
    )

    report.refresh_from_db()
    assert report.revision == 1
    assert audit_actions(report) == ["report.create"]


def test_an_edit_on_a_stale_copy_is_refused_and_the_other_change_stays(
    village_rejang_lebong, tim_rejang_lebong
):
    report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    services.save_draft(
        report, by=tim_rejang_lebong, revision=1, fields={"place": "Aula Desa"}, agents=None
    )

    with pytest.raises(services.StaleEditError):
        services.save_draft(
            report, by=tim_rejang_lebong, revision=1, fields={"place": "Lapangan"}, agents=None
        )

    report.refresh_from_db()
    assert (report.place, report.revision) == ("Aula Desa", 2)


def test_a_date_in_the_future_is_refused_and_nothing_is_saved(
    village_rejang_lebong, tim_rejang_lebong
):
    with pytest.raises(ValidationError) as error:
        draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong, anchor_date=date(2026, 6, 1))

    assert error.value.message_dict == {"anchor_date": ["Tanggal ini tidak boleh di masa depan."]}
    assert Report.objects.count() == 0


def test_a_date_before_the_program_year_is_refused(village_rejang_lebong, tim_rejang_lebong):
    with pytest.raises(ValidationError) as error:
        draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong, anchor_date=date(2025, 12, 1))

    assert error.value.message_dict == {"anchor_date": ["Tanggal ini sebelum tahun program 2026."]}


def test_only_the_village_office_team_writes_drafts(
    village_rejang_lebong, tim_kaur, tim_provinsi, pimpinan_rejang_lebong
):
    for user in (tim_kaur, tim_provinsi, pimpinan_rejang_lebong):
        with pytest.raises(PermissionDenied):
            draft_sosialisasi(village_rejang_lebong, user)
    assert Report.objects.count() == 0


# --- what submitting needs ------------------------------------------------------------------------


def test_submitting_a_sosialisasi_without_attachments_says_which_are_missing(
    village_rejang_lebong, tim_rejang_lebong
):
    report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    with pytest.raises(services.IncompleteReportError) as error:
        services.submit_report(report, by=tim_rejang_lebong)

    assert error.value.messages == [
        "Unggah undangan.",
        "Unggah daftar hadir.",
        "Unggah notulen.",
        "Unggah sekurang-kurangnya satu foto dokumentasi (JPEG atau PNG).",
    ]
    report.refresh_from_db()
    assert report.state == ReportState.DRAFT
    assert ReportVersion.objects.count() == 0


def test_submitting_with_one_agent_who_is_no_official_names_both_rules(
    village_rejang_lebong, tim_rejang_lebong
):
    report = complete_sosialisasi(village_rejang_lebong, tim_rejang_lebong, agents=[{**AGENTS[1]}])

    with pytest.raises(services.IncompleteReportError) as error:
        services.submit_report(report, by=tim_rejang_lebong)

    assert error.value.messages == [
        "Tunjuk sekurang-kurangnya dua agen statistik (baru 1 tercantum).",
        "Sekurang-kurangnya satu agen statistik harus aparat desa; belum ada yang ditandai.",
    ]


def test_two_agents_without_a_village_official_are_refused(
    village_rejang_lebong, tim_rejang_lebong
):
    agents = [{**AGENTS[1]}, {**AGENTS[1], "name": "Rina"}]
    report = complete_sosialisasi(village_rejang_lebong, tim_rejang_lebong, agents=agents)

    with pytest.raises(services.IncompleteReportError) as error:
        services.submit_report(report, by=tim_rejang_lebong)

    assert error.value.messages == [
        "Sekurang-kurangnya satu agen statistik harus aparat desa; belum ada yang ditandai."
    ]


def test_missing_fields_are_named(village_rejang_lebong, tim_rejang_lebong):
    report = complete_sosialisasi(
        village_rejang_lebong,
        tim_rejang_lebong,
        anchor_date=None,
        place="",
        attendance_count=None,
        charter_signed=None,
    )

    with pytest.raises(services.IncompleteReportError) as error:
        services.submit_report(report, by=tim_rejang_lebong)

    assert error.value.messages == [
        "Isi tanggal sosialisasi/pencanangan.",
        "Isi tempat kegiatan.",
        "Isi jumlah peserta yang hadir.",
        "Nyatakan apakah piagam komitmen ditandatangani.",
    ]


def test_a_pdf_is_not_accepted_as_a_documentation_photo(village_rejang_lebong, tim_rejang_lebong):
    report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    with pytest.raises(ValidationError) as error:
        services.add_attachment(
            report, upload=upload("foto.pdf"), purpose=Purpose.DOKUMENTASI, by=tim_rejang_lebong
        )

    assert error.value.message_dict == {
        "file": ["Foto dokumentasi harus berupa gambar JPEG atau PNG."]
    }
    assert Attachment.objects.count() == 0


def test_a_document_of_another_report_kind_is_refused(village_rejang_lebong, tim_rejang_lebong):
    report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    with pytest.raises(ValidationError) as error:
        services.add_attachment(
            report, upload=upload("k.pdf"), purpose=Purpose.KUESIONER, by=tim_rejang_lebong
        )

    assert error.value.message_dict == {"purpose": ["Dokumen ini bukan bagian dari laporan ini."]}


def test_the_identification_report_needs_a_data_need_every_1002_answer_and_the_questionnaire(
    village_rejang_lebong, tim_rejang_lebong
):
    report = services.save_draft(
        new_report(village_rejang_lebong, ReportKind.IDENTIFIKASI),
        by=tim_rejang_lebong,
        revision=None,
        fields={
            "anchor_date": date(2026, 5, 8),
            "respondent_name": "Hendra",
            "respondent_position": "Sekdes",
            "coaching_data_management": True,
            "coaching_website": False,
        },
        needs=[n for n in NEEDS if n["section"] == "1001b"],
    )

    with pytest.raises(services.IncompleteReportError) as error:
        services.submit_report(report, by=tim_rejang_lebong)

    assert error.value.messages == [
        "Cantumkan sekurang-kurangnya satu kebutuhan data desa (1001a).",
        "Jawab Ya atau Tidak untuk 1002b, 1002c, 1002d.",
        "Unggah kuesioner identifikasi yang telah diisi.",
    ]


def test_a_complete_identification_report_is_submitted(village_rejang_lebong, tim_rejang_lebong):
    report = complete_identifikasi(village_rejang_lebong, tim_rejang_lebong)

    version = services.submit_report(report, by=tim_rejang_lebong)

    assert version.snapshot["fields"]["respondent_name"] == "Hendra Gunawan"
    assert [n["description"] for n in version.snapshot["needs"]] == [
        "Jumlah penduduk per dusun",
        "Keluarga penerima bansos",
        "Pemutakhiran data penduduk",
    ]


def test_the_final_report_needs_the_end_date_and_a_signed_pdf(
    village_rejang_lebong, tim_rejang_lebong
):
    report = services.save_draft(
        new_report(village_rejang_lebong, ReportKind.LAPORAN_AKHIR),
        by=tim_rejang_lebong,
        revision=None,
        fields={"anchor_date": None, "notes": ""},
    )
    with pytest.raises(services.IncompleteReportError) as error:
        services.submit_report(report, by=tim_rejang_lebong)
    assert error.value.messages == [
        "Isi tanggal berakhirnya pembinaan.",
        "Unggah laporan akhir yang telah ditandatangani.",
    ]

    with pytest.raises(ValidationError) as wrong:
        services.add_attachment(
            report,
            upload=upload("akhir.png", PNG),
            purpose=Purpose.LAPORAN_FINAL,
            by=tim_rejang_lebong,
        )
    assert wrong.value.message_dict["file"] == [
        "Laporan akhir bertanda tangan harus berupa PDF (pindaian halaman yang ditandatangani)."
    ]


# --- transitions ----------------------------------------------------------------------------------


def test_submitting_freezes_a_version_with_fields_agents_and_attachment_hashes(
    village_rejang_lebong, tim_rejang_lebong
):
    report = complete_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    version = services.submit_report(report, by=tim_rejang_lebong)

    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED
    assert report.first_submitted_at is not None
    assert version.number == 1
    snapshot = version.snapshot
    assert snapshot["fields"]["anchor_date"] == "2026-05-04"
    assert snapshot["fields"]["place"] == "Balai Desa"
    assert [a["name"] for a in snapshot["agents"]] == ["Siti Aminah", "Budi Santoso"]
    files = {a["purpose"]: a for a in snapshot["attachments"]}
    assert set(files) == {"undangan", "daftar_hadir", "notulen", "dokumentasi"}
    stored = Attachment.objects.get(pk=files["undangan"]["id"])
    assert files["undangan"]["sha256"] == stored.sha256 and len(stored.sha256) == 64
    assert audit_actions(report)[-1] == "report.submit"


def test_a_kabkota_user_cannot_approve_or_return(village_rejang_lebong, tim_rejang_lebong):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    with pytest.raises(PermissionDenied):
        services.approve_report(report, by=tim_rejang_lebong)
    with pytest.raises(PermissionDenied):
        services.return_report(report, by=tim_rejang_lebong, comment="Perbaiki")

    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED
    assert Review.objects.count() == 0


def test_a_province_user_cannot_submit_for_the_kabkota(
    village_rejang_lebong, tim_rejang_lebong, ketua_tim
):
    report = complete_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    with pytest.raises(PermissionDenied):
        services.submit_report(report, by=ketua_tim)


def test_returning_needs_a_comment(village_rejang_lebong, tim_rejang_lebong, tim_provinsi):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    with pytest.raises(ValidationError) as error:
        services.return_report(report, by=tim_provinsi, comment="   ")

    assert error.value.message_dict == {
        "comment": ["Sebutkan apa yang harus diubah: pengembalian laporan wajib disertai komentar."]
    }
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED


def test_the_database_refuses_a_returned_review_without_comment(
    village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    with pytest.raises(DatabaseError), transaction.atomic():
        Review.objects.create(
            report=report, version=report.versions.get(), decision="returned", by=tim_provinsi
        )


def test_returning_keeps_the_comment_and_section_comments_and_reopens_the_draft(
    village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    review = services.return_report(
        report,
        by=tim_provinsi,
        comment="Daftar hadir tidak terbaca.",
        section_comments={
            "attachments": "Unggah ulang daftar hadir.",
            "unknown": "x",
            "agents": "",
        },
        version=1,
    )

    report.refresh_from_db()
    assert report.state == ReportState.RETURNED and report.is_editable
    assert (review.decision, review.comment, review.section_comments) == (
        "returned",
        "Daftar hadir tidak terbaca.",
        {"attachments": "Unggah ulang daftar hadir."},
    )
    event = AuditEvent.objects.get(action="report.return")
    assert (event.actor, event.reason) == (tim_provinsi, "Daftar hadir tidak terbaca.")
    assert event.changes["state"] == ["submitted", "returned"]


def test_approving_makes_the_report_read_only_for_everyone(
    village_rejang_lebong, tim_rejang_lebong, ketua_tim
):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    services.approve_report(report, by=ketua_tim, comment="Lengkap.", version=1)

    report.refresh_from_db()
    assert report.state == ReportState.APPROVED and not report.is_editable
    with pytest.raises(services.TransitionError):
        services.save_draft(
            report, by=tim_rejang_lebong, revision=report.revision, fields={"place": "X"}
        )
    with pytest.raises(services.TransitionError):
        services.add_attachment(
            report, upload=upload("f.png", PNG), purpose="dokumentasi", by=tim_rejang_lebong
        )
    with pytest.raises(services.TransitionError):
        services.submit_report(report, by=tim_rejang_lebong)
    with pytest.raises(services.TransitionError):
        services.return_report(report, by=ketua_tim, comment="Buka lagi")
    report.refresh_from_db()
    assert (report.state, report.place) == (ReportState.APPROVED, "Balai Desa")


@pytest.mark.parametrize(
    ("state", "action", "allowed"),
    [
        ("draft", "submit", True),
        ("draft", "return", False),
        ("draft", "approve", False),
        ("submitted", "submit", False),
        ("submitted", "return", True),
        ("submitted", "approve", True),
        ("returned", "submit", True),
        ("returned", "return", False),
        ("returned", "approve", False),
        ("approved", "submit", False),
        ("approved", "return", False),
        ("approved", "approve", False),
    ],
)
def test_transition_table(
    village_rejang_lebong, tim_rejang_lebong, tim_provinsi, state, action, allowed
):
    report = complete_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    if state != "draft":
        services.submit_report(report, by=tim_rejang_lebong)
    if state == "returned":
        services.return_report(report, by=tim_provinsi, comment="Perbaiki")
    if state == "approved":
        services.approve_report(report, by=tim_provinsi)
    report = Report.objects.select_related("village__office").get(pk=report.pk)

    def act():
        if action == "submit":
            services.submit_report(report, by=tim_rejang_lebong)
        elif action == "return":
            services.return_report(report, by=tim_provinsi, comment="Perbaiki lagi")
        else:
            services.approve_report(report, by=tim_provinsi)

    if allowed:
        act()
        report.refresh_from_db()
        assert report.state == services.TRANSITIONS[action][1]
    else:
        with pytest.raises(services.TransitionError):
            act()
        report.refresh_from_db()
        assert report.state == state


def test_a_decision_on_a_version_older_than_the_latest_is_refused(
    village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    services.return_report(report, by=tim_provinsi, comment="Perbaiki")
    services.submit_report(report, by=tim_rejang_lebong)

    with pytest.raises(services.StaleEditError):
        services.approve_report(report, by=tim_provinsi, version=1)

    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED


# --- versions -------------------------------------------------------------------------------------


def test_a_version_cannot_be_changed_by_the_model_nor_by_sql(
    village_rejang_lebong, tim_rejang_lebong
):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    version = report.versions.get()

    version.snapshot = {"fields": {}}
    with pytest.raises(FrozenError):
        version.save()
    with pytest.raises(FrozenError):
        version.delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE reports_reportversion SET number = 9 WHERE id = %s", [version.pk])
    assert ReportVersion.objects.get(pk=version.pk).snapshot["fields"]["place"] == "Balai Desa"


def test_resubmitting_after_a_return_freezes_version_2_and_the_diff_shows_the_changes(
    village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    services.return_report(report, by=tim_provinsi, comment="Perbaiki daftar hadir dan peserta")
    report = Report.objects.select_related("village").get(pk=report.pk)
    old_list = report_files(report).get(purpose=Purpose.DAFTAR_HADIR)
    services.remove_attachment(report, attachment=old_list, by=tim_rejang_lebong)
    services.add_attachment(
        report,
        upload=upload("daftar-hadir-lengkap.pdf", PDF + b"% halaman 2\n"),
        purpose=Purpose.DAFTAR_HADIR,
        by=tim_rejang_lebong,
    )
    report.refresh_from_db()
    services.save_draft(
        report,
        by=tim_rejang_lebong,
        revision=report.revision,
        fields={"attendance_count": 45},
        agents=[*AGENTS, {**AGENTS[1], "name": "Dewi Lestari"}],
    )

    version = services.submit_report(report, by=tim_rejang_lebong)

    assert version.number == 2
    first = report.versions.get(number=1)
    diff = version_diff(first.snapshot, version.snapshot)
    assert [(c.label, c.old, c.new) for c in diff.fields] == [("jumlah peserta", "42", "45")]
    assert diff.added["agents"] == [
        "Dewi Lestari · Ketua Karang Taruna · masyarakat · SK 141/12/2026 · 4 Mei 2026"
    ]
    assert diff.removed["agents"] == []
    assert [line.split(" (sha256")[0] for line in diff.added["attachments"]] == [
        "Daftar hadir: daftar-hadir-lengkap.pdf"
    ]
    assert [line.split(" (sha256")[0] for line in diff.removed["attachments"]] == [
        "Daftar hadir: daftar-hadir.pdf"
    ]
    # The removed file stays available with the version that froze it.
    assert report_files(report).filter(pk=old_list.pk).exists()
    assert first.snapshot["attachments"][0]["id"] in set(
        report_files(report).values_list("pk", flat=True)
    )


def test_a_file_never_submitted_is_deleted_when_removed(village_rejang_lebong, tim_rejang_lebong):
    report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    photo = services.add_attachment(
        report, upload=upload("foto.png", PNG), purpose=Purpose.DOKUMENTASI, by=tim_rejang_lebong
    )
    stored_name = photo.file.name

    services.remove_attachment(report, attachment=photo, by=tim_rejang_lebong)

    assert not Attachment.objects.filter(pk=photo.pk).exists()
    assert not photo.file.storage.exists(stored_name)
    assert audit_actions(report)[-1] == "attachment.remove"


def test_the_same_content_submitted_again_gives_an_empty_diff(
    village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    services.return_report(report, by=tim_provinsi, comment="Cek lagi")
    version = services.submit_report(report, by=tim_rejang_lebong)

    diff = version_diff(report.versions.get(number=1).snapshot, version.snapshot)

    assert diff.is_empty


def test_the_first_submission_time_stays_when_submitted_again(
    village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    with time_machine.travel(datetime(2026, 5, 12, 10, tzinfo=JAKARTA), tick=False):
        report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
        services.return_report(report, by=tim_provinsi, comment="Perbaiki")
    with time_machine.travel(datetime(2026, 5, 25, 10, tzinfo=JAKARTA), tick=False):
        services.submit_report(report, by=tim_rejang_lebong)

    report.refresh_from_db()
    assert report.first_submitted_at == datetime(2026, 5, 12, 10, tzinfo=JAKARTA)
    assert report.last_action_at == datetime(2026, 5, 25, 10, tzinfo=JAKARTA)
