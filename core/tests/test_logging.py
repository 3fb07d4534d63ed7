import json
import logging
import re
import sys
from datetime import datetime

import pytest
from django.core.mail import mail_admins
from django.test import Client
from django.urls import reverse

from core.logs import JsonFormatter, OneLineForRefusals, RequestIdFilter, current_request_id
from core.mail import OutboxBackend, deliver_outbox
from core.models import OutgoingMail
from core.tests.test_settings import PRODUCTION_ENV, manage


def request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_403_is_logged_as_one_line_without_traceback(
    client, caplog, pimpinan_rejang_lebong, village_rejang_lebong
):
    client.force_login(pimpinan_rejang_lebong)
    path = reverse("program:village_edit", args=[village_rejang_lebong.pk])

    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.post(path, {})

    assert response.status_code == 403
    (record,) = request_records(caplog)
    assert (record.levelname, record.status_code, record.exc_info) == ("WARNING", 403, None)
    assert record.getMessage() == (
        f"POST Forbidden (Permission denied): {path} "
        "(Hanya tim Desa Cantik provinsi yang menambah dan mengubah desa peserta.)"
    )
    assert "\n" not in caplog.text.strip()
    assert "Traceback" not in caplog.text


def test_a_404_is_logged_as_one_line_without_traceback(
    client, caplog, tim_kaur, village_rejang_lebong
):
    client.force_login(tim_kaur)
    path = reverse("program:village_detail", args=[village_rejang_lebong.pk])

    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(path)

    assert response.status_code == 404
    (record,) = request_records(caplog)
    assert (record.status_code, record.exc_info) == (404, None)
    assert record.getMessage().startswith(f"GET Not Found: {path}")
    assert "Traceback" not in caplog.text


def test_a_server_error_keeps_its_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            ("/x/",),
            sys.exc_info(),
        )
    record.status_code = 500

    assert OneLineForRefusals().filter(record) is True
    assert record.exc_info is not None
    assert "Traceback" in logging.Formatter().format(record)


# --- one JSON line per request, with its request id (core.middleware.RequestLogMiddleware) ---


def access_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "core.requests"]


def test_each_request_is_logged_as_one_json_line_with_its_id(client, caplog, tim_rejang_lebong):
    client.force_login(tim_rejang_lebong)

    with caplog.at_level(logging.INFO, logger="core.requests"):
        response = client.get(reverse("profile"), {"q": "rahasia"})

    (record,) = access_records(caplog)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert {k: entry[k] for k in ("level", "logger", "method", "path", "status", "user_id")} == {
        "level": "INFO",
        "logger": "core.requests",
        "method": "GET",
        "path": reverse("profile"),  # without the query string
        "status": 200,
        "user_id": tim_rejang_lebong.pk,
    }
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] > 0
    assert re.fullmatch(r"[0-9a-f]{32}", entry["request_id"])
    assert response["X-Request-ID"] == entry["request_id"]
    assert "rahasia" not in line
    assert datetime.fromisoformat(entry["time"]).tzinfo is not None


def test_an_anonymous_request_is_logged_without_user(client, db, caplog):
    with caplog.at_level(logging.INFO, logger="core.requests"):
        client.get(reverse("login"))

    (record,) = access_records(caplog)
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["status"], entry["user_id"]) == (200, None)


def test_a_valid_incoming_request_id_is_kept_and_echoed(client, db, caplog):
    incoming = "4f1c2a9be7d84e0c9a1b2c3d4e5f6a7b"  # as nginx's $request_id

    with caplog.at_level(logging.INFO, logger="core.requests"):
        response = client.get(reverse("login"), HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] == incoming
    assert access_records(caplog)[0].request_id == incoming


@pytest.mark.parametrize(
    "malicious",
    [
        'x" , "status": 200, "forged": "yes',
        "abc\r\nSet-Cookie: sessionid=stolen",
        "<script>alert(1)</script>",
        "short",
        "a" * 500,
    ],
)
def test_a_malicious_request_id_is_replaced(client, db, caplog, malicious):
    with caplog.at_level(logging.INFO, logger="core.requests"):
        response = client.get(reverse("login"), HTTP_X_REQUEST_ID=malicious)

    (record,) = access_records(caplog)
    entry = json.loads(JsonFormatter().format(record))
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert entry["request_id"] == response["X-Request-ID"]
    assert "forged" not in entry
    assert "Set-Cookie" not in JsonFormatter().format(record)


