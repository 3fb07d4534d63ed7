"""One JSON shape for every error the API returns, in the user's language (Indonesian first):
`{"detail": "...", "code": "...", "errors": [{"field": "...", "message": "..."}]}`.

| status | code | when |
|---|---|---|
| 400 | invalid | a service refused the values (django ValidationError) |
| 401 | not_authenticated | no token, an unknown or a revoked one |
| 403 | forbidden / token_read_only | inside the scope but not allowed; a read-only token writing |
| 404 | not_found | outside the scope, or no such object |
| 409 | stale_edit / gone / wrong_state | saved or deleted by someone else meanwhile; wrong state |
| 422 | unprocessable | the request does not match the schema (types, ranges, missing fields) |
| 500 | server_error | a fault of ours: logged with the request for the administrators |
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError

from core.services import ObjectGoneError, StaleEditError
from lke.services import TransitionError

from .auth import ReadOnlyToken

logger = logging.getLogger("django.request")


class FieldError(Schema):
    field: str
    message: str


class Error(Schema):
    detail: str
    code: str
    errors: list[FieldError] = []


def error_response(api, request, status: int, code: str, detail: str, errors=()) -> HttpResponse:
    body = {"detail": detail, "code": code, "errors": list(errors)}
    return api.create_response(request, body, status=status)


def _field_errors(error: ValidationError) -> list[dict]:
    if hasattr(error, "error_dict"):
        return [
            {"field": field, "message": message}
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return [{"field": "", "message": message} for message in error.messages]


def _schema_errors(error: SchemaValidationError) -> list[dict]:
    rows = []
    for item in error.errors:
        location = ".".join(str(part) for part in item.get("loc", ()))
        rows.append({"field": location, "message": str(item.get("msg", ""))})
    return rows


def install_handlers(api: NinjaAPI) -> None:
    def handler(exc_class):
        return api.exception_handler(exc_class)

    @handler(AuthenticationError)
    def not_authenticated(request: HttpRequest, exc):
        response = error_response(
            api,
            request,
            401,
            "not_authenticated",
            _("Send a valid API token in the header Authorization: Bearer <token>."),
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @handler(ReadOnlyToken)
    def read_only(request, exc):
        return error_response(
            api,
            request,
            403,
            "token_read_only",
            _("This API token may only read. Make a read-write token on your profile page."),
        )

    @handler(PermissionDenied)
    def forbidden(request, exc):
        # The service's own refusal (what the role does not allow), else the general one.
        detail = str(exc) or _("You may read this, but not change it.")
        return error_response(api, request, 403, "forbidden", detail)

    @handler(Http404)
    def not_found(request, exc):
        return error_response(
            api, request, 404, "not_found", _("Not found, or outside the data you may see.")
        )

    @handler(StaleEditError)
    def stale(request, exc):
        return error_response(
            api, request, 409, "stale_edit", " ".join(exc.messages), _field_errors(exc)
        )

    @handler(ObjectGoneError)
    def gone(request, exc):
        return error_response(api, request, 409, "gone", " ".join(exc.messages))

    @handler(TransitionError)
    def wrong_state(request, exc):
        return error_response(
            api, request, 409, "wrong_state", " ".join(exc.messages), _field_errors(exc)
        )

    @handler(ValidationError)
    def invalid(request, exc):
        return error_response(
            api,
            request,
            400,
            "invalid",
            _("The values were not saved; see the errors."),
            _field_errors(exc),
        )

    @handler(SchemaValidationError)
    def unprocessable(request, exc):
        return error_response(
            api,
            request,
            422,
            "unprocessable",
            _("The request does not match the API description; see the errors."),
            _schema_errors(exc),
        )

    @handler(HttpError)
    def http_error(request, exc):
        return error_response(api, request, exc.status_code, "error", str(exc))

    @handler(Exception)
    def server_error(request, exc):
        logger.error(
            "API error: %s %s",
            request.method,
            request.path,
            exc_info=exc,
            extra={"status_code": 500, "request": request},
        )
        return error_response(
            api,
            request,
            500,
            "server_error",
            _("Something went wrong on our side; it has been logged. Try again later."),
        )


# Documented on every operation, so a client (and schemathesis) knows each answer's shape.
READ_ERRORS = {401: Error, 404: Error, 422: Error}
WRITE_ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
