"""Who may generate and sign the progress recap and ask for, grant or decline a dispensasi is
checked inside monitoring.services. The subject of the dispensasi cases is a work-plan line of
the Rejang Lebong village. Harness: core/tests/service_permissions.py."""

from datetime import date

from conftest import desa_in
from core.models import Extension, Office
from core.tests.service_permissions import (
    PROVINCE_TEAM,
    Case,
    check,
    parametrize,
    people,  # noqa: F401 (the fixture)
)
from monitoring import services
from monitoring.models import ExtensionRequest, Recap
from program.models import ParticipatingVillage, ProgramYear, VillageKind
from program.services import add_activity, create_program_year

UNTIL = date(2026, 12, 31)


def _year() -> ProgramYear:
    province = Office.objects.get(code="1700")
    year = ProgramYear.objects.filter(province=province, year=2026).first()
    return year or create_program_year(province, year=2026, by=None)


def _activity(users):
    office = Office.objects.get(code="1702")
    village = ParticipatingVillage.objects.create(
        program_year=_year(), village=desa_in(office), office=office, kind=VillageKind.UTAMA
    )
    return add_activity(
        village,
        by=users["tim_kabkota"],
        stage="koordinasi",
        name="Sosialisasi",
        pelaksana="Pembina",
        target_output="Berita acara",
        planned_start=date(2026, 5, 4),
        planned_end=date(2026, 5, 8),
    )


def _ask(activity, by):
    return services.request_extension(
        activity,
        program_year=activity.village.program_year,
        office=activity.village.office,
        label=activity.name,
        until=UNTIL,
        reason="Kepala desa berhalangan",
        by=by,
    )


def generate_recap(users):
    year = _year()
    return (
        lambda by: services.generate_recap(year, period=1, narrative="Berjalan baik.", by=by),
        lambda: Recap.objects.count(),
    )


def sign_recap(users):
    recap = services.generate_recap(_year(), period=1, narrative="", by=users["tim_provinsi"])
    return (
        lambda by: services.sign_recap(recap, number="B-12/17000/2026", place="Bengkulu", by=by),
        lambda: Recap.objects.get(pk=recap.pk).state,
    )


def request_extension(users):
    activity = _activity(users)
    return (lambda by: _ask(activity, by), lambda: ExtensionRequest.objects.count())


def grant_dispensasi(users):
    activity = _activity(users)
    return (
        lambda by: services.grant_dispensasi(
            activity, office=activity.village.office, until=UNTIL, reason="Bencana", by=by
        ),
        lambda: Extension.objects.count(),
    )


def decline_extension_request(users):
    request = _ask(_activity(users), users["tim_kabkota"])
    return (
        lambda by: services.decline_extension_request(request, note="Masih sempat", by=by),
        lambda: ExtensionRequest.objects.get(pk=request.pk).state,
    )


CASES = [
    Case(services.generate_recap, PROVINCE_TEAM, generate_recap),
    Case(services.sign_recap, frozenset({"kepala"}), sign_recap),
    Case(services.request_extension, frozenset({"tim_kabkota"}), request_extension),
    Case(services.grant_dispensasi, frozenset({"ketua_tim"}), grant_dispensasi),
    Case(services.decline_extension_request, frozenset({"ketua_tim"}), decline_extension_request),
]


@parametrize(CASES)
def test_service_checks_the_actor(case, persona, allowed, people):  # noqa: F811
    check(case, persona, allowed, people)
