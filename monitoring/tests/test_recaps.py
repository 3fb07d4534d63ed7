"""The bimonthly Rekap progres: generate (province team) → sign off (kepala), audited; the
snapshot never changes after generation; the trend against the previous recap; what a kab/kota
reader sees; the xlsx and PDF exports."""

import io
from datetime import date, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from conftest import make_user
from core.deadlines import JAKARTA, Status
from core.models import AuditEvent, Office, Region
from core.pdf import lay_out
from monitoring import exports
from monitoring.models import Recap
from monitoring.queries import province_dashboard, recap_items, recap_view
from monitoring.services import generate_recap, sign_recap
from program.models import WorkPlanActivity
from program.services import create_program_year

from .conftest import NOW

pytestmark = pytest.mark.django_db
RECORD = {"number": "B-7/17000/VS.300/05/2026", "place": "Bengkulu"}

frozen = time_machine.travel(NOW, tick=False)
JUNE_1 = datetime(2026, 6, 1, 9, tzinfo=JAKARTA)
JULY_15 = datetime(2026, 7, 15, 9, tzinfo=JAKARTA)


def rows_by_code(recap: Recap) -> dict:
    return {row["office_code"]: row for row in recap.snapshot["rows"]}


def audit_actions(recap: Recap) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type__model="recap", object_id=str(recap.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- services ----------------------------------------------------------------------------------


@frozen
def test_province_team_generates_a_draft_with_a_frozen_snapshot(tim_provinsi, year_2026, plan):
    recap = generate_recap(year_2026, period=3, narrative="Kaur perlu didampingi.", by=tim_provinsi)

    assert (recap.state, recap.period, recap.period_start, recap.period_end) == (
        Recap.State.DRAFT,
        3,
        date(2026, 5, 1),
        date(2026, 6, 30),
    )
    assert (recap.generated_by, recap.generated_at, recap.narrative) == (
        tim_provinsi,
        NOW,
        "Kaur perlu didampingi.",
    )
    rows = rows_by_code(recap)
    assert len(rows) == 11  # every kab/kota and the province office
    rl = rows["1702"]["activities"]["rencana_kerja"]
    assert (rl["expected"], rl["done"], rl["completeness"], rl["timeliness"]) == (3, 2, 66.7, 50.0)
    assert rows["1702"]["rag"] == "amber"
    assert rows["1704"]["rag"] == "red"
    assert recap.snapshot["totals"]["total"]["overdue"] == 4
    event = AuditEvent.objects.get(action="recap.generate")
    assert (event.actor, event.office_id, event.changes) == (
        tim_provinsi,
        year_2026.province_id,
        {"state": [None, "draft"], "period": [None, 3]},
    )


@frozen
def test_a_signed_recap_marks_its_period_done_on_the_dashboard(
    ketua_tim, kepala, year_2026, plan, province
):
    recap = generate_recap(year_2026, period=2, narrative="", by=ketua_tim)
    assert recap_items(year_2026, [province.pk], now=NOW)[1].status == Status.LEWAT  # a draft
    sign_recap(recap, **RECORD, by=kepala)
    items = recap_items(year_2026, [province.pk], now=NOW)
    # Period 2 ended 30 April; signed 18 May: done, late. Period 1 still overdue.
    assert [i.status for i in items[:3]] == [
        Status.LEWAT,
        Status.TERLAMBAT,
        Status.BELUM_JATUH_TEMPO,
    ]
    row = province_dashboard(ketua_tim, year_2026, now=NOW).row_for(province.pk)
    assert (row.activity("monitoring").done, row.activity("monitoring").overdue) == (1, 1)


@frozen
def test_snapshot_does_not_change_when_the_work_plan_changes(
    client, ketua_tim, year_2026, plan, rejang_lebong
):
    recap = generate_recap(year_2026, period=3, narrative="", by=ketua_tim)
    before = recap.snapshot

    WorkPlanActivity.objects.filter(pk=plan["overdue"].pk).update(realised_on=date(2026, 5, 17))
    WorkPlanActivity.objects.filter(pk=plan["kaur_1"].pk).delete()

    recap.refresh_from_db()
    assert recap.snapshot == before
    live = province_dashboard(ketua_tim, year_2026, now=NOW).row_for(rejang_lebong.pk)
    assert live.activity("rencana_kerja").done == 3
    client.force_login(ketua_tim)
    page = client.get(reverse("monitoring:recap_detail", args=[recap.pk]))
    line = next(ln for ln in page.context["view"].lines if ln.row.office_code == "1702")
    assert line.row.activity("rencana_kerja").done == 2


@frozen
def test_regenerating_a_draft_takes_a_new_snapshot_and_is_audited(ketua_tim, year_2026, plan):
    recap = generate_recap(year_2026, period=3, narrative="Pertama", by=ketua_tim)
    WorkPlanActivity.objects.filter(pk=plan["overdue"].pk).update(realised_on=date(2026, 5, 17))

    with time_machine.travel(datetime(2026, 5, 19, 8, tzinfo=JAKARTA), tick=False):
        again = generate_recap(year_2026, period=3, narrative="Kedua", by=ketua_tim)

    assert again.pk == recap.pk
    assert rows_by_code(again)["1702"]["activities"]["rencana_kerja"]["done"] == 3
    assert again.narrative == "Kedua"
    assert audit_actions(recap) == ["recap.generate", "recap.regenerate"]
    event = AuditEvent.objects.get(action="recap.regenerate")
    assert event.changes["narrative"] == ["Pertama", "Kedua"]


@frozen
def test_kepala_signs_off_and_the_recap_is_locked(kepala, tim_provinsi, year_2026, plan):
    recap = generate_recap(year_2026, period=2, narrative="", by=tim_provinsi)

    sign_recap(recap, **RECORD, by=kepala)

    recap.refresh_from_db()
    assert (recap.state, recap.signed_by, recap.signed_at) == (Recap.State.SIGNED_OFF, kepala, NOW)
    assert audit_actions(recap) == ["recap.generate", "recap.sign_off"]
    with pytest.raises(ValidationError, match="sudah ditandatangani"):
        generate_recap(year_2026, period=2, narrative="ubah", by=tim_provinsi)
    with pytest.raises(ValidationError, match="sudah ditandatangani"):
        sign_recap(recap, **RECORD, by=kepala)
    recap.refresh_from_db()
    assert recap.narrative == ""
    assert audit_actions(recap) == ["recap.generate", "recap.sign_off"]


@frozen
@pytest.mark.parametrize("persona", ["kepala", "viewer_provinsi", "tim_rejang_lebong"])
def test_only_the_province_team_generates(request, persona, year_2026):
    with pytest.raises(PermissionDenied):
        generate_recap(year_2026, period=1, narrative="", by=request.getfixturevalue(persona))
    assert not Recap.objects.exists()


@frozen
@pytest.mark.parametrize("persona", ["tim_provinsi", "ketua_tim", "viewer_provinsi"])
def test_only_kepala_signs_off(request, persona, ketua_tim, year_2026):
    recap = generate_recap(year_2026, period=1, narrative="", by=ketua_tim)
    with pytest.raises(PermissionDenied):
        sign_recap(recap, **RECORD, by=request.getfixturevalue(persona))
    recap.refresh_from_db()
    assert recap.state == Recap.State.DRAFT


@frozen
@pytest.mark.parametrize(
    ("period", "message"), [(4, "belum dimulai"), (7, "tidak ada"), (0, "tidak ada")]
)
def test_periods_not_begun_or_unknown_are_refused(ketua_tim, year_2026, period, message):
    with pytest.raises(ValidationError, match=message):
        generate_recap(year_2026, period=period, narrative="", by=ketua_tim)
    assert not Recap.objects.exists()


# --- trend -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("work_plan_and_recap_only")
@frozen
def test_trend_against_the_previous_recap_in_percentage_points(
    ketua_tim, tim_rejang_lebong, year_2026, plan
):
    first = generate_recap(year_2026, period=3, narrative="", by=ketua_tim)
    # The overdue activity is realised late on 20 May; by 15 July "soon" (20 May) and the
    # extended one (25 May) have run out: done 3 of 5 expected, on time 1 of 3.
    WorkPlanActivity.objects.filter(pk=plan["overdue"].pk).update(realised_on=date(2026, 5, 20))
    with time_machine.travel(JULY_15, tick=False):
        second = generate_recap(year_2026, period=4, narrative="", by=ketua_tim)

    first_view = recap_view(ketua_tim, first)
    assert {ln.row.office_code: ln.trend["completeness"] for ln in first_view.lines}["1702"] is None

    view = recap_view(ketua_tim, second)
    assert view.previous == first
    rl = next(ln for ln in view.lines if ln.row.office_code == "1702")
    assert (rl.row.total.completeness, rl.row.total.timeliness) == (60.0, 33.3)
    assert rl.trend == {"completeness": -6.7, "timeliness": -16.7}
    quiet = next(ln for ln in view.lines if ln.row.office_code == "1701")
    assert quiet.trend == {"completeness": None, "timeliness": None}  # nothing due in either


@pytest.mark.usefixtures("work_plan_and_recap_only")
@frozen
def test_recap_page_shows_the_trend_arrows(client, ketua_tim, year_2026, plan):
    generate_recap(year_2026, period=3, narrative="", by=ketua_tim)
    WorkPlanActivity.objects.filter(pk=plan["overdue"].pk).update(realised_on=date(2026, 5, 20))
    with time_machine.travel(JULY_15, tick=False):
        second = generate_recap(year_2026, period=4, narrative="", by=ketua_tim)
    client.force_login(ketua_tim)
    html = client.get(reverse("monitoring:recap_detail", args=[second.pk])).content.decode()
    assert "▼ 6,7 pp" in html
    assert "▼ 16,7 pp" in html
    assert 'data-testid="trend-completeness">—' in html  # offices with nothing to compare


# --- views -------------------------------------------------------------------------------------


@frozen
def test_recap_list_offers_begun_periods_to_the_team(client, tim_provinsi, kepala, year_2026):
    client.force_login(tim_provinsi)
    response = client.get(reverse("monitoring:recap_list"), {"tahun": 2026})
    assert response.status_code == 200
    assert [n for n, _label in response.context["form"].fields["period"].choices] == [1, 2, 3]
    assert response.content.decode().count('data-testid="period-row"') == 6
    client.force_login(kepala)
    assert client.get(reverse("monitoring:recap_list")).context["form"] is None


@frozen
def test_generate_and_sign_through_the_pages(client, tim_provinsi, kepala, year_2026, plan):
    client.force_login(tim_provinsi)
    response = client.post(
        reverse("monitoring:recap_generate"),
        {"tahun": 2026, "period": 2, "narrative": "Progres baik."},
    )
    recap = Recap.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:recap_detail", args=[recap.pk])
    assert "Tandatangani rekap ini" not in client.get(response["Location"]).content.decode()

    client.force_login(kepala)
    page = client.get(response["Location"]).content.decode()
    assert "Tandatangani rekap ini" in page
    signed = client.post(
        reverse("monitoring:recap_sign", args=[recap.pk]),
        {"number": "  B-7/17000/VS.300/05/2026 ", "place": "Bengkulu"},
    )
    assert signed.status_code == 302
    recap.refresh_from_db()
    assert (recap.state, recap.record_number, recap.record_place) == (
        Recap.State.SIGNED_OFF,
        "B-7/17000/VS.300/05/2026",
        "Bengkulu",
    )
    (event,) = AuditEvent.objects.filter(action="recap.sign_off")
    assert event.changes["record_number"] == ["", "B-7/17000/VS.300/05/2026"]
    page = client.get(response["Location"]).content.decode()
    assert "Kepala" in page and "Buat ulang" not in page


@frozen
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"number": "", "place": "Bengkulu"}, "number", "Isi nomor surat rekap ini."),
        ({"number": "B-7/17000", "place": " "}, "place", "Isi tempat penandatanganan."),
        (
            {"number": "=B-7; DROP", "place": "Bengkulu"},
            "number",
            "Gunakan huruf, angka, spasi, dan . / - saja",
        ),
    ],
)
def test_signing_without_a_proper_number_or_place_is_refused_with_a_message(
    client, kepala, ketua_tim, year_2026, data, field, message
):
    recap = generate_recap(year_2026, period=2, narrative="", by=ketua_tim)
    client.force_login(kepala)

    response = client.post(reverse("monitoring:recap_sign", args=[recap.pk]), data)

    assert response.status_code == 400
    assert message in " ".join(response.context["sign_form"].errors[field])
    recap.refresh_from_db()
    assert (recap.state, recap.record_number) == (Recap.State.DRAFT, "")
    assert not AuditEvent.objects.filter(action="recap.sign_off").exists()


