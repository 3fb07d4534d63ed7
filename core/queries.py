"""Reads of core that depend on who is asking: people (accounts and their roles). They start
from core.permissions.users_visible_to, the one visibility rule for accounts."""

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Membership, Office, User
from .permissions import can_manage_user, offices_visible_to, require, users_visible_to


def people_visible_to(user: User) -> QuerySet[User]:
    """The accounts the user may see with their roles and offices, by name."""
    return (
        users_visible_to(user)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("office").order_by("office__code"),
            )
        )
        .order_by("-is_active", "full_name", "username")
    )


def people_list(
    user: User, *, office: Office | None = None, q: str = "", active: bool | None = None
) -> QuerySet[User]:
    """The visible accounts, optionally of one office, matching `q` (name, username, e-mail,
    NIP, position), active or deactivated."""
    people = people_visible_to(user)
    if office is not None:
        people = people.filter(pk__in=Membership.objects.filter(office=office).values("user_id"))
    if q:
        people = people.filter(
            Q(full_name__icontains=q)
            | Q(username__icontains=q)
            | Q(email__icontains=q)
            | Q(nip__startswith=q)
            | Q(position__icontains=q)
        )
    if active is not None:
        people = people.filter(is_active=active)
    return people


def get_person_for(user: User, pk: int, *, write: bool = False) -> User:
    """The account `pk`: 404 when it holds no role in an office the user reads; 403 when the
    user may not see that office's people (users_visible_to), or when `write` and the user may
    not manage the account (can_manage_user)."""
    in_scope = Membership.objects.filter(office__in=offices_visible_to(user)).values("user_id")
    if not user.is_superuser:
        get_object_or_404(User.objects.filter(pk__in=in_scope), pk=pk)
    person = people_visible_to(user).filter(pk=pk).first()
    if person is None:
        get_object_or_404(User, pk=pk)  # a superuser asking for an unknown account: 404
    require(person is not None)
    if write:
        require(can_manage_user(user, person))
    return person
