"""The LKE scoring, exact (fractions) until the shown value is rounded. Each scored block says
its formula (Block.formula):

"mean", the earlier default (the 2024 instrument):
    item value  = score / max score                          (choice items only)
    indicator   = weighted mean of its items' values          (item weights)
    aspect      = weighted mean of its indicators             (indicator weights)
    total       = 100 × weighted mean of the aspects          (aspect weights)
    NILAI       = score / max score × nilai_scale (4)         (as on the paper sheet)
  Indicators and aspects are shown on the same 0–100 scale as the total.

"workbook", the official 2026 workbook's own cell formulas:
    normalised weight = bobot ÷ weight base   (Blok III H = G/$G$95 = G/0.75; Blok IV I = H/7.75)
    transformation    = (score − min) ÷ divisor (Blok III I = F/max; Blok IV J = (F−min)/(max−min))
    item value        = transformation × normalised weight               (Blok III J = I*H)
    indicator, aspect = sums of their items' values (the workbook's sum cells in Blok III; in
                        Blok IV the sheet sums only the weights: the sums of values are the
                        declared default there)
    total (default)   = 100 × Σ item values ÷ the highest attainable Σ (Block.total_basis:
                        or of the declared maxima Σ bobot ÷ base, or the plain sum)
    NILAI             = Item.nilai_rule: =IF(F=1,4,1) for Ya/Tidak items, =F for the others
  The divisor is the item's data (Item.score_divisor, read from the workbook's formula; empty =
  max − min): the workbook's 14.a.2 divides by 1 although its scores run 0–3, which is followed
  by default, so its top answer is worth 3 × bobot ÷ 0.75 and the block's attainable maximum is
  31.00, not the declared 28.33. That is why the 0–100 default divides by the attainable
  maximum: the top answer set scores exactly 100 whatever the province decides on the divisor.

Text and heading items are not scored; an item with weight 0 counts for nothing (item 21 of
2026: answered, no weight); an unanswered choice item counts as 0.
Ranking: total, then the block's declared tie-break aspects in order, then the name."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db import connection
from django.db.models import Prefetch

from core import pagecache

from .models import (
    Aspect,
    AspectValue,
    Block,
    Formula,
    Indicator,
    Instrument,
    Item,
    ItemKind,
    NilaiRule,
    Target,
    TotalBasis,
)

TWO_PLACES = Decimal("0.01")


def rounded(value: Fraction) -> float:
    """Half-up to two decimals, the precision shown, stored and ranked."""
    return float(
        (Decimal(value.numerator) / Decimal(value.denominator)).quantize(TWO_PLACES, ROUND_HALF_UP)
    )


def nilai(score: int | None, max_score: int | None, scale: int) -> float | None:
    if score is None or not max_score:
        return None
    return rounded(Fraction(score, max_score) * scale)


def item_nilai(item: Item, score: int | None, scale: int) -> float | None:
    """The NILAI of an answer by the item's rule (the workbook's column G in Blok IV)."""
    if score is None:
        return None
    rule = item.nilai_rule or NilaiRule.SCALE
    if rule == NilaiRule.BINARY:
        return 4.0 if score == 1 else 1.0
    if rule == NilaiRule.SCORE:
        return float(score)
    if rule == NilaiRule.NONE:
        return None
    return nilai(score, item.max_score, scale)


# --- the workbook formula -------------------------------------------------------------------


def _fraction(value) -> Fraction:
    return Fraction(str(value))


def divisor_of(item: Item) -> Fraction | None:
    """The divisor of the transformation: the item's own, else its score range."""
    if item.score_divisor is not None:
        return _fraction(item.score_divisor)
    span = (item.max_score or 0) - (item.score_offset or 0)
    return Fraction(span) if span > 0 else None


def is_workbook_scored(item: Item) -> bool:
    return (
        item.kind == ItemKind.CHOICE
        and bool(item.max_score)
        and item.weight > 0
        and divisor_of(item) is not None
    )


