"""Worksheets: opening the assessment, answers at two levels, the reason for a changed score, the
concurrent-edit refusal, the transitions (allowed and refused), audit rows and the snapshot."""

import pytest
from django.core.exceptions import ValidationError

from core.models import AppendOnlyError, AuditEvent
from lke import services
from lke.models import Answer, Level, Snapshot, Status, Target, Worksheet

from .conftest import answer, fill, item, option, record_of, to_verification


def audit_actions(worksheet) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type__model="worksheet", object_id=str(worksheet.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- opening -------------------------------------------------------------------------------


def test_opening_creates_a_worksheet_per_village_and_per_office_with_villages(
    assessment, rejang_lebong, kaur
):
    worksheets = Worksheet.objects.filter(assessment=assessment)

    assert sorted((w.target, w.office.code) for w in worksheets) == [
        (Target.OFFICE, "1702"),
        (Target.OFFICE, "1704"),
        (Target.VILLAGE, "1702"),
        (Target.VILLAGE, "1704"),
    ]
    assert {w.required_items for w in worksheets if w.target == Target.VILLAGE} == {6}
    assert {w.status for w in worksheets} == {Status.SELF_ASSESSMENT}
    assert AuditEvent.objects.filter(action="lke.open", object_id=str(assessment.pk)).count() == 1


def test_opening_twice_is_refused_and_adding_missing_worksheets_is_idempotent(
    assessment, year_2026, ketua_tim, small_instrument
):
    with pytest.raises(ValidationError):
        services.open_assessment(year_2026, instrument=small_instrument, by=ketua_tim)

    assert services.add_missing_worksheets(assessment, by=ketua_tim) == 0
    assert Worksheet.objects.filter(assessment=assessment).count() == 4


# --- answers ---------------------------------------------------------------------------------


def test_self_answer_is_saved_versioned_and_audited(ws_rl, tim_rejang_lebong, small_instrument):
    saved = answer(ws_rl, "k1.a", 3, by=tim_rejang_lebong)

    ws_rl.refresh_from_db()
    assert (saved.option.score, saved.version, saved.level) == (3, 1, Level.SELF)
    assert ws_rl.self_answered == 1
    event = AuditEvent.objects.get(action="lke.answer.self")
    assert event.changes == {"k1.a · answer": [None, "3: Opsi 3"]}
    assert event.actor == tim_rejang_lebong


def test_second_save_from_a_stale_copy_is_refused_and_the_first_kept(
    ws_rl, tim_rejang_lebong, small_instrument
):
    # Two people opened the item when it had no answer (version 0).
    answer(ws_rl, "k1.a", 4, by=tim_rejang_lebong, version=0)

    with pytest.raises(services.StaleEditError):
        answer(ws_rl, "k1.a", 1, by=tim_rejang_lebong, version=0)

    kept = Answer.objects.get(worksheet=ws_rl, item__code="k1.a", level=Level.SELF)
    assert (kept.option.score, kept.version) == (4, 1)
    # The same for an existing answer: both opened version 1, the first save wins.
    answer(ws_rl, "k1.a", 3, by=tim_rejang_lebong, version=1)
    with pytest.raises(services.StaleEditError):
        answer(ws_rl, "k1.a", 2, by=tim_rejang_lebong, version=1)
    kept.refresh_from_db()
    assert (kept.option.score, kept.version) == (3, 2)


def test_option_of_another_item_is_refused(ws_rl, tim_rejang_lebong, small_instrument):
    with pytest.raises(ValidationError):
        services.save_answer(
            ws_rl,
            item=item(small_instrument, "k1.a"),
            level=Level.SELF,
            option=option(small_instrument, "k2.a", 4),
            version=0,
            by=tim_rejang_lebong,
        )
    assert not Answer.objects.exists()


def test_provincial_answers_are_refused_during_self_assessment(ws_rl, tim_provinsi):
    with pytest.raises(services.TransitionError):
        answer(ws_rl, "k1.a", 3, level=Level.PROVINCIAL, by=tim_provinsi)


def test_changed_provincial_score_needs_a_reason_and_both_levels_are_kept(
    ws_rl, tim_rejang_lebong, tim_provinsi
):
    to_verification(ws_rl, kabkota=tim_rejang_lebong, province=tim_provinsi)

    with pytest.raises(ValidationError) as refused:
        answer(ws_rl, "k1.a", 2, level=Level.PROVINCIAL, by=tim_provinsi)
    assert "reason" in refused.value.message_dict
    answer(
        ws_rl,
        "k1.a",
        2,
        level=Level.PROVINCIAL,
        by=tim_provinsi,
        reason="SK agen tidak ditandatangani",
    )
    answer(
        ws_rl, "k2.a", 2, level=Level.PROVINCIAL, by=tim_provinsi
    )  # same score: no reason needed

    levels = dict(
        Answer.objects.filter(worksheet=ws_rl, item__code="k1.a").values_list(
            "level", "option__score"
        )
    )
    assert levels == {Level.SELF: 3, Level.PROVINCIAL: 2}
    event = AuditEvent.objects.filter(action="lke.answer.provincial").order_by("id").first()
    assert event.reason == "SK agen tidak ditandatangani"


def test_accept_self_answers_verifies_the_rest_without_changing_scores(
    ws_rl, tim_rejang_lebong, tim_provinsi
):
    to_verification(ws_rl, kabkota=tim_rejang_lebong, province=tim_provinsi)
    answer(ws_rl, "k1.a", 2, level=Level.PROVINCIAL, by=tim_provinsi, reason="bukti kurang")

    taken = services.accept_self_answers(ws_rl, by=tim_provinsi)

    ws_rl.refresh_from_db()
    assert taken == 5
    assert ws_rl.provincial_answered == 6
    verified = dict(
        Answer.objects.filter(worksheet=ws_rl, level=Level.PROVINCIAL).values_list(
            "item__code", "option__score"
        )
    )
    assert verified == {"n.1": 1, "k1.a": 2, "k1.b": 1, "k2.a": 2, "m1.a": 4, "m1.z": 1}
    # K1 = (1×2/4 + 3×1)/4 = 0.875; K = (2×0.875 + 0.5)/3 = 0.75; total = 100 × (0.75 + 3)/4
    assert ws_rl.scores[Level.PROVINCIAL]["total"] == 93.75


# --- transitions -----------------------------------------------------------------------------


def test_submit_needs_every_choice_item_answered(ws_rl, tim_rejang_lebong):
    answer(ws_rl, "k1.a", 3, by=tim_rejang_lebong)

    with pytest.raises(ValidationError) as refused:
        services.submit_worksheet(ws_rl, by=tim_rejang_lebong)

    assert "k1.b" in refused.value.messages[0]
    ws_rl.refresh_from_db()
    assert ws_rl.status == Status.SELF_ASSESSMENT


def test_full_workflow_with_audit_rows(ws_rl, tim_rejang_lebong, tim_provinsi, ketua_tim):
    to_verification(ws_rl, kabkota=tim_rejang_lebong, province=tim_provinsi)
    services.accept_self_answers(ws_rl, by=tim_provinsi)
    services.finalise_worksheet(ws_rl, by=ketua_tim)

    ws_rl.refresh_from_db()
    assert ws_rl.status == Status.FINALISED
    assert ws_rl.final_snapshot is not None
    transitions = [
        a for a in audit_actions(ws_rl) if not a.startswith(("lke.answer", "lke.evidence"))
    ]
    assert transitions == [
        "lke.submit",
        "lke.start_verification",
        "lke.accept_self",
        "lke.finalise",
    ]
    finalise = AuditEvent.objects.get(action="lke.finalise")
    assert finalise.changes == {"status": ["provincial_verification", "finalised"]}


@pytest.mark.parametrize(
    "status, step",
    [
        (Status.SELF_ASSESSMENT, "start_verification"),
        (Status.SELF_ASSESSMENT, "finalise"),
        (Status.SUBMITTED, "submit"),
        (Status.SUBMITTED, "finalise"),
        (Status.PROVINCIAL_VERIFICATION, "sign_off"),
        (Status.FINALISED, "return"),
        (Status.SIGNED_OFF, "reopen"),
    ],
)
def test_transitions_not_in_the_table_are_refused(
    ws_rl, ketua_tim, tim_rejang_lebong, kepala, status, step
):
    """By the role that takes the step (the service checks the actor first): the state refuses."""
    Worksheet.objects.filter(pk=ws_rl.pk).update(status=status)
    ws_rl.refresh_from_db()
    call = {
        "submit": lambda: services.submit_worksheet(ws_rl, by=tim_rejang_lebong),
        "start_verification": lambda: services.start_verification(ws_rl, by=ketua_tim),
        "finalise": lambda: services.finalise_worksheet(ws_rl, by=ketua_tim),
        "sign_off": lambda: services.sign_off_worksheet(ws_rl, by=kepala),
        "return": lambda: services.return_worksheet(ws_rl, reason="x", by=ketua_tim),
        "reopen": lambda: services.reopen_worksheet(ws_rl, reason="x", by=ketua_tim),
    }[step]

    with pytest.raises(services.TransitionError):
        call()

    ws_rl.refresh_from_db()
    assert ws_rl.status == status
    assert not AuditEvent.objects.filter(action=f"lke.{step}").exists()


def test_return_needs_comments_and_reopens_the_self_assessment(
    ws_rl, tim_rejang_lebong, tim_provinsi
):
    to_verification(ws_rl, kabkota=tim_rejang_lebong, province=tim_provinsi)

    with pytest.raises(ValidationError):
        services.return_worksheet(ws_rl, reason="  ", by=tim_provinsi)
    services.return_worksheet(ws_rl, reason="Lengkapi bukti SK agen", by=tim_provinsi)

    ws_rl.refresh_from_db()
    assert (ws_rl.status, ws_rl.return_comment) == (
        Status.SELF_ASSESSMENT,
        "Lengkapi bukti SK agen",
    )
    answer(ws_rl, "k1.a", 4, by=tim_rejang_lebong)  # the kab/kota can answer again
    services.submit_worksheet(ws_rl, by=tim_rejang_lebong)
    ws_rl.refresh_from_db()
    assert (ws_rl.status, ws_rl.return_comment) == (Status.SUBMITTED, "")


def test_finalise_needs_every_item_verified(ws_rl, tim_rejang_lebong, tim_provinsi, ketua_tim):
    to_verification(ws_rl, kabkota=tim_rejang_lebong, province=tim_provinsi)
    answer(ws_rl, "k1.a", 3, level=Level.PROVINCIAL, by=tim_provinsi)

    with pytest.raises(ValidationError):
        services.finalise_worksheet(ws_rl, by=ketua_tim)

    assert not Snapshot.objects.exists()


def test_snapshot_is_frozen_against_later_edits(ws_rl, tim_rejang_lebong, tim_provinsi, ketua_tim):
    to_verification(ws_rl, kabkota=tim_rejang_lebong, province=tim_provinsi)
    services.accept_self_answers(ws_rl, by=tim_provinsi)
    services.finalise_worksheet(ws_rl, by=ketua_tim)
    ws_rl.refresh_from_db()
    snapshot = ws_rl.final_snapshot
    frozen = snapshot.data

    services.reopen_worksheet(ws_rl, reason="Koreksi 1.a", by=ketua_tim)
    answer(ws_rl, "k1.a", 1, level=Level.PROVINCIAL, by=tim_provinsi, reason="SK tidak ada")
    ws_rl.village.village.name = "Nama Baru"
    ws_rl.village.village.save()

    snapshot.refresh_from_db()
    ws_rl.refresh_from_db()
    assert snapshot.data == frozen
    assert frozen["scores"]["provincial"]["total"] == 94.79
    assert ws_rl.scores["provincial"]["total"] != 94.79
    assert ws_rl.final_snapshot_id == snapshot.pk  # still the published result until re-finalised
    k1a = next(i for i in frozen["items"] if i["code"] == "k1.a")
    assert k1a["provincial"] == {"answer": "3: Opsi 3", "score": 3, "nilai": 3.0}
    with pytest.raises(AppendOnlyError):
        snapshot.save()
    with pytest.raises(AppendOnlyError):
        snapshot.delete()


def test_sign_off_needs_every_worksheet_finalised(assessment, ws_rl, kepala, ketua_tim):
    with pytest.raises(services.TransitionError):
        services.sign_off_results(assessment, record=record_of(ketua_tim), by=kepala)
    assessment.refresh_from_db()
    assert assessment.signed_off_at is None


def _finalise_all(assessment, users, ketua_tim, tim_provinsi):
    for worksheet in Worksheet.objects.filter(assessment=assessment):
        kabkota = users[worksheet.office.code]
        scores = {"o.a": 2} if worksheet.target == Target.OFFICE else None
        fill(worksheet, scores, by=kabkota)
        services.submit_worksheet(worksheet, by=kabkota)
        services.start_verification(worksheet, by=tim_provinsi)
        services.accept_self_answers(worksheet, by=tim_provinsi)
        services.finalise_worksheet(worksheet, by=ketua_tim)


def test_sign_off_results_signs_every_worksheet(
    assessment, tim_rejang_lebong, tim_kaur, tim_provinsi, ketua_tim, kepala
):
    _finalise_all(
        assessment, {"1702": tim_rejang_lebong, "1704": tim_kaur}, ketua_tim, tim_provinsi
    )

    services.sign_off_results(assessment, record=record_of(ketua_tim), by=kepala)

    assessment.refresh_from_db()
    assert assessment.signed_off_by == kepala
    assert set(
        Worksheet.objects.filter(assessment=assessment).values_list("status", flat=True)
    ) == {Status.SIGNED_OFF}
    assert AuditEvent.objects.filter(action="lke.sign_off").count() == 4
    with pytest.raises(services.TransitionError):
        services.sign_off_results(assessment, record=record_of(ketua_tim), by=kepala)
