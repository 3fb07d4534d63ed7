from functools import lru_cache

from django import template
from django.template.defaultfilters import capfirst, floatformat
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

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


@register.simple_tag
def sop_cells(calendar, columns) -> str:
    """{% sop_cells line.calendar data.sop_columns %}: a province's row of the SOP calendars
    table, one cell per column (code, label, the standard most provinces use): its standard,
    marked where it differs from that one, or a dash. One tag per row, not a loop of cells."""
    cells = []
    for code, _label, usual in columns:
        sop = calendar.get(code)
        if sop is None:
            cells.append(format_html('<td class="num">—</td>'))
        elif sop.standard_display != usual:
            cells.append(
                format_html(
                    '<td class="num"><span class="badge text-bg-warning" data-testid="differs">'
                    "{}</span></td>",
                    sop.standard_display,
                )
            )
        else:
            cells.append(format_html('<td class="num">{}</td>', sop.standard_display))
    return mark_safe("".join(cells))  # noqa: S308 (each cell escaped by format_html)


@register.filter(name="activity_label")
def activity_label_filter(code: str) -> str:
    return activity_label(code)


@register.filter
def pct(value) -> str:
    """A percentage with the locale's decimal mark, or a dash when nothing is due yet."""
    return "—" if value is None else _pct(value, get_language())


@lru_cache(maxsize=4096)
def _pct(value, language: str | None) -> str:
    """floatformat is slow and a dashboard shows the same few percentages hundreds of times."""
    return f"{floatformat(value, -1)}%"


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


@register.simple_tag(takes_context=True)
def rag_badge(context, rag: str) -> str:
    """{% rag_badge row.rag %}: the RAG badge, its rule in words (the page's `legend`) as its
    title. The one place of the badge; a tag, not an include, as tables show one per row."""
    title = "".join(capfirst(text) for key, text in context.get("legend") or () if key == rag)
    return format_html(
        '<span class="rag rag-{}" data-rag="{}" title="{}"><span class="rag-dot" '
        'aria-hidden="true"></span>{}</span>',
        rag,
        rag,
        title,
        rag_label(rag),
    )


@register.simple_tag
def dashboard_cell(row, code: str) -> str:
    """{% dashboard_cell row code %}: a cell of the province dashboard's table, one activity of
    one row (done/expected, completeness; both percentages and its status in its title),
    coloured by `cell_rag`."""
    f = row.activity(code)
    completeness = pct(f.completeness)
    rag = cell_rag(f)
    return format_html(
        '<td class="num cell-rag cell-rag-{}" data-rag="{}" title="{}: {} {} · {} {}{}">'
        '<div class="figure-main">{}/{}</div><div class="figure-sub">{}</div></td>',
        rag,
        rag,
        activity_label(code),
        _("completeness"),
        completeness,
        _("on time"),
        pct(f.timeliness),
        "" if rag == "none" else f" · {rag_label(rag)}",
        f.done,
        f.expected,
        completeness,
    )


@register.simple_tag
def figures_cells(row, codes) -> str:
    """{% figures_cells row data.activities %}: a row's cells of the national table, one
    `figures_cell` per activity. One tag per row, not a loop of cells."""
    cells = (format_html('<td class="num">{}</td>', figures_cell(row.activity(c))) for c in codes)
    return mark_safe("".join(cells))  # noqa: S308 (each cell escaped by format_html)


@register.simple_tag
def figures_cell(f: Figures) -> str:
    """{% figures_cell f %}: done/expected, completeness · timeliness (national page, recaps)."""
    return format_html(
        '<div class="figure-main">{}/{}</div><div class="figure-sub">{} · {}</div>',
        f.done,
        f.expected,
        pct(f.completeness),
        pct(f.timeliness),
    )
