"""The page cache (core.pagecache) on the dashboard, the drill-downs, the recap page and
"Tugas saya": a repeated request is served from the cache at a constant query count, a change
by anyone (through the audited services) shows on the very next request, so does a new day in
Jakarta, and a user never gets the cached figures of a scope it cannot see."""

import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_user
from core import pagecache
from core.deadlines import JAKARTA, Status
from core.models import ChangeCounter, Membership, Office, Role
from core.services import national_office
from meetings import services as meeting_services
from meetings.models import Meeting
from meetings.services import AgendaEntry
from monitoring.services import generate_recap, sign_recap
from program.models import ParticipatingVillage
from program.services import update_activity

from .conftest import NOW
from .test_dashboard import _villages
from .test_tasks import RECORD

pytestmark = pytest.mark.django_db
frozen = time_machine.travel(NOW, tick=False)
DASHBOARD = reverse("monitoring:dashboard")
YEAR = {"tahun": 2026}


def _get(client, url, params=YEAR):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return response, len(queries)


def _row(response, office):
    return response.context["data"].row_for(office.pk)


def _page(response) -> str:
    """The HTML of a response with its CSRF tokens (a new mask on every request) blanked."""
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", response.content.decode())


def _served_from_cache(response, computed) -> bool:
    """A response of the whole-page cache (no template rendered) equal to the computed one."""
    return response.context is None and _page(response) == _page(computed)


def _realise(activity, by, day=date(2026, 5, 16)):
    activity.refresh_from_db()
    return update_activity(activity, version=activity.version, by=by, realised_on=day)


# --- the dashboard ----------------------------------------------------------------------------


@frozen
def test_the_dashboard_is_served_from_the_cache_until_anyone_changes_something(
    client, ketua_tim, tim_rejang_lebong, rejang_lebong, plan
):
    client.force_login(ketua_tim)
    first, computed = _get(client, DASHBOARD)
    again, cached = _get(client, DASHBOARD)

    assert _row(first, rejang_lebong).total.overdue == 1
    assert _served_from_cache(again, first)
    assert cached <= 3 < computed

    _realise(plan["overdue"], tim_rejang_lebong)  # the kab/kota team, not the viewer
    after, _ = _get(client, DASHBOARD)

    assert _row(after, rejang_lebong).total.overdue == 0
    assert _row(after, rejang_lebong).total.late == _row(first, rejang_lebong).total.late + 1


@frozen
def test_a_cached_dashboard_costs_the_same_queries_for_more_data(client, ketua_tim, year_2026):
    client.force_login(ketua_tim)
    _villages(year_2026, 1)
    _get(client, DASHBOARD)
    _small, small = _get(client, DASHBOARD)
    ParticipatingVillage.objects.all().delete()
    _villages(year_2026, 20)
    cache.clear()  # the rows above changed without the services (no audit event)
    large_response, _ = _get(client, DASHBOARD)
    _large, large = _get(client, DASHBOARD)

    assert small == large <= 3
    assert sum(r.villages for r in large_response.context["data"].kabkota_rows) == 20 * 10


def test_the_cached_figures_cost_one_query(ketua_tim, year_2026):
    def compute():
        return "figures"

    key = {"provinces": [year_2026.province_id], "parts": (year_2026.pk,)}
    pagecache.cached("test", ketua_tim, compute, **key)
    with CaptureQueriesContext(connection) as queries:
        assert pagecache.cached("test", ketua_tim, lambda: "other", **key) == "figures"
    assert len(queries) == 1


def test_the_dashboard_moves_on_at_midnight_in_jakarta(client, ketua_tim, rejang_lebong, plan):
    client.force_login(ketua_tim)
    with time_machine.travel(datetime(2026, 5, 20, 23, 50, tzinfo=JAKARTA), tick=False):
        before, _ = _get(client, DASHBOARD)
        cached, _ = _get(client, DASHBOARD)
    with time_machine.travel(datetime(2026, 5, 21, 0, 5, tzinfo=JAKARTA), tick=False):
        after, _ = _get(client, DASHBOARD)

    # "Pelatihan agen" is due on 20 May: due soon before midnight, overdue after.
    soon = Status.SEGERA.value
    assert _row(before, rejang_lebong).activity("rencana_kerja").status_count(soon) == 1
    assert _served_from_cache(cached, before)
    assert _row(after, rejang_lebong).total.overdue == _row(before, rejang_lebong).total.overdue + 1


