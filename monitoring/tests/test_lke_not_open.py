"""The LKE item of an office is "belum dibuka" until the province opens the assessment: not
expected, never overdue, no reminder and no escalation, even past the calendar's window; once
opened it follows its deadline like any other item (frozen clock, every app's provider)."""

from datetime import datetime

import pytest
import time_machine

from core.deadlines import JAKARTA, Status
from core.models import ReminderRecord
from lke.queries import tracked_items as lke_items
from lke.services import open_assessment
from lke.tests.conftest import small_instrument  # noqa: F401  (fixture)
from monitoring.queries import province_dashboard
from monitoring.reminders import send_reminders

pytestmark = pytest.mark.django_db

# The 2026 calendar opens the LKE window on 1 September for one month: due 1 October.
BEFORE_DUE = datetime(2026, 9, 29, 8, tzinfo=JAKARTA)  # three working days before it
PAST_DUE = datetime(2026, 10, 5, 8, tzinfo=JAKARTA)


@pytest.fixture
def staff(tim_rejang_lebong, pimpinan_rejang_lebong, ketua_tim, village_rejang_lebong):
    for user in (tim_rejang_lebong, pimpinan_rejang_lebong, ketua_tim):
        user.email = f"{user.username}@bps.go.id"
        user.save(update_fields=["email"])


def lke_reminders() -> list[str]:
    return sorted(r.kind for r in ReminderRecord.objects.all() if r.key.startswith("penilaian:"))


def test_before_opening_the_lke_item_is_not_open_not_expected_and_never_reminded(
    staff, year_2026, rejang_lebong, ketua_tim, tim_rejang_lebong, client
):
    for moment in (BEFORE_DUE, datetime(2026, 10, 1, 8, tzinfo=JAKARTA), PAST_DUE):
        with time_machine.travel(moment, tick=False):
            (item,) = lke_items(year_2026, [rejang_lebong.pk])
            assert item.status == Status.BELUM_DIBUKA
            send_reminders()
    assert lke_reminders() == []

    with time_machine.travel(PAST_DUE, tick=False):
        data = province_dashboard(ketua_tim, year_2026)
        row = next(r for r in data.kabkota_rows if r.office_code == "1702")
        figures = row.activity("penilaian")
        assert (figures.expected, figures.overdue, figures.open) == (0, 0, 1)
        assert figures.status_count(Status.BELUM_DIBUKA) == 1
        client.force_login(tim_rejang_lebong)
        page = client.get(f"/dasbor/kabkota/{rejang_lebong.pk}/", {"tahun": 2026})
        html = page.content.decode()
        assert 'data-status="belum_dibuka">Belum dibuka</span>' in html
        assert not [i for i in page.context["overview"].overdue if i.item.activity == "penilaian"]


def test_once_opened_the_lke_item_falls_due_and_is_escalated_when_overdue(
    staff,
    year_2026,
    rejang_lebong,
    ketua_tim,
    small_instrument,  # noqa: F811
):
    with time_machine.travel(BEFORE_DUE, tick=False):
        open_assessment(year_2026, instrument=small_instrument, by=ketua_tim)
        (item,) = lke_items(year_2026, [rejang_lebong.pk])
        assert item.status == Status.SEGERA
        send_reminders()
    with time_machine.travel(PAST_DUE, tick=False):
        (item,) = lke_items(year_2026, [rejang_lebong.pk])
        assert item.status == Status.LEWAT
        send_reminders()

    assert lke_reminders() == ["before", "escalation"]
