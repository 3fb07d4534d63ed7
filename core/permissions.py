"""Who may see and do what. Every list, page, export and download starts from these functions.

Scope: a membership in a province office reaches that office and all its kab/kota offices; a
membership in a kab/kota office reaches that office only; a membership in the national office
(BPS RI) reaches every office, every province. A Django superuser reaches every office (the
national operator). Inside the scope, what a user may *change* depends on the role: the
national roles change nothing of a province's work (no rule grants them a write)."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import KABKOTA_ONLY_ROLES, PROVINCE_ONLY_ROLES, Membership, Office, Role, User

PROVINCE_TEAM = frozenset({Role.KETUA_TIM, Role.TIM_PROVINSI})
PROVINCE_READERS = frozenset({Role.KEPALA, Role.KETUA_TIM, Role.TIM_PROVINSI})


def memberships_of(user: User | None) -> list[Membership]:
    """The user's memberships with their offices, loaded once per user object (per request).
    None (the system actor, see SYSTEM) has none."""
    if user is None or not user.is_authenticated:
        return []
    cached = getattr(user, "_monev_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("office"))
        user._monev_memberships = cached
    return cached


def visible_office_ids(user: User) -> frozenset[int]:
    """Ids of every office whose data the user may read."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_monev_office_ids", None)
    if cached is not None:
        return cached
    if user.is_superuser or any(m.office.is_national for m in memberships_of(user)):
        ids = frozenset(Office.objects.values_list("pk", flat=True))
    else:
        own = {m.office_id for m in memberships_of(user)}
        provinces = {m.office_id for m in memberships_of(user) if m.office.is_province}
        children = set(Office.objects.filter(parent_id__in=provinces).values_list("pk", flat=True))
        ids = frozenset(own | children)
    user._monev_office_ids = ids
    return ids


def scope_key(user: User) -> tuple:
    """What the user's reach and rights depend on, as a value a cache key can hold: the
    offices it may read and its roles (by office). Two users with the same key see the same."""
    roles = sorted((m.office_id, m.role) for m in memberships_of(user))
    return (bool(user.is_superuser), tuple(sorted(visible_office_ids(user))), tuple(roles))


def offices_visible_to(user: User) -> QuerySet[Office]:
    """The offices the user may read, with their parent. Every other module turns a user into
    offices through this function (or an app's `*_visible_to` built on it), never through
    visible_office_ids (core/tests/test_one_place.py)."""
    return Office.objects.filter(pk__in=visible_office_ids(user)).select_related("parent")


def province_ids_visible_to(user: User) -> frozenset[int]:
    """Ids of the province offices whose data the user reaches: those of the offices it may
    read (a kab/kota's is its parent; the national office belongs to none). One query, once per
    user object (per request), like visible_office_ids."""
    cached = getattr(user, "_monev_province_ids", None)
    if cached is not None:
        return cached
    rows = Office.objects.filter(pk__in=visible_office_ids(user)).values_list(
        "pk", "kind", "parent_id"
    )
    ids = frozenset(
        pk if kind == Office.Kind.PROVINSI else parent_id
        for pk, kind, parent_id in rows
        if kind != Office.Kind.NASIONAL
    ) - {None}
    user._monev_province_ids = ids
    return ids


def kabkota_offices_visible_to(user: User, province: Office | None = None) -> QuerySet[Office]:
    """The kab/kota offices the user may read (of `province` when given), by code."""
    offices = offices_visible_to(user).filter(kind=Office.Kind.KABKOTA)
    if province is not None:
        offices = offices.filter(parent=province)
    return offices.order_by("code")


def program_offices_visible_to(user: User, province: Office) -> QuerySet[Office]:
    """The offices of a province's program the user may read: the province office itself and
    its kab/kota offices, by code (a kab/kota user: its own office)."""
    return (
        offices_visible_to(user)
        .filter(Q(pk=province.pk) | Q(parent_id=province.pk))
        .order_by("code")
    )


def has_role(user: User | None, office: Office, roles: Iterable[str]) -> bool:
    """True when the user holds one of `roles` in `office` itself or, for a kab/kota office, in
    its province office (a province team member acts on every kab/kota of the province). None
    (the system actor) holds no role."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    roles = set(roles)
    reach = {office.pk, office.parent_id} - {None}
    return any(m.role in roles and m.office_id in reach for m in memberships_of(user))


def roles_of(user: User) -> set[str]:
    return {m.role for m in memberships_of(user)}


def is_national_user(user: User) -> bool:
    """A member of the national office (BPS RI) or the national operator (a superuser): the
    users who read every province and see the national dashboard."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or any(m.office.is_national for m in memberships_of(user))


def is_province_user(user: User) -> bool:
    """A user who reads above one kab/kota: a province member, a national one, a superuser."""
    return user.is_superuser or any(
        m.office.is_province or m.office.is_national for m in memberships_of(user)
    )


