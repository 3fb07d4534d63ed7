"""The national view (issue #15): BPS RI's roles read every province and change nothing of
one; the national dashboard has a row per province whose figures are that province's own
dashboard totals, each counted by the province's own calendar; its xlsx; the drill-down into
a province's dashboard as the province sees it; query count flat in the number of provinces."""

import io
from datetime import date, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from conftest import make_user
from core.deadlines import JAKARTA, Unit
from core.models import Membership, Office, Region, Role
from core.permissions import has_role, is_national_user, offices_visible_to
from core.services import national_office
from monitoring.queries import national_dashboard, province_dashboard
from program.models import (
    ParticipatingVillage,
    ProgramYear,
    SopActivity,
    Stage,
    VillageKind,
    WorkPlanActivity,
)
from program.queries import can_edit_calendar, can_edit_work_plan, can_manage_villages
from program.services import create_program_year

NOW = datetime(2026, 5, 18, 12, tzinfo=JAKARTA)
frozen = time_machine.travel(NOW, tick=False)


def _province(number: int) -> Office:
    """A synthetic province (code 50+number) with two kab/kota, each with two desa."""
    code = str(50 + number)
    region = Region.objects.create(
        code=code, name=f"PROVINSI UJI {number}", level=Region.Level.PROVINSI
    )
    province = Office.objects.create(
        code=f"{code}00",
        name=f"BPS Provinsi Uji {number}",
        short_name=f"Provinsi Uji {number}",
        kind=Office.Kind.PROVINSI,
        region=region,
    )
    for k in (1, 2):
        kab = Region.objects.create(
            code=f"{code}.0{k}",
            name=f"KAB. UJI {number}{k}",
            level=Region.Level.KABKOTA,
            parent=region,
        )
        kec = Region.objects.create(
            code=f"{code}.0{k}.01", name="Kecamatan", level=Region.Level.KECAMATAN, parent=kab
        )
        for d in (1, 2):
            Region.objects.create(
                code=f"{code}.0{k}.01.200{d}",
                name=f"Desa {number}{k}{d}",
                level=Region.Level.DESA,
                parent=kec,
            )
        Office.objects.create(
            code=f"{code}0{k}",
            name=f"BPS Kabupaten Uji {number}{k}",
            short_name=f"Uji {number}{k}",
            kind=Office.Kind.KABKOTA,
            region=kab,
            parent=province,
        )
    return province


def _program(province: Office, *, working_days=False) -> ProgramYear:
    """The 2026 program of a province: two villages per kab/kota, each with a work plan of an
    on-time, a late, an overdue and a not-yet-due activity."""
    year = create_program_year(province, year=2026, by=None)
    if working_days:
        ProgramYear.objects.filter(pk=year.pk).update(working_days=True)
        year.refresh_from_db()
    for office in Office.objects.filter(parent=province):
        desa = Region.objects.filter(
            level=Region.Level.DESA, code__startswith=office.region.code + "."
        ).order_by("code")
        for index, region in enumerate(desa[:2]):
            village = ParticipatingVillage.objects.create(
                program_year=year, village=region, office=office, kind=VillageKind.UTAMA
            )
            plan = [
                (date(2026, 5, 10), date(2026, 5, 8)),
                (date(2026, 5, 5), date(2026, 5, 12)),
                (date(2026, 5, 15), None),
                (date(2026, 7, 31), None),
            ]
            if index:
                plan = plan[:2]
            WorkPlanActivity.objects.bulk_create(
                WorkPlanActivity(
                    village=village,
                    stage=Stage.PELAKSANAAN,
                    name=f"Kegiatan {n}",
                    planned_start=date(2026, 4, 1),
                    planned_end=end,
                    realised_on=realised,
                )
                for n, (end, realised) in enumerate(plan)
            )
    return year


@pytest.fixture
def nasional(db):
    national_office()
    return make_user("tim_nasional", "0000", Role.TIM_NASIONAL)


