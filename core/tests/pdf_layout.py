"""Where the text of a generated PDF stands, read back from the file with pypdf: one `Run` per
text-showing block (a line of one box, as WeasyPrint writes it), with its page, its text and
the box its glyphs cover in PDF points. Tests of documents use it to prove that nothing is
printed over anything else and nothing falls off the page.

The box is computed from the content stream: the graphics state (q/Q/cm), the text matrix
(Tm/Td), the font and its size (Tf) and the glyph widths of the embedded font (its /W array,
through pypdf's Font) plus the TJ adjustments. Vertically a run covers the font size from a
little below the baseline (descenders) to the cap height, so lines set at a normal line
height do not touch while text drawn over text does."""

from dataclasses import dataclass
from io import BytesIO

from pypdf import PdfReader
from pypdf._font import Font
from pypdf.generic import ContentStream

DESCENT, CAP_HEIGHT = 0.2, 0.75  # of the font size, below and above the baseline


@dataclass(frozen=True)
class Run:
    page: int  # 1-based
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: "Run", tolerance: float = 0.3) -> bool:
        return (
            self.page == other.page
            and self.x0 < other.x1 - tolerance
            and other.x0 < self.x1 - tolerance
            and self.y0 < other.y1 - tolerance
            and other.y0 < self.y1 - tolerance
        )


def _multiply(m, n):
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def _apply(m, x, y):
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _page_runs(number: int, page) -> list[Run]:
    fonts = {}
    resources = page["/Resources"].get("/Font", {})
    runs: list[Run] = []
    ctm, stack = IDENTITY, []
    tm = line = IDENTITY
    font, size, spacing = None, 0.0, 0.0
    content = ContentStream(page.get_contents(), page.pdf)
    for operands, operator in content.operations:
        op = operator.decode()
        if op == "q":
            stack.append(ctm)
        elif op == "Q":
            ctm = stack.pop()
        elif op == "cm":
            ctm = _multiply(tuple(float(v) for v in operands), ctm)
        elif op == "BT":
            tm = line = IDENTITY
        elif op == "Tm":
            tm = line = tuple(float(v) for v in operands)
        elif op in ("Td", "TD"):
            line = _multiply((1, 0, 0, 1, float(operands[0]), float(operands[1])), line)
            tm = line
        elif op == "Tf":
            name, size = operands[0], float(operands[1])
            if name not in fonts:
                fonts[name] = Font.from_font_resource(resources[name].get_object())
            font = fonts[name]
        elif op == "Tc":
            spacing = float(operands[0])
        elif op in ("TJ", "Tj"):
            parts = operands[0] if op == "TJ" else [operands[0]]
            advance, text = 0.0, []
            for part in parts:
                if isinstance(part, bytes | str):
                    raw = getattr(part, "original_bytes", part)
                    if font.encoding == "utf-16-be":  # two-byte CIDs (Identity-H)
                        codes = [chr(raw[i] << 8 | raw[i + 1]) for i in range(0, len(raw) - 1, 2)]
                    else:
                        codes = [chr(byte) for byte in raw]
                    for code in codes:
                        width = font.character_widths.get(code, font.character_widths["default"])
                        advance += width / 1000 * size + spacing
                        text.append(font.character_map.get(code, code))
                else:
                    advance -= float(part) / 1000 * size
            matrix = _multiply(tm, ctm)
            corners = [
                _apply(matrix, x, y)
                for x in (0, advance)
                for y in (-DESCENT * size, CAP_HEIGHT * size)
            ]
            tm = _multiply((1, 0, 0, 1, advance, 0), tm)
            joined = "".join(text)
            if joined.strip():
                xs, ys = [p[0] for p in corners], [p[1] for p in corners]
                runs.append(Run(number, joined, min(xs), min(ys), max(xs), max(ys)))
    return runs


def pdf_runs(content: bytes) -> tuple[list[Run], list[tuple[float, float]]]:
    """The text runs of every page and each page's size (width, height) in points."""
    reader = PdfReader(BytesIO(content))
    runs, sizes = [], []
    for number, page in enumerate(reader.pages, start=1):
        runs += _page_runs(number, page)
        sizes.append((float(page.mediabox.width), float(page.mediabox.height)))
    return runs, sizes


def overlapping(runs: list[Run]) -> list[tuple[Run, Run]]:
    """Every pair of runs whose boxes cross (text printed over text)."""
    pairs = []
    by_page: dict[int, list[Run]] = {}
    for run in runs:
        by_page.setdefault(run.page, []).append(run)
    for page_runs in by_page.values():
        page_runs.sort(key=lambda r: r.x0)
        for i, run in enumerate(page_runs):
            for other in page_runs[i + 1 :]:
                if other.x0 >= run.x1:
                    break
                if run.overlaps(other):
                    pairs.append((run, other))
    return pairs


def off_page(runs: list[Run], sizes: list[tuple[float, float]]) -> list[Run]:
    """Runs that stand wholly or partly outside their page."""
    return [
        run
        for run in runs
        if run.x0 < 0
        or run.y0 < 0
        or run.x1 > sizes[run.page - 1][0]
        or run.y1 > sizes[run.page - 1][1]
    ]
