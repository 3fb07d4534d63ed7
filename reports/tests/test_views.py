"""The report pages: forms, uploads, the transitions through the browser's requests, the
lists with their filters and exports, and what each page shows to whom."""

import io
from datetime import datetime

import openpyxl
import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import desa_in
from core.deadlines import JAKARTA
from core.models import Attachment, AuditEvent
from program.models import ParticipatingVillage, VillageKind
from reports import services
from reports.models import Purpose, Report, ReportState

from .conftest import (
    EXE,
    PDF,
    PNG,
    complete_sosialisasi,
    draft_sosialisasi,
    submitted_sosialisasi,
    upload,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 12, 9, tzinfo=JAKARTA)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


def url(name: str, village, *args, kind: str = "sosialisasi") -> str:
    return reverse(f"reports:{name}", args=[kind, village.pk, *args])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


FORM = {
    "anchor_date": "2026-05-04",
    "place": "Balai Desa Kota Padang",
    "attendance_count": "38",
    "notable_attendees": "Kepala Desa; Camat Kota Padang",
    "charter_signed": "true",
    "notes": "",
    "agen-TOTAL_FORMS": "3",
    "agen-INITIAL_FORMS": "0",
    "agen-MIN_NUM_FORMS": "0",
    "agen-MAX_NUM_FORMS": "1000",
    "agen-0-name": "Siti Aminah",
    "agen-0-role": "Kaur Perencanaan",
    "agen-0-is_village_official": "on",
    "agen-0-sk_number": "141/12/2026",
    "agen-0-sk_date": "2026-05-04",
    "agen-1-name": "Budi Santoso",
    "agen-1-role": "Karang Taruna",
    "agen-2-name": "",
}


# --- the form ---------------------------------------------------------------------------------


def test_the_kabkota_team_starts_a_report_from_the_empty_page(
    client, village_rejang_lebong, tim_rejang_lebong
):
    client.force_login(tim_rejang_lebong)

    page = client.get(url("report_detail", village_rejang_lebong))

    assert page.status_code == 200
    assert page.context["report"].pk is None
    assert url("report_edit", village_rejang_lebong) in page.content.decode()


def test_a_reader_sees_who_writes_a_report_not_started(client, village_rejang_lebong, kepala):
    client.force_login(kepala)

    page = client.get(url("report_detail", village_rejang_lebong))

    html = page.content.decode()
    assert "Laporan ini diisi oleh Tim Desa Cantik Rejang Lebong." in html
    assert url("report_edit", village_rejang_lebong) not in html


def test_saving_the_form_creates_the_draft_with_its_agents(
    client, village_rejang_lebong, tim_rejang_lebong
):
    client.force_login(tim_rejang_lebong)

    response = client.post(url("report_edit", village_rejang_lebong), FORM)

    assert response.status_code == 302
    assert response.url == url("report_detail", village_rejang_lebong)
    report = Report.objects.get()
    assert (report.place, report.attendance_count, report.charter_signed) == (
        "Balai Desa Kota Padang",
        38,
        True,
    )
    assert [(a.name, a.is_village_official, a.sk_number) for a in report.agents.all()] == [
        ("Siti Aminah", True, "141/12/2026"),
        ("Budi Santoso", False, ""),
    ]
    assert messages_of(response) == ["Draf disimpan. Periksa lampiran, lalu kirim."]
    assert AuditEvent.objects.filter(action="report.create", actor=tim_rejang_lebong).count() == 1


def test_the_form_shows_the_rules_before_submitting(
    client, village_rejang_lebong, tim_rejang_lebong
):
    client.force_login(tim_rejang_lebong)

    page = client.get(url("report_edit", village_rejang_lebong))

    rules = [r.rule for r in page.context["requirements"]]
    assert "Sekurang-kurangnya dua agen statistik" in rules
    assert "Sekurang-kurangnya satu agen statistik adalah aparat desa" in rules
    assert "Lampiran: Undangan" in rules
    assert "Sekurang-kurangnya satu foto dokumentasi" in rules
    assert "sekurang-kurangnya satu di antaranya aparat desa" in page.content.decode()


