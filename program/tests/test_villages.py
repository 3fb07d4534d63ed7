"""Participating villages: adding and editing them (audited), their documents, the lists and
their filters, the home page, and the number of queries the lists cost."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import desa_in, make_user
from core.models import Attachment, AuditEvent, Office, Region, Role
from program import services
from program.models import ParticipatingVillage, VillageKind

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64

BENGKULU_KABKOTA = [
    "1701",
    "1702",
    "1703",
    "1704",
    "1705",
    "1706",
    "1707",
    "1708",
    "1709",
    "1771",
]

# Django's own Indonesian message for a value that is not among a field's choices.
NOT_A_CHOICE = (
    "Masukkan pilihan yang valid. Pilihan tersebut bukan salah satu dari pilihan yang tersedia."
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Passwords are never checked here (force_login); a slow hasher would only slow the tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def create_url(year: int = 2026) -> str:
    return f"{reverse('program:village_create')}?tahun={year}"


def audit_rows(village: ParticipatingVillage) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_id=str(village.pk), object_type__model="participatingvillage"
        ).order_by("id")
    )


# --- adding a village -----------------------------------------------------------------------------


def test_province_team_adds_village_with_audit_row(
    client, ketua_tim, year_2026, rejang_lebong, tim_rejang_lebong
):
    desa = desa_in(rejang_lebong, 3)
    client.force_login(ketua_tim)

    response = client.post(
        create_url(),
        {
            "office": rejang_lebong.pk,
            "village": desa.pk,
            "kind": VillageKind.UTAMA,
            "pembina": [tim_rejang_lebong.pk],
            "notes": "Desa binaan baru",
        },
    )

    village = ParticipatingVillage.objects.get(village=desa)
    assert response.status_code == 302
    assert response.url == reverse("program:village_detail", args=[village.pk])
    assert (
        village.program_year,
        village.office,
        village.kind,
        list(village.pembina.all()),
        village.notes,
    ) == (year_2026, rejang_lebong, VillageKind.UTAMA, [tim_rejang_lebong], "Desa binaan baru")
    [row] = audit_rows(village)
    assert (row.action, row.actor, row.office) == ("village.add", ketua_tim, rejang_lebong)
    assert row.changes == {
        "village": [None, desa.name],
        "kind": [None, "utama"],
        "pembina": [None, ["Tim Rejang Lebong"]],
    }


def test_adding_village_outside_the_office_area_is_refused(
    client, ketua_tim, year_2026, rejang_lebong, kaur
):
    client.force_login(ketua_tim)

    response = client.post(
        create_url(),
        {"office": rejang_lebong.pk, "village": desa_in(kaur, 2).pk, "kind": VillageKind.UTAMA},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"village": [NOT_A_CHOICE]}
    assert NOT_A_CHOICE in response.content.decode()
    assert ParticipatingVillage.objects.count() == 0
    assert AuditEvent.objects.filter(action="village.add").count() == 0


def test_adding_the_same_village_twice_in_a_year_is_refused(
    client, ketua_tim, village_rejang_lebong, rejang_lebong
):
    client.force_login(ketua_tim)
    name = village_rejang_lebong.village.name

    response = client.post(
        create_url(),
        {
            "office": rejang_lebong.pk,
            "village": village_rejang_lebong.village.pk,
            "kind": VillageKind.TAMBAHAN,
        },
    )

    message = f"{name} sudah menjadi desa binaan tahun 2026."
    assert response.status_code == 200
    assert response.context["form"].errors == {"village": [message]}
    assert message in response.content.decode()
    assert ParticipatingVillage.objects.count() == 1
    assert AuditEvent.objects.filter(action="village.add").count() == 0


def test_pembina_who_is_not_staff_of_the_office_is_refused(
    client, ketua_tim, year_2026, rejang_lebong, tim_kaur
):
    client.force_login(ketua_tim)

    response = client.post(
        create_url(),
        {
            "office": rejang_lebong.pk,
            "village": desa_in(rejang_lebong, 4).pk,
            "kind": VillageKind.UTAMA,
            "pembina": [tim_kaur.pk],
        },
    )

    message = (
        f"Masukkan pilihan yang valid. {tim_kaur.pk} bukan salah satu dari pilihan yang tersedia."
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"pembina": [message]}
    assert ParticipatingVillage.objects.count() == 0
    assert AuditEvent.objects.filter(action="village.add").count() == 0


def test_service_refuses_village_outside_the_office_area(ketua_tim, year_2026, rejang_lebong, kaur):
    desa = desa_in(kaur, 2)

    with pytest.raises(ValidationError) as error:
        services.add_village(
            year_2026,
            village=desa,
            office=rejang_lebong,
            kind=VillageKind.UTAMA,
            pembina=[],
            by=ketua_tim,
        )

    assert error.value.message_dict == {
        "village": [f"{desa.name} tidak berada di wilayah BPS Kabupaten Rejang Lebong."]
    }
    assert ParticipatingVillage.objects.count() == 0


def test_service_refuses_pembina_who_is_not_staff_of_the_office(
    ketua_tim, year_2026, rejang_lebong, tim_kaur
):
    with pytest.raises(ValidationError) as error:
        services.add_village(
            year_2026,
            village=desa_in(rejang_lebong, 4),
            office=rejang_lebong,
            kind=VillageKind.UTAMA,
            pembina=[tim_kaur],
            by=ketua_tim,
        )

    assert error.value.message_dict == {"pembina": ["Bukan pegawai Rejang Lebong: Tim Kaur."]}
    assert ParticipatingVillage.objects.count() == 0


# --- editing a village ----------------------------------------------------------------------------


def test_editing_kind_pembina_and_notes_writes_old_and_new_values(
    client, tim_provinsi, village_rejang_lebong, rejang_lebong, tim_rejang_lebong
):
    second = make_user("pembina_kedua", "1702", Role.TIM_KABKOTA)
    client.force_login(tim_provinsi)

    response = client.post(
        reverse("program:village_edit", args=[village_rejang_lebong.pk]),
        {
            "kind": VillageKind.BERKELANJUTAN,
            "pembina": [tim_rejang_lebong.pk, second.pk],
            "notes": "Pembina ditambah",
        },
    )

    village_rejang_lebong.refresh_from_db()
    assert response.status_code == 302
    assert response.url == reverse("program:village_detail", args=[village_rejang_lebong.pk])
    assert (
        village_rejang_lebong.kind,
        sorted(u.username for u in village_rejang_lebong.pembina.all()),
        village_rejang_lebong.notes,
    ) == (VillageKind.BERKELANJUTAN, ["pembina_kedua", "tim_rejang_lebong"], "Pembina ditambah")
    [row] = audit_rows(village_rejang_lebong)
    assert (row.action, row.actor, row.office) == ("village.update", tim_provinsi, rejang_lebong)
    assert row.changes == {
        "kind": ["utama", "berkelanjutan"],
        "notes": ["", "Pembina ditambah"],
        "pembina": [["Tim Rejang Lebong"], ["Pembina Kedua", "Tim Rejang Lebong"]],
    }


def test_saving_without_changes_writes_no_audit_row(
    client, ketua_tim, village_rejang_lebong, tim_rejang_lebong
):
    client.force_login(ketua_tim)

    response = client.post(
        reverse("program:village_edit", args=[village_rejang_lebong.pk]),
        {"kind": VillageKind.UTAMA, "pembina": [tim_rejang_lebong.pk], "notes": ""},
    )

    assert response.status_code == 302
    assert audit_rows(village_rejang_lebong) == []


def test_editing_with_a_pembina_of_another_office_is_refused(
    client, ketua_tim, village_rejang_lebong, tim_rejang_lebong, tim_kaur
):
    client.force_login(ketua_tim)

    response = client.post(
        reverse("program:village_edit", args=[village_rejang_lebong.pk]),
        {"kind": VillageKind.UTAMA, "pembina": [tim_kaur.pk], "notes": ""},
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["pembina"]
    assert list(village_rejang_lebong.pembina.all()) == [tim_rejang_lebong]
    assert audit_rows(village_rejang_lebong) == []


def test_history_page_lists_the_audit_rows_newest_first(
    client, ketua_tim, viewer_rejang_lebong, year_2026, rejang_lebong, tim_rejang_lebong
):
    village = services.add_village(
        year_2026,
        village=desa_in(rejang_lebong, 2),
        office=rejang_lebong,
        kind=VillageKind.UTAMA,
        pembina=[tim_rejang_lebong],
        by=ketua_tim,
    )
    services.update_village(
        village, kind=VillageKind.TAMBAHAN, pembina=[tim_rejang_lebong], notes="", by=ketua_tim
    )
    client.force_login(viewer_rejang_lebong)

    response = client.get(reverse("program:village_history", args=[village.pk]))

    assert response.status_code == 200
    assert [(e.action, e.actor) for e in response.context["events"]] == [
        ("village.update", ketua_tim),
        ("village.add", ketua_tim),
    ]
    page = response.content.decode()
    assert "Riwayat" in page
    assert '<span class="audit-old">Utama</span> → <span class="audit-new">Tambahan</span>' in page


# --- documents ------------------------------------------------------------------------------------


def stored_files(settings) -> list:
    root = settings.STORAGES["default"]["OPTIONS"]["location"]
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_of_a_renamed_executable_is_refused_and_nothing_stored(
    client, settings, ketua_tim, village_kaur
):
    client.force_login(ketua_tim)

    response = client.post(
        reverse("program:village_upload", args=[village_kaur.pk]),
        {"purpose": "sk_desa", "file": SimpleUploadedFile("sk-desa.pdf", EXE)},
    )

    assert response.status_code == 400
    assert "bukan jenis yang diizinkan" in response.content.decode()
    assert Attachment.objects.count() == 0
    assert stored_files(settings) == []
    assert audit_rows(village_kaur) == []


def test_uploaded_document_downloads_as_attachment_with_the_same_bytes(
    client, ketua_tim, viewer_provinsi, village_kaur
):
    client.force_login(ketua_tim)
    upload = client.post(
        reverse("program:village_upload", args=[village_kaur.pk]),
        {"purpose": "sk_pembina", "file": SimpleUploadedFile("SK Pembina.pdf", PDF)},
    )
    attachment = Attachment.objects.get()
    client.force_login(viewer_provinsi)

    response = client.get(
        reverse("program:village_attachment", args=[village_kaur.pk, attachment.pk])
    )

    assert upload.status_code == 302
    assert (attachment.original_name, attachment.purpose, attachment.uploaded_by) == (
        "SK Pembina.pdf",
        "sk_pembina",
        ketua_tim,
    )
    assert [(e.action, e.changes) for e in audit_rows(village_kaur)] == [
        ("attachment.add", {"attachment": [None, "SK Pembina.pdf"]})
    ]
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="SK Pembina.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


# --- the village list -----------------------------------------------------------------------------


def test_village_list_htmx_request_returns_only_the_table(
    client, ketua_tim, village_rejang_lebong, village_kaur
):
    client.force_login(ketua_tim)

    response = client.get(
        reverse("program:village_list"), {"tahun": 2026}, headers={"HX-Request": "true"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert page.lstrip().startswith('<div id="village-table"')
    assert village_rejang_lebong.village.name in page
    assert village_kaur.village.name in page


@pytest.fixture
def three_villages(village_rejang_lebong, village_kaur, year_2026, rejang_lebong):
    """Rejang Lebong utama, Kaur tambahan, and a second Rejang Lebong village berkelanjutan."""
    extra = ParticipatingVillage.objects.create(
        program_year=year_2026,
        village=desa_in(rejang_lebong, 5),
        office=rejang_lebong,
        kind=VillageKind.BERKELANJUTAN,
    )
    return village_rejang_lebong, village_kaur, extra


def listed_names(client, **params) -> set[str]:
    response = client.get(reverse("program:village_list"), {"tahun": 2026, **params})
    assert response.status_code == 200
    return {pv.village.name for pv in response.context["villages"]}


def test_village_list_filters_by_office(client, ketua_tim, three_villages, kaur):
    _rl, kaur_village, _extra = three_villages
    client.force_login(ketua_tim)

    assert listed_names(client, office=kaur.pk) == {kaur_village.village.name}


def test_village_list_filters_by_kind(client, ketua_tim, three_villages):
    _rl, _kaur_village, extra = three_villages
    client.force_login(ketua_tim)

    assert listed_names(client, kind=VillageKind.BERKELANJUTAN) == {extra.village.name}


def test_village_list_searches_by_name_and_by_code_prefix(client, ketua_tim, three_villages):
    _rl, kaur_village, extra = three_villages
    client.force_login(ketua_tim)

    by_name = listed_names(client, q=extra.village.name[1:].upper())
    by_code = listed_names(client, q="17.04.")

    assert by_name == {extra.village.name}
    assert by_code == {kaur_village.village.name}


def test_village_list_without_filters_shows_every_village_of_the_year(
    client, ketua_tim, three_villages
):
    client.force_login(ketua_tim)

    assert listed_names(client) == {pv.village.name for pv in three_villages}


def test_kabkota_user_filtering_on_another_office_sees_only_own_villages(
    client, tim_kaur, three_villages, rejang_lebong
):
    _rl, kaur_village, _extra = three_villages
    client.force_login(tim_kaur)

    assert listed_names(client, office=rejang_lebong.pk) == {kaur_village.village.name}


@pytest.mark.parametrize("name", ["home", "village_list", "village_create"])
@pytest.mark.parametrize("tahun", ["abc", "2026x", "2031", "2025"])
def test_malformed_or_unknown_year_is_not_found(client, ketua_tim, year_2026, name, tahun):
    client.force_login(ketua_tim)

    response = client.get(reverse(f"program:{name}"), {"tahun": tahun})

    assert response.status_code == 404


def test_unknown_year_on_the_office_page_is_not_found(client, tim_kaur, year_2026, kaur):
    client.force_login(tim_kaur)

    response = client.get(reverse("program:office_detail", args=[kaur.pk]), {"tahun": "2025"})

    assert response.status_code == 404


# --- home page ------------------------------------------------------------------------------------


def test_home_of_province_user_lists_every_kabkota_office(
    client, kepala, village_rejang_lebong, village_kaur
):
    client.force_login(kepala)

    response = client.get(reverse("program:home"))

    rows = response.context["rows"]
    assert response.status_code == 200
    assert [office.code for office, _villages in rows] == BENGKULU_KABKOTA
    villages = {office.code: [pv.pk for pv in pvs] for office, pvs in rows}
    assert (villages["1702"], villages["1704"], villages["1701"]) == (
        [village_rejang_lebong.pk],
        [village_kaur.pk],
        [],
    )
    assert response.context["village_count"] == 2


def test_home_of_kabkota_user_lists_only_own_office(
    client, tim_kaur, village_rejang_lebong, village_kaur
):
    client.force_login(tim_kaur)

    response = client.get(reverse("program:home"))

    assert [(o.code, [pv.pk for pv in pvs]) for o, pvs in response.context["rows"]] == [
        ("1704", [village_kaur.pk])
    ]
    assert response.context["village_count"] == 1


# --- query counts ---------------------------------------------------------------------------------


def add_villages_everywhere(year, per_office: int, start: int) -> None:
    """`per_office` villages in every kab/kota office, each with one pembina."""
    for office in Office.objects.filter(parent=year.province):
        staff = make_user(f"pembina_{office.code}_{start}", office.code, Role.TIM_KABKOTA)
        for index in range(start, start + per_office):
            village = ParticipatingVillage.objects.create(
                program_year=year,
                village=desa_in(office, index),
                office=office,
                kind=VillageKind.UTAMA,
            )
            village.pembina.add(staff)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/desa/?tahun=2026",
        "/?tahun=2026",
        "kaur-office",
    ],
    ids=["village_list", "home", "office_detail"],
)
def test_list_query_count_does_not_grow_with_villages(client, ketua_tim, year_2026, kaur, url):
    if url == "kaur-office":
        url = f"{reverse('program:office_detail', args=[kaur.pk])}?tahun=2026"
    client.force_login(ketua_tim)
    add_villages_everywhere(year_2026, per_office=1, start=0)
    count_queries(client, url)  # warm the per-process caches (content types, calendars)
    small = count_queries(client, url)
    add_villages_everywhere(year_2026, per_office=9, start=1)

    large = count_queries(client, url)

    assert ParticipatingVillage.objects.filter(office=kaur).count() == 10
    assert large == small


# --- the create form's office-dependent fields ----------------------------------------------------


def test_create_form_htmx_refresh_offers_villages_and_staff_of_the_chosen_office(
    client, ketua_tim, year_2026, kaur, tim_kaur, tim_rejang_lebong
):
    client.force_login(ketua_tim)

    response = client.get(
        reverse("program:village_create"),
        {"tahun": 2026, "office": kaur.pk},
        headers={"HX-Request": "true"},
    )

    # A partial is rendered without the template signal: read the choices from the HTML.
    page = response.content.decode()
    village_select = page[page.index('<select name="village"') : page.index("</select>")]
    assert response.status_code == 200
    assert "<html" not in page
    assert page.lstrip().startswith('<div id="office-dependent-fields"')
    assert set(re.findall(r'<option value="(\d+)"', village_select)) == {
        str(pk)
        for pk in Region.objects.filter(
            level=Region.Level.DESA, code__startswith="17.04."
        ).values_list("pk", flat=True)
    }
    assert re.findall(r'name="pembina" value="(\d+)"', page) == [str(tim_kaur.pk)]
    assert desa_in(kaur).name in page
    assert "Tim Kaur" in page
    assert "Tim Rejang Lebong" not in page


def test_an_unknown_filter_value_drops_only_that_filter(
    client, tim_provinsi, village_rejang_lebong, village_kaur
):
    client.force_login(tim_provinsi)
    response = client.get("/desa/", {"office": "999999", "kind": "tambahan"})
    assert [pv.pk for pv in response.context["villages"]] == [village_kaur.pk]
