"""People without the Django admin (issue #12, point 1): the province team lead and the
administrator invite, edit, give roles to, deactivate and send password links to the people of
the province and its kab/kota offices; a kab/kota head sees its own office's people; the
invited person sets a password through a one-time link and logs in."""

import re
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from conftest import PASSWORD, make_user
from core import people
from core.models import AuditEvent, Membership, Office, OutgoingMail, Role, User
from core.permissions import users_visible_to

NEW_PASSWORD = "Kopi-Pagi-Bengkulu-77"


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def invite_data(**overrides):
    return {
        "full_name": "Rina Marlina,  S.Si",
        "email": "rina.marlina@bps.go.id",
        "username": "",
        "nip": "1990 0101 2014 12 2001",
        "position": "Statistisi Ahli Pertama",
        "office": Office.objects.get(code="1702").pk,
        "role": Role.TIM_KABKOTA,
        **overrides,
    }


def link_in(mail: OutgoingMail) -> str:
    [link] = re.findall(r"https?://\S+/akun/sandi/\S+/", mail.body)
    return urlsplit(link).path


@pytest.fixture
def staff_kaur(db):
    return make_user("staf_kaur", "1704", Role.TIM_KABKOTA, email="staf.kaur@bps.go.id")


@pytest.fixture
def staff_rejang_lebong(db):
    return make_user("staf_rejang_lebong", "1702", Role.TIM_KABKOTA, email="staf.rl@bps.go.id")


# --- inviting, and the invited person's first login ----------------------------------------------


def test_ketua_tim_invites_a_kabkota_person_mail_queued_and_audited(client, ketua_tim):
    client.force_login(ketua_tim)

    response = client.post(reverse("people_invite"), invite_data())

    person = User.objects.get(email="rina.marlina@bps.go.id")
    assert response.status_code == 302
    assert response.url == reverse("people_detail", args=[person.pk])
    assert (person.username, person.full_name, person.nip, person.position) == (
        "rina.marlina",
        "Rina Marlina, S.Si",
        "199001012014122001",
        "Statistisi Ahli Pertama",
    )
    assert not person.has_usable_password()
    assert [(m.office.code, m.role) for m in person.memberships.all()] == [("1702", "tim_kabkota")]
    [mail] = OutgoingMail.objects.all()
    assert (mail.to, mail.subject, mail.kind) == (
        "rina.marlina@bps.go.id",
        "Akun Monev Desa Cantik Anda",
        "account",
    )
    assert "Nama pengguna Anda: rina.marlina" in mail.body
    assert "/akun/sandi/" in mail.body
    event = AuditEvent.objects.get(action="user.invite")
    assert (event.actor, event.object_id, event.office.code) == (ketua_tim, str(person.pk), "1702")
    assert event.changes["memberships"] == [
        None,
        ["Tim Desa Cantik Kabupaten/Kota · Rejang Lebong"],
    ]
    assert event.action_label == "Akun dibuat dan undangan dikirim"


def test_the_invited_person_sets_a_password_once_and_logs_in(client, ketua_tim):
    person = people.invite_user(
        email="rina@bps.go.id",
        full_name="Rina",
        office=Office.objects.get(code="1702"),
        role=Role.TIM_KABKOTA,
        by=ketua_tim,
    )
    link = link_in(OutgoingMail.objects.get(to="rina@bps.go.id"))

    page = client.get(link, follow=True)
    assert page.status_code == 200
    assert "Atur kata sandi Anda" in page.content.decode()
    form_url = page.redirect_chain[-1][0]
    saved = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )

    assert saved.redirect_chain[-1][0] == reverse("login")
    assert "Kata sandi Anda tersimpan" in saved.content.decode()
    assert login(client, "rina", NEW_PASSWORD).url == reverse("program:home")
    assert AuditEvent.objects.filter(action="user.password_set", actor=person).count() == 1
    # the link works once
    client.post(reverse("logout"))
    again = client.get(link, follow=True)
    assert "Tautan ini tidak berlaku lagi" in again.content.decode()


def test_a_weak_password_is_refused_in_indonesian(client, ketua_tim):
    people.invite_user(
        email="rina@bps.go.id",
        full_name="Rina",
        office=Office.objects.get(code="1702"),
        role=Role.TIM_KABKOTA,
        by=ketua_tim,
    )
    page = client.get(link_in(OutgoingMail.objects.get()), follow=True)

    response = client.post(
        page.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )

    assert response.status_code == 200
    assert "Kata sandi ini terlalu umum" in response.content.decode()
    assert not User.objects.get(username="rina").has_usable_password()


