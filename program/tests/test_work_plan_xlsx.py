"""Work plans drafted in Excel: export (a village, an office) and import with every bad row
reported by its number and nothing saved."""

import io
import time
from datetime import date, datetime

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import desa_in
from core.deadlines import JAKARTA
from core.models import AuditEvent
from program.models import ParticipatingVillage, VillageKind, WorkPlanActivity
from program.services import update_activity
from program.tests.test_work_plan import PDF, make_activity

FROZEN = datetime(2026, 5, 18, 12, tzinfo=JAKARTA)
HEADER = [
    "No",
    "Tahap",
    "Rincian kegiatan",
    "Pelaksana",
    "Target output",
    "Rencana mulai",
    "Rencana selesai",
    "Tanggal realisasi",
    "Output realisasi",
]
STAGES = [
    "Koordinasi & sosialisasi",
    "Identifikasi",
    "Perencanaan",
    "Pembinaan & pendampingan",
    "Monitoring & evaluasi",
]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def workbook_bytes(rows: list[list], header: list[str] = HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx(rows: list[list], name: str = "rencana.xlsx", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, workbook_bytes(rows, **kwargs))


def opened(response) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(response.content))


def cells(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def good_row(**overrides) -> list:
    values = {
        "no": 1,
        "stage": "Identifikasi",
        "name": "Kunjungan identifikasi",
        "pelaksana": "Pembina",
        "target": "Kuesioner terisi",
        "start": date(2026, 6, 1),
        "end": date(2026, 6, 12),
        "realised": None,
        "output": None,
        **overrides,
    }
    return list(values.values())


@pytest.fixture
def plan(village_rejang_lebong, tim_rejang_lebong):
    by = tim_rejang_lebong
    monev = make_activity(
        village_rejang_lebong,
        by,
        stage="monev",
        name="Evaluasi bersama",
        planned_start=date(2026, 10, 1),
        planned_end=date(2026, 10, 9),
    )
    first = make_activity(village_rejang_lebong, by)
    update_activity(
        first, version=1, realised_on=date(2026, 5, 7), realisation_output="Piagam", by=by
    )
    return first, monev


# --- export -------------------------------------------------------------------------------------


def test_village_export_has_the_header_the_rows_in_stage_order_and_a_stage_dropdown(
    client, kepala, village_rejang_lebong, plan
):
    client.force_login(kepala)

    response = client.get(reverse("program:work_plan_export", args=[village_rejang_lebong.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith('attachment; filename="rencana-kerja-')
    workbook = opened(response)
    sheet = workbook.worksheets[0]
    assert cells(sheet) == [
        HEADER,
        [
            1,
            "Koordinasi & sosialisasi",
            "Sosialisasi dan pencanangan Desa Cantik",
            "Pembina dan perangkat desa",
            "Berita acara pencanangan",
            datetime(2026, 5, 4),
            datetime(2026, 5, 8),
            datetime(2026, 5, 7),
            "Piagam",
        ],
        [
            2,
            "Monitoring & evaluasi",
            "Evaluasi bersama",
            "Pembina dan perangkat desa",
            "Berita acara pencanangan",
            datetime(2026, 10, 1),
            datetime(2026, 10, 9),
            None,
            None,
        ],
    ]
    assert sheet["F2"].number_format == "DD-MM-YYYY"
    [validation] = sheet.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == "=Pilihan!$A$1:$A$5"
    assert str(validation.sqref) == "B2:B1000"
    choices = workbook["Pilihan"]
    assert choices.sheet_state == "hidden"
    assert [row[0] for row in choices.iter_rows(values_only=True)] == STAGES


def test_exported_file_imports_back_without_changes(
    client, tim_rejang_lebong, village_rejang_lebong, plan
):
    client.force_login(tim_rejang_lebong)
    exported = client.get(reverse("program:work_plan_export", args=[village_rejang_lebong.pk]))

    response = client.post(
        reverse("program:work_plan_import", args=[village_rejang_lebong.pk]),
        {"file": SimpleUploadedFile("rencana.xlsx", exported.content)},
        follow=True,
    )

    assert "2 tidak berubah" in response.content.decode()
    assert WorkPlanActivity.objects.count() == 2
    assert list(WorkPlanActivity.objects.values_list("version", flat=True).order_by("id")) == [
        1,
        2,
    ]


@time_machine.travel(FROZEN, tick=False)
def test_office_export_lists_every_village_with_its_status(
    client, pimpinan_rejang_lebong, tim_rejang_lebong, village_rejang_lebong, year_2026, plan
):
    second = ParticipatingVillage.objects.create(
        program_year=year_2026,
        village=desa_in(village_rejang_lebong.office, 1),
        office=village_rejang_lebong.office,
        kind=VillageKind.TAMBAHAN,
    )
    make_activity(second, tim_rejang_lebong, name="Rapat desa", planned_end=date(2026, 5, 20))
    client.force_login(pimpinan_rejang_lebong)

    response = client.get(
        reverse("program:office_work_plan_export", args=[village_rejang_lebong.office_id]),
        {"tahun": 2026},
    )

    assert response.status_code == 200
    rows = cells(opened(response).active)
    assert rows[0] == ["Kode wilayah", "Kecamatan", "Desa/Kelurahan", *HEADER, "Status"]
    first, second_village = village_rejang_lebong.village, second.village
    assert [(r[0], r[2], r[3], r[5], r[-1]) for r in rows[1:]] == [
        (first.code, first.name, 1, "Sosialisasi dan pencanangan Desa Cantik", "Tepat waktu"),
        (first.code, first.name, 2, "Evaluasi bersama", "Belum jatuh tempo"),
        (second_village.code, second_village.name, 1, "Rapat desa", "Segera"),
    ]


def test_exports_answer_by_scope_and_method(
    client, tim_kaur, ketua_tim, village_rejang_lebong, plan
):
    village_url = reverse("program:work_plan_export", args=[village_rejang_lebong.pk])
    office_url = reverse("program:office_work_plan_export", args=[village_rejang_lebong.office_id])
    client.force_login(tim_kaur)
    assert client.get(village_url).status_code == 404
    assert client.get(office_url, {"tahun": 2026}).status_code == 404
    client.force_login(ketua_tim)
    assert client.get(village_url).status_code == 200
    assert client.get(office_url, {"tahun": 2026}).status_code == 200
    assert client.post(village_url).status_code == 405
    assert client.post(office_url).status_code == 405


# --- import ---------------------------------------------------------------------------------------


@time_machine.travel(FROZEN, tick=False)
def test_good_file_adds_rows_and_updates_matching_ones_audited(
    client, tim_rejang_lebong, village_rejang_lebong, plan
):
    first, monev = plan
    client.force_login(tim_rejang_lebong)
    rows = [
        good_row(),
        good_row(
            no=2,
            stage="monitoring & EVALUASI",
            name="evaluasi bersama",
            pelaksana="Tim kabupaten",
            start="2026-10-05",
            end="16/10/2026",
        ),
        good_row(
            no=3,
            stage="koordinasi",
            name="Rapat persiapan",
            start="2026-04-01",
            end="2026-04-02",
            realised=date(2026, 4, 2),
            output="Notulen",
        ),
        [None] * 9,
    ]

    response = client.post(
        reverse("program:work_plan_import", args=[village_rejang_lebong.pk]),
        {"file": xlsx(rows)},
    )

    assert response.status_code == 302
    assert list(
        WorkPlanActivity.objects.order_by("id").values_list(
            "stage", "name", "pelaksana", "planned_start", "planned_end", "realised_on"
        )
    ) == [
        (
            "monev",
            "evaluasi bersama",
            "Tim kabupaten",
            date(2026, 10, 5),
            date(2026, 10, 16),
            None,
        ),
        (
            "koordinasi",
            "Sosialisasi dan pencanangan Desa Cantik",
            "Pembina dan perangkat desa",
            date(2026, 5, 4),
            date(2026, 5, 8),
            date(2026, 5, 7),
        ),
        (
            "identifikasi",
            "Kunjungan identifikasi",
            "Pembina",
            date(2026, 6, 1),
            date(2026, 6, 12),
            None,
        ),
        (
            "koordinasi",
            "Rapat persiapan",
            "Pembina",
            date(2026, 4, 1),
            date(2026, 4, 2),
            date(2026, 4, 2),
        ),
    ]
    added = (
        AuditEvent.objects.filter(action="work_plan.add")
        .exclude(object_id__in=[str(first.pk), str(monev.pk)])
        .order_by("id")
    )
    assert [e.changes["name"][1] for e in added] == ["Kunjungan identifikasi", "Rapat persiapan"]
    assert added[1].changes["realised_on"] == [None, "2026-04-02"]
    update = AuditEvent.objects.get(action="work_plan.update", object_id=str(monev.pk))
    assert update.changes["pelaksana"] == ["Pembina dan perangkat desa", "Tim kabupaten"]
    summary = AuditEvent.objects.get(action="work_plan.import")
    assert (summary.object_id, summary.changes) == (
        str(village_rejang_lebong.pk),
        {"file": [None, "rencana.xlsx"], "added": [None, 2], "updated": [None, 1]},
    )


@time_machine.travel(FROZEN, tick=False)
def test_bad_rows_are_reported_by_number_and_nothing_is_saved(
    client, tim_rejang_lebong, village_rejang_lebong, plan
):
    client.force_login(tim_rejang_lebong)
    before = AuditEvent.objects.count()
    rows = [
        good_row(),  # row 2: fine
        good_row(stage="Persiapan"),  # row 3
        good_row(name="  "),  # row 4
        good_row(name="Pendataan", start="besok", end=None),  # row 5
        good_row(name="Pelatihan", start=date(2026, 6, 12), end=date(2026, 6, 1)),  # row 6
        good_row(name="Pengolahan", realised=date(2026, 5, 19)),  # row 7
        good_row(name="Rapat", output="Notulen"),  # row 8
        good_row(stage="identifikasi", name="KUNJUNGAN IDENTIFIKASI"),  # row 9, same as row 2
    ]

    response = client.post(
        reverse("program:work_plan_import", args=[village_rejang_lebong.pk]),
        {"file": xlsx(rows)},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        'Baris 3: tahap "Persiapan" tidak dikenal (gunakan salah satu: ' + ", ".join(STAGES) + ").",
        "Baris 4: rincian kegiatan kosong.",
        'Baris 5: Rencana mulai "besok" bukan tanggal (tulis seperti 2026-05-04 atau '
        "04-05-2026); Rencana selesai kosong.",
        "Baris 6: rencana selesai sebelum rencana mulai.",
        "Baris 7: tanggal realisasi di masa depan.",
        "Baris 8: output realisasi memerlukan tanggal realisasi.",
        "Baris 9: tahap dan rincian kegiatan sama dengan baris 2.",
    ]
    assert "Tidak ada yang disimpan." in response.content.decode()
    assert WorkPlanActivity.objects.count() == 2
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("rencana.xlsx", PDF, "rencana.xlsx bukan buku kerja Excel (.xlsx)."),
        ("rencana.pdf", PDF, "rencana.pdf bukan buku kerja Excel (.xlsx)."),
        ("rencana.xlsx", b"Tahap;Rincian\nIdentifikasi;Kunjungan\n", "rencana.xlsx bukan buku"),
        ("rencana.xlsx", b"PK\x03\x04 not really a zip", "rencana.xlsx bukan buku kerja"),
    ],
    ids=["pdf-renamed", "pdf", "csv-renamed", "broken-zip"],
)
def test_a_file_that_is_not_a_real_workbook_is_refused(
    client, tim_rejang_lebong, village_rejang_lebong, name, content, message
):
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:work_plan_import", args=[village_rejang_lebong.pk]),
        {"file": SimpleUploadedFile(name, content)},
    )

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["file"])
    assert WorkPlanActivity.objects.count() == 0


