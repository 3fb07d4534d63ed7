"""The one xlsx writer (safe text cells, numbers, dates, Jakarta times, sheet names) and the one
bounded reader (size, type, zip bomb, row and column ceilings, entity expansion)."""

import io
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.tests.hostile_xlsx import billion_laughs, million_blank_rows, xlsx_bytes
from core.xlsx import Percent, XlsxWriter, cell_text, open_workbook, sheet_title, write_xlsx

HOSTILE = [
    '=HYPERLINK("http://x","KLIK")',
    "=cmd|' /C calc'!A0",
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def read_back(content: bytes, sheet: int = 0):
    return openpyxl.load_workbook(io.BytesIO(content)).worksheets[sheet]


def upload(content: bytes, name: str = "data.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


# --- writer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_is_written_as_a_neutralised_text_cell(text):
    sheet = read_back(write_xlsx([("Data", [["Kegiatan"], [text]])]))

    cell = sheet["A2"]
    assert cell.data_type == "s"
    assert cell.value == "'" + text


def test_numbers_dates_and_times_keep_their_types_and_times_are_jakarta():
    moment = datetime(2026, 5, 4, 1, 30, tzinfo=UTC)
    sheet = read_back(
        write_xlsx(
            [
                (
                    "Data",
                    [
                        ["a", "b", "c", "d", "e", "f"],
                        [3, 66.7, Decimal("2.50"), -4, date(2026, 5, 4), moment],
                    ],
                )
            ]
        )
    )

    a, b, c, d, e, f = sheet[2]
    assert [x.data_type for x in (a, b, c, d)] == ["n"] * 4
    assert (a.value, b.value, c.value, d.value) == (3, 66.7, 2.5, -4)
    assert (e.value, e.number_format) == (datetime(2026, 5, 4), "DD-MM-YYYY")
    assert (f.value, f.number_format) == (datetime(2026, 5, 4, 8, 30), "DD-MM-YYYY HH:MM")


def test_a_percentage_is_a_number_with_a_percent_format():
    sheet = read_back(write_xlsx([("Data", [["Kelengkapan", "Poin"], [Percent(66.7), 66.7]])]))

    percent, plain = sheet[2]
    assert (percent.data_type, percent.value, percent.number_format) == ("n", 0.667, "0.0%")
    assert (plain.value, plain.number_format) == (66.7, "General")


def test_header_is_bold_and_frozen_and_widths_follow_the_content():
    sheet = read_back(write_xlsx([("Data", [["No", "Nama"], [1, "x" * 200]])]))

    assert sheet["A1"].font.bold and sheet["B1"].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 8
    assert sheet.column_dimensions["B"].width == 60


def test_sheet_names_follow_one_rule():
    assert sheet_title("Sosialisasi/pencanangan") == "Sosialisasi-pencanangan"
    assert sheet_title("'Desa [A]: ?*'") == "Desa -A-- --"
    assert sheet_title("x" * 40) == "x" * 31
    assert sheet_title("Rekap", ["rekap"]) == "Rekap (2)"
    assert sheet_title("") == "Sheet"


def test_illegal_control_characters_are_dropped_not_a_crash():
    sheet = read_back(write_xlsx([("Data", [["a"], ["ok\x0bok"]])]))
    assert sheet["A2"].value == "okok"


def test_dropdown_options_stand_on_a_hidden_sheet():
    writer = XlsxWriter()
    sheet = writer.add_sheet("Data", [["Tahap"]])
    writer.add_choices(sheet, "A2:A10", ["=satu", "dua"])
    book = openpyxl.load_workbook(io.BytesIO(writer.to_bytes()))

    assert book["Pilihan"].sheet_state == "hidden"
    assert book["Pilihan"]["A1"].value == "'=satu"
    [rule] = book["Data"].data_validations.dataValidation
    assert rule.formula1 == "=Pilihan!$A$1:$A$2"


def test_cell_text_undoes_the_neutralisation_so_exports_import_back():
    assert cell_text("'=SUM(A1)") == "=SUM(A1)"
    assert cell_text("'biasa") == "'biasa"
    assert cell_text(12.0) == "12"
    assert cell_text(None) == ""


# --- reader ----------------------------------------------------------------------------------


def test_a_good_file_is_read_row_by_row():
    content = write_xlsx([("Data", [["a", "b"], [1, "x"]])])

    with open_workbook(upload(content)) as book:
        rows = list(book.rows("Data", max_cols=2))

    assert rows == [("a", "b"), (1, "x")]


@pytest.mark.parametrize("declare_dimension", [True, False], ids=["declared", "undeclared"])
def test_a_million_blank_rows_are_refused_before_they_are_parsed(declare_dimension):
    content = million_blank_rows(
        {"Data": [["a", "b"], [1, 2]]}, on="Data", declare_dimension=declare_dimension
    )
    assert len(content) < 150_000

    started = time.perf_counter()
    with pytest.raises(ValidationError) as refused, open_workbook(upload(content)) as book:
        list(book.rows("Data"))
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0
    assert "lebih besar daripada yang diizinkan" in refused.value.messages[0]
    assert "2000 baris" in refused.value.messages[0]


def test_a_dimension_that_lies_small_does_not_hide_rows_beyond_the_ceiling():
    rows = [["a"]] + [[n] for n in range(1, 30)]
    content = xlsx_bytes({"Data": rows})
    content = content.replace(b"A1:A30", b"A1:A2")  # the sheet claims two rows

    with pytest.raises(ValidationError), open_workbook(upload(content), max_rows=10) as book:
        list(book.rows("Data"))


def test_a_filled_cell_beyond_the_column_ceiling_is_refused():
    content = xlsx_bytes({"Data": [["a"] + [None] * 60 + ["far away"]]}, declare_dimension=False)

    with pytest.raises(ValidationError), open_workbook(upload(content)) as book:
        list(book.rows("Data"))


def test_an_oversized_file_is_refused_by_its_size(settings):
    settings.XLSX_IMPORT_MAX_BYTES = 1024
    content = write_xlsx([("Data", [["a"]] + [[f"baris {n}"] for n in range(500)])])
    assert len(content) > 1024

    with pytest.raises(ValidationError) as refused:
        open_workbook(upload(content))

    assert "batas untuk impor Excel adalah 1,0\xa0KB" in refused.value.messages[0]


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4 not a sheet", b"a;b\n1;2\n", b"PK\x03\x04 broken zip"],
    ids=["pdf", "csv", "broken-zip"],
)
def test_a_file_that_is_not_xlsx_is_refused(content):
    with pytest.raises(ValidationError) as refused:
        open_workbook(upload(content, "data.xlsx"))

    assert refused.value.messages == ["data.xlsx bukan buku kerja Excel (.xlsx)."]


def test_a_zip_bomb_is_refused_by_its_unpacked_size(settings):
    settings.XLSX_IMPORT_MAX_BYTES = 200_000
    content = xlsx_bytes({"Data": [["a"], ["x" * 3_000_000]]})
    assert len(content) < 200_000

    with pytest.raises(ValidationError) as refused:
        open_workbook(upload(content))

    assert "lebih dari yang boleh" in refused.value.messages[0]


def test_entity_expansion_is_refused_by_defusedxml():
    assert openpyxl.DEFUSEDXML is True

    with pytest.raises(ValidationError) as refused, open_workbook(upload(billion_laughs())) as book:
        list(book.rows(0))

    assert "tidak dapat dibaca sebagai buku kerja Excel" in refused.value.messages[0]


def test_formulas_and_fills_are_there_for_an_importer_that_asks_for_them():
    writer = XlsxWriter()
    sheet = writer.add_sheet("Data", [["a", "b"], [1, 2]])
    sheet["C2"] = "=A2+B2"  # what an official workbook holds; the writer never writes one
    content = writer.to_bytes()

    with open_workbook(upload(content), data_only=False) as book:
        header, row = list(book.rows("Data", values_only=False, max_cols=3))

    assert row[2].value == "=A2+B2"
    assert header[0].fill.fgColor.rgb == "00DCE6F1"


def test_a_missing_sheet_is_named():
    content = write_xlsx([("Data", [["a"]])])

    with pytest.raises(ValidationError) as refused, open_workbook(upload(content)) as book:
        book.sheet("Butir")

    assert refused.value.messages == ["Buku kerja tidak memiliki sheet bernama Butir."]


def test_a_fully_loaded_workbook_keeps_merged_cells_and_the_same_ceilings():
    writer = XlsxWriter()
    sheet = writer.add_sheet("Data", [["Blok", None], ["a", "b"], ["c", "d"]])
    sheet.merge_cells("A1:B1")
    content = writer.to_bytes()

    with open_workbook(upload(content), read_only=False) as book:
        rows = list(book.rows("Data"))
        merged = [str(r) for r in book.sheet("Data").merged_cells.ranges]
    with pytest.raises(ValidationError), open_workbook(upload(content), read_only=False) as book:
        list(book.rows("Data", max_rows=2))

    assert rows == [("Blok", None), ("a", "b"), ("c", "d")]
    assert merged == ["A1:B1"]
