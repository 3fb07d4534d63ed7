import logging
import sys

from django.urls import reverse

from core.logs import OneLineForRefusals


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
    assert record.getMessage() == f"POST Forbidden (Permission denied): {path}"
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
