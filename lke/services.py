"""Every write of the LKE: instruments, opening an assessment, answers, evidence and the
worksheet workflow. Each function checks its actor (`by`) with the rule the pages use
(lke.queries: can_answer, can_take_step, can_open_assessment, can_sign_off,
can_manage_instruments), raising PermissionDenied before anything is written; then what it may
(state, items, versions), writes with update_fields and appends an audit row in the same
transaction."""

import copy
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import User
from core.permissions import is_system, require
from core.services import StaleEditError, audit, locked, shortened_name, store_attachment
from program.models import ParticipatingVillage, ProgramYear

from . import nomination, notifications
from .instrument_data import InstrumentDataError, check_instrument_data
from .models import (
    CHECKED_KINDS,
    FINAL_STATUSES,
    Answer,
    Aspect,
    Assessment,
    Block,
    CheckRule,
    DocumentKind,
    Evidence,
    Formula,
    Indicator,
    Instrument,
    Item,
    ItemKind,
    Level,
    Option,
    Snapshot,
    Status,
    Target,
    Worksheet,
)
from .queries import (
    can_answer,
    can_correct_instrument,
    can_manage_instruments,
    can_open_assessment,
    can_sign_off,
    can_take_step,
    correction_lock,
    editable_level,
    evidence_needs,
)
from .scoring import instrument_tree, item_nilai, required_items, score_level, tree_items


class TransitionError(ValidationError):
    """The worksheet is not in a state that allows this step."""


# --- who may change what (the rules live in lke.queries) ----------------------------------------


def _require_answerer(by: User | None, worksheet: Worksheet, level: str) -> None:
    if level == Level.SELF:
        message = _("Only the regency/city Desa Cantik team fills in the self-assessment.")
    else:
        message = _("Only the province Desa Cantik team verifies the answers.")
    require(can_answer(by, worksheet, level), message)


def _require_evidence_writer(by: User | None, worksheet: Worksheet) -> None:
    require(
        editable_level(by, worksheet) is not None,
        _(
            "Only the team whose turn it is (the regency/city team while filling in, the "
            "province team while verifying) changes the evidence of this worksheet."
        ),
    )


STEP_REFUSALS = {
    "submit": gettext_lazy("Only the regency/city Desa Cantik team submits its worksheet."),
    "start_verification": gettext_lazy("Only the province Desa Cantik team starts verification."),
    "return": gettext_lazy("Only the province Desa Cantik team returns a worksheet."),
    "accept_self": gettext_lazy(
        "Only the province Desa Cantik team takes over the self-assessed answers."
    ),
    "finalise": gettext_lazy("Only the province team lead finalises a worksheet."),
    "reopen": gettext_lazy("Only the province team lead reopens a finalised worksheet."),
    "sign_off": gettext_lazy("Only the head of the province office signs the results off."),
}


def _require_step(by: User | None, worksheet: Worksheet, step: str) -> None:
    require(can_take_step(by, worksheet, step), str(STEP_REFUSALS[step]))


# --- instruments -------------------------------------------------------------------------------


def check_new_instrument(data: dict) -> dict:
    """The checked data of an instrument about to be created, or InstrumentDataError: also
    refused when its year and version belong to an instrument in use (locked)."""
    clean = check_instrument_data(data)
    existing = Instrument.objects.filter(year=clean["year"], version=clean["version"]).first()
    if existing is not None and existing.in_use:
        raise InstrumentDataError(
            [
                _(
                    "Instrument %(year)s version %(version)s is in use and locked. "
                    "Give the changed instrument a higher version."
                )
                % {"year": clean["year"], "version": clean["version"]}
            ]
        )
    return clean


@transaction.atomic
def create_instrument(data: dict, *, by: User | None) -> Instrument:
    """Create an instrument from its plain form (see instrument_data), checked first; nothing is
    written when a check fails. An unused instrument of the same year and version is replaced;
    one in use is locked and refused (give the new one a higher version). By an admin, a ketua
    tim or a superuser (can_manage_instruments; PermissionDenied otherwise), or by the system
    (`by=core.permissions.SYSTEM`: the load_instruments command, audited without an actor).
    Audited."""
    if not is_system(by):
        require(
            can_manage_instruments(by),
            _("Only an administrator or a team lead loads LKE instruments."),
        )
    clean = check_new_instrument(data)
    existing = Instrument.objects.filter(year=clean["year"], version=clean["version"]).first()
    if existing is not None:
        audit(existing, by=by, action="lke_instrument.replace")
        existing.delete()
    instrument = Instrument.objects.create(
        year=clean["year"],
        version=clean["version"],
        title=clean["title"],
        source_note=clean["source"],
        nilai_scale=clean["nilai_scale"],
        import_notes=clean["import_notes"],
    )
    _build_tree(instrument, clean["blocks"])
    audit(
        instrument,
        by=by,
        action="lke_instrument.create",
        changes={
            "version": (None, instrument.version),
            "items": (
                None,
                sum(
                    len(i["items"])
                    for b in clean["blocks"]
                    for a in b["aspects"]
                    for i in a["indicators"]
                ),
            ),
        },
    )
    return instrument


def _build_tree(instrument: Instrument, blocks: list[dict]) -> None:
    """Bulk-create the tree, one level at a time (parents need ids before their children)."""
    block_rows = Block.objects.bulk_create(
        Block(
            instrument=instrument,
            code=b["code"],
            title=b["title"],
            target=b["target"],
            scored=b["scored"],
            tie_break=b["tie_break"],
            formula=b["formula"],
            weight_base=b["weight_base"],
            total_basis=b["total_basis"],
            aspect_value=b["aspect_value"],
            order=n,
        )
        for n, b in enumerate(blocks)
    )
    aspects = [(row, a) for row, b in zip(block_rows, blocks, strict=True) for a in b["aspects"]]
    aspect_rows = Aspect.objects.bulk_create(
        Aspect(
            block=row,
            code=a["code"],
            title=a["title"],
            weight=a["weight"],
            is_example=a["example"],
            order=n,
        )
        for n, (row, a) in enumerate(aspects)
    )
    indicators = [
        (row, i) for row, (_b, a) in zip(aspect_rows, aspects, strict=True) for i in a["indicators"]
    ]
    indicator_rows = Indicator.objects.bulk_create(
        Indicator(
            aspect=row,
            code=i["code"],
            title=i["title"],
            weight=i["weight"],
            is_example=i["example"],
            shading=i["shading"],
            always_filled=i["always_filled"],
            order=n,
        )
        for n, (row, i) in enumerate(indicators)
    )
    items = [
        (row, it)
        for row, (_a, i) in zip(indicator_rows, indicators, strict=True)
        for it in i["items"]
    ]
    item_rows = Item.objects.bulk_create(
        Item(
            instrument=instrument,
            indicator=row,
            code=it["code"],
            text=it["text"],
            kind=it["kind"],
            max_score=it["max_score"],
            weight=it["weight"],
            evidence_hint=it["evidence"],
            evidence_required=it["evidence_required"],
            is_example=it["example"],
            source_note=it["source"],
            rincian=it["rincian"],
            validation_rule=it["validation_rule"],
            evidence_scores=it["evidence_scores"],
            answer_range=it["answer_range"],
            explanation=it["explanation"],
            guidance=it["guidance"],
            source_row=it["source_row"],
            score_offset=it["score_offset"],
            score_divisor=it["score_divisor"],
            nilai_rule=it["nilai_rule"],
            order=n,
        )
        for n, (row, it) in enumerate(items)
    )
    Option.objects.bulk_create(
        Option(item=row, label=o["label"], score=o["score"], is_example=o["example"], order=n)
        for row, (_i, it) in zip(item_rows, items, strict=True)
        for n, o in enumerate(it["options"])
    )
    CheckRule.objects.bulk_create(
        CheckRule(
            item=row,
            self_score=r["self_score"],
            present=r["present"],
            absent=r["absent"],
            confirm=r["confirm"],
            score=r["score"],
            text=r["text"],
            source_row=r["source_row"],
            order=n,
        )
        for row, (_i, it) in zip(item_rows, items, strict=True)
        for n, r in enumerate(it.get("check_rules", []))
    )