def test_every_log_record_written_during_a_request_carries_its_id(client, tim_kaur, caplog):
    # A refusal logged by Django while the request is served, and the access line after it.
    client.force_login(tim_kaur)

    with caplog.at_level(logging.INFO):
        response = client.get(reverse("program:village_detail", args=[999999]))

    assert response.status_code == 404
    request_id = response["X-Request-ID"]
    refusal = next(r for r in caplog.records if r.name == "django.request")
    access = next(r for r in access_records(caplog))
    assert (refusal.request_id, access.request_id) == (request_id, request_id)
    assert current_request_id() is None  # reset once the request is over


def test_the_request_id_filter_leaves_records_outside_a_request_without_id():
    record = logging.LogRecord("core.mail", logging.INFO, __file__, 1, "tanpa permintaan", (), None)

    assert RequestIdFilter().filter(record) is True
    assert json.loads(JsonFormatter().format(record))["request_id"] is None


def test_the_json_formatter_puts_a_traceback_in_one_field():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Error: %s", ("/x/",), sys.exc_info()
        )
    record.request = object()  # an object as `extra` (Django's request) is left out
    record.status_code = 500

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert (entry["message"], entry["status_code"]) == ("Error: /x/", 500)
    assert entry["exception"].startswith("Traceback") and "ValueError: boom" in entry["exception"]
    assert "request" not in entry


def test_the_configured_console_handler_writes_json_in_production():
    script = (
        "import logging, logging.config; from django.conf import settings;"
        "logging.getLogger('core.requests').info('hello', extra={'status': 200})"
    )
    result = manage("shell", "--no-imports", "-c", script, env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if "hello" in line]
    assert json.loads(line) | {"time": None} == {
        "time": None,
        "level": "INFO",
        "logger": "core.requests",
        "message": "hello",
        "request_id": None,
        "status": 200,
    }


# --- error reports: by e-mail to ADMINS through the outbox ----------------------------------


@pytest.mark.urls("core.tests.error_urls")
def test_a_server_error_mails_admins_once_through_the_outbox_with_the_request_id(
    transactional_db, settings, mailoutbox
):
    settings.DEBUG = False
    settings.ADMINS = [("Admin Monev", "admin.monev@bps.go.id"), ("", "ops@bps.go.id")]
    client = Client(raise_request_exception=False)

    response = client.get("/gagal/")

    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    queued = list(OutgoingMail.objects.order_by("to"))
    assert [(m.to, m.kind, m.state) for m in queued] == [
        ("admin.monev@bps.go.id", "error", "pending"),
        ("ops@bps.go.id", "error", "pending"),
    ]
    assert mailoutbox == []  # nothing is sent from the failing request itself
    assert (
        queued[0].subject
        == "[Monev Desa Cantik] ERROR (EXTERNAL IP): Internal Server Error: /gagal/"
    )
    assert f"Request ID: {request_id}" in queued[0].body
    assert "Kaboom at /gagal/\nthe database said no" in queued[0].body

    assert deliver_outbox().sent == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["admin.monev@bps.go.id", "ops@bps.go.id"]
    assert all(request_id in m.body for m in mailoutbox)


@pytest.mark.urls("core.tests.error_urls")
def test_a_server_error_sends_no_report_without_admins(transactional_db, settings, mailoutbox):
    settings.DEBUG = False
    settings.ADMINS = []

    response = Client(raise_request_exception=False).get("/gagal/")

    assert response.status_code == 500
    assert (OutgoingMail.objects.count(), mailoutbox) == (0, [])


@pytest.mark.urls("core.tests.error_urls")
def test_a_refused_request_mails_nobody(client, tim_kaur, settings, mailoutbox):
    settings.DEBUG = False
    settings.ADMINS = [("Admin Monev", "admin.monev@bps.go.id")]
    client.force_login(tim_kaur)

    assert client.get(reverse("program:village_detail", args=[999999])).status_code == 404
    assert OutgoingMail.objects.count() == 0


def test_the_error_report_goes_to_the_mail_server_directly_when_the_outbox_is_unreachable(
    db, settings, mailoutbox, monkeypatch
):
    # Inside a transaction that may roll back (here the test's), the row could vanish with it:
    # the report is handed to EMAIL_BACKEND, once per interval.
    monkeypatch.setattr(OutboxBackend, "_last_direct", -OutboxBackend.DIRECT_INTERVAL)
    settings.ADMINS = [("Admin Monev", "admin.monev@bps.go.id")]

    mail_admins("Kesalahan pertama", "isi", connection=OutboxBackend())
    mail_admins("Kesalahan kedua", "isi", connection=OutboxBackend())

    assert OutgoingMail.objects.count() == 0
    assert [(m.subject, m.to) for m in mailoutbox] == [
        ("[Monev Desa Cantik] Kesalahan pertama", ["admin.monev@bps.go.id"])
    ]
