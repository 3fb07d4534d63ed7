"""Browser test of the LKE round: the kab/kota team fills part of a worksheet (each answer saves
as it changes, the progress stays in view) and submits, the province verifies with one changed
score and its reason, the team lead finalises from the list in bulk with one confirmation, and
the results and the berita acara open."""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from conftest import browser_login, desa_in, make_user, screenshot
from core.models import Office, Role
from lke import services
from lke.models import Instrument, Item, Level, Worksheet
from lke.rules import evidence_needed
from lke.scoring import instrument_tree, required_items
from lke.tests.conftest import fill_best
from program.models import ParticipatingVillage, VillageAgent, VillageKind
from program.services import create_program_year
from reports.models import Report, ReportKind, ReportState, StatisticalAgent

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
    # The village's agen statistik register lists two agents, one a village official (as its
    # approved sosialisasi report does): the system suggests 4.a and 4.b from the register.
    VillageAgent.objects.create(village=village, name="Rina", is_village_official=True)
    VillageAgent.objects.create(village=village, name="Budi")
    report = Report.objects.create(
        village=village,
        kind=ReportKind.SOSIALISASI,
        state=ReportState.APPROVED,
        first_submitted_at=timezone.now(),
        created_by=users["tim"],
        last_action="approved",
        last_action_by=users["tim"],
    )
    StatisticalAgent.objects.create(report=report, name="Rina", is_village_official=True)
    StatisticalAgent.objects.create(report=report, name="Budi")
    return users, worksheet


def element_shot(page, locator, name):
    """A screenshot of one element (an item card), saved like `screenshot()`."""
    locator.screenshot(path=page.screenshots / f"{name}.png")
    if os.environ.get("E2E_SCREENSHOTS"):
        locator.screenshot(path=Path(os.environ["E2E_SCREENSHOTS"]) / f"{name}.png")


def item_card(page, code):
    return page.locator(f"[data-testid='item-{code}']")


def shots(page, name):
    """Full-page screenshots at 1366 px and 390 px wide."""
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1366, "height": 900})