def test_malformed_input_is_explained_and_nothing_is_saved(
    client, village_rejang_lebong, tim_rejang_lebong
):
    client.force_login(tim_rejang_lebong)
    data = {
        **FORM,
        "attendance_count": "banyak",
        "anchor_date": "04/13/2026",
        "agen-1-name": "",
        "agen-1-sk_number": "9/2026",
        "charter_signed": "mungkin",
    }

    response = client.post(url("report_edit", village_rejang_lebong), data)

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["attendance_count"] == ["Masukkan keseluruhan angka bilangan."]
    assert form.errors["anchor_date"] == ["Masukkan tanggal yang valid."]
    assert "charter_signed" in form.errors
    agents = response.context["formsets"]["agents"]
    assert agents.forms[1].errors["name"] == ["Isi nama agen, atau kosongkan baris ini."]
    assert Report.objects.count() == 0


def test_a_future_date_is_refused_in_the_form(client, village_rejang_lebong, tim_rejang_lebong):
    client.force_login(tim_rejang_lebong)

    response = client.post(
        url("report_edit", village_rejang_lebong), {**FORM, "anchor_date": "2026-06-01"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["anchor_date"] == [
        "Tanggal ini tidak boleh di masa depan."
    ]
    assert Report.objects.count() == 0


def test_the_form_edits_a_draft_with_its_revision(client, village_rejang_lebong, tim_rejang_lebong):
    report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    client.force_login(tim_rejang_lebong)

    response = client.post(
        url("report_edit", village_rejang_lebong), {**FORM, "revision": str(report.revision)}
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.place, report.revision) == ("Balai Desa Kota Padang", 2)


def test_a_stale_form_is_refused(client, village_rejang_lebong, tim_rejang_lebong):
    draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    client.force_login(tim_rejang_lebong)

    response = client.post(url("report_edit", village_rejang_lebong), {**FORM, "revision": "0"})

    assert response.status_code == 400
    assert "Orang lain menyimpan laporan ini" in response.content.decode()
    assert Report.objects.get().place == "Balai Desa"


def test_the_identification_form_saves_needs_and_the_1002_answers(
    client, village_rejang_lebong, tim_rejang_lebong
):
    client.force_login(tim_rejang_lebong)
    data = {
        "anchor_date": "2026-05-08",
        "respondent_name": "Hendra",
        "respondent_position": "Sekretaris Desa",
        "coaching_data_management": "true",
        "coaching_data_collection": "false",
        "notes": "",
        "data-TOTAL_FORMS": "2",
        "data-INITIAL_FORMS": "0",
        "data-0-topic": "kesehatan",
        "data-0-description": "Balita stunting per dusun",
        "data-1-topic": "",
        "data-1-description": "",
        "kegiatan-TOTAL_FORMS": "1",
        "kegiatan-INITIAL_FORMS": "0",
        "kegiatan-0-topic": "pertanian",
        "kegiatan-0-description": "Pendataan luas panen",
    }

    response = client.post(url("report_edit", village_rejang_lebong, kind="identifikasi"), data)

    assert response.status_code == 302
    report = Report.objects.get(kind="identifikasi")
    assert (report.coaching_data_management, report.coaching_data_collection) == (True, False)
    assert report.coaching_website is None
    assert [(n.section, n.topic, n.description) for n in report.needs.all()] == [
        ("1001a", "kesehatan", "Balita stunting per dusun"),
        ("1001b", "pertanian", "Pendataan luas panen"),
    ]


def test_a_need_without_topic_is_refused(client, village_rejang_lebong, tim_rejang_lebong):
    client.force_login(tim_rejang_lebong)
    data = {
        "anchor_date": "2026-05-08",
        "data-TOTAL_FORMS": "1",
        "data-INITIAL_FORMS": "0",
        "data-0-topic": "",
        "data-0-description": "Data kelahiran",
        "kegiatan-TOTAL_FORMS": "0",
        "kegiatan-INITIAL_FORMS": "0",
    }

    response = client.post(url("report_edit", village_rejang_lebong, kind="identifikasi"), data)

    assert response.status_code == 400
    assert response.context["formsets"]["data_needs"].forms[0].errors["topic"] == ["Pilih topik."]
    assert Report.objects.count() == 0


def test_an_unknown_report_kind_is_404(client, village_rejang_lebong, tim_rejang_lebong):
    client.force_login(tim_rejang_lebong)

    assert client.get(url("report_detail", village_rejang_lebong, kind="rapat")).status_code == 404


# --- uploads ------------------------------------------------------------------------------------


def test_uploading_a_photo(client, village_rejang_lebong, tim_rejang_lebong):
    report = draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    client.force_login(tim_rejang_lebong)

    response = client.post(
        url("report_upload", village_rejang_lebong),
        {"purpose": "dokumentasi", "file": upload("foto.png", PNG)},
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.purpose, attachment.original_name, attachment.owner_id) == (
        "dokumentasi",
        "foto.png",
        str(report.pk),
    )
    report.refresh_from_db()
    assert report.last_action == "file_added"


@pytest.mark.parametrize(
    ("purpose", "name", "content", "message"),
    [
        ("undangan", "undangan.exe", EXE, "bukan jenis yang diizinkan"),
        ("undangan", "undangan.png", PDF, "tidak sesuai dengan isinya"),
        ("dokumentasi", "foto.pdf", PDF, "Foto dokumentasi harus berupa gambar JPEG atau PNG."),
        ("kuesioner", "k.pdf", PDF, "Masukkan pilihan yang valid."),
    ],
)
def test_a_wrong_file_is_refused_with_a_clear_message(
    client, village_rejang_lebong, tim_rejang_lebong, purpose, name, content, message
):
    draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    client.force_login(tim_rejang_lebong)

    response = client.post(
        url("report_upload", village_rejang_lebong),
        {"purpose": purpose, "file": upload(name, content)},
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Attachment.objects.count() == 0


def test_downloading_an_attachment_streams_it(
    client, village_rejang_lebong, tim_rejang_lebong, kepala
):
    report = complete_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    attachment = Attachment.objects.get(owner_id=str(report.pk), purpose="undangan")
    client.force_login(kepala)

    response = client.get(url("attachment_download", village_rejang_lebong, attachment.pk))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="undangan.pdf"'


def test_a_file_of_another_report_is_not_served_through_this_one(
    client, village_rejang_lebong, village_kaur, tim_rejang_lebong, tim_kaur, kepala
):
    complete_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    other = complete_sosialisasi(village_kaur, tim_kaur)
    foreign = Attachment.objects.filter(owner_id=str(other.pk)).first()
    client.force_login(kepala)

    response = client.get(url("attachment_download", village_rejang_lebong, foreign.pk))

    assert response.status_code == 404


def test_removing_a_file(client, village_rejang_lebong, tim_rejang_lebong):
    report = complete_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    photo = Attachment.objects.get(owner_id=str(report.pk), purpose="dokumentasi")
    client.force_login(tim_rejang_lebong)

    response = client.post(url("attachment_remove", village_rejang_lebong, photo.pk))

    assert response.status_code == 302
    assert not Attachment.objects.filter(pk=photo.pk).exists()
    assert messages_of(response) == ["Berkas dihapus: foto-1.png."]


# --- transitions through the pages ----------------------------------------------------------------


def test_submitting_an_incomplete_report_lists_what_is_missing(
    client, village_rejang_lebong, tim_rejang_lebong
):
    draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong, agents=[])
    client.force_login(tim_rejang_lebong)

    response = client.post(url("report_submit", village_rejang_lebong))

    assert response.status_code == 302
    assert messages_of(response) == [
        "Tunjuk sekurang-kurangnya dua agen statistik (baru 0 tercantum).",
        "Sekurang-kurangnya satu agen statistik harus aparat desa; belum ada yang ditandai.",
        "Unggah undangan.",
        "Unggah daftar hadir.",
        "Unggah notulen.",
        "Unggah sekurang-kurangnya satu foto dokumentasi (JPEG atau PNG).",
    ]
    assert Report.objects.get().state == ReportState.DRAFT


def test_submitting_a_complete_report(client, village_rejang_lebong, tim_rejang_lebong):
    complete_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    client.force_login(tim_rejang_lebong)

    response = client.post(url("report_submit", village_rejang_lebong))

    assert messages_of(response) == ["Laporan dikirim ke provinsi (versi 1)."]
    assert Report.objects.get().state == ReportState.SUBMITTED


def test_returning_without_a_comment_shows_the_rule(
    client, village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    client.force_login(tim_provinsi)

    response = client.post(
        url("report_return", village_rejang_lebong), {"return-version": "1", "return-comment": ""}
    )

    assert response.status_code == 400
    assert response.context["return_form"].errors["comment"] == [
        "Sebutkan apa yang harus diubah: pengembalian laporan wajib disertai komentar."
    ]
    assert Report.objects.get().state == ReportState.SUBMITTED


def test_the_kabkota_sees_the_return_comments_in_place(
    client, village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    client.force_login(tim_provinsi)
    client.post(
        url("report_return", village_rejang_lebong),
        {
            "return-version": "1",
            "return-comment": "Lengkapi agen statistik.",
            "return-section_agents": "Tambahkan nomor SK untuk Budi.",
        },
    )

    client.force_login(tim_rejang_lebong)
    detail = client.get(url("report_detail", village_rejang_lebong))
    form = client.get(url("report_edit", village_rejang_lebong))

    assert "Lengkapi agen statistik." in detail.content.decode()
    agents_section = next(s for s in detail.context["sections"] if s.key == "agents")
    assert agents_section.comment == "Tambahkan nomor SK untuk Budi."
    form_agents = next(s for s in form.context["form_sections"] if s["key"] == "agents")
    assert form_agents["comment"] == "Tambahkan nomor SK untuk Budi."
    assert "Tambahkan nomor SK untuk Budi." in form.content.decode()


def test_the_reviewer_sees_what_changed_since_the_previous_version(
    client, village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    services.return_report(report, by=tim_provinsi, comment="Jumlah peserta salah")
    report.refresh_from_db()
    services.save_draft(
        report, by=tim_rejang_lebong, revision=report.revision, fields={"attendance_count": 51}
    )
    services.submit_report(report, by=tim_rejang_lebong)
    client.force_login(tim_provinsi)

    page = client.get(url("report_detail", village_rejang_lebong))

    diff = page.context["diff"]
    assert [(c.label, c.old, c.new) for c in diff.fields] == [("jumlah peserta", "42", "51")]
    assert "Perubahan dari versi 1 ke versi 2" in page.content.decode()
    version_page = client.get(url("version_detail", village_rejang_lebong, 2))
    assert version_page.status_code == 200
    assert [(c.old, c.new) for c in version_page.context["diff"].fields] == [("42", "51")]


def test_approving_through_the_page_locks_the_report(
    client, village_rejang_lebong, tim_rejang_lebong, ketua_tim
):
    submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    client.force_login(ketua_tim)

    response = client.post(
        url("report_approve", village_rejang_lebong),
        {"approve-version": "1", "approve-comment": ""},
    )

    assert messages_of(response) == ["Laporan disetujui."]
    assert Report.objects.get().state == ReportState.APPROVED
    client.force_login(tim_rejang_lebong)
    page = client.get(url("report_detail", village_rejang_lebong))
    assert "Laporan ini sudah disetujui dan tidak dapat diubah lagi." in page.content.decode()
    assert url("report_edit", village_rejang_lebong) not in page.content.decode()
    assert client.get(url("report_edit", village_rejang_lebong)).status_code == 403
    assert client.post(url("report_edit", village_rejang_lebong), FORM).status_code == 403
    assert (
        client.post(
            url("report_upload", village_rejang_lebong),
            {"purpose": "lainnya", "file": upload("x.pdf")},
        ).status_code
        == 403
    )
    assert Report.objects.get().place == "Balai Desa"


def test_approving_a_draft_through_the_page_is_refused(
    client, village_rejang_lebong, tim_rejang_lebong, ketua_tim
):
    complete_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    client.force_login(ketua_tim)

    response = client.post(url("report_approve", village_rejang_lebong), {"approve-version": "1"})

    assert response.status_code == 302
    assert messages_of(response) == ["Laporan berstatus draf tidak dapat disetujui."]
    assert Report.objects.get().state == ReportState.DRAFT


def test_a_second_reviewer_acting_on_a_stale_page_is_told_what_happened(
    client, village_rejang_lebong, tim_rejang_lebong, tim_provinsi, ketua_tim
):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    services.return_report(report, by=tim_provinsi, comment="Perbaiki daftar hadir")
    client.force_login(ketua_tim)

    response = client.post(url("report_approve", village_rejang_lebong), {"approve-version": "1"})

    assert messages_of(response) == ["Laporan berstatus dikembalikan tidak dapat disetujui."]
    assert Report.objects.get().state == ReportState.RETURNED


def test_a_review_form_without_its_version_is_refused(
    client, village_rejang_lebong, tim_rejang_lebong, ketua_tim
):
    submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    client.force_login(ketua_tim)

    response = client.post(url("report_approve", village_rejang_lebong), {"approve-version": ""})

    assert response.status_code == 400
    assert Report.objects.get().state == ReportState.SUBMITTED


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("report_detail", "post"),
        ("report_edit", "put"),
        ("report_submit", "get"),
        ("report_return", "get"),
        ("report_approve", "get"),
        ("report_upload", "get"),
        ("report_history", "post"),
        ("report_pdf", "post"),
    ],
)
def test_wrong_methods_are_refused(client, village_rejang_lebong, tim_provinsi, name, method):
    client.force_login(tim_provinsi)

    assert getattr(client, method)(url(name, village_rejang_lebong)).status_code == 405


# --- other pages ------------------------------------------------------------------------------


def test_history_lists_the_audit_rows(client, village_rejang_lebong, tim_rejang_lebong, kepala):
    submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    client.force_login(kepala)

    page = client.get(url("report_history", village_rejang_lebong))

    assert [e.action for e in page.context["events"]][:2] == ["report.submit", "attachment.add"]


def test_the_printable_pdf_is_a_pdf_with_the_report_facts(
    client, village_rejang_lebong, tim_rejang_lebong, kepala
):
    submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    client.force_login(kepala)

    response = client.get(url("report_pdf", village_rejang_lebong))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    name = village_rejang_lebong.village.name.lower().replace(" ", "-")
    assert response["Content-Disposition"] == f'attachment; filename="sosialisasi-{name}-2026.pdf"'


def test_the_printable_pdf_embeds_the_photos_scaled_and_lists_a_broken_one_only(
    client, village_rejang_lebong, tim_rejang_lebong, kepala
):
    from PIL import Image
    from pypdf import PdfReader

    report = complete_sosialisasi(village_rejang_lebong, tim_rejang_lebong)  # foto-1.png: broken
    photo = io.BytesIO()
    Image.new("RGB", (4000, 3000), (30, 120, 60)).save(photo, "JPEG")
    services.add_attachment(
        report,
        upload=SimpleUploadedFile("pencanangan.jpg", photo.getvalue()),
        purpose=Purpose.DOKUMENTASI,
        by=tim_rejang_lebong,
    )
    services.submit_report(report, by=tim_rejang_lebong)
    client.force_login(kepala)

    response = client.get(url("report_pdf", village_rejang_lebong))

    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    # Pages share their resources, so the one image may be listed on each: count it by name.
    images = {image.name: image for page in reader.pages for image in page.images}
    assert len(images) == 1  # the photo; the broken PNG is only listed
    assert max(next(iter(images.values())).image.size) == 1400  # scaled down from 4000 px
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Foto kegiatan" in text and "pencanangan.jpg" in text and "foto-1.png" in text


# --- lists ----------------------------------------------------------------------------------------


@pytest.fixture
def three_villages(village_rejang_lebong, village_kaur, tim_rejang_lebong, tim_kaur, tim_provinsi):
    """Rejang Lebong: approved sosialisasi; Kaur: a draft; a second Kaur village: nothing."""
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    services.approve_report(report, by=tim_provinsi)
    draft_sosialisasi(village_kaur, tim_kaur)
    second = ParticipatingVillage.objects.create(
        program_year=village_kaur.program_year,
        village=desa_in(village_kaur.office, 1),
        office=village_kaur.office,
        kind=VillageKind.UTAMA,
    )
    return village_rejang_lebong, village_kaur, second


def list_url(kind="sosialisasi", **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"tahun": 2026, **params}.items())
    return f"{reverse('reports:report_list', args=[kind])}?{query}"


def test_the_list_shows_every_village_with_state_and_timeliness(client, three_villages, kepala):
    rejang, kaur, second = three_villages

    with time_machine.travel(datetime(2026, 5, 20, 9, tzinfo=JAKARTA), tick=False):
        client.force_login(kepala)
        page = client.get(list_url())

    rows = {(r.village.pk, r.state, r.deadline.status) for r in page.context["rows"]}
    assert rows == {
        (rejang.pk, "approved", "tepat_waktu"),
        (kaur.pk, "draft", "lewat"),
        (second.pk, "not_started", "belum_jatuh_tempo"),
    }


def test_the_list_filters_by_state_status_office_and_name(client, three_villages, kepala, kaur):
    rejang, kaur_village, second = three_villages
    client.force_login(kepala)

    by_state = client.get(list_url(state="approved")).context["rows"]
    by_status = client.get(list_url(status="belum_jatuh_tempo")).context["rows"]
    by_office = client.get(list_url(office=kaur.pk)).context["rows"]
    by_name = client.get(list_url(q=rejang.village.name[:5])).context["rows"]
    nonsense = client.get(list_url(state="hilang", office="x")).context["rows"]

    assert [r.village.pk for r in by_state] == [rejang.pk]
    assert {r.village.pk for r in by_status} >= {second.pk}
    assert {r.village.pk for r in by_office} == {kaur_village.pk, second.pk}
    assert rejang.pk in [r.village.pk for r in by_name]
    assert len(nonsense) == 3


def test_the_list_answers_htmx_with_the_table_only(client, three_villages, kepala):
    client.force_login(kepala)

    response = client.get(list_url(), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="report-table"')
    assert "<nav" not in html


def test_a_kabkota_user_lists_only_its_villages(client, three_villages, tim_kaur):
    client.force_login(tim_kaur)

    rows = client.get(list_url()).context["rows"]

    assert {r.village.office.code for r in rows} == {"1704"}


def test_the_list_exports_to_xlsx(client, three_villages, kepala):
    rejang, kaur, second = three_villages
    client.force_login(kepala)

    response = client.get(reverse("reports:report_list_xlsx", args=["sosialisasi"]) + "?tahun=2026")

    assert response["Content-Disposition"] == 'attachment; filename="laporan-sosialisasi-2026.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][:6] == (
        "No.",
        "BPS kabupaten/kota",
        "Kecamatan",
        "Desa/Kelurahan",
        "Kode wilayah",
        "Status",
    )
    by_village = {row[3]: row for row in rows[1:]}
    assert by_village[rejang.village.name][5] == "Disetujui"
    assert by_village[rejang.village.name][7] == datetime(2026, 5, 18)
    assert by_village[second.village.name][5] == "Belum dimulai"
    assert len(rows) == 4


def test_the_overview_counts_each_kind(client, three_villages, kepala):
    client.force_login(kepala)

    page = client.get(reverse("reports:index") + "?tahun=2026")

    counts = {kind: dict(c) for kind, _slug, _label, c in page.context["kinds"]}
    assert counts["sosialisasi"]["approved"] == 1
    assert counts["sosialisasi"]["draft"] == 1
    assert counts["sosialisasi"]["not_started"] == 1
    assert counts["identifikasi"]["not_started"] == 3


def test_an_unknown_year_is_404(client, three_villages, kepala):
    client.force_login(kepala)

    assert client.get(list_url(tahun=2031)).status_code == 404
    assert client.get(reverse("reports:index") + "?tahun=abc").status_code == 404


def test_the_list_costs_the_same_number_of_queries_for_more_villages(
    client, three_villages, kepala, tim_kaur
):
    client.force_login(kepala)
    client.get(list_url())  # warm caches (content types, sessions)
    cache.clear()  # the uncached cost: the page cache would answer a repeat
    with CaptureQueriesContext(connection) as small:
        client.get(list_url())
    office = three_villages[1].office
    for index in range(2, 12):
        village = ParticipatingVillage.objects.create(
            program_year=three_villages[1].program_year,
            village=desa_in(office, index),
            office=office,
            kind=VillageKind.UTAMA,
        )
        draft_sosialisasi(village, tim_kaur)

    cache.clear()  # the uncached cost: the page cache would answer a repeat

    with CaptureQueriesContext(connection) as large:
        page = client.get(list_url())

    assert len(page.context["rows"]) == 13
    assert len(large) == len(small)


def test_the_detail_page_costs_the_same_number_of_queries_for_more_content(
    client, village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    client.force_login(tim_provinsi)
    client.get(url("report_detail", village_rejang_lebong))
    cache.clear()  # the uncached cost: the page cache would answer a repeat
    with CaptureQueriesContext(connection) as small:
        client.get(url("report_detail", village_rejang_lebong))
    services.return_report(report, by=tim_provinsi, comment="Tambah foto")
    for index in range(5):
        services.add_attachment(
            report,
            upload=upload(f"foto-{index}.png", PNG),
            purpose="dokumentasi",
            by=tim_rejang_lebong,
        )
    services.submit_report(report, by=tim_rejang_lebong)

    cache.clear()  # the uncached cost: the page cache would answer a repeat

    with CaptureQueriesContext(connection) as large:
        client.get(url("report_detail", village_rejang_lebong))

    assert len(large) == len(small)


def test_the_form_offers_the_agents_of_the_village_register(
    client, village_rejang_lebong, tim_rejang_lebong
):
    from program.services import add_agent

    add_agent(
        village_rejang_lebong, name="Rina Marlina", is_village_official=True, by=tim_rejang_lebong
    )
    add_agent(
        village_rejang_lebong, name="Dedi Kurniawan", role="Pemuda desa", by=tim_rejang_lebong
    )
    client.force_login(tim_rejang_lebong)

    new = client.get(url("report_edit", village_rejang_lebong))

    formset = new.context["formsets"]["agents"]
    assert formset.from_register
    assert [row["name"] for row in formset.initial] == ["Rina Marlina", "Dedi Kurniawan"]
    assert "Diambil dari register agen statistik desa (2 agen)" in new.content.decode()

    draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)  # the report lists its own two
    saved = client.get(url("report_edit", village_rejang_lebong))
    again = client.get(url("report_edit", village_rejang_lebong) + "?agen=register")

    assert [row["name"] for row in saved.context["formsets"]["agents"].initial] == [
        "Siti Aminah",
        "Budi Santoso",
    ]
    assert "Ambil daftar dari register" in saved.content.decode()
    assert [row["name"] for row in again.context["formsets"]["agents"].initial] == [
        "Rina Marlina",
        "Dedi Kurniawan",
    ]


def test_the_migration_fills_an_empty_register_from_the_sosialisasi_report(
    village_rejang_lebong, tim_rejang_lebong
):
    import importlib

    from django.apps import apps

    from program.models import VillageAgent

    draft_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    migration = importlib.import_module("reports.migrations.0004_agents_into_the_register")

    migration.copy_agents(apps, None)
    migration.copy_agents(apps, None)  # a register already filled is left alone

    assert [
        (a.name, a.is_village_official, a.sk_number)
        for a in VillageAgent.objects.filter(village=village_rejang_lebong).order_by("id")
    ] == [("Siti Aminah", True, "141/12/2026"), ("Budi Santoso", False, "141/12/2026")]
