"""Browser test of issue 10 on the official 2026 instrument: the kab/kota team confirms a
prefilled answer, answers 5.a with score 3 and uploads its evidence (notulen and daftar hadir,
no undangan), submits; the province sees which kinds of evidence 5.a has and applies the
workbook's checking rule with one click (score 3 → 2, the rule's text as the reason), the team
lead finalises in bulk from the list; the results page and the berita acara PDF open."""

import os
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import browser_login, screenshot
from lke.models import Answer, CheckRule, Evidence, Level
from lke.tests.conftest import fill_best
from lke.tests.test_e2e_lke import item_card, lke_round, shots  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _upload(card, name: str, kind: str) -> None:
    card.locator("details.lke-evidence summary").click()
    card.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "application/pdf", "buffer": PDF}]
    )
    card.locator("form:has(input[type=file]) select[name=document]").select_option(kind)
    card.get_by_role("button", name="Unggah", exact=True).click()


def test_official_lke_checked_by_rule_and_finalised(page, lke_round, tmp_path):  # noqa: F811
    users, worksheet = lke_round
    total = worksheet.required_items
    page.set_viewport_size({"width": 1366, "height": 900})

    # 1. The kab/kota team: a prefilled answer confirmed, 5.a answered with its evidence.
    browser_login(page, "tim_rejang_lebong")
    page.goto(f"/lke/lembar/{worksheet.pk}/")
    card = item_card(page, "4.b")
    expect(card.locator("[data-testid=suggestion-source]")).to_contain_text("Diisi dari")
    card.locator("[data-testid=use-suggestion]").click()
    expect(page.locator("[data-testid=progress-self]")).to_have_text(f"1/{total}")
    card = item_card(page, "5.a")
    card.locator("[data-testid=level-self] input[data-score='3']").check()
    expect(page.locator("[data-testid=progress-self]")).to_have_text(f"2/{total}")
    _upload(card, "notulen-pembinaan.pdf", "notulen")
    expect(item_card(page, "5.a").locator("[data-testid=evidence-list] li")).to_have_count(1)
    _upload(item_card(page, "5.a"), "daftar-hadir-pembinaan.pdf", "daftar_hadir")
    expect(item_card(page, "5.a").locator("[data-testid=evidence-list] li")).to_have_count(2)
    expect(item_card(page, "5.a").locator("[data-testid=evidence-document]")).to_have_text(
        ["Notulen", "Daftar hadir"]
    )
    assert sorted(
        Evidence.objects.filter(worksheet=worksheet).values_list("document", flat=True)
    ) == [
        "daftar_hadir",
        "notulen",
    ]
    fill_best(worksheet, skip=("4.b", "5.a"), by=users["tim"])
    page.reload()
    page.get_by_role("button", name="Kirim ke provinsi").click()
    assert page.locator("[data-testid=status]").first.inner_text() == "Dikirim"

    # 2. The province: the evidence kinds of 5.a and the rule the workbook gives, one click.
    page.context.clear_cookies()
    browser_login(page, "tim_provinsi")
    page.goto(f"/lke/lembar/{worksheet.pk}/")
    page.get_by_role("button", name="Mulai verifikasi").click()
    card = item_card(page, "5.a")
    kinds = card.locator("[data-testid=evidence-kinds] [data-kind]")
    expect(kinds).to_have_count(5)
    present = {
        kinds.nth(n).get_attribute("data-kind"): kinds.nth(n).get_attribute("data-present")
        for n in range(5)
    }
    assert present == {
        "undangan": "0",
        "notulen": "1",
        "daftar_hadir": "1",
        "dokumentasi": "0",
        "sk_agen": "0",
    }
    rule = CheckRule.objects.get(
        item__instrument=worksheet.assessment.instrument, item__code="5.a", self_score=3, score=2
    )
    expect(card.locator("[data-testid=check-rule]")).to_have_count(1)
    expect(card.locator("[data-testid=check-rule]")).to_contain_text(rule.text)
    card.scroll_into_view_if_needed()
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        item_card(page, "5.a").scroll_into_view_if_needed()
        page.screenshot(path=page.screenshots / f"lke-check-rule-{width}.png")
        if os.environ.get("E2E_SCREENSHOTS"):
            page.screenshot(
                path=Path(os.environ["E2E_SCREENSHOTS"]) / f"lke-check-rule-{width}.png"
            )
    page.set_viewport_size({"width": 1366, "height": 900})
    page.reload()
    card = item_card(page, "5.a")
    card.locator("[data-testid=apply-check-rule]").click()
    card = item_card(page, "5.a")
    expect(card.locator("[data-testid=check-rule-applied]")).to_be_visible()
    expect(card.locator("[data-testid=delta]")).to_have_text("-1")
    expect(card.locator("[data-testid=level-provincial] input[data-score='2']")).to_be_checked()
    expect(card.locator("[data-testid=level-provincial] input[name=reason]")).to_have_value(
        rule.text
    )
    verified = Answer.objects.get(worksheet=worksheet, item=rule.item, level=Level.PROVINCIAL)
    assert (verified.option.score, verified.reason) == (2, rule.text)
    page.keyboard.press("Home")
    shots(page, "lke-verification-after-rule")

    # 3. The team lead finalises from the list, in bulk, with one confirmation.
    page.context.clear_cookies()
    browser_login(page, "ketua_tim")
    page.goto("/lke/?tahun=2026")
    page.locator("[data-bulk-all]").first.check()
    page.select_option("#bulk-action", "verify_and_finalise")
    page.get_by_role("button", name="Lanjut ke konfirmasi").click()
    page.get_by_test_id("bulk-confirm").click()
    expect(page.locator("[data-testid=bulk-done]")).to_contain_text("1 lembar selesai")
    worksheet.refresh_from_db()
    assert worksheet.status == "finalised"
    assert worksheet.provincial_answered == total
    verified.refresh_from_db()
    assert verified.option.score == 2  # the bulk take-over kept the rule's score

    # 4. The results and the berita acara.
    page.goto("/lke/hasil/?tahun=2026")
    page.wait_for_selector("#lke-aspect-chart")
    assert page.locator("[data-testid=ranking] tbody tr").count() == 1
    assert worksheet.scores["provincial"]["total"] < worksheet.scores["self"]["total"]
    shots(page, "lke-results-after-rule")
    form = page.get_by_test_id("record-form")
    form.get_by_label("Nomor berita acara").fill("B-12/17000/VS.300/12/2026")
    form.get_by_label("Tempat").fill("Bengkulu")
    with page.expect_download() as download:
        form.get_by_role("button", name="Buat PDF").click()
    pdf = tmp_path / "berita-acara.pdf"
    pdf.write_bytes(Path(download.value.path()).read_bytes())
    assert pdf.read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "ba")], check=True)
    pages = sorted(tmp_path.glob("ba-*.png"))
    assert pages
    if os.environ.get("E2E_SCREENSHOTS"):
        out = Path(os.environ["E2E_SCREENSHOTS"])
        (out / "lke-berita-acara-checks.pdf").write_bytes(pdf.read_bytes())
        for png in pages:
            (out / f"lke-berita-acara-checks-{png.name}").write_bytes(png.read_bytes())
    screenshot(page, "lke-results-final")
