"""The province's throughput: many worksheets moved at once from the list (one confirmation,
each worksheet through its own service with its own audit rows, the refused ones listed with
the reason), and the worksheet page that saves each answer as it changes (htmx on change, a
no-JS fallback, the summary and the progress bar back with the card, a stale edit refused with
nothing lost, a query count that does not grow with the data)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import desa_in
from core.models import AuditEvent
from lke import services
from lke.models import Answer, Level, Status, Worksheet
from program.models import ParticipatingVillage, VillageKind

from .conftest import answer, fill, item, option

BULK = reverse("lke:bulk") + "?tahun=2026"
HTMX = {"HTTP_HX_REQUEST": "true"}


def submitted(worksheet, kabkota, scores=None):
    fill(worksheet, scores or ({"o.a": 2} if worksheet.village_id is None else None), by=kabkota)
    services.submit_worksheet(worksheet, by=kabkota)
    return worksheet


def audit_actions(worksheet):
    return list(
        AuditEvent.objects.filter(object_id=str(worksheet.pk), action__startswith="lke.")
        .exclude(action__startswith="lke.answer")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_the_index_offers_the_bulk_steps_to_the_province_only(
    client, assessment, ws_rl, tim_provinsi, ketua_tim, tim_rejang_lebong
):
    client.force_login(tim_provinsi)
    page = client.get(reverse("lke:index") + "?tahun=2026")
    assert [name for name, _ in page.context["bulk_actions"]] == [
        "start_verification",
        "accept_self",
    ]
    assert f'name="worksheets" value="{ws_rl.pk}"' in page.content.decode()

    client.force_login(ketua_tim)
    names = [n for n, _ in client.get(reverse("lke:index") + "?tahun=2026").context["bulk_actions"]]
    assert names[-2:] == ["finalise", "verify_and_finalise"]

    client.force_login(tim_rejang_lebong)
    page = client.get(reverse("lke:index") + "?tahun=2026")
    assert page.context["bulk_actions"] == [] and 'name="worksheets"' not in page.content.decode()


def test_one_confirmation_then_each_worksheet_is_verified_and_finalised_on_its_own(
    client, assessment, ws_rl, ws_kaur, ws_office_rl, tim_rejang_lebong, tim_kaur, ketua_tim
):
    submitted(ws_rl, tim_rejang_lebong)
    submitted(ws_office_rl, tim_rejang_lebong)
    fill(ws_kaur, by=tim_kaur)  # self-assessed, not submitted: cannot be verified yet
    client.force_login(ketua_tim)
    chosen = {
        "action": "verify_and_finalise",
        "worksheets": [ws_rl.pk, ws_kaur.pk, ws_office_rl.pk],
    }

    confirm = client.post(BULK, chosen)

    assert confirm.status_code == 200
    outcome = confirm.context["outcome"]
    assert [w.pk for w in outcome.done] == [ws_rl.pk, ws_office_rl.pk] or {
        w.pk for w in outcome.done
    } == {ws_rl.pk, ws_office_rl.pk}
    assert [
        (w.pk, "Mandiri" in reason or "Penilaian mandiri" in reason)
        for w, reason in outcome.refused
    ] == [(ws_kaur.pk, True)]
    body = confirm.content.decode()
    assert 'data-testid="bulk-confirm"' in body and 'data-testid="bulk-reason"' in body
    # The confirmation page changed nothing.
    assert set(Worksheet.objects.values_list("status", flat=True)) == {
        Status.SUBMITTED,
        Status.SELF_ASSESSMENT,
    }
    assert not AuditEvent.objects.filter(
        action__in=["lke.start_verification", "lke.finalise"]
    ).exists()

    done = client.post(BULK, {**chosen, "confirm": "1"})

    assert done.status_code == 200
    for worksheet in (ws_rl, ws_office_rl):
        worksheet.refresh_from_db()
        assert worksheet.status == Status.FINALISED
        assert worksheet.provincial_answered == worksheet.required_items
        assert worksheet.final_snapshot_id is not None
        assert audit_actions(worksheet)[-3:] == [
            "lke.start_verification",
            "lke.accept_self",
            "lke.finalise",
        ]
    ws_kaur.refresh_from_db()
    assert ws_kaur.status == Status.SELF_ASSESSMENT
    assert "lke.start_verification" not in audit_actions(ws_kaur)
    assert [w.pk for w, _ in done.context["outcome"].refused] == [ws_kaur.pk]


def test_a_worksheet_that_fails_midway_is_left_as_it_was_and_the_others_done(
    ws_rl, ws_kaur, tim_rejang_lebong, tim_kaur, tim_provinsi, ketua_tim
):
    submitted(ws_rl, tim_rejang_lebong)
    submitted(ws_kaur, tim_kaur)
    services.start_verification(ws_kaur, by=tim_provinsi)

    # The province team member may start and take over, not finalise.
    outcome = services.apply_to_many([ws_rl, ws_kaur], "verify_and_finalise", by=tim_provinsi)

    assert outcome.done == []
    reasons = {w.pk: r for w, r in outcome.refused}
    assert "Finalisasi" in reasons[ws_rl.pk] or "Finalise" in reasons[ws_rl.pk]
    ws_rl.refresh_from_db()
    ws_kaur.refresh_from_db()
    # All steps of a worksheet or none: the start and the take-over rolled back with it.
    assert (ws_rl.status, ws_rl.provincial_answered) == (Status.SUBMITTED, 0)
    assert (ws_kaur.status, ws_kaur.provincial_answered) == (Status.PROVINCIAL_VERIFICATION, 0)
    assert not AuditEvent.objects.filter(action="lke.accept_self").exists()


def test_bulk_single_steps_each_with_its_audit_row(
    ws_rl, ws_kaur, tim_rejang_lebong, tim_kaur, tim_provinsi, ketua_tim
):
    submitted(ws_rl, tim_rejang_lebong)
    submitted(ws_kaur, tim_kaur)

    started = services.apply_to_many([ws_rl, ws_kaur], "start_verification", by=tim_provinsi)
    again = services.apply_to_many([ws_rl], "start_verification", by=tim_provinsi)
    taken = services.apply_to_many([ws_rl, ws_kaur], "accept_self", by=tim_provinsi)
    nothing = services.apply_to_many([ws_rl], "accept_self", by=tim_provinsi)
    final = services.apply_to_many([ws_rl, ws_kaur], "finalise", by=ketua_tim)

    assert len(started.done) == 2 and len(taken.done) == 2 and len(final.done) == 2
    assert [r for _w, r in again.refused] == [
        "Anda tidak dapat mengambil langkah 'Mulai verifikasi' saat lembar berstatus "
        "'Verifikasi provinsi'."
    ]
    assert "sudah diverifikasi" in nothing.refused[0][1]
    for worksheet in (ws_rl, ws_kaur):
        assert audit_actions(worksheet)[-3:] == [
            "lke.start_verification",
            "lke.accept_self",
            "lke.finalise",
        ]


def test_bulk_takes_only_worksheets_the_user_sees(
    client, assessment, ws_rl, tim_rejang_lebong, tim_kaur, tim_provinsi
):
    submitted(ws_rl, tim_rejang_lebong)
    client.force_login(tim_kaur)  # another office: its list has no such worksheet

    response = client.post(
        BULK, {"action": "start_verification", "worksheets": [ws_rl.pk], "confirm": "1"}
    )

    assert response.status_code == 302
    ws_rl.refresh_from_db()
    assert ws_rl.status == Status.SUBMITTED
    client.force_login(tim_provinsi)
    assert client.post(BULK, {"action": "hapus", "worksheets": [ws_rl.pk]}).status_code == 302
    assert client.get(BULK).status_code == 405


# --- the worksheet page: each answer saved as it changes ---------------------------------------


def test_the_page_saves_on_change_and_keeps_a_fallback_submit_without_javascript(
    client, ws_rl, tim_rejang_lebong
):
    client.force_login(tim_rejang_lebong)

    body = client.get(reverse("lke:worksheet", args=[ws_rl.pk])).content.decode()

    forms = body.count('class="lke-answer-form"')
    assert forms == 7  # every answerable item of the small instrument (6 choice, 1 text)
    assert body.count('hx-trigger="change"') == forms
    assert body.count("<noscript><button") == forms  # the only save buttons: without JS
    assert 'data-testid="progress-bar"' in body


def test_autosave_returns_the_answers_summary_and_progress_of_the_saved_item(
    client, ws_rl, tim_rejang_lebong, small_instrument
):
    answer(ws_rl, "k2.a", 4, by=tim_rejang_lebong)
    client.force_login(tim_rejang_lebong)
    it = item(small_instrument, "k1.a")

    response = client.post(
        reverse("lke:answer", args=[ws_rl.pk, it.pk]),
        {"level": "self", "version": 0, "option": option(small_instrument, "k1.a", 4).pk},
        **HTMX,
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith(f'<div class="lke-answers lke-answered" id="jawaban-{it.pk}">')
    assert 'name="version" value="1"' in body
    # the summary, the progress bar and the next step (whose buttons follow the answers)
    assert body.count('hx-swap-oob="true"') == 3
    assert 'data-testid="progress-self">2/6<' in body
    ws_rl.refresh_from_db()
    # K = (2 × 1/4 × (1 + 0)… ): the summary shows the stored aspect score, as the page does.
    assert f">{ws_rl.scores['self']['aspects']['K']:.2f}<".replace(".", ",") in body
    assert "lke-evidence" not in body  # the evidence part of the card is not rebuilt


def test_a_stale_edit_is_refused_with_a_clear_message_and_nothing_lost(
    client, ws_rl, tim_rejang_lebong, small_instrument
):
    it = item(small_instrument, "k1.a")
    answer(ws_rl, "k1.a", 4, by=tim_rejang_lebong)  # saved by someone else meanwhile
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("lke:answer", args=[ws_rl.pk, it.pk]),
        {
            "level": "self",
            "version": 0,
            "option": option(small_instrument, "k1.a", 2).pk,
            "note": "catatan saya",
        },
        **HTMX,
    )

    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps it in
    assert 'data-testid="item-error"' in body and "Orang lain menyimpan" in body
    assert 'data-testid="stale-attempt"' in body and "Opsi 2 · catatan saya" in body
    assert 'name="version" value="1"' in body  # the next save goes on from theirs
    saved = Answer.objects.get(worksheet=ws_rl, item=it, level=Level.SELF)
    assert (saved.option.score, saved.version) == (4, 1)


def test_the_next_step_follows_the_answers_the_last_one_enables_submitting_without_reload(
    client, ws_rl, tim_rejang_lebong, small_instrument
):
    """The "Next step" card comes with every saved answer: while items are unanswered it names
    them and the submit button is disabled; the answer to the last one enables it, on the page
    as it is (no reload)."""
    from lke.scoring import instrument_tree, required_items

    codes = [i.code for i in required_items(instrument_tree(small_instrument, "village"))]
    *first, last = codes
    for code in first[1:]:
        answer(ws_rl, code, 1, by=tim_rejang_lebong)
    client.force_login(tim_rejang_lebong)

    def save(code):
        body = client.post(
            reverse("lke:answer", args=[ws_rl.pk, item(small_instrument, code).pk]),
            {"level": "self", "version": 0, "option": option(small_instrument, code, 1).pk},
            **HTMX,
        ).content.decode()
        card = body.split('<div id="langkah" data-testid="next-step" hx-swap-oob="true">', 1)[1]
        return card.split('id="langkah"', 1)[0]

    def submit_button(card):
        form = card.split(reverse("lke:submit", args=[ws_rl.pk]), 1)[1].split("</form>", 1)[0]
        return form.split("<button", 1)[1].split(">", 1)[0]

    card = save(first[0])
    assert f"butir belum dijawab: {last}" in card
    assert "disabled" in submit_button(card)
    card = save(last)
    assert "belum dijawab" not in card
    assert "disabled" not in submit_button(card)


def _save_request(worksheet, small_instrument, code, score, version):
    it = item(small_instrument, code)
    data = {"level": "self", "version": version, "option": option(small_instrument, code, score).pk}
    return reverse("lke:answer", args=[worksheet.pk, it.pk]), data


def _save(client, worksheet, small_instrument, code, score, version):
    url, data = _save_request(worksheet, small_instrument, code, score, version)
    return client.post(url, data, **HTMX)


def test_saving_one_answer_costs_the_same_queries_with_more_answers_and_villages(
    client,
    assessment,
    ws_rl,
    year_2026,
    rejang_lebong,
    tim_rejang_lebong,
    ketua_tim,
    small_instrument,
):
    client.force_login(tim_rejang_lebong)
    _save(client, ws_rl, small_instrument, "k1.a", 1, 0)  # warm: sessions, content types
    url, data = _save_request(ws_rl, small_instrument, "k1.a", 3, 1)
    with CaptureQueriesContext(connection) as few:
        client.post(url, data, **HTMX)
    for index in range(1, 6):
        ParticipatingVillage.objects.create(
            program_year=year_2026,
            village=desa_in(rejang_lebong, index),
            office=rejang_lebong,
            kind=VillageKind.TAMBAHAN,
        )
    services.add_missing_worksheets(assessment, by=ketua_tim)
    for worksheet in Worksheet.objects.filter(office=rejang_lebong, target="village"):
        fill(worksheet, {"k1.b": 1, "m1.a": 2, "m1.z": 3}, by=tim_rejang_lebong)

    url, data = _save_request(ws_rl, small_instrument, "k1.a", 2, 2)
    with CaptureQueriesContext(connection) as many:
        client.post(url, data, **HTMX)

    assert len(many) == len(few)
    # 34 here: inside a test's transaction no instrument tree is kept (lke.scoring), so the
    # save and the response (the summary and the next step) each read the tree's version and
    # its five levels; a server reads the kept tree (1 each): 24.
    assert len(many) <= 34, [q["sql"][:80] for q in many.captured_queries]
