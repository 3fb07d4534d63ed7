import io
from datetime import date, datetime

import time_machine
from django.core.management import call_command

from core.deadlines import JAKARTA, Status
from core.models import Membership, User
from program.models import ParticipatingVillage, ProgramYear, WorkPlanActivity
from program.queries import work_plan_items
from program.services import PHONE


@time_machine.travel(datetime(2026, 11, 25, 9, tzinfo=JAKARTA), tick=False)
def test_seed_demo_is_idempotent_and_gives_the_dashboard_every_state(db):
    call_command("seed_demo", stdout=io.StringIO())
    counts = (
        ProgramYear.objects.count(),
        ParticipatingVillage.objects.count(),
        WorkPlanActivity.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    )
    call_command("seed_demo", stdout=io.StringIO())
    # BPS RI's pimpinan.nasional and tim.nasional too, and the second province (Sumatera
    # Selatan: 2026 only, two kab/kota of two villages, its team of six)
    assert counts == (3, 64, 512, 53, 53)
    assert counts == (
        ProgramYear.objects.count(),
        ParticipatingVillage.objects.count(),
        WorkPlanActivity.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    )
    year = ProgramYear.objects.get(province__code="1700", year=2026)
    offices = set(
        ParticipatingVillage.objects.filter(program_year=year).values_list("office_id", flat=True)
    )
    statuses = {item.status for item in work_plan_items(year, offices)}
    assert statuses == {
        Status.TEPAT_WAKTU,
        Status.TERLAMBAT,
        Status.LEWAT,
        Status.SEGERA,
        Status.BELUM_JATUH_TEMPO,
    }
    known = ParticipatingVillage.objects.filter(village__code="17.03.09.2003")  # Marga Sakti
    assert known.exists()


