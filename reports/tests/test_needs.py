"""The province-wide needs table: 1001a/1001b items by topic (how many villages, which ones) and
1002a–e answers per kab/kota, checked on a small fixture counted by hand."""

import io
import json
from datetime import datetime

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import desa_in
from core.deadlines import JAKARTA
from program.models import ParticipatingVillage, VillageKind
from reports import services
from reports.queries import needs_table

from .conftest import complete_identifikasi

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(datetime(2026, 5, 12, 9, tzinfo=JAKARTA), tick=True):
        yield


def need(section, topic, description):
    return {"section": section, "topic": topic, "description": description}


@pytest.fixture
def resumes(village_rejang_lebong, village_kaur, tim_rejang_lebong, tim_kaur, tim_provinsi):
    """A (Rejang Lebong, submitted), B (Kaur, approved), C (Kaur, draft: not counted)."""
    a = complete_identifikasi(
        village_rejang_lebong,
        tim_rejang_lebong,
        needs=[
            need("1001a", "kependudukan", "Jumlah penduduk per dusun"),
            need("1001a", "kemiskinan", "Keluarga penerima bansos"),
            need("1001b", "kependudukan", "Pemutakhiran data penduduk"),
        ],
        coaching_data_management=True,
        coaching_data_collection=True,
        coaching_data_analysis=False,
        coaching_data_presentation=True,
        coaching_website=False,
    )
    services.submit_report(a, by=tim_rejang_lebong)
    b = complete_identifikasi(
        village_kaur,
        tim_kaur,
        needs=[
            need("1001a", "kependudukan", "Data kelahiran"),
            need("1001a", "kependudukan", "Data kematian"),
            need("1001a", "kesehatan", "Balita stunting"),
            need("1001b", "pertanian", "Pendataan luas panen"),
        ],
        coaching_data_management=True,
        coaching_data_collection=False,
        coaching_data_analysis=True,
        coaching_data_presentation=True,
        coaching_website=True,
    )
    services.submit_report(b, by=tim_kaur)
    services.approve_report(b, by=tim_provinsi)
    c_village = ParticipatingVillage.objects.create(
        program_year=village_kaur.program_year,
        village=desa_in(village_kaur.office, 1),
        office=village_kaur.office,
        kind=VillageKind.UTAMA,
    )
    complete_identifikasi(c_village, tim_kaur, needs=[need("1001a", "kesehatan", "Data posyandu")])
    return village_rejang_lebong, village_kaur, c_village


def topic_rows(table) -> dict:
    return {
        row.topic: (row.data_villages, row.activity_villages)
        for row in table.topics
        if row.data_villages or row.activity_villages
    }


def test_needs_are_counted_per_topic_once_per_village(resumes, kepala, year_2026):
    a, b, _c = resumes
    ra, rb = f"{a.village.name} (Rejang Lebong)", f"{b.village.name} (Kaur)"

    table = needs_table(kepala, year_2026)

    assert topic_rows(table) == {
        "kependudukan": ([ra, rb], [ra]),
        "kemiskinan": ([ra], []),
        "kesehatan": ([rb], []),
        "pertanian": ([], [rb]),
    }
    assert table.topics[0].topic == "kependudukan"  # the most needed topic first
    assert table.reports == 2


def test_coaching_answers_are_counted_per_kabkota(resumes, kepala, year_2026):
    table = needs_table(kepala, year_2026)

    rows = {row.office.code: (row.answered, row.yes) for row in table.coaching}
    assert rows["1702"] == (1, [1, 1, 0, 1, 0])
    assert rows["1704"] == (1, [1, 0, 1, 1, 1])
    assert rows["1701"] == (0, [0, 0, 0, 0, 0])
    assert len(rows) == 10
    assert (table.answered_total, table.coaching_total) == (2, [2, 1, 1, 2, 1])
    assert table.coaching_codes == ["1002a", "1002b", "1002c", "1002d", "1002e"]


