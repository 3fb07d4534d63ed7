"""The instrument as plain data: the tree read from a YAML file or an xlsx workbook, checked in
one place before anything is written, and written back out the same way.

The plain form (what a YAML file holds):

    year, version, title, source, nilai_scale, import_notes: [text],
    blocks: [{code, title, target (village|office), scored, tie_break: [aspect codes],
              formula (mean|workbook), weight_base, total_basis, aspect_value,
              aspects: [{code, title, weight, example,
                         indicators: [{code, title, weight, example, shading, always_filled,
                                       items: [{code, text, kind (choice|text|heading),
                                                max_score, weight, evidence, evidence_required,
                                                example, source, rincian, validation_rule,
                                                explanation, guidance, source_row,
                                                score_offset, score_divisor, nilai_rule,
                                                options: [{label, score, example}],
                                                check_rules: [{self_score, present, absent,
                                                               confirm, score, text,
                                                               source_row}]}]}]}]}]

Every node may carry `_row` (its row in an xlsx sheet) so an error names the row."""

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.xlsx import XlsxWriter, cell_text, open_workbook

from .models import (
    AspectValue,
    DocumentKind,
    Formula,
    Instrument,
    ItemKind,
    NilaiRule,
    Target,
    TotalBasis,
)
from .rules import RuleError, looks_like_rule, parse_rule

INSTRUMENT_DIR = Path(__file__).resolve().parent / "instruments"

FIELD_LABELS = {
    "year": gettext_lazy("year"),
    "version": gettext_lazy("version"),
    "title": gettext_lazy("title"),
    "code": gettext_lazy("code"),
    "text": gettext_lazy("text"),
    "label": gettext_lazy("label"),
    "score": gettext_lazy("score"),
    "max_score": gettext_lazy("max score"),
    "nilai_scale": gettext_lazy("NILAI scale"),
    "evidence": gettext_lazy("evidence"),
    "source": gettext_lazy("source"),
    "score_divisor": gettext_lazy("divisor"),
    "score_offset": gettext_lazy("score minimum"),
    "weight_base": gettext_lazy("weight base"),
    "formula": gettext_lazy("scoring formula"),
    "total_basis": gettext_lazy("total (default)"),
    "aspect_value": gettext_lazy("aspect value (default)"),
    "nilai_rule": gettext_lazy("NILAI"),
    "rincian": gettext_lazy("national form code"),
}


def _field(key: str) -> str:
    return str(FIELD_LABELS.get(key, key))


