"""The province dashboard: figures against hand-computed values on a frozen clock, the RAG
rule, filters, drill-downs, visibility, and query counts that do not grow with villages."""

import json
from datetime import date, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import desa_in
from core.deadlines import JAKARTA, Status
from core.models import Office
from monitoring.figures import Figures, Rag, rag_for
from monitoring.queries import (
    COUNTERS,
    PROVIDERS,
    province_dashboard,
    recap_items,
    tracked_items,
)
from program.models import ParticipatingVillage, Stage, VillageKind, WorkPlanActivity
from program.queries import work_plan_items

from .conftest import NOW, activity

pytestmark = pytest.mark.django_db

frozen = time_machine.travel(NOW, tick=False)


def figures_of(row, code="rencana_kerja"):
    f = row.activity(code)
    return {
        "expected": f.expected,
        "done": f.done,
        "on_time": f.on_time,
        "late": f.late,
        "overdue": f.overdue,
        "open": f.open,
        "completeness": f.completeness,
        "timeliness": f.timeliness,
    }


# --- the contract ------------------------------------------------------------------------------


def test_every_app_with_deadlines_is_a_provider():
    from lke.queries import tracked_items as lke_items
    from meetings.queries import tracked_items as meeting_items
    from reports.queries import tracked_items as report_items

    assert [work_plan_items, recap_items, report_items, meeting_items, lke_items] == PROVIDERS


@frozen
def test_every_provider_returns_only_items_of_the_offices_asked(
    year_2026, plan, kaur, rejang_lebong
):
    both = tracked_items(year_2026, [kaur.pk, rejang_lebong.pk], now=NOW)
    items = tracked_items(year_2026, [kaur.pk], now=NOW)

    assert len(PROVIDERS) == 5
    assert {i.office_id for i in items} == {kaur.pk}
    assert {i.office_id for i in both} == {kaur.pk, rejang_lebong.pk}
    assert sorted(map(repr, items)) == sorted(repr(i) for i in both if i.office_id == kaur.pk)


@frozen
def test_recap_items_are_six_bimonthly_items_of_the_province_office(year_2026, province):
    items = recap_items(year_2026, [province.pk], now=NOW)
    assert [(i.due.date(), i.status) for i in items] == [
        (date(2026, 2, 28), Status.LEWAT),
        (date(2026, 4, 30), Status.LEWAT),
        (date(2026, 6, 30), Status.BELUM_JATUH_TEMPO),
        (date(2026, 8, 31), Status.BELUM_JATUH_TEMPO),
        (date(2026, 10, 31), Status.BELUM_JATUH_TEMPO),
        (date(2026, 12, 31), Status.BELUM_JATUH_TEMPO),
    ]
    assert {i.office_id for i in items} == {province.pk}
    assert {i.activity for i in items} == {"monitoring"}
    assert recap_items(year_2026, [province.pk + 1], now=NOW) == []


# --- figures -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("work_plan_and_recap_only")
@frozen
def test_dashboard_figures_match_the_hand_count(ketua_tim, year_2026, plan, rejang_lebong, kaur):
    data = province_dashboard(ketua_tim, year_2026, now=NOW)

    rl = data.row_for(rejang_lebong.pk)
    # done: on time (8 May ≤ 10 May) and late (12 May > 5 May); overdue: 15 May; open: overdue,
    # due soon (20 May), later (31 July) and the extended one (12 → 25 May, not yet due).
    assert figures_of(rl) == {
        "expected": 3,
        "done": 2,
        "on_time": 1,
        "late": 1,
        "overdue": 1,
        "open": 4,
        "completeness": 66.7,
        "timeliness": 50.0,
    }
    assert rl.activity("rencana_kerja").by_status == {
        "tepat_waktu": 1,
        "terlambat": 1,
        "lewat": 1,
        "segera": 1,
        "belum_jatuh_tempo": 1,
        "dispensasi": 1,
    }
    assert rl.villages == 1
    assert rl.rag == Rag.AMBER  # one overdue item, completeness 66.7 % < 80 %

    k = data.row_for(kaur.pk)
    assert figures_of(k) == {
        "expected": 4,
        "done": 1,
        "on_time": 1,
        "late": 0,
        "overdue": 3,
        "open": 3,
        "completeness": 25.0,
        "timeliness": 100.0,
    }
    assert k.rag == Rag.RED

    quiet = data.row_for(Office.objects.get(code="1701").pk)
    assert (quiet.villages, quiet.total.expected, quiet.total.completeness) == (0, 0, None)
    assert quiet.rag == Rag.GREEN  # nothing due yet

    province_row = data.province_rows[0]
    # Recaps of Jan–Feb and Mar–Apr were due and none was generated.
    assert figures_of(province_row, "monitoring") == {
        "expected": 2,
        "done": 0,
        "on_time": 0,
        "late": 0,
        "overdue": 2,
        "open": 6,
        "completeness": 0.0,
        "timeliness": None,
    }
    assert province_row.rag == Rag.RED

    assert figures_of(data.totals) == {
        "expected": 7,
        "done": 3,
        "on_time": 2,
        "late": 1,
        "overdue": 4,
        "open": 7,
        "completeness": 42.9,
        "timeliness": 66.7,
    }
    # The totals add up the kab/kota rows; the province office's recaps have their own row.
    assert (data.totals.total.expected, data.totals.total.overdue) == (7, 4)
    assert data.totals.activity("monitoring").total == 0
    assert data.totals.villages == 2
    assert data.activities == ["rencana_kerja", "monitoring"]
    assert [r.office_code for r in data.rows] == [
        "1701", "1702", "1703", "1704", "1705", "1706", "1707", "1708", "1709", "1771", "1700",
    ]  # fmt: skip


