"""The Laporan rapat (PDF and DOCX), the attendance list and the action item xlsx, opened and
read back."""

import io
from datetime import date

import docx
import openpyxl
import pypdf
import pytest
from django.urls import reverse

from meetings import exports, services
from meetings.models import Meeting
from meetings.queries import meeting_record_for, with_statuses
from meetings.tests.conftest import NUMBER


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def record(meeting: Meeting) -> dict:
    """The meeting as the province team lead who made it sees it (every office)."""
    return meeting_record_for(meeting.created_by, meeting)


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


@pytest.fixture
def closed_meeting(make_meeting, ketua_tim, rejang_lebong, kaur):
    """A held meeting with minutes, decisions and two action items, then closed."""
    meeting = make_meeting(Meeting.State.HELD)
    first, second = meeting.agenda_items.all()
    services.record_minutes(
        meeting,
        minutes={first.pk: "Tiga desa Rejang Lebong sudah dicanangkan.", second.pk: ""},
        decisions="Laporan identifikasi dikirim paling lambat 5 Juni 2026",
        by=ketua_tim,
    )
    services.add_action_item(
        meeting,
        owner_office=rejang_lebong,
        description="Unggah laporan identifikasi kebutuhan Desa Air Bening",
        due_date=date(2026, 6, 5),
        by=ketua_tim,
    )
    services.add_action_item(
        meeting,
        owner_office=kaur,
        description="Kirim SK agen statistik",
        due_date=date(2026, 6, 12),
        by=ketua_tim,
    )
    from meetings.models import Attendance
    from meetings.services import AttendanceEntry

    services.record_attendance(
        meeting,
        entries=[
            AttendanceEntry(rejang_lebong, Attendance.Status.HADIR, "Andi Saputra\nRina Marlina"),
            AttendanceEntry(kaur, Attendance.Status.IZIN, note="Bertugas lapangan"),
        ],
        by=ketua_tim,
    )
    services.close_meeting(meeting, number=NUMBER, by=ketua_tim)
    return Meeting.objects.get(pk=meeting.pk)


