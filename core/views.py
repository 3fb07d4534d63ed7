import secrets
from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from . import health, people, sso
from .forms import (
    DeactivateForm,
    InviteForm,
    LoginForm,
    MembershipForm,
    NotificationSettingsForm,
    PeopleFilterForm,
    PersonForm,
    ProfileForm,
    StyledSetPasswordForm,
    XlsxImportForm,
)
from .models import Attachment, NotificationKind, Office, Role, User
from .people import managed_offices
from .permissions import (
    can_manage_people,
    can_manage_user,
    grantable_roles,
    people_offices_visible_to,
    require,
)
from .queries import get_person_for
from .queries import people_list as people_list_for
from .services import (  # noqa: F401  (DOCX, PDF, XLSX re-exported for the apps' views)
    DOCX,
    PDF,
    XLSX,
    audit_events_for,
    set_notification_preferences,
    update_profile,
)


def download_response(content: bytes, filename: str, content_type: str) -> HttpResponse:
    """A generated document (xlsx, docx, pdf) as a private download."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def attachment_response(attachment: Attachment) -> FileResponse:
    """Stream a stored file as a download. Callers have checked the owner is visible."""
    stream, length = _stored_stream(attachment)
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    if length is not None:
        response["Content-Length"] = length
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _stored_stream(attachment: Attachment):
    """(readable stream, length or None) of the stored bytes. From object storage, the object's
    body as it arrives (django-storages' S3File would first copy the whole object into the
    server's memory); from disk, the file itself (FileResponse measures it)."""
    from storages.backends.s3 import S3Storage  # here: boto3 takes 0.2 s to import

    storage = attachment.file.storage
    if isinstance(storage, S3Storage):
        stored = storage.bucket.Object(attachment.file.name).get()
        return stored["Body"], stored["ContentLength"]
    return attachment.file.open("rb"), None


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "sso_enabled": sso.enabled()}


class LogoutView(auth_views.LogoutView):
    """Log out here; someone who came in through SSO BPS is then sent to the provider, which
    ends the SSO session too and sends them back to the login page."""

    def post(self, request, *args, **kwargs):
        end_session = sso.end_session_url(request)
        response = super().post(request, *args, **kwargs)
        return redirect(end_session) if end_session else response


def favicon(request):
    """Browsers (and the admin, which has no icon link) ask for /favicon.ico."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


@login_not_required
@require_safe
def healthz(request):
    """For the load balancer and the monitoring: 200 when every check is ok or only warns, 503
    when one fails. No login, no session, no data: check names, ok/warn/fail, durations and
    the age of the oldest waiting mail (core/health.py)."""
    checks = health.run_checks()
    status = health.overall(checks)
    response = JsonResponse(
        {"status": status, "checks": {check.name: check.as_json() for check in checks}},
        status=503 if status == health.FAIL else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def profile(request):
    """The user's own profile: who they are in the system, and (a section of its own) which
    e-mails they receive."""
    return render(request, "core/profile.html", _profile_context(request))


def _profile_context(request, **forms) -> dict:
    return {
        "notification_form": forms.get("notification_form") or _notification_form(request),
        "profile_form": forms.get("profile_form") or ProfileForm(instance=request.user),
    }


@login_required
@require_POST
def profile_update(request):
    """The user's own display name and NIP, as documents print them."""
    form = ProfileForm(request.POST, instance=User.objects.get(pk=request.user.pk))
    if not form.is_valid():
        return render(
            request, "core/profile.html", _profile_context(request, profile_form=form), status=400
        )
    update_profile(request.user, **form.cleaned_data, by=request.user)
    messages.success(request, _("Your name and NIP are saved."))
    return redirect("profile")


def _notification_form(request, data=None) -> NotificationSettingsForm:
    off = set(request.user.notification_opt_outs.values_list("kind", flat=True))
    initial = {"kinds": [k for k in NotificationKind.values if k not in off]}
    return NotificationSettingsForm(data, initial=initial)


@login_required
@require_POST
def notification_settings(request):
    form = _notification_form(request, request.POST)
    if not form.is_valid():
        return render(
            request,
            "core/profile.html",
            _profile_context(request, notification_form=form),
            status=400,
        )
    set_notification_preferences(request.user, enabled=form.cleaned_data["kinds"], by=request.user)
    messages.success(request, _("Your e-mail settings are saved."))
    return redirect("profile")