@frozen
def test_the_sign_form_offers_the_place_of_the_last_signature(client, kepala, ketua_tim, year_2026):
    first = generate_recap(year_2026, period=1, narrative="", by=ketua_tim)
    sign_recap(first, number="B-1/17000/VS.300/02/2026", place="Kota Bengkulu", by=kepala)
    second = generate_recap(year_2026, period=2, narrative="", by=ketua_tim)
    client.force_login(kepala)

    form = client.get(reverse("monitoring:recap_detail", args=[second.pk])).context["sign_form"]

    assert form.initial == {"place": "Kota Bengkulu"}


@frozen
def test_regenerating_a_signed_recap_through_the_page_is_refused(
    client, tim_provinsi, kepala, year_2026, plan
):
    recap = generate_recap(year_2026, period=2, narrative="Asli", by=tim_provinsi)
    sign_recap(recap, **RECORD, by=kepala)
    client.force_login(tim_provinsi)
    response = client.post(
        reverse("monitoring:recap_generate"), {"tahun": 2026, "period": 2, "narrative": "Ubah"}
    )
    assert response.status_code == 400
    assert "sudah ditandatangani dan tidak dapat diubah lagi" in response.content.decode()
    recap.refresh_from_db()
    assert recap.narrative == "Asli"


@frozen
def test_generate_with_bad_input_saves_nothing(client, tim_provinsi, year_2026):
    client.force_login(tim_provinsi)
    response = client.post(
        reverse("monitoring:recap_generate"), {"tahun": 2026, "period": "dua", "narrative": ""}
    )
    assert response.status_code == 400
    assert "period" in response.context["form"].errors
    assert not Recap.objects.exists()