class InstrumentDataError(Exception):
    """The data does not describe a valid instrument. `errors` lists every problem found."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


# --- checking ----------------------------------------------------------------------------------


def _where(node: dict, path: str) -> str:
    row = node.get("_row")
    return _("row %(row)s") % {"row": row} if row else path


def _weight(node: dict, where: str, errors: list[str]) -> Decimal:
    raw = node.get("weight", 1)
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        errors.append(
            _("%(where)s: weight %(value)r is not a number") % {"where": where, "value": raw}
        )
        return Decimal(1)
    if not value.is_finite() or value < 0:
        errors.append(_("%(where)s: weight must be 0 or more") % {"where": where})
    elif value >= 10000 or value != value.quantize(Decimal("0.001")):
        errors.append(_("%(where)s: weight has at most 4 digits and 3 decimals") % {"where": where})
    return value


def _decimal(node: dict, key: str, where: str, errors: list[str]) -> Decimal | None:
    """An optional positive number with at most 3 decimals (a divisor, a weight base)."""
    raw = node.get(key)
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or value <= 0:
        errors.append(
            _("%(where)s: %(field)s %(value)r is not a number above 0")
            % {"where": where, "field": _field(key), "value": raw}
        )
        return None
    if value >= 10000 or value != value.quantize(Decimal("0.001")):
        errors.append(
            _("%(where)s: %(field)s has at most 4 digits and 3 decimals")
            % {"where": where, "field": _field(key)}
        )
    return value


def _choice(node: dict, key: str, choices, default: str, where: str, errors: list[str]) -> str:
    value = str(node.get(key) or "").strip() or default
    if value not in choices.values:
        errors.append(
            _("%(where)s: %(field)s %(value)r is not one of %(allowed)s")
            % {
                "where": where,
                "field": _field(key),
                "value": value,
                "allowed": ", ".join(choices.values),
            }
        )
    return value


def _int(node: dict, key: str, where: str, errors: list[str], *, minimum: int = 0):
    raw = node.get(key)
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not (isinstance(raw, int) or str(raw).strip().isdigit()):
        errors.append(
            _("%(where)s: %(field)s %(value)r is not a whole number")
            % {"where": where, "field": _field(key), "value": raw}
        )
        return None
    value = int(raw)
    if value < minimum:
        errors.append(
            _("%(where)s: %(field)s must be at least %(min)s")
            % {"where": where, "field": _field(key), "min": minimum}
        )
    return value


def _text(node: dict, key: str, where: str, errors: list[str], *, limit: int, required=True):
    value = str(node.get(key) or "").strip()
    if required and not value:
        errors.append(_("%(where)s: %(field)s is empty") % {"where": where, "field": _field(key)})
    elif len(value) > limit:
        errors.append(
            _("%(where)s: %(field)s is longer than %(limit)s characters")
            % {"where": where, "field": _field(key), "limit": limit}
        )
    return value


def _bool(node: dict, key: str, default: bool) -> bool:
    value = node.get(key, default)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "ya", "yes", "y"}
    return bool(value) if value is not None else default


def check_instrument_data(data: dict) -> dict:
    """Return the data normalised (defaults filled, numbers typed) or raise InstrumentDataError
    with every problem: unique codes, a known target and kind, choice items with at least two
    options and a max score not below the best option, weights of 0 or more, tie-break aspects
    that exist, and at least one scored item in each scored block."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise InstrumentDataError([_("The file does not describe an instrument.")])
    if data.get("year") in (None, ""):
        errors.append(_("instrument: year is missing"))
    year = _int(data, "year", _("instrument"), errors, minimum=2021)
    clean = {
        "year": year,
        "version": _int(data, "version", _("instrument"), errors, minimum=1) or 1,
        "title": _text(data, "title", _("instrument"), errors, limit=200),
        "source": _text(data, "source", _("instrument"), errors, limit=5000, required=False),
        "nilai_scale": _int(data, "nilai_scale", _("instrument"), errors, minimum=1) or 4,
        "import_notes": [
            n if isinstance(n, dict) else {"text": str(n)} for n in data.get("import_notes") or []
        ],
        "blocks": [],
    }
    blocks = data.get("blocks") or []
    if not blocks:
        errors.append(_("instrument: it has no blocks"))
    block_codes, item_codes = set(), {}
    scored_aspects: dict[str, set[str]] = {}
    for block in blocks:
        path = _("block %(code)s") % {"code": block.get("code", "?")}
        where = _where(block, path)
        code = _text(block, "code", where, errors, limit=10)
        if code in block_codes:
            errors.append(
                _("%(where)s: block code %(code)s is used twice") % {"where": where, "code": code}
            )
        block_codes.add(code)
        target = str(block.get("target") or "").strip()
        if target not in Target.values:
            errors.append(
                _("%(where)s: target %(value)r is not one of %(allowed)s")
                % {"where": where, "value": target, "allowed": ", ".join(Target.values)}
            )
        clean_block = {
            "code": code,
            "title": _text(block, "title", where, errors, limit=200),
            "target": target,
            "scored": _bool(block, "scored", True),
            "tie_break": [str(c).strip() for c in block.get("tie_break") or []],
            "formula": _choice(block, "formula", Formula, Formula.MEAN, where, errors),
            "weight_base": _decimal(block, "weight_base", where, errors),
            "total_basis": _choice(
                block, "total_basis", TotalBasis, TotalBasis.ATTAINABLE, where, errors
            ),
            "aspect_value": _choice(
                block, "aspect_value", AspectValue, AspectValue.SUM, where, errors
            ),
            "aspects": [],
        }
        aspect_codes: set[str] = set()
        scored_items = 0
        for aspect in block.get("aspects") or []:
            apath = f"{path} › " + _("aspect %(code)s") % {"code": aspect.get("code", "?")}
            awhere = _where(aspect, apath)
            acode = _text(aspect, "code", awhere, errors, limit=10)
            if acode in aspect_codes:
                errors.append(
                    _("%(where)s: aspect code %(code)s is used twice in block %(block)s")
                    % {"where": awhere, "code": acode, "block": code}
                )
            aspect_codes.add(acode)
            clean_aspect = {
                "code": acode,
                "title": _text(aspect, "title", awhere, errors, limit=200),
                "weight": _weight(aspect, awhere, errors),
                "example": _bool(aspect, "example", False),
                "indicators": [],
            }
            indicator_codes: set[str] = set()
            for indicator in aspect.get("indicators") or []:
                ipath = f"{apath} › " + _("indicator %(code)s") % {
                    "code": indicator.get("code", "?")
                }
                iwhere = _where(indicator, ipath)
                icode = _text(indicator, "code", iwhere, errors, limit=10)
                if icode in indicator_codes:
                    errors.append(
                        _("%(where)s: indicator code %(code)s is used twice in aspect %(aspect)s")
                        % {"where": iwhere, "code": icode, "aspect": acode}
                    )
                indicator_codes.add(icode)
                clean_indicator = {
                    "code": icode,
                    "title": _text(indicator, "title", iwhere, errors, limit=200),
                    "weight": _weight(indicator, iwhere, errors),
                    "example": _bool(indicator, "example", False),
                    "shading": _text(indicator, "shading", iwhere, errors, limit=8, required=False),
                    "always_filled": _bool(indicator, "always_filled", False),
                    "items": [],
                }
                for item in indicator.get("items") or []:
                    clean_item = _check_item(item, ipath, item_codes, errors)
                    if (
                        clean_item["kind"] == ItemKind.CHOICE
                        and clean_item["weight"] > 0
                        and clean_indicator["weight"] > 0
                        and clean_aspect["weight"] > 0
                    ):
                        scored_items += 1
                    clean_indicator["items"].append(clean_item)
                clean_aspect["indicators"].append(clean_indicator)
            clean_block["aspects"].append(clean_aspect)
        if clean_block["formula"] == Formula.WORKBOOK and clean_block["weight_base"] is None:
            errors.append(
                _("%(where)s: the workbook formula needs a weight base (e.g. 0.75)")
                % {"where": where}
            )
        unknown = [c for c in clean_block["tie_break"] if c not in aspect_codes]
        if unknown:
            errors.append(
                _("%(where)s: tie-break names unknown aspects: %(codes)s")
                % {"where": where, "codes": ", ".join(unknown)}
            )
        if clean_block["scored"]:
            if scored_items == 0:
                errors.append(
                    _(
                        "%(where)s: a scored block needs at least one choice item with a weight "
                        "above 0"
                    )
                    % {"where": where}
                )
            seen = scored_aspects.setdefault(target, set())
            if seen & aspect_codes:
                errors.append(
                    _(
                        "%(where)s: aspect codes %(codes)s already used by another scored block "
                        "for the same target"
                    )
                    % {"where": where, "codes": ", ".join(sorted(seen & aspect_codes))}
                )
            seen |= aspect_codes
        clean["blocks"].append(clean_block)
    if errors:
        raise InstrumentDataError(errors)
    return clean


