"""API tokens: made and revoked on the profile page, shown once, stored as sha256 only, read or
read-write, last-used time, revocation effective at once; all audited."""

import hashlib
import json
import re

from django.contrib.contenttypes.models import ContentType
from django.test import Client

from api.models import ApiToken, Scope
from api.services import create_token, renew_token
from core.models import AuditEvent


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _create_on_profile(client, name="Dasbor kabupaten", scope=Scope.READ):
    response = client.post("/akun/token-api/", {"name": name, "scope": scope})
    secret = re.search(r'id="api-token-secret">(mdc_[^<]+)<', response.content.decode()).group(1)
    return response, secret


def test_profile_page_makes_a_token_shown_once_and_stored_hashed(tim_kaur):
    client = _logged_in(tim_kaur)
    response, secret = _create_on_profile(client)
    token = ApiToken.objects.get(user=tim_kaur)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert (token.name, token.scope, token.prefix) == ("Dasbor kabupaten", "read", secret[:12])
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    profile = client.get("/akun/profil/").content.decode()
    assert "Dasbor kabupaten" in profile and token.prefix in profile and secret not in profile
    event = AuditEvent.objects.get(object_type=ContentType.objects.get_for_model(ApiToken))
    assert (event.actor, event.action, event.changes) == (
        tim_kaur,
        "api_token.create",
        {"name": [None, "Dasbor kabupaten"], "scope": [None, "read"]},
    )


def test_a_token_without_a_name_is_refused_with_a_message(tim_kaur):
    client = _logged_in(tim_kaur)
    response = client.post("/akun/token-api/", {"name": " ", "scope": "read"}, follow=True)
    assert ApiToken.objects.count() == 0
    assert "Nama: Bidang ini tidak boleh kosong." in response.content.decode()


def test_the_token_authenticates_as_its_user_and_records_last_use(tim_kaur, frozen):
    _token, secret = create_token(tim_kaur, name="Skrip", scope=Scope.READ, by=tim_kaur)
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    body = response.json()
    assert (response.status_code, body["username"], body["token_scope"]) == (
        200,
        "tim_kaur",
        "read",
    )
    assert body["memberships"][0]["office_code"] == "1704"
    assert ApiToken.objects.get().last_used_at is not None


def test_revoking_on_the_profile_page_stops_the_token_at_once(tim_kaur):
    client = _logged_in(tim_kaur)
    token, secret = create_token(tim_kaur, name="Skrip", scope=Scope.READ_WRITE, by=tim_kaur)
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/me").status_code == 200
    assert client.post(f"/akun/token-api/{token.pk}/cabut/").status_code == 302
    response = api.get("/api/v1/me")
    token.refresh_from_db()
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
    assert (token.revoked_by, token.is_active) == (tim_kaur, False)
    assert AuditEvent.objects.filter(action="api_token.revoke", actor=tim_kaur).count() == 1


def test_nobody_revokes_another_users_token(tim_kaur, tim_rejang_lebong):
    token, secret = create_token(tim_kaur, name="Skrip", scope=Scope.READ, by=tim_kaur)
    response = _logged_in(tim_rejang_lebong).post(f"/akun/token-api/{token.pk}/cabut/")
    assert response.status_code == 404
    assert (
        Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/me").status_code == 200
    )


def test_revoke_needs_post(tim_kaur):
    token, _secret = create_token(tim_kaur, name="Skrip", scope=Scope.READ, by=tim_kaur)
    assert _logged_in(tim_kaur).get(f"/akun/token-api/{token.pk}/cabut/").status_code == 405


def test_an_inactive_users_token_authenticates_nothing(tim_kaur):
    _token, secret = create_token(tim_kaur, name="Skrip", scope=Scope.READ, by=tim_kaur)
    tim_kaur.is_active = False
    tim_kaur.save()
    response = Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/me")
    assert response.status_code == 401


def test_errors_come_in_one_shape_in_indonesian(tim_kaur):
    _token, secret = create_token(tim_kaur, name="Skrip", scope=Scope.READ, by=tim_kaur)
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    missing = api.get("/api/v1/villages/999999")
    bad = api.get("/api/v1/villages", {"limit": 0})
    anonymous = Client().get("/api/v1/me")
    assert missing.json() == {
        "detail": "Tidak ditemukan, atau di luar data yang boleh Anda lihat.",
        "code": "not_found",
        "errors": [],
    }
    assert (bad.status_code, bad.json()["code"], bad.json()["errors"][0]["field"]) == (
        422,
        "unprocessable",
        "query.limit",
    )
    assert anonymous.json()["detail"].startswith("Kirim token API yang sah")
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_fault_of_ours_answers_500_in_the_same_shape_and_is_logged(caplog):
    from django.test import RequestFactory

    from api.api import api

    request = RequestFactory().get("/api/v1/me")
    with caplog.at_level("ERROR", logger="django.request"):
        response = api.on_exception(request, RuntimeError("kaboom"))
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "detail": "Terjadi kesalahan di sisi kami dan sudah dicatat. Coba lagi nanti.",
        "code": "server_error",
        "errors": [],
    }
    assert "GET /api/v1/me" in caplog.text
    assert caplog.records[-1].exc_info[1].args == ("kaboom",)


def test_renewing_a_named_token_revokes_the_earlier_ones_of_that_name_only(tim_kaur):
    other, _ = create_token(tim_kaur, name="sistem lain", scope=Scope.READ, by=tim_kaur)
    first, _ = renew_token(tim_kaur, name="bench", scope=Scope.READ, by=tim_kaur)
    second, secret = renew_token(tim_kaur, name="bench", scope=Scope.READ, by=tim_kaur)

    active = set(ApiToken.objects.filter(revoked_at__isnull=True).values_list("pk", flat=True))
    assert active == {other.pk, second.pk}
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(first.pk)).exists()
    assert (
        Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/me").status_code == 200
    )
