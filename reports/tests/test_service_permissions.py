"""Who may write, submit and review reports is checked inside reports.services with the rules
of reports.queries (can_write_reports, can_review_reports). Harness:
core/tests/service_permissions.py."""

from conftest import desa_in
from core.models import Attachment, Office
from core.services import attachments_of
from core.tests.service_permissions import (
    PROVINCE_TEAM,
    Case,
    check,
    parametrize,
    pdf,
    people,  # noqa: F401 (the fixture)
)
from program.models import ParticipatingVillage, ProgramYear, VillageKind
from program.services import create_program_year
from reports import services
from reports.models import Purpose, Report, ReportKind
from reports.tests.conftest import (
    AGENTS,
    SOSIALISASI_FIELDS,
    complete_sosialisasi,
    draft_sosialisasi,
    new_report,
    submitted_sosialisasi,
)

KABKOTA_TEAM = frozenset({"tim_kabkota"})


def _village() -> ParticipatingVillage:
    province, office = Office.objects.get(code="1700"), Office.objects.get(code="1702")
    year = ProgramYear.objects.filter(province=province, year=2026).first()
    year = year or create_program_year(province, year=2026, by=None)
    return ParticipatingVillage.objects.create(
        program_year=year, village=desa_in(office), office=office, kind=VillageKind.UTAMA
    )


def _state(report: Report):
    return lambda: Report.objects.filter(pk=report.pk).values_list("state", "revision").get()


def save_draft(users):
    village = _village()
    return (
        lambda by: services.save_draft(
            new_report(village, ReportKind.SOSIALISASI),
            by=by,
            revision=None,
            fields=SOSIALISASI_FIELDS,
            agents=AGENTS,
        ),
        lambda: Report.objects.count(),
    )


def add_attachment(users):
    report = draft_sosialisasi(_village(), users["tim_kabkota"])
    return (
        lambda by: services.add_attachment(
            report, upload=pdf("undangan.pdf"), purpose=Purpose.UNDANGAN, by=by
        ),
        lambda: Attachment.objects.count(),
    )


def remove_attachment(users):
    report = complete_sosialisasi(_village(), users["tim_kabkota"])
    attachment = attachments_of(report).get(purpose=Purpose.UNDANGAN)
    return (
        lambda by: services.remove_attachment(report, attachment=attachment, by=by),
        lambda: sorted(attachments_of(report).values_list("pk", flat=True)),
    )


def submit_report(users):
    report = complete_sosialisasi(_village(), users["tim_kabkota"])
    return (lambda by: services.submit_report(report, by=by), _state(report))


def return_report(users):
    report = submitted_sosialisasi(_village(), users["tim_kabkota"])
    return (
        lambda by: services.return_report(report, by=by, comment="Lengkapi daftar hadir."),
        _state(report),
    )


def approve_report(users):
    report = submitted_sosialisasi(_village(), users["tim_kabkota"])
    return (lambda by: services.approve_report(report, by=by), _state(report))


CASES = [
    Case(services.save_draft, KABKOTA_TEAM, save_draft),
    Case(services.add_attachment, KABKOTA_TEAM, add_attachment),
    Case(services.remove_attachment, KABKOTA_TEAM, remove_attachment),
    Case(services.submit_report, KABKOTA_TEAM, submit_report),
    Case(services.return_report, PROVINCE_TEAM, return_report),
    Case(services.approve_report, PROVINCE_TEAM, approve_report),
]


@parametrize(CASES)
def test_service_checks_the_actor(case, persona, allowed, people):  # noqa: F811
    check(case, persona, allowed, people)