def _check_item(item: dict, ipath: str, item_codes: dict, errors: list[str]) -> dict:
    path = f"{ipath} › " + _("item %(code)s") % {"code": item.get("code", "?")}
    where = _where(item, path)
    code = _text(item, "code", where, errors, limit=20)
    if code in item_codes:
        errors.append(
            _("%(where)s: item code %(code)s is already used (%(first)s)")
            % {"where": where, "code": code, "first": item_codes[code]}
        )
    else:
        item_codes[code] = where
    kind = str(item.get("kind") or "").strip()
    if kind not in ItemKind.values:
        errors.append(
            _("%(where)s: kind %(value)r is not one of %(allowed)s")
            % {"where": where, "value": kind, "allowed": ", ".join(ItemKind.values)}
        )
    options = []
    labels = set()
    for option in item.get("options") or []:
        owhere = _where(option, path)
        label = _text(option, "label", owhere, errors, limit=1000)
        if label in labels:
            errors.append(
                _("%(where)s: option %(label)r is listed twice") % {"where": owhere, "label": label}
            )
        labels.add(label)
        if option.get("score") in (None, ""):
            errors.append(
                _("%(where)s: option %(label)r has no score") % {"where": owhere, "label": label}
            )
        score = _int(option, "score", owhere, errors)
        options.append(
            {"label": label, "score": score or 0, "example": _bool(option, "example", False)}
        )
    max_score = _int(item, "max_score", where, errors, minimum=1)
    if kind == ItemKind.CHOICE:
        if len(options) < 2:
            errors.append(
                _("%(where)s: a choice item needs at least two options") % {"where": where}
            )
        best = max((o["score"] for o in options), default=0)
        if max_score is None:
            max_score = best
        if len(options) < 2:
            pass  # reported above; a max score error would only repeat it
        elif max_score < 1:
            errors.append(_("%(where)s: the max score must be at least 1") % {"where": where})
        elif best > max_score:
            errors.append(
                _("%(where)s: an option scores %(best)s, above the max score %(max)s")
                % {"where": where, "best": best, "max": max_score}
            )
    elif kind in ItemKind.values:
        if options:
            errors.append(_("%(where)s: only a choice item has options") % {"where": where})
        max_score = None
    evidence = _text(item, "evidence", where, errors, limit=2000, required=False)
    rule_text = _text(item, "validation_rule", where, errors, limit=5000, required=False)
    return {
        "code": code,
        "text": _text(item, "text", where, errors, limit=5000),
        "kind": kind,
        "max_score": max_score,
        "weight": _weight(item, where, errors),
        "evidence": evidence,
        "evidence_required": _bool(item, "evidence_required", bool(evidence)),
        "example": _bool(item, "example", False),
        "source": _text(item, "source", where, errors, limit=300, required=False),
        "rincian": _text(item, "rincian", where, errors, limit=20, required=False),
        "validation_rule": rule_text,
        **rule_data(rule_text, [o["score"] for o in options] if kind == ItemKind.CHOICE else None),
        "explanation": _text(item, "explanation", where, errors, limit=5000, required=False),
        "guidance": _text(item, "guidance", where, errors, limit=5000, required=False),
        "source_row": _int(item, "source_row", where, errors, minimum=1),
        "score_offset": _score_offset(item, where, errors),
        "score_divisor": _decimal(item, "score_divisor", where, errors),
        "nilai_rule": _choice(item, "nilai_rule", NilaiRule, NilaiRule.SCALE, where, errors),
        "options": options,
        "check_rules": _check_rules(item, kind, options, where, errors),
    }


