"""What the meetings app gives the monitoring dashboard: tracked items (the two-month meeting
cadence and the action items) with their statuses under a frozen clock, the cadence and
attendance panel, the evidence documents for the LKE, the home page panel."""

from datetime import date, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_user
from core.deadlines import JAKARTA, Status, end_of_day
from core.models import Office, Role
from core.services import grant_extension
from meetings import queries, services
from meetings.models import ActionItem, Attendance, Meeting
from meetings.services import AttendanceEntry
from program.models import SopActivity

S = Status


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=JAKARTA)


@pytest.fixture
def rapat(year_2026) -> SopActivity:
    return year_2026.sop_activities.get(code="rapat")


def statuses(items) -> list[str]:
    return [item.status.value for item in items]


def test_one_rapat_item_per_two_month_period_with_its_status(
    make_meeting, year_2026, province, frozen
):
    make_meeting(Meeting.State.HELD, starts_at=at(2, 20), period_start=date(2026, 1, 1))
    # the March–April meeting took place late, on 5 May, but for its own period
    make_meeting(Meeting.State.HELD, starts_at=at(5, 5), period_start=date(2026, 3, 1))
    make_meeting(Meeting.State.SCHEDULED, starts_at=at(5, 25), period_start=date(2026, 5, 1))
    make_meeting(starts_at=at(7, 10), period_start=date(2026, 7, 1))  # a draft counts for nothing

    items = [i for i in queries.tracked_items(year_2026, {province.pk}) if i.activity == "rapat"]

    assert [(i.label, i.due, i.done_at) for i in items] == [
        ("Rapat Januari–Februari 2026", end_of_day(date(2026, 2, 28)), at(2, 20)),
        ("Rapat Maret–April 2026", end_of_day(date(2026, 4, 30)), at(5, 5)),
        ("Rapat Mei–Juni 2026", end_of_day(date(2026, 6, 30)), None),
        ("Rapat Juli–Agustus 2026", end_of_day(date(2026, 8, 31)), None),
        ("Rapat September–Oktober 2026", end_of_day(date(2026, 10, 31)), None),
        ("Rapat November–Desember 2026", end_of_day(date(2026, 12, 31)), None),
    ]
    assert statuses(items) == [S.TEPAT_WAKTU, S.TERLAMBAT] + [S.BELUM_JATUH_TEMPO] * 4
    assert {(i.office_id, i.village_id) for i in items} == {(province.pk, None)}


def test_a_period_without_a_held_meeting_becomes_overdue_then_due_soon_before(
    make_meeting, year_2026, province, frozen
):
    make_meeting(Meeting.State.SCHEDULED, starts_at=at(6, 29), period_start=date(2026, 5, 1))

    overdue = queries.tracked_items(year_2026, {province.pk})
    frozen.move_to(at(6, 25, 12))
    soon = queries.tracked_items(year_2026, {province.pk})

    assert statuses(overdue)[:3] == [S.LEWAT, S.LEWAT, S.BELUM_JATUH_TEMPO]
    assert statuses(soon)[:3] == [S.LEWAT, S.LEWAT, S.SEGERA]


def test_period_items_name_the_years_rapat_activity_as_subject_and_link_the_meeting(
    make_meeting, year_2026, province, rapat
):
    meeting = make_meeting(Meeting.State.HELD)

    items = queries.tracked_items(year_2026, {province.pk})

    subject = (ContentType.objects.get_for_model(SopActivity).pk, str(rapat.pk))
    assert {i.subject for i in items} == {subject}
    assert [i.url for i in items[1:3]] == [
        "/rapat/?tahun=2026#periode-2",
        f"/rapat/{meeting.pk}/",
    ]
    assert not any(i.extended for i in items)


