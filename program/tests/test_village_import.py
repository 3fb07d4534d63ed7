"""Participating villages with their pembina imported from xlsx (issue #12, point 1): a
template listing the province's villages and staff, a preview, every wrong row named by its
number, nothing saved on any error; only the province team imports."""

from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from conftest import desa_in, make_user
from core.models import AuditEvent, Role
from program import services
from program.models import ParticipatingVillage

HEADER = ["Kode desa", "Desa/Kelurahan", "Jenis", "Pembina", "Catatan"]


def workbook(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name="desa.xlsx"):
    return client.post(
        reverse("program:village_import") + "?tahun=2026",
        {"file": SimpleUploadedFile(name, content)},
    )


@pytest.fixture
def kaur_staff(db):
    return make_user("staf_kaur", "1704", Role.TIM_KABKOTA, email="staf.kaur@bps.go.id")


def test_the_template_imports_back_preview_then_confirm(
    client, ketua_tim, year_2026, rejang_lebong, kaur, tim_rejang_lebong, kaur_staff
):
    client.force_login(ketua_tim)
    template = client.get(reverse("program:village_import_template"), {"tahun": 2026})
    book = load_workbook(BytesIO(template.content))
    visible = [s.title for s in book.worksheets if s.sheet_state == "visible"]
    assert visible == ["Desa", "Daftar desa", "Pembina", "Cara mengisi"]
    assert [c.value for c in book["Desa"][1]] == HEADER
    listed = {row[0] for row in book["Daftar desa"].iter_rows(min_row=2, values_only=True)}
    first, second = desa_in(rejang_lebong), desa_in(kaur, 1)
    assert {first.code, second.code} <= listed
    staff = {row[0] for row in book["Pembina"].iter_rows(min_row=2, values_only=True)}
    assert {"tim_rejang_lebong", "staf_kaur"} <= staff
    sheet = book["Desa"]
    sheet.append([first.code, first.name, "Utama", "tim_rejang_lebong", "Desa pertama"])
    sheet.append([second.code, "", "Tambahan", "STAF.KAUR@bps.go.id", ""])
    filled = BytesIO()
    book.save(filled)

    preview = upload(client, filled.getvalue())

    assert preview.context["form"].errors == {}
    assert preview.status_code == 200
    assert [(row.number, village.code) for row, village, *_ in preview.context["preview"]] == [
        (2, first.code),
        (3, second.code),
    ]
    assert not ParticipatingVillage.objects.exists()

    saved = client.post(
        reverse("program:village_import_confirm") + "?tahun=2026",
        {"token": preview.context["token"]},
    )

    assert saved.status_code == 302
    added = {
        v.village.code: (v.office.code, v.kind, [u.username for u in v.pembina.all()], v.notes)
        for v in ParticipatingVillage.objects.all()
    }
    assert added == {
        first.code: ("1702", "utama", ["tim_rejang_lebong"], "Desa pertama"),
        second.code: ("1704", "tambahan", ["staf_kaur"], ""),
    }
    assert AuditEvent.objects.filter(action="village.add").count() == 2
    event = AuditEvent.objects.get(action="village.import")
    assert event.changes == {"file": [None, "desa.xlsx"], "added": [None, 2]}
    assert event.action_label == "Desa diimpor dari xlsx"


def test_broken_rows_are_listed_by_number_and_nothing_is_saved(
    client,
    ketua_tim,
    year_2026,
    rejang_lebong,
    kaur,
    tim_rejang_lebong,
    kaur_staff,
    village_rejang_lebong,
):
    client.force_login(ketua_tim)
    before = AuditEvent.objects.count()
    taken = village_rejang_lebong.village
    good, other = desa_in(rejang_lebong, 2), desa_in(kaur, 1)
    content = workbook(
        [
            [good.code, good.name, "utama", "tim_rejang_lebong", ""],
            ["17.99.99.2999", "", "utama", "", ""],
            [other.code, "Desa Lain", "Istimewa", "staf_kaur", ""],
            [None, None, None, None, None],
            [taken.code, "", "berkelanjutan", "staf_kaur", ""],
            [good.code, "", "tambahan", "", ""],
        ]
    )

    response = upload(client, content)

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        'Baris 3: "17.99.99.2999" bukan kode desa/kelurahan pada master Kemendagri.',
        f"Baris 4: kode {other.code} adalah {other.name}, bukan Desa Lain; jenis "
        '"Istimewa" tidak dikenal (gunakan salah satu dari: Utama, Tambahan, Berkelanjutan).',
        f'Baris 6: {taken.name} sudah menjadi desa binaan tahun 2026; "staf_kaur" bukan '
        "pegawai aktif Rejang Lebong.",
        "Baris 7: desa sama dengan baris 2.",
    ]
    assert ParticipatingVillage.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_a_missing_column_is_named(client, ketua_tim, year_2026):
    client.force_login(ketua_tim)

    response = upload(client, workbook([["17.02.01.2001"]], header=["Kode desa"]))

    assert response.context["form"].errors["file"] == [
        "Baris 1: kolom Jenis tidak ada. Gunakan templat."
    ]


def test_a_file_that_is_not_xlsx_is_refused(client, tim_provinsi, year_2026):
    client.force_login(tim_provinsi)

    response = upload(client, b"%PDF-1.7\n%%EOF\n", name="desa.xlsx")

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["desa.xlsx bukan buku kerja Excel (.xlsx)."]


def test_an_oversized_file_is_refused(client, ketua_tim, year_2026, settings):
    settings.XLSX_IMPORT_MAX_BYTES = 4096
    rows = [[f"17.02.01.{2000 + n}", f"Desa {n}", "utama", "", "x" * 40] for n in range(400)]
    client.force_login(ketua_tim)

    response = upload(client, workbook(rows))

    assert response.status_code == 400
    [message] = response.context["form"].errors["file"]
    assert message.startswith("Berkas desa.xlsx berukuran")
    assert not ParticipatingVillage.objects.exists()


@pytest.mark.parametrize("persona", ["tim_rejang_lebong", "pimpinan_rejang_lebong", "kepala"])
def test_only_the_province_team_imports_villages(persona, request, client, year_2026):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    assert client.get(reverse("program:village_import"), {"tahun": 2026}).status_code == 403
    assert upload(client, workbook([])).status_code == 403
    with pytest.raises(PermissionDenied):
        services.read_villages(SimpleUploadedFile("d.xlsx", workbook([])), year_2026, by=user)
    with pytest.raises(PermissionDenied):
        services.import_villages(year_2026, [], by=user, file_name="d.xlsx")