def normalised_weight(item: Item, block: Block) -> Fraction:
    return _fraction(item.weight) / _fraction(block.weight_base or 1)


def transformation(item: Item, score: int | None) -> Fraction:
    """(score − min) ÷ divisor; an unanswered item counts as 0."""
    if score is None:
        return Fraction(0)
    return (Fraction(score) - (item.score_offset or 0)) / divisor_of(item)


def item_maximum(item: Item, block: Block) -> Fraction:
    """The value of the item's top answer (with the divisor as it is)."""
    return transformation(item, item.max_score) * normalised_weight(item, block)


def declared_maximum(item: Item, block: Block) -> Fraction:
    """The item's maximum as the workbook states its maxima: its normalised weight."""
    return normalised_weight(item, block)


def item_anomalies(blocks: Iterable[Block]) -> list[dict]:
    """Scored items whose divisor is below their score range: their top answer is worth more
    than their normalised weight (14.a.2 of 2026)."""
    found = []
    for block in blocks:
        if block.formula != Formula.WORKBOOK:
            continue
        for aspect in block.aspects.all():
            for indicator in aspect.indicators.all():
                for item in indicator.items.all():
                    if not is_workbook_scored(item):
                        continue
                    top, declared = item_maximum(item, block), declared_maximum(item, block)
                    if top != declared:
                        found.append(
                            {
                                "item": item,
                                "divisor": divisor_of(item),
                                "top": rounded(top),
                                "declared": rounded(declared),
                            }
                        )
    return found


@dataclass
class ExactBlock:
    """The exact values of one workbook block: per item (by id) its normalised weight,
    transformation and value; per indicator (by id) and aspect (by code) the sums of values
    and of normalised weights; the block's sum and maxima."""

    items: dict[int, dict] = field(default_factory=dict)
    indicators: dict[int, dict] = field(default_factory=dict)
    aspects: dict[str, dict] = field(default_factory=dict)
    total: Fraction = Fraction(0)
    attainable: Fraction = Fraction(0)
    declared: Fraction = Fraction(0)


def score_workbook_block(block: Block, scores: Mapping[int, int | None]) -> ExactBlock:
    result = ExactBlock()
    for aspect in block.aspects.all():
        a_sum = a_weight = a_max = Fraction(0)
        a_scored = False
        for indicator in aspect.indicators.all():
            i_sum = i_weight = i_max = Fraction(0)
            i_scored = False
            for item in indicator.items.all():
                if not is_workbook_scored(item):
                    continue
                weight = normalised_weight(item, block)
                change = transformation(item, scores.get(item.pk))
                value = change * weight
                result.items[item.pk] = {
                    "weight": weight,
                    "transformation": change,
                    "value": value,
                }
                i_sum += value
                i_weight += weight
                i_max += item_maximum(item, block)
                result.declared += declared_maximum(item, block)
                i_scored = True
            if not i_scored:
                continue
            result.indicators[indicator.pk] = {"value": i_sum, "weight": i_weight, "max": i_max}
            a_sum += i_sum
            a_weight += i_weight
            a_max += i_max
            a_scored = True
        if not a_scored:
            continue
        result.aspects[aspect.code] = {"value": a_sum, "weight": a_weight, "max": a_max}
        result.total += a_sum
        result.attainable += a_max
    return result


def _workbook_total(block: Block, exact: ExactBlock) -> Fraction | None:
    basis = block.total_basis or TotalBasis.ATTAINABLE
    if basis == TotalBasis.SUM:
        return exact.total
    divisor = exact.attainable if basis == TotalBasis.ATTAINABLE else exact.declared
    return 100 * exact.total / divisor if divisor else None


def _aspect_shown(block: Block, aspect: dict) -> Fraction:
    if block.aspect_value == AspectValue.PERCENT:
        return 100 * aspect["value"] / aspect["max"] if aspect["max"] else Fraction(0)
    return aspect["value"]