# --- corrections of an instrument in use: checking rules and divisors (issue 10) ------------------

CORRECTION_REFUSED = gettext_lazy(
    "Only an administrator, or the team lead of the only province whose assessment uses this "
    "instrument, changes its checking rules and divisors."
)
RULE_KINDS = {kind.value: kind.label for kind in CHECKED_KINDS}
CONFIRM_LENGTH = CheckRule._meta.get_field("confirm").max_length
RULE_TEXT_LENGTH = CheckRule._meta.get_field("text").max_length


def _locked_instrument(instrument: Instrument, by: User) -> Instrument:
    """The instrument row locked for this transaction (its corrections run one at a time),
    after checking the actor (can_correct_instrument) and that no worksheet using it is final
    (correction_lock: a ValidationError naming how many)."""
    require(can_correct_instrument(by, instrument), str(CORRECTION_REFUSED))
    instrument = locked(Instrument, instrument.pk)
    reason = correction_lock(instrument)
    if reason:
        raise TransitionError(reason)
    return instrument


def _item_in(instrument: Instrument, item: Item) -> Item:
    if item.instrument_id != instrument.pk:
        raise ValidationError(
            _("Item %(code)s is not part of this instrument.") % {"code": item.code}
        )
    return item


def _kinds(values, field: str, errors: dict) -> list[str]:
    kinds = []
    for value in values or []:
        value = str(value).strip()
        if value and value not in kinds:
            kinds.append(value)
    unknown = [k for k in kinds if k not in RULE_KINDS]
    if unknown:
        errors.setdefault(field, []).append(
            _("Unknown kind of evidence: %(kinds)s. The kinds are: %(known)s.")
            % {
                "kinds": ", ".join(unknown),
                "known": ", ".join(f"{k} ({label})" for k, label in RULE_KINDS.items()),
            }
        )
    return [k for k in kinds if k in RULE_KINDS]


