"""Who may change program years, the SOP calendar, participating villages and work plans is
checked inside program.services (the pages call the same program.queries `can_*` rules), so a
management command or the API is refused what the page refuses. The harness is in
core/tests/service_permissions.py."""

from datetime import date

from django.urls import reverse

from conftest import desa_in
from core.models import Attachment, Office
from core.tests.service_permissions import (
    PROVINCE_TEAM,
    Case,
    check,
    parametrize,
    pdf,
    people,  # noqa: F401 (the fixture)
    xlsx_file,
)
from program import services
from program.models import (
    ParticipatingVillage,
    ProgramYear,
    VillageAgent,
    VillageKind,
    WorkPlanActivity,
)
from program.services import create_program_year

KABKOTA_TEAM = frozenset({"tim_kabkota"})
LEAD = frozenset({"ketua_tim"})


def _year() -> ProgramYear:
    province = Office.objects.get(code="1700")
    return ProgramYear.objects.filter(province=province, year=2026).first() or create_program_year(
        province, year=2026, by=None
    )


def _village() -> ParticipatingVillage:
    office = Office.objects.get(code="1702")
    return ParticipatingVillage.objects.create(
        program_year=_year(), village=desa_in(office), office=office, kind=VillageKind.UTAMA
    )


def _activity(users, **values) -> WorkPlanActivity:
    return services.add_activity(
        _village(),
        by=users["tim_kabkota"],
        stage="koordinasi",
        name="Sosialisasi",
        pelaksana="Pembina",
        target_output="Berita acara",
        planned_start=date(2026, 5, 4),
        planned_end=date(2026, 5, 8),
        **values,
    )


def _row(model, pk, *fields):
    return tuple(model.objects.filter(pk=pk).values_list(*fields).first() or ())


def create_year(users):
    province = Office.objects.get(code="1700")
    return (
        lambda by: create_program_year(province, year=2027, by=by),
        lambda: ProgramYear.objects.filter(year=2027).count(),
    )


def year_settings(users):
    year = _year()
    return (
        lambda by: services.update_program_year_settings(
            year, working_days=not year.working_days, soon_days=year.soon_days + 1, by=by
        ),
        lambda: _row(ProgramYear, year.pk, "working_days", "soon_days"),
    )


def sop_activity(users):
    activity = _year().sop_activities.get(code="sosialisasi")
    return (
        lambda by: services.update_sop_activity(
            activity,
            amount=activity.amount + 1,
            unit=activity.unit,
            window_start=activity.window_start,
            anchor_label=activity.anchor_label,
            by=by,
        ),
        lambda: _row(type(activity), activity.pk, "amount", "unit"),
    )


def add_village(users):
    year, office = _year(), Office.objects.get(code="1702")
    return (
        lambda by: services.add_village(
            year,
            village=desa_in(office, 1),
            office=office,
            kind=VillageKind.TAMBAHAN,
            pembina=[],
            by=by,
        ),
        lambda: ParticipatingVillage.objects.count(),
    )


def update_village(users):
    village = _village()
    return (
        lambda by: services.update_village(
            village, kind=VillageKind.TAMBAHAN, pembina=[], notes="Diubah", by=by
        ),
        lambda: _row(ParticipatingVillage, village.pk, "kind", "notes"),
    )


def village_attachment(users):
    village = _village()
    return (
        lambda by: services.add_village_attachment(
            village, upload=pdf("sk.pdf"), purpose="sk_pembina", by=by
        ),
        lambda: Attachment.objects.count(),
    )


def add_activity(users):
    village = _village()
    return (
        lambda by: services.add_activity(
            village,
            by=by,
            stage="identifikasi",
            name="Kunjungan",
            pelaksana="Pembina",
            target_output="Kuesioner",
            planned_start=date(2026, 6, 1),
            planned_end=date(2026, 6, 5),
        ),
        lambda: WorkPlanActivity.objects.count(),
    )


def update_activity(users):
    activity = _activity(users)
    return (
        lambda by: services.update_activity(
            activity, version=activity.version, name="Sosialisasi ulang", by=by
        ),
        lambda: _row(WorkPlanActivity, activity.pk, "name", "version"),
    )


def realise_activity(users):
    activity = _activity(users)
    return (
        lambda by: services.realise_activity(
            activity,
            version=activity.version,
            realised_on=date(2026, 5, 7),
            realisation_output="Berita acara",
            realisation_notes="",
            evidence=[pdf()],
            by=by,
        ),
        lambda: (
            _row(WorkPlanActivity, activity.pk, "realised_on", "version"),
            Attachment.objects.count(),
        ),
    )


def add_evidence(users):
    activity = _activity(users, realised_on=date(2026, 5, 7), realisation_output="Berita acara")
    return (
        lambda by: services.add_evidence(activity, upload=pdf(), by=by),
        lambda: Attachment.objects.count(),
    )


