"""{% load lke %}: the LKE pages' tags. Tags, not includes, where a table shows one per row."""

from functools import lru_cache

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag
def lke_status(worksheet) -> str:
    """{% lke_status ws %}: a worksheet's status badge (the one place of it)."""
    return format_html(
        '<span class="badge lke-status lke-status-{}" data-testid="status">{}</span>',
        worksheet.status,
        worksheet.get_status_display(),
    )


@register.filter
def score(value) -> str:
    """A score with two decimals in the locale's decimal mark (floatformat:2), or a dash."""
    return "—" if value is None or value == "" else _score(value, get_language())


@lru_cache(maxsize=8192)
def _score(value, language: str | None) -> str:
    """floatformat is slow and a results table repeats the same few values many times."""
    return floatformat(value, 2)
