"""Hasil penilaian LKE Provinsi: the ranking, frozen results, who sees what before and after the
sign-off, the xlsx and PDF, the national xlsx, and the query count of the results page."""

from io import BytesIO

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from conftest import desa_in, make_user
from core.models import Role
from lke import services
from lke.models import Level, Target, Worksheet
from program.models import ParticipatingVillage, VillageKind

from .conftest import answer, fill, record_of

RESULTS = reverse("lke:results") + "?tahun=2026"


@pytest.fixture
def finalised(assessment, tim_rejang_lebong, tim_kaur, tim_provinsi, ketua_tim):
    """Rejang Lebong's village verified at 94.79 (as self-assessed), Kaur's with a lower
    verified score; both offices' Blok IV finalised too."""
    users = {"1702": tim_rejang_lebong, "1704": tim_kaur}
    for worksheet in Worksheet.objects.filter(assessment=assessment).select_related("office"):
        kabkota = users[worksheet.office.code]
        fill(worksheet, {"o.a": 2} if worksheet.target == Target.OFFICE else None, by=kabkota)
        services.submit_worksheet(worksheet, by=kabkota)
        services.start_verification(worksheet, by=tim_provinsi)
        if worksheet.office.code == "1704" and worksheet.target == Target.VILLAGE:
            answer(
                worksheet,
                "m1.a",
                2,
                level=Level.PROVINCIAL,
                by=tim_provinsi,
                reason="Data tidak lengkap",
            )
        services.accept_self_answers(worksheet, by=tim_provinsi)
        services.finalise_worksheet(worksheet, by=ketua_tim)
    return assessment


def test_province_sees_the_ranking_with_self_and_verified_totals(
    client, finalised, tim_provinsi, village_rejang_lebong, village_kaur
):
    client.force_login(tim_provinsi)

    results = client.get(RESULTS).context["results"]

    rows = [
        (r["rank"], r["name"], r["self"]["total"], r["provincial"]["total"], r["delta"])
        for r in results["villages"]
    ]
    # Kaur verified: M = 2/4 → total = 100 × (0.791666… + 3×0.5)/4 = 57.29
    assert rows == [
        (1, village_rejang_lebong.village.name, 94.79, 94.79, 0.0),
        (2, village_kaur.village.name, 94.79, 57.29, -37.5),
    ]
    assert results["public"] is True
    assert [a["title"] for a in results["aspects"]] == ["Kapasitas Statistik", "Manajemen Data"]
    assert results["villages"][1]["aspect_values"] == [79.17, 50.0]
    assert results["tie_break"] == ["Manajemen Data", "Kapasitas Statistik"]
    # Both offices verified at 100: the tie falls to the name.
    assert [(r["rank"], r["name"]) for r in results["offices"]] == [
        (1, "BPS Kabupaten Kaur"),
        (2, "BPS Kabupaten Rejang Lebong"),
    ]
    assert results["chart"]["counts"][5] == 1 and results["chart"]["counts"][9] == 1


def test_results_show_the_frozen_snapshot_not_later_edits(
    client, finalised, tim_provinsi, ketua_tim, village_kaur
):
    worksheet = Worksheet.objects.get(village=village_kaur)
    services.reopen_worksheet(worksheet, reason="Koreksi", by=ketua_tim)
    answer(worksheet, "m1.a", 4, level=Level.PROVINCIAL, by=tim_provinsi)
    client.force_login(tim_provinsi)

    rows = client.get(RESULTS).context["results"]["villages"]

    kaur = next(r for r in rows if r["name"] == village_kaur.village.name)
    assert (kaur["provincial"]["total"], kaur["frozen"]) == (57.29, True)


def test_kabkota_sees_only_its_own_scores_unranked_before_sign_off(
    client, finalised, tim_rejang_lebong, village_kaur
):
    client.force_login(tim_rejang_lebong)

    response = client.get(RESULTS)

    results = response.context["results"]
    assert results["public"] is False
    assert [(r["rank"], r["office"]) for r in results["villages"]] == [(None, "Rejang Lebong")]
    assert village_kaur.village.name not in response.content.decode()
    assert 'data-testid="not-public"' in response.content.decode()


def sign_off_data(lead, **changes) -> dict:
    data = {**record_of(lead), **changes}
    return {**data, "date": str(data["date"]), "lead": data["lead"].pk}


