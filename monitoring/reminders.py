"""Deadline reminders, escalations and the weekly digest (`manage.py send_reminders`).

For every open tracked item of the current and the previous program year (every provider's, as
the dashboard sees them): one reminder `reminder_days` working days before the due date (N per
program year), one on the due date, and once it is overdue one escalation to the province's
ketua tim and the office's head. Once a week the ketua tim of each province gets a digest of
every office's overdue items. Nothing for an item that is done, under dispensasi or not open yet
(the LKE before the assessment is opened).

Each reminder is a `core.ReminderRecord` (unique per item key and kind) inserted in the same
transaction as its outbox mails, before anything is sent: when two runs meet (twice a day, or
on two servers at once) the second insert waits for the first and then fails on the unique
key, so every reminder goes out once."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.deadlines import JAKARTA, Status, TrackedItem, is_working_day
from core.mail import in_mail_language, notify
from core.models import Membership, NotificationKind, Office, ReminderRecord, Role
from core.permissions import PROVINCE_TEAM
from program.models import ProgramYear

from .queries import tracked_items

BEFORE, DUE, ESCALATION, DIGEST = "before", "due", "escalation", "digest"


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


def _claim(key: str, kind: str) -> bool:
    try:
        with transaction.atomic():
            ReminderRecord.objects.create(key=key, kind=kind)
    except IntegrityError:
        return False
    return True


class _People:
    """Who acts on and who answers for each office's work, read once per province."""

    def __init__(self, province: Office, offices: list[Office]):
        self.offices = {o.pk: o for o in offices}
        self.province = province
        members = defaultdict(list)
        rows = Membership.objects.filter(
            office_id__in=self.offices,
            role__in=[*PROVINCE_TEAM, Role.TIM_KABKOTA, Role.PIMPINAN_KABKOTA],
            user__is_active=True,
        ).select_related("user")
        for m in rows:
            members[(m.office_id, m.role)].append(m.user)
        self.members = members

    def actors(self, office_id: int) -> list:
        if office_id == self.province.pk:
            return [u for role in PROVINCE_TEAM for u in self.members[(office_id, role)]]
        return self.members[(office_id, Role.TIM_KABKOTA)]

    def answerable(self, office_id: int) -> list:
        head = Role.KETUA_TIM if office_id == self.province.pk else Role.PIMPINAN_KABKOTA
        return [*self.members[(self.province.pk, Role.KETUA_TIM)], *self.members[(office_id, head)]]

    @property
    def ketua_tim(self) -> list:
        return self.members[(self.province.pk, Role.KETUA_TIM)]


def _queue(kind: str, item: TrackedItem, office: Office, staff: _People) -> int:
    facts = {
        "item": item.label,
        "office": office.short_name,
        "due": date_format(item.due.astimezone(JAKARTA).date(), "j F Y"),
    }
    if kind == BEFORE:
        users, notice = staff.actors(office.pk), NotificationKind.REMINDER
        subject = _("Reminder: %(item)s is due on %(due)s") % facts
        message = _("%(item)s (%(office)s) is due on %(due)s and is not done yet.") % facts
    elif kind == DUE:
        users, notice = staff.actors(office.pk), NotificationKind.REMINDER
        subject = _("Due today: %(item)s") % facts
        message = _("Today, %(due)s, is the deadline of %(item)s (%(office)s).") % facts
    else:
        users = [*staff.actors(office.pk), *staff.answerable(office.pk)]
        notice = NotificationKind.ESCALATION
        subject = _("Overdue: %(item)s (%(office)s)") % facts
        message = (
            _(
                "%(item)s of %(office)s was due on %(due)s and is still not done. This message "
                "also goes to the province team lead and the head of the office."
            )
            % facts
        )
    return len(notify(users, kind=notice, subject=subject, message=message, link=item.url))


def _digest(program_year: ProgramYear, overdue: list[TrackedItem], staff: _People) -> int:
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
    return len(
        notify(
            staff.ketua_tim,
            kind=NotificationKind.DIGEST,
            subject=_("Weekly digest: %(n)s overdue items, %(year)s")
            % {"n": len(overdue), "year": program_year.year},
            message=_("The overdue work of every office of the province, oldest deadline first:"),
            details="\n".join(lines),
            link=reverse("monitoring:dashboard") + f"?tahun={program_year.year}",
        )
    )


def send_reminders(*, now: datetime | None = None) -> ReminderRun:
    """Queue today's reminders, escalations and (once per ISO week) the digests. Safe to run
    any number of times and on several servers at once (see the module's docstring)."""
    now = now or timezone.now()
    today = now.astimezone(JAKARTA).date()
    run = ReminderRun()
    years = ProgramYear.objects.filter(year__in=[today.year - 1, today.year]).select_related(
        "province"
    )
    iso = today.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    with in_mail_language():
        for program_year in years:
            province = program_year.province
            offices = list(Office.objects.filter(Q(pk=province.pk) | Q(parent_id=province.pk)))
            items = tracked_items(program_year, [o.pk for o in offices], now=now)
            due = []
            for item in items:
                kind = reminder_kind(item, today=today, reminder_days=program_year.reminder_days)
                if kind:
                    due.append((item_key(item), kind, item))
            known = _known(due)
            staff = _People(province, offices)
            office_of = {o.pk: o for o in offices}
            for key, kind, item in due:
                if (key, kind) in known:
                    continue
                with transaction.atomic():
                    if not _claim(key, kind):
                        run.skipped += 1
                        continue
                    run.mails += _queue(kind, item, office_of[item.office_id], staff)
                run.by_kind[kind] += 1
                if kind == ESCALATION:
                    run.escalations += 1
                else:
                    run.reminders += 1
            overdue = [i for i in items if i.status == Status.LEWAT]
            if overdue:
                with transaction.atomic():
                    if _claim(f"{program_year.pk}:{week}", DIGEST):
                        run.mails += _digest(program_year, overdue, staff)
                        run.digests += 1
    return run


def _known(due: list[tuple[str, str, TrackedItem]]) -> set[tuple[str, str]]:
    """The (key, kind) pairs among `due` already recorded, in chunks of 500 keys."""
    keys = sorted({key for key, _kind, _item in due})
    known = set()
    for start in range(0, len(keys), 500):
        known.update(
            ReminderRecord.objects.filter(key__in=keys[start : start + 500]).values_list(
                "key", "kind"
            )
        )
    return known
