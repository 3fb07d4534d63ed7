"""A worksheet's xlsx round trip: download for offline filling (dropdowns of options), import it
back; unknown codes, invalid options, malformed rows and stale rows are reported by row and
nothing is saved."""

import time
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from core.tests.hostile_xlsx import million_blank_rows
from lke import services
from lke.models import Answer, Level

from .conftest import answer, item, option, to_verification


def download(client, worksheet, level=None) -> "load_workbook":
    url = reverse("lke:worksheet_xlsx", args=[worksheet.pk]) + (
        f"?tingkat={level}" if level else ""
    )
    response = client.get(url)
    assert response.status_code == 200
    return load_workbook(BytesIO(response.content))


def upload(client, worksheet, book):
    out = BytesIO()
    book.save(out)
    return client.post(
        reverse("lke:worksheet_import", args=[worksheet.pk]),
        {"file": SimpleUploadedFile("lke.xlsx", out.getvalue())},
    )


def rows_by_code(sheet) -> dict[str, int]:
    return {row[0].value: row[0].row for row in sheet.iter_rows(min_row=2) if row[0].value}


def test_worksheet_xlsx_lists_items_with_option_dropdowns(client, ws_rl, tim_rejang_lebong):
    answer(ws_rl, "k1.a", 3, by=tim_rejang_lebong)
    client.force_login(tim_rejang_lebong)

    book = download(client, ws_rl)

    sheet = book["LKE"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "kode",
        "butir",
        "jenis",
        "jawaban",
        "catatan",
        "alasan",
        "jawaban_mandiri",
        "bukti",
        "versi",
    )
    assert [r[0] for r in rows[1:]] == [
        "n.1",
        "k1.a",
        "k1.b",
        "k1.h",
        "k1.t",
        "k2.a",
        "m1.a",
        "m1.z",
    ]
    assert rows[2][3] == "Opsi 3" and rows[2][8] == 1
    assert book["Pilihan"].sheet_state == "hidden"
    validations = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert validations["D3"] == "=Pilihan!$B$1:$B$4"


def test_filled_xlsx_imports_every_answer(client, ws_rl, tim_rejang_lebong):
    client.force_login(tim_rejang_lebong)
    book = download(client, ws_rl)
    sheet = book["LKE"]
    at = rows_by_code(sheet)
    for code, value in {
        "n.1": "Opsi 1",
        "k1.a": "Opsi 4",
        "k1.b": "Opsi 0",
        "k2.a": "2",
        "m1.a": "Opsi 3",
        "m1.z": "Opsi 1",
        "k1.t": "Data penduduk",
    }.items():
        sheet.cell(row=at[code], column=4, value=value)
    sheet.cell(row=at["k1.a"], column=5, value="SK terlampir")

    response = upload(client, ws_rl, book)

    ws_rl.refresh_from_db()
    answers = {
        a.item.code: (a.option.score if a.option else a.text)
        for a in Answer.objects.filter(worksheet=ws_rl, level=Level.SELF).select_related(
            "item", "option"
        )
    }
    assert response.status_code == 302
    assert answers == {
        "n.1": 1,
        "k1.a": 4,
        "k1.b": 0,
        "k2.a": 2,
        "m1.a": 3,
        "m1.z": 1,
        "k1.t": "Data penduduk",
    }
    assert Answer.objects.get(worksheet=ws_rl, item__code="k1.a").note == "SK terlampir"
    assert ws_rl.self_answered == 6
    # K1 = (1×4/4 + 3×0)/4 = .25; K2 = .5; K = (2×.25 + .5)/3 = 1/3; M = 3/4;
    # total = 100 × (1/3 + 3×3/4)/4
    assert ws_rl.scores["self"]["total"] == 64.58


def test_xlsx_with_unknown_code_invalid_option_and_malformed_rows_saves_nothing(
    client, ws_rl, tim_rejang_lebong
):
    client.force_login(tim_rejang_lebong)
    book = download(client, ws_rl)
    sheet = book["LKE"]
    at = rows_by_code(sheet)
    sheet.cell(row=at["k1.a"], column=4, value="Opsi 4")  # valid, but the file has errors
    sheet.cell(row=at["k2.a"], column=4, value="Sangat baik")  # not an option
    sheet.cell(row=at["m1.a"], column=9, value="x")  # the hidden version changed
    sheet.append(["z.9", "Butir asing", "choice", "Opsi 1"])  # unknown code
    sheet.append([None, "tanpa kode", None, "Opsi 2"])  # malformed row
    last = sheet.max_row

    response = upload(client, ws_rl, book)

    assert response.status_code == 400
    assert response.context["import_errors"] == [
        f"baris {at['k2.a']}: 'Sangat baik' bukan pilihan butir k2.a",
        f"baris {at['m1.a']}: kolom versi tersembunyi diubah; unduh ulang berkasnya",
        f"baris {last - 1}: z.9 bukan butir lembar ini",
        f"baris {last}: kode butir kosong",
    ]
    assert not Answer.objects.exists()


def test_xlsx_over_a_later_save_is_refused(client, ws_rl, tim_rejang_lebong):
    client.force_login(tim_rejang_lebong)
    book = download(client, ws_rl)
    answer(ws_rl, "k1.a", 2, by=tim_rejang_lebong)  # saved after the download
    sheet = book["LKE"]
    sheet.cell(row=rows_by_code(sheet)["k1.a"], column=4, value="Opsi 4")

    response = upload(client, ws_rl, book)

    assert response.status_code == 400
    assert "diubah orang lain" in response.context["import_errors"][0]
    assert Answer.objects.get(worksheet=ws_rl, item__code="k1.a").option.score == 2


