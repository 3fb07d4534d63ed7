"""The 2026 workbook formula in the system: item, indicator and aspect values per block, NILAI,
the declared defaults and their settings, the 14.a.2 divisor as data, and the formulas and
anomalies on the results and instrument pages. (The cell-by-cell comparison with the workbook
recalculated by LibreOffice is test_oracle.py.)"""

from fractions import Fraction

import pytest
from django.urls import reverse

from lke import services
from lke.models import Item, ItemKind, Target, TotalBasis, Worksheet
from lke.scoring import (
    block_formulas,
    instrument_tree,
    item_anomalies,
    item_nilai,
    required_items,
    score_level,
    score_workbook_block,
)

from .conftest import fill


def _block(instrument, code):
    target = Target.OFFICE if code == "IV" else Target.VILLAGE
    return next(b for b in instrument_tree(instrument, target) if b.code == code)


def _items(block):
    return {
        it.code: it for a in block.aspects.all() for i in a.indicators.all() for it in i.items.all()
    }


def _top(block):
    return {it.pk: it.max_score for it in _items(block).values() if it.kind == ItemKind.CHOICE}


def test_blok_iii_item_value_is_score_over_max_times_weight_over_075(shipped_instruments):
    block = _block(shipped_instruments, "III")
    items = _items(block)
    answers = {items["3.a"].pk: 2, items["4.a"].pk: 2, items["14.a.2"].pk: 3}

    exact = score_workbook_block(block, answers)

    assert exact.items[items["3.a"].pk]["value"] == Fraction(2, 3) * Fraction(1) / Fraction("0.75")
    assert exact.items[items["4.a"].pk]["value"] == Fraction(1) * Fraction("0.5") / Fraction("0.75")
    # 14.a.2 "=F108": divided by 1, so the top answer is worth 3 × 1 ÷ 0.75 = 4
    assert exact.items[items["14.a.2"].pk]["value"] == 4
    indicator_4 = items["4.a"].indicator
    assert exact.indicators[indicator_4.pk]["value"] == Fraction(2, 3)  # 4.b unanswered: 0
    assert exact.aspects["I"]["value"] == Fraction(8, 9) + Fraction(2, 3)


def test_blok_iv_weights_transformation_and_nilai(shipped_instruments):
    block = _block(shipped_instruments, "IV")
    items = _items(block)
    answers = {items["15.a"].pk: 1, items["20.a2"].pk: 1, items["18.a"].pk: 2}

    exact = score_workbook_block(block, answers)

    assert exact.items[items["15.a"].pk] == {
        "weight": Fraction("0.5") / Fraction("7.75"),
        "transformation": 1,
        "value": Fraction("0.5") / Fraction("7.75"),
    }
    assert exact.items[items["20.a2"].pk]["transformation"] == 0  # (1 − 1) ÷ 3
    assert exact.items[items["18.a"].pk]["transformation"] == Fraction(2, 3)
    assert sum(a["weight"] for a in exact.aspects.values()) == 1  # Σ bobot ÷ 7.75
    assert [item_nilai(items["15.a"], s, 4) for s in (1, 0)] == [4.0, 1.0]
    assert item_nilai(items["18.a"], 2, 4) == 2.0
    for code in ("21.a", "21.b", "21.c", "20.a"):
        assert items[code].pk not in exact.items  # answered, no weight
    assert items["20.a1"].kind == ItemKind.TEXT


def test_item_21_is_required_for_every_office_worksheet(shipped_instruments):
    required = {it.code for it in required_items(instrument_tree(shipped_instruments, "office"))}
    assert {"21.a", "21.b", "21.c"} <= required
    assert not {"20.a1", "22.a", "22.d"} & required


def test_totals_follow_the_declared_default_and_its_settings(shipped_instruments):
    block = _block(shipped_instruments, "III")
    top = _top(block)

    assert score_level([block], top).as_json()["total"] == 100.0
    assert score_level([block], top).as_json()["sum"] == 31.0
    block.total_basis = TotalBasis.DECLARED
    assert score_level([block], top).total == round(100 * 31 / (85 / 3), 2) == 109.41
    block.total_basis = TotalBasis.SUM
    assert score_level([block], top).total == 31.0
    block.aspect_value = "percent"
    assert score_level([block], top).aspects == {"I": 100.0, "II": 100.0, "III": 100.0}
    office = _block(shipped_instruments, "IV")
    assert score_level([office], _top(office)).total == 100.0
    assert score_level([office], {}).total == 0.0


def test_a_corrected_divisor_ends_the_anomaly(shipped_instruments):
    block = _block(shipped_instruments, "III")
    assert [a["item"].code for a in item_anomalies([block])] == ["14.a.2"]

    Item.objects.filter(instrument=shipped_instruments, code="14.a.2").update(score_divisor=3)
    block = _block(shipped_instruments, "III")

    assert item_anomalies([block]) == []
    exact = score_workbook_block(block, _top(block))
    assert round(float(exact.attainable), 2) == round(float(exact.declared), 2) == 28.33
    (shown,) = [f for f in block_formulas(shipped_instruments) if f["block"].code == "III"]
    assert shown["attainable"] == shown["declared"] == 28.33