@frozen
def test_a_user_of_another_scope_never_gets_the_cached_dashboard(
    client, ketua_tim, rejang_lebong, kaur, plan
):
    """A user with two kab/kota offices asks after the province has cached its dashboard, and
    the province after it: each sees its own rows."""
    two = make_user("tim_dua", "1702", Role.TIM_KABKOTA)
    Membership.objects.create(user=two, office=kaur, role=Role.TIM_KABKOTA)
    client.force_login(ketua_tim)
    province_rows = [r.office_id for r in _get(client, DASHBOARD)[0].context["data"].rows]
    client.force_login(two)
    own_rows = [r.office_id for r in _get(client, DASHBOARD)[0].context["data"].rows]
    own_page = _get(client, DASHBOARD)[0]
    client.force_login(ketua_tim)
    province_page = _get(client, DASHBOARD)[0]

    assert sorted(own_rows) == sorted([rejang_lebong.pk, kaur.pk])
    assert len(province_rows) == Office.objects.filter(parent=rejang_lebong.parent).count() + 1
    assert own_page.context is None and province_page.context is None  # both from the cache
    others = Office.objects.filter(parent=rejang_lebong.parent).exclude(pk__in=own_rows)
    for other in others.filter(kind=Office.Kind.KABKOTA):
        link = reverse("monitoring:office", args=[other.pk])
        assert link in _page(province_page)
        assert link not in _page(own_page)


@frozen
def test_the_filters_are_part_of_the_key(client, ketua_tim, rejang_lebong, kaur, plan):
    client.force_login(ketua_tim)
    whole, _ = _get(client, DASHBOARD)
    one, _ = _get(client, DASHBOARD, {**YEAR, "kabkota": kaur.pk})

    assert len(whole.context["data"].rows) > 1
    assert [r.office_id for r in one.context["data"].rows] == [kaur.pk]


# --- the drill-downs --------------------------------------------------------------------------


@frozen
def test_the_office_drilldown_shows_a_change_on_the_next_request(
    client, ketua_tim, tim_rejang_lebong, tim_kaur, rejang_lebong, plan
):
    url = reverse("monitoring:office", args=[rejang_lebong.pk])
    client.force_login(ketua_tim)
    first, computed = _get(client, url)
    _again, cached = _get(client, url)
    assert [line.item.label for line in first.context["overview"].overdue] == [
        f"{plan['overdue'].village.village.name}: Rencana"
    ]
    assert cached < computed

    _realise(plan["overdue"], tim_rejang_lebong)

    after, _ = _get(client, url)
    assert after.context["overview"].overdue == []
    client.force_login(tim_kaur)  # another kab/kota: the cached page of Rejang Lebong is not its
    assert client.get(url, YEAR).status_code == 404


@frozen
def test_the_village_drilldown_shows_a_change_on_the_next_request(
    client, ketua_tim, tim_rejang_lebong, tim_kaur, village_rejang_lebong, plan
):
    url = reverse("monitoring:village", args=[village_rejang_lebong.pk])
    client.force_login(tim_rejang_lebong)
    first, computed = _get(client, url)
    _again, cached = _get(client, url)
    assert first.context["timeline"].row.overdue == 1
    assert cached < computed

    _realise(plan["overdue"], make_user("tim_rejang_lebong_2", "1702", Role.TIM_KABKOTA))

    assert _get(client, url)[0].context["timeline"].row.overdue == 0
    client.force_login(tim_kaur)
    assert client.get(url).status_code == 404


# --- the recap page ---------------------------------------------------------------------------