def test_approved_only_counts_approved_reports(resumes, kepala, year_2026):
    _a, b, _c = resumes

    table = needs_table(kepala, year_2026, approved_only=True)

    rb = f"{b.village.name} (Kaur)"
    assert topic_rows(table) == {
        "kependudukan": ([rb], []),
        "kesehatan": ([rb], []),
        "pertanian": ([], [rb]),
    }
    assert table.answered_total == 1


def test_a_kabkota_user_sees_only_its_own_villages(resumes, tim_kaur, year_2026):
    table = needs_table(tim_kaur, year_2026)

    assert [row.office.code for row in table.coaching] == ["1704"]
    assert set(topic_rows(table)) == {"kependudukan", "kesehatan", "pertanian"}


def test_the_needs_page_shows_the_table_and_the_chart_data(client, resumes, ketua_tim):
    client.force_login(ketua_tim)

    page = client.get(reverse("reports:needs") + "?tahun=2026")

    assert page.status_code == 200
    html = page.content.decode()
    chart = json.loads(
        html.split('id="needs-chart-data" type="application/json">')[1].split("</script>")[0]
    )
    index = chart["labels"].index("Kependudukan")
    assert (chart["data"][index], chart["activity"][index]) == (2, 1)
    assert "js/reports-needs-chart.js" in html
    assert "<script>" not in html  # no inline script: the CSP forbids it


def test_the_needs_page_filters_by_office(client, resumes, ketua_tim, kaur):
    client.force_login(ketua_tim)

    page = client.get(reverse("reports:needs") + f"?tahun=2026&office={kaur.pk}")

    assert [row.office.code for row in page.context["table"].coaching] == ["1704"]


def test_the_needs_page_says_when_nothing_is_submitted(client, year_2026, ketua_tim):
    client.force_login(ketua_tim)

    page = client.get(reverse("reports:needs") + "?tahun=2026")

    assert "Belum ada laporan identifikasi yang dikirim untuk pilihan ini." in page.content.decode()


def test_the_needs_table_exports_to_xlsx(client, resumes, ketua_tim):
    a, b, _c = resumes
    client.force_login(ketua_tim)

    response = client.get(reverse("reports:needs_xlsx") + "?tahun=2026")

    assert response["Content-Disposition"] == 'attachment; filename="kebutuhan-desa-2026.xlsx"'
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Kebutuhan per topik", "Kebutuhan pembinaan"]
    topics = {row[0]: row for row in workbook["Kebutuhan per topik"].iter_rows(values_only=True)}
    assert topics["Kependudukan"][1] == 2
    assert topics["Kependudukan"][2] == f"{a.village.name} (Rejang Lebong); {b.village.name} (Kaur)"
    assert topics["Kependudukan"][4] == 1
    coaching = list(workbook["Kebutuhan pembinaan"].iter_rows(values_only=True))
    assert coaching[0][:3] == (
        "BPS kabupaten/kota",
        "Desa yang melapor",
        "1002a pembinaan pengelolaan data",
    )
    assert coaching[-1] == ("Jumlah", 2, 2, 1, 1, 2, 1)


def test_the_needs_table_costs_the_same_number_of_queries_for_more_reports(
    resumes, kepala, year_2026, tim_kaur
):
    needs_table(kepala, year_2026)  # the user's scope is loaded once per request
    with CaptureQueriesContext(connection) as small:
        needs_table(kepala, year_2026)
    office = resumes[1].office
    for index in range(2, 8):
        village = ParticipatingVillage.objects.create(
            program_year=year_2026,
            village=desa_in(office, index),
            office=office,
            kind=VillageKind.UTAMA,
        )
        services.submit_report(complete_identifikasi(village, tim_kaur), by=tim_kaur)

    with CaptureQueriesContext(connection) as large:
        table = needs_table(kepala, year_2026)

    assert table.reports == 8
    assert len(large) == len(small)
