"""The official LKE workbook (the national "INSTRUMENT PENILAIAN MANDIRI DESA/KELURAHAN DAN
KABUPATEN/KOTA – DESA CANTIK <year>", one sheet) read into the instrument's plain form
(lke/instrument_data.py), which `services.create_instrument` then checks and writes.

The layout (reference/domain.md, "The official LKE 2026"), read by its content, not by fixed row
numbers, so next year's workbook in the same layout loads too:

- A block starts at a row whose column A reads "BLOK <roman>. <title>". Blocks whose title names
  the BPS kab/kota, and the laporan akhir, are filled per office; the others per village.
- A block with a header row (C = "INDIKATOR") is scored. Its header says the columns: Blok III
  has G BOBOT, H = G/$G$95, I = F/max, J = I*H, K PENJELASAN DAN BUKTI DUKUNG, L BUKTI DUKUNG,
  M PENJELASAN, N rincian, O Rule Validasi; Blok IV has G NILAI, H BOBOT, I = H/7.75,
  J = (F−min)/(max−min), K BUKTI DUKUNG, M rincian, N Rule Validasi.
- An aspect row has text in A only ("III. MANAJEMEN DATA …"; without a numeral the aspects are
  numbered I, II, III in order). An indicator row has its number in A and its title in B. An
  item row has its letter in B (or a number, or "1. Waktu" in C, under a heading item) and its
  text in C; its answers are D (text) and E (score), one row per option.
- The scoring formulas are read from the cells: the divisor of "=F108" is 1, of "=F22/3" is 3;
  "=(F159-1)/3" gives min 1 and divisor 3; the weight base is the cell "$G$95" points to (or
  the number after "/"). NILAI "=IF(F=1,4,1)" and "=F" are kept as the item's NILAI rule.
- The green fills (C5E0B3, B6D7A8) of an indicator's rows mark the indicators filled when the
  village is not nominated (Blok II 2a = Tidak).

What does not fit a plain reading is kept as the workbook has it and listed in `import_notes`
(shown on the instrument's page): a divisor below the item's score range (14.a.2 "=F108" with
scores 0–3), a validation rule naming another item's rincian, a letter used twice (row 155 and
156 both "a": the first becomes the heading of indicator 20, the second item 20.a), a choice
item of a scored block without weight (item 21, required for every village)."""

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.xlsx import cell_text, open_workbook

from .instrument_data import InstrumentDataError
from .models import AspectValue, DocumentKind, Formula, ItemKind, NilaiRule, Target, TotalBasis
from .rules import RuleError, parse_rule

MAX_ROWS, MAX_COLUMNS = 2000, 30  # the official sheet declares 1007 rows and 15 columns
GREEN = frozenset({"C5E0B3", "B6D7A8"})
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")

BLOCK_ROW = re.compile(r"^BLOK\s+([IVX]+)\s*[.:]\s*(.+)$", re.IGNORECASE | re.DOTALL)
NUMBERED = re.compile(r"^([IVX]+)\s*\.\s*(.+)$", re.DOTALL)
ITEM_LETTER = re.compile(r"^([a-zA-Z])(\d*)$")
ENUMERATED = re.compile(r"^(\d+)\s*\.\s*(.+)$", re.DOTALL)
YEAR = re.compile(r"\b(20\d\d)\b")
# Blok III: H = G22/$G$95, I = F22/3 or F44; Blok IV: I = H117/7.75, J = (F117-0)/1.
BASE_REF = re.compile(r"^=\s*[A-Z]+(\d+)\s*/\s*\$?([A-Z]+)\$?(\d+)\s*$")
BASE_NUMBER = re.compile(r"^=\s*[A-Z]+(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*$")
RATIO = re.compile(r"^=\s*F(\d+)\s*(?:/\s*(\d+(?:\.\d+)?))?\s*$")
TRANSFORM = re.compile(r"^=\s*\(\s*F(\d+)\s*-\s*(\d+)\s*\)\s*/\s*(\d+(?:\.\d+)?)\s*$")
NILAI_BINARY = re.compile(r"^=\s*IF\(\s*F(\d+)\s*=\s*1\s*,\s*4\s*,\s*1\s*\)\s*$", re.IGNORECASE)
NILAI_SCORE = re.compile(r"^=\s*F(\d+)\s*$")
RULE_CODES = re.compile(r"IF\s+(\w+)\s*=", re.IGNORECASE)

