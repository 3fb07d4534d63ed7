"""The SOP calendar of a program year: read by everyone in the province, set by the team lead,
every change audited, and each rule shown with the deadlines it gives."""

from datetime import date

import pytest
from django.urls import reverse

from core.models import AuditEvent, Office, Region
from program.models import ProgramYear, SopActivity
from program.services import update_program_year_settings

CALENDAR = reverse("program:sop_calendar")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Personas log in with force_login: a slow password hash would only slow the tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def activity(year: ProgramYear, code: str) -> SopActivity:
    return year.sop_activities.get(code=code)


def row_of(response, code: str):
    return next(rule for rule in response.context["rules"] if rule.activity.code == code)


@pytest.fixture
def other_province_user(db):
    """A team lead of another province, which has no 2026 program year of Bengkulu's."""
    from conftest import make_user

    sumsel = Region.objects.create(code="16", name="SUMATERA SELATAN", level=Region.Level.PROVINSI)
    Office.objects.create(
        code="1600",
        name="BPS Provinsi Sumatera Selatan",
        short_name="Sumatera Selatan",
        kind=Office.Kind.PROVINSI,
        region=sumsel,
    )
    return make_user("ketua_sumsel", "1600", "ketua_tim")


# --- reading the calendar ------------------------------------------------------------------------


def test_kabkota_user_reads_the_six_activities_in_sop_order(client, tim_rejang_lebong, year_2026):
    client.force_login(tim_rejang_lebong)

    response = client.get(CALENDAR, {"tahun": 2026})

    assert response.status_code == 200
    assert [
        (r.activity.number, r.activity.code, r.activity.standard_display, r.activity.anchor)
        for r in response.context["rules"]
    ] == [
        (1, "monitoring", "2 bulan", "periodic"),
        (2, "rapat", "2 bulan", "periodic"),
        (3, "sosialisasi", "2 minggu", "event"),
        (4, "identifikasi", "2 minggu", "event"),
        (5, "penilaian", "1 bulan", "window"),
        (6, "laporan_akhir", "2 minggu", "event"),
    ]
    assert response.context["can_edit"] is False
    page = response.content.decode()
    assert "Laporan sosialisasi/pencanangan" in page
    assert "Pelaksanaan sosialisasi/pencanangan" in page
    assert reverse("program:sop_activity_edit", args=[activity(year_2026, "rapat").pk]) not in page


def test_periodic_activity_lists_its_periods_with_due_days(client, kepala, year_2026):
    client.force_login(kepala)

    response = client.get(CALENDAR, {"tahun": 2026})

    assert [(p.start, p.end, p.due) for p in row_of(response, "monitoring").periods] == [
        (date(2026, 1, 1), date(2026, 2, 28), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 4, 30), date(2026, 4, 30)),
        (date(2026, 5, 1), date(2026, 6, 30), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 8, 31), date(2026, 8, 31)),
        (date(2026, 9, 1), date(2026, 10, 31), date(2026, 10, 31)),
        (date(2026, 11, 1), date(2026, 12, 31), date(2026, 12, 31)),
    ]
    assert "28 Feb 2026" in response.content.decode()


def test_event_and_window_activities_show_an_example_deadline(client, kepala, year_2026):
    client.force_login(kepala)

    response = client.get(CALENDAR, {"tahun": 2026})

    examples = {
        code: (row_of(response, code).example_anchor, row_of(response, code).example_due)
        for code in ("sosialisasi", "identifikasi", "penilaian", "laporan_akhir")
    }
    assert examples == {
        "sosialisasi": (date(2026, 5, 4), date(2026, 5, 18)),
        "identifikasi": (date(2026, 6, 8), date(2026, 6, 22)),
        "penilaian": (date(2026, 9, 1), date(2026, 10, 1)),
        "laporan_akhir": (date(2026, 10, 30), date(2026, 11, 13)),
    }
    page = response.content.decode()
    assert "4 Mei 2026" in page and "18 Mei 2026" in page


def test_working_days_switch_moves_the_deadlines_past_weekends_and_holidays(
    client, ketua_tim, year_2026
):
    update_program_year_settings(year_2026, working_days=True, soon_days=7, by=ketua_tim)
    client.force_login(ketua_tim)

    response = client.get(CALENDAR, {"tahun": 2026})

    # 4 May + 10 working days skips Ascension Day (14 May); 8 June + 10 skips 16 June.
    assert row_of(response, "sosialisasi").example_due == date(2026, 5, 19)
    assert row_of(response, "identifikasi").example_due == date(2026, 6, 23)
    # Saturday 28 February and Saturday 31 October move to the Monday after.
    assert [p.due for p in row_of(response, "monitoring").periods] == [
        date(2026, 3, 2),
        date(2026, 4, 30),
        date(2026, 6, 30),
        date(2026, 8, 31),
        date(2026, 11, 2),
        date(2026, 12, 31),
    ]
    assert response.context["can_edit"] is True


