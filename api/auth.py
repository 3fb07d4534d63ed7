"""Bearer-token authentication of the API. A read-only token reads; a write needs a read-write
token (else 403 with code `token_read_only`). The request then acts as the token's user, so
every visibility function and service sees the same user as on the pages."""

from django.http import HttpRequest
from ninja.security import HttpBearer

from .models import ApiToken
from .services import authenticate_token


class ReadOnlyToken(Exception):
    """A valid token without the write scope was sent to a write operation."""


class TokenAuth(HttpBearer):
    def __init__(self, *, write: bool):
        self.write = write
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = authenticate_token(token.strip())
        if api_token is None:
            return None  # ninja answers 401
        if self.write and not api_token.can_write:
            raise ReadOnlyToken
        request.user = api_token.user
        request.api_token = api_token
        return api_token


read_auth = TokenAuth(write=False)
write_auth = TokenAuth(write=True)
