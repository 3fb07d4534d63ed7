"""Files of the LKE: a worksheet as xlsx for offline filling (and reading it back), and the Hasil
penilaian LKE Provinsi as xlsx and PDF. One function yields the rows (header first); one
renderer per format writes the bytes."""

from collections.abc import Iterable, Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.pdf import render_pdf
from core.xlsx import HEADER_FONT, XlsxWriter, cell_text, open_workbook, solid_fill, write_xlsx

from .models import Answer, Evidence, ItemKind, Level, Worksheet
from .scoring import instrument_tree, tree_items

HEADING_FILL = solid_fill("F2F2F2")
WORKSHEET_COLUMNS = [
    "kode",
    "butir",
    "jenis",
    "jawaban",
    "catatan",
    "alasan",
    "jawaban_mandiri",
    "bukti",
    "versi",
]
INFO_SHEET, ANSWER_SHEET = "Info", "LKE"
ANSWER_WIDTHS = (10, 70, 9, 45, 30, 30, 40, 40)
MAX_SHEET_ROWS, MAX_SHEET_COLUMNS = 3000, 20  # an import's ceiling, checked before parsing
RESULTS_TEMPLATE = "lke/results_pdf.html"


# --- a worksheet for offline filling ----------------------------------------------------------


def worksheet_answer_rows(worksheet: Worksheet, level: str) -> Iterator[list]:
    """Header, then one row per item: code, text, kind, the answer at `level` (option label or
    text), note, reason, the self-assessed answer (for the verifier), evidence hint, and the
    answer's version (to refuse an import over someone else's later save)."""
    yield WORKSHEET_COLUMNS
    tree = instrument_tree(worksheet.assessment.instrument, worksheet.target)
    answers = {
        (a.item_id, a.level): a
        for a in Answer.objects.filter(worksheet=worksheet).select_related("option")
    }
    for item in tree_items(tree):
        if item.kind == ItemKind.HEADING:
            yield [item.code, item.text, item.kind, None, None, None, None, None, None]
            continue
        own = answers.get((item.pk, level))
        other = answers.get((item.pk, Level.SELF)) if level == Level.PROVINCIAL else None
        yield [
            item.code,
            item.text,
            item.kind,
            (own.option.label if own.option_id else own.text) if own else None,
            own.note if own else None,
            own.reason if own else None,
            (f"{other.option.score}: {other.option.label}" if other.option_id else other.text)
            if other
            else None,
            item.evidence_hint or None,
            own.version if own else 0,
        ]


def worksheet_info_rows(worksheet: Worksheet, level: str) -> list[list]:
    """The Info sheet: which worksheet and level the file belongs to (checked on import)."""
    return [
        ["lembar", worksheet.pk],
        ["tingkat", level],
        ["nama", worksheet.subject_name],
        ["tahun", worksheet.assessment.program_year.year],
        ["instrumen", str(worksheet.assessment.instrument)],
    ]


def worksheet_xlsx(worksheet: Worksheet, level: str) -> bytes:
    """The worksheet for offline filling: each choice item's answer cell is a dropdown of its
    options (listed on a hidden sheet), the version column is hidden."""
    tree = instrument_tree(worksheet.assessment.instrument, worksheet.target)
    options = {
        item.code: [o.label for o in item.options.all()]
        for item in tree_items(tree)
        if item.kind == ItemKind.CHOICE
    }
    writer = XlsxWriter()
    rows = list(worksheet_answer_rows(worksheet, level))
    sheet = writer.add_sheet(
        ANSWER_SHEET, rows, widths=dict(enumerate(ANSWER_WIDTHS, start=1)), wrap=True
    )
    for number, row in enumerate(rows[1:], start=2):
        code, kind = row[0], row[2]
        if kind == ItemKind.HEADING:
            for cell in sheet[number]:
                cell.fill, cell.font = HEADING_FILL, HEADER_FONT
        if code in options:
            writer.add_choices(
                sheet,
                f"D{number}",
                options[code],
                error=_("Choose one of the options of this item."),
            )
    sheet.column_dimensions["I"].hidden = True
    writer.add_sheet(INFO_SHEET, worksheet_info_rows(worksheet, level), header=False)
    return writer.to_bytes()


# --- the national web form's layout --------------------------------------------------------------

NATIONAL_FORM_WIDTHS = (16, 30, 9, 9, 60, 10, 40, 40)


