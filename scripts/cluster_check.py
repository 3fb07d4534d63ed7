"""Drive a running cluster through its load balancer, as a browser would (scripts/cluster).

    python scripts/cluster_check.py BASE_URL CA_FILE TARGETS_JSON ROUND

One round: the health check (/healthz: database, S3, Redis and the mail outbox ok, the request
id that nginx gave the request echoed back), log in (CSRF), upload an LKE evidence file,
download it through the permission check, save an LKE self-assessment answer, open the
dashboard, download a PDF; each request prints the app server that answered (nginx's
X-Upstream header). ROUND "both" also checks that both app servers answered and that
consecutive requests landed on different ones; ROUND "one" (after an app server was stopped)
that every step still succeeds. ROUND "sso" logs in once through SSO BPS (the OpenID Connect
provider of scripts/oidc-provider, TARGETS_JSON's "sso": its address and the person), shows the
home page under that person's name, and logs out of the app and of the provider; the app's
requests go through the load balancer, the provider's straight to it, as a browser's would.
Exits non-zero on the first failure. Standard library only
(urllib), so it needs nothing beyond Python."""

import html
import http.cookiejar
import json
import re
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

PASSWORD = "DesaCantik-2026"  # the demo's (monitoring/management/commands/seed_demo.py)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 302 is an answer to check, not to follow


class Browser:
    def __init__(self, base: str, ca_file: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca_file)),
            urllib.request.HTTPCookieProcessor(self.cookies),
            NoRedirect,
        )
        self.upstreams: list[str] = []

    def request(self, method: str, path: str, *, data=None, headers=None, expect=200, what=""):
        url = self.base + path
        headers = {"Referer": url, **(headers or {})}  # Django checks the Referer over HTTPS
        if method == "POST" and self.csrf_token():
            headers["X-CSRFToken"] = self.csrf_token()
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        started = time.monotonic()
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:  # 3xx (not followed) and 4xx/5xx
            response = error
        body = response.read()
        upstream = response.headers.get("X-Upstream", "?")
        self.upstreams.append(upstream.split(", ")[-1])  # after a retry: the server that answered
        print(
            f"  {method:4} {path:58.58} {response.status} {len(body):>7} B "
            f"{(time.monotonic() - started) * 1000:5.0f} ms  app server {upstream}"
            + (f"  ({what})" if what else "")
        )
        if response.status != expect:
            fail(f"{method} {path}: expected {expect}, got {response.status}\n{body[:2000]!r}")
        return response, body

    def csrf_token(self) -> str | None:
        return next((c.value for c in self.cookies if c.name == "csrftoken"), None)

    def post_form(self, path: str, fields: dict, *, expect=302, what=""):
        data = urllib.parse.urlencode(fields).encode()
        return self.request(
            "POST",
            path,
            data=data,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            expect=expect,
            what=what,
        )

    def post_file(self, path: str, field: str, name: str, content: bytes, *, expect=302, what=""):
        boundary = uuid.uuid4().hex
        data = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                f'filename="{name}"\r\nContent-Type: application/pdf\r\n\r\n'
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request(
            "POST",
            path,
            data=data,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            expect=expect,
            what=what,
        )


