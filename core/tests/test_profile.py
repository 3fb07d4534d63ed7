"""The profile page: each user switches each kind of e-mail on or off for themself."""

import pytest

from core.models import AuditEvent, NotificationKind, NotificationOptOut


@pytest.fixture
def andi_client(client, tim_rejang_lebong):
    client.force_login(tim_rejang_lebong)
    return client


def test_profile_shows_every_kind_switched_on_by_default(andi_client):
    response = andi_client.get("/akun/profil/")

    assert response.status_code == 200
    form = response.context["notification_form"]
    assert form.initial["kinds"] == NotificationKind.values
    assert "Pemberitahuan e-mail" in response.content.decode()


def test_switching_kinds_off_and_on_again_is_saved_and_audited(andi_client, tim_rejang_lebong):
    keep = [k for k in NotificationKind.values if k not in ("digest", "meeting")]

    response = andi_client.post("/akun/profil/notifikasi/", {"kinds": keep})

    assert response.status_code == 302
    assert sorted(
        NotificationOptOut.objects.filter(user=tim_rejang_lebong).values_list("kind", flat=True)
    ) == ["digest", "meeting"]
    event = AuditEvent.objects.get(action="user.notifications")
    assert event.changes == {"notifications_off": [[], ["digest", "meeting"]]}

    andi_client.post("/akun/profil/notifikasi/", {"kinds": NotificationKind.values})
    assert not NotificationOptOut.objects.filter(user=tim_rejang_lebong).exists()


def test_an_unknown_kind_is_refused_with_a_message_and_nothing_changes(
    andi_client, tim_rejang_lebong
):
    response = andi_client.post("/akun/profil/notifikasi/", {"kinds": ["spam"]})

    assert response.status_code == 400
    assert "spam bukan salah satu dari pilihan yang tersedia" in response.content.decode()
    assert not NotificationOptOut.objects.exists()


def test_the_settings_only_take_a_post(andi_client):
    assert andi_client.get("/akun/profil/notifikasi/").status_code == 405


def test_the_profile_needs_a_login(client, db):
    assert client.get("/akun/profil/").status_code == 302
