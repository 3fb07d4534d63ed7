"""Reads of the LKE, always from what the user may see (worksheets_visible_to), and the two
read functions the monitoring dashboard imports: `tracked_items` and `progress_by_office`."""

import itertools
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Max, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import pagecache
from core.deadlines import Status as DeadlineStatus
from core.deadlines import TrackedItem, due_at, end_of_day, item_status
from core.models import Attachment, Office, Role, User
from core.permissions import (
    PROVINCE_READERS,
    PROVINCE_TEAM,
    has_role,
    offices_visible_to,
    require,
    visible_office_ids,
)
from core.services import extensions_for
from program.models import ParticipatingVillage, ProgramYear, SopActivity
from program.queries import Years, years_of

from .models import (
    CHECKED_KINDS,
    FINAL_STATUSES,
    SUBMITTED_OR_LATER,
    Answer,
    Aspect,
    Assessment,
    CheckRule,
    DocumentKind,
    Evidence,
    Instrument,
    Item,
    Level,
    Status,
    Target,
    Worksheet,
)
from .rules import evidence_needed, evidence_offered
from .scoring import instrument_tree, instrument_trees, item_nilai, ranked, tree_items

WRITE_ROLES = frozenset({Role.TIM_KABKOTA, Role.TIM_PROVINSI, Role.KETUA_TIM, Role.KEPALA})
RESULT_READERS = PROVINCE_READERS | {Role.VIEWER, Role.ADMIN}


# --- visibility and what a user may do -----------------------------------------------------------


def worksheets_visible_to(user: User) -> QuerySet[Worksheet]:
    """Worksheets of the offices the user reaches: a kab/kota office sees its own villages and
    its own Blok IV, never another office's; the province sees all of its kab/kota."""
    return (
        Worksheet.objects.filter(office_id__in=visible_office_ids(user))
        .select_related(
            "assessment__program_year__province",
            "assessment__instrument",
            "office",
            "village__village__parent",
        )
        .defer("final_snapshot")
    )


def get_worksheet_for(
    user: User, pk: int, *, write: bool = False, light: bool = False
) -> Worksheet:
    """404 outside the user's scope; with `write`, 403 for those who only read (viewers,
    pimpinan kab/kota). What each writer may do depends on the state: see `allowed_actions`.
    `light`: joined with its assessment, instrument, year and office only, for the htmx answer
    endpoints whose responses name neither the village nor the province (fewer joins to plan)."""
    worksheets = worksheets_visible_to(user)
    if light:
        worksheets = worksheets.select_related(None).select_related(
            "assessment__instrument", "assessment__program_year", "office"
        )
    worksheet = get_object_or_404(worksheets, pk=pk)
    if write:
        require(has_role(user, worksheet.office, WRITE_ROLES))
    return worksheet


def get_item_of(worksheet: Worksheet, item_pk: int) -> Item:
    """An item of the worksheet's own blocks (instrument and target): anything else, such as a
    Blok IV item posted to a Blok III worksheet, is a 404."""
    return get_object_or_404(
        Item.objects.filter(
            instrument=worksheet.assessment.instrument_id,
            indicator__aspect__block__target=worksheet.target,
        ).select_related("indicator__aspect__block"),
        pk=item_pk,
    )


# Who answers at each level, and who takes each workflow step (services.TRANSITIONS names, plus
# accept_self). The one place of these rules: the pages ask `editable_level`/`allowed_actions`
# (which add the worksheet's state), lke.services asks `can_answer`/`can_take_step`.
LEVEL_ROLES = {Level.SELF: frozenset({Role.TIM_KABKOTA}), Level.PROVINCIAL: PROVINCE_TEAM}
STEP_ROLES = {
    "submit": frozenset({Role.TIM_KABKOTA}),
    "start_verification": PROVINCE_TEAM,
    "return": PROVINCE_TEAM,
    "accept_self": PROVINCE_TEAM,
    "finalise": frozenset({Role.KETUA_TIM}),
    "reopen": frozenset({Role.KETUA_TIM}),
    "sign_off": frozenset({Role.KEPALA}),
}
# The states each step starts from (as services.TRANSITIONS; accept_self during verification).
STEP_SOURCES = {
    "submit": {Status.SELF_ASSESSMENT},
    "start_verification": {Status.SUBMITTED},
    "return": {Status.SUBMITTED, Status.PROVINCIAL_VERIFICATION},
    "accept_self": {Status.PROVINCIAL_VERIFICATION},
    "finalise": {Status.PROVINCIAL_VERIFICATION},
    "reopen": {Status.FINALISED},
}
LEVEL_STATUS = {
    Level.SELF: Status.SELF_ASSESSMENT,
    Level.PROVINCIAL: Status.PROVINCIAL_VERIFICATION,
}


def can_answer(user: User | None, worksheet: Worksheet, level: str) -> bool:
    """The kab/kota team of the worksheet's office answers the self-assessment; the province
    team verifies (in whatever state the worksheet is: the services check the state)."""
    return has_role(user, worksheet.office, LEVEL_ROLES[level])


def can_take_step(user: User | None, worksheet: Worksheet, step: str) -> bool:
    """The role rule of a workflow step (STEP_ROLES), whatever the worksheet's state."""
    return has_role(user, worksheet.office, STEP_ROLES[step])


def editable_level(user: User, worksheet: Worksheet) -> str | None:
    """The level whose answers (and evidence) the user may change now, if any: the kab/kota team
    during self-assessment, the province team during verification."""
    for level, status in LEVEL_STATUS.items():
        if worksheet.status == status and can_answer(user, worksheet, level):
            return level
    return None


def allowed_actions(user: User, worksheet: Worksheet) -> set[str]:
    """The workflow steps the user may take on the worksheet now (services.TRANSITIONS names,
    plus accept_self); reopening only until the results are signed off."""
    return {
        step
        for step, sources in STEP_SOURCES.items()
        if worksheet.status in sources
        and can_take_step(user, worksheet, step)
        and not (step == "reopen" and worksheet.assessment.signed_off_at)
    }


