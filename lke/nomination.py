"""Blok II decides what a village fills (issue 10 point 3).

- 2a (nominate this village?) = Tidak (score 0): only the indicators shaded green in the
  workbook (Indicator.always_filled: 3, 9 in Blok III) are filled and scored; the others (and
  2b, the rank) are hidden on the worksheet, not required for submission, refused by
  save_answer and not counted in the score. Their answers are kept: 2a back to Ya shows them
  again as they were. The workbook leaves them empty, and its cells of an empty SKOR give 0:
  so they contribute 0, and the maxima shown (the workbook's constant sum cells) do not change.
- 2b (rank among the office's nominees) is unique per kab/kota office in the assessment: a
  rank another nominated village of the office already holds is refused when it is saved (the
  worksheet saves each answer as it changes, so the user learns it at once) and again at
  submission (the other village may have been nominated since).
- 1a (how many villages the office nominates) must match the villages with 2a = Ya. A
  worksheet submitted first cannot know the ones filled later, so submission checks that the
  count is not exceeded and that 1a agrees with the 1a of the office's other villages; the
  last village of the office to be submitted (every other one submitted already) must match
  exactly. The office's count against the villages marked Ya is shown on the worksheet and on
  the results (nominees per office).

Which answer counts: at the self level the kab/kota's; at the provincial level the province's
where it answered the item, else the kab/kota's (as in queries.nominees_by_office)."""

from .models import Answer, ItemKind, Level, Target, Worksheet
from .queries import NOMINATION_CODES, _leading_number, _plain_code, nomination_items


def _values(worksheet_ids, items: dict, level: str) -> dict:
    """{worksheet id: {role: (score, text)}} of the Blok II answers at `level`."""
    role_of = {item.pk: role for role, item in items.items()}
    values: dict = {}
    rows = Answer.objects.filter(worksheet_id__in=list(worksheet_ids), item_id__in=list(role_of))
    if level == Level.SELF:
        rows = rows.filter(level=Level.SELF)
    for worksheet_id, item_id, answer_level, score, text in rows.values_list(
        "worksheet_id", "item_id", "level", "option__score", "text"
    ):
        role = role_of[item_id]
        mine = values.setdefault(worksheet_id, {})
        if answer_level == Level.PROVINCIAL or role not in mine:
            if score is None and not text.strip():
                continue
            mine[role] = (score, text.strip())
    return values


def role_of(item) -> str | None:
    """ "count" (1a), "nominated" (2a) or "rank" (2b) for an item of an unscored village block
    (Blok II), else None. Reads the item's block (loaded with it by get_item_of)."""
    block = item.indicator.aspect.block
    if block.scored or block.target != Target.VILLAGE:
        return None
    plain = _plain_code(item.code)
    return next((role for role, codes in NOMINATION_CODES.items() if plain in codes), None)


def skippable(item) -> bool:
    """Whether `item` is left unfilled when the village is not nominated."""
    block = item.indicator.aspect.block
    if block.target != Target.VILLAGE:
        return False
    if block.scored:
        return not item.indicator.always_filled
    return role_of(item) == "rank"


def not_nominated(worksheet: Worksheet, level: str, tree=None) -> bool:
    """Whether 2a is answered Tidak at `level` (unanswered: everything is filled). One query."""
    if worksheet.target != Target.VILLAGE:
        return False
    rows = Answer.objects.filter(
        worksheet=worksheet,
        item__kind=ItemKind.CHOICE,
        item__indicator__aspect__block__scored=False,
        item__indicator__aspect__block__target=Target.VILLAGE,
        option__isnull=False,
    )
    if level == Level.SELF:
        rows = rows.filter(level=Level.SELF)
    found = {}
    for code, answer_level, score in rows.values_list("item__code", "level", "option__score"):
        if _plain_code(code) in NOMINATION_CODES["nominated"]:
            found[answer_level] = score
    score = found.get(Level.PROVINCIAL, found.get(Level.SELF))
    return score == 0


STORED = "not_nominated"  # kept in Worksheet.scores[level] by services._refresh_scores


def stored_not_nominated(worksheet: Worksheet, level: str) -> bool:
    """`not_nominated` as the services last stored it with the level's scores (no query; the
    services store it again whenever 2a or the answers of a level change)."""
    return bool(worksheet.level_scores(level).get(STORED))


def skipped_ids(tree, skipped: bool) -> set[int]:
    """The items not filled when the village is not nominated: those of the scored village
    blocks outside the green indicators, and the rank (2b)."""
    if not skipped:
        return set()
    found = set()
    rank = nomination_items(tree).get("rank")
    if rank is not None:
        found.add(rank.pk)
    for block in tree:
        if not block.scored or block.target != Target.VILLAGE:
            continue
        for aspect in block.aspects.all():
            for indicator in aspect.indicators.all():
                if indicator.always_filled:
                    continue
                found.update(item.pk for item in indicator.items.all())
    return found


def skipped_for(worksheet: Worksheet, level: str, tree) -> set[int]:
    return skipped_ids(tree, not_nominated(worksheet, level, tree))


def office_siblings(worksheet: Worksheet):
    """The other village worksheets of the same office in the same assessment."""
    return (
        Worksheet.objects.filter(
            assessment_id=worksheet.assessment_id,
            office_id=worksheet.office_id,
            target=Target.VILLAGE,
        )
        .exclude(pk=worksheet.pk)
        .select_related("village__village")
    )


def office_state(worksheet: Worksheet, level: str, tree) -> dict | None:
    """The office's Blok II at `level`: {"items", "values" (per worksheet id), "siblings",
    "declared" (this worksheet's 1a as a number), "nominated" (worksheets with 2a = Ya)}; None
    when the instrument has no 2a."""
    items = nomination_items(tree)
    if "nominated" not in items or worksheet.target != Target.VILLAGE:
        return None
    siblings = list(office_siblings(worksheet))
    values = _values([worksheet.pk, *(s.pk for s in siblings)], items, level)
    mine = values.get(worksheet.pk, {})
    nominated = [
        w
        for w in [worksheet, *siblings]
        if values.get(w.pk, {}).get("nominated", (None, ""))[0] not in (None, 0)
    ]
    return {
        "items": items,
        "values": values,
        "siblings": siblings,
        "declared": _leading_number(mine["count"][1]) if "count" in mine else None,
        "nominated": nominated,
    }


def rank_holder(worksheet: Worksheet, rank: int, state: dict) -> Worksheet | None:
    """Another nominated village of the office that holds `rank` already."""
    for sibling in state["siblings"]:
        theirs = state["values"].get(sibling.pk, {})
        if theirs.get("nominated", (None, ""))[0] in (None, 0):
            continue
        if _leading_number(theirs.get("rank", (None, ""))[1]) == rank:
            return sibling
    return None
