"""Login with SSO BPS against a real OpenID Connect provider on loopback (scripts/oidc-provider,
the `oidc-provider` package on Node.js, realm `pegawai-bps`; fixture `oidc_provider`).

The person's side (the provider's login form, its redirects, its logout page) is driven over
HTTP with `requests`, as a browser would; the app's side with Django's test client, whose
callback makes the real token and userinfo requests to the provider."""

import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, make_user
from core.models import AuditEvent, Membership, Role, User

NO_ACCESS = "Anda tidak mempunyai akses untuk aplikasi ini"
APP = "http://testserver"


class Person:
    """Someone at a browser: their cookies at the provider (a requests session) and at the
    app (a Django test client)."""

    def __init__(self, provider, client=None):
        self.provider = provider
        self.at_provider = requests.Session()
        self.app = client or Client()

    def follow_provider(self, response):
        """Follow the provider's redirects; stop at a page of its own, or at the redirect that
        sends the person back to the app (returned as the app-relative URL)."""
        for _ in range(10):
            if response.status_code not in (301, 302, 303):
                return response
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(APP + "/"):
                return location[len(APP) :]
            response = self.at_provider.get(location, allow_redirects=False, timeout=10)
        raise AssertionError("the provider redirected too many times")

    def start(self, next_url: str | None = None):
        """Press "Masuk dengan SSO BPS": the app sends the person to the provider."""
        query = {"next": next_url} if next_url else {}
        start = self.app.get(reverse("sso_login"), query)
        assert start.status_code == 302
        assert start.url.startswith(f"{self.provider.issuer}/protocol/openid-connect/auth?")
        return self.follow_provider(
            self.at_provider.get(start.url, allow_redirects=False, timeout=10)
        )

    def log_in(self, username: str, password: str | None = None, next_url: str | None = None):
        """The whole SSO login: the provider's form, its consent step, and the app's callback;
        the app's answer to the callback."""
        page = self.start(next_url)
        assert isinstance(page, requests.Response), "expected the provider's login form"
        assert 'id="kc-form-login"' in page.text
        action = unescape(re.search(r'<form method="post" action="([^"]+)"', page.text)[1])
        password = password or self.provider.users[username]["password"]
        back = self.follow_provider(
            self.at_provider.post(
                urljoin(page.url, action),
                data={"username": username, "password": password},
                allow_redirects=False,
                timeout=10,
            )
        )
        assert isinstance(back, str) and back.startswith(reverse("sso_callback") + "?"), back
        self.callback = back
        return self.app.get(back)


def claims(provider, username: str) -> dict:
    return provider.users[username]["claims"]


