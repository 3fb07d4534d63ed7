from django import template

from reports.models import Purpose

register = template.Library()


@register.filter
def purpose_label(value: str) -> str:
    """The name of an attachment's document kind ("daftar_hadir" → "Daftar hadir")."""
    return Purpose(value).label if value in Purpose.values else value
