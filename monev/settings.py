"""The one settings module. Every value that differs between a laptop and production comes from
the environment (see .env.example); a malformed value stops the process with a clear message."""

import os
from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name, "").strip()
    return value if value else default


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true/false).")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def env_float(name: str, default: float | None) -> float | None:
    value = env_str(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


MONEV_ENV = env_str("MONEV_ENV", "development")
if MONEV_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"MONEV_ENV={MONEV_ENV!r}: use 'development' or 'production'.")
PRODUCTION = MONEV_ENV == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when MONEV_ENV=production.")

SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when MONEV_ENV=production.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when MONEV_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",
    "ninja",  # listed so its docs page uses the Swagger UI files shipped in the package (no CDN)
    "core",
    "program",
    "reports",
    "meetings",
    "lke",
    "monitoring",
    "api",
]

MIDDLEWARE = [
    # First: the request id and the access log line cover everything below, redirects included.
    "core.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.PreferredLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
    "core.middleware.FriendlyNotFoundMiddleware",
]

ROOT_URLCONF = "monev.urls"
# Composition across apps, by the project: the Laporan akhir draft (reports) shows the village's
# LKE result, and reports may not import lke (lke reads reports). Empty: the draft has no LKE part.
FINAL_DRAFT_LKE_RESULT = "lke.queries.final_result_of_village"
WSGI_APPLICATION = "monev.wsgi.application"
AUTH_USER_MODEL = "core.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    }
]

# SQLite under var/ by default so a fresh clone runs with no server; PostgreSQL via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'monev.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60 if PRODUCTION else 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        # A writer waits up to 20 s for another's lock instead of 5 (a busy machine, the
        # threaded test server's parallel htmx saves) rather than failing with "locked".
        "timeout": 20,
    }
    # The browser tests' database in a file (make e2e): an in-memory test database is shared
    # by the live server's threads through SQLite's shared cache, where a reader meeting a
    # writer fails at once ("database table is locked: lke_answer", seen on parallel htmx
    # saves) instead of waiting as it does on the file a real server uses.
    if env_str("SQLITE_TEST_NAME"):
        DATABASES["default"]["TEST"] = {"NAME": env_str("SQLITE_TEST_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Several app servers share one cache (Redis) when REDIS_URL is set; then sessions are read
# from it and written through to the database ("cached_db": a flushed or restarted Redis logs
# nobody out). Without it: a per-process cache and sessions in the database, which every
# server shares too. Login attempts (django-axes) always live in the database (AXES_HANDLER).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL is None:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
elif REDIS_URL.split("://", 1)[0] in {"redis", "rediss", "unix"}:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "monev"),
            "TIMEOUT": 300,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    raise ImproperlyConfigured(
        f"REDIS_URL={REDIS_URL!r}: use redis://HOST:PORT/DB, rediss://… or unix://…"
    )

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "program:home"
LOGOUT_REDIRECT_URL = "login"

# Login lockout: after AXES_FAILURE_LIMIT wrong passwords for one username from one address, that
# pair is locked for AXES_COOLOFF_MINUTES. Attempts live in the database, so every app server
# agrees. Behind a load balancer, AXES_PROXY_COUNT tells how many proxies add X-Forwarded-For.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # shared by every app server
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
_proxy_count = env_int("AXES_PROXY_COUNT", 0)
if _proxy_count:
    AXES_IPWARE_PROXY_COUNT = _proxy_count
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:  # without a trusted proxy, a client could forge X-Forwarded-For to dodge the lockout
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The SSO BPS callback carries no password to guess (the provider guards those): a refused SSO
# login is not a failed attempt, and no lockout stops the callback.
AXES_WHITELIST_CALLABLE = "core.sso.is_sso_callback"


def oidc_settings(issuer: str, client_id: str, client_secret: str) -> dict:
    """The settings of the SSO BPS login (mozilla-django-oidc, core/sso.py) for the Keycloak
    realm at `issuer` (https://…/auth/realms/pegawai-bps): its endpoints are Keycloak's paths
    under the realm. Accounts are never created from a token (OIDC_CREATE_USER=False): an SSO
    user must be registered in the app (core.sso.SSOBackend)."""
    issuer = issuer.rstrip("/")
    if not issuer.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"OIDC_ISSUER={issuer!r} is not an http(s) address.")
    if not client_secret:
        raise ImproperlyConfigured("OIDC_ISSUER needs OIDC_RP_CLIENT_SECRET too.")
    endpoints = f"{issuer}/protocol/openid-connect"
    return {
        "SSO_ENABLED": True,
        "OIDC_ISSUER": issuer,
        "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{endpoints}/auth",
        "OIDC_OP_TOKEN_ENDPOINT": f"{endpoints}/token",
        "OIDC_OP_USER_ENDPOINT": f"{endpoints}/userinfo",
        "OIDC_OP_JWKS_ENDPOINT": f"{endpoints}/certs",
        "OIDC_OP_LOGOUT_ENDPOINT": f"{endpoints}/logout",
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": client_secret,
        "OIDC_RP_SIGN_ALGO": env_str("OIDC_RP_SIGN_ALGO", "RS256"),
        "OIDC_RP_SCOPES": env_str("OIDC_RP_SCOPES", "openid email profile"),
        "OIDC_TIMEOUT": env_int("OIDC_TIMEOUT_SECONDS", 10),
        "OIDC_VERIFY_SSL": env_bool("OIDC_VERIFY_SSL", True),
        "OIDC_USE_PKCE": True,
        "OIDC_USE_NONCE": True,
        "OIDC_CREATE_USER": False,
        "OIDC_STORE_ID_TOKEN": True,  # the id_token_hint of the logout at the provider
        "OIDC_AUTHENTICATION_CALLBACK_URL": "sso_callback",
        "LOGIN_REDIRECT_URL_FAILURE": "login",
    }