def _check_rules(item: dict, kind: str, options: list, where: str, errors: list[str]) -> list:
    """The verifiers' checking rules of an item: each gives a score the item has, names only
    known evidence kinds, and quotes its source text."""
    rules = []
    scores = {o["score"] for o in options}
    for rule in item.get("check_rules") or []:
        rwhere = where + " › " + _("checking rule")
        score = _int(rule, "score", rwhere, errors)
        if kind != ItemKind.CHOICE or score not in scores:
            errors.append(
                _("%(where)s: the score %(score)s is not a score of the item's options")
                % {"where": rwhere, "score": score}
            )
        self_score = _int(rule, "self_score", rwhere, errors)
        kinds = {}
        for key in ("present", "absent"):
            values = rule.get(key) or []
            if isinstance(values, str):
                values = [v.strip() for v in values.split(",") if v.strip()]
            unknown = [v for v in values if v not in DocumentKind.values]
            if unknown:
                errors.append(
                    _("%(where)s: %(values)s is not one of %(allowed)s")
                    % {
                        "where": rwhere,
                        "values": ", ".join(map(str, unknown)),
                        "allowed": ", ".join(DocumentKind.values),
                    }
                )
            kinds[key] = sorted({v for v in values if v in DocumentKind.values})
        rules.append(
            {
                "self_score": self_score,
                "present": kinds["present"],
                "absent": kinds["absent"],
                "confirm": _text(rule, "confirm", rwhere, errors, limit=300, required=False),
                "score": score or 0,
                "text": _text(rule, "text", rwhere, errors, limit=2000),
                "source_row": _int(rule, "source_row", rwhere, errors, minimum=1),
            }
        )
    return rules


def rule_data(text: str, scores: list[int] | None) -> dict:
    """The item's Rule Validasi as data (lke/rules.py); a text that is no rule, or that does not
    read, gives no data (the workbook importer lists the latter as an anomaly)."""
    if text and looks_like_rule(text):
        try:
            parsed = parse_rule(text, scores)
        except RuleError:
            pass
        else:
            return {
                "evidence_scores": parsed["evidence_scores"],
                "answer_range": parsed["answer_range"],
            }
    return {"evidence_scores": None, "answer_range": None}


def _score_offset(item: dict, where: str, errors: list[str]) -> int:
    raw = item.get("score_offset")
    if raw is None or raw == "":
        return 0
    try:
        return int(str(raw).strip())
    except ValueError:
        errors.append(
            _("%(where)s: %(field)s %(value)r is not a whole number")
            % {"where": where, "field": _field("score_offset"), "value": raw}
        )
        return 0