def test_an_e_mail_another_account_has_is_refused_naming_it(client, ketua_tim, staff_kaur):
    client.force_login(ketua_tim)

    response = client.post(reverse("people_invite"), invite_data(email="STAF.KAUR@bps.go.id"))

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "Akun Staf Kaur sudah memakai e-mail STAF.KAUR@bps.go.id."
    ]
    assert not OutgoingMail.objects.exists()


def test_a_province_role_in_a_kabkota_office_is_refused_with_a_message(client, ketua_tim):
    client.force_login(ketua_tim)

    response = client.post(reverse("people_invite"), invite_data(role=Role.KEPALA))

    assert response.status_code == 400
    assert response.context["form"].errors["role"] == [
        "Peran Kepala BPS Provinsi tidak dapat diberikan di BPS Kabupaten Rejang Lebong."
    ]
    assert not User.objects.filter(email="rina.marlina@bps.go.id").exists()


def test_only_an_administrator_gives_the_admin_role(ketua_tim, admin_provinsi, province):
    with pytest.raises(PermissionDenied):
        people.invite_user(
            email="a@bps.go.id", full_name="A", office=province, role=Role.ADMIN, by=ketua_tim
        )
    person = people.invite_user(
        email="a@bps.go.id", full_name="A", office=province, role=Role.ADMIN, by=admin_provinsi
    )
    # and a team lead does not manage an administrator's account
    with pytest.raises(PermissionDenied):
        people.deactivate_user(person, by=ketua_tim)


@pytest.mark.parametrize("persona", ["tim_provinsi", "viewer_provinsi", "kepala"])
def test_province_people_who_do_not_manage_cannot_invite(persona, request, client, province):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    assert client.get(reverse("people_invite")).status_code == 403
    assert client.post(reverse("people_invite"), invite_data()).status_code == 403
    with pytest.raises(PermissionDenied):
        people.invite_user(
            email="x@bps.go.id", full_name="X", office=province, role=Role.VIEWER, by=user
        )
    assert not OutgoingMail.objects.exists()


@pytest.mark.parametrize("persona", ["tim_provinsi", "viewer_provinsi", "tim_rejang_lebong"])
def test_team_members_and_viewers_do_not_see_the_people_pages(db, persona, request, client):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse("people_list")).status_code == 403
    assert "/pengguna/" not in client.get(reverse("program:home")).content.decode()


def test_a_kabkota_team_cannot_invite_into_its_own_office(tim_rejang_lebong, rejang_lebong):
    with pytest.raises(PermissionDenied):
        people.invite_user(
            email="x@bps.go.id",
            full_name="X",
            office=rejang_lebong,
            role=Role.TIM_KABKOTA,
            by=tim_rejang_lebong,
        )


# --- who sees whom -------------------------------------------------------------------------------


def test_ketua_tim_sees_the_province_and_every_kabkota(
    client, ketua_tim, tim_rejang_lebong, staff_kaur, tim_provinsi
):
    client.force_login(ketua_tim)

    response = client.get(reverse("people_list"))

    assert response.status_code == 200
    assert {p.username for p in response.context["people"]} == {
        "ketua_tim",
        "tim_rejang_lebong",
        "staf_kaur",
        "tim_provinsi",
    }
    assert 'href="/pengguna/"' in response.content.decode()  # the navigation's link


def test_the_list_filters_by_office_and_search(client, ketua_tim, tim_rejang_lebong, staff_kaur):
    client.force_login(ketua_tim)
    kaur = Office.objects.get(code="1704")

    by_office = client.get(reverse("people_list"), {"office": kaur.pk})
    by_text = client.get(reverse("people_list"), {"q": "rejang"})

    assert [p.username for p in by_office.context["people"]] == ["staf_kaur"]
    assert [p.username for p in by_text.context["people"]] == ["tim_rejang_lebong"]


def test_pimpinan_kabkota_sees_its_own_office_read_only(
    client, pimpinan_rejang_lebong, staff_rejang_lebong, staff_kaur, ketua_tim
):
    client.force_login(pimpinan_rejang_lebong)

    listed = client.get(reverse("people_list"))
    own = client.get(reverse("people_detail", args=[staff_rejang_lebong.pk]))

    assert {p.username for p in listed.context["people"]} == {
        "pimpinan_rejang_lebong",
        "staf_rejang_lebong",
    }
    assert own.status_code == 200
    assert own.context["can_manage"] is False
    assert reverse("people_edit", args=[staff_rejang_lebong.pk]) not in own.content.decode()
    assert client.get(reverse("people_detail", args=[staff_kaur.pk])).status_code == 404
    assert client.get(reverse("people_detail", args=[ketua_tim.pk])).status_code == 404
    assert client.get(reverse("people_edit", args=[staff_rejang_lebong.pk])).status_code == 403
    assert client.get(reverse("people_invite")).status_code == 403
    response = client.post(reverse("people_deactivate", args=[staff_rejang_lebong.pk]))
    assert response.status_code == 403
    assert User.objects.get(pk=staff_rejang_lebong.pk).is_active


