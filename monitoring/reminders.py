"""Deadline reminders, escalations and the weekly digest (`manage.py send_reminders`).

For every open tracked item of the current and the previous program year (every provider's, as
the dashboard sees them): one reminder `reminder_days` working days before the due date (N per
program year), one on the due date, and once it is overdue one escalation to the province's
ketua tim and the office's head. Once a week the ketua tim of each province gets a digest of
every office's overdue items. Nothing for an item that is done, under dispensasi or not open yet
(the LKE before the assessment is opened).

Each reminder is a `core.ReminderRecord` (unique per item key and kind) inserted in the same
transaction as its outbox mails, before anything is sent. A run works in bulk, one transaction
per program year (one province's year): it inserts the records of everything due in one
statement that skips the existing ones (ON CONFLICT DO NOTHING / INSERT OR IGNORE), each
stamped with the run's own claim token, reads back by that token which records it inserted,
and queues the mails of those only. When two runs meet (twice a day, or on two servers at
once) the second one's insert waits for the first's transaction and then skips its records,
so every reminder goes out once; records are inserted in key order, so two runs never wait on
each other in a circle.

The queries are a constant number per run (the items of every province, read once per
calendar year, and the staff) plus a constant number per program year with something new to
send (per 500 records or mails), whatever the number of items and offices."""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.deadlines import JAKARTA, Status, TrackedItem, is_working_day
from core.mail import Notice, in_mail_language, notify_all
from core.models import Membership, NotificationKind, Office, ReminderRecord, Role
from core.permissions import PROVINCE_TEAM
from program.models import ProgramYear

from .queries import tracked_items

BEFORE, DUE, ESCALATION, DIGEST = "before", "due", "escalation", "digest"


@lru_cache(maxsize=4096)
def working_days_before(day: date, count: int) -> date:
    """The working day `count` working days before `day` (Monday–Friday, no public holiday)."""
    while count:
        day -= timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def item_key(item: TrackedItem) -> str:
    """Stable per tracked item and deadline: a deadline moved later is a new one to remind of."""
    due = item.due.astimezone(JAKARTA).date().isoformat() if item.due else "-"
    subject = f"{item.subject[0]}.{item.subject[1]}"
    return f"{item.activity}:{subject}:{item.office_id}:{item.village_id or 0}:{due}"[:200]


def reminder_kind(item: TrackedItem, *, today: date, reminder_days: int) -> str | None:
    """Which reminder an item is due for today, if any."""
    if item.is_done or item.due is None or item.status in (Status.DISPENSASI, Status.BELUM_DIBUKA):
        return None
    if item.status == Status.LEWAT:
        return ESCALATION
    if item.extended:  # an extension in force: its new date is the office's own to keep
        return None
    due_day = item.due.astimezone(JAKARTA).date()
    if today == due_day:
        return DUE
    if working_days_before(due_day, reminder_days) <= today < due_day:
        return BEFORE
    return None


@dataclass
class ReminderRun:
    reminders: int = 0
    escalations: int = 0
    digests: int = 0
    mails: int = 0
    skipped: int = 0  # already sent by an earlier or a concurrent run
    by_kind: dict = field(default_factory=lambda: defaultdict(int))


class _Staff:
    """Who acts on and who answers for each office's work, read once for every office."""

    def __init__(self, offices: list[Office]):
        self.offices = {o.pk: o for o in offices}
        members = defaultdict(list)
        rows = Membership.objects.filter(
            office_id__in=list(self.offices),
            role__in=[*PROVINCE_TEAM, Role.TIM_KABKOTA, Role.PIMPINAN_KABKOTA],
            user__is_active=True,
        ).select_related("user")
        for m in rows:
            members[(m.office_id, m.role)].append(m.user)
        self.members = members

    def actors(self, office: Office) -> list:
        if office.is_province:
            return [u for role in PROVINCE_TEAM for u in self.members[(office.pk, role)]]
        return self.members[(office.pk, Role.TIM_KABKOTA)]

    def answerable(self, office: Office) -> list:
        head = Role.KETUA_TIM if office.is_province else Role.PIMPINAN_KABKOTA
        return [*self.ketua_tim(office.province_id), *self.members[(office.pk, head)]]

    def ketua_tim(self, province_id: int) -> list:
        return self.members[(province_id, Role.KETUA_TIM)]


def _notice(kind: str, item: TrackedItem, office: Office, staff: _Staff) -> Notice:
    facts = {
        "item": item.label,
        "office": office.short_name,
        "due": date_format(item.due.astimezone(JAKARTA).date(), "j F Y"),
    }
    if kind == BEFORE:
        users, notice = staff.actors(office), NotificationKind.REMINDER
        subject = _("Reminder: %(item)s is due on %(due)s") % facts
        message = _("%(item)s (%(office)s) is due on %(due)s and is not done yet.") % facts
    elif kind == DUE:
        users, notice = staff.actors(office), NotificationKind.REMINDER
        subject = _("Due today: %(item)s") % facts
        message = _("Today, %(due)s, is the deadline of %(item)s (%(office)s).") % facts
    else:
        users = [*staff.actors(office), *staff.answerable(office)]
        notice = NotificationKind.ESCALATION
        subject = _("Overdue: %(item)s (%(office)s)") % facts
        message = (
            _(
                "%(item)s of %(office)s was due on %(due)s and is still not done. This message "
                "also goes to the province team lead and the head of the office."
            )
            % facts
        )
    return Notice(users, notice, subject, message, item.url)