@frozen
@pytest.mark.parametrize("persona", ["kepala", "viewer_provinsi", "tim_rejang_lebong"])
def test_generate_page_is_403_for_readers(client, request, persona, year_2026):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(
        reverse("monitoring:recap_generate"), {"tahun": 2026, "period": 1, "narrative": ""}
    )
    assert response.status_code == 403
    assert not Recap.objects.exists()


@frozen
@pytest.mark.parametrize("persona", ["tim_provinsi", "ketua_tim", "pimpinan_rejang_lebong"])
def test_sign_page_is_403_for_anyone_but_kepala(client, request, persona, ketua_tim, year_2026):
    recap = generate_recap(year_2026, period=1, narrative="", by=ketua_tim)
    client.force_login(request.getfixturevalue(persona))
    assert client.post(reverse("monitoring:recap_sign", args=[recap.pk])).status_code == 403
    recap.refresh_from_db()
    assert recap.state == Recap.State.DRAFT


@frozen
def test_recap_urls_refuse_wrong_methods(client, ketua_tim, year_2026):
    recap = generate_recap(year_2026, period=1, narrative="", by=ketua_tim)
    client.force_login(ketua_tim)
    assert client.post(reverse("monitoring:recap_list")).status_code == 405
    assert client.get(reverse("monitoring:recap_generate")).status_code == 405
    assert client.post(reverse("monitoring:recap_detail", args=[recap.pk])).status_code == 405
    assert client.get(reverse("monitoring:recap_sign", args=[recap.pk])).status_code == 405
    assert client.post(reverse("monitoring:recap_xlsx", args=[recap.pk])).status_code == 405
    assert client.post(reverse("monitoring:recap_pdf", args=[recap.pk])).status_code == 405


