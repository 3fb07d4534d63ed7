"""Hostile xlsx files for the import tests, written as raw sheet XML so that a file with a
million rows is built in well under a second (openpyxl would take half a minute)."""

import io
import zipfile
from functools import lru_cache
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>{sheets}</Types>'
)
SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<sheets>{sheets}</sheets></workbook>"
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{rels}</Relationships>"
)
SHEET_REL = (
    '<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet{n}.xml"/>'
)


def _cell(ref: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def _sheet_xml(rows: list[list], blank_rows: int, declare: bool) -> bytes:
    width = max((len(row) for row in rows), default=1)
    last = len(rows) + blank_rows
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    if declare:
        head += f'<dimension ref="A1:{get_column_letter(width)}{last}"/>'
    head += "<sheetData>"
    body = "".join(
        f'<row r="{number}">'
        + "".join(_cell(f"{get_column_letter(i)}{number}", v) for i, v in enumerate(row, 1))
        + "</row>"
        for number, row in enumerate(rows, start=1)
    )
    blanks = b"<row/>" * blank_rows  # a row without a number is the one after the last
    return (head + body).encode() + blanks + b"</sheetData></worksheet>"


def xlsx_bytes(
    sheets: dict[str, list[list]],
    *,
    blank_rows_on: str | None = None,
    blank_rows: int = 0,
    declare_dimension: bool = True,
) -> bytes:
    """A workbook of `sheets` ({title: rows}); `blank_rows` empty rows follow the rows of the
    sheet `blank_rows_on`. Without `declare_dimension` the sheets say nothing of their size,
    so only counting rows can stop a reader."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        titles = list(sheets)
        archive.writestr(
            "[Content_Types].xml",
            CONTENT_TYPES.format(
                sheets="".join(SHEET_TYPE.format(n=n) for n in range(1, len(titles) + 1))
            ),
        )
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr(
            "xl/workbook.xml",
            WORKBOOK.format(
                sheets="".join(
                    f'<sheet name="{escape(t)}" sheetId="{n}" r:id="rId{n}"/>'
                    for n, t in enumerate(titles, 1)
                )
            ),
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            WORKBOOK_RELS.format(
                rels="".join(SHEET_REL.format(n=n) for n in range(1, len(titles) + 1))
            ),
        )
        for number, (title, rows) in enumerate(sheets.items(), start=1):
            extra = blank_rows if title == blank_rows_on else 0
            archive.writestr(
                f"xl/worksheets/sheet{number}.xml", _sheet_xml(rows, extra, declare_dimension)
            )
    return buffer.getvalue()


@lru_cache(maxsize=8)
def _cached(key) -> bytes:
    sheets, blank_rows_on, declare = key
    return xlsx_bytes(
        {title: [list(row) for row in rows] for title, rows in sheets},
        blank_rows_on=blank_rows_on,
        blank_rows=1_000_000,
        declare_dimension=declare,
    )


def million_blank_rows(
    sheets: dict[str, list[list]], *, on: str, declare_dimension: bool = True
) -> bytes:
    """`sheets` with a million empty rows after the rows of sheet `on` (built once per run)."""
    key = (
        tuple((t, tuple(tuple(r) for r in rows)) for t, rows in sheets.items()),
        on,
        declare_dimension,
    )
    return _cached(key)


BILLION_LAUGHS_SHEET = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    b'<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
    b'<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">'
    b'<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">]>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol6;</t></is></c></row>'
    b"</sheetData></worksheet>"
)


def billion_laughs() -> bytes:
    """A workbook whose sheet XML expands entities (refused by defusedxml)."""
    buffer = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes({"Sheet": [["x"]]})))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = BILLION_LAUGHS_SHEET
            archive.writestr(name, data)
    return buffer.getvalue()