def national_form_rows(worksheets: Iterable[Worksheet], level: str) -> Iterator[list]:
    """Header, then per worksheet (a village or a kab/kota office) one row per item the
    national web form asks, by its rincian code: the value to type into the form (the option's
    score for a choice, the text for a free-text item), the answer's wording and the evidence
    links. Headings are left out; an item the form does not ask has no rincian code. A fixed
    number of queries whatever the number of worksheets (five more per instrument and
    target)."""
    yield [
        _("Region code"),
        _("Village / office"),
        _("Rincian"),
        pgettext("lke", "Item"),
        _("Question"),
        _("Form value"),
        _("Answer"),
        _("Evidence links"),
    ]
    worksheets = list(worksheets)
    trees: dict[tuple[int, str], list] = {}
    answers = {
        (a.worksheet_id, a.item_id): a
        for a in Answer.objects.filter(worksheet__in=worksheets, level=level).select_related(
            "option"
        )
    }
    links: dict[tuple[int, int], list[str]] = {}
    for worksheet_id, item_id, url in (
        Evidence.objects.filter(worksheet__in=worksheets, kind="link")
        .order_by("added_at", "id")
        .values_list("worksheet_id", "item_id", "url")
    ):
        links.setdefault((worksheet_id, item_id), []).append(url)
    for worksheet in worksheets:
        key = (worksheet.assessment.instrument_id, worksheet.target)
        if key not in trees:
            trees[key] = instrument_tree(worksheet.assessment.instrument, worksheet.target)
        tree = trees[key]
        subject = worksheet.village.village if worksheet.village_id else worksheet.office.region
        for item in tree_items(tree):
            if item.kind == ItemKind.HEADING:
                continue
            answer = answers.get((worksheet.pk, item.pk))
            if answer is None:
                value = label = None
            elif answer.option_id:
                value, label = answer.option.score, answer.option.label
            else:
                value, label = answer.text or None, None
            yield [
                subject.code if subject else "",
                worksheet.subject_name,
                item.rincian,
                item.code,
                item.text,
                value,
                label,
                "\n".join(links.get((worksheet.pk, item.pk), [])) or None,
            ]


def national_form_xlsx(worksheets: Iterable[Worksheet], level: str) -> bytes:
    """The answers in the national web form's layout, for a pembina to transfer them."""
    return write_xlsx(
        [(_("National form"), national_form_rows(worksheets, level))],
        widths=dict(enumerate(NATIONAL_FORM_WIDTHS, start=1)),
        wrap=True,
    )


# --- the nominees of the signed provinces ---------------------------------------------------------


def nominee_rows(nominees) -> Iterator[list]:
    """Header, then one row per nominee (queries.NationalNominees), province by province and
    kab/kota by kab/kota in the 2b order: the village's region code and name, its 2b rank, its
    verified total and rank in the province, and the province's berita acara."""
    yield [
        _("Province"),
        _("BPS regency/city"),
        _("Region code"),
        _("Village"),
        _("District"),
        _("Nominee rank (2b)"),
        _("Verified total"),
        _("Rank in the province"),
        _("Berita acara"),
        _("Signed on"),
    ]
    for line in nominees.provinces:
        assessment = line.assessment
        for row in line.nominees:
            worksheet = row["worksheet"]
            yield [
                line.province.name,
                row["office"],
                worksheet.village.village.code,
                row["name"],
                row["district"],
                row["nominee_rank"] if row["nominee_rank"] is not None else row["rank_text"],
                row[Level.PROVINCIAL].get("total"),
                row["rank"],
                assessment.record_number,
                assessment.record_date,
            ]


def nominees_xlsx(nominees) -> bytes:
    """The input of the national desk evaluation: the list of nominees, then their verified
    answers in the national web form's layout (national_form_rows)."""
    writer = XlsxWriter()
    writer.add_sheet(_("Nominees"), nominee_rows(nominees), autofilter=True)
    writer.add_sheet(
        _("National form"),
        national_form_rows(nominees.worksheets, Level.PROVINCIAL),
        widths=dict(enumerate(NATIONAL_FORM_WIDTHS, start=1)),
        wrap=True,
    )
    return writer.to_bytes()


def _cell(value) -> str:
    return " ".join(cell_text(value).split())


def parse_worksheet_xlsx(worksheet: Worksheet, upload, level: str) -> list[dict]:
    """Read a filled worksheet file into rows for services.import_answers. Unknown codes, options
    that are not the item's, a changed version column, a file of another worksheet or level and
    malformed rows are all reported with their row number (ValidationError); nothing is read
    into the database here. The file is opened by core.xlsx.open_workbook: too large, not an
    xlsx, or a sheet beyond MAX_SHEET_ROWS × MAX_SHEET_COLUMNS is refused before parsing."""
    with open_workbook(upload, max_rows=MAX_SHEET_ROWS, max_cols=MAX_SHEET_COLUMNS) as book:
        if ANSWER_SHEET not in book or INFO_SHEET not in book:
            raise ValidationError(
                _(
                    "This is not a worksheet file downloaded from this system (sheets %(a)s "
                    "and %(b)s are missing)."
                )
                % {"a": ANSWER_SHEET, "b": INFO_SHEET}
            )
        info = {str(r[0]): r[1] for r in book.rows(INFO_SHEET) if r and r[0]}
        if str(info.get("lembar")) != str(worksheet.pk) or info.get("tingkat") != level:
            raise ValidationError(
                _(
                    "This file belongs to another worksheet or level. Download the file of this "
                    "worksheet again."
                )
            )
        return _answer_rows(worksheet, book.rows(ANSWER_SHEET))