# The trees read outside a transaction, per process, by (instrument, target, the data version of
# the writes that belong to no office). An instrument changes only by an audited write of no
# office (create_instrument, the admin's AuditedAdmin, the province's corrections), so a tree is
# used again only while the instrument is as it was read. Inside a transaction (a service
# saving an answer, a test) a tree is read from here but never stored: what a transaction
# reads may not be committed. A kept tree is shared by every request of the process: a caller
# that decorates its rows (the instrument's page) asks for a tree of its own (`own=True`).
_TREES: dict[tuple, list[Block]] = {}
_TREES_KEPT = 16


def forget_trees() -> None:
    _TREES.clear()


def instrument_tree(instrument: Instrument, target: str, *, own: bool = False) -> list[Block]:
    """The blocks of `instrument` filled for `target`, with aspects, indicators, items and
    options loaded: five queries whatever the size of the instrument, or one (the version)
    while the instrument is unchanged since this process last read it. `own`: read anew and
    not kept, for a caller that sets attributes on the rows."""
    key = None if own else (instrument.pk, target, pagecache.data_version(()))
    tree = _TREES.get(key) if key else None
    if tree is not None:
        return tree
    tree = list(
        Block.objects.filter(instrument=instrument, target=target)
        .order_by("order", "id")
        .prefetch_related(
            Prefetch("aspects", queryset=Aspect.objects.order_by("order", "id")),
            Prefetch("aspects__indicators", queryset=Indicator.objects.order_by("order", "id")),
            Prefetch("aspects__indicators__items", queryset=Item.objects.order_by("order", "id")),
            "aspects__indicators__items__options",
        )
    )
    if key and not connection.in_atomic_block:
        if len(_TREES) >= _TREES_KEPT:
            _TREES.clear()
        _TREES[key] = tree
    return tree


def tree_items(blocks: Iterable[Block]) -> list[Item]:
    return [
        item
        for block in blocks
        for aspect in block.aspects.all()
        for indicator in aspect.indicators.all()
        for item in indicator.items.all()
    ]


def required_items(blocks: Iterable[Block]) -> list[Item]:
    """Every choice item must be answered (text items are optional, headings are titles)."""
    return [item for item in tree_items(blocks) if item.kind == ItemKind.CHOICE]


@dataclass
class LevelScore:
    total: float | None
    aspects: dict[str, float] = field(default_factory=dict)
    indicators: dict[str, float] = field(default_factory=dict)
    sum: float | None = None  # a workbook block's Σ item values, on the workbook's scale

    def as_json(self) -> dict:
        data = {"total": self.total, "aspects": self.aspects, "indicators": self.indicators}
        if self.sum is not None:
            data["sum"] = self.sum
        return data


def _mean(pairs: list[tuple[Fraction, Fraction]]) -> Fraction | None:
    weight = sum((w for w, _v in pairs), Fraction(0))
    if weight == 0:
        return None
    return sum((w * v for w, v in pairs), Fraction(0)) / weight


def score_level(blocks: Iterable[Block], scores: Mapping[int, int | None]) -> LevelScore:
    """Scores of one level from `scores` ({item id: chosen option's score}). Indicators are keyed
    by their id (as text, for JSON), aspects by their code."""
    result = LevelScore(total=None)
    aspect_pairs = []
    for block in blocks:
        if not block.scored:
            continue
        if block.formula == Formula.WORKBOOK:
            exact = score_workbook_block(block, scores)
            for pk, indicator in exact.indicators.items():
                result.indicators[str(pk)] = rounded(indicator["value"])
            for code, aspect in exact.aspects.items():
                result.aspects[code] = rounded(_aspect_shown(block, aspect))
            total = _workbook_total(block, exact)
            result.total = rounded(total) if total is not None else None
            result.sum = rounded(exact.total)
            continue
        for aspect in block.aspects.all():
            indicator_pairs = []
            for indicator in aspect.indicators.all():
                item_pairs = [
                    (Fraction(item.weight), Fraction(scores.get(item.pk) or 0, item.max_score))
                    for item in indicator.items.all()
                    if item.kind == ItemKind.CHOICE and item.max_score
                ]
                value = _mean(item_pairs)
                if value is None:
                    continue
                result.indicators[str(indicator.pk)] = rounded(100 * value)
                indicator_pairs.append((Fraction(indicator.weight), value))
            value = _mean(indicator_pairs)
            if value is None:
                continue
            result.aspects[aspect.code] = rounded(100 * value)
            aspect_pairs.append((Fraction(aspect.weight), value))
    if not aspect_pairs:
        return result
    total = _mean(aspect_pairs)
    result.total = rounded(100 * total) if total is not None else None
    return result