@frozen
def test_kind_filter_counts_only_villages_of_that_kind(ketua_tim, year_2026, plan, kaur):
    data = province_dashboard(ketua_tim, year_2026, kind=VillageKind.TAMBAHAN, now=NOW)
    assert data.province_rows == []  # office-level items have no village kind
    assert [(r.office_code, r.villages, r.total.expected) for r in data.rows if r.villages] == [
        ("1704", 1, 4)
    ]
    assert data.row_for(Office.objects.get(code="1702").pk).total.total == 0


@frozen
def test_office_filter_gives_one_row(ketua_tim, year_2026, plan, kaur):
    data = province_dashboard(ketua_tim, year_2026, office=kaur, now=NOW)
    assert [r.office_code for r in data.rows] == ["1704"]
    assert data.totals.total.overdue == 3


@pytest.mark.parametrize(
    ("overdue", "done", "expected", "rag"),
    [
        (0, 0, 0, Rag.GREEN),  # nothing due yet
        (0, 4, 4, Rag.GREEN),
        (0, 4, 5, Rag.GREEN),  # 80 % is not below 80 %
        (1, 9, 10, Rag.AMBER),  # one overdue
        (0, 3, 4, Rag.AMBER),  # 75 %
        (2, 8, 10, Rag.AMBER),
        (3, 17, 20, Rag.RED),  # three overdue
        (0, 4, 9, Rag.RED),  # 44 %
        (0, 1, 2, Rag.AMBER),  # exactly 50 % is not below 50 %
    ],
)
def test_red_amber_green_rule(overdue, done, expected, rag):
    assert rag_for(Figures(expected=expected, done=done, overdue=overdue)) == rag


@frozen
def test_snapshot_round_trip_keeps_every_figure(ketua_tim, year_2026, plan):
    from monitoring.figures import Dashboard

    data = province_dashboard(ketua_tim, year_2026, now=NOW)
    snapshot = json.loads(json.dumps(data.to_snapshot()))
    again = Dashboard.from_snapshot(snapshot)
    assert again.to_snapshot() == data.to_snapshot()
    assert again.rows[1].activity("rencana_kerja").completeness == 66.7


@frozen
def test_each_row_names_its_worst_item_longest_overdue_first_then_due_soonest(
    ketua_tim, year_2026, plan, rejang_lebong, kaur
):
    data = province_dashboard(ketua_tim, year_2026, now=NOW)

    # Kaur: three overdue (30 April, 1 and 3 May); the oldest is the worst.
    assert data.row_for(kaur.pk).worst.label.endswith(": Sosialisasi Kaur")
    # Rejang Lebong: one overdue (15 May) beats the one due soon (20 May).
    assert data.row_for(rejang_lebong.pk).worst.label.endswith(": Rencana")
    plan["overdue"].realised_on = date(2026, 5, 16)
    plan["overdue"].save(update_fields=["realised_on"])
    again = province_dashboard(ketua_tim, year_2026, now=NOW).row_for(rejang_lebong.pk)
    assert again.worst.label.endswith(": Pelatihan agen")  # nothing overdue: the soonest due
    # Not frozen into a recap: a snapshot holds figures only.
    assert "worst" not in data.to_snapshot()["rows"][0]


@frozen
def test_the_phone_cards_show_every_office_with_status_and_worst_item(client, ketua_tim, plan):
    client.force_login(ketua_tim)

    html = client.get(reverse("monitoring:dashboard"), {"tahun": 2026}).content.decode()

    assert html.count('data-testid="office-card"') == 10
    assert html.count('data-testid="worst-item"') == 10
    assert "Paling lama lewat tenggat:" in html and "Sosialisasi Kaur" in html
    assert "Tidak ada item yang lewat tenggat atau segera jatuh tempo." in html  # no items