def _score(value, item: Item, scores: list[int], field: str, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    try:
        score = int(value)
    except (TypeError, ValueError):
        score = None
    if score is None or score not in scores:
        errors.setdefault(field, []).append(
            _("%(value)s is not a score of item %(code)s; its answers score %(scores)s.")
            % {
                "value": value,
                "code": item.code,
                "scores": ", ".join(str(s) for s in sorted(scores, reverse=True)),
            }
        )
        return None
    return score


def clean_check_rule(item: Item, values: dict) -> dict:
    """The checked fields of a checking rule of `item` (self_score, present, absent, confirm,
    score, text), or a ValidationError naming each wrong field: only a choice item of a scored
    block has rules; the scores must be those of the item's answers, the kinds of evidence
    those the verification page shows (CHECKED_KINDS), none both present and absent; the rule
    must name some evidence to check and give another score than the one it starts from, and
    its text (the verification reason) is required."""
    if item.kind != ItemKind.CHOICE:
        raise ValidationError(
            _("Item %(code)s is not answered with a choice, so it has no checking rules.")
            % {"code": item.code}
        )
    if not item.indicator.aspect.block.scored:
        raise ValidationError(
            _("Item %(code)s is in a block that is not scored, so it has no checking rules.")
            % {"code": item.code}
        )
    errors: dict[str, list[str]] = {}
    scores = sorted({o.score for o in item.options.all()})
    self_score = _score(values.get("self_score"), item, scores, "self_score", errors)
    score = _score(values.get("score"), item, scores, "score", errors)
    if score is None and "score" not in errors:
        errors["score"] = [_("Choose the score the rule gives.")]
    present = _kinds(values.get("present"), "present", errors)
    absent = _kinds(values.get("absent"), "absent", errors)
    both = [str(RULE_KINDS[k]) for k in present if k in absent]
    if both:
        errors.setdefault("absent", []).append(
            _("%(kinds)s cannot be both present and absent.") % {"kinds": ", ".join(both)}
        )
    confirm = " ".join(str(values.get("confirm") or "").split())
    if len(confirm) > CONFIRM_LENGTH:
        errors["confirm"] = [_("Write at most %(limit)s characters.") % {"limit": CONFIRM_LENGTH}]
    text = str(values.get("text") or "").strip()
    if not text:
        errors["text"] = [_("Write the rule's text: it becomes the reason of the verified score.")]
    elif len(text) > RULE_TEXT_LENGTH:
        errors["text"] = [_("Write at most %(limit)s characters.") % {"limit": RULE_TEXT_LENGTH}]
    if (
        not (present or absent or confirm)
        and not errors.get("present")
        and not errors.get("absent")
    ):
        errors.setdefault("present", []).append(
            _(
                "Name the evidence the rule checks: a kind that must be present or absent, or "
                "what the verifier confirms in the documents."
            )
        )
    if score is not None and self_score is None and score == max(scores):
        errors.setdefault("score", []).append(
            _(
                "A rule for any self score lowers the higher scores to the one it gives; "
                "%(score)s is the top score of item %(code)s, so choose a lower score or the "
                "self score the rule starts from."
            )
            % {"score": score, "code": item.code}
        )
    if score is not None and self_score is not None and score == self_score:
        errors.setdefault("score", []).append(
            _("The rule gives the score it starts from, so it would change nothing.")
        )
    if errors:
        raise ValidationError(errors)
    return {
        "self_score": self_score,
        "present": present,
        "absent": absent,
        "confirm": confirm,
        "score": score,
        "text": text,
    }


def rule_summary(rule: CheckRule) -> str:
    """The rule in one line, as the history and the instrument's page show it."""
    parts = [
        _("self score %(score)s") % {"score": rule.self_score}
        if rule.self_score is not None
        else _("any higher self score")
    ]
    if rule.present:
        parts.append(
            _("present: %(kinds)s")
            % {"kinds": ", ".join(str(RULE_KINDS.get(k, k)) for k in rule.present)}
        )
    if rule.absent:
        parts.append(
            _("absent: %(kinds)s")
            % {"kinds": ", ".join(str(RULE_KINDS.get(k, k)) for k in rule.absent)}
        )
    if rule.confirm:
        parts.append(_("confirm: %(what)s") % {"what": rule.confirm})
    return _("%(conditions)s → score %(score)s: “%(text)s”") % {
        "conditions": " · ".join(parts),
        "score": rule.score,
        "text": _short(rule.text, 200),
    }


def _audit_rule(instrument, item, *, by, action, before, after) -> None:
    audit(
        instrument,
        by=by,
        action=action,
        changes={f"{item.code} · check rule": (before, after)},
    )


def _stale_rule(item: Item, current: CheckRule | None) -> StaleEditError:
    if current is None:
        return StaleEditError(
            _(
                "Someone else deleted this checking rule of item %(code)s while you were "
                "editing. Your change was not saved; add the rule again if it is still needed."
            )
            % {"code": item.code}
        )
    return StaleEditError(
        _(
            "Someone else changed this checking rule of item %(code)s while you were editing. "
            "Your change was not saved; the rule as it is now is shown above your input."
        )
        % {"code": item.code}
    )


@transaction.atomic
def add_check_rule(instrument: Instrument, *, item: Item, values: dict, by: User) -> CheckRule:
    """Add a checking rule to `item` (checked by clean_check_rule), after the item's other
    rules. By the admin or the team lead of the only province using the instrument
    (can_correct_instrument; PermissionDenied otherwise); refused once a worksheet using the
    instrument is final (correction_lock). Audited on the instrument."""
    instrument = _locked_instrument(instrument, by)
    _item_in(instrument, item)
    clean = clean_check_rule(item, values)
    last = item.check_rules.order_by("-order").values_list("order", flat=True).first()
    rule = CheckRule.objects.create(item=item, order=(last or 0) + 1, **clean)
    _audit_rule(
        instrument,
        item,
        by=by,
        action="lke_instrument.rule_add",
        before=None,
        after=rule_summary(rule),
    )
    return rule


@transaction.atomic
def update_check_rule(rule: CheckRule, *, values: dict, version: int, by: User) -> CheckRule:
    """Change a checking rule opened at `version` (else StaleEditError: someone changed it
    meanwhile, theirs stays). Checked, permitted and audited as add_check_rule; the rule's
    workbook row is kept only while its text stays the workbook's."""
    instrument = _locked_instrument(rule.item.instrument, by)
    current = CheckRule.objects.select_related("item").filter(pk=rule.pk).first()
    if current is None or current.version != version:
        raise _stale_rule(rule.item, current)
    clean = clean_check_rule(current.item, values)
    if all(getattr(current, name) == value for name, value in clean.items()):
        return current
    before = rule_summary(current)
    if clean["text"] != current.text:
        current.source_row = None
    for name, value in clean.items():
        setattr(current, name, value)
    current.version += 1
    current.save(update_fields=[*clean, "source_row", "version"])
    _audit_rule(
        instrument,
        current.item,
        by=by,
        action="lke_instrument.rule_update",
        before=before,
        after=rule_summary(current),
    )
    return current


@transaction.atomic
def delete_check_rule(rule: CheckRule, *, version: int, by: User) -> None:
    """Delete a checking rule opened at `version` (else StaleEditError). Permitted and audited
    as add_check_rule. The verified answers it gave keep their score and reason."""
    instrument = _locked_instrument(rule.item.instrument, by)
    current = CheckRule.objects.select_related("item").filter(pk=rule.pk).first()
    if current is None or current.version != version:
        raise _stale_rule(rule.item, current)
    before = rule_summary(current)
    current.delete()
    _audit_rule(
        instrument,
        current.item,
        by=by,
        action="lke_instrument.rule_delete",
        before=before,
        after=None,
    )


DIVISOR_FIELD = Item._meta.get_field("score_divisor")


def clean_divisor(item: Item, raw) -> Decimal | None:
    """The divisor of `item`'s workbook formula from its text ("" = the item's score range), or a
    ValidationError: only a choice item of a scored block with the workbook's formula has one,
    and it is a positive number with at most three decimals."""
    block = item.indicator.aspect.block
    if item.kind != ItemKind.CHOICE or not block.scored or block.formula != Formula.WORKBOOK:
        raise ValidationError(
            _("Item %(code)s is not scored with the workbook's formula, so it has no divisor.")
            % {"code": item.code}
        )
    text = str(raw if raw is not None else "").strip().replace(",", ".")
    if not text:
        if (item.max_score or 0) - (item.score_offset or 0) <= 0:
            raise ValidationError(
                {"divisor": _("Item %(code)s needs a divisor.") % {"code": item.code}}
            )
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0:
        raise ValidationError(
            {"divisor": _("The divisor must be a number above 0, e.g. 3 or 1.5.")}
        )
    places = -value.normalize().as_tuple().exponent
    limit = Decimal(10) ** (DIVISOR_FIELD.max_digits - DIVISOR_FIELD.decimal_places)
    if places > DIVISOR_FIELD.decimal_places or value >= limit:
        raise ValidationError(
            {
                "divisor": _("The divisor has at most %(places)s decimals and is below %(limit)s.")
                % {"places": DIVISOR_FIELD.decimal_places, "limit": limit}
            }
        )
    return value.normalize() if places > 0 else value.quantize(Decimal(1))


@transaction.atomic
def set_item_divisor(item: Item, *, divisor, version: int, by: User) -> int:
    """Correct the divisor of `item`'s workbook formula (the workbook's slips, e.g. 14.a.2 "=F108"
    on scores 0–3: issue 10 point 2), opened at `version` (else StaleEditError); `divisor` is
    the text of the form ("" = the score range). Every worksheet that uses the instrument gets
    its stored scores computed again in the same transaction, each audited, so no score changes
    silently; refused once one of them is final (correction_lock). Permitted as
    add_check_rule; audited on the instrument. Returns how many worksheets were scored again."""
    instrument = _locked_instrument(item.instrument, by)
    current = Item.objects.select_related("indicator__aspect__block").get(pk=item.pk)
    _item_in(instrument, current)
    if current.version != version:
        raise StaleEditError(
            _(
                "Someone else changed the divisor of item %(code)s while you were editing. "
                "Your change was not saved; the divisor shown is theirs."
            )
            % {"code": current.code}
        )
    value = clean_divisor(current, divisor)
    old = current.score_divisor
    if old == value or (old is not None and value is not None and old.compare(value) == 0):
        return 0
    current.score_divisor = value
    current.version += 1
    current.save(update_fields=["score_divisor", "version"])
    shown = {
        "old": _divisor_text(current, old),
        "new": _divisor_text(current, value),
    }
    audit(
        instrument,
        by=by,
        action="lke_instrument.divisor",
        changes={f"{current.code} · divisor": (shown["old"], shown["new"])},
    )
    return _rescore(instrument, current, shown, by=by)


def _divisor_text(item: Item, value) -> str:
    if value is None:
        span = (item.max_score or 0) - (item.score_offset or 0)
        return _("%(span)s (the score range)") % {"span": span}
    return f"{value.normalize():f}"


def _rescore(instrument: Instrument, item: Item, shown: dict, *, by: User) -> int:
    """Compute again the stored scores of every worksheet using `instrument` that fills `item`,
    each row locked and audited on the worksheet with the divisor's change; a worksheet found
    final meanwhile stops it all (the transaction rolls back)."""
    target = item.indicator.aspect.block.target
    ids = Worksheet.objects.filter(assessment__instrument=instrument, target=target).values_list(
        "pk", flat=True
    )
    count = 0
    for pk in ids:
        worksheet = _locked_worksheet(Worksheet(pk=pk))
        if worksheet.is_final:
            raise TransitionError(correction_lock(instrument))
        before = worksheet.scores
        _refresh_scores(worksheet, Level.values)
        worksheet.save(update_fields=["scores"])
        changes = {f"{item.code} · divisor": (shown["old"], shown["new"])}
        for level in Level.values:
            old_total = (before.get(level) or {}).get("total")
            new_total = worksheet.level_scores(level).get("total")
            if old_total != new_total:
                changes[f"total_{level}"] = (old_total, new_total)
        audit(worksheet, by=by, action="lke.rescore", changes=changes, office=worksheet.office)
        count += 1
    return count


# --- the assessment of a year ------------------------------------------------------------------


def _require_opener(by: User | None, program_year: ProgramYear) -> None:
    require(
        can_open_assessment(by, program_year),
        _("Only the province team lead opens the LKE assessment and adds its worksheets."),
    )


@transaction.atomic
def open_assessment(program_year: ProgramYear, *, instrument: Instrument, by: User) -> Assessment:
    """Start the LKE of a year with `instrument` (which is locked from now on) and create the
    worksheets: one per participating village, one per kab/kota office with villages. By the
    province team lead (PermissionDenied otherwise). Audited."""
    _require_opener(by, program_year)
    if Assessment.objects.filter(program_year=program_year).exists():
        raise ValidationError(
            _("The LKE assessment of %(year)s is already open.") % {"year": program_year.year}
        )
    assessment = Assessment.objects.create(
        program_year=program_year, instrument=instrument, opened_by=by
    )
    audit(
        assessment,
        by=by,
        action="lke.open",
        office=program_year.province,
        changes={"instrument": (None, str(instrument))},
    )
    add_missing_worksheets(assessment, by=by)
    return assessment


@transaction.atomic
def add_missing_worksheets(assessment: Assessment, *, by: User) -> int:
    """Create the worksheets still missing (a village added after the opening). Idempotent.
    Returns how many were created; audited on the assessment when any were. By the province
    team lead (PermissionDenied otherwise)."""
    _require_opener(by, assessment.program_year)
    program_year = assessment.program_year
    trees = {target: instrument_tree(assessment.instrument, target) for target in Target.values}
    empty = {target: score_level(trees[target], {}).as_json() for target in Target.values}
    required = {target: len(required_items(trees[target])) for target in Target.values}
    have_villages = set(
        Worksheet.objects.filter(assessment=assessment, target=Target.VILLAGE).values_list(
            "village_id", flat=True
        )
    )
    have_offices = set(
        Worksheet.objects.filter(assessment=assessment, target=Target.OFFICE).values_list(
            "office_id", flat=True
        )
    )
    villages = ParticipatingVillage.objects.filter(program_year=program_year).order_by(
        "office__code", "village__code"
    )
    new = []
    offices = []
    for village in villages:
        if village.office_id not in offices:
            offices.append(village.office_id)
        if trees[Target.VILLAGE] and village.pk not in have_villages:
            new.append(
                Worksheet(
                    assessment=assessment,
                    target=Target.VILLAGE,
                    village=village,
                    office_id=village.office_id,
                )
            )
    if trees[Target.OFFICE]:
        new += [
            Worksheet(assessment=assessment, target=Target.OFFICE, office_id=o)
            for o in offices
            if o not in have_offices
        ]
    for worksheet in new:
        worksheet.required_items = required[worksheet.target]
        worksheet.scores = {
            Level.SELF: empty[worksheet.target],
            Level.PROVINCIAL: empty[worksheet.target],
        }
    Worksheet.objects.bulk_create(new)
    if new:
        audit(
            assessment,
            by=by,
            action="lke.worksheets_add",
            office=program_year.province,
            changes={"worksheets": (None, len(new))},
        )
    return len(new)


# --- answers -----------------------------------------------------------------------------------

TITLE_LENGTH = Evidence._meta.get_field("title").max_length

EDITABLE_STATUS = {
    Level.SELF: Status.SELF_ASSESSMENT,
    Level.PROVINCIAL: Status.PROVINCIAL_VERIFICATION,
}


def _locked_worksheet(worksheet: Worksheet) -> Worksheet:
    """The worksheet row, locked for this transaction: saves on one worksheet run one at a time,
    so its counters and scores stay consistent."""
    return (
        Worksheet.objects.select_for_update(of=("self",))
        .select_related(
            "assessment__instrument", "assessment__program_year", "office", "village__village"
        )
        .get(pk=worksheet.pk)
    )


def _check_level_open(worksheet: Worksheet, level: str) -> None:
    if worksheet.status != EDITABLE_STATUS[level]:
        raise TransitionError(
            _(
                "Answers at the level '%(level)s' cannot be changed while the worksheet is "
                "'%(status)s'."
            )
            % {"level": Level(level).label, "status": worksheet.get_status_display()}
        )


def _item_of(worksheet: Worksheet, item: Item, tree: list[Block] | None = None) -> None:
    """The item is of the worksheet's instrument and target: read from `tree` (the worksheet's
    instrument_tree) when the caller has it, else one query."""
    if tree is not None:
        of_target = item.pk in {i.pk for i in tree_items(tree)}
    else:
        of_target = (
            Block.objects.filter(aspects__indicators__items=item)
            .values_list("target", flat=True)
            .first()
        ) == worksheet.target
    if item.instrument_id != worksheet.assessment.instrument_id or not of_target:
        raise ValidationError(
            _("Item %(code)s is not part of this worksheet.") % {"code": item.code}
        )
    if item.kind == ItemKind.HEADING:
        raise ValidationError(
            _("Item %(code)s is a heading and takes no answer.") % {"code": item.code}
        )


def _label(answer: Answer | None) -> str | None:
    if answer is None or not answer.is_answered:
        return None
    if answer.option_id:
        return f"{answer.option.score}: {answer.option.label[:80]}"
    return answer.text[:200]


def _clean_values(item: Item, option: Option | None, text: str) -> tuple[Option | None, str]:
    if item.kind == ItemKind.CHOICE:
        if option is not None and option.item_id != item.pk:
            raise ValidationError(
                {"option": _("That option does not belong to item %(code)s.") % {"code": item.code}}
            )
        return option, ""
    if option is not None:
        raise ValidationError(
            {"option": _("Item %(code)s is answered with text.") % {"code": item.code}}
        )
    return None, text.strip()


def _check_reason(worksheet, item, level, option, reason, self_answers=None) -> None:
    """At the provincial level a score that differs from the self-assessed one needs a reason."""
    if level != Level.PROVINCIAL or item.kind != ItemKind.CHOICE or option is None:
        return
    if self_answers is not None:
        own = self_answers.get(item.pk)
    else:
        own = (
            Answer.objects.filter(worksheet=worksheet, item=item, level=Level.SELF)
            .select_related("option")
            .first()
        )
    own_score = own.option.score if own is not None and own.option_id else None
    if option.score != own_score and not reason.strip():
        raise ValidationError(
            {
                "reason": _(
                    "The verified score of %(code)s differs from the self-assessment: give the "
                    "reason."
                )
                % {"code": item.code}
            }
        )


def _refresh_scores(
    worksheet: Worksheet, levels, *, recheck: bool = False, tree: list[Block] | None = None
) -> list[str]:
    """Recompute the stored scores of `levels` from the answers (one query per level). The
    items a non-nominated village does not fill (lke.nomination) count as unanswered (0),
    whatever answer they kept; whether it is nominated is kept with the scores, read again
    from the answers when `recheck` (2a may have changed). `tree`: the worksheet's
    instrument_tree, when the caller has it."""
    tree = tree or instrument_tree(worksheet.assessment.instrument, worksheet.target)
    scores = dict(worksheet.scores)
    for level in levels:
        if recheck:
            skipping = nomination.not_nominated(worksheet, level)
        else:
            skipping = nomination.stored_not_nominated(worksheet, level)
        skipped = nomination.skipped_ids(tree, skipping)
        chosen = {
            item_id: score
            for item_id, score in Answer.objects.filter(
                worksheet=worksheet, level=level, option__isnull=False
            ).values_list("item_id", "option__score")
            if item_id not in skipped
        }
        scores[level] = score_level(tree, chosen).as_json()
        if skipping:
            scores[level][nomination.STORED] = True
    worksheet.scores = scores
    return ["scores"]


COUNTER = {Level.SELF: "self_answered", Level.PROVINCIAL: "provincial_answered"}


def _recount(worksheet: Worksheet) -> list[str]:
    """The progress counters and scores from the answers, after Blok II 2a changed what the
    village fills (lke.nomination): required = the choice items not skipped at the level being
    filled now, answered = those answered and not skipped at each level."""
    tree = instrument_tree(worksheet.assessment.instrument, worksheet.target)
    choice = {item.pk for item in required_items(tree)}
    skipped = {level: nomination.skipped_for(worksheet, level, tree) for level in Level.values}
    for level in Level.values:
        answered = set(
            Answer.objects.filter(
                worksheet=worksheet, level=level, option__isnull=False, item_id__in=choice
            ).values_list("item_id", flat=True)
        )
        setattr(worksheet, COUNTER[level], len(answered - skipped[level]))
    filling = Level.SELF if worksheet.status == Status.SELF_ASSESSMENT else Level.PROVINCIAL
    worksheet.required_items = len(choice - skipped[filling])
    return [
        "required_items",
        *COUNTER.values(),
        *_refresh_scores(worksheet, Level.values, recheck=True),
    ]


def _check_nomination_answer(worksheet, item, level, option, text) -> str | None:
    """The Blok II rules of one answer (lke.nomination): no answer to an item the village does
    not fill while 2a = Tidak; 1a a whole number; 2b a whole number that no other nominated
    village of the office holds. Returns the item's Blok II role."""
    role = nomination.role_of(item) if worksheet.target == Target.VILLAGE else None
    if nomination.skippable(item) and nomination.stored_not_nominated(worksheet, level):
        raise ValidationError(
            _(
                "Item %(code)s is not filled: this village is not nominated (2a = Tidak), so "
                "only the indicators shaded green in the workbook are filled."
            )
            % {"code": item.code}
        )
    if role in ("count", "rank") and text:
        number = text.strip()
        low = 0 if role == "count" else 1
        if not number.isdigit() or int(number) < low:
            raise ValidationError(
                {
                    "text": _("%(code)s takes a whole number of %(low)s or more.")
                    % {"code": item.code, "low": low}
                }
            )
    if role == "rank" and text:
        state = nomination.office_state(
            worksheet, level, instrument_tree(worksheet.assessment.instrument, Target.VILLAGE)
        )
        holder = nomination.rank_holder(worksheet, int(text), state) if state else None
        if holder is not None:
            raise ValidationError({"text": _rank_taken(item, int(text), holder)})
    if item.kind == ItemKind.TEXT and text and item.answer_range:
        low, high = item.answer_range
        if not text.strip().isdigit() or not low <= int(text) <= high:
            raise ValidationError(
                {
                    "text": _("%(code)s takes a whole number from %(low)s to %(high)s.")
                    % {"code": item.code, "low": low, "high": high}
                }
            )
    return role


def _rank_taken(item, rank: int, holder: Worksheet) -> str:
    return _(
        "Rank %(rank)s (%(code)s) is already given to %(village)s, another nominated village of "
        "this regency/city: each nominee has its own rank."
    ) % {"rank": rank, "code": item.code, "village": holder.village.village.name}


def _require_nomination(worksheet: Worksheet, level: str) -> None:
    """At submission: the office's 1a against its villages marked Ya (not exceeded; exact once
    this is the last of its villages to be submitted; the same 1a as its other villages), and
    this village's 2b present when the office nominates more than one and unique."""
    tree = instrument_tree(worksheet.assessment.instrument, Target.VILLAGE)
    state = nomination.office_state(worksheet, level, tree)
    if state is None:
        return
    errors = []
    declared, count = state["declared"], len(state["nominated"])
    for sibling in state["siblings"]:
        theirs = state["values"].get(sibling.pk, {})
        other = nomination._leading_number(theirs["count"][1]) if "count" in theirs else None
        if declared is not None and other is not None and other != declared:
            errors.append(
                _(
                    "1a gives %(declared)s nominated villages here but %(other)s on the worksheet "
                    "of %(village)s: the regency/city has one count."
                )
                % {"declared": declared, "other": other, "village": sibling.village.village.name}
            )
            break
    last = all(s.self_submitted for s in state["siblings"])
    if declared is not None and (count > declared or (last and count != declared)):
        errors.append(
            _(
                "1a says the regency/city nominates %(declared)s villages, but %(count)s of its "
                "villages are marked Ya in 2a."
            )
            % {"declared": declared, "count": count}
        )
    rank_item = state["items"].get("rank")
    if rank_item is not None and worksheet in state["nominated"]:
        mine = state["values"].get(worksheet.pk, {})
        rank = nomination._leading_number(mine.get("rank", (None, ""))[1])
        if rank is None and (declared or count) > 1:
            errors.append(
                _("%(code)s: give this village's rank among the regency/city's nominees.")
                % {"code": rank_item.code}
            )
        holder = nomination.rank_holder(worksheet, rank, state) if rank is not None else None
        if holder is not None:
            errors.append(_rank_taken(rank_item, rank, holder))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_answer(
    worksheet: Worksheet,
    *,
    item: Item,
    level: str,
    option: Option | None = None,
    text: str = "",
    note: str = "",
    reason: str = "",
    version: int,
    by: User,
) -> Answer:
    """Save one item's answer at one level, opened at `version` (0: no answer yet).

    Checked: the level is open in the worksheet's state, the item belongs to the worksheet, the
    option to the item, a changed provincial score has a reason, and nobody saved the answer
    since it was opened (else StaleEditError, and the earlier save stays). Updates the
    worksheet's progress and scores. By the team of the level (can_answer; PermissionDenied
    otherwise). Audited on the worksheet with old → new and the reason. The answer returned
    carries, for the caller, `worksheet` (the locked row with its new counters and scores) and
    `previous` (the answer as it was before this save; None when there was none)."""
    _require_answerer(by, worksheet, level)
    worksheet = _locked_worksheet(worksheet)
    _check_level_open(worksheet, level)
    tree = instrument_tree(worksheet.assessment.instrument, worksheet.target)
    _item_of(worksheet, item, tree)
    option, text = _clean_values(item, option, text)
    current = (
        Answer.objects.filter(worksheet=worksheet, item=item, level=level)
        .select_related("option")
        .first()
    )
    if (current.version if current else 0) != version:
        raise StaleEditError(
            _(
                "Someone else saved item %(code)s while you were editing. Your change was not "
                "saved; the answer below is theirs."
            )
            % {"code": item.code}
        )
    _check_reason(worksheet, item, level, option, reason)
    role = _check_nomination_answer(worksheet, item, level, option, text)
    note, reason = note.strip(), reason.strip()
    old = (_label(current), current.note if current else "", current.reason if current else "")
    previous = copy.copy(current)  # before the changes below
    now_answered = option is not None or bool(text)
    if current is not None and (current.option_id, current.text, current.note, current.reason) == (
        option.pk if option else None,
        text,
        note,
        reason,
    ):
        current.worksheet, current.previous = worksheet, previous
        return current
    was = current is not None and current.is_answered
    if current is None:
        try:
            with transaction.atomic():
                current = Answer.objects.create(
                    worksheet=worksheet,
                    item=item,
                    level=level,
                    option=option,
                    text=text,
                    note=note,
                    reason=reason,
                    answered_by=by,
                )
        except IntegrityError:
            raise StaleEditError(
                _(
                    "Someone else answered item %(code)s at the same moment. Reload to see their "
                    "answer."
                )
                % {"code": item.code}
            ) from None
    else:
        current.option, current.text, current.note, current.reason = option, text, note, reason
        current.version += 1
        current.answered_by, current.answered_at = by, timezone.now()
        current.save(
            update_fields=[
                "option",
                "text",
                "note",
                "reason",
                "version",
                "answered_by",
                "answered_at",
            ]
        )
    fields = []
    if item.kind == ItemKind.CHOICE and was != now_answered:
        counter = COUNTER[level]
        setattr(worksheet, counter, getattr(worksheet, counter) + (1 if now_answered else -1))
        fields.append(counter)
    if role == "nominated":
        fields = _recount(worksheet)  # 2a decides what the village fills
    elif item.kind == ItemKind.CHOICE:
        fields += _refresh_scores(worksheet, [level], tree=tree)
    if fields:
        worksheet.save(update_fields=sorted(set(fields)))
    changes = {}
    new = (_label(current), note, reason)
    for name, before, after in zip(("answer", "note", "reason"), old, new, strict=True):
        if before != after and (before or after):
            changes[f"{item.code} · {name}"] = (before or None, after or None)
    audit(
        worksheet,
        by=by,
        action=f"lke.answer.{level}",
        changes=changes,
        reason=reason,
        office=worksheet.office,
    )
    current.worksheet, current.previous = worksheet, previous  # for the caller (see above)
    return current


@transaction.atomic
def accept_self_answers(worksheet: Worksheet, *, by: User) -> int:
    """Verify at once every choice item not verified yet by taking the self-assessed option
    (no score changes, so no reason is needed). By the province team (PermissionDenied
    otherwise). Returns how many; one audit row."""
    _require_step(by, worksheet, "accept_self")
    worksheet = _locked_worksheet(worksheet)
    _check_level_open(worksheet, Level.PROVINCIAL)
    answers = Answer.objects.filter(worksheet=worksheet, item__kind=ItemKind.CHOICE)
    verified = set(
        answers.filter(level=Level.PROVINCIAL, option__isnull=False).values_list(
            "item_id", flat=True
        )
    )
    blank = {a.item_id: a for a in answers.filter(level=Level.PROVINCIAL, option__isnull=True)}
    skipped = nomination.skipped_for(
        worksheet,
        Level.PROVINCIAL,
        instrument_tree(worksheet.assessment.instrument, worksheet.target),
    )
    taken = [
        a
        for a in answers.filter(level=Level.SELF, option__isnull=False).select_related("item")
        if a.item_id not in verified and a.item_id not in skipped
    ]
    created, updated = [], []
    for own in taken:
        row = blank.get(own.item_id)
        if row is None:
            created.append(
                Answer(
                    worksheet=worksheet,
                    item_id=own.item_id,
                    level=Level.PROVINCIAL,
                    option_id=own.option_id,
                    answered_by=by,
                )
            )
        else:
            row.option_id, row.version, row.answered_by, row.answered_at = (
                own.option_id,
                row.version + 1,
                by,
                timezone.now(),
            )
            updated.append(row)
    Answer.objects.bulk_create(created)
    Answer.objects.bulk_update(updated, ["option", "version", "answered_by", "answered_at"])
    if not taken:
        return 0
    worksheet.provincial_answered += len(taken)
    _refresh_scores(worksheet, [Level.PROVINCIAL], recheck=True)
    worksheet.save(update_fields=["provincial_answered", "scores"])
    audit(
        worksheet,
        by=by,
        action="lke.accept_self",
        office=worksheet.office,
        changes={"items": (None, sorted(a.item.code for a in taken))},
    )
    return len(taken)


@transaction.atomic
def apply_check_rule(
    worksheet: Worksheet,
    *,
    rule: CheckRule,
    version: int,
    by: User,
    rule_version: int | None = None,
) -> Answer:
    """Verify the item of a checking rule with the score the rule gives, the rule's text as the
    reason (the provincial note is kept), on the provincial answer opened at `version`.

    Checked: the rule still exists as the verifier saw it (at `rule_version`, when given: the
    province may change its rules on the instrument's page meanwhile), is of an item of the
    worksheet and applies now, to the self-assessed score and the kinds of evidence present
    (else ValidationError: the rule, the evidence or the answer changed since the page was
    opened). Saved by `save_answer`, so the actor (the province team), the state, stale copies
    and the audit row are those of any verification answer."""
    _require_answerer(by, worksheet, Level.PROVINCIAL)
    code = rule.item.code
    rule = CheckRule.objects.select_related("item").filter(pk=rule.pk).first()
    if rule is None or (rule_version is not None and rule.version != rule_version):
        raise StaleEditError(
            _(
                "The checking rule of item %(code)s was changed or deleted on the instrument's "
                "page since you opened this worksheet. Nothing was saved; the rules as they are "
                "now are shown."
            )
            % {"code": code}
        )
    item = rule.item
    _item_of(worksheet, item)
    answers = {
        a.level: a
        for a in Answer.objects.filter(worksheet=worksheet, item=item).select_related("option")
    }
    own = answers.get(Level.SELF)
    own_score = own.option.score if own is not None and own.option_id else None
    kinds = set(
        Evidence.objects.filter(worksheet=worksheet, item=item)
        .exclude(document="")
        .values_list("document", flat=True)
    )
    if not rule.applies(own_score, kinds):
        raise ValidationError(
            _(
                "The checking rule no longer fits item %(code)s: its self-assessed answer or its "
                "evidence changed. Reload the page."
            )
            % {"code": item.code}
        )
    option = item.options.filter(score=rule.score).order_by("order", "id").first()
    current = answers.get(Level.PROVINCIAL)
    return save_answer(
        worksheet,
        item=item,
        level=Level.PROVINCIAL,
        option=option,
        note=current.note if current else "",
        reason=rule.text,
        version=version,
        by=by,
    )


# --- evidence ----------------------------------------------------------------------------------


def _check_evidence_open(worksheet: Worksheet, item: Item) -> None:
    if worksheet.status not in EDITABLE_STATUS.values():
        raise TransitionError(
            _("Evidence cannot be changed while the worksheet is '%(status)s'.")
            % {"status": worksheet.get_status_display()}
        )
    _item_of(worksheet, item)


def _document_kind(document: str) -> str:
    document = (document or "").strip()
    if document and document not in DocumentKind.values:
        raise ValidationError({"document": _("Choose the kind of document from the list.")})
    return document


def _evidence_changes(item: Item, title: str, document: str) -> dict:
    changes = {f"{item.code} · evidence": (None, title)}
    if document:
        changes[f"{item.code} · document kind"] = (None, str(DocumentKind(document).label))
    return changes


@transaction.atomic
def add_evidence_file(
    worksheet: Worksheet, *, item: Item, upload, document: str = "", by: User
) -> Evidence:
    """Store an uploaded file (checked by core: size, real type, name) as evidence of `item`,
    of the document kind `document` (undangan, notulen …; empty: not said). The file belongs to
    the worksheet, so only those who see the worksheet can download it."""
    worksheet = _locked_worksheet(worksheet)
    _require_evidence_writer(by, worksheet)
    _check_evidence_open(worksheet, item)
    document = _document_kind(document)
    attachment = store_attachment(
        upload, owner=worksheet, by=by, purpose=item.code, office=worksheet.office
    )
    try:
        evidence = Evidence.objects.create(
            worksheet=worksheet,
            item=item,
            kind=Evidence.Kind.FILE,
            attachment=attachment,
            title=shortened_name(attachment.original_name, TITLE_LENGTH),
            document=document,
            added_by=by,
        )
        audit(
            worksheet,
            by=by,
            action="lke.evidence.add",
            office=worksheet.office,
            changes=_evidence_changes(item, evidence.title, document),
        )
    except Exception:
        attachment.file.delete(save=False)  # the rows roll back; the stored file must go too
        raise
    return evidence


@transaction.atomic
def add_evidence_link(
    worksheet: Worksheet, *, item: Item, url: str, title: str, document: str = "", by: User
) -> Evidence:
    """A link (e.g. the village website or a shared folder) as evidence of `item`, of the
    document kind `document` (empty: not said)."""
    worksheet = _locked_worksheet(worksheet)
    _require_evidence_writer(by, worksheet)
    _check_evidence_open(worksheet, item)
    document = _document_kind(document)
    if not url.lower().startswith(("https://", "http://")):
        raise ValidationError({"url": _("Give a full web address starting with https://.")})
    evidence = Evidence.objects.create(
        worksheet=worksheet,
        item=item,
        kind=Evidence.Kind.LINK,
        url=url,
        title=shortened_name(title.strip() or url, TITLE_LENGTH),
        document=document,
        added_by=by,
    )
    audit(
        worksheet,
        by=by,
        action="lke.evidence.add",
        office=worksheet.office,
        changes=_evidence_changes(item, url, document),
    )
    return evidence


@transaction.atomic
def add_evidence_document(worksheet: Worksheet, *, item: Item, document, by: User) -> Evidence:
    """A document already in the system (a queries.EvidenceChoice: an attachment, or a meeting
    document's URL); the caller offers only what the user may see. Its document kind comes
    from the system: a report file's purpose, a meeting's minutes (notulen) or attendance list
    (daftar hadir). Refused when the same document is already evidence of the item."""
    worksheet = _locked_worksheet(worksheet)
    _require_evidence_writer(by, worksheet)
    _check_evidence_open(worksheet, item)
    if document.attachment is not None:
        values = {"kind": Evidence.Kind.DOCUMENT, "attachment": document.attachment}
        title = shortened_name(document.attachment.original_name, TITLE_LENGTH)
    else:
        values = {"kind": Evidence.Kind.MEETING, "url": document.url}
        title = shortened_name(document.label, TITLE_LENGTH)
    if Evidence.objects.filter(worksheet=worksheet, item=item, **values).exists():
        raise ValidationError(
            _("This document is already evidence of item %(code)s.") % {"code": item.code}
        )
    kind = getattr(document, "document", "")
    kind = kind if kind in DocumentKind.values else ""
    evidence = Evidence.objects.create(
        worksheet=worksheet, item=item, title=title, document=kind, added_by=by, **values
    )
    audit(
        worksheet,
        by=by,
        action="lke.evidence.add",
        office=worksheet.office,
        changes=_evidence_changes(item, evidence.title, kind),
    )
    return evidence


@transaction.atomic
def remove_evidence(evidence: Evidence, *, by: User) -> None:
    """Remove a piece of evidence while its worksheet is being filled or verified. An uploaded
    file stays stored (the audit log names it); only the link to the item goes."""
    worksheet = _locked_worksheet(evidence.worksheet)
    _require_evidence_writer(by, worksheet)
    _check_evidence_open(worksheet, evidence.item)
    audit(
        worksheet,
        by=by,
        action="lke.evidence.remove",
        office=worksheet.office,
        changes={f"{evidence.item.code} · evidence": (evidence.title, None)},
    )
    evidence.delete()


# --- the workflow ------------------------------------------------------------------------------

# action: (states it may start from, state it leads to)
TRANSITIONS = {
    "submit": ({Status.SELF_ASSESSMENT}, Status.SUBMITTED),
    "start_verification": ({Status.SUBMITTED}, Status.PROVINCIAL_VERIFICATION),
    "return": ({Status.SUBMITTED, Status.PROVINCIAL_VERIFICATION}, Status.SELF_ASSESSMENT),
    "finalise": ({Status.PROVINCIAL_VERIFICATION}, Status.FINALISED),
    "reopen": ({Status.FINALISED}, Status.PROVINCIAL_VERIFICATION),
    "sign_off": ({Status.FINALISED}, Status.SIGNED_OFF),
}


def _move(worksheet: Worksheet, action: str, *, by: User, reason: str = "", **fields) -> Worksheet:
    """The step `action` (checked for the actor, then for the state) and its audit row."""
    _require_step(by, worksheet, action)
    sources, target = TRANSITIONS[action]
    if worksheet.status not in sources:
        raise TransitionError(
            _("This step is not possible while the worksheet is '%(status)s'.")
            % {"status": worksheet.get_status_display()}
        )
    old = worksheet.status
    worksheet.status = target
    for name, value in fields.items():
        setattr(worksheet, name, value)
    worksheet.save(update_fields=["status", *fields])
    audit(
        worksheet,
        by=by,
        action=f"lke.{action}",
        office=worksheet.office,
        changes={"status": (old, target)},
        reason=reason,
    )
    notifications.worksheet_moved(worksheet, action, by=by, reason=reason)
    return worksheet


def missing_items(worksheet: Worksheet, level: str, tree=None) -> list[str]:
    """Codes of the choice items not answered yet at `level`. `tree`: the worksheet's
    instrument_tree, when the caller has it."""
    tree = tree or instrument_tree(worksheet.assessment.instrument, worksheet.target)
    answered = set(
        Answer.objects.filter(worksheet=worksheet, level=level, option__isnull=False).values_list(
            "item_id", flat=True
        )
    )
    skipped = nomination.skipped_for(worksheet, level, tree)
    return [
        item.code
        for item in required_items(tree)
        if item.pk not in answered and item.pk not in skipped
    ]


def _require_complete(worksheet: Worksheet, level: str) -> None:
    missing = missing_items(worksheet, level)
    if missing:
        raise ValidationError(
            _("Not every item is answered yet. Missing: %(codes)s.") % {"codes": ", ".join(missing)}
        )


def _short(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def missing_evidence(worksheet: Worksheet, level: str = Level.SELF, tree=None) -> list[Item]:
    """The items whose answer at `level` needs evidence (lke.rules.evidence_needed: the answers
    the workbook's Rule Validasi names, or any answer of an item requiring evidence that has no
    rule, or a written text of a text item requiring evidence) and that have none yet
    (queries.evidence_needs). Three queries. `tree`: the worksheet's instrument_tree, when the
    caller has it."""
    tree = tree or instrument_tree(worksheet.assessment.instrument, worksheet.target)
    skipped = nomination.skipped_for(worksheet, level, tree)
    needed, present = evidence_needs(worksheet, tree, skipped, level)
    return [item for item in needed if item.pk not in present]


def _require_evidence(worksheet: Worksheet, level: str) -> None:
    missing = missing_evidence(worksheet, level)
    if missing:
        raise ValidationError(
            _("Evidence is required for the answer given but missing for: %(items)s.")
            % {"items": "; ".join(f"{item.code} {_short(item.text)}" for item in missing)}
        )


@transaction.atomic
def submit_worksheet(worksheet: Worksheet, *, by: User) -> Worksheet:
    """Self-assessment → submitted, once every choice item is answered. The kab/kota answers are
    then read-only. Clears the comments of an earlier return."""
    _require_step(by, worksheet, "submit")
    worksheet = _locked_worksheet(worksheet)
    if worksheet.status in TRANSITIONS["submit"][0]:
        _require_complete(worksheet, Level.SELF)
        _require_evidence(worksheet, Level.SELF)
        _require_nomination(worksheet, Level.SELF)
    return _move(worksheet, "submit", by=by, submitted_at=timezone.now(), return_comment="")


@transaction.atomic
def start_verification(worksheet: Worksheet, *, by: User) -> Worksheet:
    """Submitted → provincial verification: the province team starts answering."""
    return _move(_locked_worksheet(worksheet), "start_verification", by=by)


@transaction.atomic
def return_worksheet(worksheet: Worksheet, *, reason: str, by: User) -> Worksheet:
    """Back to the kab/kota team with comments (required). All answers stay."""
    _require_step(by, worksheet, "return")
    if not reason.strip():
        raise ValidationError({"reason": _("Say what the regency/city team should change.")})
    return _move(
        _locked_worksheet(worksheet),
        "return",
        by=by,
        reason=reason.strip(),
        return_comment=reason.strip(),
    )


@transaction.atomic
def finalise_worksheet(worksheet: Worksheet, *, by: User) -> Worksheet:
    """Provincial verification → finalised, once every choice item is verified; freezes the
    scores of both levels in a snapshot that later edits do not change."""
    _require_step(by, worksheet, "finalise")
    worksheet = _locked_worksheet(worksheet)
    if worksheet.status in TRANSITIONS["finalise"][0]:
        _require_complete(worksheet, Level.PROVINCIAL)
    snapshot = Snapshot.objects.create(
        worksheet=worksheet, taken_by=by, data=snapshot_data(worksheet)
    )
    return _move(worksheet, "finalise", by=by, finalised_at=timezone.now(), final_snapshot=snapshot)


@transaction.atomic
def reopen_worksheet(worksheet: Worksheet, *, reason: str, by: User) -> Worksheet:
    """Finalised → provincial verification again, for a correction (reason required). The
    frozen snapshot stays the published result until the worksheet is finalised again."""
    _require_step(by, worksheet, "reopen")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the finalised worksheet is reopened.")})
    return _move(_locked_worksheet(worksheet), "reopen", by=by, reason=reason.strip())


@transaction.atomic
def sign_off_worksheet(worksheet: Worksheet, *, by: User) -> Worksheet:
    """Finalised → signed off, by the head of the province office (as part of
    sign_off_results)."""
    return _move(_locked_worksheet(worksheet), "sign_off", by=by, signed_off_at=timezone.now())


def _check_record(assessment: Assessment, record: dict) -> None:
    """The berita acara's number, place, date and the signing team lead (forms.BeritaAcaraForm
    reads them): all given, and the lead is a ketua tim of the province."""
    from core.models import Role
    from core.permissions import has_role

    missing = [k for k in ("number", "place", "date", "lead") if not record.get(k)]
    if missing:
        raise ValidationError(
            _("The berita acara needs its number, place, date and the signing team lead.")
        )
    if not has_role(record["lead"], assessment.program_year.province, {Role.KETUA_TIM}):
        raise ValidationError(
            {"lead": _("%(name)s is not a team lead of the province.") % {"name": record["lead"]}}
        )


@transaction.atomic
def sign_off_results(assessment: Assessment, *, record: dict, by: User) -> Assessment:
    """The province head signs the Hasil penilaian LKE Provinsi: every worksheet of the year must
    be finalised; each is signed off, and the results become visible to the kab/kota offices.
    `record` is the berita acara's number, place, date and signing team lead (checked). By the
    head of the province office (PermissionDenied otherwise)."""
    require(
        can_sign_off(by, assessment),
        str(STEP_REFUSALS["sign_off"]),
    )
    assessment = locked(Assessment, assessment.pk)
    _check_record(assessment, record)
    if assessment.signed_off_at:
        raise TransitionError(
            _("The results of %(year)s are already signed off.")
            % {"year": assessment.program_year.year}
        )
    worksheets = list(
        Worksheet.objects.filter(assessment=assessment).select_related(
            "office", "village__village", "assessment__program_year"
        )
    )
    open_ones = [w.subject_name for w in worksheets if w.status not in FINAL_STATUSES]
    if not worksheets or open_ones:
        raise TransitionError(
            _("Every worksheet must be finalised first. Not yet: %(names)s.")
            % {"names": ", ".join(open_ones) or "—"}
        )
    for worksheet in worksheets:
        if worksheet.status == Status.FINALISED:
            sign_off_worksheet(worksheet, by=by)
    assessment.signed_off_at, assessment.signed_off_by = timezone.now(), by
    assessment.record_number, assessment.record_place = record["number"], record["place"]
    assessment.record_date, assessment.record_lead = record["date"], record["lead"]
    assessment.save(
        update_fields=[
            "signed_off_at",
            "signed_off_by",
            "record_number",
            "record_place",
            "record_date",
            "record_lead",
        ]
    )
    audit(
        assessment,
        by=by,
        action="lke.sign_off_results",
        office=assessment.program_year.province,
        changes={
            "signed_off_at": (None, assessment.signed_off_at),
            "record_number": (None, record["number"]),
            "record_place": (None, record["place"]),
            "record_date": (None, record["date"]),
            "record_lead": (None, str(record["lead"])),
        },
    )
    return assessment


def snapshot_data(worksheet: Worksheet) -> dict:
    """Everything the results show, frozen: names, the scores of both levels, and per item the
    chosen options, scores and NILAI."""
    instrument = worksheet.assessment.instrument
    tree = instrument_tree(instrument, worksheet.target)
    answers = {
        (a.item_id, a.level): a
        for a in Answer.objects.filter(worksheet=worksheet).select_related("option")
    }
    items = []
    for item in tree_items(tree):
        if not item.is_answerable:
            continue
        row = {"code": item.code, "kind": item.kind, "max_score": item.max_score}
        for level in Level.values:
            answer = answers.get((item.pk, level))
            score = answer.option.score if answer and answer.option_id else None
            row[level] = {
                "answer": _label(answer),
                "score": score,
                "nilai": item_nilai(item, score, instrument.nilai_scale),
            }
        items.append(row)
    ws = Worksheet.objects.select_related("village__village__parent", "office").get(pk=worksheet.pk)
    return {
        "name": ws.subject_name,
        "district": ws.village.village.parent.name if ws.village_id else "",
        "kind": ws.village.kind if ws.village_id else "",
        "office": ws.office.short_name,
        "instrument": str(instrument),
        "scores": worksheet.scores,
        "items": items,
    }


# --- xlsx round trip of a worksheet --------------------------------------------------------------


@transaction.atomic
def import_answers(worksheet: Worksheet, rows: list[dict], *, level: str, by: User) -> int:
    """Apply answers read from a worksheet's xlsx (see exports.parse_worksheet_xlsx): every row
    is checked first (open level, option of the item, reason for a changed provincial score,
    the answer unchanged since the file was downloaded); any error raises with every row named
    and nothing is saved. Returns how many answers changed; one audit row lists them. By the
    team of the level (can_answer; PermissionDenied otherwise)."""
    _require_answerer(by, worksheet, level)
    worksheet = _locked_worksheet(worksheet)
    _check_level_open(worksheet, level)
    tree = instrument_tree(worksheet.assessment.instrument, worksheet.target)
    items = {item.code: item for item in tree_items(tree)}
    existing = {
        (a.item_id, a.level): a
        for a in Answer.objects.filter(worksheet=worksheet).select_related("option")
    }
    self_answers = {item_id: a for (item_id, lvl), a in existing.items() if lvl == Level.SELF}
    errors, plan = [], []
    for row in rows:
        item = items[row["code"]]
        current = existing.get((item.pk, level))
        where = _("row %(row)s (%(code)s)") % {"row": row["row"], "code": item.code}
        if (current.version if current else 0) != row["version"]:
            errors.append(
                _("%(where)s: changed by someone else since the file was downloaded")
                % {"where": where}
            )
            continue
        try:
            _check_reason(worksheet, item, level, row["option"], row["reason"], self_answers)
        except ValidationError:
            errors.append(
                _(
                    "%(where)s: the score differs from the self-assessment; fill in the reason "
                    "column"
                )
                % {"where": where}
            )
            continue
        values = (
            row["option"].pk if row["option"] else None,
            row["text"],
            row["note"],
            row["reason"],
        )
        if (
            current is not None
            and (current.option_id, current.text, current.note, current.reason) == values
        ):
            continue
        if current is None and not any(values):
            continue
        plan.append((item, current, row))
    if errors:
        raise ValidationError(errors)
    changes = {}
    for item, current, row in plan:
        before = _label(current)
        if current is None:
            current = Answer(worksheet=worksheet, item=item, level=level, version=0)
        was = current.is_answered
        current.option, current.text, current.note, current.reason = (
            row["option"],
            row["text"],
            row["note"],
            row["reason"],
        )
        current.version += 1
        current.answered_by, current.answered_at = by, timezone.now()
        current.save()
        if item.kind == ItemKind.CHOICE and was != current.is_answered:
            Worksheet.objects.filter(pk=worksheet.pk).update(
                **{COUNTER[level]: F(COUNTER[level]) + (1 if current.is_answered else -1)}
            )
        if before != _label(current):
            changes[f"{item.code} · answer"] = (before, _label(current))
    if plan:
        worksheet.save(update_fields=_recount(worksheet))  # 2a may have changed
        audit(
            worksheet, by=by, action=f"lke.import.{level}", office=worksheet.office, changes=changes
        )
    return len(plan)


# --- many worksheets at once (the province's throughput) ------------------------------------------

# action: the steps it takes, in order; a step is skipped where it has nothing to do (a worksheet
# already in verification needs no start; one with every item verified nothing to take over).
BULK_STEPS = {
    "start_verification": ("start_verification",),
    "accept_self": ("accept_self",),
    "finalise": ("finalise",),
    "verify_and_finalise": ("start_verification", "accept_self", "finalise"),
}


class BulkOutcome:
    """What a bulk action did: the worksheets done and those refused, each with its reason."""

    def __init__(self):
        self.done: list[Worksheet] = []
        self.refused: list[tuple[Worksheet, str]] = []


def _bulk_steps(worksheet: Worksheet, action: str, *, by: User) -> None:
    from .queries import allowed_actions

    steps = BULK_STEPS[action]
    worksheet = _locked_worksheet(worksheet)  # its state now, not when the list was read
    for step in steps:
        if len(steps) > 1 and step == "start_verification" and worksheet.status != Status.SUBMITTED:
            continue
        if (
            len(steps) > 1
            and step == "accept_self"
            and worksheet.provincial_answered >= worksheet.required_items
        ):
            continue
        if step not in allowed_actions(by, worksheet):
            raise TransitionError(
                _("You may not take the step '%(step)s' while the worksheet is '%(status)s'.")
                % {"step": BULK_LABELS[step], "status": worksheet.get_status_display()}
            )
        if step == "start_verification":
            worksheet = start_verification(worksheet, by=by)
        elif step == "accept_self":
            if not accept_self_answers(worksheet, by=by):
                raise TransitionError(_("Every self-assessed answer is verified already."))
            worksheet = _locked_worksheet(worksheet)
        else:
            worksheet = finalise_worksheet(worksheet, by=by)


BULK_LABELS = {
    "start_verification": gettext_lazy("Start verification"),
    "accept_self": gettext_lazy("Take over the self-assessed answers"),
    "finalise": gettext_lazy("Finalise"),
    "verify_and_finalise": gettext_lazy(
        "Start verification, take over the self-assessed answers and finalise"
    ),
}


def apply_to_many(worksheets, action: str, *, by: User, dry_run: bool = False) -> BulkOutcome:
    """Take `action` (BULK_STEPS) on each worksheet, one by one, each through the same service
    as on its own page (its checks, its audit rows, its notifications) and in its own
    transaction: a worksheet that cannot take the step is refused with the reason, the others
    are done. `dry_run` does the same and rolls everything back: what the confirmation page
    shows is what the real run would do. An actor who may take none of the action's steps on
    a worksheet (not its province team) is refused the whole call (PermissionDenied, before any
    worksheet is touched); one who may take only some (tim_provinsi verifying and finalising)
    sees the worksheets refused with the reason, as each service checks its own step."""
    if action not in BULK_STEPS:
        raise ValidationError(_("Unknown step."))
    worksheets = list(worksheets)
    for worksheet in worksheets:
        require(
            any(can_take_step(by, worksheet, step) for step in BULK_STEPS[action]),
            _("Only the province Desa Cantik team acts on many worksheets at once."),
        )
    outcome = BulkOutcome()
    with transaction.atomic():
        for worksheet in worksheets:
            try:
                with transaction.atomic():
                    _bulk_steps(worksheet, action, by=by)
            except ValidationError as error:
                outcome.refused.append((worksheet, " ".join(error.messages)))
            else:
                outcome.done.append(worksheet)
        if dry_run:
            transaction.set_rollback(True)
    return outcome
