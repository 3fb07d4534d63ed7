"""The one xlsx writer and the one bounded xlsx reader of the system.

Writing: every app hands rows (header first) to `XlsxWriter.add_sheet` (or `write_xlsx` for
plain sheets); the writer decides how a value becomes a cell, so every export gets the same
header style, column widths, frozen header, sheet-name rules, dates, Jakarta times and, above
all, safe text: a text beginning with a character a spreadsheet reads as a formula (=, +, -,
@, tab, CR) is written as a text cell with a leading apostrophe (OWASP "CSV injection"), so a
work-plan activity typed as `=HYPERLINK(...)` can never become a live formula.

Reading: `open_workbook` refuses a file that is too large, not an xlsx, or packs too much,
and every sheet's rows come through `BoundedWorkbook.rows`, which checks the sheet's declared
dimension before a row is parsed and stops at the row ceiling even if the dimension lies. All
refusals are `ValidationError`s with a message for the uploader; nothing is read further.
openpyxl parses the XML with defusedxml (requirements.txt), so entity tricks are refused too.
"""

import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .deadlines import JAKARTA

# --- writing ---------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"
DATE_FORMAT = "DD-MM-YYYY"
DATETIME_FORMAT = "DD-MM-YYYY HH:MM"
PERCENT_FORMAT = "0.0%"
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
HEADER_FONT = Font(bold=True)


class Percent(float):
    """A percentage, given in percent (66.7 for 66.7 %): the writer stores the fraction (0.667)
    with a percent number format, so a spreadsheet shows 66.7% and computes with the number."""


def solid_fill(colour: str) -> PatternFill:
    """A cell background of `colour` (hex RGB), so apps colour cells without openpyxl."""
    return PatternFill("solid", fgColor=colour)


def column_range(column: int, first_row: int, last_row: int) -> str:
    """The A1-style range of one column, e.g. column_range(3, 2, 100) == "C2:C100"."""
    letter = get_column_letter(column)
    return f"{letter}{first_row}:{letter}{last_row}"


CHOICE_SHEET = "Pilihan"  # the hidden sheet that holds the options of dropdowns
MIN_WIDTH, MAX_WIDTH = 8, 60
_FORBIDDEN_IN_TITLE = re.compile(r"[\\/*?:\[\]]")


