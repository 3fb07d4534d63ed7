"""{% load tasks %}: "Tugas saya" on the home page ({% my_tasks %}) and its count in the navbar
({% my_task_count %}), on every page. The tasks are read once per request, from the page cache
while nothing of the user's provinces changed (core.pagecache)."""

from django import template

from core import pagecache
from core.permissions import memberships_of

from ..tasks import overdue_by_office, tasks_for

register = template.Library()


def _provinces(user) -> list[int] | None:
    """The provinces whose data the user's tasks read (None for a superuser: any)."""
    if user.is_superuser:
        return None
    return sorted({pagecache.scope_of(m.office) for m in memberships_of(user)})


def _starts(tasks) -> object:
    """An attendance to confirm is a task until its meeting starts (tasks_for)."""
    return min((t.due for t in tasks if t.kind == "attend" and t.due), default=None)


def _tasks(request):
    if not hasattr(request, "_my_tasks"):
        user = request.user
        request._my_tasks = pagecache.cached(
            "tasks",
            user,
            lambda: tasks_for(user),
            provinces=_provinces(user),
            parts=(user.pk,),
            until=_starts,
        )
    return request._my_tasks


@register.inclusion_tag("monitoring/_my_tasks.html", takes_context=True)
def my_tasks(context):
    request = context["request"]
    return {
        "tasks": _tasks(request),
        "overdue_offices": pagecache.cached(
            "overdue-offices",
            request.user,
            lambda: overdue_by_office(request.user),
            provinces=_provinces(request.user),
        ),
        "request": request,
    }


@register.simple_tag(takes_context=True)
def my_task_count(context) -> int:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    return len(_tasks(request))
