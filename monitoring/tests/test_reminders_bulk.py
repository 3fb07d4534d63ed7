"""`send_reminders` in bulk: its queries are a constant number per run and per province's year
with something to send, whatever the number of items and offices; a run queues the mails of
the reminder records it inserted itself and of no others, even when it read before another
run's records were there (on SQLite here; two threads at once on PostgreSQL)."""

import threading
import time
from datetime import date
from itertools import count

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from core.models import Membership, Office, OutgoingMail, Region, ReminderRecord, Role, User
from monitoring import reminders
from program.models import ParticipatingVillage, ProgramYear, VillageKind
from program.services import create_program_year

from .conftest import NOW, activity

pytestmark = pytest.mark.django_db

_numbers = count(80)


def add_offices(province: Office, offices: int) -> None:
    """`offices` new kab/kota of the province, each with a team member and a head (both with
    an address) and two villages, each with one overdue activity and one due on Wednesday 20 May
    (three working days after NOW: a reminder today)."""
    year = ProgramYear.objects.get(province=province, year=NOW.year)
    for _ in range(offices):
        number = next(_numbers)
        code = f"{province.region.code}.{number}"
        region = Region.objects.create(
            code=code, name=f"KAB. UJI {number}", level="kabkota", parent=province.region
        )
        district = Region.objects.create(
            code=f"{code}.01", name=f"KEC. UJI {number}", level="kecamatan", parent=region
        )
        office = Office.objects.create(
            code=f"{province.code[:2]}{number}",
            name=f"BPS Kabupaten Uji {number}",
            short_name=f"Uji {number}",
            kind=Office.Kind.KABKOTA,
            region=region,
            parent=province,
        )
        for role in (Role.TIM_KABKOTA, Role.PIMPINAN_KABKOTA):
            user = User.objects.create_user(
                username=f"{role}_{office.code}", email=f"{role}.{office.code}@bps.go.id"
            )
            Membership.objects.create(user=user, office=office, role=role)
        for index in range(2):
            desa = Region.objects.create(
                code=f"{code}.01.200{index}",
                name=f"DESA UJI {number}-{index}",
                level="desa",
                parent=district,
            )
            village = ParticipatingVillage.objects.create(
                program_year=year, village=desa, office=office, kind=VillageKind.UTAMA
            )
            activity(village, "Rencana", date(2026, 5, 15))
            activity(village, "Pelatihan agen", date(2026, 5, 20))


def lead_of(province: Office) -> None:
    user = User.objects.create_user(
        username=f"ketua_{province.code}", email=f"ketua.{province.code}@bps.go.id"
    )
    Membership.objects.create(user=user, office=province, role=Role.KETUA_TIM)


def second_province() -> Office:
    region = Region.objects.create(code="35", name="JAWA TIMUR", level="provinsi")
    province = Office.objects.create(
        code="3500",
        name="BPS Provinsi Jawa Timur",
        short_name="Jawa Timur",
        kind=Office.Kind.PROVINSI,
        region=region,
    )
    create_program_year(province, year=2026, by=None)
    lead_of(province)
    return province


def measured() -> tuple[int, int, reminders.ReminderRun]:
    """The queries of a first run and of a second one right after it (nothing new), and the
    first run's counts; rolled back."""
    with transaction.atomic():
        with CaptureQueriesContext(connection) as first:
            run = reminders.send_reminders(now=NOW)
        with CaptureQueriesContext(connection) as second:
            again = reminders.send_reminders(now=NOW)
        assert again.mails == 0
        transaction.set_rollback(True)
    return len(first), len(second), run


@pytest.fixture
def bengkulu(province, year_2026):
    lead_of(province)
    add_offices(province, 1)
    return province


def test_the_queries_do_not_grow_with_the_number_of_items_and_offices(bengkulu):
    measured()  # once to fill the process's caches (content types)
    first, second, run = measured()
    # 2 reminders and 2 escalations of the office's work plans; the province's own overdue
    # recaps and meetings (periods 1 and 2) escalated too
    assert (run.reminders, run.escalations, run.digests) == (2, 6, 1)

    add_offices(bengkulu, 5)  # six times the offices, villages, items and mails
    more_first, more_second, more = measured()

    assert (more.reminders, more.escalations, more.digests) == (12, 16, 1)
    assert more.mails == run.mails + 5 * 8  # per office: 2 reminders, 2 escalations to 3 each
    assert (more_first, more_second) == (first, second)

    # A second province's year with something to send costs the same few queries (the
    # already-sent check, the records' insert and read-back, the opt-outs, the mails' insert
    # and the savepoint around them) whatever its size; the items of every province are read
    # in the same queries.
    jatim = second_province()
    add_offices(jatim, 1)
    two_first, two_second, _run = measured()
    add_offices(jatim, 4)
    two_more_first, two_more_second, both = measured()

    assert both.reminders == 12 + 10
    assert (two_more_first, two_more_second) == (two_first, two_second)
    assert two_first - more_first == 7
    assert two_second - more_second == 1  # the already-sent check


def test_a_run_queues_only_the_reminders_it_recorded_itself(bengkulu, monkeypatch):
    # As if the second run had checked what was sent before the first run's records were
    # there: it inserts the same records, which are skipped, and queues nothing.
    first = reminders.send_reminders(now=NOW)
    mails = OutgoingMail.objects.count()
    monkeypatch.setattr(reminders, "_known", lambda pairs: set())

    second = reminders.send_reminders(now=NOW)

    assert first.mails == mails > 0
    assert (second.mails, second.reminders, second.escalations, second.digests) == (0, 0, 0, 0)
    assert second.skipped == first.reminders + first.escalations
    assert OutgoingMail.objects.count() == mails
    assert set(ReminderRecord.objects.values_list("claim", flat=True)) != {None}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_run_meeting_another_inside_its_transaction_waits_and_sends_nothing_twice(
    e2e_data, monkeypatch
):
    province = Office.objects.get(code="1700")
    create_program_year(province, year=2026, by=None)
    lead_of(province)
    add_offices(province, 3)
    # Both runs find nothing sent yet; the first holds its inserted records, uncommitted,
    # until the second has been waiting on them for a while.
    monkeypatch.setattr(reminders, "_known", lambda pairs: set())
    holding, waited = threading.Event(), threading.Event()
    queue = reminders.notify_all

    def slow_queue(notices):
        if threading.current_thread().name == "first" and not holding.is_set():
            holding.set()
            waited.wait(10)
        return queue(notices)

    monkeypatch.setattr(reminders, "notify_all", slow_queue)
    runs, errors = {}, []

    def worker():
        name = threading.current_thread().name
        try:
            if name == "second":
                holding.wait(10)
                threading.Timer(2.0, waited.set).start()
            started = time.monotonic()
            runs[name] = (reminders.send_reminders(now=NOW), time.monotonic() - started)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, name=name) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    (first, _), (second, second_took) = runs["first"], runs["second"]
    assert second_took >= 1.5  # its insert waited for the first run's transaction
    assert (first.reminders, first.escalations, first.digests) == (6, 10, 1)
    assert (second.mails, second.reminders, second.escalations, second.digests) == (0, 0, 0, 0)
    assert second.skipped == 16
    assert first.mails == OutgoingMail.objects.count() > 0
    mails = list(OutgoingMail.objects.values_list("to", "subject"))
    assert len(mails) == len(set(mails))
    assert ReminderRecord.objects.count() == 17