def neutralise(text: str) -> str:
    """`text` as it may stand in a cell: a leading apostrophe where a spreadsheet would read it
    as a formula or a DDE command (OWASP); illegal XML characters removed."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return NEUTRALISER + text if text.startswith(FORMULA_STARTS) else text


def cell_value(value):
    """What the writer puts into a cell for a Python value: numbers stay numbers (bool, int,
    float, Decimal; a `Percent` becomes its fraction), dates stay dates, an aware datetime
    becomes Jakarta wall time (a sheet holds no time zone), None stays empty, anything else
    becomes neutralised text."""
    if isinstance(value, Percent):
        return float(value) / 100
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, JAKARTA).replace(tzinfo=None)
        return value
    if isinstance(value, date | time):
        return value
    return neutralise(str(value))


def sheet_title(text: str, taken: Iterable[str] = ()) -> str:
    """A sheet name Excel accepts: forbidden characters become "-", no apostrophe at either end,
    at most 31 characters, unique (case-insensitively) among `taken`."""
    base = _FORBIDDEN_IN_TITLE.sub("-", str(text)).strip().strip("'")[:31] or "Sheet"
    used = {name.casefold() for name in taken}
    title, number = base, 2
    while title.casefold() in used:
        suffix = f" ({number})"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    return title


def _shown_length(value) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if value is None:
        return 0
    return max((len(line) for line in str(value).splitlines()), default=0)


class XlsxWriter:
    """A workbook built sheet by sheet; `to_bytes()` gives the file.

    `add_sheet` returns the openpyxl sheet so an export may colour a row or hide a column
    afterwards; cell values are only ever written here."""

    def __init__(self) -> None:
        self.book = Workbook()
        self.book.remove(self.book.active)
        self._choice_columns = 0

    def add_sheet(
        self,
        title: str,
        rows: Iterable[Sequence],
        *,
        header: bool = True,
        widths: Mapping[int, float] | None = None,
        freeze: str | None = "A2",
        autofilter: bool = False,
        wrap: bool = False,
    ) -> Worksheet:
        """One sheet of `rows`. With `header`, the first row is bold on a pale fill, frozen
        (`freeze` is the first cell that scrolls) and optionally filtered. Column widths follow
        the content (between 8 and 60 characters) unless `widths` ({1-based column: width})
        sets them. `wrap` wraps text and aligns every data cell to the top."""
        sheet = self.book.create_sheet(sheet_title(title, self.book.sheetnames))
        lengths: dict[int, int] = {}
        for number, row in enumerate(rows, start=1):
            for column, raw in enumerate(row, start=1):
                value = cell_value(raw)
                if value is None:
                    continue
                cell = sheet.cell(row=number, column=column, value=value)
                if isinstance(raw, Percent):
                    cell.number_format = PERCENT_FORMAT
                elif isinstance(value, datetime):
                    cell.number_format = DATETIME_FORMAT
                elif isinstance(value, date):
                    cell.number_format = DATE_FORMAT
                if header and number == 1:
                    cell.font, cell.fill = HEADER_FONT, HEADER_FILL
                    cell.alignment = Alignment(vertical="center", wrap_text=True)
                elif wrap:
                    cell.alignment = Alignment(vertical="top", wrap_text=True)
                lengths[column] = max(lengths.get(column, 0), _shown_length(value))
        for column, length in lengths.items():
            width = (widths or {}).get(column, min(max(length + 2, MIN_WIDTH), MAX_WIDTH))
            sheet.column_dimensions[get_column_letter(column)].width = width
        for column, width in (widths or {}).items():
            sheet.column_dimensions[get_column_letter(column)].width = width
        if header:
            if freeze:
                sheet.freeze_panes = freeze
            if autofilter and sheet.max_row > 1:
                sheet.auto_filter.ref = sheet.dimensions
        return sheet

    def add_choices(
        self, sheet: Worksheet, cells: str, options: Sequence[str], *, error: str | None = None
    ) -> None:
        """A dropdown of `options` on the range `cells` (e.g. "B2:B1000") of `sheet`. The options
        stand on the hidden sheet "Pilihan" (no 255-character limit, and they are text cells
        like any other)."""
        if not options:
            return
        if CHOICE_SHEET in self.book.sheetnames:
            store = self.book[CHOICE_SHEET]
        else:
            store = self.book.create_sheet(CHOICE_SHEET)
            store.sheet_state = "hidden"
        self._choice_columns += 1
        letter = get_column_letter(self._choice_columns)
        for row, option in enumerate(options, start=1):
            store.cell(row=row, column=self._choice_columns, value=cell_value(option))
        rule = DataValidation(
            type="list",
            formula1=f"={CHOICE_SHEET}!${letter}$1:${letter}${len(options)}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=_("Unknown value"),
            error=error or _("Choose one of the values in the list."),
        )
        sheet.add_data_validation(rule)
        rule.add(cells)

    def to_bytes(self) -> bytes:
        if not self.book.sheetnames:
            self.book.create_sheet("Sheet")
        buffer = BytesIO()
        self.book.save(buffer)
        return buffer.getvalue()


def write_xlsx(sheets: Iterable[tuple[str, Iterable[Sequence]]], **options) -> bytes:
    """A workbook of plain sheets, one per (title, rows), each with the `add_sheet` options."""
    writer = XlsxWriter()
    for title, rows in sheets:
        writer.add_sheet(title, rows, **options)
    return writer.to_bytes()


# --- reading ---------------------------------------------------------------------------------

DEFAULT_MAX_ROWS = 2000
DEFAULT_MAX_COLS = 50
UNPACKED_FACTOR = 10  # a zip member may unpack to at most this many times max_bytes in total


def cell_text(value) -> str:
    """A cell's value as text the way the imports compare it: empty for None, 12 for 12.0,
    whitespace trimmed, and the apostrophe the writer put before a formula-like text removed
    (so an exported file imports back unchanged)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith(NEUTRALISER) and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def header_columns(header: Sequence, columns: Sequence[tuple[str, object]]) -> dict[str, int]:
    """{column name: 0-based index} of the header row of an import: a cell matches a column
    when it reads as the column's label in Indonesian or English (case and spaces ignored),
    so a template downloaded in either language imports back."""
    wanted = {}
    for name, label in columns:
        for language in ("id", "en"):
            with translation.override(language):
                wanted[" ".join(str(label).split()).casefold()] = name
    found: dict[str, int] = {}
    for index, cell in enumerate(header or ()):
        name = wanted.get(" ".join(cell_text(cell).split()).casefold())
        if name and name not in found:
            found[name] = index
    return found


