from datetime import date, timedelta

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.deadlines import Unit, add_months
from core.limits import LONG_TEXT, MEDIUM_TEXT
from core.models import Office, Region, User


class ProgramYear(models.Model):
    """One year of Desa Cantik coaching in one province."""

    province = models.ForeignKey(
        Office,
        models.PROTECT,
        related_name="program_years",
        limit_choices_to={"kind": Office.Kind.PROVINSI},
        verbose_name=_("province office"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    working_days = models.BooleanField(
        _("count working days"),
        default=False,
        help_text=_("Count deadlines in working days, skipping weekends and public holidays."),
    )
    soon_days = models.PositiveSmallIntegerField(
        _("'due soon' window (days)"),
        default=7,
        help_text=_("An open item due within this many days shows as due soon."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder (working days before the deadline)"),
        default=3,
        help_text=_("The e-mail reminder of an open item goes out this many working days before."),
    )

    class Meta:
        ordering = ["province__code", "-year"]
        verbose_name = _("program year")
        verbose_name_plural = _("program years")
        constraints = [
            models.UniqueConstraint(fields=["province", "year"], name="program_year_unique"),
            models.CheckConstraint(
                condition=Q(year__gte=2021, year__lte=2100), name="program_year_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}"


class VillageKind(models.TextChoices):
    UTAMA = "utama", _("Main (utama)")
    TAMBAHAN = "tambahan", _("Additional (tambahan)")
    BERKELANJUTAN = "berkelanjutan", _("Continuing (berkelanjutan)")


class ParticipatingVillage(models.Model):
    """A desa/kelurahan coached in a program year by one kab/kota office."""

    program_year = models.ForeignKey(
        ProgramYear, models.PROTECT, related_name="villages", verbose_name=_("program year")
    )
    village = models.ForeignKey(
        Region,
        models.PROTECT,
        related_name="participations",
        limit_choices_to={"level": Region.Level.DESA},
        verbose_name=_("village"),
    )
    office = models.ForeignKey(
        Office, models.PROTECT, related_name="villages", verbose_name=_("BPS regency/city")
    )
    kind = models.CharField(_("kind"), max_length=15, choices=VillageKind.choices)
    pembina = models.ManyToManyField(
        User, blank=True, related_name="coached_villages", verbose_name=_("pembina")
    )
    notes = models.TextField(_("notes"), blank=True, max_length=LONG_TEXT)

    class Meta:
        ordering = ["office__code", "village__code"]
        verbose_name = _("participating village")
        verbose_name_plural = _("participating villages")
        constraints = [
            models.UniqueConstraint(
                fields=["program_year", "village"], name="participating_village_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.village.name} ({self.program_year.year})"


class SopActivity(models.Model):
    """One of the six activities of the SOP, with its time standard for one program year."""

    class Code(models.TextChoices):
        MONITORING = "monitoring", _("Monitoring recap (Rekap progres)")
        RAPAT = "rapat", _("Online meeting with the kab/kota teams")
        SOSIALISASI = "sosialisasi", _("Sosialisasi/pencanangan report")
        IDENTIFIKASI = "identifikasi", _("Identification of village needs report")
        PENILAIAN = "penilaian", _("LKE assessment")
        LAPORAN_AKHIR = "laporan_akhir", _("Final coaching report")

    class Anchor(models.TextChoices):
        EVENT = "event", _("After an event of each village")
        WINDOW = "window", _("From the opening of a window")
        PERIODIC = "periodic", _("Every period through the year")

    program_year = models.ForeignKey(
        ProgramYear, models.CASCADE, related_name="sop_activities", verbose_name=_("program year")
    )
    number = models.PositiveSmallIntegerField(_("SOP no."))
    code = models.CharField(_("activity"), max_length=20, choices=Code.choices)
    amount = models.PositiveSmallIntegerField(_("time standard"))
    unit = models.CharField(_("unit"), max_length=5, choices=Unit.choices)
    anchor = models.CharField(_("counted from"), max_length=10, choices=Anchor.choices)
    anchor_label = models.CharField(_("anchor event"), max_length=120, blank=True)
    window_start = models.DateField(_("window opens"), null=True, blank=True)
    output = models.CharField(_("output"), max_length=200)

    class Meta:
        ordering = ["program_year", "number"]
        verbose_name = _("SOP activity")
        verbose_name_plural = _("SOP calendar")
        constraints = [
            models.UniqueConstraint(fields=["program_year", "code"], name="sop_activity_unique"),
            models.CheckConstraint(condition=Q(amount__gte=1), name="sop_activity_amount_positive"),
            models.CheckConstraint(
                condition=~Q(anchor__in=["window", "periodic"]) | Q(window_start__isnull=False),
                name="sop_activity_window_has_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.get_code_display()}"

    @property
    def standard_display(self) -> str:
        return f"{self.amount} {self.get_unit_display()}"

    def periods(self) -> list[tuple[date, date]]:
        """(first day, last day) of each period of a periodic activity, within its year."""
        if self.anchor != self.Anchor.PERIODIC or self.window_start is None:
            return []
        months = self.amount if self.unit == Unit.MONTH else 1
        result, start = [], self.window_start
        while start.year == self.program_year.year:
            following = add_months(start, months)
            result.append((start, following - timedelta(days=1)))
            start = following
        return result


class Stage(models.TextChoices):
    KOORDINASI = "koordinasi", _("Coordination & socialisation")
    IDENTIFIKASI = "identifikasi", _("Identification")
    PERENCANAAN = "perencanaan", _("Planning")
    PELAKSANAAN = "pelaksanaan", _("Coaching & mentoring")
    MONEV = "monev", _("Monitoring & evaluation")


class WorkPlanActivity(models.Model):
    """A line of a village's coaching work plan (rencana kerja pembinaan) and its realisation.

    `version` rises with every save, so an edit made on a stale copy is refused."""

    village = models.ForeignKey(
        ParticipatingVillage, models.CASCADE, related_name="activities", verbose_name=_("village")
    )
    stage = models.CharField(_("stage"), max_length=15, choices=Stage.choices)
    name = models.CharField(_("activity"), max_length=200)
    pelaksana = models.CharField(_("carried out by"), max_length=150, blank=True)
    target_output = models.CharField(_("target output"), max_length=200, blank=True)
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    realised_on = models.DateField(_("realised on"), null=True, blank=True)
    realisation_output = models.CharField(_("output produced"), max_length=200, blank=True)
    realisation_notes = models.TextField(_("realisation notes"), blank=True, max_length=MEDIUM_TEXT)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["village", "planned_start", "id"]
        verbose_name = _("work plan activity")
        verbose_name_plural = _("work plan activities")
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gte=models.F("planned_start")),
                name="work_plan_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class VillageAgent(models.Model):
    """An agen statistik of a participating village (appointed by SK of the Kepala Desa): the
    village's register, kept once here and read by the sosialisasi report, the LKE (4a/4b)
    and the laporan akhir. `version` rises with every save, so an edit made on a stale copy is
    refused."""

    village = models.ForeignKey(
        ParticipatingVillage, models.CASCADE, related_name="agents", verbose_name=_("village")
    )
    name = models.CharField(_("name"), max_length=150)
    role = models.CharField(_("position in the village"), max_length=150, blank=True)
    is_village_official = models.BooleanField(_("village official"), default=False)
    sk_number = models.CharField(_("SK number"), max_length=100, blank=True)
    sk_date = models.DateField(_("SK date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["village", "-is_village_official", "name", "id"]
        verbose_name = _("agen statistik")
        verbose_name_plural = _("agen statistik")
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="village_agent_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
