from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.deadlines import JAKARTA
from core.limits import LONG_TEXT, MEDIUM_TEXT, SHORT_TEXT
from core.models import Office, User
from program.models import ProgramYear


class Meeting(models.Model):
    """One online meeting of the province team with the kab/kota teams (SOP activity 2).

        The state only moves forward: draft → scheduled → held → closed, or scheduled → cancelled
    (see services.TRANSITIONS).
        `period_start` is the first day of the two-month SOP period the meeting is held for."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class Platform(models.TextChoices):
        ZOOM = "zoom", "Zoom"
        GOOGLE_MEET = "google_meet", "Google Meet"
        TEAMS = "teams", "Microsoft Teams"
        OTHER = "other", _("Other platform")

    program_year = models.ForeignKey(
        ProgramYear, models.PROTECT, related_name="meetings", verbose_name=_("program year")
    )
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    link = models.URLField(_("meeting link"), max_length=500, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    invited_offices = models.ManyToManyField(
        Office, related_name="invited_meetings", verbose_name=_("invited regency/city offices")
    )
    invited_staff = models.ManyToManyField(
        User, blank=True, related_name="invited_meetings", verbose_name=_("invited province staff")
    )
    decisions = models.TextField(_("decisions"), blank=True, max_length=LONG_TEXT)
    # RFC 5545 SEQUENCE: raised with every updated invitation so calendars replace the event.
    invitation_sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    held_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    # The office's letter number of the Laporan rapat, given when the team lead closes it.
    report_number = models.CharField(_("letter number"), max_length=100, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    cancellation_reason = models.TextField(
        _("reason for cancelling"), blank=True, max_length=SHORT_TEXT
    )

    class Meta:
        ordering = ["program_year", "starts_at", "id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [models.Index(fields=["program_year", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | ~Q(link=""), name="meeting_link_once_scheduled"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "scheduled", "cancelled"])
                | Q(held_at__isnull=False),
                name="meeting_held_at_once_held",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | Q(closed_at__isnull=False),
                name="meeting_closed_at_once_closed",
            ),
            models.CheckConstraint(
                condition=~Q(state="cancelled")
                | (Q(cancelled_at__isnull=False) & ~Q(cancellation_reason="")),
                name="meeting_cancelled_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def local_start(self):
        return self.starts_at.astimezone(JAKARTA)

    @property
    def local_end(self):
        return self.ends_at.astimezone(JAKARTA)

    @property
    def is_held(self) -> bool:
        """Held or closed: the meeting took place."""
        return self.state in (self.State.HELD, self.State.CLOSED)

    @property
    def decision_list(self) -> list[str]:
        """The decisions, one per non-empty line, without list markers people type."""
        lines = (line.strip() for line in self.decisions.splitlines())
        return [line.lstrip("-•*").strip() for line in lines if line.lstrip("-•*").strip()]


class AgendaItem(models.Model):
    """A point of a meeting's agenda; its `minutes` (notulen) are written once the meeting is
    held."""

    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("agenda item"), max_length=200)
    presenter = models.CharField(_("presenter"), max_length=150, blank=True)
    allotted_minutes = models.PositiveSmallIntegerField(_("minutes allotted"))
    minutes = models.TextField(_("minutes"), blank=True, max_length=LONG_TEXT)

    class Meta:
        ordering = ["meeting", "position", "id"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [
            models.CheckConstraint(
                condition=Q(allotted_minutes__gte=1), name="agenda_item_minutes_positive"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """Whether an invited kab/kota office attended a held meeting, and who came."""

    class Status(models.TextChoices):
        HADIR = "hadir", _("Present")
        TIDAK_HADIR = "tidak_hadir", _("Absent")
        IZIN = "izin", _("Excused")

    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="attendances")
    office = models.ForeignKey(Office, models.PROTECT, related_name="meeting_attendances")
    status = models.CharField(_("attendance"), max_length=12, choices=Status.choices)
    attendees = models.TextField(_("who attended"), blank=True, max_length=MEDIUM_TEXT)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "office__code"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "office"], name="attendance_unique"),
            models.CheckConstraint(
                condition=~Q(status="hadir") | ~Q(attendees=""),
                name="attendance_present_has_names",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office.short_name}: {self.get_status_display()}"

    @property
    def attendee_list(self) -> list[str]:
        return [name.strip() for name in self.attendees.splitlines() if name.strip()]


class AttendanceConfirmation(models.Model):
    """An invited kab/kota office's answer before a scheduled meeting: it will attend (and who
    will) or asks to be excused. The province sees the answers on the meeting page, and the
    attendance form after the meeting starts from them."""

    class Status(models.TextChoices):
        HADIR = "hadir", _("Will attend")
        IZIN = "izin", _("Excused")

    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="attendance_confirmations")
    office = models.ForeignKey(Office, models.PROTECT, related_name="+")
    status = models.CharField(_("answer"), max_length=12, choices=Status.choices)
    attendees = models.TextField(_("who will attend"), blank=True, max_length=MEDIUM_TEXT)
    note = models.CharField(_("note"), max_length=300, blank=True)
    confirmed_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "office__code"]
        verbose_name = _("attendance confirmation")
        verbose_name_plural = _("attendance confirmations")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "office"], name="attendance_confirmation_unique"
            ),
            models.CheckConstraint(
                condition=~Q(status="hadir") | ~Q(attendees=""),
                name="attendance_confirmation_names",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office.short_name}: {self.get_status_display()}"

    @property
    def attendee_list(self) -> list[str]:
        return [name.strip() for name in self.attendees.splitlines() if name.strip()]


class ActionItem(models.Model):
    """A follow-up agreed in a meeting: an owner office, what to do, and by when.

    open → done (the owner marks it, with a note) → confirmed (the province accepts it); the
    province may reopen a done or confirmed item, with a reason."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done, awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")

    meeting = models.ForeignKey(Meeting, models.PROTECT, related_name="action_items")
    owner_office = models.ForeignKey(
        Office, models.PROTECT, related_name="meeting_action_items", verbose_name=_("owner")
    )
    description = models.TextField(_("description"), max_length=MEDIUM_TEXT)
    due_date = models.DateField(_("due date"))
    state = models.CharField(
        _("status"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True
    )
    done_at = models.DateTimeField(_("marked done at"), null=True, blank=True)
    done_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    done_note = models.TextField(_("completion note"), blank=True, max_length=SHORT_TEXT)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [models.Index(fields=["owner_office", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(state="open") & Q(done_at__isnull=True))
                | (Q(state__in=["done", "confirmed"]) & Q(done_at__isnull=False)),
                name="action_item_done_at_iff_done",
            ),
            models.CheckConstraint(
                condition=~Q(state="confirmed") | Q(confirmed_at__isnull=False),
                name="action_item_confirmed_at",
            ),
        ]

    def __str__(self) -> str:
        text = " ".join(self.description.split())
        return text if len(text) <= 80 else text[:79] + "…"
