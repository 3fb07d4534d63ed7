"""Results a province can sign: villages not verified are listed apart (not ranked at 0), the
ranking's declared tie-break on real worksheets, the Blok II nominees per kab/kota with their 2b
rank, and the berita acara with its number, place, date and the signers' names and NIP."""

import copy
import datetime
import pickle
import pickletools
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from core.models import AuditEvent
from lke import services
from lke.models import Level, Target, Worksheet

from .conftest import SMALL, fill, record_of

RESULTS = reverse("lke:results") + "?tahun=2026"
PDF = reverse("lke:results_pdf") + "?tahun=2026"
SIGN = reverse("lke:results_sign_off") + "?tahun=2026"


def verify(worksheet, scores, *, kabkota, province):
    """Self-assess with `scores`, submit, and let the province take the answers over."""
    fill(worksheet, scores, by=kabkota)
    services.submit_worksheet(worksheet, by=kabkota)
    services.start_verification(worksheet, by=province)
    services.accept_self_answers(worksheet, by=province)
    worksheet.refresh_from_db()
    return worksheet


def test_a_village_not_verified_is_listed_apart_not_ranked_at_zero(
    client, ws_rl, ws_kaur, tim_rejang_lebong, tim_kaur, tim_provinsi
):
    verify(ws_rl, None, kabkota=tim_rejang_lebong, province=tim_provinsi)
    fill(ws_kaur, by=tim_kaur)  # self-assessed only: its verified score would be 0
    client.force_login(tim_provinsi)

    response = client.get(RESULTS)

    results = response.context["results"]
    assert [(r["rank"], r["name"]) for r in results["villages"]] == [(1, ws_rl.subject_name)]
    assert [(r["rank"], r["name"]) for r in results["unassessed"]] == [(None, ws_kaur.subject_name)]
    page = response.content.decode()
    assert 'data-testid="unassessed"' in page
    assert "Desa yang belum dinilai (tidak diperingkat)" in page
    assert 0 not in results["chart"]["verified_totals"]
    # The xlsx lists it on its own sheet, without a rank.
    from openpyxl import load_workbook

    book = load_workbook(BytesIO(client.get(reverse("lke:results_xlsx") + "?tahun=2026").content))
    assert [r[1] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == [
        ws_rl.subject_name
    ]
    apart = list(book.worksheets[2].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1]) for r in apart] == [(None, ws_kaur.subject_name)]


def test_equal_totals_are_ranked_by_manajemen_data_then_kapasitas_then_name(
    client, ws_rl, ws_kaur, tim_rejang_lebong, tim_kaur, tim_provinsi
):
    # Both 81.25: one with K = 100, M = 75; the other with K = 25, M = 100. The declared
    # tie-break (M, then K) puts the second first, whatever the names.
    strong_k = {"n.1": 1, "k1.a": 4, "k1.b": 1, "k2.a": 4, "m1.a": 3, "m1.z": 1}
    strong_m = {"n.1": 1, "k1.a": 4, "k1.b": 0, "k2.a": 1, "m1.a": 4, "m1.z": 1}
    first, second = sorted([ws_rl, ws_kaur], key=lambda w: w.subject_name.casefold())
    users = {ws_rl.pk: tim_rejang_lebong, ws_kaur.pk: tim_kaur}
    verify(first, strong_k, kabkota=users[first.pk], province=tim_provinsi)
    verify(second, strong_m, kabkota=users[second.pk], province=tim_provinsi)
    client.force_login(tim_provinsi)

    results = client.get(RESULTS).context["results"]

    rows = [(r["rank"], r["name"], r["provincial"]["total"]) for r in results["villages"]]
    assert rows == [(1, second.subject_name, 81.25), (2, first.subject_name, 81.25)]
    assert results["tie_break"] == ["Manajemen Data", "Kapasitas Statistik"]


# --- Blok II nominees ---------------------------------------------------------------------------


@pytest.fixture
def nomination_assessment(year_2026, ketua_tim, village_rejang_lebong, village_kaur, db):
    """The small instrument with the official Blok II: 1a count (text), 2a Ya/Tidak, 2b rank."""
    data = copy.deepcopy(SMALL)
    data["version"] = 8
    data["blocks"][0]["aspects"][0]["indicators"][0]["items"] = [
        {"code": "1.a", "text": "Jumlah desa yang diusulkan", "kind": "text"},
        {
            "code": "2.a",
            "text": "Diusulkan?",
            "kind": "choice",
            "options": [{"label": "Ya", "score": 1}, {"label": "Tidak", "score": 0}],
        },
        {"code": "2.b", "text": "Peringkat di antara usulan", "kind": "text"},
    ]
    instrument = services.create_instrument(data, by=None)
    return services.open_assessment(year_2026, instrument=instrument, by=ketua_tim)


