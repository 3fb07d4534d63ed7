"""Deadline arithmetic and the status of a tracked item.

A deadline is the end of a day in Asia/Jakarta. A time standard ("14 days", "2 weeks",
"1 month") counts from an anchor date; with working days on, days and weeks count Monday–Friday
only and skip Indonesian public holidays, and a month that ends on a non-working day moves to the
next working day.

Every app that owns deadline-bound work returns its items as `TrackedItem`s; the dashboard
reads nothing else."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.db import models
from django.utils.translation import gettext_lazy as _

JAKARTA = ZoneInfo("Asia/Jakarta")


class Unit(models.TextChoices):
    DAY = "day", _("days")
    WEEK = "week", _("weeks")
    MONTH = "month", _("months")


class Status(models.TextChoices):
    BELUM_JATUH_TEMPO = "belum_jatuh_tempo", _("Not yet due")
    SEGERA = "segera", _("Due soon")
    TEPAT_WAKTU = "tepat_waktu", _("On time")
    TERLAMBAT = "terlambat", _("Late")
    LEWAT = "lewat", _("Overdue")
    DISPENSASI = "dispensasi", _("Extension granted")
    # Work whose window has not been opened yet (the LKE before the assessment is opened): not
    # expected, never overdue, nothing to remind of, whatever the calendar's date.
    BELUM_DIBUKA = "belum_dibuka", _("Not open yet")


DONE_STATUSES = frozenset({Status.TEPAT_WAKTU, Status.TERLAMBAT})


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("ID", years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_standard(anchor: date, amount: int, unit: str, *, working_days: bool = False) -> date:
    """The last day allowed by a time standard counted from `anchor` (the anchor day is day 0)."""
    if unit == Unit.MONTH:
        end = add_months(anchor, amount)
        return next_working_day(end) if working_days else end
    days = amount * (1 if unit == Unit.DAY else 5 if working_days else 7)
    if not working_days:
        return anchor + timedelta(days=days)
    day = anchor
    while days:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def end_of_day(day: date) -> datetime:
    """The last moment of `day` in Jakarta."""
    return datetime.combine(day, time.max, tzinfo=JAKARTA)


def due_at(anchor: date, amount: int, unit: str, *, working_days: bool = False) -> datetime:
    return end_of_day(add_standard(anchor, amount, unit, working_days=working_days))


def item_status(
    *,
    due: datetime | None,
    done_at: datetime | None,
    now: datetime,
    soon_days: int = 7,
    extended_due: datetime | None = None,
) -> Status:
    """One status per tracked item.

    Done items are on time or late against the (extended) due moment. Open items are overdue
    once that moment passes; before it, an item with an extension shows `dispensasi`, one due
    within `soon_days` calendar days (Jakarta) shows `segera`, anything else (and an item whose
    anchor is not known yet, `due is None`) is not yet due."""
    effective = extended_due or due
    if done_at is not None:
        if effective is None or done_at <= effective:
            return Status.TEPAT_WAKTU
        return Status.TERLAMBAT
    if effective is None:
        return Status.BELUM_JATUH_TEMPO
    if now > effective:
        return Status.LEWAT
    if extended_due is not None:
        return Status.DISPENSASI
    days_left = (effective.astimezone(JAKARTA).date() - now.astimezone(JAKARTA).date()).days
    if days_left <= soon_days:
        return Status.SEGERA
    return Status.BELUM_JATUH_TEMPO


@dataclass(frozen=True)
class TrackedItem:
    """A piece of deadline-bound work, as every owning app reports it to the dashboard.

    `activity` is the SOP activity code (program.models.SopActivity.Code) or another stable
    code of the owning app; `subject` is (content type id, object id) of the object an
    extension is granted on."""

    activity: str
    label: str
    office_id: int
    village_id: int | None
    due: datetime | None
    done_at: datetime | None
    status: Status
    extended: bool
    url: str
    subject: tuple[int, str]

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES

    @property
    def is_open_overdue(self) -> bool:
        return self.status == Status.LEWAT