def bulk_actions_for(user: User, program_year: ProgramYear) -> list[tuple[str, str]]:
    """The bulk steps offered on the list of the year (services.BULK_STEPS): to the province
    team; finalising needs the team lead. The services check each worksheet again."""
    from .services import BULK_LABELS

    province = program_year.province
    if not has_role(user, province, PROVINCE_TEAM):
        return []
    names = ["start_verification", "accept_self"]
    if has_role(user, province, {Role.KETUA_TIM}):
        names += ["finalise", "verify_and_finalise"]
    return [(name, BULK_LABELS[name]) for name in names]


def can_open_assessment(user: User, program_year: ProgramYear) -> bool:
    return has_role(user, program_year.province, {Role.KETUA_TIM})


def can_sign_off(user: User, assessment: Assessment) -> bool:
    return has_role(user, assessment.program_year.province, {Role.KEPALA})


def can_see_province_results(user: User, assessment: Assessment) -> bool:
    """The province sees the ranking at every moment; a kab/kota office only once the province
    head has signed the results off."""
    return (
        user.is_superuser
        or has_role(user, assessment.program_year.province, RESULT_READERS)
        or assessment.signed_off_at is not None
    )


def can_manage_instruments(user: User | None) -> bool:
    """The admin and the province's ketua tim see the instruments, import and export them."""
    from core.permissions import roles_of

    return user is not None and (
        user.is_superuser or bool({Role.ADMIN, Role.KETUA_TIM} & set(roles_of(user)))
    )


def can_correct_instrument(user: User | None, instrument: Instrument) -> bool:
    """Who changes an instrument's checking rules and its items' divisors on the instrument's
    page (issue 10): the admin, for any instrument; a province's team lead for an instrument
    that no other province's assessment uses (an instrument is shared by the provinces that
    open their assessment with it, so one province must not change another's rules). Whether
    the instrument may still change at all is correction_lock's."""
    from core.permissions import memberships_of

    if not can_manage_instruments(user):
        return False
    if user.is_superuser or any(m.role == Role.ADMIN for m in memberships_of(user)):
        return True
    own = {m.office_id for m in memberships_of(user) if m.role == Role.KETUA_TIM}
    using = set(
        Assessment.objects.filter(instrument=instrument).values_list(
            "program_year__province_id", flat=True
        )
    )
    return using <= own


def correction_lock(instrument: Instrument) -> str:
    """Why the instrument's checking rules and divisors can no longer change, or "": a
    worksheet that uses it is finalised or signed off, and its results must stay those of the
    rules and divisors it was finalised with."""
    final = Worksheet.objects.filter(
        assessment__instrument=instrument, status__in=FINAL_STATUSES
    ).count()
    if not final:
        return ""
    return _(
        "The checking rules and divisors of this instrument can no longer be changed: "
        "%(count)s worksheets using it are finalised or signed off, and their results must "
        "stay those of the rules they were verified with. Reopen the finalised worksheets "
        "first, or import a new version of the instrument."
    ) % {"count": final}


def assessment_of(program_year: ProgramYear | None) -> Assessment | None:
    if program_year is None:
        return None
    return (
        Assessment.objects.select_related("instrument", "program_year__province", "signed_off_by")
        .filter(program_year=program_year)
        .first()
    )


def default_instrument(year: int) -> Instrument | None:
    """The latest version for the year, else the latest of an earlier year."""
    return Instrument.objects.filter(year__lte=year).order_by("-year", "-version").first()


# --- the index of a year -----------------------------------------------------------------------


def worksheets_of_year(user: User, program_year: ProgramYear) -> list[Worksheet]:
    return list(
        worksheets_visible_to(user)
        .filter(assessment__program_year=program_year)
        .order_by("office__code", "-target", "village__village__name")
    )


def evidence_counts(worksheets: Collection[Worksheet]) -> dict[int, int]:
    """{worksheet id: items with required evidence that have some}. One query."""
    rows = (
        Evidence.objects.filter(worksheet__in=worksheets, item__evidence_required=True)
        .values("worksheet_id")
        .annotate(n=Count("item_id", distinct=True))
    )
    return {row["worksheet_id"]: row["n"] for row in rows}


def evidence_required_counts(assessment: Assessment) -> dict[str, int]:
    rows = (
        assessment.instrument.items.filter(evidence_required=True)
        .values("indicator__aspect__block__target")
        .annotate(n=Count("id"))
    )
    return {row["indicator__aspect__block__target"]: row["n"] for row in rows}


# --- one worksheet -------------------------------------------------------------------------------


