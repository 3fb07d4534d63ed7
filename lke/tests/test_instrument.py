"""The instrument as data: the shipped files, validation, the lock of an instrument in use, the
xlsx export/import with row-numbered errors, and editing in the admin."""

import io
import time
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AuditEvent
from lke import services
from lke.instrument_data import (
    INSTRUMENT_DIR,
    InstrumentDataError,
    check_instrument_data,
    instrument_from_xlsx,
    instrument_to_data,
    instrument_to_xlsx,
)
from lke.models import Instrument, Item, ItemKind, Option

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the shipped instruments ----------------------------------------------------------------------


def test_shipped_instruments_load_once_and_reload_changes_nothing(db):
    out = io.StringIO()
    call_command("load_instruments", stdout=out)
    call_command("load_instruments", stdout=out)

    assert list(Instrument.objects.values_list("year", "version")) == [(2026, 1), (2024, 1)]
    assert out.getvalue().count("unchanged") == 2
    assert AuditEvent.objects.filter(action="lke_instrument.create").count() == 2


def test_shipped_2026_is_the_official_workbook_without_example_texts(shipped_instruments):
    instrument = shipped_instruments
    indicators = list(
        Item.objects.filter(instrument=instrument, indicator__aspect__block__code="III")
        .values_list("indicator__code", flat=True)
        .distinct()
    )
    agen = Item.objects.get(instrument=instrument, code="3.a")

    assert sorted(set(indicators), key=int) == [str(n) for n in range(3, 15)]
    assert not Item.objects.filter(instrument=instrument, is_example=True).exists()
    assert not Option.objects.filter(item__instrument=instrument, is_example=True).exists()
    assert agen.text.startswith(
        "Apakah Desa/kelurahan (predefined) sudah melakukan penunjukan Agen/Komunitas Statistik"
    )
    assert [o.score for o in agen.options.all()] == [3, 2, 1]
    assert Item.objects.get(instrument=instrument, code="4.a").max_score == 2
    assert Item.objects.get(instrument=instrument, code="7.a").kind == ItemKind.HEADING
    assert instrument.blocks.get(code="III").tie_break == ["III", "II"]


def test_changed_file_of_an_instrument_in_use_is_not_loaded(
    shipped_instruments, year_2026, ketua_tim, tmp_path
):
    services.open_assessment(year_2026, instrument=shipped_instruments, by=ketua_tim)
    book = load_workbook(INSTRUMENT_DIR / "LKE-Penilaian-Desa-Cantik-2026.xlsx")
    book.active["A20"] = "ASPEK TATA KELOLA BARU"
    changed = tmp_path / "lke-2026.xlsx"
    book.save(changed)
    err = io.StringIO()

    call_command("load_instruments", str(changed), stdout=io.StringIO(), stderr=err)

    assert "locked" in err.getvalue()
    aspect = shipped_instruments.blocks.get(code="III").aspects.get(code="I")
    assert aspect.title == "ASPEK TATA KELOLA DESA CANTIK DI DESA/KELURAHAN"


# --- validation -----------------------------------------------------------------------------------


def _items(data):
    return data["blocks"][1]["aspects"][0]["indicators"][0]["items"]


def test_duplicate_codes_choice_without_options_and_negative_weight_are_all_reported(small_data):
    _items(small_data)[1]["code"] = "k1.a"
    _items(small_data)[0]["options"] = []
    small_data["blocks"][1]["aspects"][1]["weight"] = -1
    small_data["blocks"][1]["tie_break"] = ["M", "X"]

    with pytest.raises(InstrumentDataError) as error:
        check_instrument_data(small_data)

    assert error.value.errors == [
        "blok S › aspek K › indikator K1 › butir k1.a: "
        "butir pilihan memerlukan paling sedikit dua opsi",
        "blok S › aspek K › indikator K1 › butir k1.a: kode butir k1.a sudah dipakai "
        "(blok S › aspek K › indikator K1 › butir k1.a)",
        "blok S › aspek M: bobot harus 0 atau lebih",
        "blok S: urutan penentu peringkat menyebut aspek yang tidak dikenal: X",
    ]


def test_option_above_max_score_unknown_kind_and_options_on_text_are_refused(small_data):
    _items(small_data)[0]["max_score"] = 3
    _items(small_data)[2]["kind"] = "pilihan"
    _items(small_data)[3]["options"] = [{"label": "a", "score": 1}]

    with pytest.raises(InstrumentDataError) as error:
        check_instrument_data(small_data)

    text = "\n".join(error.value.errors)
    assert "butir k1.a: ada opsi berskor 4, melebihi skor maksimum 3" in text
    assert "butir k1.h: jenis 'pilihan' bukan salah satu dari choice, text, heading" in text
    assert "butir k1.t: hanya butir pilihan yang memiliki opsi" in text


