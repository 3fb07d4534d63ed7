"""The generated Laporan akhir draft (DOCX to edit, PDF) and the printable report PDF hold the
village's real facts. The DOCX is opened with python-docx; the PDF's text is read from
WeasyPrint's laid-out pages or, for what an office hands over (A4, signers), with pypdf."""

import io
from datetime import date, datetime

import docx
import pytest
import time_machine
from django.urls import reverse

from core.deadlines import JAKARTA
from core.pdf import lay_out, render_html
from program import services as program_services
from program.models import Stage, WorkPlanActivity
from reports import exports, services
from reports.models import ReportKind
from reports.queries import final_draft

from .conftest import AGENTS, complete_identifikasi, submitted_sosialisasi

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(datetime(2026, 5, 12, 9, tzinfo=JAKARTA), tick=True):
        yield


@pytest.fixture
def coached(village_rejang_lebong, tim_rejang_lebong, tim_provinsi):
    """A village with a pembina, its two agen statistik in the register, both earlier reports
    and a work plan, two lines realised."""
    tim_rejang_lebong.nip = "198705112010121001"
    tim_rejang_lebong.save(update_fields=["nip"])
    for agent in AGENTS:
        program_services.add_agent(village_rejang_lebong, **agent, by=tim_rejang_lebong)
    sos = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    services.approve_report(sos, by=tim_provinsi)
    complete_identifikasi(village_rejang_lebong, tim_rejang_lebong)
    for stage, name, pelaksana, target, realised, produced in [
        (
            Stage.KOORDINASI,
            "Rapat koordinasi dengan perangkat desa",
            "Pembina",
            "Notulen",
            date(2026, 4, 20),
            "Notulen rapat",
        ),
        (
            Stage.PELAKSANAAN,
            "Pelatihan pengolahan data",
            "Pembina dan agen statistik",
            "Tabel data penduduk",
            date(2026, 5, 6),
            "Tabel penduduk per dusun",
        ),
        (
            Stage.PELAKSANAAN,
            "Penyusunan monografi desa",
            "Agen statistik",
            "Monografi desa",
            None,
            "",
        ),
    ]:
        WorkPlanActivity.objects.create(
            village=village_rejang_lebong,
            stage=stage,
            name=name,
            pelaksana=pelaksana,
            target_output=target,
            planned_start=date(2026, 4, 1),
            planned_end=date(2026, 6, 30),
            realised_on=realised,
            realisation_output=produced,
        )
    return village_rejang_lebong


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def laid_out_text(html: str) -> str:
    """The text of every box WeasyPrint laid out on the pages of `html`."""
    document = lay_out(html)

    def walk(box):
        if hasattr(box, "text"):
            yield box.text
        for child in getattr(box, "children", None) or []:
            yield from walk(child)

    return " ".join(text for page in document.pages for text in walk(page._page_box))


def contains(text: str, fact: str) -> bool:
    """`fact` is in `text`, wherever the layout broke lines (spaces are not compared)."""
    return fact.replace(" ", "") in text.replace(" ", "")


def expected_facts(village) -> list[str]:
    return [
        village.village.name,
        village.village.parent.name,
        "BPS Kabupaten Rejang Lebong",
        "2026",
        "Tim Rejang Lebong",
        "198705112010121001",
        "Siti Aminah",
        "Kaur Perencanaan",
        "Budi Santoso",
        "Balai Desa",
        "Hendra Gunawan",
        "Jumlah penduduk per dusun",
        "Pemutakhiran data penduduk",
        "Rapat koordinasi dengan perangkat desa",
        "Pelatihan pengolahan data",
        "Tabel penduduk per dusun",
        "Monografi desa",
        "belum terealisasi",
        "Hasil penilaian LKE: belum tersedia.",
        "daftar-hadir.pdf",
    ]


def test_the_docx_draft_holds_the_village_facts_in_the_outline(coached):
    text = docx_text(exports.final_draft_docx(final_draft(coached)))

    for fact in expected_facts(coached):
        assert fact in text, fact
    assert "Uraian | Keterangan" in text  # the fact tables' header, not "Pekerjaan | Isi"
    assert "Pekerjaan" not in text
    assert "No | Rincian kegiatan | Pelaksana | Output" in text
    assert (
        "2 | Pelatihan pengolahan data (6 Mei 2026) | Pembina dan agen statistik | "
        "Tabel penduduk per dusun" in text
    )
    headings = [
        p.text
        for p in docx.Document(
            io.BytesIO(exports.final_draft_docx(final_draft(coached)))
        ).paragraphs
        if p.style.name.startswith("Heading")
    ]
    assert headings[:1] == ["I. Pendahuluan"]
    assert {
        "II. Persiapan",
        "III. Pembinaan dan Pendampingan",
        "IV. Penutup",
        "Lampiran",
        "D. Hasil Penilaian LKE",
    } <= set(headings)


