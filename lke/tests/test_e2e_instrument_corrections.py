"""Browser test of issue 10 points 2 and 5 on the official 2026 instrument: the province's team
lead corrects the instrument on its page, without the admin. A checking rule of 5.a is changed
in place (htmx), a rule is added to 3.a after a refused attempt that keeps what was typed, one
is deleted after a confirmation, and the divisor of 14.a.2 (the workbook's slip) is corrected,
which removes the anomaly from the page. Screenshots at 1366 px and 390 px."""

import pytest
from playwright.sync_api import expect

from conftest import browser_login
from core.models import AuditEvent
from lke.models import CheckRule, Item
from lke.tests.test_e2e_lke import element_shot, lke_round, shots  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e


def _rules(page, code):
    return page.locator(f"[data-testid='rules-{code}']")


def _after_shot(page) -> None:
    """A screenshot leaves an empty style attribute on the page's inputs (Playwright hides the
    caret); htmx copies it onto the swapped-in inputs, which the strict CSP reports as an inline
    style. Remove what the screenshot left, so the page is as the user has it."""
    page.evaluate(
        "document.querySelectorAll('[style=\"\"]').forEach(e => e.removeAttribute('style'))"
    )


def test_team_lead_corrects_rules_and_a_divisor_on_the_instrument_page(page, lke_round):  # noqa: F811
    _users, worksheet = lke_round
    instrument = worksheet.assessment.instrument
    page.set_viewport_size({"width": 1366, "height": 900})
    browser_login(page, "ketua_tim")
    page.goto(f"/lke/instrumen/{instrument.pk}/")
    expect(page.locator("[data-testid=corrections]")).to_contain_text("Anda dapat menambah")
    expect(page.locator("[data-testid=formula-anomaly]")).to_have_count(1)  # 14.a.2
    shots(page, "lke-instrument")
    _after_shot(page)

    # 1. A rule of 5.a changed in place: only its block is swapped.
    rules = _rules(page, "5.a")
    first = rules.locator("[data-testid=rule]").first
    first.locator("summary").click()
    first.locator("textarea[name=text]").fill("Hanya notulen dan daftar hadir: skor turun 1")
    first.locator("[data-testid=rule-save]").click()
    expect(rules.locator("[data-testid=rules-saved]")).to_be_visible()
    expect(rules.locator("[data-testid=rule]").first).to_contain_text(
        "Hanya notulen dan daftar hadir: skor turun 1"
    )
    element_shot(page, _rules(page, "5.a"), "lke-instrument-rules-5a-saved")
    _after_shot(page)

    # 2. A new rule for 3.a: without its text it is refused, the input stays; then saved.
    rules = _rules(page, "3.a")
    rules.locator("[data-testid=rule-add-open]").click()
    form = rules.locator("[data-testid=rule-form]").last
    form.locator("select[name=self_score]").select_option("3")
    form.locator("select[name=score]").select_option("1")
    form.locator("input[name=absent][value=sk_agen]").check()
    form.locator("[data-testid=rule-save]").click()
    expect(rules.locator("[data-testid=rules-error]")).to_contain_text("Aturan tidak disimpan")
    expect(rules.locator("[data-testid=rule-field-error]")).to_contain_text("Tuliskan teks aturan")
    form = rules.locator("details[open] [data-testid=rule-form]")
    expect(form.locator("input[name=absent][value=sk_agen]")).to_be_checked()
    expect(form.locator("select[name=score]")).to_have_value("1")
    page.set_viewport_size({"width": 390, "height": 844})
    element_shot(page, _rules(page, "3.a"), "lke-instrument-rules-3a-refused-390")
    _after_shot(page)
    page.set_viewport_size({"width": 1366, "height": 900})
    form.locator("textarea[name=text]").fill("Tanpa SK agen statistik: 1")
    form.locator("[data-testid=rule-save]").click()
    expect(rules.locator("[data-testid=rules-saved]")).to_be_visible()
    expect(rules.locator("[data-testid=rule]")).to_have_count(2)
    item = Item.objects.get(instrument=instrument, code="3.a")
    added = CheckRule.objects.get(item=item, text="Tanpa SK agen statistik: 1")
    assert (added.self_score, added.absent, added.score) == (3, ["sk_agen"], 1)

    # 3. The rule of 20.a2 deleted after the confirmation.
    page.once("dialog", lambda dialog: dialog.accept())
    rules = _rules(page, "20.a2")
    rules.locator("[data-testid=rule-delete]").click()
    expect(rules.locator("[data-testid=rules-saved]")).to_be_visible()
    expect(rules.locator("[data-testid=rule]")).to_have_count(0)
    assert not CheckRule.objects.filter(item__instrument=instrument, item__code="20.a2").exists()

    # 4. The divisor of 14.a.2 corrected: the worksheets are scored again, no anomaly is left.
    rules = _rules(page, "14.a.2")
    rules.locator("input[name=divisor]").fill("3")
    rules.locator("[data-testid=divisor-save]").click()
    expect(page.locator(".alert-success")).to_contain_text("dihitung ulang")
    expect(page.locator("[data-testid=formula-anomaly]")).to_have_count(0)
    expect(_rules(page, "14.a.2").locator("input[name=divisor]")).to_have_value("3")
    assert list(
        AuditEvent.objects.filter(action__startswith="lke_instrument.")
        .order_by("id")
        .values_list("action", flat=True)
    )[-4:] == [
        "lke_instrument.rule_update",
        "lke_instrument.rule_add",
        "lke_instrument.rule_delete",
        "lke_instrument.divisor",
    ]
    expect(page.locator("#riwayat + .card")).to_contain_text("Pembagi butir dibetulkan")
    shots(page, "lke-instrument-corrected")