@frozen
def test_kabkota_reader_sees_only_its_own_row(
    client, ketua_tim, tim_rejang_lebong, year_2026, plan
):
    recap = generate_recap(year_2026, period=2, narrative="Catatan untuk semua.", by=ketua_tim)
    client.force_login(tim_rejang_lebong)

    page = client.get(reverse("monitoring:recap_detail", args=[recap.pk]))
    assert page.status_code == 200
    view = page.context["view"]
    assert [ln.row.office_code for ln in view.lines] == ["1702"]
    assert view.totals is None
    html = page.content.decode()
    assert "Kabupaten Rejang Lebong" in html
    for other in (
        "Kabupaten Kaur",
        "Bengkulu Selatan",
        "Total kabupaten/kota",
        "Provinsi Bengkulu (",
    ):
        assert other not in html
    assert "Catatan untuk semua." in html

    workbook = load_workbook(
        io.BytesIO(client.get(reverse("monitoring:recap_xlsx", args=[recap.pk])).content)
    )
    names = [row[1] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert names == ["BPS Kabupaten Rejang Lebong"]

    html = exports.render_pdf_html(recap_view(tim_rejang_lebong, recap))
    assert "Rejang Lebong" in html and "Kaur" not in html


@frozen
def test_recap_of_another_province_is_404(client, ketua_tim, year_2026):
    region = Region.objects.create(code="18", name="LAMPUNG", level=Region.Level.PROVINSI)
    lampung = Office.objects.create(
        code="1800",
        name="BPS Provinsi Lampung",
        short_name="Lampung",
        kind="provinsi",
        region=region,
    )
    year = create_program_year(lampung, year=2026, by=None)
    lead = make_user("ketua_lampung", "1800", "ketua_tim")
    recap = generate_recap(year, period=1, narrative="", by=lead)
    client.force_login(ketua_tim)
    for name in ("recap_detail", "recap_xlsx", "recap_pdf"):
        assert client.get(reverse(f"monitoring:{name}", args=[recap.pk])).status_code == 404
    assert client.post(reverse("monitoring:recap_sign", args=[recap.pk])).status_code == 404


# --- exports -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("work_plan_and_recap_only")
@frozen
def test_xlsx_holds_the_frozen_rows(client, ketua_tim, kepala, year_2026, plan):
    recap = generate_recap(year_2026, period=3, narrative="Narasi rekap.", by=ketua_tim)
    sign_recap(recap, **RECORD, by=kepala)
    client.force_login(ketua_tim)

    response = client.get(reverse("monitoring:recap_xlsx", args=[recap.pk]))

    assert response["Content-Disposition"] == (
        'attachment; filename="rekap-progres-2026-periode-3.xlsx"'
    )
    workbook = load_workbook(io.BytesIO(response.content))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:7] == (
        "No.",
        "BPS kabupaten/kota",
        "Desa",
        "Rencana kerja: selesai",
        "Rencana kerja: seharusnya",
        "Rencana kerja: kelengkapan",
        "Rencana kerja: ketepatan waktu",
    )
    assert rows[0][-7:] == (
        "Item terbuka",
        "Lewat tenggat",
        "Kelengkapan",
        "Perubahan (poin persen)",
        "Ketepatan waktu",
        "Perubahan (poin persen)",
        "Status",
    )
    by_name = {row[1]: row for row in rows[1:]}
    rl = by_name["BPS Kabupaten Rejang Lebong"]
    assert rl[:7] == (2, "BPS Kabupaten Rejang Lebong", 1, 2, 3, pytest.approx(0.667), 0.5)
    assert rl[-7:] == (4, 1, pytest.approx(0.667), None, 0.5, None, "Kuning")
    assert by_name["BPS Kabupaten Kaur"][-1] == "Merah"
    assert by_name["Total kabupaten/kota"][:3] == (None, "Total kabupaten/kota", 2)
    assert "BPS Provinsi Bengkulu (kegiatan SOP sendiri)" in by_name
    assert len(rows) == 1 + 11 + 1
    info = {row[0]: row[1] for row in workbook["Keterangan"].iter_rows(values_only=True)}
    assert info["Status"] == "Ditandatangani"
    assert info["Ditandatangani oleh"] == "Kepala"
    assert info["Narasi"] == "Narasi rekap."