def _digest(program_year: ProgramYear, overdue: list[TrackedItem], staff: _Staff) -> Notice:
    by_office = defaultdict(list)
    for item in overdue:
        by_office[item.office_id].append(item)
    lines = []
    for office_id in sorted(by_office, key=lambda pk: staff.offices[pk].code):
        items = sorted(by_office[office_id], key=lambda i: i.due)
        lines.append(f"{staff.offices[office_id].short_name} ({len(items)}):")
        lines += [
            f"  - {i.label}, {date_format(i.due.astimezone(JAKARTA).date(), 'j F Y')}"
            for i in items
        ]
    return Notice(
        staff.ketua_tim(program_year.province_id),
        NotificationKind.DIGEST,
        _("Weekly digest: %(n)s overdue items, %(year)s")
        % {"n": len(overdue), "year": program_year.year},
        _("The overdue work of every office of the province, oldest deadline first:"),
        reverse("monitoring:dashboard") + f"?tahun={program_year.year}",
        details="\n".join(lines),
    )


CHUNK = 500  # keys per query: well under every database's limit of parameters


def _chunks(keys: list[str]):
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def _known(pairs) -> set[tuple[str, str]]:
    """The (key, kind) pairs among `pairs` already recorded."""
    keys = sorted({key for key, _kind in pairs})
    known = set()
    for chunk in _chunks(keys):
        known.update(ReminderRecord.objects.filter(key__in=chunk).values_list("key", "kind"))
    return known & set(pairs)


def _claim(pairs) -> set[tuple[str, str]]:
    """Record every (key, kind) of `pairs` that no run has recorded, in key order, and return
    those this call recorded. Call it inside the transaction that queues their mails: a
    concurrent run's insert of the same records waits for that transaction, then skips them."""
    token = uuid.uuid4()
    pairs = sorted(set(pairs))
    ReminderRecord.objects.bulk_create(
        [ReminderRecord(key=key, kind=kind, claim=token) for key, kind in pairs],
        batch_size=CHUNK,
        ignore_conflicts=True,
    )
    mine = set()
    for chunk in _chunks(sorted({key for key, _kind in pairs})):
        mine.update(
            ReminderRecord.objects.filter(claim=token, key__in=chunk).values_list("key", "kind")
        )
    return mine


def _remind(
    program_year: ProgramYear,
    items: list[TrackedItem],
    staff: _Staff,
    run: ReminderRun,
    *,
    today: date,
    week: str,
) -> None:
    """Today's reminders, escalations and digest of one program year (one province's)."""
    due: dict[tuple[str, str], TrackedItem] = {}
    for item in items:
        kind = reminder_kind(item, today=today, reminder_days=program_year.reminder_days)
        if kind:
            if (item_key(item), kind) in due:
                run.skipped += 1  # two items under one key: the first one's reminder counts
                continue
            due[(item_key(item), kind)] = item
    overdue = [i for i in items if i.status == Status.LEWAT]
    digest = (f"{program_year.pk}:{week}", DIGEST) if overdue else None
    wanted = [*due, *([digest] if digest else [])]
    known = _known(wanted) if wanted else set()
    fresh = [pair for pair in wanted if pair not in known]
    if not fresh:
        return
    with transaction.atomic():
        mine = _claim(fresh)
        notices = []
        for pair, item in due.items():
            if pair in known:
                continue
            if pair not in mine:
                run.skipped += 1
                continue
            kind = pair[1]
            notices.append(_notice(kind, item, staff.offices[item.office_id], staff))
            run.by_kind[kind] += 1
            if kind == ESCALATION:
                run.escalations += 1
            else:
                run.reminders += 1
        if digest in mine:
            notices.append(_digest(program_year, overdue, staff))
            run.digests += 1
        run.mails += len(notify_all(notices))


def send_reminders(*, now: datetime | None = None) -> ReminderRun:
    """Queue today's reminders, escalations and (once per ISO week) the digests. Safe to run
    any number of times and on several servers at once (see the module's docstring)."""
    now = now or timezone.now()
    today = now.astimezone(JAKARTA).date()
    run = ReminderRun()
    years = list(
        ProgramYear.objects.filter(year__in=[today.year - 1, today.year])
        .select_related("province")
        .order_by("year", "province__code")
    )
    if not years:
        return run
    provinces = {y.province_id for y in years}
    offices = list(Office.objects.filter(Q(pk__in=provinces) | Q(parent_id__in=provinces)))
    staff = _Staff(offices)
    iso = today.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    with in_mail_language():
        for calendar_year in sorted({y.year for y in years}):
            # One program year per province: every province's items of the calendar year in
            # one call (each item by its own province's year and calendar).
            group = [y for y in years if y.year == calendar_year]
            ids = {y.province_id for y in group}
            of_province = defaultdict(list)
            office_ids = [o.pk for o in offices if o.province_id in ids]
            for item in tracked_items(group, office_ids, now=now):
                of_province[staff.offices[item.office_id].province_id].append(item)
            for program_year in group:
                items = of_province[program_year.province_id]
                _remind(program_year, items, staff, run, today=today, week=week)
    return run
