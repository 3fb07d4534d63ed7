"""The verifiers' checking rules ("Poin penting untuk pemeriksaan bukti dukung") as data of the
instrument: read from the official workbook's BUKTI DUKUNG texts, shown on the verification
page with the kinds of evidence present, and applied with one click through the service."""

import functools

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AuditEvent
from lke import services
from lke.instrument_data import INSTRUMENT_DIR, instrument_to_data
from lke.models import Answer, CheckRule, Evidence, Item, Level, Status, Worksheet
from lke.workbook import read_official_workbook

OFFICIAL = INSTRUMENT_DIR / "LKE-Penilaian-Desa-Cantik-2026.xlsx"
U, N, D, SK = "undangan", "notulen", "daftar_hadir", "sk_agen"


@functools.cache
def _rules() -> dict:
    with open(OFFICIAL, "rb") as handle:
        data = read_official_workbook(handle, name=OFFICIAL.name)
    return {
        it["code"]: it["check_rules"]
        for b in data["blocks"]
        for a in b["aspects"]
        for i in a["indicators"]
        for it in i["items"]
        if it["check_rules"]
    }


def _conditions(code):
    return [
        (r["self_score"], set(r["present"]), set(r["absent"]), r["score"])
        for r in _rules()[code]
        if not r.get("confirm")
    ]


# The drops the workbook writes for 5a and 18a (score 3: −1/−2/−3, score 2: −1/−1/−2, score 1:
# only the undangan −1), as (self score, present, absent, resulting score).
DROPS = [
    (3, {N, D}, {U}, 2),
    (3, {U, N}, {D}, 1),
    (3, {U}, {N, D}, 0),
    (2, {N, D}, {U}, 1),
    (2, {U, N}, {D}, 1),
    (2, {U}, {N, D}, 0),
    (1, {U}, {N, D}, 0),
]


@pytest.mark.parametrize("code", ["5.a", "18.a"])
def test_the_drops_of_5a_and_18a_are_read_from_the_bukti_dukung_text(code):
    assert _conditions(code) == DROPS


def test_no_attendance_list_gives_20a2_one_point():
    assert _conditions("20.a2") == [(None, set(), {D}, 1)]


def test_rules_to_confirm_by_looking_at_the_documents():
    sk = _rules()["3.a"]
    attended = [r for r in _rules()["18.a"] if r.get("confirm")]

    assert [(r["present"], r["confirm"], r["score"]) for r in sk] == [
        ([SK], "SK ditandatangani oleh kepala BPS", 1)
    ]
    assert [(r["present"], r["confirm"], r["score"]) for r in attended] == [
        ([D], "yang hadir es 3 pemda/staf kecamatan", 1)
    ]


def test_only_these_items_carry_rules():
    assert sorted(_rules()) == ["18.a", "20.a2", "3.a", "5.a"]


def test_every_rule_quotes_its_cell():
    sheet = load_workbook(OFFICIAL).active
    for code, rules in _rules().items():
        for rule in rules:
            cells = " ".join(
                " ".join(str(sheet.cell(rule["source_row"], c).value or "").split())
                for c in (11, 12)
            )
            for part in rule["text"].split(": ", 1):
                assert part in cells, (code, part)


def test_a_rule_caps_and_never_raises_a_score():
    rule = CheckRule(self_score=None, present=[], absent=[D], score=1, text="x")
    fixed = CheckRule(self_score=3, present=[N, D], absent=[U], score=2, text="x")

    assert [rule.applies(s, set()) for s in (None, 0, 1, 2, 4)] == [False, False, False, True, True]
    assert rule.applies(4, {D}) is False
    assert fixed.applies(3, {N, D}) is True
    assert fixed.applies(3, {N, D, "dokumentasi"}) is True  # "hanya" counts the three letters
    assert fixed.applies(3, {U, N, D}) is False
    assert fixed.applies(2, {N, D}) is False


# --- the shipped instrument and the verification page -------------------------------------------


@pytest.fixture
def official_ws(shipped_instruments, year_2026, ketua_tim, village_rejang_lebong):
    services.open_assessment(year_2026, instrument=shipped_instruments, by=ketua_tim)
    return Worksheet.objects.get(village=village_rejang_lebong)


def _item(worksheet, code) -> Item:
    return Item.objects.get(instrument=worksheet.assessment.instrument, code=code)


def _self(worksheet, code, score, *, by):
    item = _item(worksheet, code)
    services.save_answer(
        worksheet,
        item=item,
        level=Level.SELF,
        option=item.options.get(score=score),
        version=0,
        by=by,
    )


def _evidence(worksheet, code, *kinds, by):
    for kind in kinds:
        services.add_evidence_link(
            worksheet,
            item=_item(worksheet, code),
            url=f"https://desa.example/{kind}",
            title=kind,
            document=kind,
            by=by,
        )


def _verifying(worksheet):
    Worksheet.objects.filter(pk=worksheet.pk).update(status=Status.PROVINCIAL_VERIFICATION)
    return Worksheet.objects.get(pk=worksheet.pk)


