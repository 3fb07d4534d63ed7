from django.contrib.auth import views as auth_views
from django.http import FileResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static

from .forms import LoginForm
from .models import Attachment


def attachment_response(attachment: Attachment) -> FileResponse:
    """Stream a stored file as a download. Callers have checked the owner is visible."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


def favicon(request):
    """Browsers (and the admin, which has no icon link) ask for /favicon.ico."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
