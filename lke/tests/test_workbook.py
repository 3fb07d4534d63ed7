"""The importer of the official LKE workbook (lke/workbook.py): the shipped 2026 file read cell
by cell, broken copies refused with the row named and nothing saved, and the upload with its
preview per role."""

import copy
import functools
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AuditEvent
from lke import services
from lke.instrument_data import INSTRUMENT_DIR, InstrumentDataError, check_instrument_data
from lke.models import Block, Indicator, Instrument, Item, ItemKind, NilaiRule, Option, Target
from lke.workbook import read_official_workbook, summary

OFFICIAL = INSTRUMENT_DIR / "LKE-Penilaian-Desa-Cantik-2026.xlsx"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@functools.cache
def _sheet():
    return load_workbook(OFFICIAL).active  # read only by the tests


@functools.cache
def _read_cached(path):
    with open(path, "rb") as handle:
        return read_official_workbook(handle, name=path.name)


def _read(path=OFFICIAL):
    return copy.deepcopy(_read_cached(path))


def _broken(tmp_path, **cells):
    book = load_workbook(OFFICIAL)
    for coordinate, value in cells.items():
        book.active[coordinate] = value
    path = tmp_path / "LKE-rusak.xlsx"
    book.save(path)
    return path


def _items(data):
    return {
        it["code"]: it
        for b in data["blocks"]
        for a in b["aspects"]
        for i in a["indicators"]
        for it in i["items"]
    }


# --- the official file ---------------------------------------------------------------------------


def test_official_workbook_counts():
    data = _read()
    totals = summary(data)["totals"]
    per_block = [
        (r["block"]["code"], r["aspects"], r["indicators"], r["items"], r["options"])
        for r in summary(data)["blocks"]
    ]

    assert data["year"] == 2026
    assert totals == {"blocks": 5, "aspects": 8, "indicators": 22, "items": 58, "options": 119}
    assert per_block == [
        ("I", 0, 0, 0, 0),
        ("II", 1, 2, 3, 2),
        ("III", 3, 12, 30, 73),
        ("IV", 3, 7, 21, 44),
        ("V", 1, 1, 4, 0),
    ]
    kinds = [it["kind"] for it in _items(data).values()]
    assert (kinds.count("choice"), kinds.count("text"), kinds.count("heading")) == (45, 8, 5)
    targets = {b["code"]: (b["target"], b["scored"]) for b in data["blocks"]}
    assert targets == {
        "I": (Target.VILLAGE, False),
        "II": (Target.VILLAGE, False),
        "III": (Target.VILLAGE, True),
        "IV": (Target.OFFICE, True),
        "V": (Target.OFFICE, False),
    }


# (item code, row): the item's text is column C, its rincian N (Blok III) or M (Blok IV).
SAMPLE = [
    ("2.a", 14, None),
    ("3.a", 22, "N"),
    ("5.a", 32, "N"),
    ("7.a.1", 44, "N"),
    ("9.a.1", 63, "N"),
    ("11.a", 82, "N"),
    ("14.a.2", 108, "N"),
    ("15.a", 117, "M"),
    ("17.b", 136, "M"),
    ("18.a", 140, "M"),
    ("20.a2", 159, "M"),
    ("21.c", 170, None),
    ("22.a", 175, None),
]


@pytest.mark.parametrize(("code", "row", "rincian_column"), SAMPLE)
def test_texts_options_and_rincian_are_the_cells(code, row, rincian_column):
    sheet, item = _sheet(), _items(_read())[code]

    assert item["text"] == str(sheet[f"C{row}"].value).strip()
    assert item["source_row"] == row
    if rincian_column:
        assert item["rincian"] == sheet[f"{rincian_column}{row}"].value
    options = []
    for r in range(row, row + 10):
        if r > row and (sheet[f"C{r}"].value or sheet[f"B{r}"].value or sheet[f"A{r}"].value):
            break
        if sheet[f"D{r}"].value is not None and isinstance(sheet[f"E{r}"].value, int):
            options.append((str(sheet[f"D{r}"].value).strip(), sheet[f"E{r}"].value))
    assert [(o["label"], o["score"]) for o in item["options"]] == options


