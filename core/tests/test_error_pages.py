"""The error pages a user can meet are Indonesian and in the site's layout: 404 for what is out
of scope or missing (with DEBUG on too, as under `make run`), 403 for what is not allowed, 500
when the server fails (with nothing but static files, so it renders without a database)."""

import pytest
from django.urls import reverse

LAYOUT = "app-navbar"  # the site's navigation bar


@pytest.mark.parametrize("debug", [True, False])
def test_an_out_of_scope_object_gets_the_sites_404_page_with_debug_on_or_off(
    client, settings, debug, village_kaur, tim_rejang_lebong
):
    settings.DEBUG = debug
    client.force_login(tim_rejang_lebong)

    response = client.get(reverse("program:village_detail", args=[village_kaur.pk]))

    assert response.status_code == 404
    html = response.content.decode()
    assert "Tidak ditemukan" in html and "di luar cakupan kantor Anda" in html
    assert LAYOUT in html
    assert "URLconf" not in html and "Traceback" not in html and "Http404" not in html


def test_an_unknown_address_gets_the_sites_404_page_in_production(client, settings, ketua_tim):
    settings.DEBUG = False
    client.force_login(ketua_tim)

    response = client.get("/tidak-ada/")

    assert response.status_code == 404
    assert LAYOUT in response.content.decode()


def test_a_forbidden_action_gets_the_sites_403_page(client, year_2026, viewer_provinsi):
    client.force_login(viewer_provinsi)

    response = client.get(reverse("meetings:create"))

    assert response.status_code == 403
    html = response.content.decode()
    assert LAYOUT in html
    assert 'lang="id"' in html


def test_a_server_error_gets_the_sites_500_page_without_a_database(client, settings, ketua_tim):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "core.tests.error_urls"
    client.raise_request_exception = False
    client.force_login(ketua_tim)

    response = client.get("/gagal/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Terjadi kesalahan pada server" in html
    assert LAYOUT in html and "Kembali ke beranda" in html
    assert "the database said no" not in html