def test_calendar_of_an_unknown_year_is_not_found(client, tim_rejang_lebong, year_2026):
    client.force_login(tim_rejang_lebong)

    assert client.get(CALENDAR, {"tahun": 2025}).status_code == 404
    assert client.get(CALENDAR, {"tahun": "dua"}).status_code == 404


def test_calendar_of_another_province_is_not_found(client, other_province_user, year_2026):
    client.force_login(other_province_user)

    assert client.get(CALENDAR, {"tahun": 2026}).status_code == 404


def test_calendar_without_any_year_shows_an_empty_state(client, other_province_user):
    client.force_login(other_province_user)

    response = client.get(CALENDAR)

    assert response.status_code == 200
    assert response.context["rules"] == []
    assert "Belum ada tahun program" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("sop_calendar", "post"),
        ("sop_settings", "put"),
        ("sop_history", "post"),
        ("sop_activity_edit", "delete"),
    ],
)
def test_calendar_urls_refuse_wrong_methods(client, ketua_tim, year_2026, name, method):
    client.force_login(ketua_tim)
    args = [activity(year_2026, "rapat").pk] if name == "sop_activity_edit" else []

    response = getattr(client, method)(reverse(f"program:{name}", args=args) + "?tahun=2026")

    assert response.status_code == 405


# --- editing an activity's time standard ----------------------------------------------------------


def test_team_lead_changes_a_time_standard_with_an_audit_row(client, ketua_tim, year_2026):
    sosialisasi = activity(year_2026, "sosialisasi")
    client.force_login(ketua_tim)

    response = client.post(
        reverse("program:sop_activity_edit", args=[sosialisasi.pk]),
        {"amount": 10, "unit": "day", "anchor_label": "Pencanangan Desa Cantik"},
    )

    assert response.status_code == 302
    assert response.url == f"{CALENDAR}?tahun=2026"
    sosialisasi.refresh_from_db()
    assert (sosialisasi.amount, sosialisasi.unit, sosialisasi.anchor_label) == (
        10,
        "day",
        "Pencanangan Desa Cantik",
    )
    event = AuditEvent.objects.get(action="sop_activity.update")
    assert (event.actor, event.object_id) == (ketua_tim, str(sosialisasi.pk))
    assert event.changes == {
        "amount": [2, 10],
        "unit": ["week", "day"],
        "anchor_label": ["Pelaksanaan sosialisasi/pencanangan", "Pencanangan Desa Cantik"],
    }


def test_periodic_activity_edit_changes_the_first_period(client, ketua_tim, year_2026):
    rapat = activity(year_2026, "rapat")
    client.force_login(ketua_tim)

    client.post(
        reverse("program:sop_activity_edit", args=[rapat.pk]),
        {"amount": 3, "unit": "month", "window_start": "2026-02-01"},
    )

    rapat.refresh_from_db()
    assert (rapat.amount, rapat.window_start, rapat.anchor_label) == (3, date(2026, 2, 1), "")
    response = client.get(CALENDAR, {"tahun": 2026})
    assert [(p.start, p.due) for p in row_of(response, "rapat").periods] == [
        (date(2026, 2, 1), date(2026, 4, 30)),
        (date(2026, 5, 1), date(2026, 7, 31)),
        (date(2026, 8, 1), date(2026, 10, 31)),
        (date(2026, 11, 1), date(2027, 1, 31)),
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"amount": 0, "unit": "week", "window_start": "2026-09-01"},
        {"amount": "dua", "unit": "week", "window_start": "2026-09-01"},
        {"amount": 2, "unit": "fortnight", "window_start": "2026-09-01"},
        {"amount": 2, "unit": "week", "window_start": ""},
        {"amount": 2, "unit": "week", "window_start": "31-31-2026"},
    ],
    ids=["zero", "not-a-number", "unknown-unit", "window-without-date", "bad-date"],
)
def test_bad_time_standard_is_refused_and_nothing_saved(client, ketua_tim, year_2026, data):
    penilaian = activity(year_2026, "penilaian")
    client.force_login(ketua_tim)

    response = client.post(reverse("program:sop_activity_edit", args=[penilaian.pk]), data)

    assert response.status_code == 200
    assert response.context["form"].errors
    penilaian.refresh_from_db()
    assert (penilaian.amount, penilaian.unit, penilaian.window_start) == (
        1,
        "month",
        date(2026, 9, 1),
    )
    assert not AuditEvent.objects.filter(action="sop_activity.update").exists()


