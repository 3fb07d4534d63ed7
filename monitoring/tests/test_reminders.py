"""`send_reminders` on a frozen clock: before, on and after the due date, each once; the
escalation and the weekly digest; nothing for done work or work under dispensasi; and exactly
once when two runs meet on PostgreSQL."""

import io
import threading
from datetime import date, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections

from core.deadlines import JAKARTA
from core.models import NotificationKind, NotificationOptOut, OutgoingMail, ReminderRecord
from monitoring.reminders import send_reminders, working_days_before

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(tim_rejang_lebong, pimpinan_rejang_lebong, ketua_tim, tim_kaur, tim_provinsi):
    for user in (tim_rejang_lebong, pimpinan_rejang_lebong, ketua_tim, tim_kaur, tim_provinsi):
        user.email = f"{user.username}@bps.go.id"
        user.save(update_fields=["email"])


def run(moment: datetime) -> str:
    out = io.StringIO()
    with time_machine.travel(moment, tick=False):
        call_command("send_reminders", stdout=out)
    return out.getvalue().strip()


def mails_about(text: str) -> list[tuple[str, str]]:
    return sorted((m.to, m.subject) for m in OutgoingMail.objects.filter(subject__contains=text))


def test_working_days_before_skips_weekends():
    assert working_days_before(date(2026, 5, 20), 3) == date(2026, 5, 15)  # Wed → Fri before


def test_a_reminder_goes_out_n_working_days_before_the_due_date_once(staff, plan):
    village = plan["soon"].village.village.name
    run(datetime(2026, 5, 14, 7, tzinfo=JAKARTA))  # four working days before: nothing yet
    assert mails_about("Pelatihan agen") == []

    run(NOW)  # Monday 18 May; due Wednesday 20 May, three working days → from Friday 15 May
    run(NOW.replace(hour=18))

    assert mails_about("Pelatihan agen") == [
        (
            "tim_rejang_lebong@bps.go.id",
            f"Pengingat: {village}: Pelatihan agen jatuh tempo 20 Mei 2026",
        )
    ]


def test_the_number_of_working_days_is_set_per_program_year(staff, plan, year_2026):
    year_2026.reminder_days = 1
    year_2026.save(update_fields=["reminder_days"])

    run(NOW)
    assert mails_about("Pelatihan agen") == []
    run(datetime(2026, 5, 19, 7, tzinfo=JAKARTA))
    assert len(mails_about("Pelatihan agen")) == 1


def test_on_the_due_date_a_second_reminder_and_after_it_one_escalation(staff, plan):
    run(NOW)
    run(datetime(2026, 5, 20, 7, tzinfo=JAKARTA))
    run(datetime(2026, 5, 20, 16, tzinfo=JAKARTA))

    due_today = mails_about("Batas waktu hari ini")
    assert [to for to, subject in due_today if "Pelatihan agen" in subject] == [
        "tim_rejang_lebong@bps.go.id"
    ]

    run(datetime(2026, 5, 21, 7, tzinfo=JAKARTA))
    run(datetime(2026, 5, 22, 7, tzinfo=JAKARTA))

    escalation = [(to, s) for to, s in mails_about("Lewat tenggat") if "Pelatihan agen" in s]
    assert [to for to, _s in escalation] == [
        "ketua_tim@bps.go.id",
        "pimpinan_rejang_lebong@bps.go.id",
        "tim_rejang_lebong@bps.go.id",
    ]
    soon = plan["soon"]
    kinds = ReminderRecord.objects.filter(
        key__contains=f".{soon.pk}:{soon.village.office_id}:"
    ).values_list("kind", flat=True)
    assert sorted(kinds) == ["before", "due", "escalation"]


def test_done_work_and_work_under_dispensasi_get_no_reminder(staff, plan):
    run(NOW)
    run(datetime(2026, 5, 25, 7, tzinfo=JAKARTA))  # the extension's own date

    assert mails_about("Website desa") == []  # under dispensasi until 25 May
    assert mails_about(f"{plan['on_time'].village.village.name}: Sosialisasi") == []  # on time
    assert mails_about("Rencana Kaur") == []  # realised
    assert len(mails_about("Rencana")) == 3  # RL's overdue plan: team, ketua tim, head


def test_the_weekly_digest_goes_to_the_ketua_tim_once_a_week(staff, plan):
    run(NOW)
    run(datetime(2026, 5, 21, 7, tzinfo=JAKARTA))  # same ISO week

    (digest,) = OutgoingMail.objects.filter(kind=NotificationKind.DIGEST)
    assert digest.to == "ketua_tim@bps.go.id"
    assert "Kaur (3):" in digest.body
    assert "Pelatihan Kaur, 3 Mei 2026" in digest.body
    assert digest.body.index("Sosialisasi Kaur") < digest.body.index("Pelatihan Kaur")

    run(datetime(2026, 5, 25, 7, tzinfo=JAKARTA))  # the next week
    assert OutgoingMail.objects.filter(kind=NotificationKind.DIGEST).count() == 2


def test_opting_out_of_reminders_keeps_the_escalation(staff, plan, tim_rejang_lebong):
    NotificationOptOut.objects.create(user=tim_rejang_lebong, kind=NotificationKind.REMINDER)

    run(NOW)

    assert mails_about("Pelatihan agen") == []
    assert "tim_rejang_lebong@bps.go.id" in [to for to, _s in mails_about("Lewat tenggat")]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_time_send_every_reminder_once(e2e_data, staff_for_threads):
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            send_reminders(now=NOW)  # the clock is given: time-machine is not thread-safe
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    subjects = list(OutgoingMail.objects.values_list("to", "subject"))
    assert len(subjects) == len(set(subjects))  # nobody got the same mail twice
    assert ("tim_rejang_lebong@bps.go.id", staff_for_threads) in subjects
    keys = list(ReminderRecord.objects.values_list("key", "kind"))
    assert len(keys) == len(set(keys))


@pytest.fixture
def staff_for_threads(request):
    """The plan and its people, committed (the threads have their own connections)."""
    plan = request.getfixturevalue("plan")
    request.getfixturevalue("staff")
    village = plan["soon"].village.village.name
    return f"Pengingat: {village}: Pelatihan agen jatuh tempo 20 Mei 2026"