@dataclass
class ItemRow:
    item: object
    answers: dict  # level → Answer | None
    evidence: list
    delta: int | None = None
    nilai: dict = field(default_factory=dict)
    error: str = ""
    scored: bool = True  # False in an unscored block (the Blok II nomination): no scores shown
    suggestion: object = None  # lke.prefill.Suggestion for an unanswered self-level item
    stale_attempt: str = ""  # the answer a refused (stale) save carried
    rules: list = field(default_factory=list)  # the item's CheckRules

    @property
    def document_kinds(self) -> list[tuple[str, str]]:
        """The kinds an evidence upload or link may be given (its form's choices), on the row so
        that every response rendering the evidence block has them."""
        return DocumentKind.choices

    @property
    def evidence_kinds(self) -> set[str]:
        return {piece.document for piece in self.evidence if piece.document}

    @property
    def kind_marks(self) -> list[tuple[str, str, bool]]:
        """(kind, label, present) of each kind the checking rules name, for the verifier."""
        kinds = self.evidence_kinds
        return [(kind.value, kind.label, kind.value in kinds) for kind in CHECKED_KINDS]

    @property
    def applicable_rules(self) -> list:
        """The checking rules that give the self-assessed answer another score, given the kinds
        of evidence present (a rule to confirm is offered, the verifier decides)."""
        own, kinds = self.score(Level.SELF), self.evidence_kinds
        return [rule for rule in self.rules if rule.applies(own, kinds)]

    skipped: bool = False  # not filled: the village is not nominated (lke.nomination)

    def score(self, level):
        answer = self.answers.get(level)
        return answer.option.score if answer and answer.option_id else None

    @property
    def self_answer(self):
        return self.answers.get(Level.SELF)

    @property
    def provincial_answer(self):
        return self.answers.get(Level.PROVINCIAL)

    @property
    def evidence_score(self):
        """The answer that decides the evidence field: the verified one, else the self one."""
        verified = self.score(Level.PROVINCIAL)
        return verified if verified is not None else self.score(Level.SELF)

    @property
    def has_evidence_rule(self) -> bool:
        return self.item.evidence_scores is not None

    @property
    def evidence_offered(self) -> bool:
        """The evidence field is shown (lke.rules): always without a rule, else for the answers
        the rule names; evidence already given stays listed and removable."""
        return evidence_offered(self.item, self.evidence_score) or bool(self.evidence)

    @property
    def evidence_needed(self) -> bool:
        own = self.self_answer
        return evidence_needed(self.item, self.score(Level.SELF), own.text if own else "")

    @property
    def evidence_view(self) -> tuple[bool, bool, bool]:
        """What of the evidence section (lke/_evidence.html) depends on the answers: whether an
        answer decides it yet, whether the field is offered, whether evidence is missing."""
        return (self.evidence_score is None, self.evidence_offered, self.evidence_needed)

    def evidence_view_with(self, level: str, answer) -> tuple[bool, bool, bool]:
        """`evidence_view` had the answer at `level` been `answer` (None: no answer): the
        section as it was before a save at that level."""
        return replace(self, answers={**self.answers, level: answer}).evidence_view


def worksheet_rows(worksheet: Worksheet) -> dict:
    """The worksheet as the page shows it: blocks → aspects → indicators → item rows with the
    answers of both levels side by side, the delta, NILAI and evidence; plus progress. A fixed
    number of queries (tree, answers, evidence) whatever the number of items."""
    instrument = worksheet.assessment.instrument
    tree = instrument_tree(instrument, worksheet.target)
    answers = defaultdict(dict)
    for answer in Answer.objects.filter(worksheet=worksheet).select_related(
        "option", "answered_by"
    ):
        answers[answer.item_id][answer.level] = answer
    evidence = defaultdict(list)
    for piece in Evidence.objects.filter(worksheet=worksheet).select_related(
        "attachment", "added_by"
    ):
        evidence[piece.item_id].append(piece)
    rules = defaultdict(list)
    for rule in CheckRule.objects.filter(
        item__instrument=instrument, item__indicator__aspect__block__target=worksheet.target
    ).order_by("order", "id"):
        rules[rule.item_id].append(rule)
    from . import nomination

    level = Level.SELF if worksheet.status == Status.SELF_ASSESSMENT else Level.PROVINCIAL
    not_nominated = nomination.stored_not_nominated(worksheet, level)
    skipped = nomination.skipped_ids(tree, not_nominated)
    blocks, required, present = [], 0, 0
    for block in tree:
        aspects = []
        for aspect in block.aspects.all():
            indicators = []
            for indicator in aspect.indicators.all():
                rows = []
                for item in indicator.items.all():
                    row = _item_row(
                        item,
                        answers.get(item.pk, {}),
                        evidence.get(item.pk, []),
                        scored=block.scored,
                        scale=instrument.nilai_scale,
                        rules=rules.get(item.pk, []),
                    )
                    row.skipped = item.pk in skipped
                    if row.evidence_needed and not row.skipped:
                        required += 1
                        present += bool(row.evidence)
                    rows.append(row)
                indicators.append(
                    {
                        "indicator": indicator,
                        "rows": rows,
                        "skipped": bool(rows) and all(r.skipped for r in rows),
                        "scores": {
                            lvl: worksheet.level_scores(lvl)
                            .get("indicators", {})
                            .get(str(indicator.pk))
                            for lvl in Level.values
                        },
                    }
                )
            aspects.append(
                {
                    "aspect": aspect,
                    "indicators": indicators,
                    "scores": {
                        lvl: worksheet.level_scores(lvl).get("aspects", {}).get(aspect.code)
                        for lvl in Level.values
                    },
                }
            )
        blocks.append({"block": block, "aspects": aspects})
    return {
        "blocks": blocks,
        "evidence_required": required,
        "evidence_present": present,
        "nilai_scale": instrument.nilai_scale,
        "not_nominated": not_nominated,
    }


def _item_row(
    item, answers: dict, evidence: list, *, scored: bool, scale: int, rules: list
) -> ItemRow:
    row = ItemRow(item=item, answers=answers, evidence=evidence, scored=scored, rules=rules)
    own, verified = row.score(Level.SELF), row.score(Level.PROVINCIAL)
    if own is not None and verified is not None:
        row.delta = verified - own
    row.nilai = {lvl: item_nilai(item, row.score(lvl), scale) for lvl in Level.values}
    return row


def item_row(worksheet: Worksheet, item: Item) -> ItemRow:
    """One item's row as `worksheet_rows` builds it, for the answer just saved: its answers at
    both levels, its evidence and, once the provincial column shows, its checking rules (two or
    three queries; the item comes with its block, see get_item_of)."""
    answers = {
        a.level: a
        for a in Answer.objects.filter(worksheet=worksheet, item=item).select_related(
            "option", "answered_by"
        )
    }
    evidence = list(
        Evidence.objects.filter(worksheet=worksheet, item=item).select_related(
            "attachment", "added_by"
        )
    )
    return _item_row(
        item,
        answers,
        evidence,
        scored=item.indicator.aspect.block.scored,
        scale=worksheet.assessment.instrument.nilai_scale,
        # The rules show in the provincial column only (absent while it is hidden).
        rules=list(item.check_rules.order_by("order", "id"))
        if worksheet.status != Status.SELF_ASSESSMENT or worksheet.provincial_answered
        else [],
    )