def test_lke_round_from_self_assessment_to_results(page, lke_round):
    users, worksheet = lke_round
    instrument = worksheet.assessment.instrument
    total = worksheet.required_items
    page.set_viewport_size({"width": 1366, "height": 900})

    # 1. The kab/kota team answers two items in the browser: each saves as it changes.
    browser_login(page, "tim_rejang_lebong")
    page.goto("/lke/?tahun=2026")
    screenshot(page, "lke-index-kabkota")
    page.get_by_role("link", name=worksheet.village.village.name).click()
    assert page.get_by_role("button", name="Simpan").count() == 0  # only without JavaScript
    card = item_card(page, "3.a")
    card.locator("[data-testid=level-self] input[data-score='3']").check()
    expect(page.locator("[data-testid=progress-self]")).to_have_text(f"1/{total}")
    expect(card.locator("[data-testid=saved-self]")).to_be_visible()
    card.locator("input[name=note]").fill("SK Kepala Desa No. 12/2026")
    card.locator("input[name=note]").press("Tab")
    expect(card.locator("[data-testid=saved-self]")).to_be_visible()
    card = item_card(page, "4.a")
    card.locator("[data-testid=level-self] input[data-score='2']").check()
    expect(page.locator("[data-testid=progress-self]")).to_have_text(f"2/{total}")
    # 4.b is prefilled from the agen statistik register: the team confirms the suggestion.
    card = item_card(page, "4.b")
    expect(card.locator("[data-testid=suggestion-source]")).to_contain_text("Diisi dari")
    card.locator("[data-testid=use-suggestion]").click()
    expect(page.locator("[data-testid=progress-self]")).to_have_text(f"3/{total}")
    expect(item_card(page, "4.b").locator("[data-testid=suggestion]")).to_have_count(0)
    saved = {a.item.code: a for a in worksheet.answers.select_related("item", "option")}
    assert saved["3.a"].note == "SK Kepala Desa No. 12/2026" and saved["3.a"].version == 2
    assert saved["4.a"].option.score == 2
    assert saved["4.b"].option.score == 2 and saved["4.b"].note.startswith("Diisi dari:")
    # On a phone the progress bar stays at the top while scrolling through the items.
    page.set_viewport_size({"width": 390, "height": 844})
    item_card(page, "9.a.3").scroll_into_view_if_needed()
    bar = page.locator("[data-testid=progress-bar]")
    expect(bar).to_be_visible()
    assert bar.bounding_box()["y"] <= 1
    expect(bar).to_contain_text(f"3/{total}")
    page.screenshot(path=page.screenshots / "lke-worksheet-phone-scrolled.png")
    if os.environ.get("E2E_SCREENSHOTS"):
        page.screenshot(
            path=Path(os.environ["E2E_SCREENSHOTS"]) / "lke-worksheet-phone-scrolled.png"
        )
    page.set_viewport_size({"width": 1366, "height": 900})
    page.keyboard.press("Home")
    shots(page, "lke-worksheet-self-partial")

    # The last item answered on the page: one whose top answer asks for no evidence.
    last = next(
        i.code
        for i in required_items(instrument_tree(worksheet.assessment.instrument, "village"))
        if i.code not in ("3.a", "4.a", "4.b")
        and not evidence_needed(i, max(o.score for o in i.options.all()))
    )
    fill_best(worksheet, skip=("3.a", "4.a", "4.b", last), by=users["tim"])
    page.reload()
    # The "Next step" card follows the answers: the last one enables submitting, no reload.
    submit = page.get_by_role("button", name="Kirim ke provinsi")
    expect(page.locator("[data-testid=next-step]")).to_contain_text(
        f"1 butir belum dijawab: {last}"
    )
    expect(submit).to_be_disabled()
    item_card(page, last).locator("[data-testid=level-self] input[type=radio]").first.check()
    expect(page.locator("[data-testid=next-step]")).not_to_contain_text("belum dijawab")
    expect(submit).to_be_enabled()
    submit.click()
    assert page.locator("[data-testid=status]").first.inner_text() == "Dikirim"

    # 2. The province verifies one item: the changed score waits for its reason, then saves.
    page.context.clear_cookies()
    browser_login(page, "tim_provinsi")
    page.goto(f"/lke/lembar/{worksheet.pk}/")
    page.get_by_role("button", name="Mulai verifikasi").click()
    card = item_card(page, "3.a")
    card.locator("[data-testid=level-provincial] input[data-score='2']").check()
    assert card.locator("input[name=reason]").evaluate("el => el.required") is True
    expect(card.locator(".lke-reason-hint")).to_be_visible()
    assert not worksheet.answers.filter(level=Level.PROVINCIAL).exists()  # held back
    card.locator("input[name=reason]").fill("Agen statistik belum aktif dalam kegiatan desa")
    card.locator("input[name=reason]").press("Tab")
    expect(item_card(page, "3.a").locator("[data-testid=delta]")).to_have_text("-1")
    expect(page.locator("[data-testid=progress-provincial]")).to_have_text(f"1/{total}")
    element_shot(page, item_card(page, "3.a"), "lke-item-verified-with-reason")
    page.keyboard.press("Home")
    shots(page, "lke-worksheet-verification")

    # 3. The team lead takes over the rest and finalises from the list, in bulk: the village
    # is done, the office's Blok IV (not submitted) is refused with the reason.
    page.context.clear_cookies()
    browser_login(page, "ketua_tim")
    page.goto("/lke/?tahun=2026")
    office_sheet = Worksheet.objects.get(assessment=worksheet.assessment, target="office")
    page.locator("[data-bulk-all]").first.check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2")
    page.select_option("#bulk-action", "verify_and_finalise")
    shots(page, "lke-index-bulk-selected")
    page.get_by_role("button", name="Lanjut ke konfirmasi").click()
    expect(page.locator("[data-testid=bulk-refused]")).to_contain_text("Blok IV")
    shots(page, "lke-bulk-confirm")
    worksheet.refresh_from_db()
    assert worksheet.status == "provincial_verification"  # nothing done before the confirmation
    page.get_by_test_id("bulk-confirm").click()
    expect(page.locator("[data-testid=bulk-done]")).to_contain_text("1 lembar selesai")
    worksheet.refresh_from_db()
    office_sheet.refresh_from_db()
    assert (worksheet.status, office_sheet.status) == ("finalised", "self_assessment")
    assert worksheet.provincial_answered == total

    # 4. The results: the village ranked, the office listed apart; the berita acara opens.
    page.goto("/lke/hasil/?tahun=2026")
    page.wait_for_selector("#lke-aspect-chart")
    ranking = page.locator("[data-testid=ranking] tbody tr")
    assert ranking.count() == 1
    assert ranking.first.locator("[data-testid=rank]").inner_text() == "1"
    expect(page.locator("[data-testid=offices-unassessed]")).to_contain_text("Rejang Lebong")
    verified = worksheet.scores["provincial"]["total"]
    assert verified < worksheet.scores["self"]["total"] == 100.0
    assert ranking.first.locator(
        "[data-testid=verified-total]"
    ).inner_text() == f"{verified:.2f}".replace(".", ",")
    assert Item.objects.filter(instrument=instrument, code="3.a").exists()
    shots(page, "lke-results")
    form = page.get_by_test_id("record-form")
    form.get_by_label("Nomor berita acara").fill("B-12/17000/VS.300/12/2026")
    form.get_by_label("Tempat").fill("Bengkulu")
    with page.expect_download() as download:
        form.get_by_role("button", name="Buat PDF").click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF-")
    if os.environ.get("E2E_SCREENSHOTS"):
        (Path(os.environ["E2E_SCREENSHOTS"]) / "lke-berita-acara.pdf").write_bytes(content)