def test_codes_weights_formulas_evidence_and_green_indicators():
    data = _read()
    items = _items(data)
    sheet = _sheet()

    # every code is the indicator number, its letter and the sub-question number as printed
    assert all(re.fullmatch(r"\d+(\.[a-z]\d?(\.\d)?)?", code) for code in items), items.keys()
    assert "20.a0" not in items
    assert [c for c in items if c.startswith("20")] == ["20", "20.a", "20.a1", "20.a2", "20.b"]
    assert [c for c in items if c.startswith("16.b")] == [
        f"16.b{s}" for s in ["", *[".1", ".2", ".3", ".4", ".5"]]
    ]
    assert items["16.b.1"]["text"] == "Waktu"  # "1. Waktu": the number is the code
    assert items["21.c"]["text"].startswith("Apakah Desa/kelurahan (predefined) telah memberikan")
    blocks = {b["code"]: b for b in data["blocks"]}
    assert (blocks["III"]["weight_base"], blocks["IV"]["weight_base"]) == (0.75, 7.75)
    assert items["3.a"]["weight"] == 1 and items["3.a"]["score_divisor"] == 3
    assert items["7.a.1"]["score_divisor"] == 1
    assert items["14.a.2"]["score_divisor"] == 1  # the slip "=F108", scores 0–3
    assert (items["20.a2"]["score_offset"], items["20.a2"]["score_divisor"]) == (1, 3)
    assert items["15.a"]["nilai_rule"] == NilaiRule.BINARY
    assert items["18.a"]["nilai_rule"] == NilaiRule.SCORE
    assert [items[f"21.{x}"]["weight"] for x in "abc"] == [0, 0, 0]
    assert items["5.a"]["evidence"] == str(sheet["L32"].value).strip()
    assert items["5.a"]["explanation"] == str(sheet["M32"].value).strip()
    assert items["5.a"]["guidance"] == str(sheet["K32"].value).strip()
    assert items["5.a"]["validation_rule"] == str(sheet["O32"].value).strip()
    assert items["20.a1"]["kind"] == ItemKind.TEXT
    assert items["20.a1"]["validation_rule"] == "Integer 1-99"
    assert items["1.a"]["kind"] == items["2.b"]["kind"] == items["6.b"]["kind"] == ItemKind.TEXT
    green = [
        i["code"]
        for b in data["blocks"]
        for a in b["aspects"]
        for i in a["indicators"]
        if i["always_filled"]
    ]
    assert green == ["3", "9", "18", "21", "22"]
    kinds = [(n["kind"], n.get("code")) for n in data["import_notes"]]
    assert ("divisor", "14.a.2") in kinds
    assert ("repeated_letter", "20.a") in kinds
    assert ("rule_names_other", "9.a.3") in kinds


def test_shipped_2026_instrument_is_the_official_workbook(shipped_instruments):
    instrument = shipped_instruments

    assert instrument.blocks.count() == 5
    assert Indicator.objects.filter(aspect__block__instrument=instrument).count() == 22
    assert Item.objects.filter(instrument=instrument).count() == 58
    assert Option.objects.filter(item__instrument=instrument).count() == 119
    assert not Item.objects.filter(instrument=instrument, is_example=True).exists()
    assert "contoh" not in " ".join(
        Item.objects.filter(instrument=instrument).values_list("text", flat=True)
    )
    slip = Item.objects.get(instrument=instrument, code="14.a.2")
    assert (slip.max_score, slip.score_divisor, slip.rincian) == (3, 1, "34a2")
    assert Block.objects.get(instrument=instrument, code="IV").weight_base == 7.75
    assert set(
        Indicator.objects.filter(
            aspect__block__instrument=instrument, always_filled=True
        ).values_list("code", flat=True)
    ) == {"3", "9", "18", "21", "22"}
    assert Instrument.objects.get(year=2024).blocks.filter(code="III").exists()