# The verifiers' checking rules in the BUKTI DUKUNG texts ("Poin penting untuk pemeriksaan bukti
# dukung:"), each line read on its own; a line that fits none of these is left as prose.
KIND_WORDS = (
    (re.compile(r"\bundangan\b", re.IGNORECASE), DocumentKind.UNDANGAN),
    (re.compile(r"\bnotul(?:en|ensi)\b", re.IGNORECASE), DocumentKind.NOTULEN),
    (re.compile(r"\bdaftar\s+hadir\b", re.IGNORECASE), DocumentKind.DAFTAR_HADIR),
    (re.compile(r"\bdokumentasi\b", re.IGNORECASE), DocumentKind.DOKUMENTASI),
    (re.compile(r"\bSK\b|surat\s+keputusan", re.IGNORECASE), DocumentKind.SK),
)
CHECK_POINTS = re.compile(r"^poin\s+(?:penting\s+untuk\s+)?pemeriksaan\b", re.IGNORECASE)
# "untuk skor 3 (agen statistik, aparat desa dan masyarakat)"
FOR_SCORE = re.compile(r"^untuk\s+skor\s*(\d+)\b", re.IGNORECASE)
# "- Apabila hanya terdapat notulen dan daftar hadir: poin turun 1"
ONLY_KINDS = re.compile(
    r"^-?\s*apabila\s+hanya\s+(?:terdapat\s+)?(.+?)\s*:\s*poin\s+turun\s+(\d+)\b",
    re.IGNORECASE,
)
# "- Indikator a2: Wajib terdapat daftar hadir …, Jika tidak terdapat daftar hadir maka poin = 1"
OTHER_ITEM = re.compile(
    r"^-?\s*indikator\s+(\w+)\s*:.*?jika\s+tidak\s+terdapat\s+(.+?)\s+maka\s+poin\s*=\s*(\d+)",
    re.IGNORECASE,
)
# "(jika yang hadir es 3 pemda/staf kecamatan maka poin = 1)"
ATTENDED_BY = re.compile(
    r"jika\s+yang\s+hadir\s+([^()\n]+?)\s+maka\s+poin\s*=\s*(\d+)", re.IGNORECASE
)
# "SK dittd bukan oleh kepala BPS."
NOT_SIGNED_BY = re.compile(
    r"\bSK\s+(?:dit+d|di\s*ttd|ditandatangani)\s+bukan\s+oleh\s+([^.\n]+)\.?", re.IGNORECASE
)

# Columns (1-based) of the texts and formulas per layout.
VILLAGE_LAYOUT = {
    "weight": 7,
    "base": 8,
    "ratio": 9,
    "guidance": 11,
    "evidence": 12,
    "explanation": 13,
    "rincian": 14,
    "rule": 15,
}
OFFICE_LAYOUT = {
    "nilai": 7,
    "weight": 8,
    "base": 9,
    "transform": 10,
    "evidence": 11,
    "rincian": 13,
    "rule": 14,
}
PLAIN_LAYOUT = {"guidance": 11, "evidence": 12, "explanation": 13, "rincian": 14, "rule": 15}