def user_id_of(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


@pytest.fixture
def rina(sso_on, db):
    """Registered with her NIP (as the admin wrote it), an older display name, at Kaur."""
    user = make_user("rina", "1704", Role.TIM_KABKOTA, nip=claims(sso_on, "rina.kartika")["nip"])
    user.full_name = "Rina K."
    user.save()
    return user


@pytest.fixture
def sari(sso_on, db):
    """Registered by e-mail only (no NIP yet; the address written in other letter case)."""
    return make_user("sari", "1700", Role.TIM_PROVINSI, email="Sari.Wulandari@BPS.go.id")


@pytest.fixture
def agus(sso_on, db):
    """Registered with his NIP, but the account is deactivated."""
    nip = claims(sso_on, "agus.setiawan")["nip"]
    return make_user("agus", "1771", Role.TIM_KABKOTA, nip=nip, is_active=False)


# --- the login page ------------------------------------------------------------------------


def test_without_oidc_settings_there_is_no_sso_button_and_no_sso_url(client, db):
    page = client.get(reverse("login")).content.decode()
    assert "Masuk dengan SSO BPS" not in page
    assert client.get(reverse("sso_login")).status_code == 404
    assert client.get(reverse("sso_callback"), {"code": "x", "state": "y"}).status_code == 404


def test_with_oidc_settings_the_login_page_offers_sso_beside_the_local_login(client, sso_on):
    page = client.get(reverse("login"), {"next": "/laporan/"}).content.decode()
    assert "Masuk dengan SSO BPS" in page
    assert 'href="/sso/masuk/?next=/laporan/"' in page
    assert 'name="password"' in page  # the local login stays


# --- who is let in -------------------------------------------------------------------------


def test_registered_user_is_let_in_by_nip_and_takes_the_display_name_of_the_claims(sso_on, rina):
    person = Person(sso_on)
    response = person.log_in("rina.kartika")

    assert response.status_code == 302
    assert response.url == reverse("program:home")
    assert user_id_of(person.app) == rina.pk
    rina.refresh_from_db()
    assert rina.full_name == "Rina Kartika, S.ST., M.Si."
    assert rina.nip == "198803142011012005"
    assert rina.username == "rina" and rina.email == ""
    # The office is the app's membership (Kaur), never the token's organisasi (17020).
    memberships = list(Membership.objects.filter(user=rina).values_list("office__code", "role"))
    assert memberships == [("1704", Role.TIM_KABKOTA)]
    home = person.app.get(reverse("program:home")).content.decode()
    assert "Kaur" in home
    event = AuditEvent.objects.get(action="sso.login")
    assert (event.actor, event.object_id) == (rina, str(rina.pk))
    assert event.changes == {"full_name": ["Rina K.", "Rina Kartika, S.ST., M.Si."]}
    assert event.action_label == "Masuk dengan SSO BPS"


def test_sso_login_returns_to_the_page_asked_for(sso_on, rina):
    response = Person(sso_on).log_in("rina.kartika", next_url=reverse("profile"))
    assert response.url == reverse("profile")


def test_account_found_by_email_is_let_in_and_gets_the_nip_of_the_claims(sso_on, sari):
    person = Person(sso_on)
    response = person.log_in("sari.wulandari")

    assert response.status_code == 302
    assert user_id_of(person.app) == sari.pk
    sari.refresh_from_db()
    assert sari.nip == "198512252009022001"
    assert sari.full_name == "Sari Wulandari, SE"
    event = AuditEvent.objects.get(action="sso.login")
    assert event.changes["nip"] == ["", "198512252009022001"]
    # Next time she is found by her NIP.
    assert Person(sso_on).log_in("sari.wulandari").url == reverse("program:home")
    assert AuditEvent.objects.filter(action="sso.login").count() == 2


def test_unregistered_person_is_refused_with_the_message_and_nothing_is_created(sso_on, rina):
    users_before = set(User.objects.values_list("pk", flat=True))
    person = Person(sso_on)
    response = person.log_in("dedi.pratama")

    assert response.status_code == 302
    assert response.url == reverse("login")
    assert user_id_of(person.app) is None
    page = person.app.get(response.url).content.decode()
    assert NO_ACCESS in page
    assert set(User.objects.values_list("pk", flat=True)) == users_before
    assert not User.objects.filter(email__iexact="dedi.pratama@bps.go.id").exists()
    assert person.app.get(reverse("program:home")).status_code == 302
    event = AuditEvent.objects.get(action="sso.refuse")
    assert event.actor is None
    assert "Dedi Pratama" in event.object_repr and "199001022014031003" in event.object_repr
    assert "Tidak ada akun" in event.reason
    assert event.action_label == "Masuk dengan SSO BPS ditolak"


def test_inactive_account_is_refused(sso_on, agus):
    person = Person(sso_on)
    response = person.log_in("agus.setiawan")

    assert response.url == reverse("login")
    assert user_id_of(person.app) is None
    assert NO_ACCESS in person.app.get(response.url).content.decode()
    event = AuditEvent.objects.get(action="sso.refuse")
    assert event.object_id == str(agus.pk)
    assert "dinonaktifkan" in event.reason
    agus.refresh_from_db()
    assert agus.full_name == "Agus"  # nothing taken from the claims


def test_two_accounts_with_the_same_email_are_refused_not_guessed(sso_on, db):
    make_user("sari_a", "1700", Role.VIEWER, email="sari.wulandari@bps.go.id")
    make_user("sari_b", "1702", Role.VIEWER, email="sari.wulandari@bps.go.id")
    person = Person(sso_on)
    response = person.log_in("sari.wulandari")
    assert response.url == reverse("login")
    assert user_id_of(person.app) is None
    assert "sari_a, sari_b" in AuditEvent.objects.get(action="sso.refuse").reason


def test_an_email_the_provider_has_not_verified_finds_no_account(sso_on, db):
    make_user("yusuf", "1702", Role.TIM_KABKOTA, email="yusuf.hidayat@bps.go.id")
    person = Person(sso_on)
    assert person.log_in("yusuf.hidayat").url == reverse("login")
    assert user_id_of(person.app) is None
    assert AuditEvent.objects.filter(action="sso.refuse").count() == 1


def test_an_account_deactivated_after_login_is_logged_out(sso_on, rina):
    person = Person(sso_on)
    person.log_in("rina.kartika")
    assert person.app.get(reverse("program:home")).status_code == 200
    User.objects.filter(pk=rina.pk).update(is_active=False)
    assert person.app.get(reverse("program:home")).status_code == 302


def test_a_callback_cannot_be_replayed(sso_on, rina):
    person = Person(sso_on)
    person.log_in("rina.kartika")
    other = Client()
    response = other.get(person.callback)  # another browser with the code of this login
    assert response.url == reverse("login")
    assert user_id_of(other) is None
    assert "SSO BPS tidak berhasil" in other.get(response.url).content.decode()


def test_a_cancelled_or_failed_login_at_the_provider_says_so(sso_on, rina):
    client = Client()
    response = client.get(reverse("sso_callback"), {"error": "access_denied", "state": "x"})
    assert response.url == reverse("login")
    assert "SSO BPS tidak berhasil" in client.get(response.url).content.decode()


def test_a_provider_that_stops_answering_gives_a_clear_message_not_an_error(sso_on, rina, settings):
    from conftest import free_port

    # The person logs in at the provider; the app's token request then finds nobody there.
    settings.OIDC_OP_TOKEN_ENDPOINT = f"http://127.0.0.1:{free_port()}/token"
    person = Person(sso_on)
    response = person.log_in("rina.kartika")
    assert response.status_code == 302 and response.url == reverse("login")
    assert user_id_of(person.app) is None
    assert "SSO BPS tidak berhasil" in person.app.get(response.url).content.decode()
    assert not AuditEvent.objects.filter(action__startswith="sso.").exists()


# --- django-axes -----------------------------------------------------------------------------


def test_refusals_are_not_failed_password_attempts_and_axes_never_blocks_the_callback(
    sso_on, rina, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        assert Person(sso_on).log_in("dedi.pratama").url == reverse("login")
    assert AccessAttempt.objects.count() == 0
    person = Person(sso_on)
    assert person.log_in("rina.kartika").url == reverse("program:home")
    assert user_id_of(person.app) == rina.pk


def test_local_login_and_its_lockout_still_work_with_sso_on(client, sso_on, tim_kaur, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "tim_kaur", "password": "salah"})
    locked = client.post(reverse("login"), {"username": "tim_kaur", "password": PASSWORD})
    assert locked.status_code == 429
    AccessAttempt.objects.all().delete()
    response = client.post(reverse("login"), {"username": "tim_kaur", "password": PASSWORD})
    assert response.url == reverse("program:home")
    # A local login's logout stays here: no provider to go to.
    assert client.post(reverse("logout")).url == reverse("login")


# --- logout ----------------------------------------------------------------------------------


def test_logout_ends_the_sso_session_at_the_provider_too(sso_on, rina):
    person = Person(sso_on)
    person.log_in("rina.kartika")
    # While the SSO session lives, another login through it needs no password.
    again = Person(sso_on)
    again.at_provider = person.at_provider
    assert isinstance(again.start(), str)

    response = person.app.post(reverse("logout"))
    assert user_id_of(person.app) is None
    end_session = urlsplit(response.url)
    assert response.url.startswith(f"{sso_on.issuer}/protocol/openid-connect/logout?")
    query = parse_qs(end_session.query)
    assert query["post_logout_redirect_uri"] == [f"{APP}/masuk/"]
    assert query["client_id"] == [sso_on.client_id]
    assert query["id_token_hint"][0].count(".") == 2  # the ID token of this login

    # The provider's end-session page asks to confirm; confirming ends the SSO session and
    # sends the person back to the app's login page.
    confirm = person.at_provider.get(response.url, allow_redirects=False, timeout=10)
    assert confirm.status_code == 200 and 'id="op.logoutForm"' in confirm.text
    action = unescape(re.search(r'<form[^>]*action="([^"]+)"', confirm.text)[1])
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', confirm.text))
    back = person.follow_provider(
        person.at_provider.post(
            urljoin(confirm.url, action),
            data={**hidden, "logout": "yes"},
            allow_redirects=False,
            timeout=10,
        )
    )
    assert back == reverse("login")

    # The SSO session is over: logging in again asks for the password.
    fresh = Person(sso_on)
    fresh.at_provider = person.at_provider
    page = fresh.start()
    assert isinstance(page, requests.Response) and 'id="kc-form-login"' in page.text


def test_with_sso_on_forms_may_lead_to_the_provider_and_nowhere_else(client, sso_on, tim_kaur):
    client.force_login(tim_kaur)
    policy = client.get(reverse("program:home"))["Content-Security-Policy"]
    assert f"form-action 'self' {sso_on.origin};" in policy
    assert "script-src 'self';" in policy


def test_oidc_settings_need_a_client_secret_and_an_http_address():
    from django.core.exceptions import ImproperlyConfigured

    from monev.settings import oidc_settings

    with pytest.raises(ImproperlyConfigured, match="OIDC_RP_CLIENT_SECRET"):
        oidc_settings("https://sso.bps.go.id/auth/realms/pegawai-bps", "monev", "")
    with pytest.raises(ImproperlyConfigured, match="http"):
        oidc_settings("sso.bps.go.id", "monev", "s")
    keycloak = oidc_settings("https://sso.bps.go.id/auth/realms/pegawai-bps/", "monev", "s")
    assert keycloak["OIDC_OP_AUTHORIZATION_ENDPOINT"] == (
        "https://sso.bps.go.id/auth/realms/pegawai-bps/protocol/openid-connect/auth"
    )
    assert keycloak["OIDC_CREATE_USER"] is False


def test_sso_settings_come_from_the_environment_and_a_half_setting_stops_the_process():
    from core.tests.test_settings import manage

    half = manage("check", env={"OIDC_ISSUER": "https://sso.bps.go.id/auth/realms/pegawai-bps"})
    assert half.returncode != 0
    assert "OIDC_ISSUER and OIDC_RP_CLIENT_ID" in half.stderr
    full = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.SSO_ENABLED, s.OIDC_OP_LOGOUT_ENDPOINT)",
        env={
            "OIDC_ISSUER": "https://sso.bps.go.id/auth/realms/pegawai-bps",
            "OIDC_RP_CLIENT_ID": "monev",
            "OIDC_RP_CLIENT_SECRET": "rahasia",
        },
    )
    assert full.returncode == 0, full.stderr
    assert full.stdout.split() == [
        "True",
        "https://sso.bps.go.id/auth/realms/pegawai-bps/protocol/openid-connect/logout",
    ]
