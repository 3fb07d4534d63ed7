from django.test import Client
from django.urls import reverse

from conftest import PASSWORD


def test_a_post_without_the_csrf_token_is_refused(tim_kaur):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "tim_kaur", "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_session_and_csrf_cookies_are_http_only(client, tim_kaur):
    client.get(reverse("login"))
    response = client.post(reverse("login"), {"username": "tim_kaur", "password": PASSWORD})

    assert response.status_code == 302
    assert client.cookies["sessionid"]["httponly"] is True
    assert client.cookies["csrftoken"]["httponly"] is True