def evidence_needs(
    worksheet: Worksheet, tree, skipped: Collection[int], level: str = Level.SELF
) -> tuple[list[Item], set[int]]:
    """The items of `tree` whose answer at `level` needs evidence before the worksheet is
    submitted (lke.rules.evidence_needed), leaving out `skipped` (those a non-nominated village
    does not fill), and the ids of those among them that have evidence. Two queries. What the
    summary counts and what submitting waits for (services.missing_evidence)."""
    chosen, texts = {}, {}
    for item_id, score, text in Answer.objects.filter(worksheet=worksheet, level=level).values_list(
        "item_id", "option__score", "text"
    ):
        if score is not None:
            chosen[item_id] = score
        if text:
            texts[item_id] = text
    needed = [
        item
        for item in tree_items(tree)
        if item.pk not in skipped
        and evidence_needed(item, chosen.get(item.pk), texts.get(item.pk, ""))
    ]
    present = set(
        Evidence.objects.filter(
            worksheet=worksheet, item_id__in=[item.pk for item in needed]
        ).values_list("item_id", flat=True)
    )
    return needed, present


def worksheet_summary(worksheet: Worksheet, tree=None) -> dict:
    """What the summary card shows (progress, evidence present, aspect scores), shaped like
    `worksheet_rows` but without the items: from the worksheet's stored counters and scores,
    the instrument tree (kept by the process; `tree` when the caller has it) and two queries
    (evidence_needs). Also the items still missing their evidence, for the "Next step" card."""
    from . import nomination

    tree = tree or instrument_tree(worksheet.assessment.instrument, worksheet.target)
    aspects = [aspect for block in tree if block.scored for aspect in block.aspects.all()]
    level = Level.SELF if worksheet.status == Status.SELF_ASSESSMENT else Level.PROVINCIAL
    skipped = nomination.skipped_ids(tree, nomination.stored_not_nominated(worksheet, level))
    needed, present = evidence_needs(worksheet, tree, skipped)
    return {
        "blocks": [
            {
                "block": {"scored": True},
                "aspects": [
                    {
                        "aspect": aspect,
                        "scores": {
                            lvl: worksheet.level_scores(lvl).get("aspects", {}).get(aspect.code)
                            for lvl in Level.values
                        },
                    }
                    for aspect in aspects
                ],
            }
        ],
        "evidence_required": len(needed),
        "evidence_present": len(present),
        "missing_evidence": [item for item in needed if item.pk not in present],
        "nilai_scale": worksheet.assessment.instrument.nilai_scale,
    }


@dataclass(frozen=True)
class EvidenceChoice:
    """A document already in the system that may be linked as evidence: an attachment (village
    document, report file) or a meeting's generated document (a URL of the meetings app)."""

    key: str
    group: str
    label: str
    attachment: Attachment | None = None
    url: str = ""
    document: str = ""  # its DocumentKind, when the system knows it


# A meeting's generated documents as the checking rules name them.
MEETING_DOCUMENT_KINDS = {
    "laporan_rapat": DocumentKind.NOTULEN,
    "daftar_hadir": DocumentKind.DAFTAR_HADIR,
}


def documents_for_evidence(user: User, worksheet: Worksheet) -> dict[str, EvidenceChoice]:
    """What the user may link as evidence, by key: the documents of the worksheet's village (for
    a Blok IV worksheet, of all the office's villages that year), the files of their reports
    (through reports_visible_to), and the Laporan rapat and attendance lists of the year's closed
    meetings (meetings.queries.evidence_documents). Four queries."""
    from meetings.queries import evidence_documents
    from reports.queries import reports_visible_to

    program_year = worksheet.assessment.program_year
    villages = (
        [worksheet.village_id]
        if worksheet.village_id
        else list(
            ParticipatingVillage.objects.filter(
                program_year=program_year, office=worksheet.office
            ).values_list("pk", flat=True)
        )
    )
    visible_reports = reports_visible_to(user)
    # Only a report's id and kind are shown: not the joins and order of the report pages.
    reports = {
        str(r.pk): r
        for r in visible_reports.filter(village_id__in=villages)
        .select_related(None)
        .order_by()
        .only("pk", "kind")
    }
    village_type, report_type = (
        ContentType.objects.get_for_model(model)
        for model in (ParticipatingVillage, visible_reports.model)
    )
    attachments = Attachment.objects.filter(
        Q(owner_type=village_type, owner_id__in=[str(pk) for pk in villages])
        | Q(owner_type=report_type, owner_id__in=list(reports))
    ).order_by("owner_type_id", "owner_id", "uploaded_at", "id")
    choices = {}
    for attachment in attachments:
        report = (
            reports.get(attachment.owner_id) if attachment.owner_type_id == report_type.pk else None
        )
        group = report.get_kind_display() if report else _("Village documents")
        choices[f"a{attachment.pk}"] = EvidenceChoice(
            key=f"a{attachment.pk}",
            group=str(group),
            label=attachment.original_name,
            attachment=attachment,
            document=attachment.purpose if attachment.purpose in DocumentKind.values else "",
        )
    for document in evidence_documents(user, program_year):
        key = f"m{document.meeting_id}-{document.kind}"
        choices[key] = EvidenceChoice(
            key=key,
            group=_("Meetings"),
            label=f"{document.label}: {document.meeting_title} ({document.held_on:%d-%m-%Y})",
            url=document.url,
            document=MEETING_DOCUMENT_KINDS.get(document.kind, ""),
        )
    return choices


def choice_groups(choices: dict[str, EvidenceChoice]) -> list[tuple[str, list[EvidenceChoice]]]:
    groups: dict[str, list[EvidenceChoice]] = {}
    for choice in choices.values():
        groups.setdefault(choice.group, []).append(choice)
    return list(groups.items())


def get_evidence_for(user: User, worksheet_pk: int, evidence_pk: int) -> Evidence:
    worksheet = get_worksheet_for(user, worksheet_pk)
    return get_object_or_404(
        Evidence.objects.select_related("attachment", "item", "worksheet__office"),
        pk=evidence_pk,
        worksheet=worksheet,
    )