def home_office(user: User) -> Office | None:
    """The office a user lands on: a national membership first, then a province one, else the
    first kab/kota."""
    ms = sorted(
        memberships_of(user),
        key=lambda m: (not m.office.is_national, not m.office.is_province, m.office.code),
    )
    if ms:
        return ms[0].office
    if user.is_superuser:
        return Office.objects.filter(kind=Office.Kind.PROVINSI).first()
    return None


def can_change_own_settings(by: User | None, user: User) -> bool:
    """A profile and its notification settings are changed by their user only (an operator
    changes them in the admin)."""
    return by is not None and by.is_authenticated and by.pk == user.pk


def require(allowed: bool, message: str | None = None) -> None:
    """Inside the scope but not allowed to act: PermissionDenied (a 403 page showing `message`,
    what the user's role does not allow). Views call it before showing a form; every service
    that changes state calls it with the same `can_*` rule before writing anything, so a
    management command or the API cannot do what the page refuses (docs/security.md §2)."""
    if not allowed:
        raise PermissionDenied(
            str(message) if message else _("Your role does not allow this action.")
        )


# The actor of a management command that acts as the system, with nobody logged in (loading the
# reference LKE instruments, a test or script creating a program year): `by=SYSTEM`, audited
# without an actor (the history shows "—"). Only the services that say so in their docstring
# accept it (program.services.create_program_year, lke.services.create_instrument); every other
# service refuses it like a user without a role (has_role(None, ...) is False). A view cannot
# reach it: its actor is request.user, at worst an AnonymousUser, never None.
SYSTEM = None


def is_system(by: User | None) -> bool:
    return by is SYSTEM


# --- people ------------------------------------------------------------------------------------

# The team lead and the administrator manage the accounts of their offices (the province team
# lead: the province office and every kab/kota office under it); the head of an office reads
# its people (the kepala those of the province, a pimpinan_kabkota those of its own office).
PEOPLE_MANAGERS = frozenset({Role.ADMIN, Role.KETUA_TIM})
PEOPLE_READERS = PEOPLE_MANAGERS | {Role.KEPALA, Role.PIMPINAN_KABKOTA}
# What a refused role is told by core.people's services (the 403 page, a command's error).
PEOPLE_REFUSED = gettext_lazy(
    "Only an administrator or the team lead of the office or of its province manages its people."
)
USER_REFUSED = gettext_lazy(
    "Only an administrator or a team lead who manages every office where this person has a "
    "role changes their account."
)
ADMIN_ROLE_REFUSED = gettext_lazy("Only an administrator gives the administrator role.")


def can_manage_people(user: User | None, office: Office) -> bool:
    """True when the user may invite, edit and deactivate the people of `office`. None (the
    system actor) manages nobody."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or has_role(user, office, PEOPLE_MANAGERS)


def people_offices_visible_to(user: User) -> QuerySet[Office]:
    """The offices whose people (accounts, roles) the user may see, by code: those where the
    user holds a PEOPLE_READERS role (directly, or in the province office above)."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return offices_visible_to(user).order_by("code")
    ids = [
        office.pk for office in offices_visible_to(user) if has_role(user, office, PEOPLE_READERS)
    ]
    return Office.objects.filter(pk__in=ids).select_related("parent").order_by("code")


def users_visible_to(user: User) -> QuerySet[User]:
    """The accounts the user may see: everyone holding a role in one of
    `people_offices_visible_to(user)` (a superuser: every account). The one visibility rule for
    people; pages of a user outside it are 404."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return User.objects.all()
    members = Membership.objects.filter(office__in=people_offices_visible_to(user))
    return User.objects.filter(pk__in=members.values("user_id"))


def can_manage_user(by: User | None, target: User) -> bool:
    """True when `by` may change `target`'s account (name, NIP, position, e-mail, password
    link, deactivation): `by` manages every office where `target` holds a role. An account
    with the admin role is managed by an administrator only, a superuser by a superuser. None
    (the system actor) manages nobody."""
    if by is None or not by.is_authenticated or not by.is_active:
        return False
    if by.is_superuser:
        return True
    if target.is_superuser:
        return False
    memberships = list(Membership.objects.filter(user=target).select_related("office"))
    if not memberships:
        return False
    needed = {Role.ADMIN} if any(m.role == Role.ADMIN for m in memberships) else PEOPLE_MANAGERS
    return all(has_role(by, m.office, needed) for m in memberships)


def grantable_roles(by: User, office: Office) -> list[str]:
    """The roles `by` may give in `office`: those that belong to its kind of office, the admin
    role only by an administrator (of the office or its province) or a superuser."""
    if not can_manage_people(by, office):
        return []
    wrong_kind = KABKOTA_ONLY_ROLES if office.is_province else PROVINCE_ONLY_ROLES
    may_grant_admin = by.is_superuser or has_role(by, office, {Role.ADMIN})
    return [
        role
        for role in Role.values
        if role not in wrong_kind and (role != Role.ADMIN or may_grant_admin)
    ]


def may_see_people(user: User) -> bool:
    """True when the user sees the people of at least one office (the navigation's link)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or any(m.role in PEOPLE_READERS for m in memberships_of(user))
