"""Browser test of "Tugas saya": the province finds a submitted report in its tasks and returns
it; the kab/kota user finds the returned report first on the home page, fixes it and submits
again, and the task is gone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import browser_login, screenshot
from reports.models import Report, ReportState
from reports.tests.conftest import submitted_sosialisasi

pytestmark = pytest.mark.e2e


def test_a_returned_report_is_first_in_the_kabkota_tasks_and_leaves_them_once_resubmitted(
    page, village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    page.set_viewport_size({"width": 1366, "height": 900})
    submitted_sosialisasi(
        village_rejang_lebong,
        tim_rejang_lebong,
        anchor_date=timezone.localdate() - timedelta(days=3),
    )

    browser_login(page, "tim_provinsi")
    first = page.get_by_test_id("task").first
    assert first.inner_text().startswith("Telaah: Laporan sosialisasi/pencanangan")
    assert page.get_by_test_id("task-count").inner_text().startswith("1")
    screenshot(page, "tasks-01-province-home")
    first.get_by_role("link").click()
    page.fill("#id_return-comment", "Jumlah peserta tidak sama dengan daftar hadir.")
    page.get_by_test_id("return").click()
    page.wait_for_load_state()
    assert Report.objects.get().state == ReportState.RETURNED
    page.goto("/")
    assert page.get_by_test_id("task").count() == 0
    assert "Tidak ada yang menunggu Anda." in page.get_by_test_id("my-tasks").inner_text()

    page.context.clear_cookies()
    browser_login(page, "tim_rejang_lebong")
    first = page.get_by_test_id("task").first
    text = first.inner_text()
    assert text.startswith("Dikembalikan: Laporan sosialisasi/pencanangan")
    assert "Jumlah peserta tidak sama dengan daftar hadir." in text
    screenshot(page, "tasks-02-kabkota-home")
    first.get_by_role("link").click()
    page.get_by_role("link", name="Ubah", exact=True).click()
    page.fill("#id_attendance_count", "41")
    page.get_by_test_id("save").click()
    page.wait_for_load_state()
    page.get_by_test_id("submit").click()
    page.wait_for_load_state()
    assert Report.objects.get().state == ReportState.SUBMITTED

    page.goto("/")
    assert not [
        t for t in page.get_by_test_id("task").all_inner_texts() if t.startswith("Dikembalikan")
    ]
    screenshot(page, "tasks-03-kabkota-home-after")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "tasks-04-kabkota-phone")