def _too_large(upload, limit: int) -> ValidationError:
    return ValidationError(
        _("The file %(name)s is %(size)s; the limit for an Excel import is %(limit)s.")
        % {
            "name": getattr(upload, "name", "") or _("(unnamed)"),
            "size": filesizeformat(upload.size),
            "limit": filesizeformat(limit),
        },
        code="too_large",
    )


def _not_xlsx(upload) -> ValidationError:
    return ValidationError(
        _("%(name)s is not an Excel workbook (.xlsx).")
        % {"name": getattr(upload, "name", "") or _("The file")},
        code="not_xlsx",
    )


_ROOT_TAG = re.compile(rb"<(\w+:)?worksheet[\s>]")


def _rows_in(part) -> int:
    """The row elements of one worksheet part, counted on the stream (bytes.count is fast
    enough for a million rows; a regex is not)."""
    head = part.read(1 << 16)
    root = _ROOT_TAG.search(head)
    tag = b"<" + ((root.group(1) or b"") if root else b"") + b"row"
    tokens = [tag + end for end in (b" ", b">", b"/")]
    count, tail, chunk = 0, b"", head
    while chunk:
        data = tail + chunk
        count += sum(data.count(token) for token in tokens)
        tail = data[-8:]
        count -= sum(tail.count(token) for token in tokens)  # counted again with the next
        chunk = part.read(1 << 20)
    return count + sum(tail.count(token) for token in tokens)


def _most_rows_in_a_sheet(upload) -> int:
    """The largest number of row elements in any worksheet part."""
    most = 0
    with zipfile.ZipFile(upload) as archive:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/") and member.endswith(".xml"):
                with archive.open(member) as part:
                    most = max(most, _rows_in(part))
    return most


def _too_big(name: str, rows: int, cols: int) -> ValidationError:
    return ValidationError(
        _(
            "A sheet of %(name)s is larger than an import allows (at most %(rows)s rows and "
            "%(cols)s columns). Delete the empty rows and columns below and beside the table, "
            "or split the file."
        )
        % {"name": name, "rows": rows, "cols": cols},
        code="too_many_rows",
    )


def _filled(cell) -> bool:
    return getattr(cell, "value", cell) is not None