def test_action_items_are_tracked_for_their_owner_with_statuses_under_a_frozen_clock(
    make_meeting, year_2026, ketua_tim, tim_rejang_lebong, tim_kaur, rejang_lebong, kaur, frozen
):
    frozen.move_to(at(4, 20, 12))
    meeting = make_meeting(Meeting.State.HELD, starts_at=at(4, 20), period_start=date(2026, 3, 1))

    def add(owner, text, due):
        return services.add_action_item(
            meeting, owner_office=owner, description=text, due_date=due, by=ketua_tim
        )

    overdue = add(rejang_lebong, "Lewat", date(2026, 5, 10))
    soon = add(rejang_lebong, "Segera", date(2026, 5, 20))
    later = add(kaur, "Nanti", date(2026, 6, 30))
    on_time = add(kaur, "Tepat", date(2026, 5, 15))
    late = add(rejang_lebong, "Terlambat", date(2026, 5, 1))
    extended = add(kaur, "Dispensasi", date(2026, 5, 12))
    frozen.move_to(at(5, 14, 16))
    services.mark_action_item_done(on_time, note="Sudah", by=tim_kaur)
    frozen.move_to(at(5, 17, 16))
    services.mark_action_item_done(late, note="Sudah", by=tim_rejang_lebong)
    grant_extension(extended, office=kaur, until=date(2026, 5, 29), reason="Banjir", by=ketua_tim)
    frozen.move_to(at(5, 18, 12))

    items = [
        i
        for i in queries.tracked_items(year_2026, {rejang_lebong.pk, kaur.pk})
        if i.activity == "tindak_lanjut"
    ]

    by_label = {i.label.split(": ", 1)[1]: i for i in items}
    assert {name: (i.status.value, i.office_id) for name, i in by_label.items()} == {
        "Lewat": (S.LEWAT, rejang_lebong.pk),
        "Segera": (S.SEGERA, rejang_lebong.pk),
        "Nanti": (S.BELUM_JATUH_TEMPO, kaur.pk),
        "Tepat": (S.TEPAT_WAKTU, kaur.pk),
        "Terlambat": (S.TERLAMBAT, rejang_lebong.pk),
        "Dispensasi": (S.DISPENSASI, kaur.pk),
    }
    assert by_label["Dispensasi"].extended is True
    assert by_label["Lewat"].url == f"/rapat/tindak-lanjut/{overdue.pk}/"
    assert by_label["Lewat"].subject == (
        ContentType.objects.get_for_model(ActionItem).pk,
        str(overdue.pk),
    )
    assert by_label["Tepat"].done_at == at(5, 14, 16)
    assert not [i for i in items if i.activity == "rapat"]  # province not asked for
    assert {soon.pk, later.pk}  # created above, statuses checked by label


def test_a_reopened_item_counts_as_open_again(
    make_meeting, year_2026, ketua_tim, tim_rejang_lebong, rejang_lebong
):
    meeting = make_meeting(Meeting.State.HELD)
    item = services.add_action_item(
        meeting,
        owner_office=rejang_lebong,
        description="Kirim data",
        due_date=date(2026, 6, 30),
        by=ketua_tim,
    )
    services.mark_action_item_done(item, note="Sudah", by=tim_rejang_lebong)
    services.reopen_action_item(item, reason="Belum lengkap", by=ketua_tim)

    (tracked,) = queries.tracked_items(year_2026, {rejang_lebong.pk})

    assert (tracked.status, tracked.done_at, tracked.is_done) == (S.BELUM_JATUH_TEMPO, None, False)


def test_tracked_items_take_a_constant_number_of_queries(
    make_meeting, year_2026, ketua_tim, province, rejang_lebong, kaur
):
    offices = {province.pk, rejang_lebong.pk, kaur.pk}

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            queries.tracked_items(year_2026, offices)
            queries.cadence(year_2026, offices)
        return len(context.captured_queries)

    meeting = make_meeting(Meeting.State.HELD)
    services.add_action_item(
        meeting, owner_office=kaur, description="A", due_date=date(2026, 6, 1), by=ketua_tim
    )
    small = count()
    for month in (1, 3):
        other = make_meeting(
            Meeting.State.HELD, starts_at=at(month + 1, 10), period_start=date(2026, month, 1)
        )
        for n in range(5):
            services.add_action_item(
                other,
                owner_office=rejang_lebong if n % 2 else kaur,
                description=f"Tindak lanjut {n}",
                due_date=date(2026, 6, 1) + timedelta(days=n),
                by=ketua_tim,
            )
    large = count()

    assert large == small
    assert small <= 14  # 5-6 for tracked_items, 8 for cadence


