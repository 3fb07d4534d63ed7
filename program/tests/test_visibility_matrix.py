"""Every URL of the program app × every persona × a village/office inside and outside the
persona's scope (DESIGN.md, "People, roles, visibility").

The expected outcome comes from the table RULES below, written from the design, never from the
code under test: outside the scope → 404; inside the scope but read-only → 403 on the write URLs;
anonymous → the login page; a wrong HTTP method → 405."""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import desa_in
from core.models import Attachment, Office, Region
from core.services import store_attachment
from program.models import ParticipatingVillage, ProgramYear, VillageKind

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

BENGKULU_KABKOTA = frozenset(
    {"1701", "1702", "1703", "1704", "1705", "1706", "1707", "1708", "1709", "1771"}
)


@dataclass(frozen=True)
class Rule:
    offices: frozenset[str]  # codes of the kab/kota offices whose villages the persona may read
    writes: bool  # may add and edit villages and upload their documents


RULES = {
    "kepala": Rule(offices=BENGKULU_KABKOTA, writes=False),
    "ketua_tim": Rule(offices=BENGKULU_KABKOTA, writes=True),
    "tim_provinsi": Rule(offices=BENGKULU_KABKOTA, writes=True),
    "viewer_provinsi": Rule(offices=BENGKULU_KABKOTA, writes=False),
    "admin_provinsi": Rule(offices=BENGKULU_KABKOTA, writes=False),
    "tim_rejang_lebong": Rule(offices=frozenset({"1702"}), writes=False),
    "pimpinan_rejang_lebong": Rule(offices=frozenset({"1702"}), writes=False),
    "viewer_rejang_lebong": Rule(offices=frozenset({"1702"}), writes=False),
    "tim_kaur": Rule(offices=frozenset({"1704"}), writes=False),
}
PERSONAS = list(RULES)

# The objects each persona is tried against: two kab/kota of Bengkulu (own or other for the
# kab/kota personas) and a kab/kota of another province (outside every persona's scope).
TARGETS = ["1702", "1704", "1601"]


@dataclass(frozen=True)
class Action:
    name: str
    method: str
    write: bool  # a write URL: read-only personas get 403 inside their scope
    ok: int  # the status of a successful request


OBJECT_ACTIONS = [
    Action("village_detail", "get", write=False, ok=200),
    Action("village_edit", "get", write=True, ok=200),
    Action("village_edit", "post", write=True, ok=302),
    Action("village_upload", "post", write=True, ok=302),
    Action("village_attachment", "get", write=False, ok=200),
    Action("village_history", "get", write=False, ok=200),
    Action("office_detail", "get", write=False, ok=200),
]


def expected_status(rule: Rule, action: Action, target: str) -> int:
    if target not in rule.offices:
        return 404
    if action.write and not rule.writes:
        return 403
    return action.ok


@dataclass
class World:
    villages: dict[str, ParticipatingVillage]  # by office code
    attachments: dict[str, Attachment]  # one PDF per village, by office code
    free_desa: dict[str, Region]  # a desa of each office that does not take part yet


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The personas' passwords are never checked here (force_login); hashing them slowly would
    # only make the few hundred cases below slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def village_other_province(db) -> ParticipatingVillage:
    """A village of a kab/kota office in another province, with its own program year."""
    sumsel = Region.objects.create(code="16", name="SUMATERA SELATAN", level=Region.Level.PROVINSI)
    oku = Region.objects.create(
        code="16.01", name="KAB. OGAN KOMERING ULU", level=Region.Level.KABKOTA, parent=sumsel
    )
    kecamatan = Region.objects.create(
        code="16.01.01", name="Sosoh Buay Rayap", level=Region.Level.KECAMATAN, parent=oku
    )
    for code, name in [
        ("16.01.01.2001", "Desa Seberang Sumsel"),
        ("16.01.01.2002", "Lubuk Sumsel"),
    ]:
        Region.objects.create(code=code, name=name, level=Region.Level.DESA, parent=kecamatan)
    province = Office.objects.create(
        code="1600",
        name="BPS Provinsi Sumatera Selatan",
        short_name="Provinsi Sumatera Selatan",
        kind=Office.Kind.PROVINSI,
        region=sumsel,
    )
    office = Office.objects.create(
        code="1601",
        name="BPS Kabupaten Ogan Komering Ulu",
        short_name="Ogan Komering Ulu",
        kind=Office.Kind.KABKOTA,
        region=oku,
        parent=province,
    )
    year = ProgramYear.objects.create(province=province, year=2026)
    return ParticipatingVillage.objects.create(
        program_year=year,
        village=Region.objects.get(code="16.01.01.2001"),
        office=office,
        kind=VillageKind.UTAMA,
    )


