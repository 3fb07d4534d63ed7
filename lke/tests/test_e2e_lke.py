"""Browser test of the LKE round: the kab/kota team fills part of a worksheet and submits, the
province verifies with one changed score and its reason, the team lead finalises, and the
results show the verified ranking."""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from conftest import browser_login, desa_in, make_user, screenshot
from core.models import Office, Role
from lke import services
from lke.models import Instrument, Item, Level, Worksheet
from lke.scoring import instrument_tree, required_items
from program.models import ParticipatingVillage, VillageKind
from program.services import create_program_year

pytestmark = pytest.mark.e2e


@pytest.fixture
def lke_round(e2e_data):
    province = Office.objects.get(code="1700")
    rejang_lebong = Office.objects.get(code="1702")
    users = {
        "tim": make_user("tim_rejang_lebong", "1702", Role.TIM_KABKOTA),
        "verifier": make_user("tim_provinsi", "1700", Role.TIM_PROVINSI),
        "lead": make_user("ketua_tim", "1700", Role.KETUA_TIM),
    }
    year = create_program_year(province, year=2026, by=None)
    village = ParticipatingVillage.objects.create(
        program_year=year,
        village=desa_in(rejang_lebong, 2),
        office=rejang_lebong,
        kind=VillageKind.UTAMA,
    )
    call_command("load_instruments", stdout=io.StringIO())
    instrument = Instrument.objects.get(year=2026, version=1)
    services.open_assessment(year, instrument=instrument, by=users["lead"])
    worksheet = Worksheet.objects.get(village=village)
    return users, worksheet


def element_shot(page, locator, name):
    """A screenshot of one element (an item card), saved like `screenshot()`."""
    locator.screenshot(path=page.screenshots / f"{name}.png")
    if os.environ.get("E2E_SCREENSHOTS"):
        locator.screenshot(path=Path(os.environ["E2E_SCREENSHOTS"]) / f"{name}.png")


def item_card(page, code):
    return page.locator(f"[data-testid='item-{code}']")


def test_lke_round_from_self_assessment_to_results(page, lke_round):
    users, worksheet = lke_round
    instrument = worksheet.assessment.instrument
    total = worksheet.required_items

    # 1. The kab/kota team answers two items in the browser (htmx), the rest offline.
    browser_login(page, "tim_rejang_lebong")
    page.goto("/lke/?tahun=2026")
    screenshot(page, "lke-index-kabkota")
    page.get_by_role("link", name=worksheet.village.village.name).click()
    card = item_card(page, "3.a")
    card.locator("[data-testid=level-self] input[data-score='4']").check()
    card.locator("input[name=note]").fill("SK Kepala Desa No. 12/2026")
    card.locator("[data-testid='save-3.a']").click()
    expect(page.locator("[data-testid=progress-self]")).to_have_text(f"1/{total}")
    card = item_card(page, "4.a")
    card.locator("[data-testid=level-self] input[data-score='1']").check()
    card.locator("[data-testid='save-4.a']").click()
    expect(page.locator("[data-testid=progress-self]")).to_have_text(f"2/{total}")
    page.keyboard.press("Home")
    screenshot(page, "lke-worksheet-self-partial")

    tree = instrument_tree(instrument, worksheet.target)
    for it in required_items(tree):
        if it.code in ("3.a", "4.a"):
            continue
        best = max(it.options.all(), key=lambda o: o.score)
        services.save_answer(
            worksheet, item=it, level=Level.SELF, option=best, version=0, by=users["tim"]
        )
    page.reload()
    page.get_by_role("button", name="Kirim ke provinsi").click()
    assert page.locator("[data-testid=status]").first.inner_text() == "Dikirim"
    screenshot(page, "lke-worksheet-submitted")

    # 2. The province verifies: one changed score with its reason, the rest taken over.
    page.context.clear_cookies()
    browser_login(page, "tim_provinsi")
    page.goto(f"/lke/lembar/{worksheet.pk}/")
    page.get_by_role("button", name="Mulai verifikasi").click()
    card = item_card(page, "3.a")
    card.locator("[data-testid=level-provincial] input[data-score='3']").check()
    assert card.locator("input[name=reason]").evaluate("el => el.required") is True
    card.locator("input[name=reason]").fill("Agen statistik belum aktif dalam kegiatan desa")
    card.locator("[data-testid='save-3.a']").click()
    expect(item_card(page, "3.a").locator("[data-testid=delta]")).to_have_text("-1")
    element_shot(page, item_card(page, "3.a"), "lke-item-verified-with-reason")
    element_shot(page, page.locator("#lke-summary"), "lke-summary-verification")
    page.keyboard.press("Home")
    screenshot(page, "lke-worksheet-verification")
    page.get_by_role(
        "button", name="Ambil jawaban mandiri untuk butir yang belum diverifikasi"
    ).click()
    assert page.locator("[data-testid=progress-provincial]").inner_text() == f"{total}/{total}"

    # 3. The team lead finalises and opens the results.
    page.context.clear_cookies()
    browser_login(page, "ketua_tim")
    page.goto(f"/lke/lembar/{worksheet.pk}/")
    page.get_by_role("button", name="Finalisasi").click()
    assert page.locator("[data-testid=status]").first.inner_text() == "Final"
    screenshot(page, "lke-worksheet-finalised")
    page.goto("/lke/hasil/?tahun=2026")
    page.wait_for_selector("#lke-aspect-chart")
    ranking = page.locator("[data-testid=ranking] tbody tr")
    assert ranking.count() == 1
    assert ranking.first.locator("[data-testid=rank]").inner_text() == "1"
    worksheet.refresh_from_db()
    verified = worksheet.scores["provincial"]["total"]
    assert verified < worksheet.scores["self"]["total"] == 100.0
    assert ranking.first.locator(
        "[data-testid=verified-total]"
    ).inner_text() == f"{verified:.2f}".replace(".", ",")
    assert Item.objects.filter(instrument=instrument, code="3.a").exists()
    screenshot(page, "lke-results")
    pdf = page.request.get("/lke/hasil/pdf/?tahun=2026")
    assert pdf.headers["content-type"] == "application/pdf"
    if os.environ.get("E2E_SCREENSHOTS"):
        (Path(os.environ["E2E_SCREENSHOTS"]) / "lke-results.pdf").write_bytes(pdf.body())
    page.goto("/lke/?tahun=2026")
    screenshot(page, "lke-index-province")
