import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404
from django.urls import Resolver404
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import empty
from django.views.defaults import page_not_found

from .logs import request_id_from, request_id_var

access_log = logging.getLogger("core.requests")

# No inline script or style anywhere: every script and stylesheet is a file under /static/.
DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]
POLICY = "; ".join(DIRECTIVES)


def policy() -> str:
    """The policy; with SSO BPS on, forms may also lead to the provider: the logout form is
    redirected to its end-session endpoint (browsers check form-action on redirects too)."""
    if not getattr(settings, "SSO_ENABLED", False):
        return POLICY
    parts = urlsplit(settings.OIDC_OP_LOGOUT_ENDPOINT)
    origin = f"{parts.scheme}://{parts.netloc}"
    return "; ".join(f"{d} {origin}" if d.startswith("form-action ") else d for d in DIRECTIVES)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", policy())
        return response


class PreferredLanguageMiddleware:
    """Indonesian first: the language is the one the user picked with the switch (Django's
    language cookie), else LANGUAGE_CODE. The browser's Accept-Language is not consulted, so an
    English-language browser still gets the Indonesian interface."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = code
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", code)
        patch_vary_headers(response, ["Cookie"])
        return response


class RequestLogMiddleware:
    """First in the chain: gives the request an id (a valid incoming X-Request-ID, as nginx
    sends, else a new one), which every log record written while it is served carries
    (core.logs.RequestIdFilter) and the response returns in X-Request-ID; then logs one line on
    the `core.requests` logger: method, path (without the query string, which may hold what a
    user typed), status, duration in ms, user id (when the request identified one), request id.

    The user is reported only if something in the request already loaded it (a page's login
    check, an API token): reading it here would cost a session query for requests that never
    needed one, such as /healthz, and would fail with the database down."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        # Kept until the response is closed (core.logs.forget_request_id on request_finished):
        # Django logs a 4xx response after this middleware has returned it.
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        response.headers["X-Request-ID"] = request_id
        access_log.info(
            "%s %s %s %.1f ms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": _loaded_user_id(request),
            },
        )
        return response


def _loaded_user_id(request) -> int | None:
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:  # a lazy user never read
        return None
    return user.pk if user.is_authenticated else None


class FriendlyNotFoundMiddleware:
    """With DEBUG on (make run), Django answers a view's Http404 with its technical page, which
    shows users the URLconf and the exception. A 404 raised by a view (an object outside the
    user's scope, a missing record) gets the site's own 404 page whatever DEBUG says; an URL
    that matches no pattern keeps the technical page in development, where it helps."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, Http404) or isinstance(exception, Resolver404):
            return None
        if not settings.DEBUG:
            return None  # Django's own handler renders 404.html
        return page_not_found(request, exception)
