"""Browser test: logging in with SSO BPS through a real OpenID Connect provider on loopback
(scripts/oidc-provider, fixture `oidc_provider_live`), and out again, in Chromium.

Any console error fails the test (the `page` fixture): a Content-Security-Policy that blocked
the logout form's redirect to the provider would show here."""

import re

import pytest

from conftest import make_user, screenshot
from core.models import Role

pytestmark = pytest.mark.e2e


def sso_log_in_at_provider(page, provider, username: str) -> None:
    """On the app's login page: press the SSO button, then log in on the provider's form."""
    page.goto("/masuk/")
    page.get_by_role("link", name="Masuk dengan SSO BPS").click()
    page.wait_for_url(f"{provider.origin}/**")
    page.fill("#username", username)
    page.fill("#password", provider.users[username]["password"])
    page.click("#kc-login")


def test_registered_user_logs_in_with_sso_bps_and_logging_out_ends_the_sso_session(
    page, live_server, sso_on_live
):
    provider = sso_on_live
    nip = provider.users["rina.kartika"]["claims"]["nip"]
    make_user("rina", "1702", Role.TIM_KABKOTA, nip=nip)

    page.goto("/masuk/")
    assert page.locator("[data-testid=sso-login]").is_visible()
    assert page.locator("#id_password").is_visible()  # the local login stays beside it
    screenshot(page, "login-with-sso-button")

    sso_log_in_at_provider(page, provider, "rina.kartika")
    page.wait_for_url(f"{live_server.url}/")
    name = page.locator(".nav-user-name")
    assert name.inner_text() == "Rina Kartika, S.ST., M.Si."  # the display name of the claims
    page.locator("nav .dropdown-toggle").click()
    assert "BPS Kabupaten Rejang Lebong" in page.locator("nav .dropdown-menu").inner_text()
    screenshot(page, "home-after-sso-login")

    # Keluar: out of the app, then at the provider's end-session page, then back at the login.
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url(re.compile(re.escape(f"{provider.issuer}/protocol/openid-connect/logout")))
    screenshot(page, "sso-end-session")
    page.click("#kc-logout")
    page.wait_for_url(f"{live_server.url}/masuk/")
    assert page.locator("[data-testid=sso-login]").is_visible()

    # The SSO session is over too: the provider asks for the password again.
    page.get_by_role("link", name="Masuk dengan SSO BPS").click()
    page.wait_for_url(f"{provider.origin}/**")
    assert page.locator("#kc-form-login").is_visible()


def test_unregistered_person_is_refused_on_the_login_page(page, live_server, sso_on_live):
    sso_log_in_at_provider(page, sso_on_live, "dedi.pratama")
    page.wait_for_url(f"{live_server.url}/masuk/")
    alert = page.get_by_role("alert")
    assert "Anda tidak mempunyai akses untuk aplikasi ini" in alert.inner_text()
    assert page.locator(".nav-user-name").count() == 0
    screenshot(page, "sso-refused")