def test_kabkota_sees_the_province_ranking_once_signed_off_but_not_other_worksheets(
    client, finalised, kepala, ketua_tim, tim_rejang_lebong, village_kaur
):
    client.force_login(kepala)
    response = client.post(
        reverse("lke:results_sign_off") + "?tahun=2026", sign_off_data(ketua_tim)
    )
    assert response.status_code == 302
    client.force_login(tim_rejang_lebong)

    response = client.get(RESULTS)

    rows = response.context["results"]["villages"]
    assert [(r["rank"], r["office"], r["can_open"]) for r in rows] == [
        (1, "Rejang Lebong", True),
        (2, "Kaur", False),
    ]
    kaur_ws = Worksheet.objects.get(village=village_kaur)
    assert reverse("lke:worksheet", args=[kaur_ws.pk]) not in response.content.decode()
    assert client.get(reverse("lke:worksheet", args=[kaur_ws.pk])).status_code == 404


def test_only_the_head_signs_off(client, finalised, ketua_tim):
    client.force_login(ketua_tim)

    assert client.post(reverse("lke:results_sign_off") + "?tahun=2026").status_code == 403
    assert client.get(reverse("lke:results_sign_off") + "?tahun=2026").status_code == 405
    finalised.refresh_from_db()
    assert finalised.signed_off_at is None


def test_results_xlsx_has_the_ranking_and_the_offices(
    client, finalised, tim_provinsi, village_kaur
):
    client.force_login(tim_provinsi)

    response = client.get(reverse("lke:results_xlsx") + "?tahun=2026")

    book = load_workbook(BytesIO(response.content))
    villages = list(book.worksheets[0].iter_rows(values_only=True))
    assert response["Content-Disposition"].startswith("attachment;")
    assert villages[0][:3] == ("Peringkat", "Desa/Kelurahan", "Kecamatan")
    assert villages[2][0:2] == (2, village_kaur.village.name)
    assert villages[2][-5:-2] == (94.79, 57.29, -37.5)
    assert len(list(book.worksheets[1].iter_rows())) == 3


def test_results_pdf_is_a_pdf(client, finalised, tim_provinsi, ketua_tim):
    client.force_login(tim_provinsi)

    response = client.get(reverse("lke:results_pdf") + "?tahun=2026", sign_off_data(ketua_tim))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_results_pdf_carries_the_name_of_the_assessments_province(
    client, finalised, tim_provinsi, ketua_tim, settings
):
    import pypdf

    settings.ORGANISATION_NAME = "Badan Pusat Statistik Provinsi Jawa Timur"  # another's
    client.force_login(tim_provinsi)

    response = client.get(reverse("lke:results_pdf") + "?tahun=2026", sign_off_data(ketua_tim))

    first = pypdf.PdfReader(BytesIO(response.content)).pages[0].extract_text()
    assert " ".join(first.split()).startswith("BADAN PUSAT STATISTIK PROVINSI BENGKULU")
    assert "JAWA TIMUR" not in first.upper()


def test_berita_acara_has_the_ranking_and_signature_lines(
    rf, finalised, kepala, ketua_tim, tim_provinsi, village_kaur
):
    from django.template.loader import render_to_string

    from lke.queries import results_for

    services.sign_off_results(finalised, record=record_of(ketua_tim), by=kepala)
    finalised.refresh_from_db()
    html = render_to_string(
        "lke/results_pdf.html",
        {
            "year": finalised.program_year,
            "assessment": finalised,
            "instrument": finalised.instrument,
            "results": results_for(tim_provinsi, finalised),
            "record": record_of(ketua_tim),
            "head": kepala,
        },
    )

    assert "BERITA ACARA" in html
    assert village_kaur.village.name in html
    assert html.count('class="name"') == 2
    assert kepala.get_full_name() in html and ketua_tim.get_full_name() in html


def test_results_of_a_year_without_assessment_is_not_found(client, tim_provinsi, year_2026):
    client.force_login(tim_provinsi)

    assert client.get(RESULTS).status_code == 404
    assert client.post(RESULTS).status_code == 405