NOTE_KINDS = {
    "divisor": gettext_lazy(
        "%(code)s (row %(row)s): the formula %(formula)s divides by %(divisor)s although its "
        "scores run %(low)s–%(high)s, so the item can reach %(times)s× its weight. Followed as "
        "the workbook has it; the divisor is the item's data and can be corrected on the "
        "instrument's page."
    ),
    "rule_names_other": gettext_lazy(
        "%(code)s (row %(row)s): its Rule Validasi names %(named)s, not its own rincian "
        "%(rincian)s; it is read as a rule on the item's own answer."
    ),
    "repeated_letter": gettext_lazy(
        "Rows %(first)s and %(second)s both carry the letter %(letter)s: row %(first)s is "
        "imported as the heading %(heading)s, row %(second)s as item %(code)s."
    ),
    "unweighted": gettext_lazy(
        "%(code)s (row %(row)s): a question of a scored block without BOBOT: answered, not scored."
    ),
    "rule_unread": gettext_lazy(
        "%(code)s (row %(row)s): its Rule Validasi “%(rule)s” cannot be read as a rule on its "
        "answers %(scores)s, so it is not applied: the evidence field is offered for every "
        "answer and not demanded at submission. Correct the rule in a new version."
    ),
    "indicator_remark": gettext_lazy("Indicator %(code)s (row %(row)s): %(text)s"),
    "rule_unplaced": gettext_lazy(
        "%(code)s (row %(row)s): a checking rule of the BUKTI DUKUNG text names an item or a "
        "score that the instrument does not have; it was not imported."
    ),
    "weight_sum": gettext_lazy(
        "Blok %(block)s: the weights sum to %(sum)s but are divided by %(base)s."
    ),
}


def note_text(note: dict) -> str:
    """One import note in the active language."""
    template = NOTE_KINDS.get(note.get("kind"))
    if template is None:
        return str(note)
    return str(template) % note


def _hex_fill(cell) -> str:
    fill = getattr(cell, "fill", None)
    if fill is None or fill.fill_type != "solid":
        return ""
    rgb = getattr(fill.fgColor, "rgb", None)
    return rgb[-6:].upper() if isinstance(rgb, str) and len(rgb) >= 6 else ""


def _number(value) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None


def _whole(value) -> int | None:
    number = _number(value)
    if number is None or not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def _plain_number(value: Decimal):
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else float(value)


