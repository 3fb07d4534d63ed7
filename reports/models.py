"""The three reports a BPS Kab/Kota sends for each village (SOP activities 3, 4 and 6).

One `Report` row per village and kind holds the current content; every submission freezes a
`ReportVersion` (fields, lists and attachments with their sha256) that is never changed again;
every decision of a reviewer is a `Review` on the version it judged."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.limits import MEDIUM_TEXT
from core.models import User
from program.models import ParticipatingVillage


class ReportKind(models.TextChoices):
    # The values are the codes of the SOP activities (program.models.SopActivity.Code).
    SOSIALISASI = "sosialisasi", _("Sosialisasi/pencanangan report")
    IDENTIFIKASI = "identifikasi", _("Identification of village needs report")
    LAPORAN_AKHIR = "laporan_akhir", _("Final coaching report")


class ReportState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")


class LastAction(models.TextChoices):
    CREATED = "created", _("Draft started")
    UPDATED = "updated", _("Draft edited")
    FILE_ADDED = "file_added", _("File uploaded")
    FILE_REMOVED = "file_removed", _("File removed")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")


class Topic(models.TextChoices):
    """The fixed topics of the needs resume (1001a/1001b), used to aggregate across villages."""

    KEPENDUDUKAN = "kependudukan", _("Population")
    KESEHATAN = "kesehatan", _("Health")
    PENDIDIKAN = "pendidikan", _("Education")
    EKONOMI = "ekonomi", _("Economy")
    KEMISKINAN = "kemiskinan", _("Poverty and social assistance")
    INFRASTRUKTUR = "infrastruktur", _("Infrastructure")
    PERTANIAN = "pertanian", _("Agriculture")
    LAINNYA = "lainnya", _("Other")


class Report(models.Model):
    """The current content of one report of one village. Fields that belong to one kind only
    stay empty for the others; `anchor_date` is the date the deadline counts from (event date,
    visit date or coaching end date). `revision` rises with every save, so an edit made on a
    stale copy is refused."""

    village = models.ForeignKey(
        ParticipatingVillage, models.PROTECT, related_name="reports", verbose_name=_("village")
    )
    kind = models.CharField(_("report"), max_length=15, choices=ReportKind.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=ReportState.choices, default=ReportState.DRAFT
    )
    anchor_date = models.DateField(_("date"), null=True, blank=True)
    # sosialisasi/pencanangan
    place = models.CharField(_("place"), max_length=200, blank=True)
    attendance_count = models.PositiveIntegerField(_("number of attendees"), null=True, blank=True)
    notable_attendees = models.TextField(_("notable attendees"), blank=True, max_length=MEDIUM_TEXT)
    charter_signed = models.BooleanField(
        _("commitment charter (piagam komitmen) signed"), null=True, blank=True
    )
    # identifikasi kebutuhan
    respondent_name = models.CharField(_("respondent's name"), max_length=150, blank=True)
    respondent_position = models.CharField(_("respondent's position"), max_length=150, blank=True)
    coaching_data_management = models.BooleanField(
        _("1002a coaching on data management"), null=True, blank=True
    )
    coaching_data_collection = models.BooleanField(
        _("1002b coaching on data collection/updating"), null=True, blank=True
    )
    coaching_data_analysis = models.BooleanField(
        _("1002c coaching on data analysis/use"), null=True, blank=True
    )
    coaching_data_presentation = models.BooleanField(
        _("1002d coaching on data presentation"), null=True, blank=True
    )
    coaching_website = models.BooleanField(
        _("1002e coaching on the website/village information system"), null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True, max_length=MEDIUM_TEXT)

    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    last_action = models.CharField(_("last action"), max_length=20, choices=LastAction.choices)
    last_action_at = models.DateTimeField(_("last action at"), default=timezone.now)
    last_action_by = models.ForeignKey(
        User, models.PROTECT, related_name="+", verbose_name=_("last action by")
    )

    class Meta:
        ordering = ["village", "kind"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["village", "kind"], name="report_one_per_village"),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(first_submitted_at__isnull=False),
                name="report_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()}: {self.village.village.name} ({self.village.program_year})"
        )

    @property
    def is_editable(self) -> bool:
        return self.state in (ReportState.DRAFT, ReportState.RETURNED)

    @property
    def shown_state(self) -> str:
        """The state to show: "not_started" for a report not saved yet."""
        return self.state if self.pk else "not_started"


class StatisticalAgent(models.Model):
    """An agen statistik appointed at the pencanangan (listed in the sosialisasi report)."""

    report = models.ForeignKey(Report, models.CASCADE, related_name="agents")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=150)
    role = models.CharField(_("position in the village"), max_length=150, blank=True)
    is_village_official = models.BooleanField(_("village official"), default=False)
    sk_number = models.CharField(_("SK number"), max_length=100, blank=True)
    sk_date = models.DateField(_("SK date"), null=True, blank=True)

    class Meta:
        ordering = ["report", "position", "id"]
        verbose_name = _("agen statistik")
        verbose_name_plural = _("agen statistik")

    def __str__(self) -> str:
        return self.name


class NeedItem(models.Model):
    """A line of the identification resume: 1001a data the village needs, or 1001b a
    statistical activity it needs help with; each under one topic of the fixed list."""

    class Section(models.TextChoices):
        DATA = "1001a", _("1001a Data needed")
        ACTIVITY = "1001b", _("1001b Statistical activities needed")

    report = models.ForeignKey(Report, models.CASCADE, related_name="needs")
    section = models.CharField(_("section"), max_length=5, choices=Section.choices)
    position = models.PositiveSmallIntegerField(default=0)
    topic = models.CharField(_("topic"), max_length=15, choices=Topic.choices)
    description = models.CharField(_("description"), max_length=300)

    class Meta:
        ordering = ["report", "section", "position", "id"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        indexes = [models.Index(fields=["section", "topic"])]

    def __str__(self) -> str:
        return f"{self.section} {self.description}"


class FrozenError(Exception):
    pass


class ReportVersion(models.Model):
    """What was submitted, frozen: `snapshot` holds the fields, lists and the attachment list
    with each file's sha256 (see reports.services.snapshot_of). Never changed: the model refuses
    updates and deletes, and a database trigger refuses UPDATE (migration 0002)."""

    report = models.ForeignKey(Report, models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        User, models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    snapshot = models.JSONField(_("content"))

    class Meta:
        ordering = ["report", "number"]
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="report_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="report_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.report} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise FrozenError("A submitted version is immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FrozenError("A submitted version is immutable.")


class Review(models.Model):
    """A reviewer's decision on one submitted version: returned (with a comment, and optional
    comments on sections shown next to them in the form) or approved. Never changed."""

    class Decision(models.TextChoices):
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved")

    report = models.ForeignKey(Report, models.PROTECT, related_name="reviews")
    version = models.ForeignKey(ReportVersion, models.PROTECT, related_name="reviews")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=MEDIUM_TEXT)
    section_comments = models.JSONField(_("comments per section"), default=dict, blank=True)
    by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["report", "at", "id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.CheckConstraint(
                condition=~Q(decision="returned") | ~Q(comment=""),
                name="review_return_needs_comment",
            ),
            models.UniqueConstraint(fields=["version"], name="review_one_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.version}: {self.get_decision_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise FrozenError("A review is immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FrozenError("A review is immutable.")


# --- what each kind holds ------------------------------------------------------------------------


class Purpose(models.TextChoices):
    """What an attachment of a report is."""

    UNDANGAN = "undangan", _("Invitation (undangan)")
    DAFTAR_HADIR = "daftar_hadir", _("Attendance list (daftar hadir)")
    NOTULEN = "notulen", _("Minutes (notulen)")
    DOKUMENTASI = "dokumentasi", _("Documentation photo")
    PIAGAM = "piagam_komitmen", _("Commitment charter (piagam komitmen)")
    SK_AGEN = "sk_agen", _("Decree appointing the agen statistik (SK)")
    KUESIONER = "kuesioner", _("Filled identification questionnaire")
    LAPORAN_FINAL = "laporan_final", _("Signed final report")
    LAINNYA = "lainnya", _("Other document")


COACHING_FIELDS = (
    "coaching_data_management",
    "coaching_data_collection",
    "coaching_data_analysis",
    "coaching_data_presentation",
    "coaching_website",
)

# The report's own fields per kind, in the order they are shown and frozen.
KIND_FIELDS = {
    ReportKind.SOSIALISASI: (
        "anchor_date",
        "place",
        "attendance_count",
        "notable_attendees",
        "charter_signed",
        "notes",
    ),
    ReportKind.IDENTIFIKASI: (
        "anchor_date",
        "respondent_name",
        "respondent_position",
        *COACHING_FIELDS,
        "notes",
    ),
    ReportKind.LAPORAN_AKHIR: ("anchor_date", "notes"),
}

ANCHOR_LABELS = {
    ReportKind.SOSIALISASI: _("Date of the sosialisasi/pencanangan"),
    ReportKind.IDENTIFIKASI: _("Date of the identification visit"),
    ReportKind.LAPORAN_AKHIR: _("Date coaching ended"),
}

PURPOSES = {
    ReportKind.SOSIALISASI: (
        Purpose.UNDANGAN,
        Purpose.DAFTAR_HADIR,
        Purpose.NOTULEN,
        Purpose.DOKUMENTASI,
        Purpose.PIAGAM,
        Purpose.SK_AGEN,
        Purpose.LAINNYA,
    ),
    ReportKind.IDENTIFIKASI: (Purpose.KUESIONER, Purpose.DOKUMENTASI, Purpose.LAINNYA),
    ReportKind.LAPORAN_AKHIR: (Purpose.LAPORAN_FINAL, Purpose.DOKUMENTASI, Purpose.LAINNYA),
}

REQUIRED_PURPOSES = {
    ReportKind.SOSIALISASI: (
        Purpose.UNDANGAN,
        Purpose.DAFTAR_HADIR,
        Purpose.NOTULEN,
        Purpose.DOKUMENTASI,
    ),
    ReportKind.IDENTIFIKASI: (Purpose.KUESIONER,),
    ReportKind.LAPORAN_AKHIR: (Purpose.LAPORAN_FINAL,),
}

# The parts of each report a reviewer may comment on, shown next to that part in the form.
SECTIONS = {
    ReportKind.SOSIALISASI: (
        ("event", _("The event")),
        ("agents", _("Agen statistik")),
        ("attachments", _("Attachments")),
    ),
    ReportKind.IDENTIFIKASI: (
        ("visit", _("Visit and respondent")),
        ("needs", _("Needs resume (1001a/1001b)")),
        ("coaching", _("Coaching needed (1002a–e)")),
        ("attachments", _("Attachments")),
    ),
    ReportKind.LAPORAN_AKHIR: (
        ("report", _("Final report")),
        ("attachments", _("Attachments")),
    ),
}


def field_label(kind: str, name: str) -> str:
    if name == "anchor_date":
        return str(ANCHOR_LABELS[kind])
    return str(Report._meta.get_field(name).verbose_name)


# Which fields each commentable section shows (attachments and lists are shown by the pages).
SECTION_FIELDS = {
    ReportKind.SOSIALISASI: {
        "event": (
            "anchor_date",
            "place",
            "attendance_count",
            "notable_attendees",
            "charter_signed",
            "notes",
        ),
        "agents": (),
        "attachments": (),
    },
    ReportKind.IDENTIFIKASI: {
        "visit": ("anchor_date", "respondent_name", "respondent_position", "notes"),
        "needs": (),
        "coaching": COACHING_FIELDS,
        "attachments": (),
    },
    ReportKind.LAPORAN_AKHIR: {"report": ("anchor_date", "notes"), "attachments": ()},
}
