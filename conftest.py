"""Named personas and a little program data, shared by every app's tests.

The Bengkulu regions and offices are loaded once per test database (they are reference data);
each test adds its own people and program data inside its transaction."""

import io
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from core.models import Membership, Office, Region, Role, User
from program.models import ParticipatingVillage, ProgramYear, VillageKind
from program.services import create_program_year

PASSWORD = "Sandi-Uji-2026!"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_reference", stdout=io.StringIO())


@pytest.fixture(autouse=True)
def _reference_data_after_a_transactional_test(request, django_db_blocker):
    """A transactional test (live server, two workers, a real commit) empties every table when
    it ends, the reference data loaded once for the session included: load it again, so the
    tests after it find the offices and regions whatever the order."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if transactional:
        with django_db_blocker.unblock():
            call_command("load_reference", stdout=io.StringIO())


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }


@pytest.fixture(autouse=True)
def _indonesian(settings):
    settings.LANGUAGE_CODE = "id"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a rolled-back test leaves audit ids and counters
    that the next test reuses, so a page cached by one test must not serve the next. The same
    for the instrument trees a process keeps (lke.scoring)."""
    from lke.scoring import forget_trees

    cache.clear()
    forget_trees()


def make_user(username: str, office_code: str | None, role: str | None, **extra) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, full_name=username.replace("_", " ").title(), **extra
    )
    if office_code:
        Membership.objects.create(user=user, office=Office.objects.get(code=office_code), role=role)
    return user


@pytest.fixture
def province(db) -> Office:
    return Office.objects.get(code="1700")


@pytest.fixture
def rejang_lebong(db) -> Office:
    return Office.objects.get(code="1702")


@pytest.fixture
def kaur(db) -> Office:
    return Office.objects.get(code="1704")


@pytest.fixture
def kepala(db):
    return make_user("kepala", "1700", Role.KEPALA)


@pytest.fixture
def ketua_tim(db):
    return make_user("ketua_tim", "1700", Role.KETUA_TIM)


@pytest.fixture
def tim_provinsi(db):
    return make_user("tim_provinsi", "1700", Role.TIM_PROVINSI)


@pytest.fixture
def viewer_provinsi(db):
    return make_user("viewer_provinsi", "1700", Role.VIEWER)


@pytest.fixture
def admin_provinsi(db):
    return make_user("admin_provinsi", "1700", Role.ADMIN, is_staff=True)


@pytest.fixture
def tim_rejang_lebong(db):
    return make_user("tim_rejang_lebong", "1702", Role.TIM_KABKOTA)


@pytest.fixture
def pimpinan_rejang_lebong(db):
    return make_user("pimpinan_rejang_lebong", "1702", Role.PIMPINAN_KABKOTA)


@pytest.fixture
def viewer_rejang_lebong(db):
    return make_user("viewer_rejang_lebong", "1702", Role.VIEWER)


@pytest.fixture
def tim_kaur(db):
    return make_user("tim_kaur", "1704", Role.TIM_KABKOTA)


@pytest.fixture
def year_2026(province) -> ProgramYear:
    return create_program_year(province, year=2026, by=None)


def desa_in(office: Office, index: int = 0) -> Region:
    return Region.objects.filter(
        level=Region.Level.DESA, code__startswith=office.region.code + "."
    ).order_by("code")[index]


@pytest.fixture
def village_rejang_lebong(year_2026, rejang_lebong, tim_rejang_lebong) -> ParticipatingVillage:
    village = ParticipatingVillage.objects.create(
        program_year=year_2026,
        village=desa_in(rejang_lebong),
        office=rejang_lebong,
        kind=VillageKind.UTAMA,
    )
    village.pembina.add(tim_rejang_lebong)
    return village


@pytest.fixture
def village_kaur(year_2026, kaur) -> ParticipatingVillage:
    return ParticipatingVillage.objects.create(
        program_year=year_2026, village=desa_in(kaur), office=kaur, kind=VillageKind.TAMBAHAN
    )


