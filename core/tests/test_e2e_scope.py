"""Browser test: each role lands on its own scope."""

import pytest
from django.core.management import call_command

from conftest import browser_login, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo(e2e_data):
    import io

    call_command("seed_demo", stdout=io.StringIO())


def test_province_team_lead_sees_every_kabkota_and_kabkota_team_only_its_own(page, demo):
    from monitoring.management.commands.seed_demo import DEMO_PASSWORD

    browser_login(page, "ketua.tim", DEMO_PASSWORD)
    cards = page.locator("[data-testid=office-card]")
    assert cards.count() == 10
    assert page.locator("[data-testid=village-count]").inner_text() == "30"
    assert "Padang Berangin" not in page.content()  # a 2025 village: not in the 2026 view
    roles = page.locator("nav .dropdown-menu strong").all_inner_texts()
    assert roles == ["Ketua Tim RB dan Pembinaan Statistik"]
    screenshot(page, "home-ketua-tim")

    page.get_by_role("link", name="2025").click()
    assert "Padang Berangin" in page.content()
    screenshot(page, "home-ketua-tim-2025")

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "home-ketua-tim-phone")

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 800})
    browser_login(page, "tim.kaur", DEMO_PASSWORD)
    assert page.locator("[data-testid=office-card]").count() == 1
    assert page.locator("h1").inner_text() == "BPS Kabupaten Kaur"
    assert "Bengkulu Selatan" not in page.locator("main").inner_text()
    screenshot(page, "home-tim-kaur")

    page.get_by_role("link", name="Desa", exact=True).click()
    offices = {
        t.strip() for t in page.locator("#village-table tbody td:nth-child(3)").all_inner_texts()
    }
    assert offices == {"Kaur"}
    screenshot(page, "villages-tim-kaur")


def test_lockout_message_in_the_browser(page, demo):
    page.expected_errors.append("429 (Too Many Requests)")
    for _ in range(5):
        page.goto("/masuk/")
        page.fill("#id_username", "tim.kaur")
        page.fill("#id_password", "salah-sandi")
        page.click("button[type=submit]")
    assert "Akun dikunci sementara" in page.content()
    screenshot(page, "locked-out")