# --- people --------------------------------------------------------------------------------------


def _add_errors(form, error: ValidationError) -> None:
    """A service's ValidationError on the form: on its field where the form has it."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _role_choices(by: User, offices) -> list[str]:
    allowed = set()
    for office in offices:
        allowed |= set(grantable_roles(by, office))
    return [role for role in Role.values if role in allowed]


@login_required
@require_GET
def people_list(request):
    """The accounts of the offices whose people the user may see, filterable by office,
    status and a search text."""
    offices = people_offices_visible_to(request.user)
    require(offices.exists())
    filters = PeopleFilterForm(request.GET, offices=offices)
    filters.is_valid()  # an unknown value drops that one filter, not the others
    chosen = filters.cleaned_data
    active = {"aktif": True, "nonaktif": False}.get(chosen.get("status"))
    accounts = people_list_for(
        request.user, office=chosen.get("office"), q=chosen.get("q") or "", active=active
    )
    template = "core/people/list.html"
    if request.htmx:
        template += "#people-table"
    managed = managed_offices(request.user)
    return render(
        request,
        template,
        {"people": accounts, "filters": filters, "can_invite": bool(managed)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def people_invite(request):
    offices = managed_offices(request.user)
    require(bool(offices))
    form = InviteForm(
        request.POST or None,
        offices=Office.objects.filter(pk__in=[o.pk for o in offices]),
        roles=_role_choices(request.user, offices),
    )
    if request.method == "POST" and form.is_valid():
        try:
            person = people.invite_user(**form.cleaned_data, by=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is invited: the link to set a password goes to %(email)s.")
                % {"name": person.get_full_name(), "email": person.email},
            )
            return redirect("people_detail", pk=person.pk)
    status = 400 if form.errors else 200
    return render(request, "core/people/invite.html", {"form": form}, status=status)


def _person_context(request, person, **forms) -> dict:
    can_manage = can_manage_user(request.user, person)
    offices = managed_offices(request.user) if can_manage else []
    return {
        "person": person,
        "can_manage": can_manage,
        "removable": {
            m.pk for m in person.memberships.all() if can_manage_people(request.user, m.office)
        }
        if can_manage
        else set(),
        "membership_form": forms.get("membership_form")
        or MembershipForm(
            offices=Office.objects.filter(pk__in=[o.pk for o in offices]),
            roles=_role_choices(request.user, offices),
        ),
        "events": audit_events_for(person),
        "password_set": person.has_usable_password(),
    }


@login_required
@require_GET
def people_detail(request, pk: int):
    person = get_person_for(request.user, pk)
    return render(request, "core/people/detail.html", _person_context(request, person))


@login_required
@require_http_methods(["GET", "POST"])
def people_edit(request, pk: int):
    person = get_person_for(request.user, pk, write=True)
    form = PersonForm(request.POST or None, instance=User.objects.get(pk=person.pk))
    if request.method == "POST" and form.is_valid():
        try:
            people.update_user(person, **form.cleaned_data, by=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The account data is saved."))
            return redirect("people_detail", pk=person.pk)
    status = 400 if form.errors else 200
    return render(request, "core/people/edit.html", {"form": form, "person": person}, status=status)


@login_required
@require_POST
def people_role_add(request, pk: int):
    person = get_person_for(request.user, pk, write=True)
    offices = managed_offices(request.user)
    form = MembershipForm(
        request.POST,
        offices=Office.objects.filter(pk__in=[o.pk for o in offices]),
        roles=_role_choices(request.user, offices),
    )
    if form.is_valid():
        try:
            people.add_membership(person, **form.cleaned_data, by=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The role is added."))
            return redirect("people_detail", pk=person.pk)
    context = _person_context(request, person, membership_form=form)
    return render(request, "core/people/detail.html", context, status=400)


@login_required
@require_POST
def people_role_remove(request, pk: int, membership_pk: int):
    person = get_person_for(request.user, pk, write=True)
    membership = get_object_or_404(person.memberships.select_related("office"), pk=membership_pk)
    try:
        people.remove_membership(membership, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The role is removed."))
    return redirect("people_detail", pk=person.pk)


@login_required
@require_http_methods(["GET", "POST"])
def people_deactivate(request, pk: int):
    person = get_person_for(request.user, pk, write=True)
    form = DeactivateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            people.deactivate_user(person, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s can no longer log in.") % {"name": person.get_full_name()},
            )
            return redirect("people_detail", pk=person.pk)
    status = 400 if form.errors else 200
    return render(
        request, "core/people/deactivate.html", {"form": form, "person": person}, status=status
    )


@login_required
@require_POST
def people_reactivate(request, pk: int):
    person = get_person_for(request.user, pk, write=True)
    try:
        people.reactivate_user(person, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("%(name)s can log in again.") % {"name": person.get_full_name()}
        )
    return redirect("people_detail", pk=person.pk)


@login_required
@require_POST
def people_password_link(request, pk: int):
    person = get_person_for(request.user, pk, write=True)
    try:
        people.send_password_link(person, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("A link to set a password is sent to %(email)s.") % {"email": person.email},
        )
    return redirect("people_detail", pk=person.pk)


# The rows of an import between its preview and its confirmation: kept in the session (they
# are checked again when saved), under a token the confirmation form sends back. The people,
# village and any later previewed import share these two functions and core/_xlsx_import.html.
def stash_import(request, key: str, rows, *, file_name: str, **extra) -> str:
    """Keep the checked rows (dataclasses) of an upload under `key`; the preview's token."""
    token = secrets.token_urlsafe(16)
    request.session[key] = {
        "token": token,
        "file": file_name,
        "rows": [asdict(row) for row in rows],
        **extra,
    }
    return token