@frozen
def test_the_recap_page_shows_a_regenerated_recap_and_only_the_offices_in_scope(
    client, tim_provinsi, tim_rejang_lebong, tim_kaur, year_2026, rejang_lebong, kaur, plan
):
    recap = generate_recap(year_2026, period=3, narrative="", by=tim_provinsi)
    url = reverse("monitoring:recap_detail", args=[recap.pk])
    client.force_login(tim_provinsi)
    first, computed = _get(client, url, {})
    _again, cached = _get(client, url, {})
    assert first.context["view"].dashboard.row_for(rejang_lebong.pk).total.overdue == 1
    assert cached < computed

    _realise(plan["overdue"], tim_rejang_lebong)
    generate_recap(year_2026, period=3, narrative="Diperbarui", by=tim_provinsi)

    after = _get(client, url, {})[0].context["view"]
    assert after.dashboard.row_for(rejang_lebong.pk).total.overdue == 0
    client.force_login(tim_kaur)
    lines = _get(client, url, {})[0].context["view"].lines
    assert [line.row.office_id for line in lines] == [kaur.pk]


# --- "Tugas saya" -----------------------------------------------------------------------------


@frozen
def test_tugas_saya_shows_a_recap_to_sign_until_it_is_signed(
    client, kepala, tim_provinsi, year_2026, plan
):
    client.force_login(kepala)
    assert _get(client, "/", {})[0].context["tasks"] == []

    recap = generate_recap(year_2026, period=2, narrative="", by=tim_provinsi)  # someone else

    first, computed = _get(client, "/", {})
    _again, cached = _get(client, "/", {})
    assert [t.kind for t in first.context["tasks"]] == ["sign"]
    assert cached < computed

    sign_recap(recap, **RECORD, by=kepala)
    assert _get(client, "/", {})[0].context["tasks"] == []


def test_an_attendance_to_confirm_leaves_tugas_saya_when_the_meeting_starts(
    client, year_2026, ketua_tim, rejang_lebong, tim_rejang_lebong
):
    start = datetime(2026, 5, 18, 14, tzinfo=JAKARTA)
    with time_machine.travel(datetime(2026, 5, 18, 9, tzinfo=JAKARTA), tick=False):
        meeting = meeting_services.create_meeting(
            year_2026,
            title="Rapat koordinasi Mei 2026",
            period_start=date(2026, 5, 1),
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            platform=Meeting.Platform.ZOOM,
            link="https://zoom.us/j/1",
            invited_offices=[rejang_lebong],
            invited_staff=[],
            agenda=[AgendaEntry(title="Progres", presenter="", allotted_minutes=30)],
            by=ketua_tim,
        )
        meeting_services.schedule_meeting(meeting, by=ketua_tim, site_url="https://x.example")
        client.force_login(tim_rejang_lebong)
        before = [t.kind for t in _get(client, "/", {})[0].context["tasks"]]
    with time_machine.travel(datetime(2026, 5, 18, 14, 1, tzinfo=JAKARTA), tick=False):
        after = [t.kind for t in _get(client, "/", {})[0].context["tasks"]]

    assert "attend" in before
    assert "attend" not in after


# --- the counters -----------------------------------------------------------------------------


def test_a_write_counts_in_its_province_once_committed(
    django_capture_on_commit_callbacks, tim_rejang_lebong, ketua_tim, rejang_lebong, plan
):
    province = rejang_lebong.parent_id
    before = pagecache.data_version([province])
    with django_capture_on_commit_callbacks(execute=True):
        _realise(plan["overdue"], tim_rejang_lebong)
    after = pagecache.data_version([province])

    assert after[0] > before[0] and after[1] > before[1]
    assert ChangeCounter.objects.filter(scope=province).exists()
    assert pagecache.scope_of(rejang_lebong) == pagecache.scope_of(rejang_lebong.parent)
    assert pagecache.scope_of(None) == pagecache.NO_OFFICE


# --- the whole page ---------------------------------------------------------------------------