# --- broken copies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"E23": "dua"}, "baris 23"),
        ({"I22": "=F22/"}, "baris 22"),
        ({"H117": "=H117/abc", "I117": "=H117/abc"}, "baris 117"),
        ({"B28": "a"}, "baris 28"),  # 4.a twice
        ({"D23": None}, "baris 23"),  # a score without its answer
        ({"A1": "INSTRUMENT PENILAIAN"}, "baris 1"),  # no year in the title
    ],
)
def test_broken_copies_name_the_row_and_save_nothing(db, tmp_path, cells, expected):
    path = _broken(tmp_path, **cells)
    before = Instrument.objects.count()

    with pytest.raises(InstrumentDataError) as error, open(path, "rb") as handle:
        services.create_instrument(read_official_workbook(handle), by=None)

    assert any(expected in e for e in error.value.errors), error.value.errors
    assert Instrument.objects.count() == before


def test_a_workbook_of_another_layout_is_refused(db, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "Daftar hadir 2026"
    path = tmp_path / "lain.xlsx"
    book.save(path)

    with pytest.raises(InstrumentDataError) as error:
        _read(path)

    assert "BLOK" in error.value.errors[0]


def test_the_read_data_passes_the_instrument_checks():
    clean = check_instrument_data(_read())
    assert clean["blocks"][2]["formula"] == "workbook"


# --- upload with preview -----------------------------------------------------------------------


def _upload(path=OFFICIAL, **extra):
    return {
        "file": SimpleUploadedFile(path.name, path.read_bytes(), content_type=XLSX_TYPE),
        **extra,
    }


def test_upload_shows_a_preview_and_saves_nothing_until_confirmed(client, ketua_tim, db):
    client.force_login(ketua_tim)
    url = reverse("lke:instrument_workbook")

    preview = client.post(url, _upload())

    assert preview.status_code == 200
    body = preview.content.decode()
    assert "5 blok, 8 aspek, 22 indikator, 58 pertanyaan, 119 opsi jawaban." in body
    assert "14.a.2" in body and "=F108" in body
    assert not Instrument.objects.exists()
    token = preview.context["preview"]["token"]

    done = client.post(url, {"token": token})

    instrument = Instrument.objects.get(year=2026, version=1)
    assert done.status_code == 302 and done.url == reverse(
        "lke:instrument_detail", args=[instrument.pk]
    )
    assert Item.objects.filter(instrument=instrument).count() == 58
    event = AuditEvent.objects.get(action="lke_instrument.create")
    assert event.actor == ketua_tim


def test_upload_gives_the_next_free_version(client, admin_provinsi, shipped_instruments):
    client.force_login(admin_provinsi)

    preview = client.post(reverse("lke:instrument_workbook"), _upload())

    assert preview.context["preview"]["data"]["version"] == 2


def test_broken_upload_names_the_row_and_saves_nothing(client, ketua_tim, db, tmp_path):
    client.force_login(ketua_tim)

    response = client.post(reverse("lke:instrument_workbook"), _upload(_broken(tmp_path, E23="x")))

    assert response.status_code == 400
    assert "baris 23" in response.content.decode()
    assert not Instrument.objects.exists()


def test_a_preview_is_confirmed_only_by_its_uploader_and_unchanged(
    client, ketua_tim, admin_provinsi, db
):
    client.force_login(ketua_tim)
    url = reverse("lke:instrument_workbook")
    token = client.post(url, _upload()).context["preview"]["token"]

    client.force_login(admin_provinsi)
    assert client.post(url, {"token": token}).status_code == 403
    client.force_login(ketua_tim)
    tampered = client.post(url, {"token": token[:-3] + "abc"})
    assert tampered.status_code == 400
    assert "kedaluwarsa" in tampered.content.decode()
    assert not Instrument.objects.exists()


@pytest.mark.parametrize("role", ["tim_provinsi", "kepala", "tim_rejang_lebong"])
def test_other_roles_may_not_import(client, role, request, db):
    client.force_login(request.getfixturevalue(role))

    assert client.get(reverse("lke:instrument_workbook")).status_code == 403
    assert client.post(reverse("lke:instrument_workbook"), _upload()).status_code == 403
    assert not Instrument.objects.exists()


def test_load_instruments_output(db):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("load_instruments", stdout=out)
    assert "LKE-Penilaian-Desa-Cantik-2026.xlsx: 2026 v1 loaded." in out.getvalue()