# Login with SSO BPS beside the local login: on when OIDC_ISSUER and OIDC_RP_CLIENT_ID are set.
SSO_ENABLED = False
AUTHENTICATION_BACKENDS.append("core.sso.SSOBackend")  # inert while SSO_ENABLED is off
if env_str("OIDC_ISSUER") or env_str("OIDC_RP_CLIENT_ID"):
    if not (env_str("OIDC_ISSUER") and env_str("OIDC_RP_CLIENT_ID")):
        raise ImproperlyConfigured("SSO BPS needs both OIDC_ISSUER and OIDC_RP_CLIENT_ID.")
    globals().update(
        oidc_settings(
            env_str("OIDC_ISSUER"), env_str("OIDC_RP_CLIENT_ID"), env_str("OIDC_RP_CLIENT_SECRET")
        )
    )

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["monev.formats"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic fills STATIC_ROOT in production; locally, static files come from the app dirs.
STATIC_ROOT = BASE_DIR / "staticfiles" if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# Files are never served from a public URL: permission-checked views stream them.
FILE_STORAGE = env_str("FILE_STORAGE", "local")


def s3_storage_options() -> dict:
    """The options of the S3 storage (django-storages) from the S3_* variables.

    A private bucket: objects get no ACL of their own, so they inherit the bucket's (private,
    public access blocked; a bucket with ACLs disabled refuses per-object ACLs anyway), and the
    app's policy needs no s3:PutObjectAcl. Downloads are streamed by the permission-checked
    views (core.views.attachment_response); no URL of the bucket is ever shown. Without keys,
    boto3's own chain is used (instance role, AWS_* variables)."""
    addressing_style = env_str("S3_ADDRESSING_STYLE", "auto")
    if addressing_style not in {"auto", "path", "virtual"}:
        raise ImproperlyConfigured(
            f"S3_ADDRESSING_STYLE={addressing_style!r}: use 'auto', 'path' or 'virtual'."
        )
    bucket = env_str("S3_BUCKET")
    if not bucket:
        raise ImproperlyConfigured("FILE_STORAGE=s3 needs S3_BUCKET.")
    return {
        "bucket_name": bucket,
        "endpoint_url": env_str("S3_ENDPOINT_URL"),
        "region_name": env_str("S3_REGION"),
        "access_key": env_str("S3_ACCESS_KEY"),
        "secret_key": env_str("S3_SECRET_KEY"),
        "addressing_style": addressing_style,
        "signature_version": "s3v4",
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
    }


if FILE_STORAGE == "local":
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    }
elif FILE_STORAGE == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_storage_options(),
    }
else:
    raise ImproperlyConfigured(f"FILE_STORAGE={FILE_STORAGE!r}: use 'local' or 's3'.")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 20) * 1024 * 1024
