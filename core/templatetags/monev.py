from datetime import timedelta

from django import template

from core.deadlines import Status

register = template.Library()


@register.filter
def minutes(value: timedelta | None) -> int:
    return int(value.total_seconds() // 60) if value else 0


@register.filter
def status_label(value: str) -> str:
    """The label of a deadline status (core.deadlines.Status), e.g. "Lewat tenggat"."""
    return Status(value).label
