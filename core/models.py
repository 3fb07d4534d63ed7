from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .history import action_label, key_label, value_label
from .limits import SHORT_TEXT


class Region(models.Model):
    """A row of the Kemendagri region master: province, kab/kota, kecamatan or desa/kelurahan.

    Codes are dotted as in the public master ("17", "17.01", "17.01.04", "17.01.04.2021"); the
    level follows from the number of segments. A desa code whose last segment starts with 1 is a
    kelurahan, with 2 a desa."""

    class Level(models.TextChoices):
        PROVINSI = "provinsi", _("Province")
        KABKOTA = "kabkota", _("Regency/City")
        KECAMATAN = "kecamatan", _("District")
        DESA = "desa", _("Village")

    code = models.CharField(_("code"), max_length=13, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=Q(level="provinsi", parent__isnull=True)
                | (~Q(level="provinsi") & Q(parent__isnull=False)),
                name="region_parent_iff_not_province",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_kelurahan(self) -> bool:
        return self.level == self.Level.DESA and self.code.rsplit(".", 1)[-1].startswith("1")

    @property
    def display_name(self) -> str:
        """The master writes kab/kota names in capitals ("KAB. MUKO MUKO"); show them in title
        case like the rest."""
        if self.level in (self.Level.PROVINSI, self.Level.KABKOTA) and self.name.isupper():
            return self.name.title().replace("Kab. ", "Kabupaten ")
        return self.name


class Office(models.Model):
    """A BPS office: BPS RI (the national office, above every province), a province office or
    a kab/kota office under one. The national office has no region and no parent: its scope is
    every province by definition (core/permissions.py)."""

    class Kind(models.TextChoices):
        NASIONAL = "nasional", _("BPS RI (national)")
        PROVINSI = "provinsi", _("BPS Province")
        KABKOTA = "kabkota", _("BPS Regency/City")

    code = models.CharField(_("code"), max_length=4, unique=True)
    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    region = models.OneToOneField(
        Region, models.PROTECT, null=True, blank=True, verbose_name=_("region")
    )
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("province office"),
    )
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["provinsi", "nasional"], parent__isnull=True)
                | Q(kind="kabkota", parent__isnull=False),
                name="office_parent_iff_kabkota",
            ),
            models.CheckConstraint(
                condition=Q(kind="nasional", region__isnull=True)
                | (~Q(kind="nasional") & Q(region__isnull=False)),
                name="office_region_unless_national",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_province(self) -> bool:
        return self.kind == self.Kind.PROVINSI

    @property
    def is_national(self) -> bool:
        return self.kind == self.Kind.NASIONAL

    @property
    def province_id(self) -> int | None:
        """The office's province: itself for a province office, its parent for a kab/kota,
        None for the national office (which belongs to no province)."""
        if self.is_national:
            return None
        return self.pk if self.is_province else self.parent_id

    @property
    def organisation_name(self) -> str:
        """The office as its letterhead names it: "BPS Provinsi Jawa Timur" is printed as
        "Badan Pusat Statistik Provinsi Jawa Timur" (the national office's name is already
        "Badan Pusat Statistik")."""
        if self.name.startswith("BPS "):
            return "Badan Pusat Statistik " + self.name.removeprefix("BPS ")
        return self.name

    @property
    def place(self) -> str:
        """Where the office signs its documents ("Bengkulu, 2 Desember 2026"): its region's name
        without "Kabupaten"/"Kota" ("Bengkulu Selatan", "Bengkulu")."""
        name = self.region.display_name
        for prefix in ("Kabupaten ", "Kota ", "Kab. ", "Provinsi "):
            name = name.removeprefix(prefix)
        return name


NIP_VALIDATOR = RegexValidator(
    r"^[0-9]{18}$", _("The NIP has 18 digits, without spaces or dots (e.g. 198705112010121001).")
)


class User(AbstractUser):
    """`full_name` is the display name: the name with titles as documents print it (berita
    acara, laporan, signatures). `nip` is the 18-digit civil-servant number printed under it."""

    full_name = models.CharField(
        _("display name"),
        max_length=150,
        blank=True,
        help_text=_("Your name with titles, as documents print it (e.g. Dr. Andi Saputra, S.ST)."),
    )
    nip = models.CharField(
        _("NIP"),
        max_length=18,
        blank=True,
        validators=[NIP_VALIDATOR],
        help_text=_("18 digits; printed under your name on the documents you sign."),
    )
    position = models.CharField(
        _("position"),
        max_length=150,
        blank=True,
        help_text=_("The position (jabatan) as documents print it (e.g. Statistisi Ahli Muda)."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    KEPALA = "kepala", _("Head of BPS Province")
    KETUA_TIM = "ketua_tim", _("Team lead (RB & Statistical Coaching)")
    TIM_PROVINSI = "tim_provinsi", _("Province Desa Cantik team")
    TIM_KABKOTA = "tim_kabkota", _("Regency/city Desa Cantik team")
    PIMPINAN_KABKOTA = "pimpinan_kabkota", _("Head of BPS Regency/City")
    VIEWER = "viewer", _("Viewer")
    PIMPINAN_NASIONAL = "pimpinan_nasional", _("Head at BPS RI (national)")
    KETUA_TIM_NASIONAL = "ketua_tim_nasional", _("National team lead (BPS RI)")
    TIM_NASIONAL = "tim_nasional", _("National Desa Cantik team (BPS RI)")


PROVINCE_ONLY_ROLES = frozenset({Role.KEPALA, Role.KETUA_TIM, Role.TIM_PROVINSI})
KABKOTA_ONLY_ROLES = frozenset({Role.TIM_KABKOTA, Role.PIMPINAN_KABKOTA})
# The national roles read every province and write none of a province's work: no rule of the
# province apps names them, so no check of `has_role` ever lets them change anything.
NATIONAL_ONLY_ROLES = frozenset(
    {Role.PIMPINAN_NASIONAL, Role.KETUA_TIM_NASIONAL, Role.TIM_NASIONAL}
)


class Membership(models.Model):
    """A user's role in one office. A user may hold several."""

    user = models.ForeignKey(User, models.CASCADE, related_name="memberships")
    office = models.ForeignKey(Office, models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["office__code", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "office", "role"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.office.short_name}"

    def clean(self):
        if not self.office_id:
            return
        if self.role in PROVINCE_ONLY_ROLES and not self.office.is_province:
            raise ValidationError(
                {"role": _("This role belongs to a BPS province office.")}, code="role_office"
            )
        if self.role in KABKOTA_ONLY_ROLES and self.office.kind != Office.Kind.KABKOTA:
            raise ValidationError(
                {"role": _("This role belongs to a BPS regency/city office.")}, code="role_office"
            )
        if (self.role in NATIONAL_ONLY_ROLES) != self.office.is_national and (
            self.role != Role.VIEWER
        ):
            message = (
                _("This role belongs to the BPS RI (national) office.")
                if self.role in NATIONAL_ONLY_ROLES
                else _("The BPS RI (national) office has only the national roles and viewer.")
            )
            raise ValidationError({"role": message}, code="role_office")


class AppendOnlyError(Exception):
    pass


class AuditEvent(models.Model):
    """One row per write: who, when, what, old → new, why. Append-only: the model refuses
    updates and deletes, the admin offers neither, and a database trigger (see migration 0002)
    refuses UPDATE (and DELETE on PostgreSQL)."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    action = models.CharField(_("action"), max_length=60)
    object_type = models.ForeignKey(ContentType, models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    office = models.ForeignKey(
        Office, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("office")
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"]),
            # the latest event of an office in one index probe (core.pagecache)
            models.Index(fields=["office", "id"], name="core_audit_office_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit log is append-only.")

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def change_rows(self) -> list[tuple[str, str, str]]:
        """(field label, old, new) as people read them (see core/history.py)."""
        model = self.object_type.model_class()
        rows = []
        for name, pair in self.changes.items():
            label, field = key_label(model, name)
            old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            shown_old = value_label(field, old) if old not in (None, "", []) else None
            rows.append((label, shown_old, value_label(field, new)))
        return rows


class ChangeCounter(models.Model):
    """How many audited writes of one province have been committed (`scope` is the province
    office's id; 0 counts the writes of no office, such as the admin's, which any page may
    depend on). core.pagecache keys cached page figures on it, with the latest audit event;
    core.services.audit counts a write once its transaction has committed. A new row starts at
    a random count, so a database built again does not repeat the keys of the one before."""

    scope = models.BigIntegerField(primary_key=True)
    count = models.BigIntegerField()

    class Meta:
        verbose_name = _("change counter")

    def __str__(self) -> str:
        return f"{self.scope}: {self.count}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name says nothing about the upload: a random token and the detected type.
    return f"attachments/{timezone.now():%Y/%m}/{instance.token.hex}{instance.extension}"


class Attachment(models.Model):
    """An uploaded file that belongs to some object (a village, a report, a meeting, ...).

    It is validated by content, stored under a random name and only ever streamed by a view of
    the owning app that first checks the owner is visible to the user."""

    token = models.UUIDField(unique=True, editable=False)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    extension = models.CharField(max_length=8)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField("SHA-256", max_length=64)
    purpose = models.CharField(_("document"), max_length=40, blank=True)
    owner_type = models.ForeignKey(ContentType, models.PROTECT, related_name="+")
    owner_id = models.CharField(max_length=64)
    owner = GenericForeignKey("owner_type", "owner_id")
    uploaded_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["owner_type", "owner_id"])]

    def __str__(self) -> str:
        return self.original_name


class Extension(models.Model):
    """A dispensation: one office gets a later deadline for one tracked item, for a reason.
    Granted by the province team lead; every grant is audited."""

    subject_type = models.ForeignKey(ContentType, models.PROTECT, related_name="+")
    subject_id = models.CharField(max_length=64)
    subject = GenericForeignKey("subject_type", "subject_id")
    office = models.ForeignKey(Office, models.PROTECT, related_name="extensions")
    until = models.DateField(_("new deadline"))
    reason = models.TextField(_("reason"), max_length=SHORT_TEXT)
    granted_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "office"], name="extension_unique"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="extension_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.office.short_name}: {self.until}"


# --- mail: the outbox, notification kinds and opt-outs, reminder records -----------------------


class NotificationKind(models.TextChoices):
    """Every kind of e-mail the system sends to a user; each user can switch each one off."""

    REPORT_SUBMITTED = "report_submitted", _("A report was submitted for review")
    REPORT_REVIEWED = "report_reviewed", _("A report was returned or approved")
    WORKSHEET = "worksheet", _("An LKE worksheet was submitted, returned or finalised")
    TO_SIGN = "to_sign", _("A recap or the LKE results are ready to sign")
    MEETING = "meeting", _("A meeting was scheduled, changed or cancelled")
    ACTION_ITEM = "action_item", _("An action item was assigned to your office")
    REMINDER = "reminder", _("Deadline reminders")
    ESCALATION = "escalation", _("Overdue work (escalation)")
    DIGEST = "digest", _("Weekly digest of overdue work")


class OutgoingMail(models.Model):
    """One e-mail to one address, written in the transaction of the change it reports and
    delivered later by `manage.py send_mail_outbox`, so a slow or dead mail server never slows
    or breaks a page and a rolled-back change sends nothing. A failed delivery is retried with a
    growing delay; after the last attempt the row stays as `failed` (nothing is dropped)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    to = models.EmailField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"))
    # [{"filename", "content", "mimetype"}]: small text attachments such as an .ics
    attachments = models.JSONField(default=list, blank=True)
    kind = models.CharField(_("kind"), max_length=30, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("mail outbox")
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class NotificationOptOut(models.Model):
    """A user does not want e-mails of one kind."""

    user = models.ForeignKey(User, models.CASCADE, related_name="notification_opt_outs")
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)

    class Meta:
        verbose_name = _("notification opt-out")
        verbose_name_plural = _("notification opt-outs")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_opt_out_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()}"


class ReminderRecord(models.Model):
    """One reminder of one kind for one tracked item (or one weekly digest): inserted in the
    transaction that queues its mail, before anything is sent, so the unique key makes every
    reminder go out once even when `send_reminders` runs twice or on two servers at once.
    `claim` is the token of the run that inserted it: a run inserts its records in bulk,
    skipping those that exist, and reads back by its token which ones are its own."""

    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=timezone.now)
    claim = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(fields=["key", "kind"], name="reminder_record_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.key}"
