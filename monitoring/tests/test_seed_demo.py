import io
from datetime import datetime

import time_machine
from django.core.management import call_command

from core.deadlines import JAKARTA, Status
from core.models import Membership, User
from program.models import ParticipatingVillage, ProgramYear, WorkPlanActivity
from program.queries import work_plan_items


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
    assert counts == (2, 60, 480, 45, 45)
    assert counts == (
        ProgramYear.objects.count(),
        ParticipatingVillage.objects.count(),
        WorkPlanActivity.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    )
    year = ProgramYear.objects.get(year=2026)
    offices = set(ParticipatingVillage.objects.values_list("office_id", flat=True))
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
