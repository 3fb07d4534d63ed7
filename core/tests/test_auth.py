import pytest
from django.urls import reverse

from conftest import PASSWORD


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_lands_on_home_and_logout_returns_to_login(client, tim_kaur):
    response = login(client, "tim_kaur", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("program:home")
    response = client.post(reverse("logout"))
    assert response.url == reverse("login")
    assert client.get(reverse("program:home")).status_code == 302


def test_wrong_password_shows_indonesian_error(client, tim_kaur):
    response = login(client, "tim_kaur", "salah")
    assert response.status_code == 200
    assert "Nama pengguna atau kata sandi salah" in response.content.decode()


def test_pages_need_login(client):
    response = client.get(reverse("program:village_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_lockout_after_repeated_failures_with_clear_message(client, tim_kaur, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "tim_kaur", "salah").status_code == 200
    response = login(client, "tim_kaur", "salah")
    assert response.status_code == 429
    text = response.content.decode()
    assert "Terlalu banyak percobaan masuk yang gagal" in text
    assert "15 menit" in text
    # Even the right password is refused while locked.
    assert login(client, "tim_kaur", PASSWORD).status_code == 429


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("pendek1", "terlalu pendek"),
        ("1234567890123", "seluruhnya terdiri dari angka"),
        ("password123", "terlalu umum"),
    ],
)
def test_password_change_refuses_weak_passwords(client, tim_kaur, new_password, message):
    client.force_login(tim_kaur)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    tim_kaur.refresh_from_db()
    assert tim_kaur.check_password(PASSWORD)


def test_password_change_with_strong_password(client, tim_kaur):
    client.force_login(tim_kaur)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Rumah-Statistik-77",
            "new_password2": "Rumah-Statistik-77",
        },
    )
    assert response.status_code == 302
    tim_kaur.refresh_from_db()
    assert tim_kaur.check_password("Rumah-Statistik-77")


def test_language_switch_to_english(client, tim_kaur):
    client.force_login(tim_kaur)
    assert "Beranda" in client.get(reverse("program:home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Home" in client.get(reverse("program:home")).content.decode()


def test_every_page_has_a_strict_content_security_policy(client, tim_kaur):
    client.force_login(tim_kaur)
    policy = client.get(reverse("program:home")).headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_english_browser_still_gets_indonesian_until_the_user_switches(client, tim_kaur):
    client.force_login(tim_kaur)
    page = client.get(reverse("program:home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="id">' in page.content.decode()
    assert "Beranda" in page.content.decode()