def rank_key(total: float | None, aspects: Mapping[str, float], tie_break: list[str], name: str):
    return (
        -(total or 0),
        *(-(aspects.get(code) or 0) for code in tie_break),
        name.casefold(),
    )


def ranked(rows: list[dict], tie_break: list[str], *, level: str = "provincial") -> list[dict]:
    """Rows ({"name", level: {"total", "aspects"}}) sorted by the declared order, each given its
    1-based `rank`."""
    ordered = sorted(
        rows,
        key=lambda r: rank_key(
            r[level].get("total"), r[level].get("aspects") or {}, tie_break, r["name"]
        ),
    )
    for position, row in enumerate(ordered, start=1):
        row["rank"] = position
    return ordered


def instrument_trees(instrument: Instrument) -> dict[str, list[Block]]:
    """`instrument_tree` of every target, for a page that reads both (ten queries)."""
    return {target: instrument_tree(instrument, target) for target in Target.values}


def block_formulas(
    instrument: Instrument, trees: dict[str, list[Block]] | None = None
) -> list[dict]:
    """What the results and instrument pages show of each scored block that follows the
    workbook: its weight base, the declared and the attainable maxima per aspect and in all,
    the declared defaults, the items without weight or score, and the divisor anomalies.
    `trees`: the instrument's trees when the caller has them already (instrument_trees)."""
    shown = []
    trees = trees or instrument_trees(instrument)
    for target in Target.values:
        tree = trees[target]
        for block in tree:
            if not block.scored or block.formula != Formula.WORKBOOK:
                continue
            top = {item.pk: item.max_score for item in tree_items([block]) if item.max_score}
            exact = score_workbook_block(block, top)
            aspects = [
                {
                    "code": aspect.code,
                    "title": aspect.title,
                    "declared": rounded(
                        sum(
                            (
                                declared_maximum(item, block)
                                for indicator in aspect.indicators.all()
                                for item in indicator.items.all()
                                if is_workbook_scored(item)
                            ),
                            Fraction(0),
                        )
                    ),
                    "attainable": rounded(exact.aspects[aspect.code]["max"]),
                    "weight": float(exact.aspects[aspect.code]["weight"]),
                }
                for aspect in block.aspects.all()
                if aspect.code in exact.aspects
            ]
            items = tree_items([block])
            shown.append(
                {
                    "block": block,
                    "office": block.target == Target.OFFICE,
                    "base": block.weight_base.normalize() if block.weight_base else None,
                    "aspects": aspects,
                    "declared": rounded(exact.declared),
                    "attainable": rounded(exact.attainable),
                    "total_divisor": {
                        TotalBasis.ATTAINABLE: rounded(exact.attainable),
                        TotalBasis.DECLARED: rounded(exact.declared),
                    }.get(block.total_basis),
                    "total_basis": block.get_total_basis_display(),
                    "aspect_value": block.get_aspect_value_display(),
                    "unweighted": [
                        i.code for i in items if i.kind == ItemKind.CHOICE and not i.weight
                    ],
                    "free_text": [i.code for i in items if i.kind == ItemKind.TEXT],
                    "binary": [i.code for i in items if i.nilai_rule == NilaiRule.BINARY],
                    "anomalies": item_anomalies([block]),
                }
            )
    return shown