def test_a_workbook_without_the_columns_is_refused(
    client, tim_rejang_lebong, village_rejang_lebong
):
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:work_plan_import", args=[village_rejang_lebong.pk]),
        {"file": xlsx([["x", "y"]], header=["Kegiatan", "Tanggal"])},
    )

    assert response.context["form"].errors["file"] == [
        "Baris 1: kolom Tahap, Rincian kegiatan, Rencana mulai, Rencana selesai tidak ditemukan. "
        "Gunakan berkas unduhan sebagai templat."
    ]
    assert WorkPlanActivity.objects.count() == 0


def test_an_empty_workbook_is_refused(client, tim_rejang_lebong, village_rejang_lebong):
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:work_plan_import", args=[village_rejang_lebong.pk]),
        {"file": xlsx([])},
    )

    assert response.context["form"].errors["file"] == [
        "Berkas tidak berisi baris kegiatan di bawah judul kolom."
    ]


def test_english_headers_and_columns_in_another_order_are_read(
    client, tim_rejang_lebong, village_rejang_lebong
):
    client.force_login(tim_rejang_lebong)
    header = ["Activity details", "Planned end", "Planned start", "Stage"]

    client.post(
        reverse("program:work_plan_import", args=[village_rejang_lebong.pk]),
        {"file": xlsx([["Pelatihan agen", "2026-07-10", "2026-07-08", "Planning"]], header=header)},
    )

    assert list(
        WorkPlanActivity.objects.values_list("stage", "name", "planned_start", "planned_end")
    ) == [("perencanaan", "Pelatihan agen", date(2026, 7, 8), date(2026, 7, 10))]