def _answer_rows(worksheet: Worksheet, rows_in) -> list[dict]:
    tree = instrument_tree(worksheet.assessment.instrument, worksheet.target)
    items = {item.code: item for item in tree_items(tree)}
    header = [_cell(c) for c in next(rows_in, ())]
    if header[: len(WORKSHEET_COLUMNS)] != WORKSHEET_COLUMNS:
        raise ValidationError(
            _("row 1: the columns must be %(columns)s") % {"columns": ", ".join(WORKSHEET_COLUMNS)}
        )
    errors, rows, seen = [], [], {}
    for number, raw in enumerate(rows_in, start=2):
        values = dict(zip(WORKSHEET_COLUMNS, (_cell(v) for v in raw), strict=False))
        if not any(values.values()):
            continue
        where = _("row %(row)s") % {"row": number}
        code = values.get("kode", "")
        item = items.get(code)
        if not code:
            errors.append(_("%(where)s: the item code is empty") % {"where": where})
            continue
        if item is None:
            errors.append(
                _("%(where)s: %(code)s is not an item of this worksheet")
                % {"where": where, "code": code}
            )
            continue
        if code in seen:
            errors.append(
                _("%(where)s: item %(code)s is already on row %(first)s")
                % {"where": where, "code": code, "first": seen[code]}
            )
            continue
        seen[code] = number
        answer = values.get("jawaban", "")
        if item.kind == ItemKind.HEADING:
            if answer:
                errors.append(
                    _("%(where)s: %(code)s is a heading and takes no answer")
                    % {"where": where, "code": code}
                )
            continue
        version = values.get("versi", "")
        if not version.isdigit():
            errors.append(
                _("%(where)s: the hidden version column was changed; download the file again")
                % {"where": where}
            )
            continue
        option = None
        if item.kind == ItemKind.CHOICE and answer:
            option = _match_option(item, answer)
            if option is None:
                errors.append(
                    _("%(where)s: %(value)r is not an option of item %(code)s")
                    % {"where": where, "value": answer[:80], "code": code}
                )
                continue
        rows.append(
            {
                "row": number,
                "code": code,
                "option": option,
                "text": answer if item.kind == ItemKind.TEXT else "",
                "note": values.get("catatan", ""),
                "reason": values.get("alasan", ""),
                "version": int(version),
            }
        )
    if errors:
        raise ValidationError(errors)
    return rows


def _match_option(item, value: str):
    options = list(item.options.all())
    for option in options:
        if " ".join(option.label.split()) == value:
            return option
    if value.isdigit():
        matches = [o for o in options if o.score == int(value)]
        if len(matches) == 1:
            return matches[0]
    return None


# --- Hasil penilaian LKE Provinsi ----------------------------------------------------------------


def results_rows(results: dict, *, with_province: bool = False) -> Iterator[list]:
    """Header, then one row per village in ranking order."""
    yield [
        *([_("Province")] if with_province else []),
        _("Rank"),
        _("Village"),
        _("District"),
        _("BPS regency/city"),
        _("Kind"),
        *[a["title"] for a in results["aspects"]],
        _("Self-assessed total"),
        _("Verified total"),
        _("Difference"),
        _("Status"),
        _("Frozen"),
    ]
    for row in results["villages"]:
        yield [
            *([row["province"]] if with_province else []),
            row["rank"],
            row["name"],
            row["district"],
            row["office"],
            row["kind"],
            *row["aspect_values"],
            (row[Level.SELF].get("total")),
            (row[Level.PROVINCIAL].get("total")),
            row["delta"],
            row["status"],
            _("yes") if row["frozen"] else _("no"),
        ]


def office_rows(results: dict) -> Iterator[list]:
    yield [
        _("Rank"),
        _("BPS regency/city"),
        *[a["title"] for a in results["office_aspects"]],
        _("Self-assessed total"),
        _("Verified total"),
        _("Difference"),
        _("Status"),
    ]
    for row in results["offices"]:
        yield [
            row["rank"],
            row["name"],
            *row["aspect_values"],
            (row[Level.SELF].get("total")),
            (row[Level.PROVINCIAL].get("total")),
            row["delta"],
            row["status"],
        ]


def xlsx_of(sheets: Iterable[tuple[str, Iterable[list]]]) -> bytes:
    return write_xlsx(sheets)


def results_pdf(context: dict) -> bytes:
    """The berita acara: the ranking, the Blok IV table, the formula and signature lines."""
    return render_pdf(RESULTS_TEMPLATE, context)
