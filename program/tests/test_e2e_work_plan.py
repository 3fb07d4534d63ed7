"""Browser tests: a kab/kota team keeps its work plan; the team lead reads and sets the SOP
calendar."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import browser_login, screenshot
from program.models import WorkPlanActivity

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_kabkota_team_adds_an_activity_and_records_its_realisation_with_evidence(
    page, village_rejang_lebong, tim_rejang_lebong, tmp_path
):
    today = timezone.localdate()
    evidence = tmp_path / "daftar-hadir.pdf"
    evidence.write_bytes(PDF)
    browser_login(page, "tim_rejang_lebong")
    page.goto(f"/desa/{village_rejang_lebong.pk}/#rencana-kerja")
    assert page.locator("#rencana-kerja [data-stage]").count() == 5
    screenshot(page, "work-plan-empty")

    page.locator("#rencana-kerja").get_by_role("link", name="Tambah kegiatan").first.click()
    page.select_option("#id_stage", "koordinasi")
    page.fill("#id_name", "Sosialisasi dan pencanangan Desa Cantik")
    page.fill("#id_pelaksana", "Pembina dan perangkat desa")
    page.fill("#id_target_output", "Piagam komitmen")
    page.fill("#id_planned_start", (today - timedelta(days=3)).isoformat())
    page.fill("#id_planned_end", (today + timedelta(days=2)).isoformat())
    screenshot(page, "work-plan-add-form")
    page.get_by_role("button", name="Simpan").click()

    row = page.locator("[data-stage=koordinasi] tbody tr")
    assert row.count() == 1
    assert row.locator("[data-status]").inner_text().strip() == "Segera"
    assert "Kegiatan “Sosialisasi dan pencanangan Desa Cantik” ditambahkan." in page.content()
    screenshot(page, "work-plan-added")

    row.get_by_role("link", name="Realisasi").click()
    page.fill("#id_realised_on", today.isoformat())
    page.fill("#id_realisation_output", "Piagam komitmen ditandatangani")
    page.fill("#id_realisation_notes", "Dihadiri kepala desa dan 30 warga")
    page.set_input_files("#id_evidence", str(evidence))
    screenshot(page, "work-plan-realise-form")
    page.get_by_role("button", name="Simpan realisasi").click()

    row = page.locator("[data-stage=koordinasi] tbody tr")
    assert row.locator("[data-status]").get_attribute("data-status") == "tepat_waktu"
    assert row.locator("[data-status]").inner_text().strip() == "Tepat waktu"
    assert "1 berkas" in row.inner_text()
    screenshot(page, "work-plan-realised")

    row.get_by_role("link", name="Sosialisasi dan pencanangan Desa Cantik", exact=True).click()
    with page.expect_download() as download:
        page.locator("[data-testid=evidence] a").click()
    assert download.value.suggested_filename == "daftar-hadir.pdf"
    screenshot(page, "work-plan-activity")
    activity = WorkPlanActivity.objects.get()
    assert (activity.realised_on, activity.version) == (today, 2)


def test_team_lead_reads_the_calendar_and_previews_a_rule_change(page, ketua_tim, year_2026):
    browser_login(page, "ketua_tim")
    page.goto("/kalender/?tahun=2026")
    assert page.locator("[data-testid=sop-table] > tbody > tr").count() == 6
    screenshot(page, "sop-calendar")

    page.locator("tr[data-code=sosialisasi]").get_by_role("link").click()
    page.fill("#id_amount", "3")
    page.locator("#id_amount").press("Tab")
    expect(page.locator("[data-testid=example-due]")).to_contain_text("25 Mei 2026")
    screenshot(page, "sop-activity-edit")
    page.get_by_role("button", name="Simpan").click()
    assert "3 minggu" in page.locator("tr[data-code=sosialisasi]").inner_text()

    page.get_by_role("link", name="Riwayat").click()
    assert "Baku mutu waktu SOP diubah" in page.content()
    screenshot(page, "sop-history")


def test_kabkota_reader_sees_the_office_overview_and_a_failed_import(
    page, village_rejang_lebong, tim_rejang_lebong, tmp_path
):
    from program.services import add_activity

    today = timezone.localdate()
    add_activity(
        village_rejang_lebong,
        by=tim_rejang_lebong,
        stage="identifikasi",
        name="Kunjungan identifikasi",
        pelaksana="Pembina",
        target_output="Kuesioner terisi",
        planned_start=today - timedelta(days=20),
        planned_end=today - timedelta(days=10),
    )
    bad = tmp_path / "rencana.xlsx"
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Tahap", "Rincian kegiatan", "Rencana mulai", "Rencana selesai"])
    book.active.append(["Persiapan", "Rapat", "2026-05-01", "2026-04-01"])
    book.save(bad)
    browser_login(page, "tim_rejang_lebong")

    page.goto(f"/kantor/{village_rejang_lebong.office_id}/rencana-kerja/?tahun=2026")
    assert page.locator("[data-testid=work-plan-matrix] tbody tr").count() == 1
    screenshot(page, "office-work-plan")

    page.goto(f"/desa/{village_rejang_lebong.pk}/rencana-kerja/impor/")
    page.set_input_files("#id_file", str(bad))
    page.expected_errors.append("400 (Bad Request)")
    page.get_by_role("button", name="Impor").click()
    assert "Baris 2:" in page.locator("main").inner_text()
    screenshot(page, "work-plan-import-errors")


def test_a_stale_edit_in_the_browser_keeps_the_input_and_the_other_save(
    page, village_rejang_lebong, tim_rejang_lebong
):
    from conftest import make_user
    from program.services import add_activity, update_activity

    today = timezone.localdate()
    activity = add_activity(
        village_rejang_lebong,
        by=tim_rejang_lebong,
        stage="perencanaan",
        name="Penyusunan rencana kerja",
        pelaksana="Pembina",
        target_output="Dokumen rencana kerja",
        planned_start=today,
        planned_end=today + timedelta(days=30),
    )
    colleague = make_user("pembina_dua", "1702", "tim_kabkota")
    browser_login(page, "tim_rejang_lebong")
    page.goto(f"/rencana-kerja/{activity.pk}/ubah/")
    page.fill("#id_pelaksana", "Pembina dan agen statistik")
    update_activity(activity, version=1, target_output="Rencana kerja disahkan", by=colleague)
    page.expected_errors.append("409 (Conflict)")

    page.get_by_role("button", name="Simpan").click()

    assert "Orang lain mengubah kegiatan ini" in page.locator("main").inner_text()
    assert page.input_value("#id_pelaksana") == "Pembina dan agen statistik"
    assert "Rencana kerja disahkan" in page.locator("[data-testid=stale-notice]").inner_text()
    screenshot(page, "work-plan-stale-edit")
    activity.refresh_from_db()
    assert (activity.pelaksana, activity.target_output) == ("Pembina", "Rencana kerja disahkan")
