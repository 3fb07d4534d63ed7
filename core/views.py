from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.http import FileResponse, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from . import health
from .forms import LoginForm, NotificationSettingsForm, ProfileForm
from .models import Attachment, NotificationKind, User
from .services import (  # noqa: F401  (DOCX, PDF, XLSX re-exported for the apps' views)
    DOCX,
    PDF,
    XLSX,
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
