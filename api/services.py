"""Writes of API tokens: create (the secret is returned once) and revoke. Both audited."""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import User
from core.permissions import can_change_own_settings, require
from core.services import audit, locked

from .models import ApiToken, Scope

TOKEN_PREFIX = "mdc_"
MAX_ACTIVE_TOKENS = 20


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_token(user: User, *, name: str, scope: str, by: User) -> tuple[ApiToken, str]:
    """Make a token for `user` and return it with its secret, which is never stored (only its
    sha256) and cannot be shown again. Only the user makes their own tokens; a name is needed;
    at most MAX_ACTIVE_TOKENS active at once. Audited on the token (not the secret)."""
    require(
        can_change_own_settings(by, user) and user.is_active,
        _("Only you can make API tokens for your own account."),
    )
    name = name.strip()
    errors = {}
    if not name:
        errors["name"] = _("Give the token a name, e.g. the system that will use it.")
    elif len(name) > 100:
        errors["name"] = _("The name is at most 100 characters.")
    if scope not in Scope.values:
        errors["scope"] = _("Choose read only, or read and write.")
    if errors:
        raise ValidationError(errors)
    if user.api_tokens.filter(revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            _("You already have %(n)s active tokens; revoke one first.") % {"n": MAX_ACTIVE_TOKENS}
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, scope=scope, prefix=secret[:12], digest=token_digest(secret)
    )
    audit(
        token,
        by=by,
        action="api_token.create",
        changes={"name": (None, name), "scope": (None, scope)},
    )
    return token, secret


@transaction.atomic
def revoke_token(token: ApiToken, *, by: User) -> ApiToken:
    """Revoke a token: from this moment it authenticates nothing. Only its owner revokes it (a
    superuser may too, e.g. for a leaked token). Revoking twice changes nothing. Audited."""
    require(
        by is not None and (by.pk == token.user_id or by.is_superuser),
        _("Only the owner of an API token (or an operator) can revoke it."),
    )
    token = locked(ApiToken, token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at, token.revoked_by = timezone.now(), by
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit(token, by=by, action="api_token.revoke", changes={"revoked_at": (None, token.revoked_at)})
    return token


# Writing last_used_at on every request would turn every read into a write; once a minute is
# precise enough to tell a token in use from a forgotten one.
LAST_USED_PRECISION = 60


@transaction.atomic
def renew_token(user: User, *, name: str, scope: str, by: User) -> tuple[ApiToken, str]:
    """A fresh token named `name` for a system that cannot keep its secret between runs (the
    bench, the load test): the user's active tokens of that name are revoked first (each
    audited), then one is made as create_token makes it."""
    for token in user.api_tokens.filter(name=name.strip(), revoked_at__isnull=True):
        revoke_token(token, by=by)
    return create_token(user, name=name, scope=scope, by=by)


def authenticate_token(secret: str) -> ApiToken | None:
    """The active token whose secret this is, with its user, or None. Refreshes last_used_at
    (at most once a minute). Not audited: it changes no data of the domain."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if (
        token.last_used_at is None
        or (now - token.last_used_at).total_seconds() > LAST_USED_PRECISION
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