def test_invalid_instrument_writes_nothing(db, small_data):
    small_data["blocks"][1]["aspects"][0]["weight"] = "banyak"

    with pytest.raises(InstrumentDataError):
        services.create_instrument(small_data, by=None)

    assert not Instrument.objects.exists()


def test_instrument_in_use_is_locked_and_a_new_version_is_allowed(assessment, small_data):
    with pytest.raises(InstrumentDataError) as error:
        services.create_instrument(small_data, by=None)
    assert "terkunci" in error.value.errors[0]

    small_data["version"] = 8
    newer = services.create_instrument(small_data, by=None)

    assert (newer.year, newer.version) == (2026, 8)
    assert Instrument.objects.count() == 2


# --- xlsx -----------------------------------------------------------------------------------------


def test_instrument_xlsx_round_trip_gives_the_same_instrument(small_instrument):
    data = instrument_to_data(small_instrument)

    again = instrument_from_xlsx(BytesIO(instrument_to_xlsx(data)))

    assert check_instrument_data(again) == check_instrument_data(data)


def _bad_workbook(small_instrument) -> bytes:
    book = load_workbook(BytesIO(instrument_to_xlsx(instrument_to_data(small_instrument))))
    tree = book["Butir"]
    rows = list(tree.iter_rows())
    tree.cell(row=1, column=1)  # header stays
    meta = book["Instrumen"]
    meta["B3"] = 9  # a new version
    # row 6: an item of the first indicator gets the code of the item before it
    item_rows = [r[0].row for r in rows if r[0].value == "butir"]
    tree.cell(row=item_rows[1], column=2, value=tree.cell(row=item_rows[0], column=2).value)
    # an option with a score that is not a number
    option_row = next(r[0].row for r in rows if r[0].value == "opsi")
    tree.cell(row=option_row, column=7, value="empat")
    out = BytesIO()
    book.save(out)
    return out.getvalue(), item_rows[1], option_row


def test_instrument_xlsx_with_bad_rows_names_each_row_and_saves_nothing(
    client, admin_provinsi, small_instrument
):
    content, dup_row, option_row = _bad_workbook(small_instrument)
    client.force_login(admin_provinsi)

    response = client.post(
        reverse("lke:instrument_import"),
        {"file": SimpleUploadedFile("instrumen.xlsx", content, content_type=XLSX_TYPE)},
    )

    errors = response.context["errors"]
    assert response.status_code == 400
    assert errors == [
        f"baris {option_row}: skor 'empat' bukan bilangan bulat",
        f"baris {dup_row}: kode butir n.1 sudah dipakai (baris 5)",
    ]
    assert list(Instrument.objects.values_list("version", flat=True)) == [7]


def test_instrument_import_of_a_new_version_by_the_admin(client, admin_provinsi, small_instrument):
    book = load_workbook(BytesIO(instrument_to_xlsx(instrument_to_data(small_instrument))))
    book["Instrumen"]["B3"] = 9
    out = BytesIO()
    book.save(out)
    client.force_login(admin_provinsi)

    response = client.post(
        reverse("lke:instrument_import"), {"file": SimpleUploadedFile("i.xlsx", out.getvalue())}
    )

    new = Instrument.objects.get(version=9)
    assert response.status_code == 302
    assert new.items.count() == small_instrument.items.count()
    assert (
        Option.objects.filter(item__instrument=new).count()
        == Option.objects.filter(item__instrument=small_instrument).count()
    )


def test_not_an_xlsx_is_refused(client, admin_provinsi, small_instrument):
    client.force_login(admin_provinsi)

    response = client.post(
        reverse("lke:instrument_import"), {"file": SimpleUploadedFile("i.xlsx", b"not a workbook")}
    )

    assert response.status_code == 400
    assert Instrument.objects.count() == 1


