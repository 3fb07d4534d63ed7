"""The synthetic reports of `seed_reports` (demo data and the bench's reports step) are
consistent with the workflow's rules, so the pages and the dashboard read them like real ones."""

import random
from datetime import date, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from core.deadlines import JAKARTA
from reports.management.commands.seed_reports import SimpleSeed, seed_reports
from reports.models import Report, ReportState, Review
from reports.queries import current_files, tracked_items
from reports.services import requirements_of

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 15)


@pytest.fixture
def seeded(village_rejang_lebong, village_kaur, tim_kaur, tim_provinsi):
    return seed_reports(SimpleSeed(rng=random.Random(7), today=TODAY))


def test_every_village_gets_its_three_reports_with_consistent_histories(seeded):
    reports = list(Report.objects.prefetch_related("versions__reviews", "agents", "needs"))

    assert len(reports) == 6
    for report in reports:
        versions = list(report.versions.all())
        reviews = [r for v in versions for r in v.reviews.all()]
        if report.state == ReportState.DRAFT:
            assert versions == [] and report.first_submitted_at is None
            continue
        assert report.first_submitted_at == versions[0].submitted_at
        assert [r.met for r in requirements_of(report)] == [True] * len(requirements_of(report))
        assert {a["purpose"] for a in versions[-1].snapshot["attachments"]} == {
            a.purpose for a in current_files(report)
        }
        expected_last = {
            ReportState.SUBMITTED: None,
            ReportState.RETURNED: Review.Decision.RETURNED,
            ReportState.APPROVED: Review.Decision.APPROVED,
        }[report.state]
        last = versions[-1].reviews.all()
        assert (last[0].decision if last else None) == expected_last
        assert all(r.comment for r in reviews if r.decision == Review.Decision.RETURNED)


def test_seeding_again_adds_nothing(seeded):
    again = seed_reports(SimpleSeed(rng=random.Random(8), today=TODAY))

    assert again == seeded


def test_a_report_of_a_date_still_to_come_is_not_seeded(village_kaur, tim_kaur):
    seed_reports(SimpleSeed(rng=random.Random(7), today=date(2026, 3, 31)))

    assert Report.objects.count() == 0


def test_villages_of_an_office_without_a_team_are_left_out(village_kaur, village_rejang_lebong):
    # village_rejang_lebong brings tim_rejang_lebong; Kaur has no tim_kabkota here.
    seed_reports(SimpleSeed(rng=random.Random(7), today=TODAY))

    assert {r.village_id for r in Report.objects.all()} == {village_rejang_lebong.pk}


def test_the_seeded_reports_render_and_count_on_the_dashboard(
    client, seeded, ketua_tim, year_2026, rejang_lebong, kaur
):
    with time_machine.travel(datetime(2026, 12, 15, 9, tzinfo=JAKARTA), tick=False):
        client.force_login(ketua_tim)
        for report in Report.objects.select_related("village"):
            slug = {"sosialisasi": "sosialisasi", "identifikasi": "identifikasi"}.get(
                report.kind, "akhir"
            )
            page = client.get(reverse("reports:report_detail", args=[slug, report.village_id]))
            assert page.status_code == 200
        items = tracked_items(year_2026, [rejang_lebong.pk, kaur.pk])

    assert len(items) == 6
    assert all(item.due is not None for item in items)


def test_the_command_prints_the_counts(village_rejang_lebong, tim_provinsi, capsys):
    with time_machine.travel(datetime(2026, 12, 15, 9, tzinfo=JAKARTA), tick=False):
        call_command("seed_reports", "--seed", "3")

    assert "reports: 3" in capsys.readouterr().out


def test_the_reports_of_an_ended_program_year_are_all_approved(
    province, kaur, tim_kaur, tim_provinsi
):
    from conftest import desa_in
    from program.models import ParticipatingVillage, VillageKind
    from program.services import create_program_year

    year = create_program_year(province, year=2025, by=None)
    for index in range(12):
        ParticipatingVillage.objects.create(
            program_year=year, village=desa_in(kaur, index), office=kaur, kind=VillageKind.UTAMA
        )

    seed_reports(SimpleSeed(rng=random.Random(3), today=date(2026, 5, 1)))

    reports = Report.objects.filter(village__program_year=year)
    assert reports.count() == 36
    assert set(reports.values_list("state", flat=True)) == {ReportState.APPROVED}
