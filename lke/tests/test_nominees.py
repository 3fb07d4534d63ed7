"""The national LKE picture (#15 pt 4): the Blok II nominees (2a = Ya, in their 2b order) of every
province whose head signed the results, with their verified totals; filterable by province,
kab/kota, year and 2b rank; exported with their verified answers in the national form's
layout. BPS RI sees every province, a province office its own (another province is a 404), a
kab/kota office has no such page; results not signed never appear; the query count does not
grow with the number of provinces."""

import copy
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from conftest import desa_in, make_user
from core.models import Office, Region, Role
from core.services import national_office
from lke import services
from lke.models import Level, Target, Worksheet
from lke.queries import national_nominees
from program.models import ParticipatingVillage, VillageKind
from program.services import create_program_year

from .conftest import SMALL, fill, record_of

PAGE = reverse("lke:nominees")
XLSX = reverse("lke:nominees_xlsx")
SCORES = {"k1.a": 3, "k1.b": 1, "k2.a": 2, "m1.a": 4, "m1.z": 1}


@pytest.fixture
def instrument(db):
    """The small instrument with the official Blok II (1a count, 2a Ya/Tidak, 2b rank) and the
    national form's rincian codes on 2a and k1.a."""
    data = copy.deepcopy(SMALL)
    data["version"] = 9
    data["blocks"][0]["aspects"][0]["indicators"][0]["items"] = [
        {"code": "1.a", "text": "Jumlah desa yang diusulkan", "kind": "text"},
        {
            "code": "2.a",
            "text": "Diusulkan?",
            "kind": "choice",
            "rincian": "R201",
            "options": [{"label": "Ya", "score": 1}, {"label": "Tidak", "score": 0}],
        },
        {"code": "2.b", "text": "Peringkat di antara usulan", "kind": "text"},
    ]
    data["blocks"][1]["aspects"][0]["indicators"][0]["items"][0]["rincian"] = "R301"
    return services.create_instrument(data, by=None)


def _province(number: int, kabkota: int = 1) -> Office:
    """A synthetic province (code 50+number) with `kabkota` kab/kota of three desa each."""
    code = str(50 + number)
    region = Region.objects.create(code=code, name=f"PROVINSI UJI {number}", level="provinsi")
    province = Office.objects.create(
        code=f"{code}00",
        name=f"BPS Provinsi Uji {number}",
        short_name=f"Provinsi Uji {number}",
        kind=Office.Kind.PROVINSI,
        region=region,
    )
    for k in range(1, kabkota + 1):
        kab = Region.objects.create(
            code=f"{code}.0{k}", name=f"KAB. UJI {number}{k}", level="kabkota", parent=region
        )
        kec = Region.objects.create(
            code=f"{code}.0{k}.01", name=f"Kecamatan {number}{k}", level="kecamatan", parent=kab
        )
        for d in (1, 2, 3):
            Region.objects.create(
                code=f"{code}.0{k}.01.200{d}",
                name=f"Desa {number}{k}{d}",
                level="desa",
                parent=kec,
            )
        Office.objects.create(
            code=f"{code}0{k}",
            name=f"BPS Kabupaten Uji {number}{k}",
            short_name=f"Uji {number}{k}",
            kind=Office.Kind.KABKOTA,
            region=kab,
            parent=province,
        )
    return province


