"""The workbook's evidence rules (#10 pt 4): every Rule Validasi of the official 2026 workbook is
read into data on its item at import (the scores whose answer shows the evidence field), the
one that does not fit its item is listed as an anomaly, the field follows the answer on the
worksheet, and an answer that needs evidence without it blocks submission with one message
naming the items."""

import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lke import services
from lke.instrument_data import INSTRUMENT_DIR, check_instrument_data
from lke.models import Answer, Evidence, Instrument, ItemKind, Level, Target
from lke.rules import RuleError, parse_rule
from lke.scoring import instrument_tree, tree_items
from lke.workbook import note_text, read_official_workbook

WORKBOOK = INSTRUMENT_DIR / "LKE-Penilaian-Desa-Cantik-2026.xlsx"  # the official file, shipped

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize(
    ("text", "scores", "shown"),
    [
        # four answers scored 3–0, the rule on the national form's codes 1–4
        ("IF 21a = 1, tidak muncul field\nIF 21a = 2 - 4, muncul field", [3, 2, 1, 0], [3, 2, 1]),
        ("IF 31b = 1 or 2, tidak muncul x\nIF 31b = 3 or 4, muncul x", [3, 2, 1, 0], [3, 2]),
        # three answers 3–1 on codes 1–4: the two that can show the letter of appointment
        ("IF 11a = 1 or 2, tidak muncul x\nIF 11a = 3 or 4, muncul x", [3, 2, 1], [3, 2]),
        ("IF 23a1 = 0,  tidak muncul x\nIF 23a1 = 1,  muncul x", [1, 0], [1]),
        ("IF 31a = 1-4, muncul field", [4, 3, 2, 1], [4, 3, 2, 1]),
        ("IF 12b1 = 0-1,   tidak muncul field", [1, 0], []),
        ('IF 22b = 1, tidak muncul x\nIF 22b = 2 - 4, muncul x"\n\n\n', [3, 2, 1, 0], [3, 2, 1]),
    ],
)
def test_each_form_of_rule_reads_as_the_scores_that_show_the_field(text, scores, shown):
    assert parse_rule(text, scores)["evidence_scores"] == shown


@pytest.mark.parametrize(
    ("text", "scores"),
    [
        ("IF 34a2= 0,  tidak muncul x\nIF 34a2 = 1,  muncul x", [3, 2, 1, 0]),  # codes too few
        ("IF 5a = 1, muncul x\nIF 5a = 1, tidak muncul x", [1, 0]),  # contradicts itself
        ("bukti dukung wajib", [1, 0]),
        ("IF 5a > 1, muncul x", [1, 0]),
    ],
)
def test_a_rule_that_does_not_read_or_fit_is_refused(text, scores):
    with pytest.raises(RuleError):
        parse_rule(text, scores)


def _rule_texts():
    sheet = openpyxl.load_workbook(WORKBOOK).active
    found = {}
    for row in range(20, sheet.max_row + 1):
        for column in (14, 15):
            value = sheet.cell(row=row, column=column).value
            if isinstance(value, str) and ("muncul" in value or value.startswith("Integer")):
                found[row] = value
    return found


def test_every_rule_of_the_official_workbook_is_data_on_its_item_or_an_anomaly():
    texts = _rule_texts()
    assert len(texts) == 41  # the rule cells of the 2026 workbook (column O, Blok IV column N)
    with open(WORKBOOK, "rb") as upload:
        data = read_official_workbook(upload)
    clean = check_instrument_data(data)
    items = {
        it["source_row"]: it
        for b in clean["blocks"]
        for a in b["aspects"]
        for i in a["indicators"]
        for it in i["items"]
    }
    unread = {n["row"] for n in data["import_notes"] if n["kind"] == "rule_unread"}
    assert unread == {108}  # 14.a.2: a 0/1 rule on an item scored 0–3
    for row in texts:
        item = items[row]
        assert item["validation_rule"].strip() == texts[row].strip()
        if row in unread:
            assert item["evidence_scores"] is None
        elif row == 158:
            assert item["answer_range"] == [1, 99]  # 20.a1 "Integer 1-99"
        else:
            assert isinstance(item["evidence_scores"], list), row
    assert items[22]["evidence_scores"] == [3, 2]  # 3.a: not for "tidak bisa menunjukkan"
    assert items[32]["evidence_scores"] == [3, 2, 1]  # 5.a: not for "Belum dilaksanakan"
    assert items[123]["evidence_scores"] == []  # 16.b.1 Waktu: never
    note = next(n for n in data["import_notes"] if n["kind"] == "rule_unread")
    assert "14.a.2" in note_text(note) and "0–3" in note_text(note)


