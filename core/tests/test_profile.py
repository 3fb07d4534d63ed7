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


# --- display name and NIP (printed on the documents the user signs) -------------------------


def test_the_user_changes_their_display_name_and_nip_audited(andi_client, tim_rejang_lebong):
    response = andi_client.post(
        "/akun/profil/data/",
        {"full_name": "  Andi  Saputra, S.ST ", "nip": "1987 0511 2010 1210 01"},
    )

    assert response.status_code == 302
    tim_rejang_lebong.refresh_from_db()
    assert (tim_rejang_lebong.full_name, tim_rejang_lebong.nip) == (
        "Andi Saputra, S.ST",
        "198705112010121001",
    )
    assert tim_rejang_lebong.get_full_name() == "Andi Saputra, S.ST"
    event = AuditEvent.objects.get(action="user.profile")
    assert event.changes["nip"] == ["", "198705112010121001"]
    assert "Andi Saputra, S.ST" in andi_client.get("/akun/profil/").content.decode()


@pytest.mark.parametrize("nip", ["12345", "19870511201012100A", "1987051120101210011"])
def test_a_wrong_nip_is_refused_with_a_message_and_nothing_changes(
    andi_client, tim_rejang_lebong, nip
):
    before = (tim_rejang_lebong.full_name, tim_rejang_lebong.nip)

    response = andi_client.post("/akun/profil/data/", {"full_name": "Nama Baru", "nip": nip})

    assert response.status_code == 400
    page = response.content.decode()
    assert "NIP terdiri atas 18 angka" in page or "paling banyak 18" in page
    assert 'value="Nama Baru"' in page  # what was typed stays in the form
    tim_rejang_lebong.refresh_from_db()
    assert (tim_rejang_lebong.full_name, tim_rejang_lebong.nip) == before
    assert not AuditEvent.objects.filter(action="user.profile").exists()


def test_only_the_user_changes_their_own_profile(tim_rejang_lebong, tim_kaur):
    from django.core.exceptions import PermissionDenied

    from core.services import update_profile

    with pytest.raises(PermissionDenied):
        update_profile(tim_rejang_lebong, full_name="X", nip="", by=tim_kaur)


def test_the_admin_edits_name_and_nip_with_the_same_check(client, tim_rejang_lebong):
    from conftest import make_user

    admin_user = make_user("admin_pusat", None, None, is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    url = f"/admin/core/user/{tim_rejang_lebong.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "date_joined_0": form.initial["date_joined"].strftime("%Y-%m-%d"),
            "date_joined_1": form.initial["date_joined"].strftime("%H:%M:%S"),
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "groups": [],
            "user_permissions": [],
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)

    bad = client.post(url, {**data, "full_name": "Ir. Andi", "nip": "12"})
    assert bad.status_code == 200 and "NIP terdiri atas 18 angka" in bad.content.decode()

    good = client.post(url, {**data, "full_name": "Ir. Andi", "nip": "198705112010121001"})
    assert good.status_code == 302, good.content.decode()[:2000]
    tim_rejang_lebong.refresh_from_db()
    assert (tim_rejang_lebong.full_name, tim_rejang_lebong.nip) == (
        "Ir. Andi",
        "198705112010121001",
    )