# --- the cadence panel -------------------------------------------------------------------------


def test_cadence_gives_attendance_rate_and_open_items_per_kabkota(
    make_meeting, year_2026, ketua_tim, tim_rejang_lebong, rejang_lebong, kaur, frozen
):
    first = make_meeting(Meeting.State.CLOSED, starts_at=at(2, 20), period_start=date(2026, 1, 1))
    second = make_meeting(Meeting.State.HELD, starts_at=at(4, 21), period_start=date(2026, 3, 1))
    services.record_attendance(
        second,
        entries=[
            AttendanceEntry(rejang_lebong, Attendance.Status.HADIR, "Andi"),
            AttendanceEntry(kaur, Attendance.Status.TIDAK_HADIR),
        ],
        by=ketua_tim,
    )
    make_meeting(Meeting.State.SCHEDULED, starts_at=at(5, 28))  # not held: not counted
    for due in (date(2026, 5, 1), date(2026, 6, 1)):
        services.add_action_item(
            second, owner_office=kaur, description="Kirim SK", due_date=due, by=ketua_tim
        )
    done = services.add_action_item(
        second, owner_office=rejang_lebong, description="X", due_date=date(2026, 6, 1), by=ketua_tim
    )
    services.mark_action_item_done(done, note="ok", by=tim_rejang_lebong)
    bengkulu_selatan = Office.objects.get(code="1701")

    result = queries.cadence(year_2026, {rejang_lebong.pk, kaur.pk, bengkulu_selatan.pk})

    rows = {
        r.office.short_name: (r.invited, r.present, r.excused, r.absent, r.rate, r.open_items)
        for r in result.offices
    }
    assert rows == {
        "Bengkulu Selatan": (0, 0, 0, 0, None, 0),
        "Rejang Lebong": (2, 2, 0, 0, 100.0, 0),
        "Kaur": (2, 0, 1, 1, 0.0, 2),
    }
    assert {r.office.short_name: r.overdue_items for r in result.offices}["Kaur"] == 1
    assert [p.held for p in result.periods] == [True, True, False, False, False, False]
    assert [m.pk for m in result.periods[0].meetings] == [first.pk]
    assert result.held_count == 2


def test_meeting_list_counts_attendance_and_open_items(
    make_meeting, year_2026, ketua_tim, tim_rejang_lebong, rejang_lebong
):
    closed = make_meeting(Meeting.State.CLOSED)
    services.add_action_item(
        closed,
        owner_office=rejang_lebong,
        description="Koreksi",
        due_date=date(2026, 6, 1),
        by=ketua_tim,
        reason="Terlewat",
    )
    draft = make_meeting()

    for_province = list(queries.meeting_list(ketua_tim, year_2026))
    for_kabkota = list(queries.meeting_list(tim_rejang_lebong, year_2026))

    assert [
        (m.pk, m.invited_count, m.present_count, m.recorded_count, m.open_items)
        for m in for_province
    ] == [(closed.pk, 2, 1, 2, 1), (draft.pk, 2, 0, 0, 0)]
    assert [m.pk for m in for_kabkota] == [closed.pk]  # drafts stay with the province


# --- visibility, evidence and the home panel ---------------------------------------------------