def test_the_pdf_draft_holds_the_same_facts(coached):
    draft = final_draft(coached)
    html = render_html(exports.FINAL_DRAFT_TEMPLATE, exports.final_draft_context(draft))

    text = laid_out_text(html)

    for fact in expected_facts(coached):
        assert contains(text, fact), fact
    assert exports.final_draft_pdf(draft).startswith(b"%PDF-")


def test_the_draft_of_a_village_with_nothing_yet_says_what_is_missing(village_kaur):
    text = docx_text(exports.final_draft_docx(final_draft(village_kaur)))

    assert "[Laporan sosialisasi/pencanangan belum dibuat]" in text
    assert "[Laporan identifikasi kebutuhan belum dibuat]" in text
    assert "[Rencana kerja belum berisi kegiatan]" in text
    assert "[Belum ada pembina yang tercatat di sistem]" in text
    assert "Hasil penilaian LKE: belum tersedia." in text


def test_the_draft_downloads(client, coached, kepala):
    client.force_login(kepala)
    name = coached.village.name.lower().replace(" ", "-")

    docx_response = client.get(reverse("reports:final_draft_docx", args=[coached.pk]))
    pdf_response = client.get(reverse("reports:final_draft_pdf", args=[coached.pk]))

    assert (
        docx_response["Content-Disposition"]
        == f'attachment; filename="akhir-{name}-2026-draf.docx"'
    )
    assert "Siti Aminah" in docx_text(docx_response.content)
    assert pdf_response["Content-Type"] == "application/pdf"
    assert pdf_response.content.startswith(b"%PDF-")


def test_the_draft_of_another_kabkota_is_404(client, coached, tim_kaur):
    client.force_login(tim_kaur)

    assert client.get(reverse("reports:final_draft_docx", args=[coached.pk])).status_code == 404
    assert client.get(reverse("reports:final_draft_pdf", args=[coached.pk])).status_code == 404


def test_the_draft_lists_the_agents_of_the_register_not_of_the_report(coached, tim_rejang_lebong):
    program_services.add_agent(
        coached,
        name="Dewi Lestari",
        role="Staf desa",
        is_village_official=True,
        sk_number="141/20/2026",
        sk_date=date(2026, 5, 8),
        by=tim_rejang_lebong,
    )

    text = docx_text(exports.final_draft_docx(final_draft(coached)))

    assert "Agen statistik (dari register agen statistik desa):" in text
    assert "Dewi Lestari | Staf desa | Ya | 141/20/2026 8 Mei 2026" in text
    html = render_html(
        exports.FINAL_DRAFT_TEMPLATE, exports.final_draft_context(final_draft(coached))
    )
    assert "Dewi Lestari" in html


def test_the_final_report_page_previews_the_draft(client, coached, tim_rejang_lebong):
    client.force_login(tim_rejang_lebong)

    page = client.get(reverse("reports:report_detail", args=["akhir", coached.pk]))

    draft = page.context["draft"]
    assert (draft.realised, len(draft.activities), len(draft.agents)) == (2, 3, 2)
    html = page.content.decode()
    assert "Rencana kerja: 2 dari 3 kegiatan terealisasi" in html
    assert "Hasil penilaian LKE: belum tersedia." in html


def test_the_printable_report_lists_fields_agents_and_attachments(coached, tim_rejang_lebong):
    from reports.models import Report
    from reports.queries import (
        content_sections,
        current_files,
        report_deadline,
        snapshot_of,
        versions_of,
    )

    report = Report.objects.select_related(
        "village__village__parent", "village__office", "village__program_year"
    ).get(village=coached, kind=ReportKind.SOSIALISASI)
    html = render_html(
        "reports/pdf/report.html",
        {
            "report": report,
            "village": report.village,
            "letterhead_office": report.village.office,
            "kind_label": ReportKind(report.kind).label,
            "sections": content_sections(snapshot_of(report)),
            "files": current_files(report),
            "versions": versions_of(report),
            "deadline": report_deadline(report),
        },
    )

    text = laid_out_text(html)

    for fact in [
        "Laporan sosialisasi/pencanangan",
        "Balai Desa",
        "42",
        "Siti Aminah",
        "141/12/2026",
        "Undangan",
        "undangan.pdf",
        "Daftar hadir",
        "foto-1.png",
        "Disetujui",
        "4 Mei 2026",
    ]:
        assert contains(text, fact), fact