# --- results -------------------------------------------------------------------------------------


def _result_row(worksheet: Worksheet) -> dict:
    snapshot = worksheet.final_snapshot
    if snapshot is not None:
        data = snapshot.data
        scores = data["scores"]
        name, district, office = data["name"], data["district"], data["office"]
    else:
        scores = worksheet.scores
        name = worksheet.subject_name
        district = worksheet.village.village.parent.name if worksheet.village_id else ""
        office = worksheet.office.short_name
    own = scores.get(Level.SELF) or {}
    verified = scores.get(Level.PROVINCIAL) or {}
    delta = None
    if own.get("total") is not None and verified.get("total") is not None:
        delta = round(verified["total"] - own["total"], 2)
    return {
        "worksheet": worksheet,
        "name": name,
        "district": district,
        "office": office,
        "office_id": worksheet.office_id,
        "kind": worksheet.village.get_kind_display() if worksheet.village_id else "",
        "status": worksheet.get_status_display(),
        "frozen": snapshot is not None,
        Level.SELF: own,
        Level.PROVINCIAL: verified,
        "delta": delta,
        "rank": None,
        # Ranked only once verified: every required item answered by the province (or frozen).
        # A village not (fully) verified is listed apart, never ranked on zeros.
        "assessed": snapshot is not None or worksheet.verified,
    }


def _aspect_columns(tree) -> list[dict]:
    return [
        {"code": a.code, "title": a.title, "weight": a.weight}
        for block in tree
        if block.scored
        for a in block.aspects.all()
    ]


def _tie_break(tree) -> list[str]:
    return next((list(block.tie_break) for block in tree if block.scored), [])


def results_for(user: User, assessment: Assessment, trees: dict[str, list] | None = None) -> dict:
    """The Hasil penilaian LKE Provinsi as the user may see it. Finalised worksheets show their
    frozen snapshot; the others their current scores, marked provisional. The province sees the
    ranking always; a kab/kota user sees only its own worksheets, unranked, until sign-off, then
    the whole province's ranking (other offices' worksheets still not openable). `trees`: the
    instrument's trees when the caller has them already (scoring.instrument_trees)."""
    public = can_see_province_results(user, assessment)
    worksheets = Worksheet.objects.filter(assessment=assessment).select_related(
        "office", "village__village__parent", "final_snapshot"
    )
    visible = visible_office_ids(user)
    if not public:
        worksheets = worksheets.filter(office_id__in=visible)
    rows = {Target.VILLAGE: [], Target.OFFICE: []}
    pending = {Target.VILLAGE: [], Target.OFFICE: []}
    for worksheet in worksheets:
        row = _result_row(worksheet)
        row["can_open"] = worksheet.office_id in visible
        # The row holds what is shown; its worksheet (pk, status, counters) goes into the cache
        # (cached_results_for) without the office, village and snapshot it was read with, which
        # made most of the pickle (a relation read later is fetched again).
        worksheet._state.fields_cache.clear()
        (rows if row["assessed"] else pending)[worksheet.target].append(row)
    trees = trees or instrument_trees(assessment.instrument)
    for target in Target.values:
        ordered = ranked(rows[target], _tie_break(trees[target]))
        if not public:
            for row in ordered:
                row["rank"] = None
        rows[target] = ordered
        pending[target].sort(key=lambda r: (r["office"], r["name"].casefold()))
    aspects = _aspect_columns(trees[Target.VILLAGE])
    for target in Target.values:
        columns = _aspect_columns(trees[target])
        for row in rows[target] + pending[target]:
            row["aspect_values"] = [
                row[Level.PROVINCIAL].get("aspects", {}).get(c["code"]) for c in columns
            ]
    every = rows[Target.VILLAGE] + rows[Target.OFFICE] + pending[Target.VILLAGE]
    every += pending[Target.OFFICE]
    return {
        "public": public,
        "villages": rows[Target.VILLAGE],
        "unassessed": pending[Target.VILLAGE],
        "offices": rows[Target.OFFICE],
        "offices_unassessed": pending[Target.OFFICE],
        "nominees": nominees_by_office(
            assessment, trees[Target.VILLAGE], rows[Target.VILLAGE] + pending[Target.VILLAGE]
        ),
        "aspects": aspects,
        "office_aspects": _aspect_columns(trees[Target.OFFICE]),
        "tie_break": [
            a["title"]
            for code in _tie_break(trees[Target.VILLAGE])
            for a in aspects
            if a["code"] == code
        ],
        "all_final": bool(every) and all(r["worksheet"].status in FINAL_STATUSES for r in every),
        "chart": _chart_data(rows[Target.VILLAGE], aspects),
    }


def cached_results_for(
    user: User, assessment: Assessment, trees: dict[str, list] | None = None
) -> dict:
    """`results_for` through the page cache (core.pagecache: keyed on the user's scope and the
    province's data version, so never stale): one entry for the Hasil penilaian page and the
    API's results."""
    return pagecache.cached(
        "lke-results",
        user,
        lambda: results_for(user, assessment, trees),
        provinces=[assessment.program_year.province_id],
        parts=(assessment.pk,),
    )


# Blok II (the nomination for Desa Cantik Terbaik), found by item code in the unscored village
# block: the office's count of nominees (1a), the village nominated or not (2a: score 1 = Ya) and
# its rank among the office's nominees (2b). Codes are compared without dots, case-insensitively;
# "II.1" is the nomination item of the example instrument, which has no count and no rank.
NOMINATION_CODES = {"count": {"1a"}, "nominated": {"2a", "ii1"}, "rank": {"2b"}}


def _plain_code(code: str) -> str:
    return code.replace(".", "").replace(" ", "").casefold()


def nomination_items(tree) -> dict:
    """{"count"|"nominated"|"rank": Item} of the unscored village blocks (Blok II)."""
    found = {}
    for block in tree:
        if block.scored:
            continue
        for aspect in block.aspects.all():
            for indicator in aspect.indicators.all():
                for item in indicator.items.all():
                    for role, codes in NOMINATION_CODES.items():
                        if _plain_code(item.code) in codes:
                            found.setdefault(role, item)
    return found