# --- views -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("work_plan_and_recap_only")
@frozen
def test_dashboard_page_shows_rows_totals_legend_and_chart_data(client, ketua_tim, plan):
    client.force_login(ketua_tim)
    response = client.get(reverse("monitoring:dashboard"), {"tahun": 2026})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="office-row"') == 10
    assert 'data-testid="totals-row"' in html
    assert "3 item lewat tenggat atau lebih" in html  # the rule, in the legend and tooltips
    chart = response.context["charts"]
    assert chart["realisation"]["labels"][1] == "Rejang Lebong"
    assert chart["realisation"]["counts"]["lewat"][:4] == [0, 1, 0, 3]
    assert chart["timeliness"]["counts"] == {
        "tepat_waktu": [2, 0],
        "terlambat": [1, 0],
        "lewat": [4, 2],
    }
    assert 'id="dashboard-data"' in html
    assert "<script>" not in html  # strict CSP: data only as JSON, code only from files


@frozen
def test_htmx_filter_returns_only_the_dashboard_body(client, ketua_tim, plan, kaur):
    client.force_login(ketua_tim)
    response = client.get(
        reverse("monitoring:dashboard"),
        {"tahun": 2026, "kabkota": kaur.pk},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dashboard-body">')
    assert "<html" not in html
    assert html.count('data-testid="office-row"') == 1
    assert "Kabupaten Kaur" in html


@frozen
def test_dashboard_filter_with_an_office_out_of_scope_is_refused(client, ketua_tim, plan):
    client.force_login(ketua_tim)
    response = client.get(reverse("monitoring:dashboard"), {"tahun": 2026, "kabkota": 99999})
    assert response.status_code == 200
    assert response.context.get("data") is None
    assert "Nilai filter tidak valid" in response.content.decode()


def test_dashboard_unknown_year_is_404(client, ketua_tim, year_2026):
    client.force_login(ketua_tim)
    assert client.get(reverse("monitoring:dashboard"), {"tahun": 2019}).status_code == 404
    assert client.get(reverse("monitoring:dashboard"), {"tahun": "x"}).status_code == 404


def test_dashboard_refuses_post(client, ketua_tim, year_2026):
    client.force_login(ketua_tim)
    assert client.post(reverse("monitoring:dashboard")).status_code == 405


def test_dashboard_needs_login(client, year_2026):
    response = client.get(reverse("monitoring:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith("/masuk/")


@pytest.mark.usefixtures("work_plan_and_recap_only")
@frozen
def test_kabkota_user_lands_on_own_office_with_next_deadlines_first(
    client, tim_rejang_lebong, plan, rejang_lebong
):
    client.force_login(tim_rejang_lebong)
    response = client.get(reverse("monitoring:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("monitoring:office", args=[rejang_lebong.pk]) + "?tahun=2026"
    )
    page = client.get(response["Location"])
    html = page.content.decode()
    assert html.index('id="upcoming"') < html.index('id="stage-matrix"')
    upcoming = [line.item.label.split(": ")[1] for line in page.context["overview"].upcoming]
    assert upcoming == ["Pelatihan agen", "Website desa", "Publikasi"]  # by deadline
    overdue = [line.item.label.split(": ")[1] for line in page.context["overview"].overdue]
    assert overdue == ["Rencana"]


@frozen
def test_office_drilldown_shows_villages_by_stage(client, ketua_tim, plan, rejang_lebong):
    client.force_login(ketua_tim)
    response = client.get(reverse("monitoring:office", args=[rejang_lebong.pk]), {"tahun": 2026})
    assert response.status_code == 200
    ((village, cells),) = response.context["overview"].villages
    assert [(c.planned, c.done, c.overdue, c.state) for c in cells] == [
        (1, 1, 0, "done"),  # koordinasi
        (1, 1, 0, "done"),  # identifikasi
        (1, 0, 1, "overdue"),  # perencanaan
        (2, 0, 0, "partial"),  # pelaksanaan: due soon, extended
        (1, 0, 0, "partial"),  # monev
    ]
    html = response.content.decode()
    # The province team sees the matrix before the deadlines; the extended item shows its new
    # date and the original one struck through.
    assert html.index('id="stage-matrix"') < html.index('id="upcoming"')
    assert "25 Mei 2026" in html and "12 Mei 2026" in html
    assert 'data-status="dispensasi"' in html


@frozen
def test_extension_action_only_for_the_team_lead(client, ketua_tim, tim_provinsi, plan, kaur):
    url = reverse("monitoring:office", args=[kaur.pk]) + "?tahun=2026"
    client.force_login(ketua_tim)
    assert "Beri dispensasi" in client.get(url).content.decode()
    client.force_login(tim_provinsi)
    assert "Beri dispensasi" not in client.get(url).content.decode()


@frozen
def test_kabkota_user_cannot_open_another_office_or_its_village(
    client, tim_rejang_lebong, plan, kaur, village_kaur, village_rejang_lebong
):
    client.force_login(tim_rejang_lebong)
    assert client.get(reverse("monitoring:office", args=[kaur.pk])).status_code == 404
    assert client.get(reverse("monitoring:village", args=[village_kaur.pk])).status_code == 404
    own = client.get(reverse("monitoring:village", args=[village_rejang_lebong.pk]))
    assert own.status_code == 200


@frozen
def test_kabkota_user_cannot_open_the_province_office_drilldown(
    client, tim_rejang_lebong, plan, province
):
    client.force_login(tim_rejang_lebong)
    assert client.get(reverse("monitoring:office", args=[province.pk])).status_code == 404


@pytest.mark.usefixtures("work_plan_and_recap_only")
@frozen
def test_province_office_drilldown_lists_its_recap_items(client, kepala, plan, province):
    client.force_login(kepala)
    response = client.get(reverse("monitoring:office", args=[province.pk]), {"tahun": 2026})
    assert response.status_code == 200
    overview = response.context["overview"]
    assert [line.item.due.date() for line in overview.overdue] == [
        date(2026, 2, 28),
        date(2026, 4, 30),
    ]
    assert len(overview.upcoming) == 4
    assert 'id="stage-matrix"' not in response.content.decode()


def test_drilldowns_refuse_post(client, ketua_tim, village_kaur, kaur):
    client.force_login(ketua_tim)
    assert client.post(reverse("monitoring:office", args=[kaur.pk])).status_code == 405
    assert client.post(reverse("monitoring:village", args=[village_kaur.pk])).status_code == 405


@pytest.mark.usefixtures("work_plan_and_recap_only")
@frozen
def test_village_timeline_groups_items_by_stage_in_deadline_order(
    client, pimpinan_rejang_lebong, plan, village_rejang_lebong
):
    client.force_login(pimpinan_rejang_lebong)
    response = client.get(reverse("monitoring:village", args=[village_rejang_lebong.pk]))
    timeline = response.context["timeline"]
    assert [
        (s.stage, [line.item.label.split(": ")[1] for line in s.lines]) for s in timeline.stages
    ] == [
        (Stage.KOORDINASI, ["Sosialisasi"]),
        (Stage.IDENTIFIKASI, ["Identifikasi"]),
        (Stage.PERENCANAAN, ["Rencana"]),
        (Stage.PELAKSANAAN, ["Pelatihan agen", "Website desa"]),  # 20 May, then 25 May (ext.)
        (Stage.MONEV, ["Publikasi"]),
    ]
    assert timeline.stages[0].start == date(2026, 4, 1)
    assert (timeline.row.expected, timeline.row.done, timeline.row.overdue) == (3, 2, 1)
    assert timeline.others == []
    assert "Beri dispensasi" not in response.content.decode()


# --- query counts ------------------------------------------------------------------------------


def _villages(year, per_office: int):
    """`per_office` villages in every kab/kota of the province, each with three activities."""
    offices = Office.objects.filter(parent=year.province)
    villages = ParticipatingVillage.objects.bulk_create(
        ParticipatingVillage(
            program_year=year,
            village=desa_in(office, 10 + i),
            office=office,
            kind=VillageKind.UTAMA if i % 2 else VillageKind.TAMBAHAN,
        )
        for office in offices
        for i in range(per_office)
    )
    WorkPlanActivity.objects.bulk_create(
        WorkPlanActivity(
            village=v,
            stage=stage,
            name=f"Kegiatan {n}",
            planned_start=date(2026, 3, 1),
            planned_end=date(2026, 5, 1 + 10 * n),
            realised_on=date(2026, 5, 2) if n == 0 else None,
        )
        for v in villages
        for n, stage in enumerate([Stage.KOORDINASI, Stage.PERENCANAAN, Stage.PELAKSANAAN])
    )


def _count(client, url, params=None):
    """Queries of the page computed afresh (the data below changes without the services, so
    the page cache, keyed on audited writes, is emptied first)."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


@frozen
def test_dashboard_queries_do_not_grow_with_villages(client, ketua_tim, year_2026):
    client.force_login(ketua_tim)
    url = reverse("monitoring:dashboard")
    _villages(year_2026, 1)
    _count(client, url, {"tahun": 2026})  # warm the content-type cache
    small = _count(client, url, {"tahun": 2026})
    ParticipatingVillage.objects.all().delete()
    _villages(year_2026, 30)
    assert WorkPlanActivity.objects.count() == 900
    large = _count(client, url, {"tahun": 2026})
    assert small == large
    # every provider (work plan, recap, reports, meetings, LKE), "Tugas saya", the version of
    # the data of each of the two cached parts and of the whole page (core.pagecache), and the
    # work plan counted in SQL (extensions, counts, extended rows) with its open items for the
    # worst one
    assert large <= 39


@frozen
def test_office_drilldown_queries_do_not_grow_with_villages(
    client, ketua_tim, year_2026, rejang_lebong
):
    client.force_login(ketua_tim)
    url = reverse("monitoring:office", args=[rejang_lebong.pk])
    _villages(year_2026, 1)
    small = _count(client, url, {"tahun": 2026})
    ParticipatingVillage.objects.all().delete()
    _villages(year_2026, 30)
    large = _count(client, url, {"tahun": 2026})
    assert small == large


def test_a_provider_added_later_shows_up_as_a_column(
    monkeypatch, ketua_tim, year_2026, village_kaur, kaur
):
    from core.deadlines import TrackedItem, end_of_day

    def meeting_items(program_year, office_ids, *, now):
        return [
            TrackedItem(
                activity="rapat",
                label="Tindak lanjut rapat",
                office_id=kaur.pk,
                village_id=None,
                due=end_of_day(date(2026, 5, 1)),
                done_at=None,
                status=Status.LEWAT,
                extended=False,
                url="/rapat/1/",
                subject=(1, "1"),
            )
        ]

    monkeypatch.setattr(
        "monitoring.queries.PROVIDERS", [work_plan_items, recap_items, meeting_items]
    )
    activity(village_kaur, "Sosialisasi", date(2026, 5, 30))
    with time_machine.travel(NOW, tick=False):
        data = province_dashboard(ketua_tim, year_2026, now=NOW)
    assert data.activities == ["rencana_kerja", "monitoring", "rapat"]
    assert data.row_for(kaur.pk).activity("rapat").overdue == 1


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 5, 18, 12, tzinfo=JAKARTA),
        datetime(2026, 5, 13, 0, 1, tzinfo=JAKARTA),  # the extended item: overdue without it
        datetime(2026, 5, 26, 8, tzinfo=JAKARTA),  # past the extension
        datetime(2026, 4, 20, 8, tzinfo=JAKARTA),  # little due yet
    ],
)
@pytest.mark.parametrize("kind", [None, VillageKind.UTAMA])
def test_the_figures_counted_in_sql_equal_the_counted_items(moment, kind, year_2026, plan):
    """Each counter of COUNTERS gives, per office and status, the numbers of its provider's
    items (the extension of the plan fixture included). With a village kind, the providers of
    an office's own work (recap, meetings, LKE) have nothing left to count."""
    kabkota = Office.objects.filter(parent=year_2026.province).values_list("pk", flat=True)
    offices = [year_2026.province_id, *kabkota]
    villages = set(
        ParticipatingVillage.objects.filter(**({"kind": kind} if kind else {})).values_list(
            "pk", flat=True
        )
    )
    for provider, counter in COUNTERS.items():
        expected = {}
        for item in provider(year_2026, frozenset(offices), now=moment):
            if kind is None or item.village_id in villages:
                key = (item.office_id, item.activity, item.status.value)
                expected[key] = expected.get(key, 0) + 1
        counted = {}
        for office, code, status, n in counter(year_2026, offices, now=moment, kind=kind):
            counted[office, code, status] = counted.get((office, code, status), 0) + n
        assert counted == expected
        assert sum(expected.values()) > 0 or (kind and provider is not work_plan_items)


@frozen
def test_the_work_plan_is_counted_in_three_queries_whatever_its_size(year_2026):
    from program.queries import work_plan_counts

    offices = list(Office.objects.filter(parent=year_2026.province).values_list("pk", flat=True))
    _villages(year_2026, 1)
    work_plan_counts(year_2026, offices)
    with CaptureQueriesContext(connection) as small:
        work_plan_counts(year_2026, offices)
    ParticipatingVillage.objects.all().delete()
    _villages(year_2026, 20)
    with CaptureQueriesContext(connection) as large:
        rows = work_plan_counts(year_2026, offices)
    assert len(small) == len(large) <= 3
    assert sum(n for *_rest, n in rows) == 20 * 10 * 3
