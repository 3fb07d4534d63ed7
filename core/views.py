from django.contrib.auth import views as auth_views
from django.http import FileResponse, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static

from .forms import LoginForm
from .models import Attachment
from .services import DOCX, PDF, XLSX  # noqa: F401  (re-exported for the apps' views)


def download_response(content: bytes, filename: str, content_type: str) -> HttpResponse:
    """A generated document (xlsx, docx, pdf) as a private download."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


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