@time_machine.travel(datetime(2026, 11, 25, 9, tzinfo=JAKARTA), tick=False)
def test_seed_demo_tells_a_coherent_story(db):
    """What `make run` shows on a fresh clone (load_instruments, then seed_demo) holds together:
    people with names and NIP, reviews by the province, work plans matching the reports, two
    meetings, an opened LKE with worksheets in several states, a signed recap, and returned
    reports waiting in a kab/kota's Tugas saya."""
    from core.permissions import has_role
    from lke.models import Assessment, Status
    from meetings.models import Meeting
    from monitoring.models import Recap
    from monitoring.tasks import _report_url, tasks_for
    from reports.models import Report, ReportKind, ReportState, Review

    call_command("load_instruments", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())

    names = list(User.objects.values_list("full_name", flat=True))
    assert len(set(names)) == len(names) == 53
    assert not [n for n in names if "Tim Desa Cantik" in n or "Pembina 1" in n]
    assert all(
        len(nip) == 18 and nip.isdigit() for nip in User.objects.values_list("nip", flat=True)
    )

    reviews = Review.objects.select_related("report__village__office")
    assert reviews and all(  # each by a member of the village's own province office
        Membership.objects.filter(user_id=r.by_id, office_id=r.report.village.office.parent_id)
        for r in reviews
    )

    activity = {
        ReportKind.SOSIALISASI: "Sosialisasi dan pencanangan Desa Cantik",
        ReportKind.IDENTIFIKASI: "Identifikasi kebutuhan data desa",
    }
    approved = Report.objects.filter(state=ReportState.APPROVED, kind__in=activity)
    assert approved.count() > 20
    for report in approved:
        line = WorkPlanActivity.objects.get(village=report.village, name=activity[report.kind])
        assert line.realised_on == report.anchor_date, (report.village, report.kind)

    # Each village's agen statistik register holds the agents its sosialisasi report lists
    # (the register is what the report form offers), with phone numbers; more than one agent,
    # one a village official, as the SOP asks.
    sosialisasi = Report.objects.filter(kind=ReportKind.SOSIALISASI).prefetch_related(
        "agents", "village__agents"
    )
    assert sosialisasi.count() > 20
    for report in sosialisasi:
        listed = [(a.name, a.is_village_official, a.sk_number) for a in report.agents.all()]
        register = [
            (a.name, a.is_village_official, a.sk_number) for a in report.village.agents.all()
        ]
        assert sorted(register) == sorted(listed), report.village
        assert len(register) >= 2 and any(official for _n, official, _s in register)
        assert all(PHONE.fullmatch(a.phone) for a in report.village.agents.all())

    *closed, scheduled = Meeting.objects.filter(program_year__year=2026).order_by("starts_at")
    assert len(closed) == 5  # every period ended by 25 November: January–October
    assert {m.state for m in closed} == {"closed"} and scheduled.state == "scheduled"
    for meeting in closed:
        assert meeting.attendances.count() == meeting.invited_offices.count() == 10
        assert meeting.decisions and all(item.minutes for item in meeting.agenda_items.all())
    assert closed[-1].action_items.count() >= 2
    numbers = [m.report_number for m in closed]  # each Laporan rapat has its letter number
    assert len(set(numbers)) == 5 and numbers[0] == "B-21/17000/VS.310/01/2026"
    assert scheduled.local_start.date() > date(2026, 11, 25)

    assessment = Assessment.objects.get(program_year__year=2026)
    statuses = set(assessment.worksheets.values_list("status", flat=True))
    assert {
        Status.SELF_ASSESSMENT,
        Status.SUBMITTED,
        Status.PROVINCIAL_VERIFICATION,
        Status.FINALISED,
    } <= statuses

    # the past year's results are signed, with one or two nominees per kab/kota (2b ranked)
    from lke.queries import national_nominees

    signed = Assessment.objects.get(program_year__year=2025)
    assert signed.signed_off_at is not None and signed.signed_off_by.username == "kepala"
    national = User.objects.get(username="tim.nasional")
    nominees = national_nominees(national, 2025)
    assert [line.province.code for line in nominees.provinces] == ["1700"]
    offices = nominees.provinces[0].offices
    assert len(offices) == 10
    ranks = [[r["nominee_rank"] for r in o["nominees"]] for o in offices]
    assert sorted(map(tuple, ranks)) == [(1,)] * 5 + [(1, 2)] * 5
    assert all(r["provincial"]["total"] is not None for r in nominees.nominees)

    recaps = Recap.objects.filter(program_year__year=2026).order_by("period")
    assert [r.period for r in recaps] == [1, 2, 3, 4, 5]  # every period ended by 25 November
    assert {(r.state, r.signed_by.username) for r in recaps} == {("signed_off", "kepala")}
    assert {r.record_place for r in recaps} == {"Bengkulu"}
    assert [r.record_number for r in recaps][-1] == "B-45/17000/VS.300/10/2026"

    returned = Report.objects.filter(state=ReportState.RETURNED, village__program_year__year=2026)
    assert returned.exists()
    office = returned.first().village.office
    writer = User.objects.get(username__startswith="tim.", memberships__office=office)
    assert has_role(writer, office, {"tim_kabkota"})
    fixes = {t.url for t in tasks_for(writer) if t.kind == "fix"}
    assert {_report_url(r) for r in returned.filter(village__office=office)} <= fixes

    counts = (Meeting.objects.count(), Recap.objects.count(), assessment.worksheets.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert counts == (Meeting.objects.count(), Recap.objects.count(), assessment.worksheets.count())


@time_machine.travel(datetime(2026, 11, 25, 9, tzinfo=JAKARTA), tick=False)
def test_the_demo_has_a_second_province_with_its_own_calendar_for_the_national_view(db, client):
    from core.models import Office
    from monitoring.queries import national_dashboard

    call_command("seed_demo", stdout=io.StringIO())
    sumsel = ProgramYear.objects.get(province__code="1600", year=2026)
    bengkulu = ProgramYear.objects.get(province__code="1700", year=2026)
    assert sumsel.working_days and not bengkulu.working_days
    standard = {
        y.province.code: (a.amount, a.unit)
        for y in (sumsel, bengkulu)
        for a in y.sop_activities.filter(code="sosialisasi")
    }
    assert standard == {"1600": (10, "day"), "1700": (2, "week")}
    villages = ParticipatingVillage.objects.filter(program_year=sumsel)
    assert villages.count() == 4
    assert WorkPlanActivity.objects.filter(village__in=villages).count() == 32
    assert set(Office.objects.filter(parent__code="1600").values_list("code", flat=True)) == {
        "1601",
        "1671",
    }
    national = User.objects.get(username="tim.nasional")
    data = national_dashboard(national, 2026)
    assert [line.province.code for line in data.lines] == ["1600", "1700"]
    lead = User.objects.get(username="ketua.tim.sumsel")
    client.force_login(lead)
    assert client.get("/dasbor/?provinsi=1700").status_code == 404  # never another province