@pytest.fixture
def world(village_rejang_lebong, village_kaur, village_other_province, tim_provinsi) -> World:
    villages = {
        "1702": village_rejang_lebong,
        "1704": village_kaur,
        "1601": village_other_province,
    }
    attachments = {
        code: store_attachment(
            SimpleUploadedFile(f"sk-{code}.pdf", PDF), owner=village, by=tim_provinsi
        )
        for code, village in villages.items()
    }
    free_desa = {
        code: Region.objects.get(code="16.01.01.2002") if code == "1601" else desa_in(v.office, 1)
        for code, v in villages.items()
    }
    return World(villages=villages, attachments=attachments, free_desa=free_desa)


def url_for(action: Action, world: World, target: str) -> str:
    village = world.villages[target]
    if action.name == "office_detail":
        return reverse("program:office_detail", args=[village.office_id])
    if action.name == "village_attachment":
        return reverse(
            "program:village_attachment", args=[village.pk, world.attachments[target].pk]
        )
    return reverse(f"program:{action.name}", args=[village.pk])


def post_data(action: Action) -> dict:
    if action.method != "post":
        return {}
    if action.name == "village_edit":
        return {"kind": VillageKind.BERKELANJUTAN, "notes": "Diubah lewat uji matriks"}
    if action.name == "village_upload":
        return {"purpose": "dokumentasi", "file": SimpleUploadedFile("foto.pdf", PDF)}
    return {}


# --- every object URL × every persona × own / other office --------------------------------------


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "action", OBJECT_ACTIONS, ids=[f"{a.name}-{a.method}" for a in OBJECT_ACTIONS]
)
@pytest.mark.parametrize("persona", PERSONAS)
def test_object_url_answers_by_scope_and_role(request, client, world, persona, action, target):
    user = request.getfixturevalue(persona)
    village = world.villages[target]
    attachments_before = Attachment.objects.filter(owner_id=str(village.pk)).count()
    client.force_login(user)

    url = url_for(action, world, target)
    response = getattr(client, action.method)(url, post_data(action))

    expected = expected_status(RULES[persona], action, target)
    assert response.status_code == expected
    village.refresh_from_db()
    edited = action.name == "village_edit" and action.method == "post" and expected == 302
    assert village.kind == (VillageKind.BERKELANJUTAN if edited else village_kind(target))
    uploaded = action.name == "village_upload" and expected == 302
    assert Attachment.objects.filter(owner_id=str(village.pk)).count() == (
        attachments_before + (1 if uploaded else 0)
    )
    if expected == 200 and action.name == "village_detail":
        assert response.context["village"].pk == village.pk
        assert response.context["can_edit"] is RULES[persona].writes
    if expected == 200 and action.name == "village_attachment":
        assert b"".join(response.streaming_content) == PDF
    if expected == 200 and action.name == "office_detail":
        assert [pv.village.name for pv in response.context["villages"]] == [village.village.name]


def village_kind(target: str) -> str:
    """The kind each target village has before any edit (see the conftest fixtures)."""
    return {"1702": VillageKind.UTAMA, "1704": VillageKind.TAMBAHAN, "1601": VillageKind.UTAMA}[
        target
    ]