def test_instrument_pages_are_for_the_admin_only(
    client, admin_provinsi, tim_provinsi, small_instrument
):
    client.force_login(tim_provinsi)
    assert client.get(reverse("lke:instrument_list")).status_code == 403
    assert client.get(reverse("lke:instrument_xlsx", args=[small_instrument.pk])).status_code == 403

    client.force_login(admin_provinsi)
    listing = client.get(reverse("lke:instrument_list"))
    detail = client.get(reverse("lke:instrument_detail", args=[small_instrument.pk]))
    export = client.get(reverse("lke:instrument_xlsx", args=[small_instrument.pk]))

    assert list(listing.context["instruments"]) == [small_instrument]
    assert "k1.a" in detail.content.decode()
    assert load_workbook(BytesIO(export.content)).sheetnames == ["Instrumen", "Butir"]
    assert client.post(reverse("lke:instrument_list")).status_code == 405


# --- admin ----------------------------------------------------------------------------------------


def test_admin_edits_an_unused_item_and_refuses_a_choice_with_one_option(
    client, admin_provinsi, small_instrument
):
    client.force_login(admin_provinsi)
    item = Item.objects.get(instrument=small_instrument, code="k2.a")
    url = reverse("admin:lke_item_change", args=[item.pk])
    options = list(item.options.all())
    data = {
        "indicator": item.indicator_id,
        "code": "k2.a",
        "text": "Teks baru",
        "kind": "choice",
        "max_score": 4,
        "weight": "1",
        "evidence_hint": "",
        "order": 0,
        "source_note": "",
        "score_offset": 0,
        "options-TOTAL_FORMS": 4,
        "options-INITIAL_FORMS": 4,
        "options-MIN_NUM_FORMS": 0,
        "options-MAX_NUM_FORMS": 1000,
        "check_rules-TOTAL_FORMS": 0,
        "check_rules-INITIAL_FORMS": 0,
        "check_rules-MIN_NUM_FORMS": 0,
        "check_rules-MAX_NUM_FORMS": 1000,
    }
    for n, o in enumerate(options):
        data |= {
            f"options-{n}-id": o.pk,
            f"options-{n}-item": item.pk,
            f"options-{n}-order": n,
            f"options-{n}-score": o.score,
            f"options-{n}-label": o.label,
        }
    refused = client.post(url, {**data, **{f"options-{n}-DELETE": "on" for n in range(1, 4)}})
    assert refused.status_code == 200
    item.refresh_from_db()
    assert item.text == "Pertanyaan k2.a"

    saved = client.post(url, data)

    item.refresh_from_db()
    assert saved.status_code == 302
    assert item.text == "Teks baru"
    assert AuditEvent.objects.filter(action="item.update", object_id=str(item.pk)).exists()


def test_admin_cannot_change_an_instrument_in_use(
    client, admin_provinsi, assessment, small_instrument
):
    client.force_login(admin_provinsi)
    item = Item.objects.get(instrument=small_instrument, code="k2.a")

    response = client.post(
        reverse("admin:lke_item_change", args=[item.pk]), {"text": "Diubah", "code": "k2.a"}
    )

    item.refresh_from_db()
    assert response.status_code == 403
    assert item.text == "Pertanyaan k2.a"
    assert (
        client.get(reverse("admin:lke_item_change", args=[item.pk])).status_code == 200
    )  # view only


def test_an_instrument_file_with_a_million_blank_rows_is_refused_quickly(
    client, admin_provinsi, small_instrument
):
    from core.tests.hostile_xlsx import million_blank_rows

    book = load_workbook(BytesIO(instrument_to_xlsx(instrument_to_data(small_instrument))))
    sheets = {
        name: [list(r) for r in book[name].iter_rows(values_only=True)] for name in book.sheetnames
    }
    content = million_blank_rows(sheets, on="Butir")
    client.force_login(admin_provinsi)
    client.get(reverse("lke:instrument_list"))  # the first page a process renders is slower

    started = time.perf_counter()
    response = client.post(
        reverse("lke:instrument_import"), {"file": SimpleUploadedFile("i.xlsx", content)}
    )
    elapsed = time.perf_counter() - started

    assert response.status_code == 400
    assert elapsed < 1.5
    [message] = response.context["errors"]
    assert message.startswith("Salah satu sheet pada i.xlsx lebih besar daripada")
    assert Instrument.objects.count() == 1


def test_an_oversized_instrument_file_is_refused(
    client, settings, admin_provinsi, small_instrument
):
    content = instrument_to_xlsx(instrument_to_data(small_instrument))
    settings.XLSX_IMPORT_MAX_BYTES = len(content) - 1
    client.force_login(admin_provinsi)

    response = client.post(
        reverse("lke:instrument_import"), {"file": SimpleUploadedFile("i.xlsx", content)}
    )

    assert response.status_code == 400
    assert "batas untuk impor Excel adalah" in response.context["errors"][0]
    assert Instrument.objects.count() == 1