def delete_activity(users):
    activity = _activity(users)
    return (
        lambda by: services.delete_activity(activity, by=by),
        lambda: WorkPlanActivity.objects.filter(pk=activity.pk).exists(),
    )


def import_villages(users):
    year, office = _year(), Office.objects.get(code="1702")
    rows = [
        services.VillageRow(
            2,
            {
                "village_id": desa_in(office, 2).pk,
                "office_id": office.pk,
                "kind": VillageKind.UTAMA,
                "pembina_ids": [],
                "notes": "",
            },
        )
    ]
    return (
        lambda by: services.import_villages(year, rows, by=by, file_name="desa.xlsx"),
        lambda: ParticipatingVillage.objects.count(),
    )


AGENT_KEEPERS = KABKOTA_TEAM | PROVINCE_TEAM


def _agent(users):
    return services.add_agent(
        _village(), by=users["tim_kabkota"], name="Rina Marlina", is_village_official=True
    )


def add_agent(users):
    village = _village()
    return (
        lambda by: services.add_agent(village, name="Budi Santoso", phone="0812 3456 7890", by=by),
        lambda: VillageAgent.objects.count(),
    )


def update_agent(users):
    agent = _agent(users)
    return (
        lambda by: services.update_agent(
            agent, version=agent.version, name="Rina M.", role="Kaur Umum", by=by
        ),
        lambda: _row(VillageAgent, agent.pk, "name", "role", "version"),
    )


def delete_agent(users):
    agent = _agent(users)
    return (
        lambda by: services.delete_agent(agent, version=agent.version, by=by),
        lambda: VillageAgent.objects.filter(pk=agent.pk).exists(),
    )


def copy_previous_agents(users):
    village = _village()
    earlier = ParticipatingVillage.objects.create(
        program_year=create_program_year(village.program_year.province, year=2025, by=None),
        village=village.village,
        office=village.office,
        kind=VillageKind.UTAMA,
    )
    services.add_agent(earlier, name="Rina Marlina", by=users["tim_kabkota"])
    return (
        lambda by: services.copy_previous_agents(village, by=by),
        lambda: village.agents.count(),
    )


HEADER = ["No", "Tahap", "Rincian kegiatan", "Pelaksana", "Target output"]
HEADER += ["Rencana mulai", "Rencana selesai", "Tanggal realisasi", "Output realisasi"]


def import_work_plan(users):
    village = _village()
    row = [1, "Identifikasi", "Kunjungan", "Pembina", "Kuesioner"]
    row += [date(2026, 6, 1), date(2026, 6, 12), None, None]
    return (
        lambda by: services.import_work_plan(village, upload=xlsx_file([row], HEADER), by=by),
        lambda: WorkPlanActivity.objects.count(),
    )


CASES = [
    Case(services.create_program_year, LEAD | {"superuser", "system"}, create_year),
    Case(services.update_program_year_settings, LEAD, year_settings),
    Case(services.update_sop_activity, LEAD, sop_activity),
    Case(services.add_village, PROVINCE_TEAM, add_village),
    Case(services.update_village, PROVINCE_TEAM, update_village),
    Case(services.add_village_attachment, PROVINCE_TEAM, village_attachment),
    Case(services.import_villages, PROVINCE_TEAM, import_villages),
    Case(services.add_activity, KABKOTA_TEAM, add_activity),
    Case(services.update_activity, KABKOTA_TEAM, update_activity),
    Case(services.realise_activity, KABKOTA_TEAM, realise_activity),
    Case(services.add_evidence, KABKOTA_TEAM, add_evidence),
    Case(services.delete_activity, KABKOTA_TEAM, delete_activity),
    Case(services.import_work_plan, KABKOTA_TEAM, import_work_plan),
    Case(services.add_agent, AGENT_KEEPERS, add_agent),
    Case(services.update_agent, AGENT_KEEPERS, update_agent),
    Case(services.delete_agent, AGENT_KEEPERS, delete_agent),
    Case(services.copy_previous_agents, AGENT_KEEPERS, copy_previous_agents),
]


@parametrize(CASES)
def test_service_checks_the_actor(case, persona, allowed, people):  # noqa: F811
    check(case, persona, allowed, people)


def test_the_403_page_says_what_the_role_does_not_allow(
    client, pimpinan_rejang_lebong, village_rejang_lebong
):
    client.force_login(pimpinan_rejang_lebong)

    response = client.post(reverse("program:village_edit", args=[village_rejang_lebong.pk]), {})

    assert response.status_code == 403
    assert "Hanya tim Desa Cantik provinsi yang menambah dan mengubah desa peserta." in (
        response.content.decode()
    )