def test_edit_form_previews_the_typed_rule_without_saving(client, ketua_tim, year_2026):
    sosialisasi = activity(year_2026, "sosialisasi")
    client.force_login(ketua_tim)

    response = client.get(
        reverse("program:sop_activity_edit", args=[sosialisasi.pk]),
        {"amount": 3, "unit": "week", "anchor_label": "Pencanangan"},
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<div id="rule-example"')
    assert response.context["rule"].example_due == date(2026, 5, 25)
    assert "25 Mei 2026" in page
    sosialisasi.refresh_from_db()
    assert sosialisasi.amount == 2


@pytest.mark.parametrize(
    "persona",
    ["tim_provinsi", "kepala", "viewer_provinsi", "admin_provinsi", "tim_rejang_lebong"],
)
def test_only_the_team_lead_may_edit_the_calendar(request, client, year_2026, persona):
    rapat = activity(year_2026, "rapat")
    client.force_login(request.getfixturevalue(persona))
    url = reverse("program:sop_activity_edit", args=[rapat.pk])

    get = client.get(url)
    post = client.post(url, {"amount": 1, "unit": "month", "window_start": "2026-01-01"})
    settings_post = client.post(
        reverse("program:sop_settings") + "?tahun=2026", {"working_days": "on", "soon_days": 3}
    )

    assert (get.status_code, post.status_code, settings_post.status_code) == (403, 403, 403)
    rapat.refresh_from_db()
    year_2026.refresh_from_db()
    assert (rapat.amount, year_2026.working_days, year_2026.soon_days) == (2, False, 7)


def test_calendar_of_another_province_cannot_be_edited(client, other_province_user, year_2026):
    rapat = activity(year_2026, "rapat")
    client.force_login(other_province_user)

    response = client.post(
        reverse("program:sop_activity_edit", args=[rapat.pk]),
        {"amount": 1, "unit": "month", "window_start": "2026-01-01"},
    )

    assert response.status_code == 404
    rapat.refresh_from_db()
    assert rapat.amount == 2


# --- the year's settings and the history ---------------------------------------------------------


def test_team_lead_switches_working_days_and_the_soon_window(client, ketua_tim, year_2026):
    client.force_login(ketua_tim)
    url = reverse("program:sop_settings") + "?tahun=2026"

    form = client.get(url)
    response = client.post(url, {"working_days": "on", "soon_days": 5})

    assert form.status_code == 200
    assert response.status_code == 302
    year_2026.refresh_from_db()
    assert (year_2026.working_days, year_2026.soon_days) == (True, 5)
    event = AuditEvent.objects.get(action="program_year.update")
    assert event.changes == {"working_days": [False, True], "soon_days": [7, 5]}


@pytest.mark.parametrize("soon_days", ["-1", "", "banyak", "91"])
def test_bad_soon_window_is_refused(client, ketua_tim, year_2026, soon_days):
    client.force_login(ketua_tim)

    response = client.post(
        reverse("program:sop_settings") + "?tahun=2026", {"soon_days": soon_days}
    )

    assert response.status_code == 200
    assert "soon_days" in response.context["form"].errors
    year_2026.refresh_from_db()
    assert year_2026.soon_days == 7
    assert not AuditEvent.objects.filter(action="program_year.update").exists()


def test_settings_of_an_unknown_year_are_not_found(client, ketua_tim, year_2026):
    client.force_login(ketua_tim)

    assert client.get(reverse("program:sop_settings") + "?tahun=2030").status_code == 404


def test_history_lists_every_calendar_change_newest_first(
    client, ketua_tim, tim_rejang_lebong, year_2026
):
    client.force_login(ketua_tim)
    client.post(reverse("program:sop_settings") + "?tahun=2026", {"soon_days": 10})
    client.post(
        reverse("program:sop_activity_edit", args=[activity(year_2026, "penilaian").pk]),
        {
            "amount": 6,
            "unit": "week",
            "anchor_label": "Pembukaan LKE",
            "window_start": "2026-09-01",
        },
    )
    client.force_login(tim_rejang_lebong)

    response = client.get(reverse("program:sop_history"), {"tahun": 2026})

    assert response.status_code == 200
    assert [(e.action, e.actor) for e in response.context["events"]] == [
        ("sop_activity.update", ketua_tim),
        ("program_year.update", ketua_tim),
        ("program_year.create", None),
    ]
    assert "Pembukaan LKE" in response.content.decode()


def test_history_of_another_province_is_not_found(client, other_province_user, year_2026):
    client.force_login(other_province_user)

    assert client.get(reverse("program:sop_history"), {"tahun": 2026}).status_code == 404
