"""The Rekap progres as the head signs it and the team files it: the PDF of a large province is
readable (read back from the file: no text over text, nothing off the page, every header and
figure whole in its cell), and the xlsx holds numbers, percentages and dates as such."""

import io
import re
from datetime import datetime

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from core.pdf import lay_out
from core.tests.pdf_layout import off_page, overlapping, pdf_runs
from monitoring import exports
from monitoring.figures import activity_label, rag_for
from monitoring.queries import recap_view
from monitoring.services import sign_recap

from . import recap_world

pytestmark = pytest.mark.django_db
A4_LANDSCAPE = (842, 595)  # points
NUMBER = "B-118/35000/VS.300/05/2026"


@pytest.fixture
def world():
    world = recap_world.build()
    first, second = world["recaps"]
    sign_recap(first, number="B-61/35000/VS.300/03/2026", place="Surabaya", by=world["head"])
    sign_recap(second, number=NUMBER, place="Surabaya", by=world["head"])
    return world


def test_the_overlap_check_sees_text_printed_over_text():
    # The check itself: a plain page is clean; a line pulled up onto the one above is found.
    plain = "<p>Kelengkapan 93,1%</p><p>Ketepatan waktu 86,6%</p>"
    crowded = plain.replace("<p>Ketepatan", "<p style='position:relative;top:-20pt'>Ketepatan")

    clean, _sizes = pdf_runs(lay_out(plain).write_pdf())
    overprinted, _sizes = pdf_runs(lay_out(crowded).write_pdf())

    assert overlapping(clean) == []
    assert [(a.text, b.text) for a, b in overlapping(overprinted)] == [
        ("Kelengkapan 93,1%", "Ketepatan waktu 86,6%")
    ]


def test_the_pdf_of_38_kabkota_prints_no_text_over_text_and_nothing_off_the_page(world):
    view = recap_view(world["head"], world["recaps"][1])

    runs, sizes = pdf_runs(exports.render_pdf(view))

    assert {(round(w), round(h)) for w, h in sizes} == {A4_LANDSCAPE}
    assert len(sizes) >= 3  # the table runs over pages, its header repeated on each
    assert overlapping(runs) == []
    assert off_page(runs, sizes) == []
    texts = [run.text for run in runs]
    # Each header is whole in its own cell (one run), on every page the table continues on.
    for header in ("Kelengkapan", "Ketepatan waktu", "selesai/", "seharusnya", "Status"):
        assert header in texts
    assert len(view.kabkota_activities) == 7
    for code in view.kabkota_activities:  # a group header on each page of the second table
        assert texts.count(activity_label(code)) >= 2, code
    assert "periode 1 (poin" in texts  # the trend header names the recap compared with
    page_text = " ".join(texts)
    for office in recap_world.LONG_NAMES:
        assert office.split()[-1] in page_text
    # Figures and status stand as whole runs: "12/14", "85,7%", "▲ 5,5 pp", "✖ Merah".
    # (a per-activity figure carries its cell's status mark: "✔ 12/14")
    figures = [t.strip().lstrip("✖⚠✔").strip() for t in texts]
    assert any(t.count("/") == 1 and t.replace("/", "").isdigit() for t in figures)
    assert any(t.endswith("%") and t[:-1].replace(",", "").isdigit() for t in texts)
    assert any(t.startswith(("▲", "▼")) and t.endswith("pp") for t in texts)
    stripped = {t.strip() for t in texts}
    assert {"✖", "⚠", "✔"} <= stripped and {"Merah", "Kuning", "Hijau"} <= stripped
    for expected in (
        "Rekap Progres Monitoring Desa Cantik",
        f"Nomor: {NUMBER}",
        "Ringkasan per BPS kabupaten/kota",
        "Per kegiatan SOP",
        "Total kabupaten/kota",
        "Kepala BPS Provinsi Jawa Timur",
        recap_world.HEAD_NAME,
        f"NIP {recap_world.HEAD_NIP}",
        "Ditandatangani secara elektronik",
    ):
        assert expected in texts, expected
    signed_on = world["recaps"][1].signed_at
    assert any(t.startswith("Surabaya, ") and str(signed_on.year) in t for t in texts)


def test_a_draft_pdf_leaves_number_place_and_name_to_fill(world):
    from monitoring.services import generate_recap

    draft = generate_recap(world["year"], period=3, narrative="", by=world["lead"])

    runs, sizes = pdf_runs(exports.render_pdf(recap_view(world["head"], draft)))

    texts = [run.text for run in runs]
    assert "DRAF – belum ditandatangani" in texts
    assert recap_world.HEAD_NAME not in texts
    assert "Nomor:" in [t.strip() for t in texts]
    assert f"Nomor: {NUMBER}" not in texts
    assert overlapping(runs) == [] and off_page(runs, sizes) == []