def _leading_number(text: str) -> int | None:
    digits = "".join(itertools.takewhile(str.isdigit, text.strip()))
    return int(digits) if digits else None


def nominees_by_office(assessment: Assessment, tree, rows: list[dict]) -> dict:
    """The Blok II nominees of each kab/kota among `rows` (result rows): {"items": the codes of
    the Blok II items found by role ("count", "nominated", "rank"), "offices": [{"office",
    "nominees": [row + "nominee_rank"], "declared", "duplicate_ranks"}]}. A village is a
    nominee when its Blok II answer is Ya (the province's answer when it verified one, else the
    kab/kota's). Ordered by the 2b rank where the instrument has it. One query. (Codes, not the
    items: an item of the kept instrument tree would take the whole tree into the cache.)"""
    items = nomination_items(tree)
    codes = {role: item.code for role, item in items.items()}
    if "nominated" not in items or not rows:
        return {"items": codes, "offices": []}
    values = _nomination_answers([row["worksheet"].pk for row in rows], items.values())
    return {"items": codes, "offices": _offices_nominees(rows, values)}


def _nomination_answers(worksheet_ids: Collection[int], items) -> dict:
    """{worksheet id: {"count"|"nominated"|"rank": (score, text)}} of the Blok II `items` (of
    one or several instruments): the province's answer where it gave one, else the kab/kota's.
    One query."""
    role_of = {}
    for item in items:
        code = _plain_code(item.code)
        role_of[item.pk] = next(r for r, codes in NOMINATION_CODES.items() if code in codes)
    values = defaultdict(dict)
    for worksheet_id, item_id, level, score, text in Answer.objects.filter(
        worksheet_id__in=list(worksheet_ids), item_id__in=list(role_of)
    ).values_list("worksheet_id", "item_id", "level", "option__score", "text"):
        role = role_of[item_id]
        if level == Level.PROVINCIAL or role not in values[worksheet_id]:
            values[worksheet_id][role] = (score, text)
    return values


def _offices_nominees(rows: list[dict], values: dict) -> list[dict]:
    """The nominees among `rows` grouped per kab/kota office (by name), each office's by its
    2b rank, then name; offices without a nominee left out."""
    by_worksheet = {row["worksheet"].pk: row for row in rows}
    offices = {}
    for worksheet_id, answers in values.items():
        if worksheet_id not in by_worksheet:
            continue
        score, _text = answers.get("nominated", (None, ""))
        row = by_worksheet[worksheet_id]
        entry = offices.setdefault(
            row["office_id"],
            {"office": row["office"], "nominees": [], "declared": None, "duplicate_ranks": []},
        )
        if "count" in answers and entry["declared"] is None:
            entry["declared"] = _leading_number(answers["count"][1])
        if score:
            rank_text = answers.get("rank", (None, ""))[1].strip()
            entry["nominees"].append(
                {**row, "nominee_rank": _leading_number(rank_text), "rank_text": rank_text}
            )
    result = []
    for entry in offices.values():
        if not entry["nominees"]:
            continue
        entry["nominees"].sort(
            key=lambda r: (r["nominee_rank"] is None, r["nominee_rank"] or 0, r["name"].casefold())
        )
        ranks = [r["nominee_rank"] for r in entry["nominees"] if r["nominee_rank"] is not None]
        entry["duplicate_ranks"] = sorted({n for n in ranks if ranks.count(n) > 1})
        result.append(entry)
    result.sort(key=lambda e: e["office"])
    return result