class _Reader:
    """One pass over the rows of the sheet, building the plain form."""

    def __init__(self, sheet, *, name: str):
        self.pending_rules: list[tuple[dict, str, dict]] = []  # (indicator, code, rule)
        self.sheet = sheet
        self.name = name
        self.errors: list[str] = []
        self.notes: list[dict] = []
        self.blocks: list[dict] = []
        self.block = self.aspect = self.indicator = self.item = self.heading = None
        self.layout = PLAIN_LAYOUT
        self.bases: dict[str, tuple[Decimal, int]] = {}

    # --- cells ----------------------------------------------------------------------------

    def cell(self, row: int, column: int):
        return self.sheet.cell(row=row, column=column)

    def text(self, row: int, column: int | None) -> str:
        return cell_text(self.cell(row, column).value) if column else ""

    def raw(self, row: int, column: int | None):
        return self.cell(row, column).value if column else None

    def error(self, row: int, message: str) -> None:
        self.errors.append(_("row %(row)s: %(message)s") % {"row": row, "message": message})

    # --- structure -----------------------------------------------------------------------

    def start_block(self, row: int, code: str, title: str) -> None:
        upper = title.upper()
        office = "KABUPATEN/KOTA" in upper and "DESA/KELURAHAN" not in upper
        target = Target.OFFICE if office or "LAPORAN AKHIR" in upper else Target.VILLAGE
        self.block = {
            "_row": row,
            "code": code,
            "title": title,
            "target": target,
            "scored": False,
            "tie_break": [],
            "formula": Formula.MEAN,
            "weight_base": None,
            "total_basis": TotalBasis.ATTAINABLE,
            "aspect_value": AspectValue.SUM,
            "aspects": [],
        }
        self.blocks.append(self.block)
        self.aspect = self.indicator = self.item = self.heading = None
        self.layout = PLAIN_LAYOUT

    def start_header(self, row: int) -> None:
        self.block["scored"] = True
        self.block["formula"] = Formula.WORKBOOK
        self.layout = OFFICE_LAYOUT if self.text(row, 7).upper() == "NILAI" else VILLAGE_LAYOUT

    def start_aspect(self, row: int, text: str) -> None:
        numbered = NUMBERED.match(text)
        if numbered:
            code, title = numbered.group(1), numbered.group(2).strip()
        else:
            position = len(self.block["aspects"])
            code, title = ROMAN[position] if position < len(ROMAN) else str(position + 1), text
        self.aspect = {"_row": row, "code": code, "title": title, "weight": 1, "indicators": []}
        self.block["aspects"].append(self.aspect)
        self.indicator = self.item = self.heading = None

    def ensure_aspect(self, row: int) -> None:
        """Blok II and V have no aspect rows: their indicators sit in one aspect named after
        the block."""
        if self.aspect is None:
            self.aspect = {
                "_row": row,
                "code": self.block["code"],
                "title": self.block["title"][:200],
                "weight": 1,
                "indicators": [],
            }
            self.block["aspects"].append(self.aspect)

    def start_indicator(self, row: int, code: str, title: str) -> None:
        self.ensure_aspect(row)
        self.indicator = {
            "_row": row,
            "code": code,
            "title": title if len(title) <= 200 else title[:199] + "…",
            "weight": 1,
            "shading": "",
            "always_filled": False,
            "items": [],
            "_fills": [_hex_fill(self.cell(row, 1)), _hex_fill(self.cell(row, 2))],
        }
        self.aspect["indicators"].append(self.indicator)
        remark = self.text(row, 11) if title != self.text(row, 3) else ""
        if remark:  # "Penegasan: Poin ini diwajibkan untuk diisi oleh semua desa/kelurahan"
            self.notes.append(
                {"kind": "indicator_remark", "code": code, "row": row, "text": remark}
            )
        self.item = self.heading = None

    # --- items ---------------------------------------------------------------------------

    def item_code(self, row: int, letter_cell: str, text: str) -> tuple[str, str] | None:
        """(code, text) of the item on `row`, or None with an error."""
        number = self.indicator["code"]
        letter = ITEM_LETTER.match(letter_cell)
        if letter and not letter.group(2):
            return f"{number}.{letter.group(1).lower()}", text
        if letter:
            return f"{number}.{letter_cell.lower()}", text
        if letter_cell.isdigit() or (not letter_cell and ENUMERATED.match(text)):
            if self.heading is None:
                self.error(row, _("a numbered sub-question without a heading question above it"))
                return None
            if letter_cell.isdigit():
                return f"{self.heading['code']}.{int(letter_cell)}", text
            enumerated = ENUMERATED.match(text)
            return f"{self.heading['code']}.{int(enumerated.group(1))}", enumerated.group(2)
        self.error(
            row, _("the question code %(code)r is not a letter or a number") % {"code": letter_cell}
        )
        return None

    def start_item(self, row: int, letter_cell: str, text: str) -> None:
        if self.indicator is None:
            self.error(row, _("a question outside an indicator"))
            return
        found = self.item_code(row, letter_cell, text)
        if found is None:
            self.item = None
            return
        code, text = found
        answer, score = self.text(row, 4), self.raw(row, 5)
        if not answer and score is None:
            kind = ItemKind.HEADING
        elif _whole(score) is not None:
            kind = ItemKind.CHOICE
        elif score not in (None, "", "...", "…") and not isinstance(score, str):
            kind = ItemKind.CHOICE  # a score that is not a whole number: reported below
        elif isinstance(score, str) and score.strip() not in ("", "...", "…"):
            self.error(
                row, _("the score %(value)r is not a whole number") % {"value": score.strip()}
            )
            kind = ItemKind.CHOICE
        else:
            kind = ItemKind.TEXT
        layout = self.layout
        evidence = self.text(row, layout.get("evidence")) or self.text(row, layout.get("guidance"))
        rule = self.text(row, layout.get("rule"))
        from_column = bool(rule)
        if kind == ItemKind.TEXT and not rule and "(" in answer:
            rule = answer  # "Tuliskan ... (Jika 1a = 0, maka …)": the answer's instruction
        item = {
            "_row": row,
            "code": code,
            "text": text,
            "kind": kind,
            "weight": 0,
            "evidence": evidence,
            "evidence_required": bool(evidence),
            "rincian": self.text(row, layout.get("rincian")),
            "validation_rule": rule,
            "explanation": self.text(row, layout.get("explanation")),
            "guidance": self.text(row, layout.get("guidance")),
            "source_row": row,
            "nilai_rule": NilaiRule.NONE,
            "options": [],
            "_rule_column": from_column,
            "_fills": [_hex_fill(self.cell(row, c)) for c in (2, 3, 4)],
        }
        if (
            self.heading is not None
            and kind != ItemKind.HEADING
            and code == self.heading["code"]
            and self.heading["code"] != self.indicator["code"]
        ):
            self.notes.append(
                {
                    "kind": "repeated_letter",
                    "first": self.heading["_row"],
                    "second": row,
                    "letter": letter_cell.lower(),
                    "heading": self.indicator["code"],
                    "code": code,
                }
            )
            self.heading["code"] = self.indicator["code"]
        self.indicator["items"].append(item)
        item["check_rules"] = self.read_check_rules(row, item)
        plain_letter = bool(letter_cell) and not letter_cell.isdigit() and letter_cell.isalpha()
        if kind == ItemKind.HEADING:
            self.heading = item
        elif (
            plain_letter
            and self.heading is not None
            and self.heading["code"] not in (code, self.indicator["code"])
        ):
            self.heading = None  # a new letter ends the sub-questions of a heading
        self.item = item if kind == ItemKind.CHOICE else None
        if kind == ItemKind.CHOICE:
            self.add_option(row)
            self.read_formulas(row, item)

    def read_check_rules(self, row: int, item: dict) -> list[dict]:
        """The checking rules in the item's BUKTI DUKUNG text whose score is computed from the
        evidence present. Rules naming a sibling item ("Indikator a2: …") wait for that item
        (placed in `finish`); a rule on a score the item lacks is dropped there too."""
        text = item["guidance"] or item["evidence"]
        rules: list[dict] = []
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        sections, current = [], None
        for line in lines:
            if CHECK_POINTS.match(line):
                current = []
                sections.append(current)
            elif current is not None:
                current.append(line)
        for section in sections:
            universe = set().union(
                *(_kinds(m.group(1)) for m in map(ONLY_KINDS.match, section) if m)
            )
            score, heading = None, ""
            for line in section:
                quoted = " ".join(line.lstrip("- ").split())
                if match := FOR_SCORE.match(line):
                    score, heading = int(match.group(1)), quoted
                elif (match := ONLY_KINDS.match(line)) and score is not None:
                    present = _kinds(match.group(1))
                    rules.append(
                        {
                            "self_score": score,
                            "present": sorted(present),
                            "absent": sorted(universe - present),
                            "score": max(score - int(match.group(2)), 0),
                            "text": f"{heading}: {quoted}",
                            "source_row": row,
                        }
                    )
                elif match := OTHER_ITEM.match(line):
                    code = f"{self.indicator['code']}.{match.group(1).lower()}"
                    rule = {
                        "self_score": None,
                        "present": [],
                        "absent": sorted(_kinds(match.group(2))),
                        "score": int(match.group(3)),
                        "text": quoted,
                        "source_row": row,
                    }
                    self.pending_rules.append((self.indicator, code, rule))
        if match := ATTENDED_BY.search(text):
            quoted = " ".join(match.group(0).split())
            rules.append(
                {
                    "self_score": None,
                    "present": [DocumentKind.DAFTAR_HADIR.value],
                    "absent": [],
                    # What the verifier must see in the documents for the rule to apply.
                    "confirm": "yang hadir " + " ".join(match.group(1).split()),
                    "score": int(match.group(2)),
                    "text": quoted,
                    "source_row": row,
                }
            )
        if match := NOT_SIGNED_BY.search(text):
            rules.append(
                {
                    "self_score": None,
                    "present": [DocumentKind.SK.value],
                    "absent": [],
                    "confirm": "SK ditandatangani oleh " + " ".join(match.group(1).split()),
                    "score": None,  # the answer without a valid letter: set in `finish`
                    "text": match.group(0).strip(),
                    "source_row": row,
                }
            )
        return rules

    def add_option(self, row: int) -> None:
        label, raw = self.text(row, 4), self.raw(row, 5)
        score = _whole(raw)
        if score is None or score < 0:
            self.error(
                row,
                _("the score %(value)r of the answer %(label)r is not a whole number of 0 or more")
                % {"value": raw, "label": label},
            )
            score = 0
        if not label:
            self.error(row, _("a score without its answer text in column D"))
        self.item["options"].append({"_row": row, "label": label, "score": score})

    def read_formulas(self, row: int, item: dict) -> None:
        if not self.block["scored"]:
            return
        layout = self.layout
        if layout is OFFICE_LAYOUT:
            nilai = str(self.raw(row, layout["nilai"]) or "")
            if NILAI_BINARY.match(nilai):
                item["nilai_rule"] = NilaiRule.BINARY
            elif NILAI_SCORE.match(nilai):
                item["nilai_rule"] = NilaiRule.SCORE
        weight_raw = self.raw(row, layout["weight"])
        if weight_raw in (None, ""):
            return  # no BOBOT: answered, not scored (noted once the options are known)
        weight = _number(weight_raw)
        if weight is None or weight < 0:
            self.error(row, _("the BOBOT %(value)r is not a number") % {"value": weight_raw})
            return
        item["weight"] = _plain_number(weight)
        self.read_base(row, str(self.raw(row, layout["base"]) or ""))
        if layout is VILLAGE_LAYOUT:
            formula = str(self.raw(row, layout["ratio"]) or "")
            match = RATIO.match(formula)
            if not match or int(match.group(1)) != row:
                self.error(
                    row,
                    _("the TRANSFORMASI formula %(formula)r is not =F%(row)s or =F%(row)s/n")
                    % {"formula": formula, "row": row},
                )
                return
            item["score_offset"] = 0
            item["score_divisor"] = _plain_number(Decimal(match.group(2) or "1"))
        else:
            formula = str(self.raw(row, layout["transform"]) or "")
            match = TRANSFORM.match(formula)
            if not match or int(match.group(1)) != row:
                self.error(
                    row,
                    _("the Transformasi formula %(formula)r is not =(F%(row)s-min)/n")
                    % {"formula": formula, "row": row},
                )
                return
            item["score_offset"] = int(match.group(2))
            item["score_divisor"] = _plain_number(Decimal(match.group(3)))
        item["_formula"] = formula

    def read_base(self, row: int, formula: str) -> None:
        by_ref, by_number = BASE_REF.match(formula), BASE_NUMBER.match(formula)
        if by_ref:
            target = self.raw(int(by_ref.group(3)), _column(by_ref.group(2)))
            base = _number(target)
        elif by_number:
            base = _number(by_number.group(2))
        else:
            base = None
        if base is None or base <= 0:
            self.error(
                row,
                _("the BOBOT formula %(formula)r does not divide the weight by a number above 0")
                % {"formula": formula},
            )
            return
        code = self.block["code"]
        if code not in self.bases:
            self.bases[code] = (base, row)
            self.block["weight_base"] = _plain_number(base)
        elif self.bases[code][0] != base:
            self.error(
                row,
                _("the weight is divided by %(base)s, but by %(first)s in row %(first_row)s")
                % {"base": base, "first": self.bases[code][0], "first_row": self.bases[code][1]},
            )

    # --- the pass ------------------------------------------------------------------------

    def read(self) -> None:
        last = self.sheet.max_row or 0
        for row in range(1, last + 1):
            a, b, c = self.raw(row, 1), self.text(row, 2), self.text(row, 3)
            a_text = cell_text(a)
            d, e = self.text(row, 4), self.raw(row, 5)
            block = BLOCK_ROW.match(a_text) if isinstance(a, str) else None
            if block:
                self.start_block(row, block.group(1).upper(), block.group(2).strip())
                continue
            if self.block is None:
                continue  # the title rows above Blok I
            if c.upper() == "INDIKATOR":
                self.start_header(row)
                continue
            if isinstance(a, str) and a_text and not b and not c:
                if ":" in a_text and not self.block["aspects"]:
                    continue  # Blok I: "PROVINSI : (predefined)", filled from the system
                self.start_aspect(row, a_text)
                continue
            number = _whole(a)
            if number is not None and b and not ITEM_LETTER.match(b) and not b.isdigit():
                self.start_indicator(row, str(number), b)
                continue
            if number is not None:
                self.start_indicator(row, str(number), c)
            if c and (b or ENUMERATED.match(c) or number is not None):
                self.start_item(row, b, c)
                continue
            if d or e not in (None, ""):
                if self.item is None:
                    self.error(row, _("an answer (column D/E) without a question above it"))
                    continue
                self.add_option(row)
        if not self.blocks:
            self.errors.append(
                _('The sheet has no row reading "BLOK I. …": it is not the official LKE layout.')
            )

    def place_check_rules(self) -> None:
        """Rules written under another item's row go to that item; a letter's rule (an SK not
        signed as required) gives the answer that shows no valid letter ("tidak bisa
        menunjukkan …"), else the item's lowest score; a rule whose score the item has no
        option for, or on an item that is not a choice, is dropped with a note."""
        for indicator, code, rule in self.pending_rules:
            target = next((i for i in indicator["items"] if i["code"] == code), None)
            if target is None:
                self.notes.append(
                    {"kind": "rule_unplaced", "code": code, "row": rule["source_row"]}
                )
                continue
            target["check_rules"].append(rule)
        for block in self.blocks:
            for aspect in block["aspects"]:
                for indicator in aspect["indicators"]:
                    for item in indicator["items"]:
                        item["check_rules"] = self.checked_rules(item)

    def checked_rules(self, item: dict) -> list[dict]:
        scores = {o["score"] for o in item["options"]}
        kept = []
        for rule in item.get("check_rules", []):
            if rule["score"] is None and scores:
                without = [
                    o["score"] for o in item["options"] if "tidak bisa menunjukkan" in o["label"]
                ]
                rule["score"] = min(without or scores)
            if item["kind"] != ItemKind.CHOICE or rule["score"] not in scores:
                self.notes.append(
                    {"kind": "rule_unplaced", "code": item["code"], "row": rule["source_row"]}
                )
                continue
            kept.append(rule)
        return kept

    def finish(self) -> None:
        """Fills, notes on the formulas, and the declared tie-break."""
        self.place_check_rules()
        for block in self.blocks:
            weights = Decimal(0)
            for aspect in block["aspects"]:
                for indicator in aspect["indicators"]:
                    fills = indicator.pop("_fills") + [
                        f for item in indicator["items"] for f in item.pop("_fills")
                    ]
                    green = [f for f in fills if f in GREEN]
                    indicator["shading"] = green[0] if green else next((f for f in fills if f), "")
                    indicator["always_filled"] = bool(green)
                    for item in indicator["items"]:
                        weights += Decimal(str(item["weight"]))
                        self.note_item(block, item)
                        item.pop("_formula", None)
            base = block["weight_base"]
            scored_office = block["scored"] and block["target"] == Target.OFFICE
            if scored_office and base is not None and weights != Decimal(str(base)):
                self.notes.append(
                    {"kind": "weight_sum", "block": block["code"], "sum": weights, "base": base}
                )
            if block["scored"] and block["target"] == Target.VILLAGE:
                # The declared tie-break (DESIGN.md): the total, then the last aspect (Manajemen
                # Data), then the one before (Kapasitas Statistik), then the name.
                block["tie_break"] = [a["code"] for a in block["aspects"][:0:-1]][:2]
        for note in self.notes:
            for key, value in note.items():
                if isinstance(value, Decimal):
                    note[key] = str(_plain_number(value))

    def note_rule(self, item: dict) -> None:
        """A Rule Validasi (from its column) that lke.rules cannot read on the item's answers."""
        text = item["validation_rule"]
        if not item.pop("_rule_column", False) or not text:
            return
        scores = [o["score"] for o in item["options"]] if item["kind"] == ItemKind.CHOICE else None
        try:
            parse_rule(text, scores)
        except RuleError:
            self.notes.append(
                {
                    "kind": "rule_unread",
                    "code": item["code"],
                    "row": item["_row"],
                    "rule": " / ".join(line.strip() for line in text.splitlines() if line.strip()),
                    "scores": f"{min(scores)}–{max(scores)}" if scores else "—",
                }
            )

    def note_item(self, block: dict, item: dict) -> None:
        self.note_rule(item)
        if item["kind"] != ItemKind.CHOICE:
            return
        scores = [o["score"] for o in item["options"]]
        if block["scored"] and not item["weight"]:
            self.notes.append({"kind": "unweighted", "code": item["code"], "row": item["_row"]})
        divisor = item.get("score_divisor")
        if divisor and scores:
            span = max(scores) - item.get("score_offset", 0)
            if Decimal(str(divisor)) < span:
                self.notes.append(
                    {
                        "kind": "divisor",
                        "code": item["code"],
                        "row": item["_row"],
                        "formula": item.get("_formula", ""),
                        "divisor": str(divisor),
                        "low": min(scores),
                        "high": max(scores),
                        "times": str(_plain_number(Decimal(span) / Decimal(str(divisor)))),
                    }
                )
        named = [c for c in RULE_CODES.findall(item["validation_rule"]) if c]
        if item["rincian"] and named and any(c != item["rincian"] for c in named):
            self.notes.append(
                {
                    "kind": "rule_names_other",
                    "code": item["code"],
                    "row": item["_row"],
                    "named": ", ".join(sorted({c for c in named if c != item["rincian"]})),
                    "rincian": item["rincian"],
                }
            )