def _text(worksheet, code, text, *, by):
    item = worksheet.assessment.instrument.items.get(code=code)
    services.save_answer(worksheet, item=item, level=Level.SELF, text=text, version=0, by=by)


def test_nominees_are_listed_per_office_with_their_2b_rank(
    client,
    nomination_assessment,
    year_2026,
    rejang_lebong,
    tim_rejang_lebong,
    tim_provinsi,
    ketua_tim,
):
    from conftest import desa_in
    from program.models import ParticipatingVillage, VillageKind

    for index in (1, 2):
        ParticipatingVillage.objects.create(
            program_year=year_2026,
            village=desa_in(rejang_lebong, index),
            office=rejang_lebong,
            kind=VillageKind.TAMBAHAN,
        )
    services.add_missing_worksheets(nomination_assessment, by=ketua_tim)
    sheets = list(
        Worksheet.objects.filter(
            assessment=nomination_assessment, target=Target.VILLAGE, office=rejang_lebong
        ).order_by("village__village__code")
    )
    # Two nominated (ranked 2 and 1 by the office), one not nominated.
    for worksheet, nominated, rank in zip(sheets, (1, 1, 0), ("2", "1", ""), strict=True):
        fill(worksheet, {"2.a": nominated}, by=tim_rejang_lebong)
        _text(worksheet, "1.a", "2", by=tim_rejang_lebong)
        if rank:
            _text(worksheet, "2.b", rank, by=tim_rejang_lebong)
    client.force_login(tim_provinsi)

    response = client.get(RESULTS)

    nominees = response.context["results"]["nominees"]
    assert [
        (e["office"], e["declared"], [(r["nominee_rank"], r["name"]) for r in e["nominees"]])
        for e in nominees["offices"]
    ] == [
        (
            "Rejang Lebong",
            2,
            [(1, sheets[1].subject_name), (2, sheets[0].subject_name)],
        )
    ]
    page = response.content.decode()
    assert 'data-testid="nominees"' in page
    assert "1a says" not in page and "1a menyebut" not in page  # 2 declared, 2 marked Ya

    # What goes into the cache (cached_results_for) is the rows: the Blok II items by their
    # codes, not the items of the kept instrument tree (which took the whole tree along), and
    # each row's worksheet without the office, village and snapshot it was read with.
    results = response.context["results"]
    assert nominees["items"] == {"count": "1.a", "nominated": "2.a", "rank": "2.b"}
    rows = results["villages"] + results["unassessed"] + results["offices"]
    assert rows and all(not row["worksheet"]._state.fields_cache for row in rows)
    # a model is pickled as (app label, model name): the worksheets, and no other model
    names = {arg for _op, arg, _pos in pickletools.genops(pickle.dumps(results)) if arg}
    assert "Worksheet" in names
    assert not names & {"Item", "Option", "Block", "Region", "Office", "ParticipatingVillage"}


def test_the_example_instrument_without_2b_lists_the_nominees_by_name(
    client, ws_rl, ws_kaur, tim_rejang_lebong, tim_kaur, tim_provinsi
):
    fill(ws_rl, {"n.1": 1}, by=tim_rejang_lebong)
    fill(ws_kaur, {"n.1": 0}, by=tim_kaur)
    client.force_login(tim_provinsi)

    nominees = client.get(RESULTS).context["results"]["nominees"]

    # The small instrument's Blok II item is "n.1": no nomination item by code, nothing listed.
    assert nominees["offices"] == [] and "nominated" not in nominees["items"]


# --- the berita acara ---------------------------------------------------------------------------


@pytest.fixture
def all_final(assessment, tim_rejang_lebong, tim_kaur, tim_provinsi, ketua_tim):
    users = {"1702": tim_rejang_lebong, "1704": tim_kaur}
    for worksheet in Worksheet.objects.filter(assessment=assessment).select_related("office"):
        scores = {"o.a": 2} if worksheet.target == Target.OFFICE else None
        verify(worksheet, scores, kabkota=users[worksheet.office.code], province=tim_provinsi)
        services.finalise_worksheet(worksheet, by=ketua_tim)
    return assessment