@pytest.fixture
def official(year_2026, village_rejang_lebong, ketua_tim):
    call_command("load_instruments", stdout=io.StringIO())
    instrument = Instrument.objects.filter(year=2026).order_by("-version").first()
    return services.open_assessment(year_2026, instrument=instrument, by=ketua_tim)


def _items(assessment, target=Target.VILLAGE):
    return {i.code: i for i in tree_items(instrument_tree(assessment.instrument, target))}


def _fill_all(worksheet, items, by, *, top=True):
    for item in items.values():
        if item.kind != ItemKind.CHOICE:
            continue
        options = sorted(item.options.all(), key=lambda o: o.score)
        services.save_answer(
            worksheet,
            item=item,
            level=Level.SELF,
            option=options[-1] if top or item.code == "2.a" else options[0],  # 2a: Ya
            version=0,
            by=by,
        )


def test_the_instrument_page_lists_the_unread_rule(client, official, admin_provinsi):
    client.force_login(admin_provinsi)
    page = client.get(
        reverse("lke:instrument_detail", args=[official.instrument.pk])
    ).content.decode()
    assert "14.a.2" in page and "Rule Validasi" in page and "tidak diterapkan" in page


def test_an_answer_needing_evidence_without_it_blocks_submission_naming_the_items(
    official, village_rejang_lebong, tim_rejang_lebong
):
    worksheet = official.worksheets.get(village=village_rejang_lebong)
    items = _items(official)
    _fill_all(worksheet, items, tim_rejang_lebong)
    needing = [
        c
        for c, i in items.items()
        if i.evidence_scores
        or (i.evidence_scores is None and i.evidence_required and i.kind == ItemKind.CHOICE)
    ]
    assert "3.a" in needing and len(needing) >= 20
    for code in needing[2:]:
        services.add_evidence_link(
            worksheet,
            item=items[code],
            url="https://desa.example.id/b",
            title="b",
            by=tim_rejang_lebong,
        )
    with pytest.raises(ValidationError) as refused:
        services.submit_worksheet(worksheet, by=tim_rejang_lebong)
    message = " ".join(refused.value.messages)
    for code in needing[:2]:
        assert code in message and items[code].text[:30] in message
    assert f"{needing[2]} " not in message  # the items with evidence are not named

    for code in needing[:2]:
        services.add_evidence_link(
            worksheet,
            item=items[code],
            url="https://desa.example.id/a",
            title="a",
            by=tim_rejang_lebong,
        )
    services.submit_worksheet(worksheet, by=tim_rejang_lebong)
    worksheet.refresh_from_db()
    assert worksheet.status == "submitted"


def test_an_answer_the_rule_does_not_name_needs_no_evidence(
    official, village_rejang_lebong, tim_rejang_lebong
):
    worksheet = official.worksheets.get(village=village_rejang_lebong)
    items = _items(official)
    _fill_all(worksheet, items, tim_rejang_lebong, top=False)  # every bottom answer
    needing = services.missing_evidence(worksheet)
    # the bottom answers the rules name (31a = 1-4 always; 3.a "tidak bisa menunjukkan" not)
    assert "3.a" not in [i.code for i in needing]
    assert "10.a" in [i.code for i in needing]
    assert all(
        i.evidence_scores is None or min(o.score for o in i.options.all()) in i.evidence_scores
        for i in needing
    )


