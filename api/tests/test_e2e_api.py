"""In a real browser: a kab/kota user makes a token on the profile page, copies it once, and
the Swagger UI docs page at /api/ renders under the strict CSP (the page fixture fails the
test on any console error, CSP violations included) and calls the API with that token."""

import pytest

from conftest import browser_login, make_user, screenshot
from core.models import Role

pytestmark = pytest.mark.e2e


def test_token_from_profile_page_works_in_the_docs_page(page, e2e_data):
    make_user("tim_kaur", "1704", Role.TIM_KABKOTA)
    browser_login(page, "tim_kaur")
    page.goto("/akun/profil/")
    page.fill("#token-name", "Dasbor kabupaten")
    page.select_option("#token-scope", "read")
    page.click("#token-api button[type=submit]")
    secret = page.text_content("#api-token-secret").strip()
    assert secret.startswith("mdc_")
    screenshot(page, "api-token-created")
    page.goto("/akun/profil/")
    assert "Dasbor kabupaten" in page.text_content("#token-api")
    assert secret not in page.content()
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "api-profile-390")
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto("/api/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20000)
    page.click(".swagger-ui .authorize")
    page.fill(".dialog-ux input[type=text]", secret)
    page.click(".dialog-ux .modal-btn.auth.authorize")
    page.click(".dialog-ux .btn-done")
    page.click("#operations-core-api_endpoints_core_me")
    page.click("#operations-core-api_endpoints_core_me .try-out__btn")
    page.click("#operations-core-api_endpoints_core_me .execute")
    page.wait_for_selector("#operations-core-api_endpoints_core_me .response .microlight")
    body = page.text_content("#operations-core-api_endpoints_core_me .live-responses-table")
    assert '"username": "tim_kaur"' in body
    screenshot(page, "api-docs")
