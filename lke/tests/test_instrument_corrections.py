"""The province corrects its instrument on the instrument's page, without the Django admin
(issue 10 points 2 and 5): the verifiers' checking rules of an item (added, changed, deleted)
and the divisor of an item scored with the workbook's formula. Who may: the admin, and the team
lead of the only province whose assessment uses the instrument; refused once a worksheet using
it is final; every change audited; a stale copy refused; a bad form shown again with the input.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from conftest import make_user
from core.models import AuditEvent, Role
from core.services import audit_events_for
from core.tests.service_permissions import _other_province
from lke import services
from lke.models import Answer, CheckRule, Item, Level, Status, Worksheet
from lke.queries import can_correct_instrument, worksheet_rows
from lke.tests.conftest import small_workbook_data
from program.services import create_program_year

HX = {"HX-Request": "true"}


@pytest.fixture
def instrument(assessment):
    return assessment.instrument


@pytest.fixture
def k1a(instrument) -> Item:
    return Item.objects.get(instrument=instrument, code="k1.a")


@pytest.fixture
def ketua_tim_sumsel(db):
    _other_province()
    return make_user("ketua_tim_sumsel", "1600", Role.KETUA_TIM)


def _add_url(item):
    return reverse("lke:instrument_rule_add", args=[item.instrument_id, item.pk])


def _edit_url(rule):
    return reverse(
        "lke:instrument_rule_edit", args=[rule.item.instrument_id, rule.item_id, rule.pk]
    )


def _delete_url(rule):
    return reverse(
        "lke:instrument_rule_delete", args=[rule.item.instrument_id, rule.item_id, rule.pk]
    )


def _divisor_url(item):
    return reverse("lke:instrument_divisor", args=[item.instrument_id, item.pk])


RULE = {
    "self_score": "4",
    "present": ["notulen", "daftar_hadir"],
    "absent": ["undangan"],
    "confirm": "",
    "score": "2",
    "text": "Skor 4 hanya dengan notulen dan daftar hadir (tanpa undangan): turun 2",
}


# --- the page: add, change, delete with htmx ------------------------------------------------------


def test_team_lead_adds_changes_and_deletes_a_rule_on_the_instrument_page(
    client, ketua_tim, instrument, k1a
):
    client.force_login(ketua_tim)

    page = client.get(reverse("lke:instrument_detail", args=[instrument.pk])).content.decode()
    added = client.post(_add_url(k1a), RULE, headers=HX)

    assert _add_url(k1a) in page  # the add form of k1.a is on the page
    assert added.status_code == 200
    rule = CheckRule.objects.get(item=k1a)
    assert (rule.self_score, rule.present, rule.absent, rule.score, rule.text, rule.version) == (
        4,
        ["notulen", "daftar_hadir"],
        ["undangan"],
        2,
        RULE["text"],
        1,
    )
    fragment = added.content.decode()
    assert fragment.startswith('<div class="lke-rules" id="aturan-')  # only the item's rules
    assert 'data-testid="rules-saved"' in fragment and RULE["text"] in fragment
    event = AuditEvent.objects.get(action="lke_instrument.rule_add")
    assert (event.actor, event.object_id) == (ketua_tim, str(instrument.pk))
    assert event.changes["k1.a · check rule"][0] is None
    assert RULE["text"] in event.changes["k1.a · check rule"][1]

    changed = client.post(
        _edit_url(rule), RULE | {"self_score": "", "score": "1", "version": "1"}, headers=HX
    )

    assert changed.status_code == 200
    rule.refresh_from_db()
    assert (rule.self_score, rule.score, rule.version) == (None, 1, 2)
    event = AuditEvent.objects.get(action="lke_instrument.rule_update")
    old, new = event.changes["k1.a · check rule"]
    assert "4" in old and "→ skor 2" in old and "→ skor 1" in new

    deleted = client.post(_delete_url(rule), {"version": "2"}, headers=HX)

    assert deleted.status_code == 200
    assert not CheckRule.objects.filter(item=k1a).exists()
    event = AuditEvent.objects.get(action="lke_instrument.rule_delete")
    assert event.changes["k1.a · check rule"][1] is None
    assert [e.action for e in audit_events_for(instrument)][:3] == [
        "lke_instrument.rule_delete",
        "lke_instrument.rule_update",
        "lke_instrument.rule_add",
    ]
    history = client.get(reverse("lke:instrument_detail", args=[instrument.pk])).content.decode()
    assert "Aturan pemeriksaan instrumen dihapus" in history  # the history reads in Indonesian


def test_the_forms_open_on_demand_with_the_rule_as_it_is_now(client, ketua_tim, k1a):
    rule = CheckRule.objects.create(
        item=k1a, self_score=3, score=1, absent=["sk_agen"], text="Tanpa SK", version=4
    )
    client.force_login(ketua_tim)

    page = client.get(reverse("lke:instrument_detail", args=[k1a.instrument_id])).content.decode()
    edit = client.get(_edit_url(rule), headers=HX).content.decode()
    new = client.get(_add_url(k1a), headers=HX).content.decode()
    plain = client.get(_edit_url(rule)).content.decode()

    assert 'data-testid="rule-form"' not in page  # the page carries no form per item
    assert f'hx-get="{_edit_url(rule)}"' in page and f'hx-get="{_add_url(k1a)}"' in page
    assert edit.startswith("<form") and 'name="version" value="4"' in edit
    assert ">Tanpa SK</textarea>" in edit
    assert f'value="sk_agen" id="rule{rule.pk}-absent-sk_agen" checked' in edit
    assert '<option value="3" selected>' in edit and '<option value="1" selected>' in edit
    assert new.startswith("<form") and f'action="{_add_url(k1a)}"' in new
    assert "<!doctype html>" in plain and '<details class="lke-rule-edit" open>' in plain


def test_another_provinces_team_lead_gets_no_form(client, ketua_tim_sumsel, k1a):
    client.force_login(ketua_tim_sumsel)

    assert client.get(_add_url(k1a), headers=HX).status_code == 403


def test_without_htmx_a_saved_rule_goes_back_to_the_item(client, admin_provinsi, k1a):
    client.force_login(admin_provinsi)

    response = client.post(_add_url(k1a), RULE)

    assert response.status_code == 302
    assert response["Location"].endswith(f"#aturan-{k1a.pk}")
    assert CheckRule.objects.filter(item=k1a, score=2).exists()


def test_the_edited_rule_is_what_the_verifier_then_applies(
    ws_rl, k1a, ketua_tim, tim_rejang_lebong, tim_provinsi
):
    services.save_answer(
        ws_rl,
        item=k1a,
        level=Level.SELF,
        option=k1a.options.get(score=4),
        version=0,
        by=tim_rejang_lebong,
    )
    for kind in ("notulen", "daftar_hadir"):
        services.add_evidence_link(
            ws_rl,
            item=k1a,
            url=f"https://desa.example/{kind}",
            title=kind,
            document=kind,
            by=tim_rejang_lebong,
        )
    rule = services.add_check_rule(
        k1a.instrument, item=k1a, values=RULE | {"score": "3", "text": "Lama"}, by=ketua_tim
    )
    Worksheet.objects.filter(pk=ws_rl.pk).update(status=Status.PROVINCIAL_VERIFICATION)
    worksheet = Worksheet.objects.get(pk=ws_rl.pk)

    services.update_check_rule(
        rule, values=RULE | {"text": "Tanpa undangan: turun 2"}, version=1, by=ketua_tim
    )
    rule.refresh_from_db()
    shown = [
        row
        for block in worksheet_rows(worksheet)["blocks"]
        for aspect in block["aspects"]
        for indicator in aspect["indicators"]
        for row in indicator["rows"]
        if row.item.pk == k1a.pk
    ][0]
    answer = services.apply_check_rule(worksheet, rule=rule, version=0, by=tim_provinsi)

    assert [(r.score, r.text) for r in shown.applicable_rules] == [(2, "Tanpa undangan: turun 2")]
    assert (answer.option.score, answer.reason) == (2, "Tanpa undangan: turun 2")
    assert Answer.objects.get(worksheet=worksheet, item=k1a, level=Level.PROVINCIAL).reason == (
        "Tanpa undangan: turun 2"
    )


def test_a_deleted_rule_is_no_longer_offered_and_its_answers_stay(
    ws_rl, k1a, ketua_tim, tim_rejang_lebong, tim_provinsi
):
    services.save_answer(
        ws_rl,
        item=k1a,
        level=Level.SELF,
        option=k1a.options.get(score=4),
        version=0,
        by=tim_rejang_lebong,
    )
    rule = services.add_check_rule(
        k1a.instrument,
        item=k1a,
        values={"score": "1", "absent": ["sk_agen"], "text": "Tanpa SK: 1"},
        by=ketua_tim,
    )
    Worksheet.objects.filter(pk=ws_rl.pk).update(status=Status.PROVINCIAL_VERIFICATION)
    worksheet = Worksheet.objects.get(pk=ws_rl.pk)
    services.apply_check_rule(worksheet, rule=rule, version=0, by=tim_provinsi)

    services.delete_check_rule(rule, version=1, by=ketua_tim)

    with pytest.raises(ValidationError):
        services.apply_check_rule(worksheet, rule=rule, version=1, by=tim_provinsi)
    kept = Answer.objects.get(worksheet=worksheet, item=k1a, level=Level.PROVINCIAL)
    assert (kept.option.score, kept.reason) == (1, "Tanpa SK: 1")


# --- who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who",
    [
        "tim_rejang_lebong",
        "pimpinan_rejang_lebong",
        "viewer_rejang_lebong",
        "viewer_provinsi",
        "tim_provinsi",
        "kepala",
    ],
)
def test_other_roles_are_refused_and_change_nothing(request, client, who, k1a):
    user = request.getfixturevalue(who)
    rule = CheckRule.objects.create(item=k1a, score=1, absent=["sk_agen"], text="Tanpa SK")
    client.force_login(user)
    audit_rows = AuditEvent.objects.count()

    responses = [
        client.post(_add_url(k1a), RULE, headers=HX),
        client.post(_edit_url(rule), RULE | {"version": "1"}, headers=HX),
        client.post(_delete_url(rule), {"version": "1"}, headers=HX),
        client.post(_divisor_url(k1a), {"divisor": "2", "version": "1"}),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert list(CheckRule.objects.filter(item=k1a).values_list("pk", "score", "version")) == [
        (rule.pk, 1, 1)
    ]
    assert AuditEvent.objects.count() == audit_rows


def test_another_provinces_team_lead_may_not_change_an_instrument_this_province_uses(
    client, ketua_tim_sumsel, k1a
):
    client.force_login(ketua_tim_sumsel)

    page = client.get(reverse("lke:instrument_detail", args=[k1a.instrument_id]))
    response = client.post(_add_url(k1a), RULE, headers=HX)

    assert page.status_code == 200  # the instruments are shared: they read it
    assert _add_url(k1a) not in page.content.decode()  # no form to change it
    assert response.status_code == 403
    assert not CheckRule.objects.filter(item=k1a).exists()
    with pytest.raises(PermissionDenied):
        services.add_check_rule(k1a.instrument, item=k1a, values=RULE, by=ketua_tim_sumsel)


def test_an_instrument_two_provinces_use_is_corrected_by_the_admin_only(
    ketua_tim, ketua_tim_sumsel, admin_provinsi, k1a
):
    sumsel = ketua_tim_sumsel.memberships.get().office
    year = create_program_year(sumsel, year=2026, by=None)
    services.open_assessment(year, instrument=k1a.instrument, by=ketua_tim_sumsel)

    assert not can_correct_instrument(ketua_tim, k1a.instrument)
    assert not can_correct_instrument(ketua_tim_sumsel, k1a.instrument)
    assert can_correct_instrument(admin_provinsi, k1a.instrument)
    with pytest.raises(PermissionDenied):
        services.add_check_rule(k1a.instrument, item=k1a, values=RULE, by=ketua_tim)
    services.add_check_rule(k1a.instrument, item=k1a, values=RULE, by=admin_provinsi)
    assert CheckRule.objects.filter(item=k1a).count() == 1


def test_an_unused_instrument_is_corrected_by_any_team_lead(ketua_tim_sumsel, small_instrument):
    item = Item.objects.get(instrument=small_instrument, code="k1.a")

    services.add_check_rule(small_instrument, item=item, values=RULE, by=ketua_tim_sumsel)

    assert CheckRule.objects.filter(item=item).count() == 1


def test_a_service_refuses_the_system_actor(k1a):
    with pytest.raises(PermissionDenied):
        services.add_check_rule(k1a.instrument, item=k1a, values=RULE, by=None)


# --- a final worksheet locks the instrument -------------------------------------------------------


def test_no_change_once_a_worksheet_using_the_instrument_is_finalised(
    client, ketua_tim, ws_kaur, k1a
):
    rule = CheckRule.objects.create(item=k1a, score=1, absent=["sk_agen"], text="Tanpa SK")
    Worksheet.objects.filter(pk=ws_kaur.pk).update(status=Status.FINALISED)
    client.force_login(ketua_tim)

    page = client.get(reverse("lke:instrument_detail", args=[k1a.instrument_id])).content.decode()
    edit = client.post(_edit_url(rule), RULE | {"version": "1"}, headers=HX)
    plain = client.post(_add_url(k1a), RULE)

    assert "sudah difinalisasi atau ditandatangani" in page
    assert _edit_url(rule) not in page and _add_url(k1a) not in page  # no forms while locked
    assert edit.status_code == 200  # htmx: the refusal shows in the item's rules
    assert "1 lembar kerja" in edit.content.decode()
    assert plain.status_code == 409
    assert RULE["text"] in plain.content.decode()  # the input is not lost
    rule.refresh_from_db()
    assert (rule.score, rule.version) == (1, 1)
    assert CheckRule.objects.filter(item=k1a).count() == 1
    assert not AuditEvent.objects.filter(action__startswith="lke_instrument.rule").exists()


def test_a_signed_off_worksheet_locks_it_too(ketua_tim, ws_rl, k1a):
    Worksheet.objects.filter(pk=ws_rl.pk).update(status=Status.SIGNED_OFF)

    with pytest.raises(ValidationError) as refused:
        services.add_check_rule(k1a.instrument, item=k1a, values=RULE, by=ketua_tim)

    assert "difinalisasi atau ditandatangani" in " ".join(refused.value.messages)
    assert not CheckRule.objects.filter(item=k1a).exists()


# --- bad input and stale copies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"score": "7"}, "score", "7 bukan skor butir k1.a; skor jawabannya 4, 3, 2, 1."),
        ({"self_score": "0"}, "self_score", "0 bukan skor butir k1.a"),
        ({"score": ""}, "score", "Pilih skor yang diberikan aturan."),
        ({"present": ["surat_cinta"]}, "present", "Jenis bukti tidak dikenal: surat_cinta."),
        ({"absent": ["notulen"]}, "absent", "Notulen tidak dapat sekaligus ada dan tidak ada."),
        ({"text": "   "}, "text", "Tuliskan teks aturan"),
        ({"text": "x" * 2001}, "text", "paling banyak 2000 karakter"),
        ({"present": [], "absent": [], "confirm": ""}, "present", "Sebutkan bukti yang diperiksa"),
        ({"score": "4"}, "score", "mengubah apa pun"),
        ({"self_score": "", "score": "4"}, "score", "4 adalah skor tertinggi butir k1.a"),
    ],
)
def test_a_bad_rule_is_refused_with_a_clear_message(ketua_tim, k1a, values, field, message):
    with pytest.raises(ValidationError) as refused:
        services.add_check_rule(k1a.instrument, item=k1a, values=RULE | values, by=ketua_tim)

    assert message in " ".join(refused.value.message_dict[field])
    assert not CheckRule.objects.filter(item=k1a).exists()
    assert not AuditEvent.objects.filter(action="lke_instrument.rule_add").exists()


def test_a_text_item_has_no_rules(ketua_tim, instrument):
    text_item = Item.objects.get(instrument=instrument, code="k1.t")

    with pytest.raises(ValidationError) as refused:
        services.add_check_rule(instrument, item=text_item, values=RULE, by=ketua_tim)

    assert "tidak dijawab dengan pilihan" in " ".join(refused.value.messages)


def test_an_item_of_an_unscored_block_has_no_rules(client, ketua_tim, instrument):
    nomination = Item.objects.get(instrument=instrument, code="n.1")  # Blok "N", not scored
    client.force_login(ketua_tim)

    page = client.get(reverse("lke:instrument_detail", args=[instrument.pk])).content.decode()
    with pytest.raises(ValidationError) as refused:
        services.add_check_rule(
            instrument,
            item=nomination,
            values=RULE | {"self_score": "1", "score": "0"},
            by=ketua_tim,
        )

    assert _add_url(nomination) not in page
    assert "blok yang tidak dinilai" in " ".join(refused.value.messages)


def test_an_item_of_another_instrument_is_not_found(client, ketua_tim, k1a, small_data):
    other = services.create_instrument(small_data | {"version": 11}, by=None)
    client.force_login(ketua_tim)

    response = client.post(
        reverse("lke:instrument_rule_add", args=[other.pk, k1a.pk]), RULE, headers=HX
    )

    assert response.status_code == 404
    with pytest.raises(ValidationError):
        services.add_check_rule(other, item=k1a, values=RULE, by=ketua_tim)


def test_a_bad_form_comes_back_with_the_input_and_the_errors(client, ketua_tim, k1a):
    client.force_login(ketua_tim)
    typed = RULE | {"score": "9", "absent": ["notulen", "undangan"], "text": "Teks saya"}

    with_htmx = client.post(_add_url(k1a), typed, headers=HX).content.decode()
    without = client.post(_add_url(k1a), typed)

    assert 'data-testid="rules-error"' in with_htmx
    assert "Aturan tidak disimpan" in with_htmx
    assert "9 bukan skor butir k1.a" in with_htmx
    assert "tidak dapat sekaligus ada dan tidak ada" in with_htmx
    assert ">Teks saya</textarea>" in with_htmx  # what was typed is still there
    assert f'value="notulen" id="newrule{k1a.pk}-absent-notulen" checked' in with_htmx
    assert '<details class="lke-rule-edit" open>' in with_htmx  # the form stays open
    assert without.status_code == 400
    assert ">Teks saya</textarea>" in without.content.decode()
    assert not CheckRule.objects.filter(item=k1a).exists()


def test_a_stale_edit_is_refused_and_the_other_change_stays(client, ketua_tim, admin_provinsi, k1a):
    rule = services.add_check_rule(k1a.instrument, item=k1a, values=RULE, by=ketua_tim)
    services.update_check_rule(rule, values=RULE | {"score": "1"}, version=1, by=admin_provinsi)
    client.force_login(ketua_tim)

    response = client.post(
        _edit_url(rule), RULE | {"score": "3", "text": "Versi saya", "version": "1"}, headers=HX
    )

    html = response.content.decode()
    assert "Orang lain mengubah aturan pemeriksaan butir k1.a" in html
    assert ">Versi saya</textarea>" in html  # the input is kept, beside the rule as it is now
    assert 'name="version" value="2"' in html
    rule.refresh_from_db()
    assert (rule.score, rule.version) == (1, 2)
    with pytest.raises(services.StaleEditError):
        services.delete_check_rule(rule, version=1, by=ketua_tim)
    assert CheckRule.objects.filter(pk=rule.pk).exists()


def test_editing_a_rule_deleted_meanwhile_keeps_the_input_in_a_new_rule(client, ketua_tim, k1a):
    rule = services.add_check_rule(k1a.instrument, item=k1a, values=RULE, by=ketua_tim)
    services.delete_check_rule(rule, version=1, by=ketua_tim)
    client.force_login(ketua_tim)

    response = client.post(
        _edit_url(rule), RULE | {"text": "Versi saya", "version": "1"}, headers=HX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "menghapus aturan pemeriksaan butir k1.a" in html
    assert ">Versi saya</textarea>" in html
    assert not CheckRule.objects.filter(item=k1a).exists()


def test_an_edit_that_changes_nothing_writes_nothing(ketua_tim, k1a):
    rule = services.add_check_rule(k1a.instrument, item=k1a, values=RULE, by=ketua_tim)

    services.update_check_rule(rule, values=RULE, version=1, by=ketua_tim)

    rule.refresh_from_db()
    assert rule.version == 1
    assert not AuditEvent.objects.filter(action="lke_instrument.rule_update").exists()


def test_an_imported_rule_changed_by_the_province_no_longer_names_its_workbook_row(ketua_tim, k1a):
    rule = CheckRule.objects.create(
        item=k1a, score=1, absent=["sk_agen"], text="Tanpa SK", source_row=40
    )

    services.update_check_rule(rule, values={**RULE, "text": "Teks baru"}, version=1, by=ketua_tim)

    rule.refresh_from_db()
    assert (rule.text, rule.source_row) == ("Teks baru", None)


# --- the divisor (issue 10 point 2) ---------------------------------------------------------------


@pytest.fixture
def workbook_assessment(year_2026, ketua_tim, village_rejang_lebong, village_kaur):
    instrument = services.create_instrument(small_workbook_data(), by=None)
    return services.open_assessment(year_2026, instrument=instrument, by=ketua_tim)


def test_the_team_lead_corrects_a_divisor_and_every_worksheet_is_scored_again(
    client, ketua_tim, tim_rejang_lebong, workbook_assessment, village_rejang_lebong
):
    instrument = workbook_assessment.instrument
    k2a = Item.objects.get(instrument=instrument, code="k2.a")
    worksheet = Worksheet.objects.get(village=village_rejang_lebong)
    services.save_answer(
        worksheet,
        item=k2a,
        level=Level.SELF,
        option=k2a.options.get(score=4),
        version=0,
        by=tim_rejang_lebong,
    )
    worksheet.refresh_from_db()
    before = worksheet.scores["self"]["sum"]
    client.force_login(ketua_tim)

    page = client.get(reverse("lke:instrument_detail", args=[instrument.pk])).content.decode()
    response = client.post(_divisor_url(k2a), {"divisor": "4", "version": "1"})

    assert 'data-testid="formula-anomaly"' in page  # k2.a divided by 1, listed as a slip
    assert _divisor_url(k2a) in page
    assert response.status_code == 302
    k2a.refresh_from_db()
    assert (k2a.score_divisor, k2a.version) == (Decimal("4"), 2)
    worksheet.refresh_from_db()
    # k2.a: (4 − 0) ÷ 1 × 1 = 4 before, (4 − 0) ÷ 4 × 1 = 1 after
    assert (before, worksheet.scores["self"]["sum"]) == (4.0, 1.0)
    event = AuditEvent.objects.get(action="lke_instrument.divisor")
    assert (event.actor, event.changes) == (ketua_tim, {"k2.a · divisor": ["1", "4"]})
    rescored = AuditEvent.objects.filter(action="lke.rescore")
    assert (
        rescored.count()
        == Worksheet.objects.filter(assessment=workbook_assessment, target="village").count()
    )
    mine = rescored.get(object_id=str(worksheet.pk))
    assert mine.changes["k2.a · divisor"] == ["1", "4"]
    assert mine.office == worksheet.office
    after = client.get(reverse("lke:instrument_detail", args=[instrument.pk])).content.decode()
    assert 'data-testid="formula-anomaly"' not in after  # corrected: no slip left
    assert "dihitung ulang" in after  # the message and the history say what happened


def test_an_empty_divisor_means_the_score_range(ketua_tim, workbook_assessment):
    k2a = Item.objects.get(instrument=workbook_assessment.instrument, code="k2.a")

    services.set_item_divisor(k2a, divisor="", version=1, by=ketua_tim)

    k2a.refresh_from_db()
    assert k2a.score_divisor is None
    event = AuditEvent.objects.get(action="lke_instrument.divisor")
    assert event.changes["k2.a · divisor"] == ["1", "4 (rentang skor)"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "Pembagi harus berupa angka di atas 0"),
        ("-2", "Pembagi harus berupa angka di atas 0"),
        ("tiga", "Pembagi harus berupa angka di atas 0"),
        ("1.2345", "paling banyak 3 desimal"),
        ("99999", "paling banyak 3 desimal"),
    ],
)
def test_a_bad_divisor_is_refused_and_shown_again(
    client, ketua_tim, workbook_assessment, typed, message
):
    k2a = Item.objects.get(instrument=workbook_assessment.instrument, code="k2.a")
    client.force_login(ketua_tim)

    response = client.post(_divisor_url(k2a), {"divisor": typed, "version": "1"})

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert f'value="{typed}"' in html
    assert f'href="#aturan-{k2a.pk}">Butir k2.a</a>' in html  # named at the top of the page
    k2a.refresh_from_db()
    assert (k2a.score_divisor, k2a.version) == (Decimal("1"), 1)
    assert not AuditEvent.objects.filter(action="lke_instrument.divisor").exists()


def test_a_comma_is_read_as_the_decimal_point(ketua_tim, workbook_assessment):
    k2a = Item.objects.get(instrument=workbook_assessment.instrument, code="k2.a")

    services.set_item_divisor(k2a, divisor="1,5", version=1, by=ketua_tim)

    k2a.refresh_from_db()
    assert k2a.score_divisor == Decimal("1.5")


def test_a_stale_divisor_is_refused(ketua_tim, admin_provinsi, workbook_assessment):
    k2a = Item.objects.get(instrument=workbook_assessment.instrument, code="k2.a")
    services.set_item_divisor(k2a, divisor="3", version=1, by=admin_provinsi)

    with pytest.raises(services.StaleEditError):
        services.set_item_divisor(k2a, divisor="4", version=1, by=ketua_tim)

    k2a.refresh_from_db()
    assert k2a.score_divisor == Decimal("3")


def test_a_divisor_is_only_for_the_workbook_formula(ketua_tim, k1a):
    with pytest.raises(ValidationError) as refused:
        services.set_item_divisor(k1a, divisor="2", version=1, by=ketua_tim)

    assert "tidak dinilai dengan rumus lembar kerja" in " ".join(refused.value.messages)


def test_no_divisor_change_once_a_worksheet_is_finalised(
    ketua_tim, workbook_assessment, village_kaur
):
    Worksheet.objects.filter(village=village_kaur).update(status=Status.FINALISED)
    k2a = Item.objects.get(instrument=workbook_assessment.instrument, code="k2.a")
    scores = list(Worksheet.objects.order_by("pk").values_list("scores", flat=True))

    with pytest.raises(ValidationError):
        services.set_item_divisor(k2a, divisor="4", version=1, by=ketua_tim)

    k2a.refresh_from_db()
    assert k2a.score_divisor == Decimal("1")
    assert list(Worksheet.objects.order_by("pk").values_list("scores", flat=True)) == scores


def test_the_mean_formula_page_offers_no_divisor(client, ketua_tim, instrument):
    client.force_login(ketua_tim)

    page = client.get(reverse("lke:instrument_detail", args=[instrument.pk])).content.decode()

    assert 'data-testid="divisor-form"' not in page
    assert _add_url(Item.objects.get(instrument=instrument, code="k1.a")) in page


def test_the_page_shows_no_inline_style(client, ketua_tim, instrument):
    """The strict CSP refuses inline styles (the console would show an error)."""
    client.force_login(ketua_tim)

    page = client.get(reverse("lke:instrument_detail", args=[instrument.pk])).content.decode()

    assert "style=" not in page


def test_the_shipped_2026_rules_show_on_its_page(client, ketua_tim, shipped_instruments):
    client.force_login(ketua_tim)

    page = client.get(reverse("lke:instrument_detail", args=[shipped_instruments.pk]))

    html = page.content.decode()
    assert (
        html.count('data-testid="rule"')
        == CheckRule.objects.filter(item__instrument=shipped_instruments).count()
    )
    item = Item.objects.get(instrument=shipped_instruments, code="14.a.2")
    assert _divisor_url(item) in html


def test_a_rule_changed_since_the_verifier_opened_the_worksheet_is_not_applied(
    client, ws_rl, k1a, ketua_tim, tim_rejang_lebong, tim_provinsi
):
    services.save_answer(
        ws_rl,
        item=k1a,
        level=Level.SELF,
        option=k1a.options.get(score=4),
        version=0,
        by=tim_rejang_lebong,
    )
    rule = services.add_check_rule(
        k1a.instrument,
        item=k1a,
        values={"score": "2", "absent": ["sk_agen"], "text": "Tanpa SK: 2"},
        by=ketua_tim,
    )
    Worksheet.objects.filter(pk=ws_rl.pk).update(status=Status.PROVINCIAL_VERIFICATION)
    client.force_login(tim_provinsi)
    page = client.get(reverse("lke:worksheet", args=[ws_rl.pk])).content.decode()
    services.update_check_rule(
        rule,
        values={"score": "1", "absent": ["sk_agen"], "text": "Tanpa SK: 1"},
        version=1,
        by=ketua_tim,
    )
    url = reverse("lke:check_rule", args=[ws_rl.pk, k1a.pk, rule.pk])

    stale = client.post(url, {"version": 0, "rule_version": 1}, headers=HX)
    services.delete_check_rule(rule, version=2, by=ketua_tim)
    gone = client.post(url, {"version": 0, "rule_version": 2}, headers=HX)

    assert 'name="rule_version" value="1"' in page  # the page sends the version it showed
    assert stale.status_code == 200 and gone.status_code == 200  # htmx: the card says why
    for response in (stale, gone):
        assert "diubah atau dihapus di halaman instrumen" in response.content.decode()
    assert not Answer.objects.filter(worksheet=ws_rl, level=Level.PROVINCIAL).exists()


def test_an_edit_in_the_admin_makes_a_copy_opened_on_the_page_stale(
    client, admin_provinsi, ketua_tim, small_instrument
):
    item = Item.objects.get(instrument=small_instrument, code="k2.a")
    rule = CheckRule.objects.create(item=item, score=1, absent=["sk_agen"], text="Tanpa SK")
    client.force_login(admin_provinsi)
    data = {
        "indicator": item.indicator_id,
        "code": "k2.a",
        "text": "Teks baru",
        "kind": "choice",
        "max_score": 4,
        "weight": "1",
        "order": 0,
        "score_offset": 0,
        "options-TOTAL_FORMS": 4,
        "options-INITIAL_FORMS": 4,
        "options-MIN_NUM_FORMS": 0,
        "options-MAX_NUM_FORMS": 1000,
        "check_rules-TOTAL_FORMS": 1,
        "check_rules-INITIAL_FORMS": 1,
        "check_rules-MIN_NUM_FORMS": 0,
        "check_rules-MAX_NUM_FORMS": 1000,
        "check_rules-0-id": rule.pk,
        "check_rules-0-item": item.pk,
        "check_rules-0-order": 0,
        "check_rules-0-present": "[]",
        "check_rules-0-absent": '["sk_agen"]',
        "check_rules-0-score": 2,
        "check_rules-0-text": "Tanpa SK: 2",
    }
    for n, o in enumerate(item.options.all()):
        data |= {
            f"options-{n}-id": o.pk,
            f"options-{n}-item": item.pk,
            f"options-{n}-order": n,
            f"options-{n}-score": o.score,
            f"options-{n}-label": o.label,
        }

    response = client.post(reverse("admin:lke_item_change", args=[item.pk]), data)

    assert response.status_code == 302
    item.refresh_from_db()
    rule.refresh_from_db()
    assert (item.version, rule.version, rule.score) == (2, 2, 2)
    with pytest.raises(services.StaleEditError):
        services.update_check_rule(rule, values=RULE, version=1, by=ketua_tim)