def test_kabkota_users_see_only_scheduled_meetings_their_office_is_invited_to(
    make_meeting, tim_rejang_lebong, tim_kaur, viewer_provinsi, rejang_lebong
):
    both = make_meeting(Meeting.State.SCHEDULED)
    only_rl = make_meeting(Meeting.State.SCHEDULED, invited_offices=[rejang_lebong])
    draft = make_meeting()
    bengkulu_selatan_team = make_user("tim_bs", "1701", Role.TIM_KABKOTA)

    def seen(user):
        return sorted(queries.meetings_visible_to(user).values_list("pk", flat=True))

    assert seen(tim_rejang_lebong) == [both.pk, only_rl.pk]
    assert seen(tim_kaur) == [both.pk]
    assert seen(bengkulu_selatan_team) == []
    assert seen(viewer_provinsi) == sorted([both.pk, only_rl.pk, draft.pk])


def test_evidence_documents_list_closed_meetings_the_user_may_see(
    make_meeting, year_2026, tim_rejang_lebong, rejang_lebong, kaur
):
    closed = make_meeting(Meeting.State.CLOSED)
    make_meeting(Meeting.State.HELD, starts_at=at(5, 18, 10))
    tim_bs = make_user("tim_bs", "1701", Role.TIM_KABKOTA)

    documents = queries.evidence_documents(tim_rejang_lebong, year_2026)

    assert [(d.meeting_id, d.kind, d.url, d.held_on) for d in documents] == [
        (closed.pk, "laporan_rapat", f"/rapat/{closed.pk}/laporan-rapat.pdf", date(2026, 5, 18)),
        (closed.pk, "daftar_hadir", f"/rapat/{closed.pk}/daftar-hadir.pdf", date(2026, 5, 18)),
    ]
    assert [d.label for d in documents] == ["Laporan rapat", "Daftar hadir rapat"]
    assert queries.evidence_documents(tim_bs, year_2026) == []


def test_home_panel_shows_upcoming_invitations_and_own_open_action_items(
    make_meeting, ketua_tim, tim_rejang_lebong, tim_kaur, rejang_lebong, kaur
):
    upcoming = make_meeting(Meeting.State.SCHEDULED, starts_at=at(5, 25))
    held = make_meeting(Meeting.State.HELD)
    own = services.add_action_item(
        held, owner_office=rejang_lebong, description="A", due_date=date(2026, 6, 1), by=ketua_tim
    )
    services.add_action_item(
        held, owner_office=kaur, description="B", due_date=date(2026, 6, 1), by=ketua_tim
    )

    panel = queries.home_panel(tim_rejang_lebong)
    province_panel = queries.home_panel(ketua_tim)

    assert [m.pk for m in panel.upcoming] == [upcoming.pk]
    assert ([i.pk for i in panel.action_items], panel.to_confirm) == ([own.pk], False)
    services.mark_action_item_done(own, note="ok", by=tim_rejang_lebong)
    assert [i.pk for i in queries.home_panel(ketua_tim).action_items] == [own.pk]
    assert province_panel.to_confirm is True
    assert queries.home_panel(tim_kaur).upcoming == [upcoming]


def test_the_home_panel_tag_renders_for_a_kabkota_team(
    rf, make_meeting, ketua_tim, tim_rejang_lebong, rejang_lebong
):
    from django.template import Context, Template

    upcoming = make_meeting(Meeting.State.SCHEDULED, starts_at=at(5, 25))
    held = make_meeting(Meeting.State.HELD)
    item = services.add_action_item(
        held,
        owner_office=rejang_lebong,
        description="Unggah SK agen statistik",
        due_date=date(2026, 5, 20),
        by=ketua_tim,
    )
    request = rf.get("/")
    request.user = tim_rejang_lebong

    html = Template("{% load meetings_panel %}{% meetings_panel %}").render(
        Context({"request": request})
    )

    assert f'href="/rapat/{upcoming.pk}/"' in html
    assert "Senin, 25 Mei 2026 · 09.00 WIB · Zoom" in html
    assert f'href="/rapat/tindak-lanjut/{item.pk}/"' in html
    assert "Tindak lanjut kantor Anda" in html
    assert "Segera" in html  # due in two days