def _assess(province: Office, instrument, plan: dict, *, sign: bool = True, year=None):
    """Open the 2026 LKE of `province` (its program year made when not given), with villages
    of its kab/kota as `plan` says ({office code: [2b rank, or 0 for not nominated]}); every
    worksheet self-assessed, verified and finalised; signed off by the head when `sign`."""
    code = province.code
    lead = make_user(f"ketua_{code}", code, Role.KETUA_TIM)
    team = make_user(f"tim_{code}", code, Role.TIM_PROVINSI)
    head = make_user(f"kepala_{code}", code, Role.KEPALA)
    year = year or create_program_year(province, year=2026, by=None)
    writers = {}
    for office_code, ranks in plan.items():
        office = Office.objects.get(code=office_code)
        writers[office.pk] = make_user(f"tim_{office_code}", office_code, Role.TIM_KABKOTA)
        for index in range(len(ranks)):
            region = desa_in(office, index)
            if not ParticipatingVillage.objects.filter(program_year=year, village=region):
                ParticipatingVillage.objects.create(
                    program_year=year, village=region, office=office, kind=VillageKind.UTAMA
                )
    assessment = services.open_assessment(year, instrument=instrument, by=lead)
    for office_code, ranks in plan.items():
        office = Office.objects.get(code=office_code)
        writer = writers[office.pk]
        sheets = Worksheet.objects.filter(
            assessment=assessment, target=Target.VILLAGE, office=office
        ).order_by("village__village__code")
        nominated = len([r for r in ranks if r])
        for worksheet, rank in zip(sheets, ranks, strict=True):
            fill(worksheet, {**SCORES, "2.a": 1 if rank else 0, "k2.a": 4 - rank}, by=writer)
            _text(worksheet, "1.a", str(nominated), by=writer)
            if rank:
                _text(worksheet, "2.b", str(rank), by=writer)
        _finalise(list(sheets), writer, team, lead)
        office_sheet = Worksheet.objects.get(
            assessment=assessment, target=Target.OFFICE, office=office
        )
        fill(office_sheet, {"o.a": 2}, by=writer)
        _finalise([office_sheet], writer, team, lead)
    if sign:
        services.sign_off_results(
            assessment, record=record_of(lead, number=f"BA-{code}", place="Kota"), by=head
        )
    assessment.refresh_from_db()
    return assessment


def _text(worksheet, code, text, *, by):
    item = worksheet.assessment.instrument.items.get(code=code)
    current = worksheet.answers.filter(item=item, level=Level.SELF).first()
    services.save_answer(
        worksheet,
        item=item,
        level=Level.SELF,
        text=text,
        version=current.version if current else 0,
        by=by,
    )


def _finalise(worksheets, writer, team, lead):
    for worksheet in worksheets:
        services.submit_worksheet(worksheet, by=writer)
        services.start_verification(worksheet, by=team)
        services.accept_self_answers(worksheet, by=team)
        services.finalise_worksheet(worksheet, by=lead)


@pytest.fixture
def nasional(db):
    national_office()
    return make_user("tim_nasional", "0000", Role.TIM_NASIONAL)


@pytest.fixture
def bengkulu(year_2026, instrument, village_rejang_lebong, village_kaur):
    """Bengkulu's 2026 results signed: Rejang Lebong nominates two of its three villages (2b
    ranks 2 and 1), Kaur one of its two."""
    return _assess(
        year_2026.province, instrument, {"1702": [2, 0, 1], "1704": [1, 0]}, year=year_2026
    )


def _names(data) -> list[tuple]:
    return [
        (line.province.code, row["office"], row["nominee_rank"], row["name"])
        for line in data.provinces
        for row in line.nominees
    ]


def _desa(office_code: str, index: int) -> str:
    return desa_in(Office.objects.get(code=office_code), index).name


# --- what is listed ---------------------------------------------------------------------------


def test_nominees_come_only_from_signed_results_in_their_2b_order(
    client, nasional, bengkulu, instrument
):
    other = _province(1)
    unsigned = _assess(other, instrument, {"5101": [1, 2, 0]}, sign=False)
    assert unsigned.signed_off_at is None  # finalised, with two villages marked Ya

    data = national_nominees(nasional, 2026)

    assert _names(data) == [
        ("1700", "Kaur", 1, _desa("1704", 0)),
        ("1700", "Rejang Lebong", 1, _desa("1702", 2)),
        ("1700", "Rejang Lebong", 2, _desa("1702", 0)),
    ]
    assert [p.code for p in data.awaiting] == ["5100"]
    # each with its verified (frozen) total and its rank in the province's ranking
    results = {
        row["name"]: (row["provincial"]["total"], row["rank"])
        for row in national_nominees(nasional, 2026).nominees
    }
    client.force_login(make_user("kepala_bkl", "1700", Role.KEPALA))
    ranking = client.get(reverse("lke:results"), {"tahun": 2026}).context["results"]["villages"]
    expected = {r["name"]: (r["provincial"]["total"], r["rank"]) for r in ranking}
    assert results == {name: expected[name] for name in results}
    page = client.get(PAGE, {"tahun": 2026})
    html = page.content.decode()
    assert html.count('data-testid="nominee"') == 3
    assert "Provinsi Uji 1" not in html  # a province user is not told of another province