@pytest.mark.parametrize(
    "persona",
    ["kepala", "ketua_tim", "tim_provinsi", "pimpinan_rejang_lebong", "viewer_rejang_lebong"],
)
def test_read_only_roles_cannot_import(request, client, village_rejang_lebong, persona):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("program:work_plan_import", args=[village_rejang_lebong.pk])

    get = client.get(url)
    post = client.post(url, {"file": xlsx([good_row()])})

    assert (get.status_code, post.status_code) == (403, 403)
    assert WorkPlanActivity.objects.count() == 0


def test_import_answers_404_to_another_office_and_405_to_a_wrong_method(
    client, tim_kaur, tim_rejang_lebong, village_rejang_lebong
):
    url = reverse("program:work_plan_import", args=[village_rejang_lebong.pk])
    client.force_login(tim_kaur)
    assert client.post(url, {"file": xlsx([good_row()])}).status_code == 404
    client.force_login(tim_rejang_lebong)
    assert client.get(url).status_code == 200
    assert client.put(url).status_code == 405
    assert WorkPlanActivity.objects.count() == 0


# --- hostile content (issue 9, defects 2 and 3) -------------------------------------------------


def test_a_formula_typed_into_an_activity_is_exported_as_text(
    client, kepala, village_rejang_lebong, tim_rejang_lebong
):
    make_activity(
        village_rejang_lebong,
        tim_rejang_lebong,
        name='=HYPERLINK("http://x","KLIK")',
        pelaksana="=cmd|' /C calc'!A0",
        target_output="@SUM(1+1)",
    )
    client.force_login(kepala)

    response = client.get(reverse("program:work_plan_export", args=[village_rejang_lebong.pk]))

    sheet = opened(response).worksheets[0]
    name, pelaksana, target = sheet["C2"], sheet["D2"], sheet["E2"]
    assert [c.data_type for c in (name, pelaksana, target)] == ["s", "s", "s"]
    assert name.value == '\'=HYPERLINK("http://x","KLIK")'
    assert pelaksana.value == "'=cmd|' /C calc'!A0"
    assert target.value == "'@SUM(1+1)"
    assert (sheet["A2"].data_type, sheet["A2"].value) == ("n", 1)
    assert sheet["F2"].value == datetime(2026, 5, 4)
    assert sheet["F2"].is_date