def _chart_data(rows: list[dict], aspects: list[dict]) -> dict:
    bins = [0] * 10
    for row in rows:
        total = row[Level.PROVINCIAL].get("total")
        if total is not None:
            bins[min(int(total // 10), 9)] += 1
    return {
        "villages": [r["name"] for r in rows],
        "aspects": [
            {
                "label": a["title"],
                "data": [r[Level.PROVINCIAL].get("aspects", {}).get(a["code"]) for r in rows],
            }
            for a in aspects
        ],
        "self_totals": [r[Level.SELF].get("total") for r in rows],
        "verified_totals": [r[Level.PROVINCIAL].get("total") for r in rows],
        "bins": [f"{10 * i}–{10 * i + 10}" for i in range(10)],
        "counts": bins,
    }


def national_results(year: int) -> dict:
    """Every assessed village of every province for `year`, ranked within its province, shaped
    like `results_for`. For the national operator (superuser) only; the view checks that.
    Aspect columns are those of the newest instrument of the year (matched by aspect code)."""
    assessments = list(
        Assessment.objects.filter(program_year__year=year)
        .select_related("instrument", "program_year__province")
        .order_by("program_year__province__code")
    )
    trees = {
        a.instrument_id: instrument_tree(a.instrument, Target.VILLAGE)
        for a in {a.instrument_id: a for a in assessments}.values()
    }
    by_assessment = defaultdict(list)
    worksheets = (
        Worksheet.objects.filter(assessment__in=assessments, target=Target.VILLAGE)
        .select_related("office", "village__village__parent", "final_snapshot")
        .order_by("id")
    )
    for worksheet in worksheets:
        by_assessment[worksheet.assessment_id].append(_result_row(worksheet))
    newest = max(assessments, key=lambda a: (a.instrument.year, a.instrument.version), default=None)
    aspects = _aspect_columns(trees[newest.instrument_id]) if newest else []
    rows = []
    for assessment in assessments:
        rows_of = by_assessment[assessment.pk]
        assessed = ranked(
            [r for r in rows_of if r["assessed"]], _tie_break(trees[assessment.instrument_id])
        )
        # Villages not verified yet follow their province's ranking, unranked.
        for row in assessed + [r for r in rows_of if not r["assessed"]]:
            row["province"] = assessment.program_year.province.name
            row["aspect_values"] = [
                row[Level.PROVINCIAL].get("aspects", {}).get(a["code"]) for a in aspects
            ]
            rows.append(row)
    return {"aspects": aspects, "villages": rows}


# --- the nominees of the signed provinces (the national desk evaluation) ------------------------


def nominee_provinces_visible_to(user: User) -> QuerySet[Office]:
    """The province offices whose nominees the user may see, by code: every province for BPS
    RI (and the national operator), its own province for a member of a province office; none
    for a kab/kota office (which reads its province's nominees on the signed results page)."""
    return offices_visible_to(user).filter(kind=Office.Kind.PROVINSI).order_by("code")


def signed_assessments_visible_to(user: User) -> QuerySet[Assessment]:
    """The signed LKE results of the provinces of `nominee_provinces_visible_to(user)`: a
    result not signed by its province head is never part of the nominees."""
    return Assessment.objects.filter(
        signed_off_at__isnull=False,
        program_year__province__in=nominee_provinces_visible_to(user),
    ).select_related("instrument", "program_year__province")


@dataclass
class ProvinceNominees:
    """One province's signed result of the year and its nominees, per kab/kota (as
    `nominees_by_office` gives them), each row with its verified total and its rank in the
    province's ranking."""

    province: Office
    assessment: Assessment
    offices: list[dict]

    @property
    def nominees(self) -> list[dict]:
        return [row for entry in self.offices for row in entry["nominees"]]


@dataclass
class NationalNominees:
    year: int
    provinces: list[ProvinceNominees]
    awaiting: list[Office]  # provinces with an assessment of the year not signed yet

    @property
    def nominees(self) -> list[dict]:
        return [row for line in self.provinces for row in line.nominees]

    @property
    def worksheets(self) -> list[Worksheet]:
        return [row["worksheet"] for row in self.nominees]


def national_nominees(
    user: User,
    year: int,
    *,
    province: Office | None = None,
    office: Office | None = None,
    max_rank: int | None = None,
) -> NationalNominees:
    """The nominees (Blok II 2a = Ya, with their 2b rank) of every signed result of `year` the
    user may see (signed_assessments_visible_to), of `province` and of the kab/kota `office`
    when given, with a 2b rank of at most `max_rank` when given; and the provinces whose result
    of the year is not signed yet. The villages' figures are the frozen ones of the sign-off.
    A fixed number of queries whatever the number of provinces (five more per distinct
    instrument)."""
    assessments = signed_assessments_visible_to(user).filter(program_year__year=year)
    pending = Assessment.objects.filter(
        signed_off_at__isnull=True,
        program_year__year=year,
        program_year__province__in=nominee_provinces_visible_to(user),
    )
    if province is not None:
        assessments = assessments.filter(program_year__province=province)
        pending = pending.filter(program_year__province=province)
    assessments = list(assessments.order_by("program_year__province__code"))
    awaiting = [
        a.program_year.province
        for a in pending.select_related("program_year__province").order_by(
            "program_year__province__code"
        )
    ]
    trees = {
        a.instrument_id: instrument_tree(a.instrument, Target.VILLAGE)
        for a in {a.instrument_id: a for a in assessments}.values()
    }
    items = {pk: nomination_items(tree) for pk, tree in trees.items()}
    rows_of = defaultdict(list)
    worksheets = (
        Worksheet.objects.filter(assessment__in=assessments, target=Target.VILLAGE)
        .select_related(
            "office", "village__village__parent", "final_snapshot", "assessment__instrument"
        )
        .order_by("id")
    )
    for worksheet in worksheets:
        rows_of[worksheet.assessment_id].append(_result_row(worksheet))
    asked = [item for found in items.values() if "nominated" in found for item in found.values()]
    values = _nomination_answers(
        [row["worksheet"].pk for rows in rows_of.values() for row in rows], asked
    )
    lines = []
    for assessment in assessments:
        rows = rows_of[assessment.pk]
        ranked([r for r in rows if r["assessed"]], _tie_break(trees[assessment.instrument_id]))
        if office is not None:
            rows = [r for r in rows if r["office_id"] == office.pk]
        found = items[assessment.instrument_id]
        offices = _offices_nominees(rows, values) if "nominated" in found else []
        for entry in offices:
            if max_rank is not None:
                entry["nominees"] = [
                    r
                    for r in entry["nominees"]
                    if r["nominee_rank"] is not None and r["nominee_rank"] <= max_rank
                ]
            for row in entry["nominees"]:
                row["province"] = assessment.program_year.province.name
        offices = [entry for entry in offices if entry["nominees"]]
        lines.append(ProvinceNominees(assessment.program_year.province, assessment, offices))
    return NationalNominees(year=year, provinces=lines, awaiting=awaiting)


def nominee_years(user: User) -> list[int]:
    """The program years (numbers) of the provinces whose nominees the user may see, newest
    first."""
    return sorted(
        set(
            ProgramYear.objects.filter(province__in=nominee_provinces_visible_to(user)).values_list(
                "year", flat=True
            )
        ),
        reverse=True,
    )


def signed_years(user: User) -> list[int]:
    """The years with a signed result the user may see, newest first (the list opens on the
    first; a year without one points to them)."""
    return sorted(
        set(signed_assessments_visible_to(user).values_list("program_year__year", flat=True)),
        reverse=True,
    )


# --- for the monitoring dashboard --------------------------------------------------------------


def assessment_window(program_year: ProgramYear) -> tuple[SopActivity | None, datetime | None]:
    """The year's "penilaian" SOP activity and the end of its window (None when not set)."""
    activity = SopActivity.objects.filter(
        program_year=program_year, code=SopActivity.Code.PENILAIAN
    ).first()
    return activity, _window_end(activity, program_year)


def _window_end(activity: SopActivity | None, program_year: ProgramYear) -> datetime | None:
    if activity is None or activity.window_start is None:
        return None
    return due_at(
        activity.window_start,
        activity.amount,
        activity.unit,
        working_days=program_year.working_days,
    )


def tracked_items(
    program_year: Years, office_ids: Collection[int], *, now: datetime | None = None
) -> list[TrackedItem]:
    """One tracked item per kab/kota office (among `office_ids`) with villages in the year:
    activity "penilaian", due at the end of the LKE window (the SOP calendar's "penilaian"
    activity: window start + its time standard, in working days when the year counts them).
    With several years (one per province, the national view) each office's item follows its
    own province's year and calendar.

    Done when every LKE worksheet of the office (its villages' and its Blok IV) has been
    submitted by the kab/kota team; done at the latest submission (a returned worksheet is not
    done until it is submitted again). Until the province opens the assessment every office's
    item is `belum_dibuka` (not expected, never overdue), whatever the calendar's date.
    An extension is granted on the year's "penilaian" SopActivity for an office. Five queries,
    whatever the number of offices, worksheets and years."""
    now = now or timezone.now()
    years = years_of(program_year)
    activities = {
        a.program_year_id: a
        for a in SopActivity.objects.filter(
            program_year__in=list(years), code=SopActivity.Code.PENILAIAN
        )
    }
    opened = set(
        Assessment.objects.filter(program_year__in=list(years)).values_list(
            "program_year_id", flat=True
        )
    )
    offices = (
        Office.objects.filter(
            pk__in=office_ids, kind=Office.Kind.KABKOTA, villages__program_year__in=list(years)
        )
        .annotate(year_id=Max("villages__program_year_id"))
        .order_by("code")
    )
    stats = {
        row["office_id"]: row
        for row in Worksheet.objects.filter(
            assessment__program_year__in=list(years), office_id__in=office_ids
        )
        .values("office_id")
        .annotate(
            total=Count("id"),
            submitted=Count("id", filter=Q(status__in=SUBMITTED_OR_LATER)),
            last=Max("submitted_at"),
        )
    }
    extensions = extensions_for(SopActivity, office_ids) if activities else {}
    subject_type = ContentType.objects.get_for_model(SopActivity).pk
    url = reverse("lke:index")
    items = []
    for office in offices:
        year = years[office.year_id]
        activity = activities.get(year.pk)
        due = _window_end(activity, year)
        row = stats.get(office.pk)
        done_at = row["last"] if row and row["total"] and row["submitted"] == row["total"] else None
        until = extensions.get((str(activity.pk), office.pk)) if activity is not None else None
        items.append(
            TrackedItem(
                activity=SopActivity.Code.PENILAIAN,
                label=_("LKE self-assessment of %(office)s") % {"office": office.short_name},
                office_id=office.pk,
                village_id=None,
                due=due,
                done_at=done_at,
                status=item_status(
                    due=due,
                    done_at=done_at,
                    now=now,
                    soon_days=year.soon_days,
                    extended_due=end_of_day(until) if until else None,
                )
                if year.pk in opened
                else DeadlineStatus.BELUM_DIBUKA,
                extended=until is not None,
                url=f"{url}?tahun={year.year}#kantor-{office.pk}",
                subject=(subject_type, str(activity.pk) if activity is not None else ""),
            )
        )
    return items


@dataclass(frozen=True)
class OfficeProgress:
    """LKE worksheets of one kab/kota office in a year: how many exist, how many the kab/kota
    submitted (self-assessed), how many the province verified (every item answered at the
    provincial level), how many are finalised (or signed off) and how many signed off."""

    total: int
    self_assessed: int
    verified: int
    finalised: int
    signed: int = 0

    def __add__(self, other: "OfficeProgress") -> "OfficeProgress":
        return OfficeProgress(
            self.total + other.total,
            self.self_assessed + other.self_assessed,
            self.verified + other.verified,
            self.finalised + other.finalised,
            self.signed + other.signed,
        )


def progress_by_office(
    program_year: ProgramYear | Collection[ProgramYear], office_ids: Collection[int]
) -> dict[int, OfficeProgress]:
    """{office id: OfficeProgress} for the offices in `office_ids` that have worksheets in the
    year (or in any of the years: one per province, for the national view). One query."""
    years = [program_year] if isinstance(program_year, ProgramYear) else list(program_year)
    rows = (
        Worksheet.objects.filter(assessment__program_year__in=years, office_id__in=office_ids)
        .values("office_id")
        .annotate(
            total=Count("id"),
            self_assessed=Count("id", filter=Q(status__in=SUBMITTED_OR_LATER)),
            verified=Count(
                "id",
                filter=Q(
                    status__in=[Status.PROVINCIAL_VERIFICATION, *FINAL_STATUSES],
                    provincial_answered__gte=F("required_items"),
                ),
            ),
            finalised=Count("id", filter=Q(status__in=FINAL_STATUSES)),
            signed=Count("id", filter=Q(status=Status.SIGNED_OFF)),
        )
    )
    return {
        row["office_id"]: OfficeProgress(
            row["total"], row["self_assessed"], row["verified"], row["finalised"], row["signed"]
        )
        for row in rows
    }


def final_result_of_village(village: ParticipatingVillage) -> dict | None:
    """A village's LKE result as frozen when its worksheet was finalised, for the laporan akhir
    draft: {"instrument", "status", "levels": [(label, total, [(aspect, score)])]}; None while
    the worksheet is not finalised. Two queries."""
    worksheet = (
        Worksheet.objects.filter(village=village, final_snapshot__isnull=False)
        .select_related("final_snapshot", "assessment")
        .first()
    )
    if worksheet is None:
        return None
    data = worksheet.final_snapshot.data
    titles = dict(
        Aspect.objects.filter(
            block__instrument_id=worksheet.assessment.instrument_id,
            code__in=data["scores"]["provincial"]["aspects"],
        ).values_list("code", "title")
    )
    levels = [
        (
            label,
            data["scores"][level]["total"],
            [
                (f"{code}. {titles.get(code, '')}", score)
                for code, score in data["scores"][level]["aspects"].items()
            ],
        )
        for level, label in (
            (Level.SELF, _("Self-assessment")),
            (Level.PROVINCIAL, _("Verified by the province")),
        )
    ]
    return {
        "instrument": data["instrument"],
        "status": worksheet.get_status_display(),
        "levels": levels,
    }