@pytest.fixture
def two_provinces(year_2026, village_rejang_lebong, village_kaur):
    """Bengkulu (the seed's SOP, calendar days) with a little work plan, and a second province
    whose calendar differs: working days, and a 7-day sosialisasi standard."""
    for village in (village_rejang_lebong, village_kaur):
        WorkPlanActivity.objects.create(
            village=village,
            stage=Stage.KOORDINASI,
            name="Koordinasi",
            planned_start=date(2026, 4, 1),
            planned_end=date(2026, 5, 4),
            realised_on=date(2026, 5, 6) if village == village_kaur else None,
        )
    other = _program(_province(1), working_days=True)
    SopActivity.objects.filter(program_year=other, code=SopActivity.Code.SOSIALISASI).update(
        amount=7, unit=Unit.DAY
    )
    return year_2026, other


# --- the office and its roles -------------------------------------------------------------


def test_national_office_has_no_region_and_no_parent(db, province):
    office = national_office()
    assert (office.kind, office.region, office.parent, office.province_id) == (
        Office.Kind.NASIONAL,
        None,
        None,
        None,
    )
    assert national_office() == office  # created once
    with pytest.raises(IntegrityError), transaction.atomic():
        Office.objects.create(
            code="0001", name="x", short_name="x", kind=Office.Kind.NASIONAL, region=province.region
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Office.objects.create(code="0002", name="y", short_name="y", kind=Office.Kind.PROVINSI)


@pytest.mark.parametrize(
    ("role", "office", "error"),
    [
        (Role.TIM_NASIONAL, "1700", "Peran ini milik kantor BPS RI (nasional)."),
        (Role.PIMPINAN_NASIONAL, "1702", "Peran ini milik kantor BPS RI (nasional)."),
        (Role.KEPALA, "0000", "Peran ini hanya untuk kantor BPS provinsi."),
        (Role.TIM_KABKOTA, "0000", "Peran ini hanya untuk kantor BPS kabupaten/kota."),
        (Role.ADMIN, "0000", "Kantor BPS RI (nasional) hanya memiliki peran nasional dan viewer."),
    ],
)
def test_national_roles_belong_to_the_national_office_only(db, role, office, error):
    national_office()
    user = make_user("orang", None, None)
    membership = Membership(user=user, office=Office.objects.get(code=office), role=role)
    with pytest.raises(ValidationError) as raised:
        membership.full_clean()
    assert raised.value.message_dict["role"] == [error]


@pytest.mark.parametrize(
    "role", [Role.PIMPINAN_NASIONAL, Role.KETUA_TIM_NASIONAL, Role.TIM_NASIONAL, Role.VIEWER]
)
def test_a_national_role_reads_every_province_and_may_change_none(db, role, two_provinces):
    national_office()
    user = make_user("bps_ri", "0000", role)
    Membership(user=user, office=Office.objects.get(code="0000"), role=role).clean()
    bengkulu, other = two_provinces
    reached = set(offices_visible_to(user).values_list("code", flat=True))
    assert reached == set(Office.objects.values_list("code", flat=True))
    assert is_national_user(user)
    for year in (bengkulu, other):
        assert not can_edit_calendar(user, year)
        for office in Office.objects.filter(parent=year.province):
            assert not can_manage_villages(user, office)
            assert not can_edit_work_plan(user, office)
            assert not has_role(user, office, set(Role.values))


def test_province_and_kabkota_users_are_not_national(ketua_tim, tim_rejang_lebong):
    assert not is_national_user(ketua_tim)
    assert not is_national_user(tim_rejang_lebong)


# --- the national dashboard ---------------------------------------------------------------


def _figures(row):
    return {code: f.to_dict() for code, f in row.activities.items() if f.total}


@frozen
def test_each_province_row_equals_its_own_dashboard_totals(nasional, two_provinces):
    bengkulu, other = two_provinces
    data = national_dashboard(nasional, 2026)
    assert [line.code for line in data.lines] == ["1700", "5100"]
    for line, year in zip(data.lines, (bengkulu, other), strict=True):
        lead = make_user(f"ketua_{year.province.code}", year.province.code, Role.KETUA_TIM)
        own = province_dashboard(lead, year)
        assert _figures(line.row) == _figures(own.totals)
        assert line.row.total.to_dict() == own.totals.total.to_dict()
        assert line.row.rag == own.totals.rag
        assert line.row.villages == own.totals.villages
        assert line.kabkota == Office.objects.filter(parent=year.province).count()
    assert data.lines[0].row.villages == 2
    assert data.lines[1].row.villages == 4
    # the national total adds up the provinces
    assert data.totals.total.done == sum(line.row.total.done for line in data.lines)
    assert data.totals.villages == 6


@frozen
def test_timeliness_is_counted_by_each_province_calendar(nasional, two_provinces):
    """The same realisation two days late is late in both; a 7-day sosialisasi standard of
    the second province is its own (its year's SOP), not Bengkulu's 14."""
    bengkulu, other = two_provinces
    data = national_dashboard(nasional, 2026)
    work = {line.code: line.row.activity("rencana_kerja") for line in data.lines}
    assert (work["1700"].done, work["1700"].late, work["1700"].overdue) == (1, 1, 1)
    assert (work["5100"].on_time, work["5100"].late, work["5100"].overdue) == (4, 4, 2)
    standards = {
        y.province.code: y.sop_activities.values_list("amount", "unit").get(code="sosialisasi")
        for y in (bengkulu, other)
    }
    assert standards["5100"] == (7, Unit.DAY) != standards["1700"]


def _count(client, url, params):
    cache.clear()  # the queries of the page computed afresh, not of the page cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@frozen
def test_national_dashboard_queries_do_not_grow_with_provinces(client, nasional, year_2026):
    client.force_login(nasional)
    url = reverse("monitoring:national")
    _program(_province(1))
    _count(client, url, {"tahun": 2026})  # warm the per-process caches
    small = _count(client, url, {"tahun": 2026})
    for number in range(2, 7):
        _program(_province(number))
    large = _count(client, url, {"tahun": 2026})
    cache.clear()  # the provinces above were added without the services (no audit event)
    assert len(client.get(url, {"tahun": 2026}).context["lines"]) == 7
    assert small == large


@frozen
def test_national_page_lists_every_province_sorted_and_links_its_dashboard(
    client, nasional, two_provinces
):
    client.force_login(nasional)
    url = reverse("monitoring:national")
    response = client.get(url, {"tahun": 2026})
    assert response.status_code == 200
    html = response.content.decode()
    assert "BPS Provinsi Bengkulu" in html and "BPS Provinsi Uji 1" in html
    assert f"{reverse('monitoring:dashboard')}?tahun=2026&amp;provinsi=5100" in html
    assert 'id="dashboard-data"' in html and 'data-chart="provinces"' in html
    by_villages = client.get(url, {"tahun": 2026, "urut": "desa", "arah": "turun"})
    assert [line.code for line in by_villages.context["lines"]] == ["5100", "1700"]
    ascending = client.get(url, {"tahun": 2026, "urut": "desa"})
    assert [line.code for line in ascending.context["lines"]] == ["1700", "5100"]
    # an unknown sort key falls back to the code; an unknown year is no page
    assert client.get(url, {"tahun": 2026, "urut": "x"}).context["sort"] == "kode"
    assert client.get(url, {"tahun": 2031}).status_code == 404
    assert client.get(url, {"tahun": "dua"}).status_code == 404


@frozen
def test_drilldown_shows_the_province_dashboard_as_the_province_sees_it_and_back(
    client, nasional, two_provinces
):
    _bengkulu, other = two_provinces
    lead = make_user("ketua_uji", "5100", Role.KETUA_TIM)
    client.force_login(lead)
    theirs = client.get(reverse("monitoring:dashboard"), {"tahun": 2026})
    client.force_login(nasional)
    ours = client.get(reverse("monitoring:dashboard"), {"tahun": 2026, "provinsi": "5100"})
    assert ours.status_code == 200
    assert ours.context["data"].to_snapshot() == theirs.context["data"].to_snapshot()
    html = ours.content.decode()
    assert 'data-testid="back-national"' in html
    assert f"{reverse('monitoring:national')}?tahun=2026" in html
    assert '<input type="hidden" name="provinsi" value="5100">' in html
    # into a kab/kota of that province, and its breadcrumb leads back to the province
    office = Office.objects.get(code="5101")
    page = client.get(reverse("monitoring:office", args=[office.pk]), {"tahun": 2026})
    assert page.status_code == 200
    assert page.context["year"] == other
    assert f"{reverse('monitoring:dashboard')}?tahun=2026&amp;provinsi=5100" in (
        page.content.decode()
    )
    # naming no province, BPS RI lands on the national dashboard
    landing = client.get(reverse("monitoring:dashboard"), {"tahun": 2026})
    assert landing["Location"] == reverse("monitoring:national") + "?tahun=2026"
    assert client.get(reverse("monitoring:dashboard"), {"provinsi": "9900"}).status_code == 404


@frozen
def test_province_and_kabkota_users_never_see_the_national_view(
    client, ketua_tim, kepala, tim_rejang_lebong, two_provinces
):
    for user in (ketua_tim, kepala, tim_rejang_lebong):
        client.force_login(user)
        for name in ("monitoring:national", "monitoring:national_xlsx"):
            assert client.get(reverse(name), {"tahun": 2026}).status_code == 404
        # nor another province's dashboard by naming it
        answer = client.get(reverse("monitoring:dashboard"), {"tahun": 2026, "provinsi": "5100"})
        assert answer.status_code == 404


@frozen
def test_national_xlsx_has_the_table_of_the_page(client, nasional, two_provinces):
    client.force_login(nasional)
    response = client.get(reverse("monitoring:national_xlsx"), {"tahun": 2026})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="dasbor-nasional-2026.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("No.", "Kode", "BPS provinsi", "BPS kabupaten/kota", "Desa")
    data = national_dashboard(nasional, 2026)
    by_code = {row[1]: row for row in rows[1:-1]}
    assert set(by_code) == {"1700", "5100"}
    for line in data.lines:
        row = dict(zip(header, by_code[line.code], strict=True))
        assert row["Desa"] == line.row.villages
        assert row["Kelengkapan (%)"] == line.row.total.completeness
        assert row["Ketepatan waktu (%)"] == line.row.total.timeliness
        assert row["Lewat tenggat"] == line.row.total.overdue
        assert row["Lembar kerja LKE (semua)"] == line.lke.total
    total = dict(zip(header, rows[-1], strict=True))
    assert total["BPS provinsi"] == "Total nasional"
    assert total["Desa"] == 6


@frozen
def test_calendars_side_by_side_show_each_province_standards_and_working_day_rule(
    client, nasional, two_provinces
):
    bengkulu, other = two_provinces
    client.force_login(nasional)
    response = client.get(reverse("monitoring:national"), {"tahun": 2026})
    data = response.context["data"]
    lines = {line.code: line for line in data.lines}
    assert lines["5100"].standard("sosialisasi").standard_display == "7 hari"
    assert lines["1700"].standard("sosialisasi").standard_display == (
        bengkulu.sop_activities.get(code="sosialisasi").standard_display
    )
    assert [code for code, _label, _usual in data.sop_columns] == SopActivity.Code.values
    html = response.content.decode()
    table = html[html.index('data-testid="calendars"') :]
    rows = {code: table[table.index(f'data-province="{code}"') :] for code in ("1700", "5100")}
    assert rows["5100"].split("</tr>")[0].count('data-testid="differs"') == 1  # sosialisasi
    assert 'data-testid="differs"' not in rows["1700"].split("</tr>")[0]
    assert "hari kerja" in rows["5100"].split("</tr>")[0]
    assert "hari kalender" in rows["1700"].split("</tr>")[0]
    assert f"{reverse('program:sop_calendar')}?tahun=2026&amp;provinsi=5100" in html
    # the link opens that province's own calendar
    page = client.get(reverse("program:sop_calendar"), {"tahun": 2026, "provinsi": "5100"})
    assert page.context["year"] == other
