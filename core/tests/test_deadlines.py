from datetime import UTC, date, datetime

import pytest

from core.deadlines import (
    JAKARTA,
    Status,
    Unit,
    add_months,
    add_standard,
    due_at,
    end_of_day,
    item_status,
)


def jakarta(*args) -> datetime:
    return datetime(*args, tzinfo=JAKARTA)


@pytest.mark.parametrize(
    ("anchor", "amount", "unit", "expected"),
    [
        (date(2026, 5, 4), 14, Unit.DAY, date(2026, 5, 18)),
        (date(2026, 5, 4), 2, Unit.WEEK, date(2026, 5, 18)),
        (date(2026, 1, 25), 2, Unit.WEEK, date(2026, 2, 8)),  # across a month end
        (date(2026, 12, 24), 2, Unit.WEEK, date(2027, 1, 7)),  # across a year end
        (date(2026, 1, 31), 1, Unit.MONTH, date(2026, 2, 28)),  # clamped to February's end
        (date(2028, 1, 31), 1, Unit.MONTH, date(2028, 2, 29)),  # leap year
        (date(2026, 9, 1), 1, Unit.MONTH, date(2026, 10, 1)),
        (date(2026, 11, 30), 2, Unit.MONTH, date(2027, 1, 30)),
    ],
)
def test_calendar_time_standards(anchor, amount, unit, expected):
    assert add_standard(anchor, amount, unit) == expected


def test_working_days_skip_weekends_and_public_holidays():
    # Thu 14 May 2026 is Ascension Day; 2 weeks = 10 working days from Wed 13 May:
    # 15, 18, 19, 20, 21, 22, 25, 26, (27 Idul Adha skipped) 28, 29 → Fri 29 May.
    assert add_standard(date(2026, 5, 13), 2, Unit.WEEK, working_days=True) == date(2026, 5, 29)
    # 14 working days from Mon 10 Aug 2026 skip Independence Day (17 Aug) and the Prophet's
    # Birthday (25 Aug): 11-14, 18-21, 24, 26-28, 31 Aug, 1 Sep.
    assert add_standard(date(2026, 8, 10), 14, Unit.DAY, working_days=True) == date(2026, 9, 1)


def test_working_day_month_that_lands_on_a_holiday_moves_to_the_next_working_day():
    # 17 July + 1 month = Mon 17 Aug 2026 (Independence Day) → Tue 18 Aug.
    assert add_standard(date(2026, 7, 17), 1, Unit.MONTH, working_days=True) == date(2026, 8, 18)
    # 31 Oct + 1 month = Mon 30 Nov (a working day) stays.
    assert add_standard(date(2026, 10, 31), 1, Unit.MONTH, working_days=True) == date(2026, 11, 30)


def test_add_months_keeps_the_day_when_it_exists():
    assert add_months(date(2026, 3, 15), 2) == date(2026, 5, 15)


def test_due_moment_is_the_end_of_the_day_in_jakarta():
    due = due_at(date(2026, 5, 4), 14, Unit.DAY)
    assert due == end_of_day(date(2026, 5, 18))
    assert due.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") == "2026-05-18 16:59:59"


DUE = end_of_day(date(2026, 5, 18))


@pytest.mark.parametrize(
    ("now", "done_at", "expected"),
    [
        (jakarta(2026, 5, 1, 9), None, Status.BELUM_JATUH_TEMPO),
        (jakarta(2026, 5, 11, 0, 0), None, Status.SEGERA),  # exactly 7 days before the end
        (jakarta(2026, 5, 18, 23, 59), None, Status.SEGERA),
        (jakarta(2026, 5, 19, 0, 0), None, Status.LEWAT),
        (jakarta(2026, 5, 30), jakarta(2026, 5, 18, 23, 0), Status.TEPAT_WAKTU),
        (jakarta(2026, 5, 30), jakarta(2026, 5, 19, 8, 0), Status.TERLAMBAT),
    ],
)
def test_status_of_an_item(now, done_at, expected):
    assert item_status(due=DUE, done_at=done_at, now=now, soon_days=7) == expected


def test_time_zone_boundary_uses_jakarta_not_utc():
    # 17:00 UTC on 18 May is already 00:00 on 19 May in Jakarta: the item is overdue.
    just_after = datetime(2026, 5, 18, 17, 0, tzinfo=UTC)
    just_before = datetime(2026, 5, 18, 16, 59, tzinfo=UTC)
    assert item_status(due=DUE, done_at=None, now=just_after) == Status.LEWAT
    assert item_status(due=DUE, done_at=None, now=just_before) == Status.SEGERA
    # Done at 23:30 Jakarta on the due day (16:30 UTC) counts as on time.
    done = datetime(2026, 5, 18, 16, 30, tzinfo=UTC)
    assert item_status(due=DUE, done_at=done, now=just_after) == Status.TEPAT_WAKTU


def test_extension_shows_dispensasi_then_judges_against_the_new_date():
    extended = end_of_day(date(2026, 5, 31))
    after_old_due = jakarta(2026, 5, 20)
    assert item_status(due=DUE, done_at=None, now=after_old_due, extended_due=extended) == (
        Status.DISPENSASI
    )
    assert (
        item_status(due=DUE, done_at=jakarta(2026, 5, 25), now=after_old_due, extended_due=extended)
        == Status.TEPAT_WAKTU
    )
    assert item_status(due=DUE, done_at=None, now=jakarta(2026, 6, 1), extended_due=extended) == (
        Status.LEWAT
    )


def test_item_without_known_anchor_is_not_yet_due():
    assert item_status(due=None, done_at=None, now=jakarta(2026, 12, 31)) == (
        Status.BELUM_JATUH_TEMPO
    )


def test_soon_window_is_configurable():
    now = jakarta(2026, 5, 8)
    assert item_status(due=DUE, done_at=None, now=now, soon_days=7) == Status.BELUM_JATUH_TEMPO
    assert item_status(due=DUE, done_at=None, now=now, soon_days=14) == Status.SEGERA