def test_the_visibility_rule_of_accounts(
    ketua_tim, pimpinan_rejang_lebong, staff_rejang_lebong, staff_kaur, tim_provinsi
):
    assert set(users_visible_to(pimpinan_rejang_lebong)) == {
        pimpinan_rejang_lebong,
        staff_rejang_lebong,
    }
    assert set(users_visible_to(tim_provinsi)) == set()
    assert staff_kaur in set(users_visible_to(ketua_tim))


# --- account data, roles ------------------------------------------------------------------------


def test_ketua_tim_changes_a_persons_data_audited(client, ketua_tim, staff_kaur):
    client.force_login(ketua_tim)

    response = client.post(
        reverse("people_edit", args=[staff_kaur.pk]),
        {
            "full_name": "Dedi Kurniawan, SE",
            "email": "dedi@bps.go.id",
            "nip": "198705112010121001",
            "position": "Kepala Subbagian Umum",
        },
    )

    assert response.status_code == 302
    staff_kaur.refresh_from_db()
    assert (staff_kaur.full_name, staff_kaur.email, staff_kaur.position) == (
        "Dedi Kurniawan, SE",
        "dedi@bps.go.id",
        "Kepala Subbagian Umum",
    )
    event = AuditEvent.objects.get(action="user.update")
    assert event.changes["full_name"] == ["Staf Kaur", "Dedi Kurniawan, SE"]
    assert event.action_label == "Data akun diubah"


def test_a_wrong_nip_is_refused_in_indonesian(client, ketua_tim, staff_kaur):
    client.force_login(ketua_tim)

    response = client.post(
        reverse("people_edit", args=[staff_kaur.pk]),
        {"full_name": "Staf Kaur", "email": "staf.kaur@bps.go.id", "nip": "123", "position": ""},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["nip"][0].startswith("NIP terdiri atas 18 angka")


def test_roles_are_added_and_removed_audited_but_never_the_last(client, ketua_tim, staff_kaur):
    client.force_login(ketua_tim)
    province = Office.objects.get(code="1700")

    added = client.post(
        reverse("people_role_add", args=[staff_kaur.pk]),
        {"office": province.pk, "role": Role.VIEWER},
    )
    kaur_role = staff_kaur.memberships.get(office__code="1704")
    removed = client.post(reverse("people_role_remove", args=[staff_kaur.pk, kaur_role.pk]))
    viewer_role = staff_kaur.memberships.get()
    last = client.post(
        reverse("people_role_remove", args=[staff_kaur.pk, viewer_role.pk]), follow=True
    )

    assert (added.status_code, removed.status_code) == (302, 302)
    assert [(m.office.code, m.role) for m in staff_kaur.memberships.all()] == [("1700", "viewer")]
    assert "Ini peran terakhir Staf Kaur" in last.content.decode()
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "user.role_add",
        "user.role_remove",
    ]


def test_a_duplicate_role_is_refused_with_a_message(client, ketua_tim, staff_kaur):
    client.force_login(ketua_tim)

    response = client.post(
        reverse("people_role_add", args=[staff_kaur.pk]),
        {"office": Office.objects.get(code="1704").pk, "role": Role.TIM_KABKOTA},
    )

    assert response.status_code == 400
    assert response.context["membership_form"].errors["role"] == [
        "Staf Kaur sudah memiliki peran ini di BPS Kabupaten Kaur."
    ]
    assert Membership.objects.filter(user=staff_kaur).count() == 1


# --- deactivation, password links ----------------------------------------------------------------


def test_a_deactivated_person_cannot_log_in_and_history_keeps_the_name(
    client, ketua_tim, staff_kaur
):
    # staff_kaur did something that is on record under their name
    people.update_user(
        staff_kaur, full_name="Staf Kaur", nip="", position="", email="x@bps.go.id", by=ketua_tim
    )
    client.force_login(ketua_tim)

    response = client.post(
        reverse("people_deactivate", args=[staff_kaur.pk]), {"reason": "Pindah tugas ke Jambi"}
    )

    staff_kaur.refresh_from_db()
    assert response.status_code == 302
    assert staff_kaur.is_active is False
    event = AuditEvent.objects.get(action="user.deactivate")
    assert (event.reason, event.object_repr, event.action_label) == (
        "Pindah tugas ke Jambi",
        "Staf Kaur",
        "Akun dinonaktifkan",
    )
    other = Client()
    assert login(other, "staf_kaur", PASSWORD).status_code == 200  # the login page again
    detail = client.get(reverse("people_detail", args=[staff_kaur.pk])).content.decode()
    assert "Staf Kaur" in detail and "Nonaktif" in detail


