"""What scripts/load drives the server with, from the bench database (seed_scale): logged-in
sessions, a CSRF token, an API token, the URLs of the measured pages and, for the mixed load,
pools of valid writes (provincial LKE answers not given yet, villages to add work-plan
activities to, complete draft or returned reports to submit). Writes `pages.tsv`
(name|URL|cookie header|extra header) and `mixed.lua` (the data of scripts/load-mixed.lua)
into the folder given.

Run by scripts/load with the bench DATABASE_URL:
    python scripts/load_setup.py OUTDIR"""

import os
import sys
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "monev.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.middleware.csrf import _get_new_csrf_string  # noqa: E402
from django.urls import reverse  # noqa: E402

from api.services import renew_token  # noqa: E402
from core.models import Membership, Office, Role, User  # noqa: E402
from lke.models import Answer, Level, Status, Worksheet  # noqa: E402
from lke.scoring import instrument_tree, required_items  # noqa: E402
from monitoring.management.commands.seed_scale import NATIONAL_TEAM  # noqa: E402
from program.models import ParticipatingVillage, ProgramYear  # noqa: E402
from reports.models import Report, ReportState  # noqa: E402
from reports.queries import SLUG_OF  # noqa: E402
from reports.services import requirements_of  # noqa: E402

YEAR = int(os.environ.get("LOAD_YEAR", "2026"))
POOL = int(os.environ.get("LOAD_POOL", "1500"))


def session_cookie(user) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.set_expiry(4 * 3600)
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def member(office: Office, role: str):
    return Membership.objects.filter(office=office, role=role).select_related("user").first().user


def lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(out: Path) -> None:
    typical = Office.objects.get(code="1700")
    largest = max(
        Office.objects.filter(kind=Office.Kind.PROVINSI), key=lambda o: o.children.count()
    )
    year = ProgramYear.objects.get(province=largest, year=YEAR)
    kabkota = largest.children.order_by("code").first()
    csrf = _get_new_csrf_string()
    users = {
        "typical": member(typical, Role.TIM_PROVINSI),
        "largest": member(largest, Role.TIM_PROVINSI),
        "kabkota": member(kabkota, Role.TIM_KABKOTA),
    }
    national = User.objects.filter(username=NATIONAL_TEAM).first()
    if national is not None:  # seed_scale's member of the national team (BPS RI)
        users["national"] = national
    cookies = {k: f"{session_cookie(u)}; csrftoken={csrf}" for k, u in users.items()}
    # One token per run, the earlier runs' ones revoked (a user holds at most 20 active ones).
    _token, secret = renew_token(users["largest"], name="load", scope="read", by=users["largest"])
    q = f"?tahun={YEAR}"
    dashboard = reverse("monitoring:dashboard") + q
    pages = [
        ("trivial page (login form)", reverse("login"), "", ""),
        ("dashboard (typical province)", dashboard, cookies["typical"], ""),
        ("dashboard (largest province)", dashboard, cookies["largest"], ""),
        ("LKE results (largest province)", reverse("lke:results") + q, cookies["largest"], ""),
        (
            "kab/kota drill-down",
            reverse("monitoring:office", args=[kabkota.pk]) + q,
            cookies["largest"],
            "",
        ),
        ("home, Tugas saya (kab/kota team)", reverse("program:home") + q, cookies["kabkota"], ""),
        *(
            [("national dashboard", reverse("monitoring:national") + q, cookies["national"], "")]
            if national is not None
            else []
        ),
        (
            "API read: dashboard figures",
            f"/api/v1/program-years/{year.pk}/dashboard",
            "",
            f"Authorization: Bearer {secret}",
        ),
    ]
    with open(out / "pages.tsv", "w", encoding="utf-8") as handle:
        for row in pages:
            handle.write("|".join(row) + "\n")

    # --- the mixed load's writes: each one valid the first time it is sent ----------------
    answers = []
    worksheets = Worksheet.objects.filter(
        assessment__program_year=year, status=Status.PROVINCIAL_VERIFICATION
    ).select_related("assessment__instrument")
    for worksheet in worksheets:
        tree = instrument_tree(worksheet.assessment.instrument, worksheet.target)
        given = set(
            Answer.objects.filter(worksheet=worksheet, level=Level.PROVINCIAL).values_list(
                "item_id", flat=True
            )
        )
        own = {
            a.item_id: a.option_id
            for a in Answer.objects.filter(worksheet=worksheet, level=Level.SELF)
        }
        for item in required_items(tree):
            option = own.get(item.pk)
            if item.pk in given or option is None:
                continue
            answers.append((reverse("lke:answer", args=[worksheet.pk, item.pk]), option))
        if len(answers) >= POOL:
            break
    villages = list(
        ParticipatingVillage.objects.filter(program_year=year, office=kabkota).values_list(
            "pk", flat=True
        )
    )
    # Reports to submit: the largest province's drafts and returned reports that meet every
    # rule of submission (seed_scale's drafts are incomplete; a returned report was complete
    # when first sent), each sent with a session of its own kab/kota team.
    reports = []
    team_cookies: dict[int, str] = {}
    candidates = Report.objects.filter(
        village__program_year=year, state__in=[ReportState.DRAFT, ReportState.RETURNED]
    ).select_related("village")
    for report in candidates.order_by("village__office__code", "village_id", "kind"):
        if not all(rule.met for rule in requirements_of(report)):
            continue
        office_id = report.village.office_id
        if office_id not in team_cookies:
            team = Membership.objects.filter(office_id=office_id, role=Role.TIM_KABKOTA).first()
            if team is None:
                continue
            team_cookies[office_id] = f"{session_cookie(team.user)}; csrftoken={csrf}"
        url = reverse("reports:report_submit", args=[SLUG_OF[report.kind], report.village_id])
        reports.append((url, team_cookies[office_id]))
    with open(out / "mixed.lua", "w", encoding="utf-8") as handle:
        handle.write(f"csrf = {lua_string(csrf)}\n")
        for name, cookie in cookies.items():
            handle.write(f"cookie_{name} = {lua_string(cookie)}\n")
        handle.write(f"api_token = {lua_string(secret)}\n")
        handle.write("reads = {\n")
        for name, url, cookie, header in pages[1:]:
            handle.write(
                f"  {{name = {lua_string(name)}, url = {lua_string(url)}, "
                f"cookie = {lua_string(cookie)}, header = {lua_string(header)}}},\n"
            )
        handle.write("}\nanswers = {\n")
        for url, option in answers:
            handle.write(f"  {{url = {lua_string(url)}, option = {option}}},\n")
        handle.write("}\nplan_urls = {\n")
        for pk in villages:
            handle.write(f"  {lua_string(reverse('program:activity_add', args=[pk]))},\n")
        handle.write("}\nreports = {\n")
        for url, cookie in reports:
            handle.write(f"  {{url = {lua_string(url)}, cookie = {lua_string(cookie)}}},\n")
        handle.write("}\n")
    print(
        f"{largest.name} ({largest.children.count()} kab/kota); {len(answers)} LKE answers, "
        f"{len(villages)} villages of {kabkota.name}, {len(reports)} complete draft or "
        f"returned reports to submit (of {len(team_cookies)} kab/kota)"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
