"""{% load tasks %}: "Tugas saya" on the home page ({% my_tasks %}) and its count in the navbar
({% my_task_count %}). The tasks are read once per request."""

from django import template

from ..tasks import overdue_by_office, tasks_for

register = template.Library()


def _tasks(request):
    if not hasattr(request, "_my_tasks"):
        request._my_tasks = tasks_for(request.user)
    return request._my_tasks


@register.inclusion_tag("monitoring/_my_tasks.html", takes_context=True)
def my_tasks(context):
    request = context["request"]
    return {
        "tasks": _tasks(request),
        "overdue_offices": overdue_by_office(request.user),
        "request": request,
    }


@register.simple_tag(takes_context=True)
def my_task_count(context) -> int:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    return len(_tasks(request))