def _sign_data(lead, **changes):
    data = {**record_of(lead), **changes}
    return {
        **data,
        "date": str(data["date"]),
        "lead": data["lead"].pk if hasattr(data["lead"], "pk") else data["lead"],
    }


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_the_head_signs_off_with_number_place_date_and_the_pdf_prints_them_with_nip(
    client, all_final, kepala, ketua_tim, village_kaur
):
    kepala.full_name, kepala.nip = "Dr. Win Rizal, M.Si", "196812311990031001"
    kepala.save()
    ketua_tim.full_name, ketua_tim.nip = "Siti Aminah, S.ST, M.Stat", "198001012003122002"
    ketua_tim.save()
    client.force_login(kepala)
    signed_on = timezone.localdate() - datetime.timedelta(days=0)

    response = client.post(SIGN, _sign_data(ketua_tim, number="B-77/17000/VS.300/12/2026"))

    assert response.status_code == 302
    all_final.refresh_from_db()
    assert (all_final.record_number, all_final.record_place, all_final.record_date) == (
        "B-77/17000/VS.300/12/2026",
        "Bengkulu",
        signed_on,
    )
    assert all_final.record_lead == ketua_tim
    event = AuditEvent.objects.get(action="lke.sign_off_results")
    assert event.changes["record_number"] == [None, "B-77/17000/VS.300/12/2026"]

    pdf = client.get(PDF + "&number=IGNORED")
    text = " ".join(_pdf_text(pdf.content).split())
    assert pdf["Content-Type"] == "application/pdf"
    assert "BERITA ACARA" in text
    assert "B-77/17000/VS.300/12/2026" in text and "IGNORED" not in text
    assert f"Bengkulu, {signed_on.day} " in text and str(signed_on.year) in text
    assert "Dr. Win Rizal, M.Si" in text and "NIP 196812311990031001" in text
    assert "Siti Aminah, S.ST, M.Stat" in text and "NIP 198001012003122002" in text
    assert village_kaur.village.name in text
    assert "SEMENTARA" not in text  # signed: not provisional


def test_a_provisional_berita_acara_takes_its_record_from_the_form(
    client, ws_rl, ws_kaur, tim_provinsi, ketua_tim, kepala, tim_rejang_lebong
):
    kepala.full_name, kepala.nip = "Dr. Win Rizal, M.Si", "196812311990031001"
    kepala.save()
    verify(ws_rl, None, kabkota=tim_rejang_lebong, province=tim_provinsi)
    client.force_login(tim_provinsi)

    pdf = client.get(PDF, _sign_data(ketua_tim, number="DRAFT-1", place="Curup"))

    text = " ".join(_pdf_text(pdf.content).split())
    assert "DRAFT-1" in text and "Curup," in text
    assert "SEMENTARA" in text
    assert "Dr. Win Rizal, M.Si" in text  # the province head, to sign
    assert ws_kaur.subject_name in text  # listed apart, not ranked


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"number": ""}, "Bidang ini tidak boleh kosong."),
        ({"number": "=HYPERLINK(1)"}, "Gunakan huruf, angka, spasi"),
        ({"place": "   "}, "Bidang ini tidak boleh kosong."),
        ({"date": "2026-13-45"}, "Masukkan tanggal yang valid."),
        (
            {"date": str(timezone.localdate() + datetime.timedelta(days=2))},
            "tidak boleh di masa depan",
        ),
        ({"date": "2020-01-01"}, "tidak boleh sebelum penilaian dibuka"),
    ],
)
def test_a_wrong_record_is_refused_with_a_message_and_nothing_is_signed(
    client, all_final, kepala, ketua_tim, changes, message
):
    client.force_login(kepala)

    response = client.post(SIGN, _sign_data(ketua_tim, **changes))

    assert response.status_code == 400
    assert message in response.content.decode()
    all_final.refresh_from_db()
    assert all_final.signed_off_at is None
    # The provisional PDF checks the same way.
    assert client.get(PDF, _sign_data(ketua_tim, **changes)).status_code == 400


def test_the_signing_lead_must_be_a_team_lead_of_the_province(
    client, all_final, kepala, tim_provinsi
):
    client.force_login(kepala)

    response = client.post(SIGN, _sign_data(tim_provinsi))

    assert response.status_code == 400
    assert all_final.__class__.objects.get(pk=all_final.pk).signed_off_at is None
    with pytest.raises(services.ValidationError):
        services.sign_off_results(all_final, record=record_of(tim_provinsi), by=kepala)
