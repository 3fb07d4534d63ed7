from django import template
from django.template.defaultfilters import floatformat

from ..figures import Figures, Rag, activity_label, rag_for

register = template.Library()


@register.filter
def figures(row, code: str) -> Figures:
    """{{ row|figures:code }}: a dashboard row's figures for one activity."""
    return row.activity(code)


@register.filter
def cell_rag(figures: Figures) -> str:
    """{{ f|cell_rag }}: the red/amber/green of one activity's figures (the rule of the office
    status, counted on that activity's items alone); "none" where the office has no item."""
    return rag_for(figures).value if figures.total else "none"


@register.filter
def sop_of(calendar, code: str):
    """{{ line.calendar|sop_of:code }}: a province's SOP activity of one code (or None)."""
    return calendar.get(code)


@register.filter(name="activity_label")
def activity_label_filter(code: str) -> str:
    return activity_label(code)


@register.filter
def pct(value) -> str:
    """A percentage with the locale's decimal mark, or a dash when nothing is due yet."""
    return "—" if value is None else f"{floatformat(value, -1)}%"


@register.filter
def pp(value) -> str:
    """A change in percentage points: ▲ 5 pp, ▼ 2,5 pp, = 0 pp; a dash with nothing to compare."""
    if value is None:
        return "—"
    if value > 0:
        return f"▲ {floatformat(value, -1)} pp"
    if value < 0:
        return f"▼ {floatformat(-value, -1)} pp"
    return "= 0 pp"


@register.filter
def trend_class(value) -> str:
    if value is None or value == 0:
        return "trend-flat"
    return "trend-up" if value > 0 else "trend-down"


@register.filter
def rag_label(value: str) -> str:
    return Rag(value).label


RAG_MARKS = {Rag.RED: "✖", Rag.AMBER: "⚠", Rag.GREEN: "✔"}


@register.filter
def rag_mark(value: str) -> str:
    """A shape per status, so the status reads without its colour (print, colour blindness)."""
    return RAG_MARKS[Rag(value)]


@register.filter
def export_cell(value) -> str:
    """A cell of an export row: a dash for no value, numbers with the locale's decimal mark."""
    if value is None or value == "":
        return "—" if value is None else ""
    if isinstance(value, float):
        return floatformat(value, -1)
    return str(value)


@register.filter
def is_requested(subject: tuple[int, str], requested: set) -> bool:
    """Whether a tracked item's subject has a pending dispensasi request (see views.office)."""
    return tuple(subject) in (requested or ())
