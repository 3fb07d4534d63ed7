"""seed_scale at a tiny scale: the national data set keeps its proportions, and the command
never writes into a database that already holds program data unless told to."""

import io
from collections import Counter
from datetime import datetime

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from django.test import override_settings

from core.deadlines import JAKARTA, Status
from core.models import Attachment, AuditEvent, Membership, Office, Region, Role, User
from lke.models import Answer, Assessment, Level, Snapshot, Worksheet
from lke.models import Status as LkeStatus
from lke.scoring import instrument_tree, required_items, score_level
from meetings.models import ActionItem, Attendance, Meeting
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
from reports.models import Report, ReportKind

SCALE = 0.02  # one kab/kota per province: 38 kab/kota, 570 villages
AUDIT_ROWS = 3000
TODAY = datetime(2026, 5, 18, 12, tzinfo=JAKARTA)


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_scale", scale=SCALE, audit_rows=AUDIT_ROWS, stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """One seed for the module's tests, inside a transaction rolled back after the last one
    (each test's own transaction nests in it as a savepoint). Module fixtures end with the
    module, so the tests that need a database without it come first in this file. The seeded
    report files go to a temporary folder: the autouse `_media_in_tmp` of conftest is
    per test, so without this the module's seed wrote them into the checkout's var/media/."""
    media = tmp_path_factory.mktemp("seed-media")
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media},
        },
    }
    with override_settings(STORAGES=storages), django_db_blocker.unblock(), transaction.atomic():
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
    # and the national operator (a superuser) and a member of the national team (BPS RI)
    assert User.objects.count() == len(kabkota) + 3 * 38 + 2
    assert Membership.objects.filter(role=Role.TIM_NASIONAL, office__code="0000").count() == 1
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


def test_seeded_reports_cover_every_village_whose_dates_have_passed(db, seeded):
    per_kind = Counter(Report.objects.values_list("kind", flat=True))
    villages = ParticipatingVillage.objects.count()
    past_villages = ParticipatingVillage.objects.filter(program_year__year__lt=2026).count()

    # Every village of 2022–2025 has its three reports; in 2026 (18 May) only some events passed.
    assert past_villages <= per_kind[ReportKind.SOSIALISASI] <= villages
    assert per_kind[ReportKind.LAPORAN_AKHIR] == past_villages
    assert set(Report.objects.values_list("village_id", flat=True)) <= set(
        ParticipatingVillage.objects.values_list("pk", flat=True)
    )


def test_seeded_meetings_one_per_period_closed_once_it_ended(db, seeded):
    per_year = Counter(Meeting.objects.values_list("program_year__year", flat=True))
    current = Counter(
        Meeting.objects.filter(program_year__year=2026).values_list("state", flat=True)
    )
    closed = Meeting.objects.filter(state=Meeting.State.CLOSED)
    actions = Counter(ActionItem.objects.values_list("state", flat=True))

    assert per_year == dict.fromkeys((2022, 2023, 2024, 2025, 2026), 38 * 6)
    # On 18 May 2026 two periods have ended, the third runs, three are still to come.
    assert current == {"closed": 38 * 2, "scheduled": 38, "draft": 38 * 3}
    assert Attendance.objects.count() == closed.count()  # one kab/kota invited per province
    assert set(Attendance.objects.values_list("status", flat=True)) >= {"hadir"}
    assert 2 * closed.count() <= ActionItem.objects.count() <= 4 * closed.count()
    assert actions["confirmed"] > 0 and actions["open"] > 0 and actions["done"] > 0
    overdue = ActionItem.objects.filter(state="open", due_date__lt=TODAY.date())
    assert overdue.exists()
    invited = Meeting.invited_offices.through.objects.values_list("meeting_id", flat=True)
    assert Counter(invited) == dict.fromkeys(Meeting.objects.values_list("pk", flat=True), 1)


def test_seeded_lke_answers_every_choice_item_with_consistent_scores(db, seeded):
    villages = ParticipatingVillage.objects.count()
    kabkota = len(seeded_kabkota())
    past = Worksheet.objects.filter(assessment__program_year__year__lt=2026)

    assert Assessment.objects.count() == 38 * 5
    assert Worksheet.objects.filter(target="village").count() == villages
    assert Worksheet.objects.filter(target="office").count() == kabkota * 5
    assert set(past.values_list("status", flat=True)) == {LkeStatus.SIGNED_OFF}
    assert (
        Snapshot.objects.count()
        == Worksheet.objects.filter(final_snapshot__isnull=False).count()
        >= past.count()
    )
    for worksheet in Worksheet.objects.select_related("assessment__instrument")[:40]:
        tree = instrument_tree(worksheet.assessment.instrument, worksheet.target)
        for level, counter in (
            (Level.SELF, "self_answered"),
            (Level.PROVINCIAL, "provincial_answered"),
        ):
            answers = Answer.objects.filter(worksheet=worksheet, level=level)
            chosen = dict(answers.values_list("item_id", "option__score"))
            assert answers.count() == getattr(worksheet, counter)
            assert worksheet.scores[level] == score_level(tree, chosen).as_json()
        assert worksheet.required_items == len(required_items(tree))
    finished = past.first()
    assert finished.provincial_answered == finished.self_answered == finished.required_items
    assert finished.final_snapshot.data["scores"] == finished.scores


def test_seed_scale_again_with_force_adds_nothing_twice(db, seeded):
    models = (
        Region,
        Office,
        User,
        ProgramYear,
        ParticipatingVillage,
        WorkPlanActivity,
        Recap,
        Report,
        Meeting,
        ActionItem,
        Worksheet,
        Answer,
    )
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
        "program:home (largest province, cached)",
        "program:village_list",
    ]
    for _name, p50, p95, queries, budget, verdict in rows:
        assert 0 < float(p50) <= float(p95)
        assert int(queries) > 0
        assert budget == "≤ 150 ms"
        assert verdict.startswith(("ok", "MISSED by"))


def test_bench_measures_reports_meetings_and_lke_on_the_seeded_data(db, seeded, tmp_path):
    report = tmp_path / "bench.md"
    answers = Answer.objects.count()

    for only in ("reports:", "meetings:", "lke:"):
        call_command(
            "bench", runs=1, warmups=1, only=only, markdown=str(report), stdout=io.StringIO()
        )
        rows = [
            [cell.strip() for cell in line.strip("|").split("|")]
            for line in report.read_text().splitlines()
            if line.startswith(f"| {only}")
        ]
        assert rows, only
        for name, p50, _p95, queries, _budget, verdict in rows:
            assert verdict.startswith(("ok", "MISSED by")), (name, verdict)
            assert float(p50) > 0 and int(queries) > 0

    assert Answer.objects.count() == answers  # the answer saves were rolled back


def test_bench_measures_send_reminders_and_leaves_no_reminder_behind(db, seeded, tmp_path):
    from core.models import OutgoingMail, ReminderRecord

    report = tmp_path / "bench.md"
    before = (ReminderRecord.objects.count(), OutgoingMail.objects.count())

    call_command("bench", only="send_reminders", markdown=str(report), stdout=io.StringIO())

    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in report.read_text().splitlines()
        if line.startswith("| send_reminders")
    ]
    assert [row[0] for row in rows] == [
        "send_reminders (every province, first run of the day)",
        "send_reminders (every province, second run: nothing new)",
    ]
    (_n, p50, _p95, first, budget, verdict), (_m, _p50, _p95b, second, _b, verdict2) = rows
    assert float(p50) > 0 and budget == "≤ 60000 ms"
    assert verdict.startswith(("ok", "MISSED by")) and verdict2.startswith(("ok", "MISSED by"))
    assert int(second) < int(first)  # the second run finds every reminder already sent
    assert (ReminderRecord.objects.count(), OutgoingMail.objects.count()) == before


def test_the_seed_writes_its_files_into_a_temporary_folder(db, seeded, tmp_path_factory):
    folders = list(tmp_path_factory.getbasetemp().glob("seed-media*"))
    names = list(Attachment.objects.values_list("file", flat=True)[:50])

    assert names
    assert [n for n in names if not any((media / n).is_file() for media in folders)] == []