# An xlsx import is parsed, not just stored: a smaller ceiling (core.xlsx.open_workbook).
XLSX_IMPORT_MAX_BYTES = env_int("XLSX_IMPORT_MAX_MB", 5) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "monev-desacantik@localhost")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_SECONDS", 30)


def env_admins(name: str) -> list[tuple[str, str]]:
    """ADMINS="Name <a@b>, c@d": who gets the error reports (Django's AdminEmailHandler)."""
    value = env_str(name)
    if value is None:
        return []
    admins = getaddresses([value])
    if not admins or any("@" not in address or " " in address for _name, address in admins):
        raise ImproperlyConfigured(
            f"{name}={value!r}: use a comma-separated list of 'Name <address>' or addresses."
        )
    return admins


# Error reports (an exception in a request, under DEBUG=False) by e-mail to ADMINS, through the
# mail outbox like every other mail (settings.LOGGING, core.mail.OutboxBackend).
ADMINS = env_admins("ADMINS")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = "[Monev Desa Cantik] "
# The address of the site as users reach it: links in e-mails (sent by commands, not requests).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# The installation's name: the top of every page, the e-mails' signature, the .ics PRODID.
# Documents carry the name of the office issuing each (core.pdf.document_context), not this.
ORGANISATION_NAME = env_str("ORGANISATION_NAME", "Badan Pusat Statistik Provinsi Bengkulu")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE_SECONDS", 8 * 3600)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # Behind a load balancer that terminates TLS and sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # A load balancer's health check reaches the app server in plain HTTP, not through TLS.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# /healthz (core/health.py) warns when the oldest mail waiting in the outbox is older than this.
HEALTHZ_MAIL_MAX_AGE = env_int("HEALTHZ_MAIL_MAX_AGE_SECONDS", 15 * 60)

# Logs go to standard error: in production one JSON object per line (core.logs.JsonFormatter)
# for the log shipper, with the request id on every record of a request; one access line per
# request on `core.requests` (core.middleware.RequestLogMiddleware). Text for a developer.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "json" if PRODUCTION else "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use 'json' or 'text'.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.logs.RequestIdFilter"},
        "one_line_for_refusals": {"()": "core.logs.OneLineForRefusals"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "json": {"()": "core.logs.JsonFormatter"},
        "text": {"format": "%(levelname)s %(name)s: %(message)s"},
        "error_report": {"format": "%(message)s\n\nRequest ID: %(request_id)s"},
    },
    # A refused request (403/404/400) is one line, not a traceback (core/logs.py): on the
    # request logger, and on the handler for the django.security.* loggers.
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "one_line_for_refusals"],
            "formatter": LOG_FORMAT,
        },
        # A server error (5xx) of a request, mailed to ADMINS through the outbox.
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "request_id"],
            "formatter": "error_report",
            "email_backend": "core.mail.OutboxBackend",
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # No handlers of its own: this replaces Django's default ones (a console for DEBUG and
        # a mail_admins on every django.* logger that would mail each DisallowedHost).
        "django": {"handlers": [], "level": LOG_LEVEL},
        "django.request": {"handlers": ["mail_admins"], "filters": ["one_line_for_refusals"]},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Error reports to Sentry as well when SENTRY_DSN is set (independent of ADMINS).
SENTRY_DSN = env_str("SENTRY_DSN")


def init_sentry(
    dsn: str | None, *, environment: str, release: str | None, traces_sample_rate: float | None
) -> bool:
    """Start the Sentry SDK when a DSN is given (else nothing is imported or sent): Django's
    integration reports unhandled exceptions and ERROR log records; send_default_pii=False
    keeps users' names, addresses, cookies and request bodies out of the reports; each event is
    tagged with the request id, as in the log. Tracing only when a sample rate is given."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    def tag_request_id(event, _hint):
        from core.logs import current_request_id

        request_id = current_request_id()
        if request_id:
            event.setdefault("tags", {})["request_id"] = request_id
        return event

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration()],
        before_send=tag_request_id,
    )
    return True


SENTRY_ENABLED = init_sentry(
    SENTRY_DSN,
    environment=env_str("SENTRY_ENVIRONMENT", MONEV_ENV),
    release=env_str("SENTRY_RELEASE"),
    traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", None),
)