class BoundedWorkbook:
    """A workbook opened by `open_workbook`; read its sheets only through `rows`."""

    def __init__(self, book, *, name: str, max_rows: int, max_cols: int) -> None:
        self.book = book
        self.name = name
        self.max_rows = max_rows
        self.max_cols = max_cols

    @property
    def sheetnames(self) -> list[str]:
        return self.book.sheetnames

    def __contains__(self, title: str) -> bool:
        return title in self.book.sheetnames

    def __enter__(self) -> "BoundedWorkbook":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.book.close()

    def sheet(self, title: str | int = 0, *, max_rows: int | None = None, max_cols=None):
        """The openpyxl sheet (by title or 0-based position) after its declared size was
        checked against the ceilings. Refuses with ValidationError."""
        if isinstance(title, int):
            if title >= len(self.book.worksheets):
                raise ValidationError(_("The workbook has no sheets."), code="no_sheet")
            sheet = self.book.worksheets[title]
        elif title in self.book.sheetnames:
            sheet = self.book[title]
        else:
            raise ValidationError(
                _("The workbook has no sheet named %(name)s.") % {"name": title}, code="no_sheet"
            )
        rows, cols = max_rows or self.max_rows, max_cols or self.max_cols
        declared_rows, declared_cols = sheet.max_row or 0, sheet.max_column or 0
        if declared_rows > rows or declared_cols > cols:
            raise _too_big(self.name, rows, cols)
        return sheet

    def rows(
        self,
        title: str | int = 0,
        *,
        values_only: bool = True,
        max_rows: int | None = None,
        max_cols: int | None = None,
    ) -> Iterator[tuple]:
        """The rows of one sheet from row 1 (at most `max_cols` cells each). The sheet's
        declared dimension is checked first; while reading, a row beyond the row ceiling or a
        filled cell beyond the column ceiling refuses the file, however the sheet declares its
        size. Cells (values_only=False) carry fills and, with data_only=False, formulas."""
        sheet = self.sheet(title, max_rows=max_rows, max_cols=max_cols)
        rows, cols = max_rows or self.max_rows, max_cols or self.max_cols
        if self.book.read_only:
            sheet.reset_dimensions()  # never trust the declared size to bound the parse
            bounds = {"max_row": rows + 1}  # rows as wide as their last cell, checked below
        else:  # a loaded sheet knows its real size, checked above
            bounds = {"max_row": sheet.max_row, "max_col": sheet.max_column}
        try:
            for number, row in enumerate(
                sheet.iter_rows(min_row=1, values_only=values_only, **bounds), start=1
            ):
                if number > rows or any(_filled(cell) for cell in row[cols:]):
                    raise _too_big(self.name, rows, cols)
                yield row
        except ValidationError:
            raise
        except Exception:  # a damaged sheet raises many kinds deep inside the parser
            raise ValidationError(
                _("%(name)s could not be read as an Excel workbook.") % {"name": self.name},
                code="unreadable",
            ) from None


def open_workbook(
    upload,
    *,
    max_bytes: int | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_cols: int = DEFAULT_MAX_COLS,
    read_only: bool = True,
    data_only: bool = True,
) -> BoundedWorkbook:
    """Open an uploaded xlsx for reading, refusing (ValidationError, nothing read further):
    a file over `max_bytes` (default settings.XLSX_IMPORT_MAX_BYTES); a file that is not an
    xlsx by content; a zip whose parts unpack to more than ten times `max_bytes` (a zip bomb);
    a file openpyxl cannot parse (defusedxml refuses entity expansion). The row and column
    ceilings apply to every sheet read through `rows`/`sheet`, before any row is parsed.

    `read_only=True` streams rows (no merged cells); `read_only=False` loads the whole
    workbook (still only after the size checks), for an importer that needs merged cells.
    `data_only=False` gives formulas as text instead of their cached values."""
    from .services import XLSX, sniff_content_type

    limit = max_bytes or settings.XLSX_IMPORT_MAX_BYTES
    name = getattr(upload, "name", "") or _("The file")
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
        upload.size = size
    if size > limit:
        raise _too_large(upload, limit)
    upload.seek(0)
    if sniff_content_type(upload.read(16), upload) != XLSX:
        upload.seek(0)
        raise _not_xlsx(upload)
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise _not_xlsx(upload) from None
    if unpacked > limit * UNPACKED_FACTOR:
        raise ValidationError(
            _("%(name)s unpacks to %(size)s, more than an Excel import may hold.")
            % {"name": name, "size": filesizeformat(unpacked)},
            code="too_large",
        )
    upload.seek(0)
    if _most_rows_in_a_sheet(upload) > max_rows:
        # openpyxl itself parses a sheet that declares no size to the end while opening it,
        # so the rows are counted on the raw XML first.
        raise _too_big(name, max_rows, max_cols)
    upload.seek(0)
    try:
        book = load_workbook(upload, read_only=read_only, data_only=data_only)
    except Exception:  # openpyxl raises many kinds for a damaged or hostile file
        raise ValidationError(
            _("%(name)s could not be read as an Excel workbook.") % {"name": name},
            code="unreadable",
        ) from None
    return BoundedWorkbook(book, name=name, max_rows=max_rows, max_cols=max_cols)


