"""Browser test: the team lead invites a kab/kota colleague, who sets a password through the
e-mailed link and logs in; the people pages read at 1366 px and on a 390 px phone."""

import re
from urllib.parse import urlsplit

import pytest

from conftest import browser_login, screenshot
from core.models import AuditEvent, OutgoingMail, User

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Kopi-Pagi-Bengkulu-77"


def test_team_lead_invites_a_person_who_sets_a_password_and_logs_in(
    page, browser, live_server, ketua_tim, tim_rejang_lebong
):
    page.set_viewport_size({"width": 1366, "height": 900})
    browser_login(page, "ketua_tim")
    page.get_by_role("link", name="Pengguna").click()
    page.wait_for_url("**/pengguna/")
    assert page.locator("[data-testid=people-list] > li").count() == 2
    screenshot(page, "people-list-1366")

    page.get_by_test_id("invite-link").click()
    page.fill("#id_full_name", "Rina Marlina, S.Si")
    page.fill("#id_email", "rina.marlina@bps.go.id")
    page.fill("#id_nip", "1990 0101 2014 12 2001")
    page.fill("#id_position", "Statistisi Ahli Pertama")
    page.select_option("#id_office", label="BPS Kabupaten Rejang Lebong")
    page.select_option("#id_role", "tim_kabkota")
    screenshot(page, "people-invite-1366")
    page.get_by_role("button", name="Kirim undangan").click()

    page.wait_for_url(re.compile(r".*/pengguna/\d+/$"))
    assert "Rina Marlina, S.Si telah diundang" in page.content()
    assert "Diundang: belum mengatur kata sandi" in page.content()
    assert "Akun dibuat dan undangan dikirim" in page.locator("table").inner_text()
    screenshot(page, "people-detail-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "people-detail-390")
    page.goto("/pengguna/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "people-list-390")

    mail = OutgoingMail.objects.get(to="rina.marlina@bps.go.id")
    [link] = re.findall(r"https?://\S+/akun/sandi/\S+/", mail.body)
    invited = browser.new_context(base_url=live_server.url, locale="id-ID")
    try:
        other = invited.new_page()
        other.screenshots = page.screenshots
        problems = []
        other.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        other.set_viewport_size({"width": 390, "height": 844})
        other.goto(urlsplit(link).path)
        assert "Atur kata sandi Anda" in other.content()
        other.fill("#id_new_password1", NEW_PASSWORD)
        other.fill("#id_new_password2", NEW_PASSWORD)
        screenshot(other, "password-set-390")
        other.get_by_role("button", name="Simpan kata sandi").click()
        other.wait_for_url("**/masuk/")
        assert "Kata sandi Anda tersimpan" in other.content()
        browser_login(other, "rina.marlina", NEW_PASSWORD)
        assert "Rina Marlina, S.Si" in other.content()
        screenshot(other, "invited-home-390")
        assert problems == []
    finally:
        invited.close()
    person = User.objects.get(username="rina.marlina")
    assert person.last_login is not None
    assert AuditEvent.objects.filter(action="user.password_set", actor=person).count() == 1