def test_the_page_lists_every_signed_province_for_bps_ri_with_the_awaiting_ones(
    client, nasional, bengkulu, instrument
):
    _assess(_province(1), instrument, {"5101": [0, 1, 0]})
    _assess(_province(2), instrument, {"5201": [1, 0, 0]}, sign=False)
    client.force_login(nasional)

    response = client.get(PAGE, {"tahun": 2026})

    assert response.status_code == 200
    lines = response.context["data"].provinces
    assert [line.province.code for line in lines] == ["1700", "5100"]
    assert [row["name"] for row in lines[1].nominees] == [_desa("5101", 1)]
    html = response.content.decode()
    assert html.count('data-testid="province-nominees"') == 2
    assert 'data-testid="awaiting"' in html and "Provinsi Uji 2" in html
    assert "BA-5100" in html  # the province's berita acara
    assert f"{reverse('lke:nominees_xlsx')}?tahun=2026" in html


def test_filters_by_province_kabkota_and_2b_rank(client, nasional, bengkulu, instrument):
    _assess(_province(1, kabkota=2), instrument, {"5101": [1, 2, 3], "5102": [2, 1, 0]})
    client.force_login(nasional)

    def names(**params):
        response = client.get(PAGE, {"tahun": 2026, **params})
        assert response.status_code == 200, params
        return _names(response.context["data"])

    assert [n[0] for n in names(provinsi="5100")] == ["5100"] * 5
    office = Office.objects.get(code="5102")
    assert names(kabkota=office.pk) == [
        ("5100", "Uji 12", 1, _desa("5102", 1)),
        ("5100", "Uji 12", 2, _desa("5102", 0)),
    ]
    assert [n[:3] for n in names(peringkat=1)] == [
        ("1700", "Kaur", 1),
        ("1700", "Rejang Lebong", 1),
        ("5100", "Uji 11", 1),
        ("5100", "Uji 12", 1),
    ]
    assert [n[2] for n in names(provinsi="5100", peringkat=2)] == [1, 2, 1, 2]
    # a rank filter that is no number of 1..99 is refused with the form's message
    refused = client.get(PAGE, {"tahun": 2026, "peringkat": 0})
    assert refused.status_code == 400 and refused.context["data"] is None
    # an unknown year, province or kab/kota is no page
    for params in ({"tahun": 2031}, {"tahun": "x"}, {"provinsi": "9900"}, {"kabkota": 10**6}):
        assert client.get(PAGE, params).status_code == 404, params
    # a later year without a signed result lists nothing (and says so)
    assert client.get(PAGE).context["data"].year == 2026  # the newest signed year


# --- who sees what ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.KEPALA, Role.KETUA_TIM, Role.TIM_PROVINSI, Role.VIEWER, Role.ADMIN]
)
def test_a_province_office_sees_its_own_province_only(client, role, bengkulu, instrument):
    other = _assess(_province(1), instrument, {"5101": [1, 0, 0]})
    user = make_user(f"orang_{role}", "1700", role)
    client.force_login(user)

    response = client.get(PAGE, {"tahun": 2026})

    assert response.status_code == 200
    assert [line.province.code for line in response.context["data"].provinces] == ["1700"]
    book = load_workbook(io.BytesIO(client.get(XLSX, {"tahun": 2026}).content))
    assert {row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)} == {
        "BPS Provinsi Bengkulu"
    }
    kab = Office.objects.get(code="5101")
    for url in (PAGE, XLSX):
        assert client.get(url, {"tahun": 2026, "provinsi": "5100"}).status_code == 404
        assert client.get(url, {"tahun": 2026, "kabkota": kab.pk}).status_code == 404
    assert other.signed_off_at is not None


