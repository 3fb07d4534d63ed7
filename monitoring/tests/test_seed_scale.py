"""seed_scale at a tiny scale: the national data set keeps its proportions, and the command
never writes into a database that already holds program data unless told to."""

import io
from collections import Counter
from datetime import datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count

from core.deadlines import JAKARTA, Status
from core.models import AuditEvent, Membership, Office, Region, Role, User
from monitoring.models import Recap
from program.models import (
    ParticipatingVillage,
    ProgramYear,
    SopActivity,
    Stage,
    VillageKind,
    WorkPlanActivity,
)
from program.queries import work_plan_items

SCALE = 0.02  # one kab/kota per province: 38 kab/kota, 570 villages
AUDIT_ROWS = 3000
TODAY = datetime(2026, 5, 18, 12, tzinfo=JAKARTA)


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_scale", scale=SCALE, audit_rows=AUDIT_ROWS, stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One seed for the module's tests, inside a transaction rolled back after the last one
    (each test's own transaction nests in it as a savepoint). Module fixtures end with the
    module, so the tests that need a database without it come first in this file."""
    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(TODAY, tick=True):
            output = seed()
        yield output
        transaction.set_rollback(True)


def seeded_kabkota() -> list[Office]:
    return list(Office.objects.filter(villages__isnull=False).distinct().order_by("code"))


def test_seed_scale_refuses_a_database_with_program_years(year_2026):
    regions = Region.objects.count()

    with pytest.raises(CommandError, match="already has 1 program years"):
        seed()

    assert Region.objects.count() == regions
    assert ProgramYear.objects.count() == 1
    assert not Office.objects.filter(code="3500").exists()


def test_seed_scale_if_empty_leaves_a_database_with_program_years_alone(year_2026):
    output = seed(if_empty=True)

    assert "not seeded" in output
    assert ProgramYear.objects.count() == 1
    assert not Office.objects.filter(code="3500").exists()


def test_seed_scale_rejects_a_scale_outside_zero_to_one(db):
    with pytest.raises(CommandError, match="--scale"):
        call_command("seed_scale", scale=1.5, stdout=io.StringIO())


def test_seed_scale_builds_every_province_with_proportional_data(db, seeded):
    provinces = Office.objects.filter(kind=Office.Kind.PROVINSI)
    kabkota = seeded_kabkota()

    assert provinces.count() == 38
    # At 2 % each province keeps one kab/kota; Bengkulu's is the real one from data/.
    assert Counter(o.parent.code for o in kabkota) == {p.code: 1 for p in provinces}
    assert [o.code for o in kabkota if o.code.startswith("17")] == ["1701"]
    assert ProgramYear.objects.count() == 38 * 5
    assert set(ProgramYear.objects.values_list("year", flat=True)) == {2022, 2023, 2024, 2025, 2026}
    assert SopActivity.objects.count() == 38 * 5 * 6
    assert ParticipatingVillage.objects.count() == len(kabkota) * 5 * 3
    per_office_year = Counter(
        ParticipatingVillage.objects.values_list("office_id", "program_year__year")
    )
    assert set(per_office_year.values()) == {3}
    plan_sizes = Counter(WorkPlanActivity.objects.values_list("village_id", flat=True))
    assert len(plan_sizes) == ParticipatingVillage.objects.count()
    assert min(plan_sizes.values()) >= 7 and max(plan_sizes.values()) <= 10
    assert 7.5 <= sum(plan_sizes.values()) / len(plan_sizes) <= 8.5
    stages_per_village = (
        WorkPlanActivity.objects.values("village_id")
        .annotate(n=Count("stage", distinct=True))
        .values_list("n", flat=True)
    )
    assert set(stages_per_village) == {len(Stage.values)}
    assert Membership.objects.filter(role=Role.TIM_KABKOTA).count() == len(kabkota)
    for role in (Role.KEPALA, Role.KETUA_TIM, Role.TIM_PROVINSI):
        assert Membership.objects.filter(role=role).count() == 38
    assert User.objects.count() == len(kabkota) + 3 * 38
    assert AuditEvent.objects.count() == AUDIT_ROWS
    assert "participating villages" in seeded and "570" in seeded


def test_seed_scale_builds_synthetic_regions_in_the_dotted_layout(db, seeded):
    jatim = Office.objects.get(code="3500")
    kabkota = Office.objects.get(parent=jatim)
    desa = Region.objects.filter(code__startswith=kabkota.region.code + ".", level="desa")

    assert jatim.region.code == "35"
    assert kabkota.region.code == "35.01"
    assert kabkota.region.parent == jatim.region
    assert desa.count() == 16
    assert all(len(code.split(".")) == 4 for code in desa.values_list("code", flat=True))
    assert ParticipatingVillage.objects.filter(office=kabkota).exclude(
        village__in=desa
    ).count() == 0  # fmt: skip


def statuses(year: int) -> Counter:
    result = Counter()
    for program_year in ProgramYear.objects.filter(year=year):
        offices = Office.objects.filter(parent=program_year.province_id)
        result.update(i.status for i in work_plan_items(program_year, offices.values("pk")))
    return result


def test_seeded_work_plan_has_every_kind_of_outcome(db, seeded):
    with time_machine.travel(TODAY, tick=False):
        current, past = statuses(2026), statuses(2023)

    assert current[Status.TEPAT_WAKTU] > 0
    assert current[Status.LEWAT] + current[Status.TERLAMBAT] > 0
    assert current[Status.BELUM_JATUH_TEMPO] + current[Status.SEGERA] > 0
    assert past[Status.BELUM_JATUH_TEMPO] == past[Status.SEGERA] == 0
    assert past[Status.TEPAT_WAKTU] > past[Status.TERLAMBAT] > 0


def test_seeded_villages_continue_from_one_year_to_the_next(db, seeded):
    office = Office.objects.get(code="1701")
    kinds = Counter(
        ParticipatingVillage.objects.filter(office=office).values_list("kind", flat=True)
    )
    continuing = ParticipatingVillage.objects.get(
        office=office, program_year__year=2023, kind=VillageKind.BERKELANJUTAN
    )

    assert kinds[VillageKind.BERKELANJUTAN] == 4  # every year but the first
    assert ParticipatingVillage.objects.filter(
        office=office, program_year__year=2022, village=continuing.village
    ).exists()


def test_seeded_recaps_cover_the_periods_that_have_ended(db, seeded):
    # Recaps start in 2025. On 18 May 2026 two periods of 2026 have ended (Jan–Feb, Mar–Apr).
    per_year = Counter(Recap.objects.values_list("program_year__year", flat=True))

    assert per_year == {2025: 38 * 6, 2026: 38 * 2}
    recap = Recap.objects.get(
        program_year__province__code="1700", program_year__year=2026, period=2
    )
    assert {row["office_id"] for row in recap.snapshot["rows"]} == {
        Office.objects.get(code="1700").pk,
        *Office.objects.filter(parent__code="1700").values_list("pk", flat=True),
    }


def test_seed_scale_again_with_force_adds_nothing_twice(db, seeded):
    models = (Region, Office, User, ProgramYear, ParticipatingVillage, WorkPlanActivity, Recap)
    before = {model.__name__: model.objects.count() for model in models}

    with time_machine.travel(TODAY, tick=True):
        seed(force=True)

    assert {model.__name__: model.objects.count() for model in models} == before
    assert AuditEvent.objects.count() == AUDIT_ROWS  # filled up to the number, not beyond


def test_bench_measures_program_pages_on_the_seeded_data(db, seeded, tmp_path):
    report = tmp_path / "bench.md"

    call_command(
        "bench", runs=2, warmups=1, only="program:", markdown=str(report), stdout=io.StringIO()
    )

    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in report.read_text().splitlines()
        if line.startswith("| program:")
    ]
    assert [row[0] for row in rows] == [
        "program:home",
        "program:home (largest province)",
        "program:village_list",
    ]
    for _name, p50, p95, queries, budget, verdict in rows:
        assert 0 < float(p50) <= float(p95)
        assert int(queries) > 0
        assert budget == "≤ 150 ms"
        assert verdict.startswith(("ok", "MISSED by"))