def test_the_xlsx_holds_numbers_percentages_and_dates_as_such(world):
    recap = world["recaps"][1]
    view = recap_view(world["head"], recap)

    book = load_workbook(io.BytesIO(exports.render_xlsx(view)))

    sheet = book["Rekap"]
    header = [c.value for c in sheet[1]]
    assert header[3:7] == [
        "Rencana kerja: selesai",
        "Rencana kerja: seharusnya",
        "Rencana kerja: kelengkapan",
        "Rencana kerja: ketepatan waktu",
    ]
    first = {c.column: c for c in sheet[2]}
    line = view.kabkota_lines[0]
    work_plan = line.row.activity("rencana_kerja")
    assert first[2].value == "BPS Kabupaten Kepulauan Siau Tagulandang Biaro"
    assert [(first[n].data_type, first[n].value) for n in (1, 3, 4, 5)] == [
        ("n", 1),
        ("n", line.row.villages),
        ("n", work_plan.done),
        ("n", work_plan.expected),
    ]
    completeness = first[6]
    assert completeness.data_type == "n"
    assert completeness.value == pytest.approx(work_plan.completeness / 100)
    assert completeness.number_format == "0.0%"
    total_completeness = first[header.index("Kelengkapan") + 1]
    assert total_completeness.value == pytest.approx(line.row.total.completeness / 100)
    assert total_completeness.number_format == "0.0%"
    change = first[header.index("Kelengkapan") + 2]
    assert (change.data_type, change.value) == ("n", line.trend["completeness"])
    assert change.number_format == "General"  # percentage points, not a percentage
    info = {row[0].value: row[1] for row in book["Keterangan"].iter_rows() if len(row) > 1}
    assert (info["Awal periode"].value, info["Awal periode"].number_format) == (
        datetime(2026, 3, 1),
        "DD-MM-YYYY",
    )
    assert info["Akhir periode"].value == datetime(2026, 4, 30)
    assert info["Data per"].is_date
    assert info["Ditandatangani pada"].is_date
    assert info["Ditandatangani pada"].value.date() == timezone.localtime(recap.signed_at).date()
    assert info["Nomor surat"].value == NUMBER
    assert info["NIP"].value == recap_world.HEAD_NIP
    assert info["Ditandatangani oleh"].value == recap_world.HEAD_NAME
    assert info["Dibandingkan dengan"].value.startswith("Periode 1")


def test_the_letterhead_is_the_recaps_own_province_office(world, settings):
    # The installation is Bengkulu's; the recap is Jawa Timur's (a second province).
    settings.ORGANISATION_NAME = "Badan Pusat Statistik Provinsi Bengkulu"
    view = recap_view(world["head"], world["recaps"][1])

    runs, _sizes = pdf_runs(exports.render_pdf(view))
    book = load_workbook(io.BytesIO(exports.render_xlsx(view)))

    texts = [run.text.strip() for run in runs]
    assert "BADAN PUSAT STATISTIK PROVINSI JAWA TIMUR" in texts
    assert not [t for t in texts if "BENGKULU" in t.upper()]
    assert book["Keterangan"]["A1"].value == "BADAN PUSAT STATISTIK PROVINSI JAWA TIMUR"


def test_each_activity_cell_of_the_pdf_carries_its_own_status(world):
    view = recap_view(world["head"], world["recaps"][1])
    line = view.kabkota_lines[0]
    html = exports.render_pdf_html(view)

    cells = re.findall(
        r'data-rag="(\w+)"><span class="cell-mark">(.)</span>&nbsp;(\d+)/(\d+)', html
    )

    expected = []
    for entry in [*view.kabkota_lines, view.totals]:
        for code in view.kabkota_activities:
            f = entry.row.activity(code)
            if f.total:
                expected.append((rag_for(f).value, f"{f.done}", f"{f.expected}"))
    assert [(rag, done, exp) for rag, _mark, done, exp in cells] == expected
    assert {rag for rag, *_ in cells} == {"red", "amber", "green"}  # the world has all three
    marks = {"red": "✖", "amber": "⚠", "green": "✔"}
    assert all(mark == marks[rag] for rag, mark, *_ in cells)
    # One cell by hand: the first office's work plan, red/amber/green by the office rule.
    work_plan = line.row.activity("rencana_kerja")
    assert cells[0][0] == rag_for(work_plan).value
    assert f"{work_plan.done}/{work_plan.expected}" == "/".join(cells[0][2:])
    assert "dihitung dari item kegiatan itu saja" in html  # the legend says how


def test_the_pdf_with_coloured_cells_still_prints_no_text_over_text(world):
    view = recap_view(world["head"], world["recaps"][1])

    pdf = exports.render_pdf(view)

    runs, sizes = pdf_runs(pdf)
    assert overlapping(runs) == [] and off_page(runs, sizes) == []
    # each activity cell's mark and its figure stand on one line, the mark just left of it
    marks = [r for r in runs if r.text.strip() in ("✖", "⚠", "✔")]
    figures = [r for r in runs if re.fullmatch(r"\xa0\d+/\d+", r.text)]
    assert len(figures) > 38 * 5
    for figure in figures:
        assert [
            m
            for m in marks
            if m.page == figure.page and abs(m.y0 - figure.y0) < 3 and -0.5 <= figure.x0 - m.x1 < 3
        ], figure
    assert {m.text.strip() for m in marks} == {"✖", "⚠", "✔"}