def test_instrument_page_shows_formulas_and_anomalies(client, ketua_tim, shipped_instruments):
    client.force_login(ketua_tim)

    response = client.get(reverse("lke:instrument_detail", args=[shipped_instruments.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="workbook-formula-III"' in body
    # (Indonesian number format: a decimal comma)
    assert "bobot ÷ 0,75" in body and "bobot ÷ 7,75" in body
    assert "3,00" in body and "15,33" in body and "10,00" in body and "28,33" in body
    assert "31,00" in body and "0,6452" in body
    anomaly = body.split('data-testid="formula-anomaly">')[1].split("</li>")[0]
    assert anomaly.startswith("14.a.2")
    notes = body.split('data-testid="instrument-anomalies"')[1]
    assert "=F108" in notes and "25a4" in notes
    assert "(bawaan)" in body


@pytest.fixture
def official_assessment(year_2026, shipped_instruments, ketua_tim, village_rejang_lebong):
    return services.open_assessment(year_2026, instrument=shipped_instruments, by=ketua_tim)


def test_worksheets_of_the_official_instrument_score_as_the_workbook(
    official_assessment, village_rejang_lebong, tim_rejang_lebong
):
    worksheet = Worksheet.objects.get(village=village_rejang_lebong)
    instrument = official_assessment.instrument
    top = {
        it.code: it.max_score for it in required_items(instrument_tree(instrument, Target.VILLAGE))
    }

    fill(worksheet, top, by=tim_rejang_lebong)

    scores = worksheet.level_scores("self")
    assert scores["total"] == 100.0 and scores["sum"] == 31.0
    assert scores["aspects"] == {"I": 3.0, "II": 15.33, "III": 12.67}


def test_results_page_shows_the_workbook_formulas(client, ketua_tim, official_assessment):
    client.force_login(ketua_tim)

    response = client.get(reverse("lke:results"), {"tahun": 2026})

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="workbook-formula-III"' in body
    assert 'data-testid="workbook-formula-IV"' in body
    assert "=IF(F=1,4,1)" in body


def test_worksheet_pages_and_exports_of_the_official_instrument_open(
    client, ketua_tim, official_assessment, village_rejang_lebong
):
    client.force_login(ketua_tim)
    for worksheet in Worksheet.objects.filter(assessment=official_assessment):
        page = client.get(reverse("lke:worksheet", args=[worksheet.pk]))
        assert page.status_code == 200
        assert "14.a.2" in page.content.decode() or worksheet.target == Target.OFFICE
        assert client.get(reverse("lke:worksheet_xlsx", args=[worksheet.pk])).status_code == 200
    assert client.get(reverse("lke:results_xlsx"), {"tahun": 2026}).status_code == 200


def test_the_divisor_can_be_corrected_through_the_instrument_xlsx(shipped_instruments):
    from io import BytesIO

    from openpyxl import load_workbook

    from lke.instrument_data import (
        ALL_COLUMNS,
        check_instrument_data,
        instrument_from_xlsx,
        instrument_to_data,
        instrument_to_xlsx,
    )

    data = instrument_to_data(shipped_instruments)
    book = load_workbook(BytesIO(instrument_to_xlsx(data)))
    sheet = book["Butir"]
    column = ALL_COLUMNS.index("pembagi") + 1
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 2).value == "14.a.2")
    sheet.cell(row, column, 3)
    book["Instrumen"]["B3"] = 2  # versi
    out = BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "lke-2026-v2.xlsx"

    corrected = check_instrument_data(instrument_from_xlsx(out))

    assert corrected["version"] == 2
    items = {
        it["code"]: it
        for b in corrected["blocks"]
        for a in b["aspects"]
        for i in a["indicators"]
        for it in i["items"]
    }
    assert items["14.a.2"]["score_divisor"] == 3
    assert items["20.a2"]["score_offset"] == 1 and items["15.a"]["nilai_rule"] == "binary"
    assert items["3.a"]["rincian"] == "11a"
    unchanged = check_instrument_data(instrument_to_data(shipped_instruments))
    assert corrected["blocks"][2]["weight_base"] == unchanged["blocks"][2]["weight_base"]


def test_blok_iii_answers_show_no_empty_nilai_and_blok_iv_its_rule(
    client, ketua_tim, tim_rejang_lebong, official_assessment, village_rejang_lebong
):
    village = Worksheet.objects.get(village=village_rejang_lebong)
    office = Worksheet.objects.get(assessment=official_assessment, target=Target.OFFICE)
    fill(village, {"3.a": 3}, by=tim_rejang_lebong)
    fill(office, {"15.a": 1, "18.a": 2}, by=tim_rejang_lebong)
    client.force_login(ketua_tim)

    village_page = client.get(reverse("lke:worksheet", args=[village.pk])).content.decode()
    office_page = client.get(reverse("lke:worksheet", args=[office.pk])).content.decode()

    assert "NILAI </span>" not in village_page  # Blok III has no NILAI column
    assert "NILAI 4,00" in office_page and "NILAI 2,00" in office_page
