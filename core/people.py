"""Writes to people's accounts, without the Django admin: invitations, account data, office
roles, deactivation (never deletion: the audit log keeps every name), password links and the
bulk import from xlsx. These are core's services for the people sub-domain (core/services.py
holds the others; split by sub-domain as STYLE.md 2 says).

Every function checks who may act (core.permissions: can_manage_people, can_manage_user,
grantable_roles) and raises PermissionDenied otherwise, appends its audit row on the user, and
queues its e-mail in the outbox (core.mail.queue_mail) in the same transaction, so a refused or
rolled-back change sends nothing. A password link is Django's one-time password-reset token:
it stops working once the password is set (the token hashes the password) and after
settings.PASSWORD_RESET_TIMEOUT."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .mail import in_mail_language, queue_mail, site_link
from .models import Membership, Office, OutgoingMail, Role, User
from .permissions import (
    ADMIN_ROLE_REFUSED,
    PEOPLE_REFUSED,
    USER_REFUSED,
    can_manage_people,
    can_manage_user,
    grantable_roles,
    people_offices_visible_to,
    require,
)
from .services import audit, diff_fields
from .xlsx import XlsxWriter, checked_rows, column_range, import_texts, read_import_sheet

ACCOUNT_MAIL = "account"  # the kind of the outbox rows of invitations and password links


def membership_label(membership: Membership) -> str:
    """How a role in an office reads in the audit log (in the system's language)."""
    with in_mail_language():
        return f"{membership.get_role_display()} · {membership.office.short_name}"


def normalised_name(text: str) -> str:
    return " ".join((text or "").split())


def normalised_nip(text: str) -> str:
    """Spaces and dots typed between the NIP's digit groups removed."""
    return "".join((text or "").replace(".", " ").split())


_NOT_IN_USERNAME = re.compile(r"[^\w.@+-]")


def username_from_email(email: str) -> str:
    """The part of the address before @, as a username (letters, digits and . _ - + only)."""
    return _NOT_IN_USERNAME.sub("", email.split("@", 1)[0].lower())[:150]


def account_problems(*, username: str, email: str, exclude: User | None = None) -> dict:
    """{field: message} for an e-mail or username another account already has."""
    problems = {}
    others = User.objects.exclude(pk=exclude.pk) if exclude else User.objects.all()
    holder = others.filter(email__iexact=email).first() if email else None
    if holder is not None:
        problems["email"] = _("The account %(name)s already has the e-mail %(email)s.") % {
            "name": holder.get_full_name(),
            "email": email,
        }
    if username and others.filter(username__iexact=username).exists():
        problems["username"] = _(
            "The username %(username)s is already taken; choose another one."
        ) % {"username": username}
    return problems


# --- password links --------------------------------------------------------------------------


def password_link(user: User) -> str:
    """The absolute one-time link at which `user` sets a password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_link(reverse("password_set", kwargs={"uidb64": uid, "token": token}))


def _queue_password_mail(user: User, *, invitation: bool, by: User) -> OutgoingMail:
    with in_mail_language():
        subject = (
            _("Your Monev Desa Cantik account")
            if invitation
            else _("Set a new password for Monev Desa Cantik")
        )
        body = render_to_string(
            "core/email/account.txt",
            {
                "invitation": invitation,
                "name": user.get_full_name(),
                "username": user.username,
                "by": by.get_full_name(),
                "link": password_link(user),
                "login_link": site_link(reverse("login")),
                "days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
                "ORGANISATION_NAME": settings.ORGANISATION_NAME,
            },
        )
    return queue_mail(user.email, subject=subject, body=body, kind=ACCOUNT_MAIL)


# --- invitations -------------------------------------------------------------------------------


def _check_role(by: User, office: Office, role: str) -> None:
    require(can_manage_people(by, office), PEOPLE_REFUSED)
    if role not in grantable_roles(by, office):
        require(role != Role.ADMIN, ADMIN_ROLE_REFUSED)
        raise ValidationError(
            {
                "role": _("The role %(role)s cannot be given in %(office)s.")
                % {"role": Role(role).label if role in Role.values else role, "office": office}
            },
            code="role_office",
        )


@transaction.atomic
def invite_user(
    *,
    email: str,
    full_name: str,
    office: Office,
    role: str,
    by: User,
    username: str = "",
    nip: str = "",
    position: str = "",
    reason: str = "",
) -> User:
    """Create an account with a role in `office` and e-mail its holder a one-time link to set a
    password (there is no password until then). `by` manages the people of `office` and may
    give `role` there (PermissionDenied otherwise). The e-mail and the username (by default
    the part of the e-mail before @) may not belong to another account (ValidationError).
    Audited as `user.invite` on the new account."""
    _check_role(by, office, role)
    email = (email or "").strip()
    username = (username or "").strip() or username_from_email(email)
    values = {
        "username": username,
        "email": email,
        "full_name": normalised_name(full_name),
        "nip": normalised_nip(nip),
        "position": normalised_name(position),
    }
    problems = account_problems(username=username, email=email)
    if not email:
        problems["email"] = _("An invitation needs an e-mail address.")
    if not values["full_name"]:
        problems["full_name"] = _("Enter the name with titles, as documents print it.")
    if problems:
        raise ValidationError(problems)
    user = User(**values)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    membership = Membership(user=user, office=office, role=role)
    membership.full_clean()
    membership.save()
    audit(
        user,
        by=by,
        action="user.invite",
        office=office,
        reason=reason,
        changes={
            **{name: (None, value) for name, value in values.items() if value},
            "memberships": (None, [membership_label(membership)]),
        },
    )
    _queue_password_mail(user, invitation=True, by=by)
    return user


def _require_manager(by: User, user: User) -> None:
    require(can_manage_user(by, user), USER_REFUSED)


@transaction.atomic
def send_password_link(user: User, *, by: User) -> OutgoingMail:
    """E-mail `user` a one-time link to set a password: the invitation again for an account
    that never set one, else a password reset (the current password keeps working until a new
    one is set). Only for an active account with an e-mail. Audited as `user.invite_again` or
    `user.password_reset`."""
    _require_manager(by, user)
    if not user.is_active:
        raise ValidationError(_("The account is deactivated: activate it first."))
    if not user.email:
        raise ValidationError(_("The account has no e-mail address: add one first."))
    invitation = user.last_login is None and not user.has_usable_password()
    audit(
        user,
        by=by,
        action="user.invite_again" if invitation else "user.password_reset",
        changes={"email": (None, user.email)},
    )
    return _queue_password_mail(user, invitation=invitation, by=by)


@transaction.atomic
def set_password_with_link(user: User, *, password: str) -> None:
    """The holder of a valid password link (checked by the view with Django's token
    generator) sets their password; the link stops working. Audited as `user.password_set`,
    by the user."""
    if not user.is_active:
        raise PermissionDenied
    first = not user.has_usable_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    password_validation.password_changed(password, user)
    audit(
        user,
        by=user,
        action="user.password_set",
        changes={"password": (None, _("first password") if first else _("new password"))},
    )


# --- account data and roles ----------------------------------------------------------------


@transaction.atomic
def update_user(
    user: User, *, full_name: str, nip: str, position: str, email: str, by: User
) -> None:
    """Change another person's display name, NIP, position and e-mail (`by` manages every
    office where the person holds a role). The e-mail may not belong to another account.
    Audited as `user.update` when something changed."""
    _require_manager(by, user)
    email = (email or "").strip()
    changes = diff_fields(
        user,
        {
            "full_name": normalised_name(full_name),
            "nip": normalised_nip(nip),
            "position": normalised_name(position),
            "email": email,
        },
    )
    if not changes:
        return
    problems = account_problems(username="", email=email, exclude=user)
    if problems:
        raise ValidationError(problems)
    for name, (_old, new) in changes.items():
        setattr(user, name, new)
    user.clean_fields(exclude=[f.name for f in user._meta.fields if f.name not in changes])
    user.save(update_fields=list(changes))
    audit(user, by=by, action="user.update", changes=changes)


@transaction.atomic
def add_membership(user: User, *, office: Office, role: str, by: User) -> Membership:
    """Give `user` `role` in `office`. `by` manages the person and the office and may give the
    role there. Audited as `user.role_add`."""
    _require_manager(by, user)
    _check_role(by, office, role)
    if Membership.objects.filter(user=user, office=office, role=role).exists():
        raise ValidationError(
            {
                "role": _("%(name)s already has this role in %(office)s.")
                % {"name": user.get_full_name(), "office": office}
            }
        )
    membership = Membership(user=user, office=office, role=role)
    membership.full_clean()
    membership.save()
    audit(
        user,
        by=by,
        action="user.role_add",
        office=office,
        changes={"memberships": (None, membership_label(membership))},
    )
    return membership


@transaction.atomic
def remove_membership(membership: Membership, *, by: User) -> None:
    """Take a role away. Not the person's last one (deactivate the account instead: a person
    without a role would vanish from every list), and not one's own. Audited as
    `user.role_remove`."""
    user = membership.user
    _require_manager(by, user)
    require(can_manage_people(by, membership.office), PEOPLE_REFUSED)
    if user.pk == by.pk:
        raise ValidationError(
            _("You cannot remove your own role; ask another team lead or an administrator.")
        )
    if not Membership.objects.filter(user=user).exclude(pk=membership.pk).exists():
        raise ValidationError(
            _("This is the last role of %(name)s. Deactivate the account instead.")
            % {"name": user.get_full_name()}
        )
    label = membership_label(membership)
    membership.delete()
    audit(
        user,
        by=by,
        action="user.role_remove",
        office=membership.office,
        changes={"memberships": (label, None)},
    )


@transaction.atomic
def deactivate_user(user: User, *, by: User, reason: str = "") -> None:
    """Switch an account off: the person can no longer log in (open sessions end, API tokens
    stop working, no more e-mail), but the account and its name stay in every record. Not
    one's own account. Audited as `user.deactivate` with the reason."""
    _require_manager(by, user)
    if user.pk == by.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    if not user.is_active:
        raise ValidationError(_("The account is already deactivated."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit(
        user,
        by=by,
        action="user.deactivate",
        changes={"is_active": (True, False)},
        reason=(reason or "").strip(),
    )


@transaction.atomic
def reactivate_user(user: User, *, by: User) -> None:
    """Switch a deactivated account on again (its password, if any, works again). Audited as
    `user.reactivate`."""
    _require_manager(by, user)
    if user.is_active:
        raise ValidationError(_("The account is already active."))
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit(user, by=by, action="user.reactivate", changes={"is_active": (False, True)})


# --- bulk import from xlsx ---------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    number: int  # the row in the sheet, as Excel shows it
    values: dict  # full_name, email, username, nip, position (text) and office_id, role


def import_people(rows: list[PersonRow], *, by: User, file_name: str) -> list[User]:
    """Invite every person of an import (see read_people), all or nothing:
    a row refused now (someone took the e-mail since the preview, a right was lost) refuses the
    whole import with its row number. Each account is audited as `user.invite`, with the file
    named as the reason."""
    offices = {o.pk: o for o in Office.objects.filter(pk__in={r.values["office_id"] for r in rows})}
    created = []
    with transaction.atomic():
        for row in rows:
            values = dict(row.values)
            office = offices.get(values.pop("office_id"))
            if office is None:
                raise ValidationError(
                    _("Row %(row)s: the office no longer exists.") % {"row": row.number}
                )
            try:
                created.append(
                    invite_user(
                        **values,
                        office=office,
                        by=by,
                        reason=_("Imported from %(file)s") % {"file": file_name},
                    )
                )
            except ValidationError as error:
                raise ValidationError(
                    _("Row %(row)s: %(problems)s.")
                    % {"row": row.number, "problems": "; ".join(error.messages)}
                ) from None
    return created


PEOPLE_COLUMNS = [
    ("full_name", gettext_lazy("Name with titles")),
    ("email", gettext_lazy("E-mail")),
    ("office", gettext_lazy("Office")),
    ("role", gettext_lazy("Role")),
    ("username", gettext_lazy("Username")),
    ("nip", gettext_lazy("NIP")),
    ("position", gettext_lazy("Position")),
]
REQUIRED_PEOPLE_COLUMNS = ("full_name", "email", "office", "role")
MAX_IMPORT_ROWS = 500
MAX_SHEET_ROWS, MAX_SHEET_COLUMNS = 1000, 30  # the sheet's ceiling, checked before parsing
TEMPLATE_ROWS = 500  # rows below the header that offer the office and role dropdowns
NIP_DIGITS = re.compile(r"^[0-9]{18}$")


def managed_offices(by: User) -> list[Office]:
    """The offices whose people `by` manages, by code."""
    return [o for o in people_offices_visible_to(by) if can_manage_people(by, o)]


def office_choice(office: Office) -> str:
    """How an office is written in the template's dropdown: "1702 - Rejang Lebong"."""
    return f"{office.code} - {office.short_name}"


def _office_lookup(offices: list[Office]) -> dict[str, Office]:
    lookup = {}
    for office in offices:
        for text in (office.code, office.short_name, office.name, office_choice(office)):
            lookup[" ".join(text.split()).casefold()] = office
    return lookup


def _role_lookup() -> dict[str, str]:
    lookup = {}
    for role in Role:
        lookup[role.value] = role.value
        for language in ("id", "en"):
            with translation.override(language):
                lookup[" ".join(str(role.label).split()).casefold()] = role.value
    return lookup


def _column_label(name: str) -> str:
    return str(dict(PEOPLE_COLUMNS)[name])


def _person_problems(values: dict, *, offices, roles, by) -> tuple[dict, list[str]]:
    """(clean values, problems) of one row of the people sheet."""
    problems = []
    clean = {
        "full_name": normalised_name(values["full_name"]),
        "email": values["email"].strip(),
        "username": values["username"].strip() or username_from_email(values["email"].strip()),
        "nip": normalised_nip(values["nip"]),
        "position": normalised_name(values["position"]),
    }
    for name in REQUIRED_PEOPLE_COLUMNS:
        if not values[name].strip():
            problems.append(_("%(column)s is empty") % {"column": _column_label(name)})
    if clean["email"]:
        try:
            validate_email(clean["email"])
        except ValidationError:
            problems.append(_('"%(value)s" is not an e-mail address') % {"value": clean["email"]})
    if clean["nip"] and not NIP_DIGITS.match(clean["nip"]):
        problems.append(_("the NIP has 18 digits (%(value)s)") % {"value": values["nip"]})
    if clean["username"]:
        try:
            User.username_validator(clean["username"])
        except ValidationError:
            problems.append(
                _('the username "%(value)s" may hold only letters, digits and . @ + - _')
                % {"value": clean["username"]}
            )
    for name in ("full_name", "username", "position"):
        if len(clean[name]) > 150:
            problems.append(
                _("%(column)s is longer than 150 characters") % {"column": _column_label(name)}
            )
    office = None
    if values["office"].strip():
        office = offices.get(" ".join(values["office"].split()).casefold())
        if office is None and values["office"][:4].isdigit():
            office = offices.get(values["office"][:4])
        if office is None:
            problems.append(
                _('"%(value)s" is not an office whose people you manage')
                % {"value": values["office"]}
            )
    role = None
    if values["role"].strip():
        role = roles.get(" ".join(values["role"].split()).casefold())
        if role is None:
            problems.append(_('unknown role "%(value)s"') % {"value": values["role"]})
        elif office is not None and role not in grantable_roles(by, office):
            problems.append(
                _("the role %(role)s cannot be given in %(office)s")
                % {"role": Role(role).label, "office": office.short_name}
            )
    if clean["email"] or clean["username"]:
        taken = account_problems(username=clean["username"], email=clean["email"])
        problems += [message.rstrip(".") for message in taken.values()]
    clean["office_id"] = office.pk if office else None
    clean["role"] = role
    return clean, problems


def read_people(upload, *, by: User) -> list[PersonRow]:
    """The people of an import workbook (first sheet, header in row 1 as the template writes
    it, columns in any order), opened by core.xlsx.open_workbook: a file too large, not an
    xlsx, or with a sheet beyond MAX_SHEET_ROWS × MAX_SHEET_COLUMNS is refused before its rows
    are parsed. Each row is checked as `invite_user` would (office managed by `by`, role
    allowed there, e-mail and username free, NIP of 18 digits), and e-mails and usernames may
    not repeat in the file. Any problem raises one ValidationError listing every bad row by
    its number; nothing is saved here."""
    offices = _office_lookup(managed_offices(by))
    require(bool(offices), PEOPLE_REFUSED)
    roles = _role_lookup()
    sheet = read_import_sheet(
        upload,
        columns=PEOPLE_COLUMNS,
        required=REQUIRED_PEOPLE_COLUMNS,
        missing=_("Row 1: the column(s) %(columns)s are missing. Use the template."),
        max_rows=MAX_IMPORT_ROWS,
        max_sheet_rows=MAX_SHEET_ROWS,
        max_cols=MAX_SHEET_COLUMNS,
    )
    seen = {}

    def check(number: int, values: dict) -> tuple[dict, list[str]]:
        clean, problems = _person_problems(
            import_texts(values), offices=offices, roles=roles, by=by
        )
        for name in ("email", "username"):
            key = (name, clean[name].casefold())
            if clean[name] and key in seen:
                problems.append(
                    _("the same %(column)s as row %(row)s")
                    % {"column": _column_label(name), "row": seen[key]}
                )
            seen.setdefault(key, number)
        return clean, problems

    rows = checked_rows(
        sheet.rows,
        check,
        empty=_("The file has no people below the header."),
        too_many=_("The file has more than %(limit)s rows of people.") % {"limit": MAX_IMPORT_ROWS}
        if sheet.overflow
        else None,
    )
    return [PersonRow(number, clean) for number, clean in rows]


def people_template_xlsx(by: User) -> bytes:
    """The import template: the people sheet (header, dropdowns of the offices `by` manages
    and of the roles), the list of those offices, and how to fill it in."""
    offices = managed_offices(by)
    writer = XlsxWriter()
    sheet = writer.add_sheet(
        _("People"),
        [[str(label) for _name, label in PEOPLE_COLUMNS]],
        widths={1: 36, 2: 32, 3: 28, 4: 36},
    )
    names = [name for name, _label in PEOPLE_COLUMNS]
    office_column, role_column = names.index("office") + 1, names.index("role") + 1
    writer.add_choices(
        sheet,
        column_range(office_column, 2, TEMPLATE_ROWS + 1),
        [office_choice(o) for o in offices],
    )
    writer.add_choices(
        sheet, column_range(role_column, 2, TEMPLATE_ROWS + 1), [str(r.label) for r in Role]
    )
    writer.add_sheet(
        _("Offices"),
        [[_("Code"), _("Office"), _("Write in the Office column")]]
        + [[o.code, o.name, office_choice(o)] for o in offices],
    )
    writer.add_sheet(
        _("How to fill in"),
        [
            [_("How to fill in")],
            [
                _(
                    "One row per person, below the header. Name with titles, e-mail, office and "
                    "role are required."
                )
            ],
            [_("Office: choose from the list (or write the office code, e.g. 1702).")],
            [
                _(
                    "Role: choose from the list; a province role only in the province office, a "
                    "regency/city role only in a regency/city office."
                )
            ],
            [_("Username: leave empty to use the part of the e-mail before @.")],
            [_("NIP: 18 digits, spaces and dots are removed.")],
            [_("Every person receives an e-mail with a link to set a password.")],
            [
                _(
                    "If any row is wrong, nothing is saved and every wrong row is listed with "
                    "its number."
                )
            ],
        ],
        widths={1: 110},
    )
    return writer.to_bytes()


def office_head(office: Office) -> User | None:
    """Who signs for `office` as its head: the Kepala of the province office, the pimpinan of a
    kab/kota office (the first active one by name); None when the office has none yet."""
    role = Role.KEPALA if office.is_province else Role.PIMPINAN_KABKOTA
    return (
        User.objects.filter(is_active=True, memberships__office=office, memberships__role=role)
        .order_by("full_name", "username")
        .first()
    )