@pytest.mark.parametrize("username", ["tim_rejang_lebong", "pimpinan_rejang_lebong"])
def test_a_kabkota_office_has_no_nominees_page(client, username, bengkulu, request, db):
    client.force_login(request.getfixturevalue(username))
    for url in (PAGE, XLSX):
        assert client.get(url, {"tahun": 2026}).status_code == 404
        assert client.get(url, {"tahun": 2026, "provinsi": "1700"}).status_code == 404


def test_anonymous_is_sent_to_the_login(client):
    for url in (PAGE, XLSX):
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_national_dashboard_links_the_nominees(client, nasional, bengkulu):
    client.force_login(nasional)
    html = client.get(reverse("monitoring:national"), {"tahun": 2026}).content.decode()
    assert f'href="{PAGE}?tahun=2026"' in html


# --- the export -------------------------------------------------------------------------------


def test_the_xlsx_lists_the_nominees_and_their_verified_answers_in_the_national_form(
    client, nasional, bengkulu, instrument
):
    _assess(_province(1), instrument, {"5101": [0, 1, 0]})
    client.force_login(nasional)

    response = client.get(XLSX, {"tahun": 2026, "peringkat": 1})

    assert response["Content-Disposition"] == (
        'attachment; filename="usulan-desa-cantik-2026.xlsx"'
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Usulan", "Formulir nasional"]
    listed = list(book["Usulan"].iter_rows(values_only=True))
    assert listed[0] == (
        "Provinsi",
        "BPS kabupaten/kota",
        "Kode wilayah",
        "Desa/Kelurahan",
        "Kecamatan",
        "Peringkat usulan (2b)",
        "Total verifikasi",
        "Peringkat di provinsi",
        "Berita acara",
        "Ditandatangani pada",
    )
    nominees = national_nominees(nasional, 2026, max_rank=1).nominees
    expected = [
        (
            province,
            office,
            desa_in(Office.objects.get(code=code), index).code,
            _desa(code, index),
            desa_in(Office.objects.get(code=code), index).parent.name,
            1,
        )
        for province, office, code, index in [
            ("BPS Provinsi Bengkulu", "Kaur", "1704", 0),
            ("BPS Provinsi Bengkulu", "Rejang Lebong", "1702", 2),
            ("BPS Provinsi Uji 1", "Uji 11", "5101", 1),
        ]
    ]
    assert [row[:6] for row in listed[1:]] == expected
    assert [row[6:8] for row in listed[1:]] == [
        (row["provincial"]["total"], row["rank"]) for row in nominees
    ]
    assert [row[8] for row in listed[1:]] == ["BA-1700", "BA-1700", "BA-5100"]
    # the national form: every item the form asks, per nominee, with the verified answer
    form = list(book["Formulir nasional"].iter_rows(values_only=True))
    assert form[0][:3] == ("Kode wilayah", "Desa / kantor", "Rincian")
    assert {row[1] for row in form[1:]} == {e[3] for e in expected}
    cells = {(row[0], row[2]): (row[3], row[5], row[6]) for row in form[1:] if row[2]}
    for _province_name, _office, code, *_rest in expected:
        assert cells[(code, "R201")] == ("2.a", 1, "Ya")
        assert cells[(code, "R301")] == ("k1.a", 3, "Opsi 3")
    # an item the form does not ask has no rincian code but is listed
    assert ("k2.a" in {row[3] for row in form[1:]}) and len(form) - 1 == 3 * 9


# --- speed ------------------------------------------------------------------------------------


def _count(client, url) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"tahun": 2026})
    assert response.status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_the_number_of_provinces(client, nasional, bengkulu, instrument):
    client.force_login(nasional)
    _assess(_province(1, kabkota=2), instrument, {"5101": [1, 2, 0]})
    _count(client, PAGE)  # warm the per-process caches (content types, translations)
    small = (_count(client, PAGE), _count(client, XLSX))
    for number in (2, 3, 4):
        _assess(_province(number, kabkota=2), instrument, {f"5{number}01": [1, 2, 0]})
    _province(5)  # and a province without a program
    large = (_count(client, PAGE), _count(client, XLSX))
    data = client.get(PAGE, {"tahun": 2026}).context["data"]
    assert len(data.provinces) == 5 and len(data.nominees) == 3 + 4 * 2
    assert small == large