def test_not_an_xlsx_or_another_worksheet_file_is_refused(
    client, ws_rl, ws_office_rl, tim_rejang_lebong
):
    client.force_login(tim_rejang_lebong)
    other = download(client, ws_office_rl)

    wrong_type = client.post(
        reverse("lke:worksheet_import", args=[ws_rl.pk]),
        {"file": SimpleUploadedFile("lke.xlsx", b"%PDF-1.4")},
    )
    wrong_sheet = upload(client, ws_rl, other)

    assert wrong_type.status_code == 400
    assert wrong_sheet.status_code == 400
    assert "lembar lain" in wrong_sheet.context["import_errors"][0]
    assert not Answer.objects.exists()


def test_verifier_imports_provincial_answers_with_reasons(
    client, ws_rl, tim_rejang_lebong, tim_provinsi
):
    to_verification(ws_rl, kabkota=tim_rejang_lebong, province=tim_provinsi)
    client.force_login(tim_provinsi)
    book = download(client, ws_rl)
    sheet = book["LKE"]
    at = rows_by_code(sheet)
    assert sheet.cell(row=at["k1.a"], column=7).value == "3: Opsi 3"  # the self answer beside it
    sheet.cell(row=at["k1.a"], column=4, value="Opsi 1")

    refused = upload(client, ws_rl, book)
    sheet.cell(row=at["k1.a"], column=6, value="SK tidak ada")
    accepted = upload(client, ws_rl, book)

    assert refused.status_code == 400
    assert accepted.status_code == 302
    verified = Answer.objects.get(worksheet=ws_rl, item__code="k1.a", level=Level.PROVINCIAL)
    assert (verified.option.score, verified.reason) == (1, "SK tidak ada")


def test_readers_cannot_import(client, ws_rl, pimpinan_rejang_lebong):
    client.force_login(pimpinan_rejang_lebong)

    response = client.post(
        reverse("lke:worksheet_import", args=[ws_rl.pk]),
        {"file": SimpleUploadedFile("lke.xlsx", b"PK")},
    )

    assert response.status_code == 403


# --- hostile content (issue 9, defects 2 and 3) -------------------------------------------------


def test_a_formula_typed_into_a_note_is_exported_as_text_and_imports_back(
    client, ws_rl, tim_rejang_lebong
):
    instrument = ws_rl.assessment.instrument
    services.save_answer(
        ws_rl,
        item=item(instrument, "k1.a"),
        level=Level.SELF,
        option=option(instrument, "k1.a", 3),
        note='=HYPERLINK("http://x","KLIK")',
        version=0,
        by=tim_rejang_lebong,
    )
    client.force_login(tim_rejang_lebong)

    book = download(client, ws_rl)
    sheet = book["LKE"]
    note = sheet.cell(row=rows_by_code(sheet)["k1.a"], column=5)
    version = sheet.cell(row=rows_by_code(sheet)["k1.a"], column=9)
    response = upload(client, ws_rl, book)

    assert (note.data_type, note.value) == ("s", '\'=HYPERLINK("http://x","KLIK")')
    assert (version.data_type, version.value) == ("n", 1)
    assert response.status_code == 302
    saved = Answer.objects.get(worksheet=ws_rl, item__code="k1.a")
    assert saved.note == '=HYPERLINK("http://x","KLIK")'


def test_a_million_blank_rows_are_refused_quickly_and_nothing_is_saved(
    client, ws_rl, tim_rejang_lebong
):
    client.force_login(tim_rejang_lebong)
    book = download(client, ws_rl)
    sheets = {
        "LKE": [list(book["LKE"].iter_rows(values_only=True))[0], ["k1.a", "", "", "Opsi 4"]],
        "Info": [list(row) for row in book["Info"].iter_rows(values_only=True)],
    }
    content = million_blank_rows(sheets, on="LKE", declare_dimension=False)

    started = time.perf_counter()
    response = client.post(
        reverse("lke:worksheet_import", args=[ws_rl.pk]),
        {"file": SimpleUploadedFile("lke.xlsx", content)},
    )
    elapsed = time.perf_counter() - started

    assert response.status_code == 400
    assert elapsed < 1.5
    [message] = response.context["import_errors"]
    assert message.startswith("Salah satu sheet pada lke.xlsx lebih besar daripada")
    assert "paling banyak 3000 baris dan 20 kolom" in message
    assert not Answer.objects.exists()


def test_an_oversized_worksheet_file_is_refused(client, settings, ws_rl, tim_rejang_lebong):
    client.force_login(tim_rejang_lebong)
    content = download(client, ws_rl)
    out = BytesIO()
    content.save(out)
    settings.XLSX_IMPORT_MAX_BYTES = len(out.getvalue()) - 1

    response = client.post(
        reverse("lke:worksheet_import", args=[ws_rl.pk]),
        {"file": SimpleUploadedFile("lke.xlsx", out.getvalue())},
    )

    assert response.status_code == 400
    assert "batas untuk impor Excel adalah" in response.context["import_errors"][0]
    assert not Answer.objects.exists()


def test_a_renamed_pdf_is_refused_as_not_a_workbook(client, ws_rl, tim_rejang_lebong):
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("lke:worksheet_import", args=[ws_rl.pk]),
        {"file": SimpleUploadedFile("lke.xlsx", b"PK\x03\x04" + b"%PDF-1.4" * 10)},
    )

    assert response.status_code == 400
    assert response.context["import_errors"] == ["lke.xlsx bukan buku kerja Excel (.xlsx)."]
    assert not Answer.objects.exists()
