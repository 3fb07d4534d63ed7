"""The official workbook's "Rule Validasi" texts read into data (issue 10 point 4), and what that
data decides for an answer.

The rule texts of the 2026 workbook take these forms (one condition a line, trailing quotes and
blank lines ignored):

    IF 11a = 1 or 2, tidak muncul field isian link bukti dukung
    IF 11a = 3 or 4, muncul field isian link bukti dukung
    IF 21a = 2 - 4, muncul field isian link bukti dukung      (a range, also "1-4", "0-1")
    IF 12b1 = 0-1,   tidak muncul field isian link bukti dukung  (never shown)
    Integer 1-99                                              (a number answer, 20.a1)

The values are the national web form's answer codes, not always the workbook's scores: the
2026 scores of a four-answer item run 3–0 while its rule speaks of 1–4 (the 2024 scale), and
"IF 21a = 1, tidak muncul" means the bottom answer "Belum dilaksanakan" (score 0). So the codes
are aligned with the scores by the top: the item's top score is the highest code the rule names
(offset = highest code − top score; 0 for the Ya 1 / Tidak 0 items, +1 for 3–0 items, −1 for
12b, Ya 2 / Tidak 1). The rule then holds when every answer of the item lands on a code the rule
names; otherwise (14.a.2: a 0/1 rule on an item scored 0–3) it is not applied and listed as an
anomaly on the instrument's page, like a text that does not read as a rule at all.

A condition naming another rincian than the item's own (12b names 12a, 25a3 names 25a4 on its
second line) is read as a rule on the item's own answer; the importer lists it as a note.

The data on the item (Item.evidence_scores): None = no rule (the evidence field is always
offered, and needed once the item is answered when the item requires evidence); a list = the
scores for which the field appears and evidence is needed ([] = never)."""

import re

LINE = re.compile(
    r"^IF\s+(?P<code>[\w.]+)\s*=\s*(?P<values>[\d\s,\-–]+(?:\s*or\s*[\d\s\-–]+)*?)\s*,\s*"
    r"(?P<negated>tidak\s+)?muncul\b",
    re.IGNORECASE,
)
RANGE = re.compile(r"^\s*(\d+)\s*[-–]\s*(\d+)\s*$")
INTEGER = re.compile(r"^\s*integer\s+(\d+)\s*[-–]\s*(\d+)\s*$", re.IGNORECASE)


class RuleError(ValueError):
    """A rule text that cannot be read, or that does not fit the item's answers."""


def _values(text: str) -> set[int]:
    found: set[int] = set()
    for part in re.split(r"\s*(?:\bor\b|,)\s*", text.strip(), flags=re.IGNORECASE):
        if not part:
            continue
        span = RANGE.match(part)
        if span:
            low, high = int(span.group(1)), int(span.group(2))
            if low > high:
                raise RuleError(part)
            found.update(range(low, high + 1))
        elif part.strip().isdigit():
            found.add(int(part))
        else:
            raise RuleError(part)
    return found


def looks_like_rule(text: str) -> bool:
    """Whether `text` is meant as a validation rule (not an answer's instruction like "Tuliskan
    ... (Jika 1a = 0, maka ...)", which Blok II carries and lke.blok2 applies)."""
    return bool(re.search(r"\bmuncul\b", text, re.IGNORECASE) or INTEGER.match(text))


def parse_rule(text: str, scores: list[int] | None) -> dict:
    """{"codes": [the rincian codes named], "evidence_scores": [scores] | None,
    "answer_range": [low, high] | None} of a rule text for an item whose options score `scores`
    (None for a text item). RuleError when the text does not read, or its codes do not cover
    the item's answers."""
    text = text.strip()
    integer = INTEGER.match(text)
    if integer:
        low, high = int(integer.group(1)), int(integer.group(2))
        if low > high or scores:
            raise RuleError(text)
        return {"codes": [], "evidence_scores": None, "answer_range": [low, high]}
    shown: set[int] = set()
    hidden: set[int] = set()
    codes: list[str] = []
    lines = [line.strip().strip('"“”').strip() for line in text.splitlines()]
    for line in filter(None, lines):
        match = LINE.match(line)
        if not match:
            raise RuleError(line)
        codes.append(match.group("code"))
        values = _values(match.group("values"))
        (hidden if match.group("negated") else shown).update(values)
    if not codes or not scores:
        raise RuleError(text)
    if shown & hidden:
        raise RuleError(text)
    named = shown | hidden
    offset = max(named) - max(scores)
    if any(score + offset not in named for score in scores):
        raise RuleError(text)
    return {
        "codes": codes,
        "evidence_scores": sorted((s for s in scores if s + offset in shown), reverse=True),
        "answer_range": None,
    }


# --- what the data decides ------------------------------------------------------------------------


def evidence_offered(item, score: int | None) -> bool:
    """Whether the worksheet offers the evidence field of `item` answered with `score` (None:
    not answered yet)."""
    if item.evidence_scores is None:
        return True
    return score is not None and score in item.evidence_scores


def evidence_needed(item, score: int | None, text: str = "") -> bool:
    """Whether `item` answered with `score` (a text item: with `text`) needs evidence before
    the worksheet is submitted: the answers its rule names; without a rule, an item that
    requires evidence needs it whatever the answer (as before the rules were read). A text
    item requiring evidence (6.b's filled identification questionnaire, 22.a's laporan akhir)
    needs it once its text is written; an unwritten one is optional, and so is its evidence."""
    if item.kind == "text":
        return bool(item.evidence_required) and bool(text.strip())
    if item.kind != "choice":
        return False
    if item.evidence_scores is None:
        return bool(item.evidence_required)
    return score is not None and score in item.evidence_scores
