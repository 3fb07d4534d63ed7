"""Login with SSO BPS: OpenID Connect against BPS's Keycloak (realm `pegawai-bps`), beside the
local login, through mozilla-django-oidc.

The app authorises locally, as BPS apps do: an SSO user is let in only when an account is
registered for them here, found by the NIP claim, else by the e-mail; an active account only.
Anyone else is refused ("Anda tidak mempunyai akses untuk aplikasi ini") and no account is made.
On each SSO login the account's display name and NIP are taken from the claims; the offices and
roles are the app's own memberships, never the token's `organisasi`.

Settings: monev/settings.py `oidc_settings` (OIDC_ISSUER, OIDC_RP_CLIENT_ID, …); off unless set."""

import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from .models import User
from .services import record_sso_login, record_sso_refusal

log = logging.getLogger(__name__)

NO_ACCESS = "no_access"


def enabled() -> bool:
    return bool(getattr(settings, "SSO_ENABLED", False))


def claimed_nip(claims: dict) -> str:
    """The 18-digit NIP of the claims ("" when absent or malformed); SSO BPS may write it with
    spaces or dots between the digit groups."""
    nip = "".join(ch for ch in str(claims.get("nip") or "") if ch not in " .")
    return nip if len(nip) == 18 and nip.isdigit() else ""


def claimed_name(claims: dict) -> str:
    return " ".join(str(claims.get("name") or "").split())


def claimed_email(claims: dict) -> str:
    return str(claims.get("email") or "").strip()


class SSOBackend(OIDCAuthenticationBackend):
    """The OIDC code flow of mozilla-django-oidc, with the app's own account matching. Inert
    (authenticates nobody) while SSO is off, so it can stay in AUTHENTICATION_BACKENDS."""

    def __init__(self, *args, **kwargs):
        self.UserModel = User
        if enabled():
            super().__init__(*args, **kwargs)

    def authenticate(self, request, **kwargs):
        # Only on the callback, with what the login view stored: never a password login.
        if not enabled() or request is None or "username" in kwargs or "password" in kwargs:
            return None
        if request.path != reverse("sso_callback"):
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        """The signature and nonce (the library), and that the token is this realm's, for this
        client (the library checks neither)."""
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss") != settings.OIDC_ISSUER:
            raise SuspiciousOperation("The ID token is not from the configured issuer.")
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is not for this client.")
        return payload

    def verify_claims(self, claims):
        return bool(claims.get("sub")) and bool(claimed_nip(claims) or claimed_email(claims))

    def filter_users_by_claims(self, claims):
        """The accounts registered for the person: those with the claimed NIP, else those with
        the claimed e-mail (letter case aside; not one the provider says is unverified).
        Inactive ones too: they are refused by name."""
        nip = claimed_nip(claims)
        if nip:
            by_nip = User.objects.filter(nip=nip)
            if by_nip.exists():
                return by_nip
        email = claimed_email(claims)
        if email and claims.get("email_verified") is not False:
            return User.objects.filter(email__iexact=email)
        return User.objects.none()

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            return self.refuse(claims, _("The SSO BPS token carries neither a NIP nor an e-mail."))
        users = list(self.filter_users_by_claims(claims))
        if not users:
            return self.create_user(claims)
        if len(users) > 1:
            return self.refuse(
                claims,
                _("Several accounts have this NIP or e-mail: %(accounts)s.")
                % {"accounts": ", ".join(sorted(u.username for u in users))},
            )
        user = users[0]
        if not user.is_active:
            return self.refuse(claims, _("The account is deactivated."), user=user)
        return self.update_user(user, claims)

    def create_user(self, claims):
        """Never: SSO BPS does not make accounts here (OIDC_CREATE_USER is off as well)."""
        return self.refuse(claims, _("No account is registered for this NIP or e-mail."))

    def update_user(self, user, claims):
        record_sso_login(user, full_name=claimed_name(claims), nip=claimed_nip(claims))
        return user

    def refuse(self, claims, reason: str, user: User | None = None) -> None:
        record_sso_refusal(
            name=claimed_name(claims),
            nip=claimed_nip(claims),
            email=claimed_email(claims),
            reason=reason,
            user=user,
        )
        self.request.sso_refused = NO_ACCESS
        log.info("SSO BPS login refused (sub %s): %s", claims.get("sub"), reason)
        return None

    def get_user(self, user_id):
        # Django's check (an inactive account's session ends), not the library's, which has none.
        return ModelBackend.get_user(self, user_id)


class _LoginView(OIDCAuthenticationRequestView):
    pass


class _CallbackView(OIDCAuthenticationCallbackView):
    def get(self, request):
        try:
            return super().get(request)
        except (SuspiciousOperation, requests.RequestException) as error:
            # A replayed or forged callback, a token of another realm or client, the provider
            # not answering: nobody is let in, and the login page says so.
            log.warning("SSO BPS login failed: %s", error)
            return self.login_failure()

    @property
    def failure_url(self):
        return resolve_url("login")

    def login_failure(self):
        if getattr(self.request, "sso_refused", None) == NO_ACCESS:
            messages.error(self.request, _("You do not have access to this application."))
        else:
            messages.error(
                self.request,
                _(
                    "Logging in with SSO BPS did not succeed. Try again, or log in with your "
                    "username and password."
                ),
            )
        return super().login_failure()


@never_cache
def login(request):
    """Start the SSO BPS login: off to the provider's login page, back at `callback`."""
    if not enabled():
        raise Http404
    return _LoginView.as_view()(request)


@never_cache
def callback(request):
    if not enabled():
        raise Http404
    return _CallbackView.as_view()(request)


def end_session_url(request) -> str | None:
    """Where logging out sends a user who came in through SSO BPS: the provider's end-session
    endpoint, which ends the SSO session too and comes back to the login page. None for a
    local login. Read before the session is flushed."""
    id_token = request.session.get("oidc_id_token")
    if not enabled() or not id_token:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
            "client_id": settings.OIDC_RP_CLIENT_ID,
        }
    )
    return f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?{query}"


def is_sso_callback(request, credentials) -> bool:
    """django-axes' whitelist (AXES_WHITELIST_CALLABLE): the SSO callback is never locked out
    and its refusals are not counted as failed password attempts."""
    return (
        request is not None
        and not (credentials or {}).get("username")
        and request.path == reverse("sso_callback")
    )