def test_the_shipped_2026_instrument_holds_the_rules(shipped_instruments):
    rules = CheckRule.objects.filter(item__instrument=shipped_instruments)
    by_item = {}
    for rule in rules:
        by_item[rule.item.code] = by_item.get(rule.item.code, 0) + 1

    assert by_item == {"3.a": 1, "5.a": 7, "18.a": 8, "20.a2": 1}
    plain = instrument_to_data(shipped_instruments)
    five_a = next(
        it
        for b in plain["blocks"]
        for a in b["aspects"]
        for i in a["indicators"]
        for it in i["items"]
        if it["code"] == "5.a"
    )
    assert [
        (r["self_score"], set(r["present"]), set(r["absent"]), r["score"])
        for r in five_a["check_rules"]
    ] == DROPS


def test_verifier_sees_the_evidence_kinds_and_applies_the_rule_with_one_click(
    client, official_ws, tim_rejang_lebong, tim_provinsi
):
    _self(official_ws, "5.a", 3, by=tim_rejang_lebong)
    _evidence(official_ws, "5.a", N, D, by=tim_rejang_lebong)
    worksheet = _verifying(official_ws)
    item = _item(worksheet, "5.a")
    rule = CheckRule.objects.get(item=item, self_score=3, score=2)
    client.force_login(tim_provinsi)

    page = client.get(reverse("lke:worksheet", args=[worksheet.pk])).content.decode()
    cache.clear()
    response = client.post(
        reverse("lke:check_rule", args=[worksheet.pk, item.pk, rule.pk]),
        {"version": 0},
        headers={"HX-Request": "true"},
    )

    card = page[page.index(f'id="butir-{item.pk}"') :]
    card = card[: card.index('id="butir-', 10)]
    assert 'data-kind="notulen" data-present="1"' in card
    assert 'data-kind="daftar_hadir" data-present="1"' in card
    assert 'data-kind="undangan" data-present="0"' in card
    assert 'data-kind="sk_agen" data-present="0"' in card
    assert rule.text in card
    assert reverse("lke:check_rule", args=[worksheet.pk, item.pk, rule.pk]) in card
    assert response.status_code == 200
    assert 'data-testid="check-rule-applied"' in response.content.decode()
    verified = Answer.objects.get(worksheet=worksheet, item=item, level=Level.PROVINCIAL)
    assert (verified.option.score, verified.reason, verified.answered_by) == (
        2,
        rule.text,
        tim_provinsi,
    )
    event = AuditEvent.objects.filter(action="lke.answer.provincial").latest("id")
    assert (event.actor, event.reason) == (tim_provinsi, rule.text)
    assert event.changes["5.a · answer"][1].startswith("2: ")
    worksheet.refresh_from_db()
    assert worksheet.provincial_answered == 1


def test_a_rule_that_no_longer_fits_is_refused_and_saves_nothing(
    official_ws, tim_rejang_lebong, tim_provinsi
):
    _self(official_ws, "5.a", 3, by=tim_rejang_lebong)
    _evidence(official_ws, "5.a", U, by=tim_rejang_lebong)
    rule = CheckRule.objects.get(item=_item(official_ws, "5.a"), self_score=3, score=0)
    _evidence(official_ws, "5.a", N, D, by=tim_rejang_lebong)  # the evidence is complete now
    worksheet = _verifying(official_ws)

    with pytest.raises(ValidationError):
        services.apply_check_rule(worksheet, rule=rule, version=0, by=tim_provinsi)

    assert not Answer.objects.filter(worksheet=worksheet, level=Level.PROVINCIAL).exists()


def test_no_daftar_hadir_gives_20a2_its_point_on_the_office_worksheet(
    official_ws, tim_rejang_lebong, tim_provinsi, rejang_lebong
):
    office_ws = Worksheet.objects.get(
        assessment=official_ws.assessment, office=rejang_lebong, target="office"
    )
    _self(office_ws, "20.a2", 4, by=tim_rejang_lebong)
    _evidence(office_ws, "20.a2", N, by=tim_rejang_lebong)
    office_ws = _verifying(office_ws)
    rule = CheckRule.objects.get(item=_item(office_ws, "20.a2"))

    answer = services.apply_check_rule(office_ws, rule=rule, version=0, by=tim_provinsi)

    assert (answer.option.score, answer.reason) == (1, rule.text)


def test_evidence_kind_comes_from_a_report_file_or_a_meeting_document(
    official_ws, tim_rejang_lebong
):
    from types import SimpleNamespace

    from lke.queries import MEETING_DOCUMENT_KINDS

    item = _item(official_ws, "5.a")
    meeting_minutes = SimpleNamespace(
        attachment=None,
        url="https://monev.example/rapat/1/laporan.pdf",
        label="Laporan rapat",
        document=MEETING_DOCUMENT_KINDS["laporan_rapat"],
    )

    evidence = services.add_evidence_document(
        official_ws, item=item, document=meeting_minutes, by=tim_rejang_lebong
    )

    assert Evidence.objects.get(pk=evidence.pk).document == N


def test_an_unknown_document_kind_is_refused(official_ws, tim_rejang_lebong):
    with pytest.raises(ValidationError):
        services.add_evidence_link(
            official_ws,
            item=_item(official_ws, "5.a"),
            url="https://desa.example/x",
            title="x",
            document="surat_cinta",
            by=tim_rejang_lebong,
        )
    assert not Evidence.objects.filter(worksheet=official_ws).exists()
