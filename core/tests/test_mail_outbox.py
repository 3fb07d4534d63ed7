"""The mail outbox against a real SMTP server (aiosmtpd on loopback): what a service queues is
delivered by `manage.py send_mail_outbox`, survives the server being down, and goes out once
the server is back."""

import asyncio
import contextlib
import io
import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, transaction

from conftest import SmtpServer, make_user
from core.deadlines import JAKARTA
from core.mail import MAX_ATTEMPTS, Attachment, deliver_outbox, notify, queue_mail, retry_delay
from core.models import NotificationKind, NotificationOptOut, OutgoingMail, Role

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
T0 = datetime(2026, 5, 18, 9, tzinfo=JAKARTA)


def run_worker() -> str:
    out = io.StringIO()
    call_command("send_mail_outbox", stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_the_worker_delivers_recipient_subject_body_and_ics_over_smtp(smtp_server, settings):
    settings.DEFAULT_FROM_EMAIL = "monev@bps.go.id"
    queue_mail(
        "andi@bps.go.id",
        subject="Undangan: Rapat koordinasi",
        body="Yth. Andi,\n\nAnda diundang.",
        attachments=[
            Attachment("undangan-rapat.ics", ICS, "text/calendar", (("method", "REQUEST"),))
        ],
    )

    assert run_worker() == "sent 1, failed 0"

    assert smtp_server.envelopes == [("monev@bps.go.id", ["andi@bps.go.id"])]
    (message,) = smtp_server.messages
    assert message["Subject"] == "Undangan: Rapat koordinasi"
    assert message["To"] == "andi@bps.go.id"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.replace("\r\n", "\n").strip() == ("Yth. Andi,\n\nAnda diundang.")
    (ics,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert ics.get_param("method") == "REQUEST"
    assert ics.get_filename() == "undangan-rapat.ics"
    assert ics.get_payload(decode=True).decode() == ICS  # CRLF line ends intact
    mail = OutgoingMail.objects.get()
    assert (mail.state, mail.attempts, mail.last_error) == (OutgoingMail.State.SENT, 1, "")


@pytest.mark.django_db
def test_a_sent_mail_is_not_sent_again(smtp_server):
    queue_mail("andi@bps.go.id", subject="Satu", body="isi")

    run_worker()
    run_worker()

    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_the_outbox_survives_a_dead_smtp_server_and_delivers_after_it_returns(smtp_server):
    smtp_server.stop()
    with time_machine.travel(T0, tick=False):
        queue_mail("andi@bps.go.id", subject="Laporan dikembalikan", body="isi")
        queue_mail("sari@bps.go.id", subject="Laporan dikirim", body="isi")

        assert run_worker() == "sent 0, failed 1"  # the first refusal ends the run

    mail = OutgoingMail.objects.order_by("id").first()
    assert mail.state == OutgoingMail.State.PENDING
    assert mail.attempts == 1
    assert "Connection" in mail.last_error or "refused" in mail.last_error.lower()
    assert mail.next_attempt_at == T0 + retry_delay(1)
    assert OutgoingMail.objects.filter(attempts=0).count() == 1

    smtp_server.start()
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        # the failed one waits for its next attempt; the untried one goes now
        assert run_worker() == "sent 1, failed 0"
    with time_machine.travel(T0 + retry_delay(1), tick=False):
        assert run_worker() == "sent 1, failed 0"

    assert sorted(m["To"] for m in smtp_server.messages) == ["andi@bps.go.id", "sari@bps.go.id"]
    assert set(OutgoingMail.objects.values_list("state", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_a_message_that_keeps_failing_is_kept_as_failed_after_the_last_attempt(smtp_server):
    smtp_server.stop()
    queue_mail("andi@bps.go.id", subject="Satu", body="isi")
    moment = T0
    for _attempt in range(MAX_ATTEMPTS):
        mail = OutgoingMail.objects.get()
        moment = max(moment, mail.next_attempt_at)
        deliver_outbox(now=moment)

    mail = OutgoingMail.objects.get()
    assert (mail.state, mail.attempts) == (OutgoingMail.State.FAILED, MAX_ATTEMPTS)
    assert deliver_outbox(now=moment + timedelta(days=30)).sent == 0  # not tried any more


def test_the_delay_between_attempts_grows_and_is_capped():
    assert [retry_delay(n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert retry_delay(20) == timedelta(hours=6)


@pytest.mark.django_db
def test_a_rolled_back_write_leaves_nothing_in_the_outbox(smtp_server):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_mail("andi@bps.go.id", subject="Satu", body="isi")
        raise RuntimeError("the change failed")

    run_worker()
    assert OutgoingMail.objects.count() == 0
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_notify_skips_opted_out_inactive_and_addressless_users_and_writes_indonesian(settings):
    settings.SITE_URL = "http://monev.example.id"
    andi = make_user("andi", "1702", Role.TIM_KABKOTA, email="andi@bps.go.id")
    sari = make_user("sari", "1702", Role.TIM_KABKOTA, email="sari@bps.go.id")
    make_user("tanpa_alamat", "1702", Role.TIM_KABKOTA)
    gone = make_user("gone", "1702", Role.TIM_KABKOTA, email="gone@bps.go.id", is_active=False)
    NotificationOptOut.objects.create(user=sari, kind=NotificationKind.REPORT_REVIEWED)
    twin = make_user("andi2", "1702", Role.TIM_KABKOTA, email="ANDI@bps.go.id")

    queued = notify(
        [andi, sari, gone, twin],
        kind=NotificationKind.REPORT_REVIEWED,
        subject="Laporan dikembalikan",
        message="Laporan Sosialisasi desa Talang Ulu dikembalikan.",
        link="/laporan/sosialisasi/1/",
    )

    assert [(m.to, m.kind) for m in queued] == [("andi@bps.go.id", "report_reviewed")]
    body = queued[0].body
    assert body.startswith("Yth. Andi,\n\nLaporan Sosialisasi desa Talang Ulu dikembalikan.\n")
    assert "Buka di sini: http://monev.example.id/laporan/sosialisasi/1/" in body
    assert "halaman profil Anda: http://monev.example.id/akun/profil/" in body


class TwoClientsAtOnce(SmtpServer):
    """Holds every message until two clients are connected at the same time (at most 60 s):
    each worker then holds the lock of the row it is delivering while the other claims one."""

    def __init__(self):
        super().__init__()
        self.peers = set()
        self.both_connected = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.both_connected is None:
            self.both_connected = asyncio.Event()
        self.peers.add(session.peer)
        if len(self.peers) >= 2:
            self.both_connected.set()
        with contextlib.suppress(TimeoutError):  # a lone worker still delivers, after 60 s
            await asyncio.wait_for(self.both_connected.wait(), 60)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL")
def test_two_workers_at_the_same_time_send_every_mail_once(transactional_db):
    for number in range(40):
        queue_mail(f"pegawai{number}@bps.go.id", subject=f"Pesan {number}", body="isi")
    server = TwoClientsAtOnce()
    server.start()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(server.port),
        "EMAIL_USE_TLS": "false",
    }
    try:
        workers = [
            subprocess.Popen(
                [sys.executable, "manage.py", "send_mail_outbox"],
                cwd=django_settings.BASE_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [worker.communicate(timeout=180) for worker in workers]
    finally:
        server.stop()

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    sent = [int(out.split()[1].rstrip(",")) for out, _err in outputs]  # "sent N, failed 0"
    assert sum(sent) == 40
    assert min(sent) >= 1  # both delivered: they ran at the same time
    subjects = sorted(message["Subject"] for message in server.messages)
    assert subjects == sorted(f"Pesan {number}" for number in range(40))  # each once
    assert set(OutgoingMail.objects.values_list("state", "attempts")) == {
        (OutgoingMail.State.SENT, 1)
    }