def test_national_xlsx_is_for_the_national_operator_only(client, finalised, ketua_tim):
    superuser = make_user("nasional", None, None, is_superuser=True, is_staff=True)
    client.force_login(ketua_tim)
    assert client.get(reverse("lke:results_national_xlsx") + "?tahun=2026").status_code == 403

    client.force_login(superuser)
    response = client.get(reverse("lke:results_national_xlsx") + "?tahun=2026")

    rows = list(load_workbook(BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 3
    assert rows[1][0] == "BPS Provinsi Bengkulu" or "Bengkulu" in rows[1][0]
    assert rows[1][1] == 1


def test_results_page_costs_the_same_queries_with_more_villages(
    client, assessment, year_2026, rejang_lebong, ketua_tim, tim_provinsi
):
    client.force_login(tim_provinsi)
    client.get(RESULTS)
    cache.clear()  # both counts are of the page computed afresh, not of the page cache
    with CaptureQueriesContext(connection) as few:
        client.get(RESULTS)
    for index in range(1, 6):
        ParticipatingVillage.objects.create(
            program_year=year_2026,
            village=desa_in(rejang_lebong, index),
            office=rejang_lebong,
            kind=VillageKind.TAMBAHAN,
        )
    services.add_missing_worksheets(assessment, by=ketua_tim)

    with CaptureQueriesContext(connection) as many:
        response = client.get(RESULTS)

    results = response.context["results"]
    assert len(results["villages"]) + len(results["unassessed"]) == 7
    assert len(many) == len(few)


def test_viewer_of_the_province_sees_the_results(client, finalised):
    viewer = make_user("pemantau", "1700", Role.VIEWER)
    client.force_login(viewer)

    assert client.get(RESULTS).context["results"]["public"] is True


def _pdf_pages(content: bytes) -> list[str]:
    from pypdf import PdfReader

    return [" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(content)).pages]


def test_berita_acara_pdf_is_a4_and_its_signatures_never_stand_alone_on_the_last_page(
    client, finalised, kepala, ketua_tim, year_2026, rejang_lebong
):
    """Villages are added three at a time so that, somewhere, the table ends just before a page
    break: the closing sentence must still be on the signatures' page, with both signers' names
    and NIPs from their profiles."""
    from pypdf import PdfReader

    kepala.full_name, kepala.nip = "Dr. Hendra Wijaya, S.E., M.Si.", "197101151997021003"
    ketua_tim.full_name, ketua_tim.nip = "Nur Aisyah, S.ST., M.Stat.", "199604022023122005"
    kepala.save()
    ketua_tim.save()
    client.force_login(kepala)
    page_counts = set()
    for step in range(10):
        for index in range(3 * step, 3 * step + 3):
            ParticipatingVillage.objects.create(
                program_year=year_2026,
                village=desa_in(rejang_lebong, index + 1),
                office=rejang_lebong,
                kind=VillageKind.TAMBAHAN,
            )
        services.add_missing_worksheets(finalised, by=ketua_tim)
        response = client.get(reverse("lke:results_pdf") + "?tahun=2026", sign_off_data(ketua_tim))
        reader = PdfReader(BytesIO(response.content))
        assert {(round(p.mediabox.width), round(p.mediabox.height)) for p in reader.pages} == {
            (842, 595)  # A4 landscape
        }
        pages = _pdf_pages(response.content)
        page_counts.add(len(pages))
        last = pages[-1]
        assert "Demikian berita acara ini dibuat dengan sebenarnya" in last, (step, last)
        assert "Dr. Hendra Wijaya, S.E., M.Si. NIP 197101151997021003" in last
        assert "Nur Aisyah, S.ST., M.Stat. NIP 199604022023122005" in last
        assert "Nomor: B-12/17000/VS.300/12/2026" in pages[0]
        assert "Bengkulu," in last
    assert len(page_counts) > 1  # the added villages did move the page breaks


def test_cached_results_show_the_sign_off_on_the_next_request_and_keep_to_the_scope(
    client, finalised, kepala, ketua_tim, tim_provinsi, tim_rejang_lebong, village_kaur
):
    """The results are cached (core.pagecache): the province's cached ranking never reaches a
    kab/kota user, and the head's sign-off shows to the kab/kota on its very next request."""
    client.force_login(tim_provinsi)
    province = client.get(RESULTS).context["results"]
    with CaptureQueriesContext(connection) as cached:
        again = client.get(RESULTS)
    cached = len(cached)
    assert again.context is None and again.status_code == 200  # the whole page, from the cache
    assert all(r["name"] in again.content.decode() for r in province["villages"])
    client.force_login(tim_rejang_lebong)
    with CaptureQueriesContext(connection) as computed:
        before = client.get(RESULTS).context["results"]
    computed = len(computed)
    client.force_login(kepala)
    client.post(reverse("lke:results_sign_off") + "?tahun=2026", sign_off_data(ketua_tim))
    client.force_login(tim_rejang_lebong)
    after = client.get(RESULTS).context["results"]

    assert cached <= 3 < computed
    assert [r["rank"] for r in province["villages"]] == [1, 2]
    assert (before["public"], [r["office"] for r in before["villages"]]) == (
        False,
        ["Rejang Lebong"],
    )
    assert village_kaur.village.name in [r["name"] for r in province["villages"]]
    assert (after["public"], [r["rank"] for r in after["villages"]]) == (True, [1, 2])