# --- the imports' shared reading loop ----------------------------------------------------------


@dataclass(frozen=True)
class ImportSheet:
    """The data rows of an import's first sheet: (row number as Excel shows it, {column name:
    raw cell value, None where the column or cell is absent}), empty rows skipped, at most the
    import's row limit; `overflow` when the sheet has more non-empty rows than that."""

    rows: list[tuple[int, dict]]
    overflow: bool


def read_import_sheet(
    upload,
    *,
    columns: Sequence[tuple[str, object]],
    required: Sequence[str],
    missing: str,
    max_rows: int,
    max_sheet_rows: int,
    max_cols: int,
) -> ImportSheet:
    """The first sheet of an uploaded import workbook, opened by `open_workbook` with the sheet
    ceilings `max_sheet_rows` × `max_cols` (refused before any row is parsed), its header in
    row 1 matched by `header_columns` (columns in any order, either language). A required
    column absent from the header raises ValidationError(`missing` % {"columns": labels}).
    Reading stops after `max_rows` non-empty rows (`overflow` tells whether more follow)."""
    labels = dict(columns)
    with open_workbook(upload, max_rows=max_sheet_rows, max_cols=max_cols) as workbook:
        lines = workbook.rows(0)
        found = header_columns(next(lines, ()), columns)
        absent = [str(labels[name]) for name in required if name not in found]
        if absent:
            raise ValidationError(missing % {"columns": ", ".join(absent)})
        rows, overflow = [], False
        for number, cells in enumerate(lines, start=2):
            if all(cell_text(c) == "" for c in cells):
                continue
            if len(rows) >= max_rows:
                overflow = True
                break
            rows.append(
                (
                    number,
                    {
                        name: cells[index] if index < len(cells) else None
                        for name, index in found.items()
                    }
                    | {name: None for name in labels if name not in found},
                )
            )
    return ImportSheet(rows, overflow)


def import_texts(values: dict) -> dict[str, str]:
    """The raw cells of one import row as `cell_text`s."""
    return {name: cell_text(value) for name, value in values.items()}


def checked_rows(
    rows: Iterable[tuple[int, dict]],
    check: Callable[[int, dict], tuple[object, list[str]]],
    *,
    empty: str,
    too_many: str | None = None,
) -> list[tuple[int, object]]:
    """Every row through `check(number, values) -> (clean, problems)`, in order: the
    (number, clean) of the rows without problems. If any row has problems, one ValidationError
    lists each such row as "Row N: problem; problem." (then `too_many`, when given: the sheet
    had more rows than the import reads); with no problems and no rows, ValidationError(empty).
    Nothing is saved here: each import's `check` says what a row must be."""
    clean_rows, errors = [], []
    for number, values in rows:
        clean, problems = check(number, values)
        if problems:
            errors.append(
                _("Row %(row)s: %(problems)s.") % {"row": number, "problems": "; ".join(problems)}
            )
        else:
            clean_rows.append((number, clean))
    if too_many:
        errors.append(too_many)
    if errors:
        raise ValidationError(errors)
    if not clean_rows:
        raise ValidationError(empty)
    return clean_rows
