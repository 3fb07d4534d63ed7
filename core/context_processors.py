from django.conf import settings

from .permissions import (
    home_office,
    is_national_user,
    is_province_user,
    may_see_people,
    memberships_of,
)


def navigation(request):
    context = {"ORGANISATION_NAME": settings.ORGANISATION_NAME}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context.update(
            my_memberships=memberships_of(user),
            my_office=home_office(user),
            is_province_user=is_province_user(user),
            may_see_people=may_see_people(user),
            is_national_user=is_national_user(user),
        )
    return context