def test_report_pdf_is_a4_and_holds_attendance_minutes_decisions_and_action_items(
    closed_meeting,
):
    content = exports.report_pdf(record(closed_meeting))

    reader = pypdf.PdfReader(io.BytesIO(content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = " ".join(pdf_text(content).split())
    for expected in [
        "BADAN PUSAT STATISTIK PROVINSI BENGKULU",
        "LAPORAN RAPAT",
        f"Nomor: {NUMBER}",
        "Rapat koordinasi tim Desa Cantik Mei 2026",
        "Senin, 18 Mei 2026",
        "09.00–11.00 WIB",
        "BPS Kabupaten Rejang Lebong",
        "Andi Saputra, Rina Marlina",
        "BPS Kabupaten Kaur",
        "Izin",
        "Bertugas lapangan",
        "Tiga desa Rejang Lebong sudah dicanangkan.",
        "Laporan identifikasi dikirim paling lambat 5 Juni 2026",
        "Unggah laporan identifikasi kebutuhan Desa Air Bening",
        "5 Juni 2026",
        "Kirim SK agen statistik",
        "Notulis",
        "Ketua Tim",
    ]:
        assert expected in text, expected
    assert "DRAF" not in text


def test_the_laporan_rapat_prints_the_corrected_letter_number(client, closed_meeting, ketua_tim):
    services.correct_report_number(
        closed_meeting, number="B-17/17000/VS.310/05/2026", reason="Salah ketik", by=ketua_tim
    )
    client.force_login(ketua_tim)

    pdf = client.get(reverse("meetings:report_pdf", args=[closed_meeting.pk]))
    word = client.get(reverse("meetings:report_docx", args=[closed_meeting.pk]))

    text = " ".join(pdf_text(pdf.content).split())
    assert "Nomor: B-17/17000/VS.310/05/2026" in text
    assert NUMBER not in text
    assert "B-17/17000/VS.310/05/2026" in docx_text(word.content)


def test_report_of_a_meeting_not_closed_yet_is_marked_draft(make_meeting):
    meeting = make_meeting(Meeting.State.HELD)

    text = pdf_text(exports.report_pdf(record(meeting)))

    assert "DRAF" in text
    assert "Nomor: ………" in " ".join(text.split())  # numbered when the team lead closes it


def test_report_docx_holds_the_same_facts_and_opens_in_word_format(closed_meeting):
    content = exports.report_docx(record(closed_meeting))

    text = docx_text(content)
    for expected in [
        "BADAN PUSAT STATISTIK PROVINSI BENGKULU",
        "LAPORAN RAPAT",
        f"Nomor: {NUMBER}",
        "BPS Kabupaten Rejang Lebong | Hadir | Andi Saputra\nRina Marlina",
        "BPS Kabupaten Kaur | Izin | — | Bertugas lapangan",
        "Tiga desa Rejang Lebong sudah dicanangkan.",
        "Laporan identifikasi dikirim paling lambat 5 Juni 2026",
        "Unggah laporan identifikasi kebutuhan Desa Air Bening | BPS Kabupaten Rejang Lebong"
        " | 5 Juni 2026 | Terbuka",
        "Kirim SK agen statistik | BPS Kabupaten Kaur | 12 Juni 2026",
        "Notulis",
    ]:
        assert expected in text, expected


def test_attendance_list_pdf_has_a_signature_row_per_person_and_every_office(closed_meeting):
    text = " ".join(pdf_text(exports.attendance_pdf(record(closed_meeting))).split())

    assert "DAFTAR HADIR" in text
    assert "No. Nama Kantor Tanda tangan" in text
    assert "1 Andi Saputra BPS Kabupaten Rejang Lebong 1." in text
    assert "2 Rina Marlina BPS Kabupaten Rejang Lebong 2." in text
    assert "Kehadiran per kantor" in text
    assert "1 BPS Kabupaten Rejang Lebong Hadir" in text
    assert "BPS Kabupaten Kaur Izin Bertugas lapangan" in text
    assert "1 dari 2 kantor yang diundang hadir" in text


def test_action_item_xlsx_has_owner_due_date_and_status(closed_meeting):
    items = with_statuses(closed_meeting.action_items.select_related("owner_office", "meeting"))

    content = exports.action_items_xlsx(items, title="Tindak lanjut")

    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:7] == [
        "Rapat",
        "Tanggal rapat",
        "Penanggung jawab",
        "Tindak lanjut",
        "Tenggat",
        "Status",
        "Status tenggat",
    ]
    assert [(r[2], r[3], r[4].date(), r[5], r[6]) for r in rows[1:]] == [
        (
            "BPS Kabupaten Rejang Lebong",
            "Unggah laporan identifikasi kebutuhan Desa Air Bening",
            date(2026, 6, 5),
            "Terbuka",
            "Belum jatuh tempo",
        ),
        (
            "BPS Kabupaten Kaur",
            "Kirim SK agen statistik",
            date(2026, 6, 12),
            "Terbuka",
            "Belum jatuh tempo",
        ),
    ]


def test_a_formula_typed_into_an_action_item_is_exported_as_text(closed_meeting):
    item = closed_meeting.action_items.order_by("id").first()
    item.description = "=cmd|' /C calc'!A0"
    item.save(update_fields=["description"])  # arrange: what a user could type
    items = with_statuses(closed_meeting.action_items.select_related("owner_office", "meeting"))

    content = exports.action_items_xlsx(items, title="Tindak lanjut")

    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    typed = next(row[3] for row in sheet.iter_rows(min_row=2) if "cmd" in str(row[3].value))
    assert (typed.data_type, typed.value) == ("s", "'=cmd|' /C calc'!A0")
    assert sheet["B2"].is_date and sheet["E2"].is_date


def test_the_docx_is_a4_with_page_numbers_in_the_footer(closed_meeting):
    document = docx.Document(io.BytesIO(exports.report_docx(record(closed_meeting))))

    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "NUMPAGES" in footer


def test_the_docx_signatures_print_the_recorder_and_approver_with_their_nip(closed_meeting):
    recorder, approver = closed_meeting.held_by, closed_meeting.closed_by
    recorder.full_name, recorder.nip = "Dimas Prasetyo, S.Tr.Stat.", "198905082013071001"
    recorder.save()
    approver.full_name, approver.nip = "Nur Aisyah, S.ST., M.Stat.", "199604022023122005"
    approver.save()

    document = docx.Document(io.BytesIO(exports.report_docx(record(closed_meeting))))

    signatures = document.tables[-1]
    assert [c.text for c in signatures.rows[0].cells] == ["Notulis", "Mengetahui, Ketua Tim"]
    assert [c.text for c in signatures.rows[2].cells] == [
        "Dimas Prasetyo, S.Tr.Stat.\nNIP 198905082013071001",
        "Nur Aisyah, S.ST., M.Stat.\nNIP 199604022023122005",
    ]
    assert signatures.rows[2].cells[0].paragraphs[0].runs[0].bold
    assert "." * 10 not in docx_text(document_bytes(document))
    assert document.paragraphs[0].text == "BADAN PUSAT STATISTIK PROVINSI BENGKULU"


def document_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("render", [exports.report_pdf, exports.attendance_pdf])
def test_meeting_pdfs_are_a4_and_signed_by_name_and_nip_from_the_profiles(closed_meeting, render):
    recorder, approver = closed_meeting.held_by, closed_meeting.closed_by
    recorder.full_name, recorder.nip = "Dimas Prasetyo, S.Tr.Stat.", "198905082013071001"
    recorder.save()
    approver.full_name, approver.nip = "Nur Aisyah, S.ST., M.Stat.", "199604022023122005"
    approver.save()

    reader = pypdf.PdfReader(io.BytesIO(render(record(closed_meeting))))

    assert {(round(p.mediabox.width), round(p.mediabox.height)) for p in reader.pages} == {
        (595, 842)
    }
    first = " ".join(reader.pages[0].extract_text().split())
    last = " ".join(reader.pages[-1].extract_text().split())
    assert first.startswith("BADAN PUSAT STATISTIK PROVINSI BENGKULU")
    assert "Bengkulu, " in last and "Notulis" in last and "Mengetahui, Ketua Tim" in last
    assert "Dimas Prasetyo, S.Tr.Stat. NIP 198905082013071001" in last
    assert "Nur Aisyah, S.ST., M.Stat. NIP 199604022023122005" in last
    assert "....." not in last


def test_agenda_items_are_numbered_once_in_the_page_the_pdf_and_the_docx(closed_meeting, client):
    """#12 pt 5: "1. 1. Progres" (a numbered list plus the item's own number) never shows."""
    import re

    from django.urls import reverse

    from core.models import User

    client.force_login(User.objects.get(username="ketua_tim"))
    page = client.get(reverse("meetings:detail", args=[closed_meeting.pk])).content.decode()
    texts = {
        "page": re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)),
        "pdf": " ".join(pdf_text(exports.report_pdf(record(closed_meeting))).split()),
        "docx": " ".join(docx_text(exports.report_docx(record(closed_meeting))).split()),
    }
    for name, text in texts.items():
        assert "1. Progres pembinaan desa" in text, name
        assert not re.search(r"\b\d+\.\s+\d+\.\s", text), name
    assert "<ol" not in page[page.index('id="notulen"') : page.index('id="notulen"') + 2000]