def test_the_evidence_field_follows_the_answer_on_the_worksheet(
    client, official, village_rejang_lebong, tim_rejang_lebong
):
    worksheet = official.worksheets.get(village=village_rejang_lebong)
    item = _items(official)["5.a"]  # IF 21a = 1 tidak muncul; 2 - 4 muncul
    client.force_login(tim_rejang_lebong)
    url = reverse("lke:worksheet", args=[worksheet.pk])
    upload = reverse("lke:evidence_link", args=[worksheet.pk, item.pk])

    page = client.get(url).content.decode()
    card = page.split('data-testid="evidence-5.a"', 1)[1].split('data-testid="item-', 1)[0]
    assert upload not in card and "muncul setelah jawaban dipilih" in card

    bottom = min(item.options.all(), key=lambda o: o.score)
    answer_url = reverse("lke:answer", args=[worksheet.pk, item.pk])
    saved = client.post(
        answer_url, {"level": "self", "version": 0, "option": bottom.pk}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'id="bukti-{item.pk}"' in saved and upload not in saved
    assert "tidak memerlukan bukti dukung" in saved

    top = max(item.options.all(), key=lambda o: o.score)
    saved = client.post(
        answer_url, {"level": "self", "version": 1, "option": top.pk}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert upload in saved and 'hx-swap-oob="true"' in saved
    assert "sebelum lembar kerja dikirim" in saved
    assert not Evidence.objects.filter(worksheet=worksheet).exists()

    def missing(body):  # what the "Next step" card, sent along, lists as missing evidence
        card = body.split('data-testid="next-step" hx-swap-oob="true"', 1)[1]
        card = card.split('id="langkah"', 1)[0]
        return card.split('data-testid="missing-evidence">', 1)[1].split("</div>", 1)[0]

    assert "5.a" in missing(saved)
    linked = client.post(
        upload, {"url": "https://desa.example.id/undangan", "title": "Undangan"}, **HTMX
    ).content.decode()
    assert Evidence.objects.filter(worksheet=worksheet, item=item).exists()
    assert "5.a" not in missing(linked)  # the card follows the evidence too, no reload


def test_a_save_that_leaves_the_evidence_field_as_it_was_does_not_send_it_again(
    client, official, village_rejang_lebong, tim_rejang_lebong
):
    """The evidence section (with the documents to link, four queries) is sent again only when
    the answer changes what it shows: between two answers that both show the field, not."""
    worksheet = official.worksheets.get(village=village_rejang_lebong)
    item = _items(official)["5.a"]  # IF 21a = 1 tidak muncul; 2 - 4 muncul
    client.force_login(tim_rejang_lebong)
    answer_url = reverse("lke:answer", args=[worksheet.pk, item.pk])
    options = sorted(item.options.all(), key=lambda o: -o.score)  # top first
    assert all(o.score in item.evidence_scores for o in options[:2])

    def save(option, version):
        with CaptureQueriesContext(connection) as queries:
            body = client.post(
                answer_url,
                {"level": "self", "version": version, "option": option.pk},
                HTTP_HX_REQUEST="true",
            ).content.decode()
        return body, " ".join(q["sql"] for q in queries.captured_queries)

    body, sql = save(options[0], 0)  # no answer → the field: sent
    assert f'id="bukti-{item.pk}"' in body and "reports_report" in sql
    body, sql = save(options[1], 1)  # another answer that shows it: not sent
    assert f'id="bukti-{item.pk}"' not in body and "reports_report" not in sql
    assert body.count('hx-swap-oob="true"') == 3  # the summary, the progress, the next step
    assert Answer.objects.get(worksheet=worksheet, item=item, level="self").option == options[1]
    body, sql = save(options[-1], 2)  # the bottom answer hides it: sent again
    assert f'id="bukti-{item.pk}"' in body and "tidak memerlukan bukti dukung" in body


def test_a_written_text_of_an_item_requiring_evidence_needs_it_an_unwritten_one_not(
    client, official, village_rejang_lebong, tim_rejang_lebong
):
    """6.b (the activities from the identification) asks for the filled questionnaire as its
    BUKTI DUKUNG: once 6.b is written, submission waits for it; left empty, it does not."""
    worksheet = official.worksheets.get(village=village_rejang_lebong)
    items = _items(official)
    six_b = items["6.b"]
    assert six_b.kind == ItemKind.TEXT and six_b.evidence_required
    _fill_all(worksheet, items, tim_rejang_lebong)
    for item in services.missing_evidence(worksheet):
        services.add_evidence_link(
            worksheet, item=item, url="https://desa.example.id/b", title="b", by=tim_rejang_lebong
        )
    assert services.missing_evidence(worksheet) == []  # 6.b not written yet

    services.save_answer(
        worksheet,
        item=six_b,
        level=Level.SELF,
        text="Pelatihan pengelolaan data desa",
        version=0,
        by=tim_rejang_lebong,
    )
    assert [i.code for i in services.missing_evidence(worksheet)] == ["6.b"]
    client.force_login(tim_rejang_lebong)
    counts = client.get(reverse("lke:worksheet", args=[worksheet.pk])).context["page"]
    assert counts["evidence_required"] == counts["evidence_present"] + 1  # the page counts 6.b
    with pytest.raises(ValidationError) as refused:
        services.submit_worksheet(worksheet, by=tim_rejang_lebong)
    assert "6.b" in " ".join(refused.value.messages)

    services.add_evidence_link(
        worksheet,
        item=six_b,
        url="https://desa.example.id/k",
        title="kuesioner",
        by=tim_rejang_lebong,
    )
    services.submit_worksheet(worksheet, by=tim_rejang_lebong)
    worksheet.refresh_from_db()
    assert worksheet.status == "submitted"
