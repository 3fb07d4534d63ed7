"""Blok II decides what a village fills (#10 pt 3), on the official 2026 instrument: 2a = Tidak
leaves only the green indicators (3, 9) to fill and score, the others hidden, not required,
refused, not counted (their answers kept for 2a = Ya again); 2b is unique per kab/kota office;
1a must match the villages marked Ya (not exceeded at any submission, exact at the office's
last one)."""

import io
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from conftest import desa_in
from lke import services
from lke.models import Instrument, ItemKind, Level, Target, Worksheet
from lke.scoring import (
    block_formulas,
    instrument_tree,
    is_workbook_scored,
    normalised_weight,
    transformation,
    tree_items,
)
from program.models import ParticipatingVillage, VillageKind

GREEN = {"3", "9"}  # the green indicators of Blok III (18, 21, 22 are the office's)


@pytest.fixture
def official(year_2026, village_rejang_lebong, rejang_lebong, ketua_tim):
    call_command("load_instruments", stdout=io.StringIO())
    ParticipatingVillage.objects.create(
        program_year=year_2026,
        village=desa_in(rejang_lebong, 1),
        office=rejang_lebong,
        kind=VillageKind.TAMBAHAN,
    )
    instrument = Instrument.objects.filter(year=2026).order_by("-version").first()
    return services.open_assessment(year_2026, instrument=instrument, by=ketua_tim)


@pytest.fixture
def pair(official, rejang_lebong):
    """The two village worksheets of Rejang Lebong."""
    return list(
        Worksheet.objects.filter(
            assessment=official, office=rejang_lebong, target=Target.VILLAGE
        ).order_by("village__village__code")
    )


def _items(assessment):
    return {i.code: i for i in tree_items(instrument_tree(assessment.instrument, Target.VILLAGE))}


def _save(worksheet, item, by, *, score=None, text="", top=True):
    current = worksheet.answers.filter(item=item, level=Level.SELF).first()
    option = None
    if item.kind == ItemKind.CHOICE:
        options = sorted(item.options.all(), key=lambda o: o.score)
        option = (
            next(o for o in options if o.score == score)
            if score is not None
            else options[-1 if top else 0]
        )
    return services.save_answer(
        worksheet,
        item=item,
        level=Level.SELF,
        option=option,
        text=text,
        version=current.version if current else 0,
        by=by,
    )


def _fill(worksheet, items, by, *, nominated: bool, count="1", rank=""):
    _save(worksheet, items["1.a"], by, text=count)
    _save(worksheet, items["2.a"], by, score=1 if nominated else 0)
    if rank:
        _save(worksheet, items["2.b"], by, text=rank)
    for code, item in items.items():
        if item.kind != ItemKind.CHOICE or code == "2.a":
            continue
        if not nominated and item.indicator.code not in GREEN:
            continue
        _save(worksheet, item, by)
    for item in services.missing_evidence(worksheet):
        services.add_evidence_link(
            worksheet, item=item, url="https://desa.example.id/bukti", title="Bukti", by=by
        )
    worksheet.refresh_from_db()
    return worksheet


def _value(items, codes, block):
    return sum(
        (
            transformation(items[c], items[c].max_score) * normalised_weight(items[c], block)
            for c in codes
            if is_workbook_scored(items[c])
        ),
        Fraction(0),
    )


def test_tidak_leaves_only_the_green_indicators_to_fill_and_score(
    official, pair, tim_rejang_lebong
):
    worksheet, _other = pair
    items = _items(official)
    _save(worksheet, items["5.a"], tim_rejang_lebong)  # answered while still nominated
    _save(worksheet, items["2.a"], tim_rejang_lebong, score=0)
    worksheet.refresh_from_db()

    missing = services.missing_items(worksheet, Level.SELF)
    assert missing and {items[c].indicator.code for c in missing} <= GREEN | {"2"}
    green_choice = [
        c
        for c, i in items.items()
        if i.kind == ItemKind.CHOICE and (i.indicator.code in GREEN or c == "2.a")
    ]
    assert worksheet.required_items == len(green_choice)
    assert worksheet.self_answered == 1  # 2a; the kept 5.a answer is not counted
    with pytest.raises(ValidationError, match="2a = Tidak"):
        _save(worksheet, items["7.a.1"], tim_rejang_lebong)
    with pytest.raises(ValidationError, match="2a = Tidak"):
        _save(worksheet, items["2.b"], tim_rejang_lebong, text="1")

    for code in green_choice:
        if code != "2.a":
            _save(worksheet, items[code], tim_rejang_lebong)
    worksheet.refresh_from_db()
    block = items["3.a"].indicator.aspect.block
    green_codes = [c for c in green_choice if c != "2.a"]
    assert Fraction(str(worksheet.scores["self"]["sum"])) == pytest.approx(
        _value(items, green_codes, block), abs=0.005
    )  # 5.a's top answer, kept, is not in it
    assert not services.missing_items(worksheet, Level.SELF)
    # the maxima shown are the workbook's, whatever a village fills
    declared = {a["code"]: a["declared"] for a in block_formulas(official.instrument)[0]["aspects"]}
    assert declared == {"I": 3.0, "II": 15.33, "III": 10.0}

    _save(worksheet, items["2.a"], tim_rejang_lebong, score=1)  # back to Ya: nothing lost
    worksheet.refresh_from_db()
    assert worksheet.answers.get(item=items["5.a"], level=Level.SELF).option.score == 3
    assert "5.a" not in services.missing_items(worksheet, Level.SELF)
    assert "7.a.1" in services.missing_items(worksheet, Level.SELF)
    assert worksheet.self_answered == len(green_choice) + 1
    assert Fraction(str(worksheet.scores["self"]["sum"])) == pytest.approx(
        _value(items, [*green_codes, "5.a"], block), abs=0.005
    )


