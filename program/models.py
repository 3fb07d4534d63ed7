from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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
    notes = models.TextField(_("notes"), blank=True)

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