# --- YAML ----------------------------------------------------------------------------------------


def read_yaml(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        try:
            return yaml.safe_load(handle)
        except yaml.YAMLError as error:
            raise InstrumentDataError([f"{path.name}: {error}"]) from None


def shipped_files() -> list[Path]:
    return sorted(INSTRUMENT_DIR.glob("*.yaml"))


# --- from the database -------------------------------------------------------------------------


def _number(value: Decimal):
    return int(value) if value == value.to_integral_value() else float(value)


def instrument_to_data(instrument: Instrument) -> dict:
    """The plain form of a stored instrument (checked form: equal to the checked file data it
    was loaded from)."""
    from .models import Block

    blocks = (
        Block.objects.filter(instrument=instrument)
        .order_by("order", "id")
        .prefetch_related(
            "aspects__indicators__items__options", "aspects__indicators__items__check_rules"
        )
    )
    return {
        "year": instrument.year,
        "version": instrument.version,
        "title": instrument.title,
        "source": instrument.source_note,
        "nilai_scale": instrument.nilai_scale,
        "import_notes": list(instrument.import_notes),
        "blocks": [
            {
                "code": b.code,
                "title": b.title,
                "target": b.target,
                "scored": b.scored,
                "tie_break": list(b.tie_break),
                "formula": b.formula,
                "weight_base": b.weight_base,
                "total_basis": b.total_basis,
                "aspect_value": b.aspect_value,
                "aspects": [
                    {
                        "code": a.code,
                        "title": a.title,
                        "weight": a.weight,
                        "example": a.is_example,
                        "indicators": [
                            {
                                "code": i.code,
                                "title": i.title,
                                "weight": i.weight,
                                "example": i.is_example,
                                "shading": i.shading,
                                "always_filled": i.always_filled,
                                "items": [
                                    {
                                        "code": it.code,
                                        "text": it.text,
                                        "kind": it.kind,
                                        "max_score": it.max_score,
                                        "weight": it.weight,
                                        "evidence": it.evidence_hint,
                                        "evidence_required": it.evidence_required,
                                        "example": it.is_example,
                                        "source": it.source_note,
                                        "rincian": it.rincian,
                                        "validation_rule": it.validation_rule,
                                        "explanation": it.explanation,
                                        "guidance": it.guidance,
                                        "source_row": it.source_row,
                                        "score_offset": it.score_offset,
                                        "score_divisor": it.score_divisor,
                                        "nilai_rule": it.nilai_rule,
                                        "check_rules": [
                                            {
                                                "self_score": r.self_score,
                                                "present": list(r.present),
                                                "absent": list(r.absent),
                                                "confirm": r.confirm,
                                                "score": r.score,
                                                "text": r.text,
                                                "source_row": r.source_row,
                                            }
                                            for r in sorted(
                                                it.check_rules.all(), key=lambda r: (r.order, r.pk)
                                            )
                                        ],
                                        "options": [
                                            {
                                                "label": o.label,
                                                "score": o.score,
                                                "example": o.is_example,
                                            }
                                            for o in sorted(
                                                it.options.all(), key=lambda o: (o.order, o.pk)
                                            )
                                        ],
                                    }
                                    for it in sorted(i.items.all(), key=lambda x: (x.order, x.pk))
                                ],
                            }
                            for i in sorted(a.indicators.all(), key=lambda x: (x.order, x.pk))
                        ],
                    }
                    for a in sorted(b.aspects.all(), key=lambda x: (x.order, x.pk))
                ],
            }
            for b in blocks
        ],
    }


# --- xlsx ----------------------------------------------------------------------------------------

META_SHEET, TREE_SHEET = "Instrumen", "Butir"
META_KEYS = [
    ("year", "tahun"),
    ("version", "versi"),
    ("title", "judul"),
    ("source", "sumber"),
    ("nilai_scale", "skala_nilai"),
]
COLUMNS = [
    "baris",
    "kode",
    "teks",
    "bobot",
    "jenis_butir",
    "skor_maks",
    "skor",
    "bukti",
    "bukti_wajib",
    "contoh",
    "sumber",
    "sasaran",
    "dinilai",
    "tie_break",
]
# Columns added with the official 2026 workbook: optional on import (an older export without
# them still imports, with the defaults).
EXTRA_COLUMNS = [
    "rumus",
    "dasar_bobot",
    "dasar_total",
    "nilai_aspek",
    "arsir",
    "selalu_diisi",
    "skor_min",
    "pembagi",
    "nilai",
    "rincian",
    "aturan_validasi",
    "penjelasan",
    "penjelasan_bukti",
    "baris_sumber",
]
ALL_COLUMNS = COLUMNS + EXTRA_COLUMNS
ROW_KINDS = ["blok", "aspek", "indikator", "butir", "opsi"]
MAX_SHEET_ROWS, MAX_SHEET_COLUMNS = 5000, 30  # an import's ceiling, checked before parsing


def _yes(value: bool) -> str:
    return "ya" if value else "tidak"


def instrument_to_xlsx(data: dict) -> bytes:
    """Two sheets: `Instrumen` (key, value) and `Butir`, one row per block, aspect, indicator,
    item and option in order; a row belongs to the nearest row of the level above it."""
    writer = XlsxWriter()
    writer.add_sheet(
        META_SHEET,
        [["kunci", "nilai"], *([label, data[key]] for key, label in META_KEYS)],
        widths={2: 80},
    )
    writer.add_sheet(TREE_SHEET, _tree_rows(data), widths={3: 80}, wrap=True)
    return writer.to_bytes()


def _row(**cells) -> list:
    """A `Butir` row with the named columns filled, the others empty."""
    return [cells.get(column) for column in ALL_COLUMNS]


def _grouping_row(kind: str, node: dict, **extra) -> list:
    return _row(
        baris=kind,
        kode=node["code"],
        teks=node["title"],
        bobot=_number(Decimal(node["weight"])),
        contoh=_yes(node["example"]),
        **extra,
    )


def _optional_number(value):
    return None if value is None else _number(Decimal(value))


def _tree_rows(data: dict) -> Iterator[list]:
    yield ALL_COLUMNS
    for block in data["blocks"]:
        yield _row(
            baris="blok",
            kode=block["code"],
            teks=block["title"],
            sasaran=block["target"],
            dinilai=_yes(block["scored"]),
            tie_break=",".join(block["tie_break"]),
            rumus=block["formula"],
            dasar_bobot=_optional_number(block["weight_base"]),
            dasar_total=block["total_basis"],
            nilai_aspek=block["aspect_value"],
        )
        for aspect in block["aspects"]:
            yield _grouping_row("aspek", aspect)
            for indicator in aspect["indicators"]:
                yield _grouping_row(
                    "indikator",
                    indicator,
                    arsir=indicator["shading"],
                    selalu_diisi=_yes(indicator["always_filled"]),
                )
                for item in indicator["items"]:
                    yield _row(
                        baris="butir",
                        kode=item["code"],
                        teks=item["text"],
                        bobot=_number(Decimal(item["weight"])),
                        jenis_butir=item["kind"],
                        skor_maks=item["max_score"],
                        bukti=item["evidence"],
                        bukti_wajib=_yes(item["evidence_required"]),
                        contoh=_yes(item["example"]),
                        sumber=item["source"],
                        skor_min=item["score_offset"],
                        pembagi=_optional_number(item["score_divisor"]),
                        nilai=item["nilai_rule"],
                        rincian=item["rincian"],
                        aturan_validasi=item["validation_rule"],
                        penjelasan=item["explanation"],
                        penjelasan_bukti=item["guidance"],
                        baris_sumber=item["source_row"],
                    )
                    for option in item["options"]:
                        yield _row(
                            baris="opsi",
                            teks=option["label"],
                            skor=option["score"],
                            contoh=_yes(option["example"]),
                        )


def _cell(value):
    """Numbers and booleans as they are (12.0 as 12), text through core.xlsx.cell_text."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, str):
        return cell_text(value)
    return value


def instrument_from_xlsx(upload) -> dict:
    """Read the workbook written by `instrument_to_xlsx` into the plain form (rows kept in
    `_row`), or raise InstrumentDataError naming each bad row. The result still goes through
    `check_instrument_data`."""
    try:
        with open_workbook(upload, max_rows=MAX_SHEET_ROWS, max_cols=MAX_SHEET_COLUMNS) as book:
            return _instrument_from_book(book)
    except ValidationError as error:
        raise InstrumentDataError(error.messages) from None


def _instrument_from_book(book) -> dict:
    missing = [name for name in (META_SHEET, TREE_SHEET) if name not in book]
    if missing:
        raise InstrumentDataError(
            [_("The workbook has no sheet named %(name)s.") % {"name": name} for name in missing]
        )
    errors: list[str] = []
    data: dict = {"blocks": []}
    labels = {label: key for key, label in META_KEYS}
    for number, row in enumerate(book.rows(META_SHEET), start=1):
        if number == 1 or not row or row[0] is None:
            continue
        key = labels.get(str(row[0]).strip())
        if key is None:
            errors.append(
                _("%(sheet)s row %(row)s: unknown key %(key)r")
                % {"sheet": META_SHEET, "row": number, "key": row[0]}
            )
            continue
        data[key] = _cell(row[1] if len(row) > 1 else None)
    rows = book.rows(TREE_SHEET)
    header = [cell_text(c) for c in next(rows, ())]
    if header[: len(COLUMNS)] != COLUMNS:
        raise InstrumentDataError(
            [
                _("%(sheet)s row 1: the columns must be %(columns)s")
                % {"sheet": TREE_SHEET, "columns": ", ".join(COLUMNS)}
            ]
        )
    columns = COLUMNS + header[len(COLUMNS) :]  # unknown extra columns are ignored
    parents: dict[str, dict | None] = dict.fromkeys(ROW_KINDS)
    for number, raw in enumerate(rows, start=2):
        values = dict(zip(columns, (_cell(v) for v in raw), strict=False))
        for extra in EXTRA_COLUMNS:
            values.setdefault(extra, "")
        kind = str(values.get("baris") or "")
        if not any(values.values()):
            continue
        where = _("%(sheet)s row %(row)s") % {"sheet": TREE_SHEET, "row": number}
        if kind not in ROW_KINDS:
            errors.append(
                _("%(where)s: the first column must be one of %(allowed)s, not %(value)r")
                % {"where": where, "allowed": ", ".join(ROW_KINDS), "value": kind}
            )
            continue
        level = ROW_KINDS.index(kind)
        parent = parents[ROW_KINDS[level - 1]] if level else data
        if parent is None:
            errors.append(
                _("%(where)s: a %(kind)s row must follow a %(parent)s row")
                % {"where": where, "kind": kind, "parent": ROW_KINDS[level - 1]}
            )
            continue
        node = _node_from_row(kind, values, where)
        node["_row"] = number
        parent.setdefault(
            ["blocks", "aspects", "indicators", "items", "options"][level], []
        ).append(node)
        parents[kind] = node
        for lower in ROW_KINDS[level + 1 :]:
            parents[lower] = None
    if errors:
        raise InstrumentDataError(errors)
    return data


def _node_from_row(kind: str, v: dict, where: str) -> dict:
    if kind == "blok":
        return {
            "code": v["kode"],
            "title": v["teks"],
            "target": v["sasaran"],
            "scored": v["dinilai"] if v["dinilai"] != "" else True,
            "tie_break": [c.strip() for c in str(v["tie_break"] or "").split(",") if c.strip()],
            "formula": v["rumus"],
            "weight_base": v["dasar_bobot"],
            "total_basis": v["dasar_total"],
            "aspect_value": v["nilai_aspek"],
        }
    if kind in ("aspek", "indikator"):
        node = {
            "code": v["kode"],
            "title": v["teks"],
            "weight": v["bobot"] if v["bobot"] != "" else 1,
            "example": v["contoh"] or False,
        }
        if kind == "indikator":
            node["shading"] = v["arsir"]
            node["always_filled"] = v["selalu_diisi"] or False
        return node
    if kind == "butir":
        return {
            "code": v["kode"],
            "text": v["teks"],
            "kind": v["jenis_butir"],
            "max_score": v["skor_maks"],
            "weight": v["bobot"] if v["bobot"] != "" else 1,
            "evidence": v["bukti"],
            "evidence_required": v["bukti_wajib"] if v["bukti_wajib"] != "" else bool(v["bukti"]),
            "example": v["contoh"] or False,
            "source": v["sumber"],
            "score_offset": v["skor_min"],
            "score_divisor": v["pembagi"],
            "nilai_rule": v["nilai"],
            "rincian": v["rincian"],
            "validation_rule": v["aturan_validasi"],
            "explanation": v["penjelasan"],
            "guidance": v["penjelasan_bukti"],
            "source_row": v["baris_sumber"],
        }
    return {"label": v["teks"], "score": v["skor"], "example": v["contoh"] or False}