def _pages(request, year_2026):
    """(user, URL, query) of every page kept whole by the page cache (the LKE results: in
    lke/tests/test_results.py)."""
    plan = request.getfixturevalue("plan")
    recap = generate_recap(
        year_2026, period=3, narrative="", by=request.getfixturevalue("tim_provinsi")
    )
    national_office()
    nasional = make_user("tim_nasional", "0000", Role.TIM_NASIONAL)
    ketua = request.getfixturevalue("ketua_tim")
    village = plan["overdue"].village
    return {
        "dashboard": (ketua, DASHBOARD, YEAR),
        "kab/kota drill-down": (
            ketua,
            reverse("monitoring:office", args=[village.office_id]),
            YEAR,
        ),
        "village drill-down": (ketua, reverse("monitoring:village", args=[village.pk]), {}),
        "recap": (ketua, reverse("monitoring:recap_detail", args=[recap.pk]), {}),
        "home, Tugas saya": (request.getfixturevalue("tim_rejang_lebong"), "/", YEAR),
        "national dashboard": (nasional, reverse("monitoring:national"), YEAR),
    }


PAGES = [
    "dashboard",
    "kab/kota drill-down",
    "village drill-down",
    "recap",
    "home, Tugas saya",
    "national dashboard",
]


@frozen
@pytest.mark.parametrize("page", PAGES)
def test_a_cached_page_costs_at_most_three_queries_and_carries_the_requests_own_token(
    request, client, db, year_2026, page
):
    """Session, user, data version: no membership, year or figure is read again, no template
    rendered; the CSRF token on the page is the one of the request's own cookie."""
    user, url, params = _pages(request, year_2026)[page]
    client.force_login(user)
    first, computed = _get(client, url, params)
    again, cached = _get(client, url, params)

    assert _served_from_cache(again, first)
    assert cached <= 3 < computed
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"', again.text)
    assert tokens and {_unmask_cipher_token(t) for t in tokens} == {
        client.cookies[settings.CSRF_COOKIE_NAME].value
    }


@frozen
def test_the_national_dashboard_shows_a_province_change_on_the_next_request(
    client, tim_rejang_lebong, plan
):
    national_office()
    client.force_login(make_user("tim_nasional", "0000", Role.TIM_NASIONAL))
    url = reverse("monitoring:national")

    def overdue(response):
        (line,) = [x for x in response.context["lines"] if x.province.code == "1700"]
        return line.row.total.overdue

    first, _ = _get(client, url)
    assert _served_from_cache(_get(client, url)[0], first)

    _realise(plan["overdue"], tim_rejang_lebong)  # a kab/kota team of one province

    assert overdue(_get(client, url)[0]) == overdue(first) - 1


@frozen
def test_two_kabkota_teams_each_get_their_own_cached_home(
    client, tim_rejang_lebong, tim_kaur, village_rejang_lebong, village_kaur, plan
):
    pages = {}
    for user in (tim_rejang_lebong, tim_kaur, tim_rejang_lebong, tim_kaur):
        client.force_login(user)
        pages[user.pk] = _get(client, "/", YEAR)[0]  # the second round: from the cache

    own, other = pages[tim_rejang_lebong.pk], pages[tim_kaur.pk]
    assert own.context is None and other.context is None
    assert village_rejang_lebong.village.name in own.text
    assert village_kaur.village.name not in own.text
    assert village_kaur.village.name in other.text
    assert village_rejang_lebong.village.name not in other.text


@frozen
def test_a_message_waiting_is_shown_on_a_cached_page(client, ketua_tim, plan):
    client.force_login(ketua_tim)
    _get(client, DASHBOARD)
    _get(client, DASHBOARD)
    cookie = CookieStorage(SimpleNamespace(COOKIES={}))  # as a redirect after a change sets it
    client.cookies[cookie.cookie_name] = cookie._encode([Message(constants.INFO, "Pesan Anda")])

    response, _ = _get(client, DASHBOARD)
    assert "Pesan Anda" in response.text
    assert "Pesan Anda" not in _get(client, DASHBOARD)[0].text  # shown once