def test_an_open_session_ends_when_the_account_is_deactivated(client, ketua_tim, staff_kaur):
    client.force_login(staff_kaur)
    people.deactivate_user(staff_kaur, by=ketua_tim)

    assert client.get(reverse("program:home")).status_code == 302


def test_nobody_deactivates_their_own_account(ketua_tim):
    with pytest.raises(ValidationError, match="Anda tidak dapat menonaktifkan akun Anda sendiri"):
        people.deactivate_user(ketua_tim, by=ketua_tim)


def test_a_deactivated_account_is_activated_again(client, ketua_tim, staff_kaur):
    people.deactivate_user(staff_kaur, by=ketua_tim)
    client.force_login(ketua_tim)

    client.post(reverse("people_reactivate", args=[staff_kaur.pk]))

    assert User.objects.get(pk=staff_kaur.pk).is_active
    assert login(Client(), "staf_kaur", PASSWORD).status_code == 302


def test_a_reset_sends_a_link_and_the_old_password_works_until_the_new_one(
    client, ketua_tim, staff_kaur
):
    login(client, "staf_kaur", PASSWORD)  # has logged in before: a reset, not an invitation
    client.post(reverse("logout"))
    manager = Client()
    manager.force_login(ketua_tim)

    response = manager.post(reverse("people_password_link", args=[staff_kaur.pk]))

    assert response.status_code == 302
    [mail] = OutgoingMail.objects.all()
    assert (mail.to, mail.subject) == (
        "staf.kaur@bps.go.id",
        "Atur kata sandi baru untuk Monev Desa Cantik",
    )
    assert AuditEvent.objects.filter(action="user.password_reset").count() == 1
    assert User.objects.get(pk=staff_kaur.pk).check_password(PASSWORD)
    page = client.get(link_in(mail), follow=True)
    client.post(
        page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert login(Client(), "staf_kaur", PASSWORD).status_code == 200
    assert login(Client(), "staf_kaur", NEW_PASSWORD).status_code == 302


def test_an_invitation_sent_again_is_an_invitation(ketua_tim, rejang_lebong):
    person = people.invite_user(
        email="rina@bps.go.id",
        full_name="Rina",
        office=rejang_lebong,
        role=Role.TIM_KABKOTA,
        by=ketua_tim,
    )

    people.send_password_link(person, by=ketua_tim)

    assert [m.subject for m in OutgoingMail.objects.order_by("id")] == [
        "Akun Monev Desa Cantik Anda"
    ] * 2
    assert AuditEvent.objects.filter(action="user.invite_again").count() == 1


def test_the_link_of_a_deactivated_account_does_not_work(client, ketua_tim, rejang_lebong):
    person = people.invite_user(
        email="rina@bps.go.id",
        full_name="Rina",
        office=rejang_lebong,
        role=Role.TIM_KABKOTA,
        by=ketua_tim,
    )
    people.deactivate_user(person, by=ketua_tim)

    page = client.get(link_in(OutgoingMail.objects.get()), follow=True)

    assert "Tautan ini tidak berlaku lagi" in page.content.decode()


# --- bulk import from xlsx -----------------------------------------------------------------------

HEADER = ["Nama dan gelar", "E-mail", "Kantor", "Peran", "Nama pengguna", "NIP", "Jabatan"]


def workbook(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name="pegawai.xlsx"):
    return client.post(reverse("people_import"), {"file": SimpleUploadedFile(name, content)})


def test_the_template_imports_back_preview_then_confirm(client, ketua_tim):
    client.force_login(ketua_tim)
    template = client.get(reverse("people_import_template"))
    book = load_workbook(BytesIO(template.content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER
    visible = [s.title for s in book.worksheets if s.sheet_state == "visible"]
    assert visible == ["Pengguna", "Kantor", "Cara mengisi"]
    sheet.append(
        [
            "Andi Saputra, S.ST",
            "andi@bps.go.id",
            "1702 - Rejang Lebong",
            "Tim Desa Cantik Kabupaten/Kota",
            "",
            "198705112010121001",
            "Statistisi",
        ]
    )
    sheet.append(
        ["Sari Dewi", "sari@bps.go.id", "1704", "Pimpinan BPS Kabupaten/Kota", "sari.d", "", ""]
    )
    filled = BytesIO()
    book.save(filled)

    preview = upload(client, filled.getvalue())

    assert preview.status_code == 200
    assert [(r.number, r.values["username"]) for r, _o, _r in preview.context["preview"]] == [
        (2, "andi"),
        (3, "sari.d"),
    ]
    assert not User.objects.filter(email__in=["andi@bps.go.id", "sari@bps.go.id"]).exists()
    assert not OutgoingMail.objects.exists()

    saved = client.post(reverse("people_import_confirm"), {"token": preview.context["token"]})

    assert saved.status_code == 302
    andi = User.objects.get(username="andi")
    sari = User.objects.get(username="sari.d")
    assert [(m.office.code, m.role) for m in andi.memberships.all()] == [("1702", "tim_kabkota")]
    assert [(m.office.code, m.role) for m in sari.memberships.all()] == [
        ("1704", "pimpinan_kabkota")
    ]
    assert sorted(OutgoingMail.objects.values_list("to", flat=True)) == [
        "andi@bps.go.id",
        "sari@bps.go.id",
    ]
    assert set(
        AuditEvent.objects.filter(action="user.invite").values_list("reason", flat=True)
    ) == {"Diimpor dari pegawai.xlsx"}
    # the same preview is not saved twice
    again = client.post(reverse("people_import_confirm"), {"token": preview.context["token"]})
    assert again.status_code == 302 and User.objects.filter(username="andi").count() == 1


def test_broken_rows_are_listed_by_number_and_nothing_is_saved(client, ketua_tim, staff_kaur):
    client.force_login(ketua_tim)
    content = workbook(
        [
            ["Andi", "andi@bps.go.id", "1702", "Tim Desa Cantik Kabupaten/Kota", "", "", ""],
            ["Budi", "bukan-email", "1702", "Tim Desa Cantik Kabupaten/Kota", "", "", ""],
            [None, None, None, None, None, None, None],
            ["Citra", "staf.kaur@bps.go.id", "1799", "Peran Aneh", "", "12", ""],
            ["Dodi", "andi@bps.go.id", "1700", "Pimpinan BPS Kabupaten/Kota", "", "", ""],
        ]
    )

    response = upload(client, content)

    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert errors == [
        'Baris 3: "bukan-email" bukan alamat e-mail.',
        'Baris 5: NIP terdiri atas 18 angka (12); "1799" bukan kantor yang penggunanya Anda '
        'kelola; peran "Peran Aneh" tidak dikenal; Akun Staf Kaur sudah memakai e-mail '
        "staf.kaur@bps.go.id.",
        "Baris 6: peran Pimpinan BPS Kabupaten/Kota tidak dapat diberikan di Provinsi Bengkulu; "
        "E-mail sama dengan baris 2; Nama pengguna sama dengan baris 2.",
    ]
    assert "Tidak ada yang disimpan" in response.content.decode()
    assert not User.objects.filter(username__in=["andi", "budi", "dodi"]).exists()
    assert not OutgoingMail.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_missing_column_is_named(client, ketua_tim):
    client.force_login(ketua_tim)

    response = upload(
        client, workbook([["Andi", "andi@bps.go.id"]], header=["Nama dan gelar", "E-mail"])
    )

    assert response.context["form"].errors["file"] == [
        "Baris 1: kolom Kantor, Peran tidak ada. Gunakan templat."
    ]


def test_a_file_that_is_not_xlsx_is_refused(client, ketua_tim):
    client.force_login(ketua_tim)

    response = upload(client, b"nama,email\nAndi,andi@bps.go.id\n", name="pegawai.xlsx")

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "pegawai.xlsx bukan buku kerja Excel (.xlsx)."
    ]


def test_an_oversized_file_is_refused(client, ketua_tim, settings):
    settings.XLSX_IMPORT_MAX_BYTES = 4096
    rows = [[f"Orang {n}", f"o{n}@bps.go.id", "1702", "Pengamat", "", "", ""] for n in range(400)]
    client.force_login(ketua_tim)

    response = upload(client, workbook(rows))

    assert response.status_code == 400
    [message] = response.context["form"].errors["file"]
    assert message.startswith("Berkas pegawai.xlsx berukuran")
    assert User.objects.count() == 1


def test_the_import_is_for_managers_only(client, pimpinan_rejang_lebong):
    client.force_login(pimpinan_rejang_lebong)

    assert client.get(reverse("people_import")).status_code == 403
    assert client.get(reverse("people_import_template")).status_code == 403
    assert client.post(reverse("people_import_confirm"), {"token": "x"}).status_code == 403