def fail(message: str) -> None:
    print(f"FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def check_health(browser: Browser) -> None:
    response, body = browser.request("GET", "/healthz", what="health check")
    health = json.loads(body)
    checks = {name: check["status"] for name, check in health["checks"].items()}
    print(
        "    "
        + ", ".join(
            f"{name} {status} ({health['checks'][name]['ms']} ms)"
            for name, status in checks.items()
        )
        + f"; oldest unsent mail: {health['checks']['mail_outbox']['oldest_unsent_seconds']} s"
    )
    services_ok = all(checks.get(name) == "ok" for name in ("database", "storage", "cache"))
    if not services_ok or checks.get("mail_outbox") not in {"ok", "warn"}:
        fail(f"/healthz: {checks}")
    if not re.fullmatch(r"[0-9a-f]{32}", response.headers.get("X-Request-ID", "")):
        fail(f"/healthz: no request id from nginx: {response.headers.get('X-Request-ID')!r}")


def one_round(browser: Browser, targets: dict, round_name: str) -> None:
    ws, item = targets["worksheet"], targets["item"]
    worksheet_path = f"/lke/lembar/{ws}/"

    check_health(browser)

    _response, page = browser.request("GET", "/masuk/", what="login page, CSRF cookie")
    if not browser.csrf_token():
        fail("the login page set no CSRF cookie")
    if b"csrfmiddlewaretoken" not in page:
        fail("the login page has no CSRF field")
    response, _body = browser.post_form(
        "/masuk/",
        {"username": targets["username"], "password": PASSWORD, "next": worksheet_path},
        what=f"log in as {targets['username']}",
    )
    if response.headers["Location"] != worksheet_path:
        fail(f"login redirected to {response.headers['Location']}, not the worksheet")

    content = b"%PDF-1.7\n% cluster check " + uuid.uuid4().hex.encode() + b"\n%%EOF\n"
    browser.post_file(
        f"/lke/lembar/{ws}/butir/{item}/bukti/berkas/",
        "file",
        f"bukti-{round_name}.pdf",
        content,
        what="upload evidence (stored in S3)",
    )
    _response, page = browser.request("GET", worksheet_path, what="worksheet, finds the file")
    downloads = re.findall(rf"/lke/lembar/{ws}/bukti/(\d+)/unduh/".encode(), page)
    if not downloads:
        fail("the uploaded evidence is not on the worksheet page")
    evidence = max(int(pk) for pk in downloads)
    _response, body = browser.request(
        "GET", f"/lke/lembar/{ws}/bukti/{evidence}/unduh/", what="download evidence, same bytes"
    )
    if body != content:
        fail("the downloaded file differs from the uploaded one")

    form = re.search(
        rf'action="/lke/lembar/{ws}/butir/{item}/".*?name="version" value="(\d+)"'.encode(),
        page,
        re.S,
    )
    if not form:
        fail(f"no answer form for item {item} on the worksheet page")
    option = targets["options"][0 if round_name == "both" else 1]
    browser.post_form(
        f"/lke/lembar/{ws}/butir/{item}/",
        {"level": "self", "version": form.group(1), "option": option, "note": round_name},
        what=f"save LKE answer (option {option}, version {form.group(1).decode()})",
    )
    _response, page = browser.request("GET", worksheet_path, what="worksheet, answer saved")
    if not re.search(rf'value="{option}"[^>]*id="o{option}-self" checked'.encode(), page):
        fail("the saved answer is not checked on the worksheet page")

    response, _body = browser.request("GET", "/dasbor/", expect=302, what="dashboard")
    office_dashboard = response.headers["Location"]  # a kab/kota team: its own office's page
    _response, page = browser.request("GET", office_dashboard, what="dashboard of Kaur")
    if b"Kaur" not in page:
        fail("the dashboard of Kaur does not name Kaur")
    response, body = browser.request(
        "GET", f"/laporan/akhir/desa/{targets['village']}/draf.pdf", what="PDF (final draft)"
    )
    if not body.startswith(b"%PDF-") or response.headers["Content-Type"] != "application/pdf":
        fail("the PDF download is not a PDF")


class Provider:
    """The person's browser at the SSO provider (plain HTTP on loopback, its own cookies)."""

    def __init__(self, origin: str, app_base: str):
        self.origin = origin
        self.app_base = app_base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )

    def open(self, url: str, data: dict | None = None, *, what: str = ""):
        """One request to the provider; (status, Location or None, final URL, body)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        started = time.monotonic()
        try:
            response = self.opener.open(urllib.request.Request(url, data=body), timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        page = response.read().decode("utf-8", "replace")
        print(
            f"  {'POST' if data is not None else 'GET':4} {urllib.parse.urlsplit(url).path:58.58} "
            f"{response.status} {len(page):>7} B {(time.monotonic() - started) * 1000:5.0f} ms  "
            f"SSO provider" + (f"  ({what})" if what else "")
        )
        location = response.headers.get("Location")
        return response.status, urllib.parse.urljoin(url, location) if location else None, page

    def follow(self, url: str, data: dict | None = None, *, what: str = ""):
        """Follow the provider's redirects: its own page (url, html), or the app path it sends
        the person back to (path, None)."""
        for _ in range(10):
            status, location, page = self.open(url, data, what=what)
            data, what = None, ""
            if status not in (301, 302, 303):
                if status != 200:
                    fail(f"the SSO provider answered {status} at {url}:\n{page[:1000]}")
                return url, page
            if location.startswith(self.app_base + "/"):
                return location[len(self.app_base) :], None
            url = location
        fail("the SSO provider redirected too many times")


def form_of(page: str) -> tuple[str, dict]:
    action = re.search(r'<form[^>]*action="([^"]+)"', page)
    if not action:
        fail(f"no form on the SSO provider's page:\n{page[:1000]}")
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    return html.unescape(action[1]), hidden


def sso_round(browser: Browser, targets: dict) -> None:
    sso = targets["sso"]
    provider = Provider(sso["origin"], browser.base)
    response, _body = browser.request("GET", "/sso/masuk/", expect=302, what="Masuk dengan SSO BPS")
    url, page = provider.follow(response.headers["Location"], what="realm pegawai-bps")
    if page is None or 'id="kc-form-login"' not in page:
        fail("the SSO provider did not show its login form")
    action, _hidden = form_of(page)
    back, page = provider.follow(
        urllib.parse.urljoin(url, action),
        {"username": sso["username"], "password": sso["password"]},
        what=f"log in as {sso['username']} at the provider",
    )
    if page is not None or not back.startswith("/sso/callback/?"):
        fail(f"the SSO provider did not send the person back to the callback: {back}")
    response, _body = browser.request(
        "GET", back, expect=302, what="callback: code → tokens → registered account"
    )
    home = response.headers["Location"]
    _response, page = browser.request("GET", home, what="home page of the SSO user")
    if sso["name"].encode() not in page:
        fail(f"the home page does not show {sso['name']} (logged in as someone else?)")
    print(f"    logged in through SSO BPS as {sso['name']} ({sso['account']} in the app)")
    response, _body = browser.post_form("/keluar/", {}, what="log out of the app")
    end_session = response.headers["Location"]
    if not end_session.startswith(sso["origin"] + "/"):
        fail(f"logging out did not lead to the SSO provider: {end_session}")
    url, page = provider.follow(end_session, what="end the SSO session")
    action, hidden = form_of(page)
    back, page = provider.follow(
        urllib.parse.urljoin(url, action), {**hidden, "logout": "yes"}, what="confirm"
    )
    if back != "/masuk/":
        fail(f"the SSO logout did not come back to the login page: {back}")
    response, _body = browser.request("GET", "/", expect=302, what="logged out: to the login")
    if not response.headers["Location"].startswith("/masuk/"):
        fail("after logging out the home page did not send to the login page")


def main(base: str, ca_file: str, targets_json: str, round_name: str) -> None:
    targets = json.loads(targets_json)
    browser = Browser(base, ca_file)
    if round_name == "sso":
        sso_round(browser, targets)
        answered = browser.upstreams
        print(
            f"  {len(answered)} requests to the app: "
            + ", ".join(f"{server} {answered.count(server)}" for server in sorted(set(answered)))
        )
        return
    one_round(browser, targets, round_name)
    answered = browser.upstreams
    switches = sum(1 for a, b in zip(answered, answered[1:], strict=False) if a != b)
    print(
        f"  {len(answered)} requests: "
        + ", ".join(f"{server} {answered.count(server)}" for server in sorted(set(answered)))
        + f"; {switches} times the next request went to the other server"
    )
    if round_name == "both":
        if set(answered) != set(targets["servers"]):
            fail(f"expected both app servers {targets['servers']} to answer, saw {set(answered)}")
        if switches < len(answered) // 2:
            fail("consecutive requests did not alternate between the app servers")
    elif set(answered) != {targets["servers"][1]}:
        fail(f"expected only {targets['servers'][1]} to answer, saw {set(answered)}")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
