"""The default LKE scoring, exact (fractions) until the shown value is rounded.

    item value  = score / max score                          (choice items only)
    indicator   = weighted mean of its items' values          (item weights)
    aspect      = weighted mean of its indicators             (indicator weights)
    total       = 100 × weighted mean of the aspects          (aspect weights)
    NILAI       = score / max score × nilai_scale (4)         (as on the paper sheet)

Text and heading items are not scored; an item with weight 0 counts for nothing; an unanswered
choice item counts as 0. Indicators and aspects are shown on the same 0–100 scale as the total.
Ranking: total, then the block's declared tie-break aspects in order, then the name."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Prefetch

from .models import Aspect, Block, Indicator, Instrument, Item, ItemKind

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


def instrument_tree(instrument: Instrument, target: str) -> list[Block]:
    """The blocks of `instrument` filled for `target`, with aspects, indicators, items and
    options loaded: five queries whatever the size of the instrument."""
    return list(
        Block.objects.filter(instrument=instrument, target=target)
        .order_by("order", "id")
        .prefetch_related(
            Prefetch("aspects", queryset=Aspect.objects.order_by("order", "id")),
            Prefetch("aspects__indicators", queryset=Indicator.objects.order_by("order", "id")),
            Prefetch("aspects__indicators__items", queryset=Item.objects.order_by("order", "id")),
            "aspects__indicators__items__options",
        )
    )


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

    def as_json(self) -> dict:
        return {"total": self.total, "aspects": self.aspects, "indicators": self.indicators}


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
