"""{% load meetings_panel %}{% meetings_panel %}: the meetings card for a home page or dashboard
(upcoming meetings the user is invited to, and open action items or those to confirm)."""

from django import template

from meetings.queries import home_panel

register = template.Library()


@register.inclusion_tag("meetings/_home_panel.html", takes_context=True)
def meetings_panel(context):
    return {"panel": home_panel(context["request"].user), "request": context["request"]}