@frozen
def test_a_formula_typed_into_the_narrative_is_exported_as_text(ketua_tim, kepala, year_2026, plan):
    narrative = '=HYPERLINK("http://x","KLIK")'
    recap = generate_recap(year_2026, period=3, narrative=narrative, by=ketua_tim)

    workbook = load_workbook(io.BytesIO(exports.render_xlsx(recap_view(kepala, recap))))

    info = {row[0].value: row[1] for row in workbook["Keterangan"].iter_rows() if row[1:]}
    assert (info["Narasi"].data_type, info["Narasi"].value) == ("s", "'" + narrative)
    assert info["Data per"].is_date
    figures = {row[1].value: row for row in workbook["Rekap"].iter_rows(min_row=2)}
    rl = figures["BPS Kabupaten Rejang Lebong"]
    assert [(c.data_type, c.value) for c in (rl[0], rl[2], rl[4])] == [
        ("n", 2),
        ("n", 1),
        ("n", 3),
    ]


def pdf_layout(pdf_html: str):
    """The pages WeasyPrint lays out and their text (no PDF text extractor is installed)."""
    document = lay_out(pdf_html)
    texts = []

    def walk(box):
        if getattr(box, "text", None):
            texts.append(box.text)
        for child in getattr(box, "children", []):
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return document.pages, " ".join(texts)