def test_attachment_of_another_village_is_not_found_through_a_visible_village(
    client, world, ketua_tim
):
    client.force_login(ketua_tim)

    response = client.get(
        reverse(
            "program:village_attachment",
            args=[world.villages["1702"].pk, world.attachments["1704"].pk],
        )
    )

    assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_province_office_has_no_office_page(request, client, province, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("program:office_detail", args=[province.pk]))

    assert response.status_code == 404


# --- URLs without an object -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_home_shows_the_kabkota_offices_of_the_scope(request, client, world, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("program:home"))

    assert response.status_code == 200
    assert {office.code for office, _villages in response.context["rows"]} == set(
        RULES[persona].offices
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_village_list_shows_only_villages_of_the_scope(request, client, world, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("program:village_list"), {"tahun": 2026})

    assert response.status_code == 200
    assert response.context["can_add"] is RULES[persona].writes
    assert {pv.village.name for pv in response.context["villages"]} == {
        v.village.name for code, v in world.villages.items() if code in RULES[persona].offices
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_village_create_form_only_for_the_province_team(request, client, world, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("program:village_create"), {"tahun": 2026})

    assert response.status_code == (200 if RULES[persona].writes else 403)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_village_create_post_by_scope_and_role(request, client, world, persona, target):
    client.force_login(request.getfixturevalue(persona))
    office = world.villages[target].office
    desa = world.free_desa[target]

    response = client.post(
        f"{reverse('program:village_create')}?tahun=2026",
        {"office": office.pk, "village": desa.pk, "kind": VillageKind.UTAMA},
    )

    rule = RULES[persona]
    created = ParticipatingVillage.objects.filter(village=desa)
    if not rule.writes:
        assert response.status_code == 403
        assert created.count() == 0
    elif target in rule.offices:
        assert response.status_code == 302
        assert [(pv.office.code, pv.program_year.year) for pv in created] == [(target, 2026)]
    else:  # an office of another province is not among the choices
        assert response.status_code == 200
        assert "office" in response.context["form"].errors
        assert created.count() == 0


# --- anonymous visitors and wrong methods ---------------------------------------------------------


ALL_REQUESTS = [
    ("home", "get"),
    ("village_list", "get"),
    ("village_create", "get"),
    ("village_create", "post"),
    ("village_detail", "get"),
    ("village_edit", "get"),
    ("village_edit", "post"),
    ("village_upload", "post"),
    ("village_attachment", "get"),
    ("village_history", "get"),
    ("office_detail", "get"),
]


def any_url(name: str, world: World) -> str:
    village = world.villages["1702"]
    if name in ("home", "village_list", "village_create"):
        return reverse(f"program:{name}")
    if name == "office_detail":
        return reverse("program:office_detail", args=[village.office_id])
    if name == "village_attachment":
        return reverse(
            "program:village_attachment", args=[village.pk, world.attachments["1702"].pk]
        )
    return reverse(f"program:{name}", args=[village.pk])


@pytest.mark.parametrize(
    ("name", "method"), ALL_REQUESTS, ids=[f"{n}-{m}" for n, m in ALL_REQUESTS]
)
def test_anonymous_visitor_is_sent_to_login(client, world, name, method):
    url = any_url(name, world)

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"
    assert ParticipatingVillage.objects.count() == 3
    assert Attachment.objects.count() == 3


WRONG_METHODS = [
    ("home", "post"),
    ("village_list", "post"),
    ("village_create", "put"),
    ("village_create", "delete"),
    ("village_detail", "post"),
    ("village_edit", "delete"),
    ("village_upload", "get"),
    ("village_attachment", "post"),
    ("village_history", "post"),
    ("office_detail", "post"),
]


@pytest.mark.parametrize("persona", ["ketua_tim", "tim_rejang_lebong"])
@pytest.mark.parametrize(
    ("name", "method"), WRONG_METHODS, ids=[f"{n}-{m}" for n, m in WRONG_METHODS]
)
def test_wrong_method_is_refused(request, client, world, persona, name, method):
    client.force_login(request.getfixturevalue(persona))

    response = getattr(client, method)(any_url(name, world))

    assert response.status_code == 405