def test_a_formula_like_activity_imports_back_as_typed(
    client, tim_rejang_lebong, village_rejang_lebong
):
    make_activity(village_rejang_lebong, tim_rejang_lebong, name="=1+1 rapat")
    client.force_login(tim_rejang_lebong)
    exported = client.get(reverse("program:work_plan_export", args=[village_rejang_lebong.pk]))

    client.post(
        reverse("program:work_plan_import", args=[village_rejang_lebong.pk]),
        {"file": SimpleUploadedFile("rencana.xlsx", exported.content)},
    )

    assert list(WorkPlanActivity.objects.values_list("name", flat=True)) == ["=1+1 rapat"]


@pytest.mark.parametrize("declare_dimension", [True, False], ids=["declared", "undeclared"])
def test_a_million_blank_rows_are_refused_quickly_and_nothing_is_saved(
    client, tim_rejang_lebong, village_rejang_lebong, declare_dimension
):
    from core.tests.hostile_xlsx import million_blank_rows

    content = million_blank_rows(
        {"Rencana": [HEADER, good_row()]}, on="Rencana", declare_dimension=declare_dimension
    )
    client.force_login(tim_rejang_lebong)
    before = AuditEvent.objects.count()

    started = time.perf_counter()
    response = client.post(
        reverse("program:work_plan_import", args=[village_rejang_lebong.pk]),
        {"file": SimpleUploadedFile("rencana.xlsx", content)},
    )
    elapsed = time.perf_counter() - started

    assert response.status_code == 400
    assert elapsed < 1.5
    [message] = response.context["form"].errors["file"]
    assert message.startswith("Salah satu sheet pada rencana.xlsx lebih besar daripada")
    assert "paling banyak 1000 baris dan 30 kolom" in message
    assert WorkPlanActivity.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_an_oversized_workbook_is_refused(
    client, settings, tim_rejang_lebong, village_rejang_lebong
):
    settings.XLSX_IMPORT_MAX_BYTES = 4096
    content = workbook_bytes([good_row(name=f"Kegiatan {n}") for n in range(300)])
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:work_plan_import", args=[village_rejang_lebong.pk]),
        {"file": SimpleUploadedFile("rencana.xlsx", content)},
    )

    assert response.status_code == 400
    [message] = response.context["form"].errors["file"]
    assert message.startswith("Berkas rencana.xlsx berukuran")
    assert "batas untuk impor Excel adalah 4,0\xa0KB" in message
    assert WorkPlanActivity.objects.count() == 0
