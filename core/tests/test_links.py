"""No dead links: every demo role, logged in, follows the links of the pages it reaches from
its home (same site, GET, a few pages per URL shape) and never lands on a 404, a 403 or a
server error. The demo data is what `make run` shows (load_instruments, then seed_demo)."""

import io
import re
from collections import Counter, deque
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import time_machine
from django.core.management import call_command

from core.deadlines import JAKARTA
from core.models import User

ROLES = ["ketua.tim", "kepala", "viewer", "tim.kaur", "kepala.kaur"]
PER_SHAPE = 1  # pages visited per URL shape (/laporan/sosialisasi/desa/<n>/ ...)
MAX_PAGES = 120  # per role: bounded, the crawl takes seconds, not minutes
SKIP = ("/keluar/", "/admin/", "/static/", "/media/", "/api/")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def shape(path: str) -> str:
    return re.sub(r"\d+", "<n>", path)


@time_machine.travel(datetime(2026, 11, 25, 9, tzinfo=JAKARTA), tick=False)
def test_every_link_each_demo_role_is_shown_leads_somewhere(db, client):
    call_command("load_instruments", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    broken = []
    for username in ROLES:
        client.force_login(User.objects.get(username=username))
        pages = crawl(client, broken, username)
        assert pages > 20, (username, pages)
    assert not broken, "\n".join(broken)


def crawl(client, broken: list[str], username: str) -> int:
    seen, shapes = set(), Counter()
    queue = deque([("/", "(start)")])
    while queue and len(seen) < MAX_PAGES:
        url, source = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code in (301, 302):
            continue
        if response.status_code != 200:
            broken.append(f"{username}: {url} ({response.status_code}) linked from {source}")
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        parser = Links()
        parser.feed(response.content.decode())
        for href in parser.hrefs:
            target = urldefrag(urljoin(url, href))[0]
            parts = urlsplit(target)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path.startswith(SKIP) or path in seen:
                continue
            if shapes[shape(path)] >= PER_SHAPE:
                continue
            shapes[shape(path)] += 1
            queue.append((path, url))
    return len(seen)