# --- what an office hands over: A4, letterhead, place and date, signers with NIP ---------------


def pdf_pages(content: bytes):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    texts = [" ".join(page.extract_text().split()) for page in reader.pages]
    sizes = {(round(p.mediabox.width), round(p.mediabox.height)) for p in reader.pages}
    return texts, sizes


A4_PORTRAIT = {(595, 842)}


@pytest.fixture
def head_of_rejang_lebong(rejang_lebong):
    from conftest import make_user
    from core.models import Role

    head = make_user("kepala_rl", "1702", Role.PIMPINAN_KABKOTA)
    head.full_name, head.nip = "Dr. Ahmad Fauzi, S.Si., M.Si.", "197203041996011001"
    head.save()
    return head


def test_report_pdf_is_a4_with_letterhead_and_signed_by_the_submitter_and_the_office_head(
    client, village_rejang_lebong, tim_rejang_lebong, tim_provinsi, head_of_rejang_lebong
):
    tim_rejang_lebong.full_name, tim_rejang_lebong.nip = "Lina Lestari, S.E.", "197611211998112009"
    tim_rejang_lebong.save()
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    services.approve_report(report, by=tim_provinsi)
    client.force_login(tim_provinsi)

    response = client.get(
        reverse("reports:report_pdf", args=["sosialisasi", village_rejang_lebong.pk])
    )

    pages, sizes = pdf_pages(response.content)
    assert sizes == A4_PORTRAIT
    assert pages[0].startswith("BADAN PUSAT STATISTIK KABUPATEN REJANG LEBONG")
    last = pages[-1]
    assert "Rejang Lebong, 12 Mei 2026" in last
    assert "Dibuat oleh, BPS Kabupaten Rejang Lebong" in last
    assert "Mengetahui, Kepala BPS Kabupaten Rejang Lebong" in last
    assert "Lina Lestari, S.E. NIP 197611211998112009" in last
    assert "Dr. Ahmad Fauzi, S.Si., M.Si. NIP 197203041996011001" in last
    assert "Nama dan NIP" not in last and "....." not in last


def test_report_pdf_of_an_office_without_a_head_leaves_a_line_to_sign(
    client, village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    client.force_login(tim_provinsi)

    response = client.get(
        reverse("reports:report_pdf", args=["sosialisasi", village_rejang_lebong.pk])
    )

    last = pdf_pages(response.content)[0][-1]
    assert tim_rejang_lebong.get_full_name() in last
    assert last.count("NIP") == 1  # the submitter's; the head's place is a line to sign on


def test_final_draft_pdf_is_a4_and_signed_by_the_pembina_and_the_office_head(
    coached, head_of_rejang_lebong
):
    pages, sizes = pdf_pages(exports.final_draft_pdf(final_draft(coached)))

    assert sizes == A4_PORTRAIT
    assert pages[0].startswith("BADAN PUSAT STATISTIK KABUPATEN REJANG LEBONG")
    text = " ".join(pages)
    assert "Rejang Lebong, 12 Mei 2026" in text
    assert "Tim Rejang Lebong NIP 198705112010121001" in text
    assert "Dr. Ahmad Fauzi, S.Si., M.Si. NIP 197203041996011001" in text


def test_final_draft_docx_is_a4_with_letterhead_page_numbers_and_signers(
    coached, head_of_rejang_lebong
):
    document = docx.Document(io.BytesIO(exports.final_draft_docx(final_draft(coached))))

    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert document.paragraphs[0].text == "BADAN PUSAT STATISTIK KABUPATEN REJANG LEBONG"
    assert document.paragraphs[2].text.startswith("Laporan Akhir Pembinaan Desa Cantik")
    assert document.paragraphs[2].style.name == "Normal"  # not Word's big "Title" style
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    assert document.styles["Heading 1"].font.name == "Arial"
    text = docx_text(document_bytes(document))
    assert "Rejang Lebong, 12 Mei 2026" in text
    assert "Tim Rejang Lebong\nNIP 198705112010121001" in text
    assert "Dr. Ahmad Fauzi, S.Si., M.Si.\nNIP 197203041996011001" in text
    numbered = [t for t in document.tables if t.rows[0].cells[0].text in ("No.", "No")]
    assert numbered and all(round(t.rows[0].cells[0].width.cm, 1) == 1.3 for t in numbered)


def document_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