def take_import(request, key: str, **extra) -> dict | None:
    """The pending import under `key`, taken out of the session, if the posted token and every
    `extra` value match what `stash_import` kept; otherwise None (and an "expired" message)."""
    pending = request.session.get(key) or {}
    if (
        not pending
        or pending.get("token") != request.POST.get("token")
        or any(pending.get(name) != value for name, value in extra.items())
    ):
        messages.error(request, _("The preview has expired. Upload the file again."))
        return None
    del request.session[key]
    return pending


def import_refused(request, error: ValidationError) -> None:
    messages.error(
        request, _("Nothing was saved: %(errors)s") % {"errors": " ".join(error.messages)}
    )


IMPORT_SESSION_KEY = "people_import"


@login_required
@require_http_methods(["GET", "POST"])
def people_import(request):
    """Upload → every row checked → a preview of the people to invite (nothing saved yet), or
    the list of wrong rows."""
    require(bool(managed_offices(request.user)))
    form = XlsxImportForm(request.POST or None, request.FILES or None)
    preview, token = None, None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            preview = people.read_people(upload, by=request.user)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            token = stash_import(request, IMPORT_SESSION_KEY, preview, file_name=upload.name)
    offices = {o.pk: o for o in managed_offices(request.user)}
    context = {
        "form": form,
        "preview": [
            (row, offices[row.values["office_id"]], Role(row.values["role"]).label)
            for row in preview or ()
        ],
        "token": token,
        "columns": [str(label) for _name, label in people.PEOPLE_COLUMNS],
        "hints": [
            _("Name with titles, e-mail, office and role are required; one row per person."),
            _("Office and role: as in the dropdowns of the template."),
            _("An e-mail or username that another account has is refused."),
        ],
    }
    status = 400 if form.errors else 200
    return render(request, "core/people/import.html", context, status=status)


@login_required
@require_POST
def people_import_confirm(request):
    require(bool(managed_offices(request.user)))
    pending = take_import(request, IMPORT_SESSION_KEY)
    if pending is None:
        return redirect("people_import")
    rows = [people.PersonRow(**row) for row in pending["rows"]]
    try:
        created = people.import_people(rows, by=request.user, file_name=pending["file"])
    except ValidationError as error:
        import_refused(request, error)
        return redirect("people_import")
    messages.success(
        request,
        _("%(count)s people are invited; each receives a link to set a password.")
        % {"count": len(created)},
    )
    return redirect("people_list")


@login_required
@require_GET
def people_import_template(request):
    require(bool(managed_offices(request.user)))
    return download_response(
        people.people_template_xlsx(request.user), "templat-impor-pengguna.xlsx", XLSX
    )


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The page of an invitation's or a reset's one-time link: the person chooses a password.
    A deactivated account's link does not work."""

    form_class = StyledSetPasswordForm
    template_name = "registration/password_set.html"
    success_url = reverse_lazy("login")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        people.set_password_with_link(form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(
            self.request,
            _("Your password is set. Log in with your username %(username)s.")
            % {"username": form.user.username},
        )
        return HttpResponseRedirect(self.get_success_url())