def test_a_non_nominated_village_is_submitted_with_the_green_indicators_only(
    official, pair, tim_rejang_lebong
):
    worksheet, other = pair
    items = _items(official)
    _fill(other, items, tim_rejang_lebong, nominated=True, count="1")
    _fill(worksheet, items, tim_rejang_lebong, nominated=False, count="1")
    services.submit_worksheet(worksheet, by=tim_rejang_lebong)
    worksheet.refresh_from_db()
    assert worksheet.status == "submitted"


def test_the_page_hides_the_skipped_indicators_and_2a_reloads_it(
    client, official, pair, tim_rejang_lebong
):
    worksheet, _other = pair
    items = _items(official)
    client.force_login(tim_rejang_lebong)
    _save(worksheet, items["2.a"], tim_rejang_lebong, score=0)
    page = client.get(reverse("lke:worksheet", args=[worksheet.pk])).content.decode()
    assert 'data-testid="item-3.a"' in page and 'data-testid="item-9.a.1"' in page
    assert 'data-testid="item-5.a"' not in page and 'data-testid="skipped-5"' in page
    assert "hanya indikator yang berlatar hijau" in page
    assert 'data-testid="item-2.b"' not in page

    ya = next(o for o in items["2.a"].options.all() if o.score == 1)
    response = client.post(
        reverse("lke:answer", args=[worksheet.pk, items["2.a"].pk]),
        {"level": "self", "version": 1, "option": ya.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Refresh"] == "true"
    page = client.get(reverse("lke:worksheet", args=[worksheet.pk])).content.decode()
    assert 'data-testid="item-5.a"' in page and 'data-testid="skipped-5"' not in page


def test_2b_is_unique_per_office_refused_at_save_naming_the_other_village(
    official, pair, kaur, tim_rejang_lebong
):
    first, second = pair
    items = _items(official)
    for worksheet in pair:
        _save(worksheet, items["2.a"], tim_rejang_lebong, score=1)
    _save(first, items["2.b"], tim_rejang_lebong, text="1")
    with pytest.raises(ValidationError) as refused:
        _save(second, items["2.b"], tim_rejang_lebong, text="1")
    message = " ".join(refused.value.messages)
    assert first.village.village.name in message and "1" in message
    with pytest.raises(ValidationError, match="bilangan bulat"):
        _save(second, items["2.b"], tim_rejang_lebong, text="pertama")
    _save(second, items["2.b"], tim_rejang_lebong, text="2")
    # a village no longer nominated frees its rank
    _save(first, items["2.a"], tim_rejang_lebong, score=0)
    _save(second, items["2.b"], tim_rejang_lebong, text="1")
    assert second.answers.get(item=items["2.b"]).text == "1"


def test_a_rank_taken_since_is_refused_at_submission(official, pair, tim_rejang_lebong):
    first, second = pair
    items = _items(official)
    _fill(first, items, tim_rejang_lebong, nominated=True, count="2", rank="1")
    _fill(second, items, tim_rejang_lebong, nominated=False, count="2")
    _save(second, items["2.a"], tim_rejang_lebong, score=1)  # nominated later
    _save(second, items["2.b"], tim_rejang_lebong, text="2")
    _save(first, items["2.a"], tim_rejang_lebong, score=0)
    _save(second, items["2.b"], tim_rejang_lebong, text="1")  # free while first is Tidak
    _save(first, items["2.a"], tim_rejang_lebong, score=1)  # first nominated again, rank 1 kept
    first.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.submit_worksheet(first, by=tim_rejang_lebong)
    assert second.village.village.name in " ".join(refused.value.messages)


def test_1a_may_not_be_exceeded_at_any_submission_and_must_match_at_the_last(
    official, pair, tim_rejang_lebong
):
    first, second = pair
    items = _items(official)
    _fill(first, items, tim_rejang_lebong, nominated=True, count="1", rank="1")
    _fill(second, items, tim_rejang_lebong, nominated=True, count="1", rank="2")
    with pytest.raises(ValidationError) as refused:
        services.submit_worksheet(first, by=tim_rejang_lebong)
    assert "1a" in refused.value.messages[0]
    assert "1 desa" in refused.value.messages[0] and "2 desa" in refused.value.messages[0]

    _save(second, items["2.a"], tim_rejang_lebong, score=0)
    _save(first, items["1.a"], tim_rejang_lebong, text="2")
    _save(second, items["1.a"], tim_rejang_lebong, text="2")
    services.submit_worksheet(first, by=tim_rejang_lebong)  # 1 of 2 so far: may follow
    second.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.submit_worksheet(second, by=tim_rejang_lebong)  # the last one: must match
    assert "2 desa" in refused.value.messages[0] and "1 desa" in refused.value.messages[0]

    _save(second, items["1.a"], tim_rejang_lebong, text="3")
    with pytest.raises(ValidationError, match="satu jumlah"):
        services.submit_worksheet(second, by=tim_rejang_lebong)


def test_the_api_self_answer_goes_through_the_same_blok2_rules(official, pair, tim_rejang_lebong):
    from django.test import Client

    from api.models import Scope
    from api.services import create_token

    worksheet, _other = pair
    items = _items(official)
    _token, secret = create_token(
        tim_rejang_lebong, name="uji", scope=Scope.READ_WRITE, by=tim_rejang_lebong
    )
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    _save(worksheet, items["2.a"], tim_rejang_lebong, score=0)
    item = items["5.a"]
    response = api.put(
        f"/api/v1/lke/worksheets/{worksheet.pk}/answers/{item.pk}",
        {"version": 0, "option_id": item.options.first().pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "2a = Tidak" in response.json()["errors"][0]["message"]
    assert not worksheet.answers.filter(item=item).exists()
