"""The one DOCX writer: an A4 document in the project's style (Arial 10.5 pt, 2.2 cm margins,
"Table Grid" tables with a bold header row, page numbers "n / m" in the footer). Apps build
their document from its few calls and get the bytes from `to_bytes()`; every text passes
through `str`, so lazy translations and numbers print as they should."""

import io
from collections.abc import Iterable, Sequence

from django.utils import formats
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

FONT, FONT_SIZE, MARGIN = "Arial", Pt(10.5), Cm(2.2)
ACCENT = RGBColor(0x0B, 0x4F, 0x8A)  # the PDFs' letterhead and heading colour
HEADING_SIZES = {1: Pt(12), 2: Pt(11), 3: Pt(10.5)}
TEXT_WIDTH, NUMBER_WIDTH = 21 - 2 * 2.2, 1.3  # cm: the A4 line, a "No." column
NUMBER_HEADERS = {"no", "row no", "nomor"}


def _bottom_border(paragraph) -> None:
    """A double rule under `paragraph` (the letterhead's, as on the PDFs)."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "double"), ("sz", "6"), ("space", "4"), ("color", "0B4F8A")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays the document out."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


class DocxWriter:
    """A document being written, top to bottom."""

    def __init__(self) -> None:
        self.document = Document()
        section = self.document.sections[0]
        section.page_height, section.page_width = Cm(29.7), Cm(21)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, MARGIN)
        normal = self.document.styles["Normal"]
        normal.font.name, normal.font.size = FONT, FONT_SIZE
        for level, size in HEADING_SIZES.items():
            style = self.document.styles[f"Heading {level}"]
            style.font.name, style.font.size, style.font.color.rgb = FONT, size, ACCENT
            style.font.bold = True
            fonts = style.element.rPr.rFonts
            for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                fonts.attrib.pop(qn(theme), None)  # the theme's font would win over Arial
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _field(footer, "PAGE")
        footer.add_run(" / ")
        _field(footer, "NUMPAGES")

    def letterhead(self, office, unit) -> None:
        """The letterhead of the office issuing the document (a core.Office) on top of the
        first page: its organisation name in capitals, the unit below, a double rule under
        it."""
        self.paragraph(office.organisation_name.upper(), bold=True, size=13, align="center")
        self.document.paragraphs[-1].runs[0].font.color.rgb = ACCENT
        _bottom_border(self.paragraph(unit, size=9, align="center"))

    def title(self, *lines, subtitle="") -> None:
        """The document's title, centred and bold, with an optional subtitle under it."""
        title = self.paragraph(align="center")
        for index, line in enumerate(lines):
            run = title.add_run(("\n" if index else "") + str(line))
            run.bold, run.font.size = True, Pt(14)
        if subtitle:
            self.paragraph(subtitle, align="center")

    def heading(self, text, *, level: int = 1):
        return self.document.add_heading(str(text), level=level)

    def paragraph(
        self,
        text="",
        *,
        bold: bool = False,
        italic: bool = False,
        size: float | None = None,
        align: str | None = None,
        style: str | None = None,
    ):
        """A paragraph; `align` is "center" or "right"; `style` a Word style such as
        "List Bullet" or "List Number"."""
        paragraph = self.document.add_paragraph(style=style)
        if align:
            paragraph.alignment = {
                "center": WD_ALIGN_PARAGRAPH.CENTER,
                "right": WD_ALIGN_PARAGRAPH.RIGHT,
            }[align]
        if text != "":
            run = paragraph.add_run(str(text))
            run.bold, run.italic = bold, italic
            if size:
                run.font.size = Pt(size)
        return paragraph

    def lines(self, text, *, empty="") -> None:
        """A multi-line text as one paragraph per line (`empty` when there is none)."""
        for line in (str(text) or str(empty)).splitlines():
            self.paragraph(line)

    def bullets(self, texts: Iterable, *, numbered: bool = False) -> None:
        for text in texts:
            self.paragraph(text, style="List Number" if numbered else "List Bullet")

    def to_fill(self, text) -> None:
        """A place the reader must write, marked as [italic in brackets]."""
        self.paragraph(f"[{text}]", italic=True)

    def table(self, header: Sequence, rows: Iterable[Sequence]):
        """A grid table: the header row in bold, then the rows, every cell as text."""
        grid = self.document.add_table(rows=1, cols=len(header))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, header, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(str(text)).bold = True
        for row in rows:
            for cell, text in zip(grid.add_row().cells, row, strict=True):
                cell.text = str(text)
        if len(header) > 1 and str(header[0]).rstrip(".").lower() in NUMBER_HEADERS:
            # a narrow number column, the others share the rest of the line
            grid.autofit = False
            rest = (TEXT_WIDTH - NUMBER_WIDTH) / (len(header) - 1)
            for row in grid.rows:
                for index, cell in enumerate(row.cells):
                    cell.width = Cm(NUMBER_WIDTH if index == 0 else rest)
            for index, column in enumerate(grid.columns):
                column.width = Cm(NUMBER_WIDTH if index == 0 else rest)
        return grid

    def facts(self, pairs: Iterable[tuple], *, label_width: float = 4, value_width: float = 12.5):
        """A borderless two-column table of (label, value)."""
        grid = self.document.add_table(rows=0, cols=2)
        for label, value in pairs:
            cells = grid.add_row().cells
            cells[0].text, cells[1].text = str(label), str(value)
            cells[0].width, cells[1].width = Cm(label_width), Cm(value_width)
        return grid

    def signature_block(self, place, signed_on, signers: Sequence[tuple]) -> None:
        """Place and date on the right, then per signer (title, user) a column with the title,
        space to sign, and the user's display name (bold, underlined) with "NIP ..." below; a
        line to sign on where the signer is not known (None)."""
        self.paragraph()
        self.paragraph(f"{place}, {formats.date_format(signed_on, 'DATE_FORMAT')}", align="right")
        grid = self.document.add_table(rows=3, cols=len(signers))
        for index, (title, user) in enumerate(signers):
            grid.rows[0].cells[index].text = str(title)
            grid.rows[1].cells[index].text = "\n\n\n"
            cell = grid.rows[2].cells[index].paragraphs[0]
            if user is None:
                cell.add_run("_" * 30)
                continue
            name = cell.add_run(user.get_full_name())
            name.bold = name.underline = True
            cell.add_run("\nNIP " + (user.nip or "—"))
        for row in grid.rows:
            for cell in row.cells:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
                # keep the block on one page: each row with the next
                cell.paragraphs[0].paragraph_format.keep_with_next = True

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()
