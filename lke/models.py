"""The LKE (Lembar Kerja Evaluasi): the instrument as versioned data, the worksheets filled per
village and per kab/kota office, their answers at each level, evidence and frozen results.

Instrument: blocks → aspects → indicators → items (→ options). An instrument that an assessment
uses is locked: it is never edited again, a change means a new version."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.limits import MEDIUM_TEXT, SHORT_TEXT
from core.models import AppendOnlyError, Attachment, Office, User
from program.models import ParticipatingVillage, ProgramYear

WEIGHT = {"max_digits": 7, "decimal_places": 3, "default": 1}


class Target(models.TextChoices):
    VILLAGE = "village", _("Village (desa/kelurahan)")
    OFFICE = "office", _("BPS regency/city office")


class Level(models.TextChoices):
    SELF = "self", _("Self-assessment")
    PROVINCIAL = "provincial", _("Provincial verification")


class Instrument(models.Model):
    """One version of the LKE for one year. `nilai_scale` is the top of the paper sheet's NILAI
    column (score / max × scale)."""

    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200)
    source_note = models.TextField(_("source"), blank=True, max_length=MEDIUM_TEXT)
    nilai_scale = models.PositiveSmallIntegerField(_("NILAI scale"), default=4)
    # What the importer of the official workbook noticed in it (slips, rules naming another
    # rincian, a repeated letter), each naming its row: shown on the instrument's page.
    import_notes = models.JSONField(_("import notes"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-year", "-version"]
        verbose_name = _("LKE instrument")
        verbose_name_plural = _("LKE instruments")
        constraints = [
            models.UniqueConstraint(fields=["year", "version"], name="lke_instrument_unique"),
            models.CheckConstraint(condition=Q(nilai_scale__gte=1), name="lke_nilai_scale_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def in_use(self) -> bool:
        return self.assessments.exists()


class Formula(models.TextChoices):
    MEAN = "mean", _("Weighted means (score ÷ max score, the earlier default)")
    WORKBOOK = "workbook", _("The workbook's sums: (score − min) ÷ divisor × weight ÷ weight base")


class TotalBasis(models.TextChoices):
    ATTAINABLE = "attainable", _("0–100 of the highest attainable sum")
    DECLARED = "declared", _("0–100 of the declared maxima (sum of weight ÷ weight base)")
    SUM = "sum", _("The sum itself, on the workbook's scale")


class AspectValue(models.TextChoices):
    SUM = "sum", _("Sum of its items' values")
    PERCENT = "percent", _("0–100 of its highest attainable sum")


class Block(models.Model):
    """A block of the worksheet. `formula` says how its items are valued (lke/scoring.py):
    weighted means (the 2024 default) or the 2026 workbook's sums, where `weight_base` is the
    divisor of the weights (0.75 in Blok III, the cell $G$95; 7.75 in Blok IV) and
    `total_basis`/`aspect_value` are the declared defaults for figures the workbook lacks."""

    instrument = models.ForeignKey(Instrument, models.CASCADE, related_name="blocks")
    code = models.CharField(_("code"), max_length=10)
    title = models.CharField(_("title"), max_length=200)
    target = models.CharField(_("filled for"), max_length=10, choices=Target.choices)
    scored = models.BooleanField(_("scored"), default=True)
    tie_break = models.JSONField(
        _("tie-break aspects"),
        default=list,
        blank=True,
        help_text=_("Aspect codes compared after the total, in order, before the name."),
    )
    formula = models.CharField(
        _("scoring formula"), max_length=10, choices=Formula.choices, default=Formula.MEAN
    )
    weight_base = models.DecimalField(
        _("weight base"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    total_basis = models.CharField(
        _("total (default)"),
        max_length=10,
        choices=TotalBasis.choices,
        default=TotalBasis.ATTAINABLE,
    )
    aspect_value = models.CharField(
        _("aspect value (default)"),
        max_length=10,
        choices=AspectValue.choices,
        default=AspectValue.SUM,
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["instrument", "order", "id"]
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="lke_block_unique")
        ]

    def __str__(self) -> str:
        return f"Blok {self.code} {self.title}"


class WeightedNode(models.Model):
    """What an aspect and an indicator share: a code, a title, a weight in the weighted mean of
    their level, whether the text is an example, and their place."""

    code = models.CharField(_("code"), max_length=10)
    title = models.CharField(_("title"), max_length=200)
    weight = models.DecimalField(_("weight"), **WEIGHT)
    is_example = models.BooleanField(_("example text"), default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"


class Aspect(WeightedNode):
    block = models.ForeignKey(Block, models.CASCADE, related_name="aspects")

    class Meta:
        ordering = ["block", "order", "id"]
        verbose_name = _("aspect")
        verbose_name_plural = _("aspects")
        constraints = [
            models.UniqueConstraint(fields=["block", "code"], name="lke_aspect_unique"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="lke_aspect_weight_nonneg"),
        ]


class Indicator(WeightedNode):
    aspect = models.ForeignKey(Aspect, models.CASCADE, related_name="indicators")
    # The fill of its rows in the official workbook; green (C5E0B3, B6D7A8) marks the indicators
    # filled even when the village is not nominated (Blok II 2a = Tidak).
    shading = models.CharField(_("shading"), max_length=8, blank=True)
    always_filled = models.BooleanField(_("filled when not nominated"), default=False)

    class Meta:
        ordering = ["aspect", "order", "id"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(fields=["aspect", "code"], name="lke_indicator_unique"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="lke_indicator_weight_nonneg"),
        ]


class ItemKind(models.TextChoices):
    CHOICE = "choice", _("Choice")
    TEXT = "text", _("Free text")
    HEADING = "heading", _("Heading")


class NilaiRule(models.TextChoices):
    SCALE = "scale", _("score ÷ max score × NILAI scale")
    BINARY = "binary", _("4 for score 1, else 1 (=IF(F=1,4,1))")
    SCORE = "score", _("the score itself (=F)")
    NONE = "none", _("none")


class Item(models.Model):
    """A question of the worksheet. Only choice items are scored: value = score / max_score."""

    instrument = models.ForeignKey(Instrument, models.CASCADE, related_name="items")
    indicator = models.ForeignKey(Indicator, models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=20)
    text = models.TextField(_("text"), max_length=MEDIUM_TEXT)
    kind = models.CharField(_("kind"), max_length=10, choices=ItemKind.choices)
    max_score = models.PositiveSmallIntegerField(_("max score"), null=True, blank=True)
    weight = models.DecimalField(_("weight"), **WEIGHT)
    evidence_hint = models.TextField(_("evidence"), blank=True, max_length=MEDIUM_TEXT)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    is_example = models.BooleanField(_("example text"), default=False)
    source_note = models.CharField(_("source"), max_length=300, blank=True)
    # From the official workbook: the national web form's code, the "Rule Validasi", the
    # PENJELASAN and "PENJELASAN DAN BUKTI DUKUNG" texts, and the row the item was read from.
    rincian = models.CharField(_("national form code"), max_length=20, blank=True)
    validation_rule = models.TextField(_("validation rule"), blank=True, max_length=MEDIUM_TEXT)
    # The rule read into data (lke/rules.py): the scores whose answer shows the evidence field
    # and needs evidence (None: no rule), and the range of a number answer ("Integer 1-99").
    evidence_scores = models.JSONField(_("evidence for the scores"), null=True, blank=True)
    answer_range = models.JSONField(_("number range"), null=True, blank=True)
    explanation = models.TextField(_("explanation"), blank=True, max_length=MEDIUM_TEXT)
    guidance = models.TextField(_("explanation and evidence"), blank=True, max_length=MEDIUM_TEXT)
    source_row = models.PositiveIntegerField(_("row in the workbook"), null=True, blank=True)
    # The workbook formula of a scored item: (score − score_offset) ÷ score_divisor. An empty
    # divisor means the range of its scores (max − min). `nilai_rule` is its NILAI column.
    score_offset = models.SmallIntegerField(_("score minimum"), default=0)
    score_divisor = models.DecimalField(
        _("divisor"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    nilai_rule = models.CharField(
        _("NILAI"), max_length=10, choices=NilaiRule.choices, default=NilaiRule.SCALE, blank=True
    )
    order = models.PositiveSmallIntegerField(default=0)
    # Rises with every correction of the item's data on the instrument's page (its divisor), so
    # a correction made on a stale copy is refused (lke.services.set_item_divisor).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["instrument", "order", "id"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="lke_item_code_unique"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="lke_item_weight_nonneg"),
            models.CheckConstraint(
                condition=~Q(kind="choice") | Q(max_score__gte=1), name="lke_choice_has_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:60]}"

    @property
    def is_choice(self) -> bool:
        return self.kind == ItemKind.CHOICE

    @property
    def is_answerable(self) -> bool:
        return self.kind != ItemKind.HEADING


class DocumentKind(models.TextChoices):
    """What a piece of evidence is, as the verifiers' checking rules name it. The values of the
    first five are those of reports.Purpose (an SK as "sk_agen"), so a report's file keeps its
    kind when it is linked as evidence."""

    UNDANGAN = "undangan", _("Invitation (undangan)")
    NOTULEN = "notulen", _("Minutes (notulen)")
    DAFTAR_HADIR = "daftar_hadir", _("Attendance list (daftar hadir)")
    DOKUMENTASI = "dokumentasi", _("Documentation photo")
    SK = "sk_agen", _("Decree (SK)")
    OTHER = "lainnya", _("Other document")


# The kinds the verification page lists per item, present or absent.
CHECKED_KINDS = (
    DocumentKind.UNDANGAN,
    DocumentKind.NOTULEN,
    DocumentKind.DAFTAR_HADIR,
    DocumentKind.DOKUMENTASI,
    DocumentKind.SK,
)


class CheckRule(models.Model):
    """A verifiers' checking rule of an item ("Poin penting untuk pemeriksaan bukti dukung"):
    when the self-assessed score is `self_score` (empty: any score other than the result), the
    evidence holds every kind of `present` and none of `absent`, and (if `confirm` is set) the
    verifier confirms what it says by looking at the documents, the score is `score`. `text`
    quotes the workbook's sentence the rule was read from; it becomes the verification reason.
    The province corrects them on the instrument's page (lke.services.add_check_rule and
    friends); `version` rises with every change, so a change made on a stale copy is refused."""

    item = models.ForeignKey(Item, models.CASCADE, related_name="check_rules")
    self_score = models.PositiveSmallIntegerField(_("self-assessed score"), null=True, blank=True)
    present = models.JSONField(_("evidence present"), default=list, blank=True)
    absent = models.JSONField(_("evidence absent"), default=list, blank=True)
    confirm = models.CharField(_("to confirm by the verifier"), max_length=300, blank=True)
    score = models.PositiveSmallIntegerField(_("resulting score"))
    text = models.TextField(_("rule text"), max_length=SHORT_TEXT)
    source_row = models.PositiveIntegerField(_("row in the workbook"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["item", "order", "id"]
        verbose_name = _("checking rule")
        verbose_name_plural = _("checking rules")

    def __str__(self) -> str:
        return f"{self.item.code}: {self.text[:60]}"

    def applies(self, self_score: int | None, kinds: set[str]) -> bool:
        """Whether the rule gives a score to an answer of `self_score` backed by `kinds`."""
        if self_score is None or self_score == self.score:
            return False
        if self.self_score is not None and self.self_score != self_score:
            return False
        if self.self_score is None and self_score < self.score:
            return False  # a rule that caps a score never raises one
        return set(self.present) <= kinds and not (set(self.absent) & kinds)


class Option(models.Model):
    item = models.ForeignKey(Item, models.CASCADE, related_name="options")
    label = models.TextField(_("label"), max_length=SHORT_TEXT)
    score = models.PositiveSmallIntegerField(_("score"))
    is_example = models.BooleanField(_("example text"), default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["item", "order", "id"]
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self) -> str:
        return f"{self.score}: {self.label[:60]}"


# --- assessments and worksheets ---------------------------------------------------------------


class Assessment(models.Model):
    """The LKE assessment of one program year: which instrument it uses, and the province
    head's sign-off of the results (the berita acara)."""

    program_year = models.OneToOneField(
        ProgramYear, models.PROTECT, related_name="lke_assessment", verbose_name=_("program year")
    )
    instrument = models.ForeignKey(
        Instrument, models.PROTECT, related_name="assessments", verbose_name=_("instrument")
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    signed_off_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    # The berita acara of the sign-off: its number, place and date as entered by the head, and
    # the team lead who signs beside the head.
    record_number = models.CharField(_("berita acara number"), max_length=100, blank=True)
    record_place = models.CharField(_("place"), max_length=100, blank=True)
    record_date = models.DateField(_("date"), null=True, blank=True)
    record_lead = models.ForeignKey(
        User,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team lead signing"),
    )

    class Meta:
        verbose_name = _("LKE assessment")
        verbose_name_plural = _("LKE assessments")

    def __str__(self) -> str:
        return f"LKE {self.program_year.year}"


class Status(models.TextChoices):
    SELF_ASSESSMENT = "self_assessment", _("Self-assessment")
    SUBMITTED = "submitted", _("Submitted")
    PROVINCIAL_VERIFICATION = "provincial_verification", _("Provincial verification")
    FINALISED = "finalised", _("Finalised")
    SIGNED_OFF = "signed_off", _("Signed off")


SUBMITTED_OR_LATER = frozenset(
    {Status.SUBMITTED, Status.PROVINCIAL_VERIFICATION, Status.FINALISED, Status.SIGNED_OFF}
)
FINAL_STATUSES = frozenset({Status.FINALISED, Status.SIGNED_OFF})


class Worksheet(models.Model):
    """The LKE of one village (Blok II and III) or one kab/kota office (Blok IV) in one year.

    `required_items`, `self_answered`, `provincial_answered` and `scores` are kept up to date by
    the services on every answer, so lists and results never read the answers."""

    assessment = models.ForeignKey(Assessment, models.PROTECT, related_name="worksheets")
    target = models.CharField(_("filled for"), max_length=10, choices=Target.choices)
    village = models.OneToOneField(
        ParticipatingVillage,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="lke_worksheet",
        verbose_name=_("village"),
    )
    office = models.ForeignKey(
        Office, models.PROTECT, related_name="lke_worksheets", verbose_name=_("BPS regency/city")
    )
    status = models.CharField(
        _("status"), max_length=25, choices=Status.choices, default=Status.SELF_ASSESSMENT
    )
    return_comment = models.TextField(_("comments on return"), blank=True, max_length=MEDIUM_TEXT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    required_items = models.PositiveSmallIntegerField(default=0)
    self_answered = models.PositiveSmallIntegerField(default=0)
    provincial_answered = models.PositiveSmallIntegerField(default=0)
    scores = models.JSONField(default=dict, blank=True)
    final_snapshot = models.ForeignKey(
        "Snapshot", models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["office__code", "target", "village__village__code"]
        verbose_name = _("LKE worksheet")
        verbose_name_plural = _("LKE worksheets")
        constraints = [
            models.CheckConstraint(
                condition=Q(target="village", village__isnull=False)
                | Q(target="office", village__isnull=True),
                name="lke_worksheet_village_iff_target",
            ),
            models.UniqueConstraint(
                fields=["assessment", "office"],
                condition=Q(target="office"),
                name="lke_office_worksheet_unique",
            ),
        ]

    def __str__(self) -> str:
        if self.target == Target.VILLAGE:
            return f"LKE {self.village.village.name} ({self.assessment.program_year.year})"
        return f"LKE {self.office.short_name} ({self.assessment.program_year.year})"

    @property
    def subject_name(self) -> str:
        return self.village.village.name if self.village_id else self.office.name

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def self_submitted(self) -> bool:
        return self.status in SUBMITTED_OR_LATER

    @property
    def verified(self) -> bool:
        """Every required item has a provincial answer, in verification or later."""
        return (
            self.status in (Status.PROVINCIAL_VERIFICATION, *FINAL_STATUSES)
            and self.provincial_answered >= self.required_items
        )

    def level_scores(self, level: str) -> dict:
        return self.scores.get(level) or {}


class Answer(models.Model):
    """One item of one worksheet answered at one level. `version` rises with every save, so a
    save made on a stale copy is refused and the earlier save stays."""

    worksheet = models.ForeignKey(Worksheet, models.CASCADE, related_name="answers")
    item = models.ForeignKey(Item, models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    option = models.ForeignKey(
        Option, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("answer")
    )
    text = models.TextField(_("answer"), blank=True, max_length=MEDIUM_TEXT)
    note = models.TextField(_("note"), blank=True, max_length=SHORT_TEXT)
    reason = models.TextField(_("reason for a changed score"), blank=True, max_length=SHORT_TEXT)
    version = models.PositiveIntegerField(default=1)
    answered_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["worksheet", "item", "level"], name="lke_answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item.code} ({self.level})"

    @property
    def is_answered(self) -> bool:
        return self.option_id is not None or bool(self.text.strip())


class Evidence(models.Model):
    """Evidence for an item of a worksheet: an uploaded file (owned by the worksheet), a link, an
    attachment already in the system (a village document, a report's file), or a meeting's
    generated document (its own permission-checked download URL in the meetings app)."""

    class Kind(models.TextChoices):
        FILE = "file", _("Uploaded file")
        LINK = "link", _("Link")
        DOCUMENT = "document", _("Document in the system")
        MEETING = "meeting", _("Meeting document")

    worksheet = models.ForeignKey(Worksheet, models.CASCADE, related_name="evidence")
    item = models.ForeignKey(Item, models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    attachment = models.ForeignKey(
        Attachment, models.PROTECT, null=True, blank=True, related_name="+"
    )
    url = models.URLField(_("link"), max_length=500, blank=True)
    title = models.CharField(_("title"), max_length=200)
    document = models.CharField(
        _("document kind"), max_length=15, choices=DocumentKind.choices, blank=True
    )
    added_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["link", "meeting"], attachment__isnull=True) & ~Q(url="")
                | Q(kind__in=["file", "document"], attachment__isnull=False, url=""),
                name="lke_evidence_kind_fields",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Snapshot(models.Model):
    """The scores of a worksheet frozen when it was finalised. Append-only: later edits (a
    reopened worksheet, a renamed village) never change it."""

    worksheet = models.ForeignKey(Worksheet, models.PROTECT, related_name="snapshots")
    taken_at = models.DateTimeField(default=timezone.now)
    taken_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    data = models.JSONField()

    class Meta:
        ordering = ["-taken_at", "-id"]
        verbose_name = _("results snapshot")
        verbose_name_plural = _("results snapshots")

    def __str__(self) -> str:
        return f"{self.worksheet} @ {self.taken_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("A results snapshot cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("A results snapshot cannot be deleted.")