def pdf_text(pdf_html: str) -> str:
    return pdf_layout(pdf_html)[1]


@frozen
def test_pdf_is_a_landscape_a4_with_letterhead_table_and_signature(
    client, ketua_tim, kepala, year_2026, plan
):
    recap = generate_recap(year_2026, period=2, narrative="Narasi rekap.", by=ketua_tim)
    sign_recap(recap, **RECORD, by=kepala)
    client.force_login(kepala)

    response = client.get(reverse("monitoring:recap_pdf", args=[recap.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="rekap-progres-2026-periode-2.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    pages, text = pdf_layout(exports.render_pdf_html(recap_view(kepala, recap)))
    # A4 landscape: 297 × 210 mm in CSS pixels.
    assert {(round(p.width), round(p.height)) for p in pages} == {(1123, 794)}
    for expected in (
        "BADAN PUSAT STATISTIK PROVINSI BENGKULU",
        "Rekap Progres Monitoring Desa Cantik",
        "Periode 2 (1 Maret – 30 April 2026)",
        "BPS Kabupaten Rejang Lebong",
        "BPS Kabupaten Kaur",
        "Narasi rekap.",
        "Kepala BPS Provinsi Bengkulu",
        "Kepala",  # the signer's name
        "Ditandatangani secara elektronik",
    ):
        assert expected in text


@frozen
def test_draft_pdf_says_it_is_not_signed(ketua_tim, year_2026, plan):
    recap = generate_recap(year_2026, period=2, narrative="", by=ketua_tim)
    text = pdf_text(exports.render_pdf_html(recap_view(ketua_tim, recap)))
    assert "DRAF – belum ditandatangani" in text
    assert "Ditandatangani secara elektronik" not in text


@frozen
def test_a_new_recap_is_mailed_to_the_head_to_sign_once(tim_provinsi, kepala, year_2026, plan):
    from core.models import OutgoingMail

    kepala.email = "kepala@bps.go.id"
    kepala.save(update_fields=["email"])

    recap = generate_recap(year_2026, period=2, narrative="", by=tim_provinsi)
    generate_recap(year_2026, period=2, narrative="lagi", by=tim_provinsi)  # a regeneration

    (mail,) = OutgoingMail.objects.all()
    assert mail.to == "kepala@bps.go.id"
    assert mail.subject.startswith("Rekap monitoring siap ditandatangani: Periode 2")
    assert f"/rekap/{recap.pk}/" in mail.body


@frozen
def test_the_recap_of_a_past_period_holds_the_state_at_the_end_of_that_period(
    ketua_tim, year_2026, village_rejang_lebong, rejang_lebong
):
    from monitoring.tests.conftest import activity

    # Period 2 is 1 March – 30 April. One activity realised on its last day, one the day after.
    activity(village_rejang_lebong, "Tepat", date(2026, 4, 20), realised=date(2026, 4, 30))
    activity(village_rejang_lebong, "Sehari sesudah", date(2026, 4, 20), realised=date(2026, 5, 1))

    recap = generate_recap(year_2026, period=2, narrative="", by=ketua_tim)  # on 18 May

    work_plan = rows_by_code(recap)["1702"]["activities"]["rencana_kerja"]
    assert (work_plan["expected"], work_plan["done"], work_plan["overdue"]) == (2, 1, 1)
    live = province_dashboard(ketua_tim, year_2026, now=NOW).row_for(rejang_lebong.pk)
    assert live.activity("rencana_kerja").done == 2  # today both are done
