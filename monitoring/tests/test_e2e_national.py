"""Browser test (#15): a BPS RI user on the demo opens the national dashboard, drills into
Bengkulu's dashboard and into one of its kab/kota, then opens the nominees of the signed
provinces (the demo's 2025 results, signed) and downloads their xlsx; at 1366 and 390 px."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from conftest import browser_login, screenshot
from monitoring.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

WIDTHS = """() => ({page: document.documentElement.scrollWidth, viewport: window.innerWidth})"""


@pytest.fixture
def demo(e2e_data):
    call_command("load_instruments", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())


def test_national_user_drills_down_and_downloads_the_nominees(page, demo):
    page.set_viewport_size({"width": 1366, "height": 900})
    browser_login(page, "tim.nasional", DEMO_PASSWORD)
    page.goto("/dasbor/")
    page.wait_for_url("**/dasbor/nasional/**")
    assert page.locator("h1").inner_text() == "Dasbor nasional"
    # Bengkulu and the demo's second province, Sumatera Selatan, with its own calendar
    lines = page.locator("[data-testid=province-line]")
    assert lines.count() == 2
    # two calendars side by side: Sumatera Selatan's 10-day sosialisasi standard against
    # Bengkulu's two weeks, one of them marked as differing from the usual one
    calendars = page.locator("[data-testid=calendars]")
    assert "10" in calendars.locator("[data-province='1600']").inner_text()
    assert calendars.locator("[data-testid=differs]").count() >= 1
    assert page.evaluate(WIDTHS)["page"] <= 1366
    screenshot(page, "national-1366")

    # into Bengkulu's own dashboard, and into one of its kab/kota
    page.get_by_role("link", name="BPS Provinsi Bengkulu").click()
    page.wait_for_url("**/dasbor/?tahun=*&provinsi=1700")
    assert page.locator("[data-testid=office-row]").count() == 10
    page.get_by_role("link", name="BPS Kabupaten Kaur").click()
    page.wait_for_url("**/dasbor/kabkota/**")
    assert "Kaur" in page.locator("h1").inner_text()
    screenshot(page, "national-kaur-1366")

    # back to the national dashboard, then the nominees of the signed provinces
    page.get_by_test_id("back-national").click()
    page.wait_for_url("**/dasbor/nasional/**")
    page.get_by_test_id("nominees-link").click()
    page.wait_for_url("**/lke/usulan/**")
    # the dashboard's year (this year) has no signed result yet: the list points to 2025's
    assert page.get_by_test_id("no-signed").is_visible()
    page.get_by_test_id("signed-year").first.click()
    page.wait_for_url("**/lke/usulan/?tahun=2025")
    assert "2025" in page.locator("h1").inner_text()
    provinces = page.locator("[data-testid=province-nominees]")
    assert provinces.count() == 1
    nominees = page.locator("[data-testid=nominee]")
    assert nominees.count() == 15  # one or two per kab/kota
    assert page.evaluate(WIDTHS)["page"] <= 1366
    screenshot(page, "nominees-1366")

    # only the first-ranked ones
    page.fill("#id_peringkat", "1")
    page.get_by_role("button", name="Terapkan").click()
    page.wait_for_url("**peringkat=1**")
    assert nominees.count() == 10
    assert set(page.get_by_test_id("nominee-rank").all_inner_texts()) == {"1"}

    with page.expect_download() as download:
        page.get_by_test_id("nominees-xlsx").click()
    path = download.value.path()
    assert download.value.suggested_filename == "usulan-desa-cantik-2025.xlsx"  # no province asked
    book = load_workbook(io.BytesIO(Path(path).read_bytes()))  # the saved file has no suffix
    assert book.sheetnames == ["Usulan", "Formulir nasional"]
    listed = list(book["Usulan"].iter_rows(min_row=2, values_only=True))
    assert len(listed) == 10 and {row[5] for row in listed} == {1}
    assert {row[0] for row in listed} == {"BPS Provinsi Bengkulu"}
    form = list(book["Formulir nasional"].iter_rows(min_row=2, values_only=True))
    assert {row[1] for row in form} == {row[3] for row in listed}

    page.set_viewport_size({"width": 390, "height": 844})
    widths = page.evaluate(WIDTHS)
    assert widths["page"] <= widths["viewport"] == 390
    screenshot(page, "nominees-390")
    page.goto("/dasbor/nasional/")
    assert page.evaluate(WIDTHS)["page"] <= 390
    screenshot(page, "national-390")