def _kinds(text: str) -> set[str]:
    """The evidence kinds a phrase of the workbook names ("notulen dan daftar hadir")."""
    return {kind.value for pattern, kind in KIND_WORDS if pattern.search(text)}


def _column(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def read_official_workbook(upload, *, version: int = 1, name: str | None = None) -> dict:
    """The plain form of the instrument in an official LKE workbook, or InstrumentDataError
    naming each bad row. The file goes through core.xlsx.open_workbook (size, zip, row and
    column ceilings) first; the result still goes through `check_instrument_data`."""
    name = name or Path(getattr(upload, "name", "") or "LKE.xlsx").name
    try:
        with open_workbook(
            upload, max_rows=MAX_ROWS, max_cols=MAX_COLUMNS, read_only=False, data_only=False
        ) as book:
            sheet = book.sheet(0)
            reader = _Reader(sheet, name=name)
            title = cell_text(sheet.cell(row=1, column=1).value)
            reader.read()
            sheet_name = sheet.title
    except ValidationError as error:
        raise InstrumentDataError(error.messages) from None
    year = YEAR.search(title)
    if not year:
        reader.errors.insert(
            0,
            _("row 1: the title %(title)r names no year (e.g. “… DESA CANTIK 2026”)")
            % {"title": title},
        )
    if reader.errors:
        raise InstrumentDataError(reader.errors)
    reader.finish()
    return {
        "year": int(year.group(1)),
        "version": version,
        "title": title[:200],
        "source": f"{name}, “{sheet_name}”",
        "nilai_scale": 4,
        "import_notes": reader.notes,
        "blocks": reader.blocks,
    }


def shipped_workbooks() -> list[Path]:
    from .instrument_data import INSTRUMENT_DIR

    return sorted(INSTRUMENT_DIR.glob("*.xlsx"))


def summary(data: dict) -> dict:
    """What an import creates: per block its aspects, indicators, items and options, and the
    totals (shown on the preview and compared by the tests)."""
    rows = []
    for block in data["blocks"]:
        indicators = [i for a in block["aspects"] for i in a["indicators"]]
        items = [it for i in indicators for it in i["items"]]
        rows.append(
            {
                "block": block,
                "aspects": len(block["aspects"]),
                "indicators": len(indicators),
                "items": len(items),
                "options": sum(len(it.get("options") or []) for it in items),
            }
        )
    totals = {key: sum(r[key] for r in rows) for key in ("aspects", "indicators", "items")}
    totals["options"] = sum(r["options"] for r in rows)
    totals["blocks"] = len(rows)
    return {"blocks": rows, "totals": totals}
