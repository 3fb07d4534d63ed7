"""Browser tests: the sosialisasi report travels from the kab/kota to the province and back until
approved; the lists, the needs table with its chart and the final report page render."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import browser_login, screenshot
from reports import services
from reports.models import Report, ReportState

from .conftest import PDF, PNG, complete_identifikasi, docx_bytes, submitted_sosialisasi

pytestmark = pytest.mark.e2e


def logout(page) -> None:
    page.context.clear_cookies()


def upload_file(page, purpose: str, name: str, content: bytes, mime: str) -> None:
    page.select_option("#id_purpose", purpose)
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": mime, "buffer": content}])
    page.get_by_role("button", name="Unggah").click()
    page.wait_for_load_state()


def test_a_sosialisasi_report_is_submitted_returned_fixed_and_approved(
    page, village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    page.set_viewport_size({"width": 1280, "height": 900})
    village = village_rejang_lebong
    event_day = timezone.localdate() - timedelta(days=3)
    report_url = f"/laporan/sosialisasi/desa/{village.pk}/"

    # The kab/kota team fills the report in.
    browser_login(page, "tim_rejang_lebong")
    page.goto(report_url)
    assert page.get_by_test_id("not-started").is_visible()
    screenshot(page, "01-not-started")
    page.get_by_role("link", name="Mulai isi laporan").click()
    page.fill("#id_anchor_date", event_day.isoformat())
    page.fill("#id_place", "Balai Desa")
    page.fill("#id_attendance_count", "38")
    page.fill("#id_notable_attendees", "Kepala Desa, Camat, Kepala BPS Kabupaten Rejang Lebong")
    page.check("#id_charter_signed_0")
    page.fill("#id_agen-0-name", "Siti Aminah")
    page.fill("#id_agen-0-role", "Kaur Perencanaan")
    page.check("#id_agen-0-is_village_official")
    page.fill("#id_agen-0-sk_number", "141/12/2026")
    page.get_by_role("button", name="Tambah agen").click()
    page.fill("#id_agen-1-name", "Budi Santoso")
    page.fill("#id_agen-1-role", "Ketua Karang Taruna")
    screenshot(page, "02-form-filled")
    page.get_by_test_id("save").click()
    page.wait_for_url(f"**{report_url}")
    assert "Draf disimpan" in page.content()
    assert page.locator("[data-testid=requirements] [data-met='0']").count() == 4
    screenshot(page, "03-draft-missing-attachments")

    upload_file(page, "undangan", "undangan.pdf", PDF, "application/pdf")
    upload_file(page, "daftar_hadir", "daftar-hadir.pdf", PDF, "application/pdf")
    upload_file(
        page,
        "notulen",
        "notulen.docx",
        docx_bytes(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    page.expected_errors.append("400 (Bad Request)")  # the refused upload answers 400
    upload_file(page, "dokumentasi", "foto-bukan-gambar.pdf", PDF, "application/pdf")
    assert "Foto dokumentasi harus berupa gambar JPEG atau PNG." in page.content()
    screenshot(page, "04-wrong-photo-refused")
    upload_file(page, "dokumentasi", "foto-pencanangan.png", PNG, "image/png")
    assert page.locator("[data-testid=requirements] [data-met='0']").count() == 0
    screenshot(page, "05-ready-to-submit")
    page.get_by_test_id("submit").click()
    page.wait_for_load_state()
    assert "Laporan dikirim ke provinsi (versi 1)." in page.content()
    assert Report.objects.get().state == ReportState.SUBMITTED

    # The province returns it with comments.
    logout(page)
    browser_login(page, "tim_provinsi")
    page.goto(report_url)
    page.fill("#id_return-comment", "Jumlah peserta tidak sama dengan daftar hadir.")
    page.locator("[data-testid=review] summary").click()
    page.fill("#id_return-section_event", "Periksa lagi jumlah peserta (daftar hadir: 41 orang).")
    screenshot(page, "06-province-reviews")
    page.get_by_test_id("return").click()
    page.wait_for_load_state()
    assert "Laporan dikembalikan" in page.content()
    assert Report.objects.get().state == ReportState.RETURNED

    # The kab/kota sees the comments in place, fixes and submits again.
    logout(page)
    browser_login(page, "tim_rejang_lebong")
    page.goto(report_url)
    assert (
        "Jumlah peserta tidak sama dengan daftar hadir."
        in page.get_by_test_id("return-comment").inner_text()
    )
    assert "41 orang" in page.locator("#bagian-event").inner_text()
    screenshot(page, "07-returned-for-kabkota")
    page.get_by_role("link", name="Ubah", exact=True).click()
    assert "41 orang" in page.locator("#bagian-event [data-testid=section-comment]").inner_text()
    page.fill("#id_attendance_count", "41")
    screenshot(page, "08-fixing")
    page.get_by_test_id("save").click()
    page.wait_for_url(f"**{report_url}")
    page.get_by_test_id("submit").click()
    page.wait_for_load_state()
    assert "Laporan dikirim ke provinsi (versi 2)." in page.content()

    # The province sees what changed and approves.
    logout(page)
    browser_login(page, "tim_provinsi")
    page.goto(report_url)
    diff = page.get_by_test_id("diff").inner_text()
    assert "38" in diff and "41" in diff
    screenshot(page, "09-province-sees-diff")
    page.get_by_test_id("approve").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("report-state").inner_text().strip() == "Disetujui"
    assert Report.objects.get().state == ReportState.APPROVED
    screenshot(page, "10-approved")

    # The kab/kota can no longer change it.
    logout(page)
    browser_login(page, "tim_rejang_lebong")
    page.goto(report_url)
    assert page.get_by_role("link", name="Ubah", exact=True).count() == 0
    assert page.get_by_test_id("upload-form").count() == 0
    page.goto(f"/laporan/sosialisasi/desa/{village.pk}/versi/1/")
    screenshot(page, "11-version-1")


def test_lists_needs_and_final_report_pages(
    page, village_rejang_lebong, village_kaur, tim_rejang_lebong, tim_kaur, ketua_tim
):
    page.set_viewport_size({"width": 1280, "height": 900})
    sos = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    services.approve_report(sos, by=ketua_tim)
    for village, user in [(village_rejang_lebong, tim_rejang_lebong), (village_kaur, tim_kaur)]:
        report = complete_identifikasi(village, user)
        services.submit_report(report, by=user)

    browser_login(page, "ketua_tim")
    page.goto("/laporan/?tahun=2026")
    assert page.get_by_test_id("kind-card").count() == 3
    screenshot(page, "20-overview")
    page.goto("/laporan/sosialisasi/?tahun=2026")
    assert page.get_by_test_id("report-row").count() == 2
    screenshot(page, "21-list")
    page.select_option("#id_state", "approved")
    expect(page.get_by_test_id("report-row")).to_have_count(1)  # htmx swapped the table
    screenshot(page, "22-list-filtered")
    page.goto("/laporan/kebutuhan/?tahun=2026")
    # Chart.js sizes the canvas once it has drawn (polling with a JS string would need eval,
    # which the CSP forbids).
    expect(page.locator("#needs-chart")).to_have_attribute("width", re.compile(r"^[1-9][0-9]*$"))
    assert "Kependudukan" in page.get_by_test_id("topic-table").inner_text()
    screenshot(page, "23-needs")
    page.goto(f"/laporan/akhir/desa/{village_rejang_lebong.pk}/")
    assert "Hasil penilaian LKE: belum tersedia." in page.get_by_test_id("final-draft").inner_text()
    screenshot(page, "24-final-report")
    page.goto(f"/laporan/identifikasi/desa/{village_kaur.pk}/")
    screenshot(page, "25-identification-submitted")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/laporan/sosialisasi/desa/{village_rejang_lebong.pk}/")
    screenshot(page, "26-phone")