# --- browser tests ---------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (a test tool's own browser download cannot work
    here). Only browser tests (marked e2e) use it."""
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # itself are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def e2e_data(transactional_db):
    """Reference data for a live-server test (transactional tests empty the tables after)."""
    call_command("load_reference", stdout=io.StringIO())


@pytest.fixture
def page(browser, live_server, e2e_data, tmp_path):
    """A fresh browser page that fails the test on any console error or page error."""
    context = browser.new_context(base_url=live_server.url, locale="id-ID")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.screenshots = tmp_path  # where `screenshot(page, name)` saves
    page.expected_errors = []  # substrings of console errors a test provokes on purpose
    yield page
    context.close()
    assert [p for p in problems if not any(e in p for e in page.expected_errors)] == []


def screenshot(page, name: str) -> None:
    """Save a full-page screenshot in the test's temporary folder (and, when E2E_SCREENSHOTS
    names a folder, there too, to look at)."""
    import os
    from pathlib import Path

    page.screenshot(path=page.screenshots / f"{name}.png", full_page=True)
    extra = os.environ.get("E2E_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(extra) / f"{name}.png", full_page=True)


def browser_login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


# --- a real SMTP server ------------------------------------------------------------------------


class SmtpServer:
    """An aiosmtpd server in this process on a free loopback port; `messages` holds what it
    received (parsed), `envelopes` the (sender, recipients) of each. `stop()` makes it
    unreachable (connections are refused) and `start()` brings it back on the same port."""

    def __init__(self):
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.messages = []
        self.envelopes = []
        self._controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        from email import message_from_bytes, policy

        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"

    def start(self):
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server(settings):
    """Mail goes over SMTP to a real server on loopback for this test."""
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


# --- a real S3-compatible server ---------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """moto in server mode (`moto_server`, a separate process speaking the S3 protocol over
    HTTP) on a free loopback port, for the whole session; its endpoint URL."""
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"moto_server exited with {server.returncode}")
                time.sleep(0.05)
        else:
            pytest.fail("moto_server did not answer within 10 s")
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def s3_bucket(settings, monkeypatch, s3_server):
    """Files of this test go to a fresh bucket on the S3 server, with the storage options that
    FILE_STORAGE=s3 gives (monev.settings.s3_storage_options, read from the S3_* variables);
    the boto3 Bucket, to look inside it."""
    import uuid

    import boto3

    from monev.settings import s3_storage_options

    for name, value in {
        "S3_BUCKET": f"monev-test-{uuid.uuid4().hex[:12]}",
        "S3_ENDPOINT_URL": s3_server,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY": "monev-test",
        "S3_SECRET_KEY": "monev-test-secret",
        "S3_ADDRESSING_STYLE": "path",
    }.items():
        monkeypatch.setenv(name, value)
    options = s3_storage_options()
    bucket = boto3.resource(
        "s3",
        endpoint_url=options["endpoint_url"],
        region_name=options["region_name"],
        aws_access_key_id=options["access_key"],
        aws_secret_access_key=options["secret_key"],
    ).Bucket(options["bucket_name"])
    bucket.create()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    yield bucket
    bucket.objects.all().delete()
    bucket.delete()


# --- a real OpenID Connect provider (SSO BPS) --------------------------------------------------

OIDC_PROVIDER_DIR = Path(__file__).resolve().parent / "scripts" / "oidc-provider"


class OidcProvider:
    """scripts/oidc-provider/server.js (the npm package `oidc-provider` on the machine's Node.js)
    on a free loopback port: a Keycloak-shaped realm `pegawai-bps` whose people (users.json)
    carry the SSO BPS claims. `rp_bases`: the addresses of the app it may send people back to.
    Its node_modules are installed with `npm ci` when missing."""

    realm = "pegawai-bps"
    client_id = "monev-desacantik"
    client_secret = "rahasia-klien-uji-monev-desacantik"

    def __init__(self, rp_bases: list[str]):
        import json

        self.rp_bases = rp_bases
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.origin}/auth/realms/{self.realm}"
        self.users = json.loads((OIDC_PROVIDER_DIR / "users.json").read_text())["users"]
        self._process = None

    def settings(self) -> dict:
        from monev.settings import oidc_settings

        return oidc_settings(self.issuer, self.client_id, self.client_secret)

    @staticmethod
    def install() -> None:
        import shutil
        import subprocess

        if (OIDC_PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
            return
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("the SSO tests need Node.js and npm (apt-get install nodejs npm)")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=OIDC_PROVIDER_DIR,
            check=True,
            timeout=300,
        )

    def start(self) -> None:
        import os
        import shutil
        import subprocess
        import time
        import urllib.request

        self.install()
        self._process = subprocess.Popen(
            [shutil.which("node") or "node", "server.js"],
            cwd=OIDC_PROVIDER_DIR,
            env={
                **os.environ,
                "PORT": str(self.port),
                "RP_BASES": ",".join(self.rp_bases),
                "CLIENT_ID": self.client_id,
                "CLIENT_SECRET": self.client_secret,
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        discovery = f"{self.issuer}/.well-known/openid-configuration"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(discovery, timeout=1)
                return
            except OSError:
                if self._process.poll() is not None:
                    pytest.fail(f"the OIDC provider exited: {self._process.stderr.read()}")
                time.sleep(0.1)
        self.stop()
        pytest.fail("the OIDC provider did not answer within 30 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except Exception:
                self._process.kill()
                self._process.wait()
            self._process = None


@pytest.fixture(scope="session")
def oidc_provider():
    """The provider for the test client (the app at http://testserver), for the session."""
    provider = OidcProvider(["http://testserver"])
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def sso_on(settings, oidc_provider):
    """SSO BPS on for this test, with the settings OIDC_ISSUER etc. give, against the provider."""
    for name, value in oidc_provider.settings().items():
        setattr(settings, name, value)
    return oidc_provider


@pytest.fixture(scope="session")
def oidc_provider_live(live_server):
    """The provider for the browser tests: it sends people back to the live server."""
    provider = OidcProvider([live_server.url])
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def sso_on_live(settings, oidc_provider_live):
    for name, value in oidc_provider_live.settings().items():
        setattr(settings, name, value)
    return oidc_provider_live
