"""Server time and query count of the pages the performance budget names (DESIGN.md), measured
on the data of `seed_scale`.

Each case is requested through django.test.Client as a logged-in province user: warm-ups first,
then timed runs (time.perf_counter around the whole request, the response body read to the end),
then one more run under CaptureQueriesContext for the query count. Timed runs use DEBUG=False so
the query log costs nothing. Pages are measured uncached (the page cache, core.pagecache, is
emptied before every timed request) except the rows marked "cached". A case that writes (the
recap generation) runs inside a transaction that is rolled back, so the bench leaves the data
as it found it."""

import logging
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import django
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.http import HttpResponse
from django.test import Client
from django.test.utils import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core.models import AuditEvent, Membership, Office, Role, User
from lke.models import Answer, Level, Status, Worksheet
from lke.scoring import instrument_tree, required_items
from lke.services import save_answer
from meetings.models import ActionItem, Meeting
from monev.runtime import tune_garbage_collector
from monitoring.models import Recap
from monitoring.queries import monitoring_periods
from program.models import ParticipatingVillage, ProgramYear, WorkPlanActivity
from reports.models import Report, ReportKind
from reports.queries import SLUG_OF

PAGE_BUDGET_MS = 150  # province dashboard and results pages, p95
XLSX_BUDGET_MS = 1000  # a province xlsx recap
PDF_BUDGET_MS = 3000  # a PDF report
NATIONAL_XLSX_BUDGET_MS = 5000  # the national LKE results xlsx
ANSWER_BUDGET_MS = 50  # saving one LKE answer
REMINDERS_BUDGET_MS = 60_000  # manage.py send_reminders over the national data set (issue #11)
NATIONAL_PAGE_BUDGET_MS = 300  # the national dashboard over every province (issue #15)


class Unavailable(Exception):
    """The case cannot run on this code base or data (a URL or object is missing)."""


@dataclass
class Target:
    """Who asks, about what: a province office, one of its kab/kota, a year, a user."""

    province: Office
    kabkota: Office
    year: ProgramYear
    user: User
    client: Client = field(default_factory=lambda: Client(raise_request_exception=True))

    def __post_init__(self):
        self.client.force_login(self.user)


@dataclass
class Case:
    name: str
    budget_ms: int
    # Builds the request: returns a callable doing one request; raises Unavailable.
    build: Callable[[Target], Callable[[], HttpResponse]]
    target: str = "typical"
    writes: bool = False
    same_queries_as: str | None = None  # a case on a smaller province, to show counts stay flat
    # Pages are measured uncached (the page cache emptied before every request, outside the
    # timing) unless `cached`: then the warm-ups fill it and the timed runs are served from it.
    cached: bool = False
    versus: str | None = None  # a case this one is compared with (× its p95) in the verdict
    # A writing case's untimed first step, inside the same rolled-back transaction (e.g. the
    # first run of a command whose second run is measured).
    prepare: Callable[[], object] | None = None
    runs: int | None = None  # timed runs (and warm-ups) of a slow case instead of --runs
    warmups: int | None = None


@dataclass
class Result:
    case: Case
    times_ms: list[float] = field(default_factory=list)
    queries: int | None = None
    problem: str = ""

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        raise Unavailable(f"URL {name} does not exist") from None


def _get(name: str, *args: Callable[[Target], object]):
    def build(target: Target):
        url = _url(name, *[arg(target) for arg in args])
        return lambda: target.client.get(url, {"tahun": target.year.year})

    return build


def _office(target: Target) -> int:
    return target.kabkota.pk


def _village(target: Target) -> int:
    village = target.kabkota.villages.filter(program_year=target.year).order_by("pk").first()
    return village.pk


def _latest_recap(target: Target) -> int:
    """The latest recap of the year (seed_scale makes one per ended period; it has a previous
    one, so the trend is computed too)."""
    recap = Recap.objects.filter(program_year=target.year).order_by("-period").first()
    if recap is None:
        raise Unavailable(f"no recap of {target.year.year} in the data (run seed_scale)")
    return recap.pk


def _generate_recap(target: Target):
    """POST the generation of the running period's recap (rolled back after each run)."""
    url = _url("monitoring:recap_generate")
    today = timezone.localdate()
    periods = monitoring_periods(target.year)
    begun = [n for n, (start, _end) in enumerate(periods, start=1) if start <= today]
    if not begun:
        raise Unavailable(f"no period of {target.year.year} has begun")
    data = {"tahun": target.year.year, "period": begun[-1], "narrative": "Rekap uji kinerja."}
    return lambda: target.client.post(url, data)


def _get_plain(name: str, *args: Callable[[Target], object]):
    """A GET without the ?tahun= parameter (the object already names its year)."""

    def build(target: Target):
        url = _url(name, *[arg(target) for arg in args])
        return lambda: target.client.get(url)

    return build


def _sosialisasi_report(target: Target) -> Report:
    report = (
        Report.objects.filter(
            village__office=target.kabkota,
            village__program_year=target.year,
            kind=ReportKind.SOSIALISASI,
        )
        .exclude(state="draft")
        .order_by("pk")
        .first()
    )
    if report is None:
        raise Unavailable(f"no submitted sosialisasi report of {target.kabkota} (run seed_scale)")
    return report


def _report_pdf(target: Target):
    report = _sosialisasi_report(target)
    url = _url("reports:report_pdf", SLUG_OF[report.kind], report.village_id)
    return lambda: target.client.get(url)


def _closed_meeting(target: Target) -> int:
    meeting = (
        Meeting.objects.filter(program_year=target.year, state=Meeting.State.CLOSED)
        .order_by("-starts_at")
        .first()
    )
    if meeting is None:
        raise Unavailable(f"no closed meeting in {target.year.year} (run seed_scale)")
    return meeting.pk


def _worksheet(target: Target, status: str | None = None) -> Worksheet:
    worksheets = Worksheet.objects.filter(
        assessment__program_year=target.year, office=target.kabkota, target="village"
    )
    if status:
        worksheets = worksheets.filter(status=status)
    worksheet = worksheets.order_by("pk").first()
    if worksheet is None:
        raise Unavailable(f"no LKE worksheet of {target.kabkota} in {target.year.year}")
    return worksheet


def _unverified_item(target: Target):
    """A worksheet under verification, a choice item not verified yet (so a save moves the
    counter and the scores) and the option to verify it with."""
    worksheet = _worksheet(target, Status.PROVINCIAL_VERIFICATION)
    tree = instrument_tree(worksheet.assessment.instrument, worksheet.target)
    answered = set(
        Answer.objects.filter(worksheet=worksheet, level=Level.PROVINCIAL).values_list(
            "item_id", flat=True
        )
    )
    item = next((i for i in required_items(tree) if i.pk not in answered), None)
    if item is None:
        raise Unavailable(f"{worksheet} has every item verified")
    # The self-assessed option: a verification that agrees needs no reason.
    own = Answer.objects.filter(worksheet=worksheet, item=item, level=Level.SELF).first()
    option = own.option if own and own.option_id else item.options.order_by("-score").first()
    return worksheet, item, option


def _save_answer(target: Target):
    """An htmx POST of one provincial answer (the service and the re-rendered item card and
    summary), rolled back after each run."""
    worksheet, item, option = _unverified_item(target)
    url = _url("lke:answer", worksheet.pk, item.pk)
    data = {"level": Level.PROVINCIAL, "version": 0, "option": option.pk, "note": "Uji kinerja"}
    return lambda: target.client.post(url, data, headers={"HX-Request": "true"})


def _save_self_answer_with_evidence(target: Target):
    """An htmx POST of the kab/kota team's first answer to an item whose evidence rule the
    answer makes appear (the evidence section is sent again, with the documents to link),
    rolled back after each run."""
    worksheet = _worksheet(target, Status.SELF_ASSESSMENT)
    tree = instrument_tree(worksheet.assessment.instrument, worksheet.target)
    answered = set(
        Answer.objects.filter(worksheet=worksheet, level=Level.SELF).values_list(
            "item_id", flat=True
        )
    )
    item = next(
        (
            i
            for i in required_items(tree)
            if i.pk not in answered
            and i.evidence_scores
            and any(o.score in i.evidence_scores for o in i.options.all())
        ),
        None,
    )
    if item is None:
        raise Unavailable(f"{worksheet} has no unanswered item with an evidence rule")
    option = next(o for o in item.options.all() if o.score in item.evidence_scores)
    member = (
        Membership.objects.filter(
            office=worksheet.office, role=Role.TIM_KABKOTA, user__is_active=True
        )
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    if member is None:
        raise Unavailable(f"{worksheet.office} has no tim_kabkota user")
    client = Client(raise_request_exception=True)
    client.force_login(member.user)
    url = _url("lke:answer", worksheet.pk, item.pk)
    data = {"level": Level.SELF, "version": 0, "option": option.pk}
    return lambda: client.post(url, data, headers={"HX-Request": "true"})


def _save_answer_service(target: Target):
    """lke.services.save_answer alone (no view, no rendering), rolled back after each run."""
    worksheet, item, option = _unverified_item(target)

    def request():
        save_answer(
            worksheet, item=item, level=Level.PROVINCIAL, option=option, version=0, by=target.user
        )
        return HttpResponse(b"")

    return request


def _national_xlsx(target: Target):
    """The national LKE results as the national operator (a superuser)."""
    operator = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if operator is None:
        raise Unavailable("no superuser (seed_scale makes `nasional`)")
    client = Client(raise_request_exception=True)
    client.force_login(operator)
    url = _url("lke:results_national_xlsx")
    return lambda: client.get(url, {"tahun": target.year.year})


def _national(name: str):
    """A page of the national view as the national team (BPS RI's `tim.nasional` of
    seed_scale), for the target's year."""

    def build(target: Target):
        from core.models import Role

        member = (
            User.objects.filter(memberships__role=Role.TIM_NASIONAL, is_active=True)
            .order_by("pk")
            .first()
        )
        if member is None:
            raise Unavailable("no member of the national team (seed_scale makes `tim.nasional`)")
        client = Client(raise_request_exception=True)
        client.force_login(member)
        url = _url(name)
        return lambda: client.get(url, {"tahun": target.year.year})

    return build


def _api(path: Callable[[Target], str], **params):
    """A GET of the JSON API with a read-only token of the target user. Each build makes one
    token named "bench" in the bench database (the secret is never stored, so it cannot be
    reused), the earlier runs' ones revoked (`renew_token`: a user holds at most 20 active
    tokens, and the 21st run stopped the bench); the API app is imported here only because the bench
    measures every app."""

    def build(target: Target):
        from api.services import renew_token

        _token, secret = renew_token(target.user, name="bench", scope="read", by=target.user)
        client = Client(raise_request_exception=True, headers={"Authorization": f"Bearer {secret}"})
        url = path(target)
        query = {k: (v(target) if callable(v) else v) for k, v in params.items()}
        return lambda: client.get(url, query)

    return build


def _raw_dashboard_sql(target: Target):
    """The figures of the dashboard computed by the database alone, in plain SQL: per office,
    the work plan by status (the CASE of item_status, extensions joined), the reports by kind
    and state with the work-plan dates that anchor them, the LKE worksheets by status, the
    action items by state, the year's meetings and recaps and the villages per office. What
    the database must do at the least for the same figures, to compare the page with."""
    from core.models import Extension
    from monitoring.models import Recap

    t = {
        m.__name__: connection.ops.quote_name(m._meta.db_table)
        for m in (
            WorkPlanActivity,
            ParticipatingVillage,
            Extension,
            Report,
            Worksheet,
            Meeting,
            ActionItem,
            Recap,
        )
    }
    from lke.models import Assessment

    t["Assessment"] = connection.ops.quote_name(Assessment._meta.db_table)
    year = target.year
    today = timezone.localdate()
    soon = today + timedelta(days=year.soon_days)
    subject_type = ContentType.objects.get_for_model(WorkPlanActivity).pk
    statements = [
        (
            f"SELECT v.office_id, CASE WHEN w.realised_on IS NOT NULL AND w.realised_on <= "
            f"COALESCE(e.until, w.planned_end) THEN 'tepat_waktu' WHEN w.realised_on IS NOT NULL "
            f"THEN 'terlambat' WHEN COALESCE(e.until, w.planned_end) < %s THEN 'lewat' "
            f"WHEN e.until IS NOT NULL THEN 'dispensasi' WHEN w.planned_end <= %s THEN 'segera' "
            f"ELSE 'belum_jatuh_tempo' END AS status, COUNT(*) "
            f"FROM {t['WorkPlanActivity']} w JOIN {t['ParticipatingVillage']} v "
            f"ON v.id = w.village_id LEFT JOIN {t['Extension']} e ON e.subject_type_id = %s "
            f"AND e.subject_id = CAST(w.id AS TEXT) AND e.office_id = v.office_id "
            f"WHERE v.program_year_id = %s GROUP BY 1, 2",
            [today, soon, subject_type, year.pk],
        ),
        (
            f"SELECT v.office_id, r.kind, r.state, COUNT(*), MIN(r.anchor_date), "
            f"MIN(r.first_submitted_at) FROM {t['Report']} r JOIN {t['ParticipatingVillage']} v "
            f"ON v.id = r.village_id WHERE v.program_year_id = %s GROUP BY 1, 2, 3",
            [year.pk],
        ),
        (
            f"SELECT w.village_id, w.stage, MIN(w.realised_on), MAX(w.realised_on), "
            f"SUM(CASE WHEN w.realised_on IS NULL THEN 1 ELSE 0 END) "
            f"FROM {t['WorkPlanActivity']} w JOIN {t['ParticipatingVillage']} v "
            f"ON v.id = w.village_id WHERE v.program_year_id = %s GROUP BY 1, 2",
            [year.pk],
        ),
        (
            f"SELECT ws.office_id, ws.status, COUNT(*) FROM {t['Worksheet']} ws "
            f"JOIN {t['Assessment']} a ON a.id = ws.assessment_id WHERE a.program_year_id = %s "
            f"GROUP BY 1, 2",
            [year.pk],
        ),
        (
            f"SELECT ai.owner_office_id, ai.state, COUNT(*), MIN(ai.due_date) "
            f"FROM {t['ActionItem']} ai JOIN {t['Meeting']} m ON m.id = ai.meeting_id "
            f"WHERE m.program_year_id = %s GROUP BY 1, 2",
            [year.pk],
        ),
        (
            f"SELECT state, period_start, MIN(starts_at), COUNT(*) FROM {t['Meeting']} "
            f"WHERE program_year_id = %s GROUP BY 1, 2",
            [year.pk],
        ),
        (f"SELECT period, signed_at FROM {t['Recap']} WHERE program_year_id = %s", [year.pk]),
        (
            f"SELECT office_id, COUNT(*) FROM {t['ParticipatingVillage']} "
            f"WHERE program_year_id = %s GROUP BY 1",
            [year.pk],
        ),
    ]

    def request():
        rows = 0
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                rows += len(cursor.fetchall())
        return HttpResponse(str(rows))

    return request


def _dashboard_figures(target: Target):
    """The dashboard's figures alone, as the page computes them (`province_dashboard`: the
    offices, the villages and every provider's counts), without the page around them (the
    HTML of the table and chart, the navbar, the filter form)."""
    from monitoring.queries import province_dashboard

    def request():
        dashboard = province_dashboard(target.user, target.year)
        return HttpResponse(str(len(dashboard.rows)))

    return request


def _send_reminders(target: Target):
    """`manage.py send_reminders` over every province (the target only names the row): today's
    reminders, escalations and digests queued in the outbox, rolled back after each run."""
    from monitoring.reminders import send_reminders

    def request():
        run = send_reminders()
        return HttpResponse(f"{run.mails} mails")

    return request


def _first_reminder_run():
    from monitoring.reminders import send_reminders

    send_reminders()


def _api_year(suffix: str = ""):
    return lambda t: f"/api/v1/program-years/{t.year.pk}{suffix}"


LARGEST = {"target": "largest"}
RAW_LARGEST = "raw SQL of the dashboard figures (largest province)"
CASES = [
    Case("dashboard", PAGE_BUDGET_MS, _get("monitoring:dashboard")),
    Case(RAW_LARGEST, PAGE_BUDGET_MS, _raw_dashboard_sql, **LARGEST),
    Case(
        "dashboard (largest province)",
        PAGE_BUDGET_MS,
        _get("monitoring:dashboard"),
        same_queries_as="dashboard",
        versus=RAW_LARGEST,
        **LARGEST,
    ),
    Case(
        "dashboard figures only (largest province)",
        PAGE_BUDGET_MS,
        _dashboard_figures,
        versus=RAW_LARGEST,
        **LARGEST,
    ),
    Case(
        "dashboard (largest province, cached)",
        PAGE_BUDGET_MS,
        _get("monitoring:dashboard"),
        cached=True,
        **LARGEST,
    ),
    Case("kab/kota drill-down", PAGE_BUDGET_MS, _get("monitoring:office", _office)),
    Case(
        "kab/kota drill-down (cached)",
        PAGE_BUDGET_MS,
        _get("monitoring:office", _office),
        cached=True,
    ),
    Case("village drill-down", PAGE_BUDGET_MS, _get("monitoring:village", _village)),
    Case("recap page", PAGE_BUDGET_MS, _get("monitoring:recap_detail", _latest_recap)),
    Case("recap generation", XLSX_BUDGET_MS, _generate_recap, writes=True),
    Case(
        "recap generation (largest province)",
        XLSX_BUDGET_MS,
        _generate_recap,
        writes=True,
        same_queries_as="recap generation",
        **LARGEST,
    ),
    Case("recap xlsx", XLSX_BUDGET_MS, _get("monitoring:recap_xlsx", _latest_recap)),
    Case(
        "recap xlsx (largest province)",
        XLSX_BUDGET_MS,
        _get("monitoring:recap_xlsx", _latest_recap),
        same_queries_as="recap xlsx",
        **LARGEST,
    ),
    Case("recap PDF", PDF_BUDGET_MS, _get("monitoring:recap_pdf", _latest_recap)),
    Case(
        "recap PDF (largest province)",
        PDF_BUDGET_MS,
        _get("monitoring:recap_pdf", _latest_recap),
        same_queries_as="recap PDF",
        **LARGEST,
    ),
    Case("program:home", PAGE_BUDGET_MS, _get("program:home")),
    Case(
        "program:home (largest province)",
        PAGE_BUDGET_MS,
        _get("program:home"),
        same_queries_as="program:home",
        **LARGEST,
    ),
    Case(
        "program:home (largest province, cached)",
        PAGE_BUDGET_MS,
        _get("program:home"),
        cached=True,
        **LARGEST,
    ),
    Case("program:village_list", PAGE_BUDGET_MS, _get("program:village_list")),
    Case(
        "reports: sosialisasi list",
        PAGE_BUDGET_MS,
        _get("reports:report_list", lambda t: SLUG_OF[ReportKind.SOSIALISASI]),
    ),
    Case(
        "reports: sosialisasi list (largest province)",
        PAGE_BUDGET_MS,
        _get("reports:report_list", lambda t: SLUG_OF[ReportKind.SOSIALISASI]),
        same_queries_as="reports: sosialisasi list",
        **LARGEST,
    ),
    Case(
        "reports: sosialisasi xlsx",
        XLSX_BUDGET_MS,
        _get("reports:report_list_xlsx", lambda t: SLUG_OF[ReportKind.SOSIALISASI]),
    ),
    Case("reports: needs table", PAGE_BUDGET_MS, _get("reports:needs")),
    Case("reports: report PDF", PDF_BUDGET_MS, _report_pdf),
    Case("meetings: list", PAGE_BUDGET_MS, _get("meetings:list")),
    Case(
        "meetings: list (largest province)",
        PAGE_BUDGET_MS,
        _get("meetings:list"),
        same_queries_as="meetings: list",
        **LARGEST,
    ),
    Case(
        "meetings: Laporan rapat PDF",
        PDF_BUDGET_MS,
        _get_plain("meetings:report_pdf", _closed_meeting),
    ),
    Case("lke: save one answer (htmx POST)", ANSWER_BUDGET_MS, _save_answer, writes=True),
    Case(
        "lke: save one answer (htmx POST, the evidence field appears)",
        ANSWER_BUDGET_MS,
        _save_self_answer_with_evidence,
        writes=True,
    ),
    Case(
        "lke: save one answer (service only)",
        ANSWER_BUDGET_MS,
        _save_answer_service,
        writes=True,
    ),
    Case("lke: worksheet", PAGE_BUDGET_MS, _get_plain("lke:worksheet", lambda t: _worksheet(t).pk)),
    Case("lke: results", PAGE_BUDGET_MS, _get("lke:results")),
    Case(
        "lke: results (largest province)",
        PAGE_BUDGET_MS,
        _get("lke:results"),
        same_queries_as="lke: results",
        **LARGEST,
    ),
    Case(
        "lke: results (largest province, cached)",
        PAGE_BUDGET_MS,
        _get("lke:results"),
        cached=True,
        **LARGEST,
    ),
    Case("lke: national results xlsx", NATIONAL_XLSX_BUDGET_MS, _national_xlsx),
    Case("national dashboard", NATIONAL_PAGE_BUDGET_MS, _national("monitoring:national")),
    Case(
        "send_reminders (every province, first run of the day)",
        REMINDERS_BUDGET_MS,
        _send_reminders,
        writes=True,
        runs=3,
        warmups=0,
    ),
    Case(
        "send_reminders (every province, second run: nothing new)",
        REMINDERS_BUDGET_MS,
        _send_reminders,
        writes=True,
        prepare=_first_reminder_run,
        runs=3,
        warmups=0,
    ),
    Case("national dashboard xlsx", NATIONAL_XLSX_BUDGET_MS, _national("monitoring:national_xlsx")),
    Case(
        "api: villages (50)",
        PAGE_BUDGET_MS,
        _api(lambda t: "/api/v1/villages", program_year=lambda t: t.year.pk, limit=50),
    ),
    Case(
        "api: villages (50, largest province)",
        PAGE_BUDGET_MS,
        _api(lambda t: "/api/v1/villages", program_year=lambda t: t.year.pk, limit=50),
        same_queries_as="api: villages (50)",
        **LARGEST,
    ),
    Case(
        "api: reports (50)",
        PAGE_BUDGET_MS,
        _api(lambda t: "/api/v1/reports", program_year=lambda t: t.year.pk, limit=50),
    ),
    Case(
        "api: reports (50, largest province)",
        PAGE_BUDGET_MS,
        _api(lambda t: "/api/v1/reports", program_year=lambda t: t.year.pk, limit=50),
        same_queries_as="api: reports (50)",
        **LARGEST,
    ),
    Case(
        "api: action items (50)",
        PAGE_BUDGET_MS,
        _api(lambda t: "/api/v1/action-items", program_year=lambda t: t.year.pk, limit=50),
    ),
    Case(
        "api: LKE worksheets (50)",
        PAGE_BUDGET_MS,
        _api(lambda t: "/api/v1/lke/worksheets", program_year=lambda t: t.year.pk, limit=50),
    ),
    Case(
        "api: LKE worksheet",
        PAGE_BUDGET_MS,
        _api(lambda t: f"/api/v1/lke/worksheets/{_worksheet(t).pk}"),
    ),
    Case("api: dashboard", PAGE_BUDGET_MS, _api(_api_year("/dashboard"))),
    Case(
        "api: dashboard (largest province)",
        PAGE_BUDGET_MS,
        _api(_api_year("/dashboard")),
        same_queries_as="api: dashboard",
        **LARGEST,
    ),
    Case("api: LKE results", PAGE_BUDGET_MS, _api(_api_year("/lke-results"))),
    Case(
        "api: LKE results (largest province)",
        PAGE_BUDGET_MS,
        _api(_api_year("/lke-results")),
        same_queries_as="api: LKE results",
        **LARGEST,
    ),
    # The API's dashboard and LKE results go through the page cache as their pages do (the LKE
    # results share the page's entry): what a repeated read costs while nothing changed.
    Case(
        "api: dashboard (largest province, cached)",
        PAGE_BUDGET_MS,
        _api(_api_year("/dashboard")),
        cached=True,
        **LARGEST,
    ),
    Case(
        "api: LKE results (largest province, cached)",
        PAGE_BUDGET_MS,
        _api(_api_year("/lke-results")),
        cached=True,
        **LARGEST,
    ),
]


def _read(response: HttpResponse) -> int:
    """Read the whole body (a streamed file is produced while it is read)."""
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def _timed(request: Callable[[], HttpResponse], queries: list | None) -> tuple[HttpResponse, float]:
    started = time.perf_counter()
    if queries is None:
        response = request()
        _read(response)
    else:
        # Counted by a wrapper around every execution: Django's query log (CaptureQueriesContext)
        # keeps only the last 9,000, and send_reminders' first run made more before it was bulk.
        executed = [0]

        def count(execute, sql, params, many, context):
            executed[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = request()
            _read(response)
        queries.append(executed[0])
    return response, (time.perf_counter() - started) * 1000


def _once(
    request: Callable[[], HttpResponse],
    writes: bool,
    *,
    prepare: Callable[[], object] | None = None,
    queries: list | None = None,
) -> tuple[HttpResponse, float]:
    """One request, its time in ms (and, given a list, its query count appended to it). A
    writing case runs in a transaction rolled back afterwards, its `prepare` first, untimed."""
    if not writes:
        return _timed(request, queries)
    with transaction.atomic():
        if prepare is not None:
            prepare()
        response, elapsed = _timed(request, queries)
        transaction.set_rollback(True)
    return response, elapsed


def run_case(case: Case, target: Target, *, runs: int, warmups: int) -> Result:
    result = Result(case)
    try:
        request = case.build(target)
    except Unavailable as reason:
        result.problem = f"not available: {reason}"
        return result
    runs = case.runs if case.runs is not None else runs
    warmups = case.warmups if case.warmups is not None else warmups
    try:
        with override_settings(DEBUG=False):
            for _ in range(warmups):
                response, _elapsed = _once(request, case.writes, prepare=case.prepare)
                if response.status_code >= 400:
                    result.problem = f"error: HTTP {response.status_code}"
                    return result
            for _ in range(runs):
                if not case.cached:
                    cache.clear()  # uncached: the first request after a change, every time
                _response, elapsed = _once(request, case.writes, prepare=case.prepare)
                result.times_ms.append(elapsed)
        if not case.cached:
            cache.clear()
        queries = []
        _once(request, case.writes, prepare=case.prepare, queries=queries)
        result.queries = queries[0]
    except Unavailable as reason:
        result.problem = f"not available: {reason}"
    except Exception as error:  # report the failure in the table, go on with the others
        result.problem = f"error: {type(error).__name__}: {str(error)[:120]}"
    return result


def verdict(result: Result, results: dict[str, Result]) -> str:
    if result.problem:
        return result.problem
    if result.p95 <= result.case.budget_ms:
        text = "ok"
    else:
        over = result.p95 - result.case.budget_ms
        text = f"MISSED by {over:.0f} ms ({result.p95 / result.case.budget_ms:.1f}× budget)"
    versus = results.get(result.case.versus or "")
    if versus and versus.times_ms:
        text += f"; {result.p95 / versus.p95:.1f}× the p95 of “{versus.case.name}”"
    other = results.get(result.case.same_queries_as or "")
    if other and other.queries is not None:
        if result.queries == other.queries:
            text += f"; queries flat ({other.queries} on the smaller province)"
        else:
            text += f"; QUERIES GROW ({other.queries} on the smaller province)"
    return text


def table_rows(results: list[Result]) -> list[list[str]]:
    by_name = {r.case.name: r for r in results}
    rows = []
    for r in results:
        measured = bool(r.times_ms)
        rows.append(
            [
                r.case.name,
                f"{r.p50:.1f}" if measured else "—",
                f"{r.p95:.1f}" if measured else "—",
                str(r.queries) if r.queries is not None else "—",
                f"≤ {r.case.budget_ms} ms",
                verdict(r, by_name),
            ]
        )
    return rows


HEADER = ["name", "p50 ms", "p95 ms", "queries", "budget (p95)", "verdict"]


def as_text(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]
    right = {1, 2, 3}
    lines = []
    for row in [HEADER, *rows]:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def as_markdown(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|---|--:|--:|--:|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def database_label() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("show server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


def machine() -> str:
    """CPU model, cores, memory, Python and the load average (other work skews the figures)."""
    cpu, memory = "unknown CPU", ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
        with open("/proc/meminfo", encoding="utf-8") as info:
            kib = int(next(line.split()[1] for line in info if line.startswith("MemTotal")))
        memory = f", {kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; Python {platform.python_version()}, "
        f"Django {django.get_version()}; load average {load}"
    )


def data_counts() -> dict[str, int]:
    return {
        "province offices": Office.objects.filter(kind=Office.Kind.PROVINSI).count(),
        "kab/kota offices": Office.objects.filter(kind=Office.Kind.KABKOTA).count(),
        "program years": ProgramYear.objects.count(),
        "participating villages": ParticipatingVillage.objects.count(),
        "work plan activities": WorkPlanActivity.objects.count(),
        "monitoring recaps": Recap.objects.count(),
        "reports": Report.objects.count(),
        "meetings": Meeting.objects.count(),
        "action items": ActionItem.objects.count(),
        "LKE worksheets": Worksheet.objects.count(),
        "LKE answers": Answer.objects.count(),
        "audit events": AuditEvent.objects.count(),
    }


def find_target(province_code: str | None, year: int) -> Target:
    """A province office (the given one, or the largest), its first kab/kota with villages, the
    year, and a tim_provinsi member of it (who may read everything and generate the recap)."""
    provinces = Office.objects.filter(kind=Office.Kind.PROVINSI, program_years__year=year)
    if province_code:
        province = provinces.filter(code=province_code).first()
    else:
        province = provinces.annotate(n=Count("children", distinct=True)).order_by("-n").first()
    if province is None:
        raise CommandError(
            f"No province {province_code or ''} with a {year} program year: run seed_scale first."
        )
    program_year = ProgramYear.objects.get(province=province, year=year)
    kabkota = (
        Office.objects.filter(parent=province, villages__program_year=program_year)
        .order_by("code")
        .first()
    )
    member = (
        Membership.objects.filter(office=province, role=Role.TIM_PROVINSI, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    if kabkota is None or member is None:
        raise CommandError(f"{province} has no villages or no tim_provinsi user in {year}.")
    return Target(province=province, kabkota=kabkota, year=program_year, user=member.user)


class Command(BaseCommand):
    help = "Measure p50/p95 server time and query counts of the budgeted pages (see seed_scale)."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=30)
        parser.add_argument("--warmups", type=int, default=3)
        parser.add_argument("--province", default="1700", help="office code of the typical one")
        parser.add_argument("--year", type=int, default=2026)
        parser.add_argument(
            "--only",
            help="run only the cases whose name contains this (several: separated by |)",
        )
        parser.add_argument("--markdown", help="also write the table as Markdown to this file")

    def handle(self, *, runs, warmups, province, year, only, markdown, **_):
        # WeasyPrint reports every layout step at INFO; the table is what matters here.
        for name in ("weasyprint", "fontTools"):
            logging.getLogger(name).setLevel(logging.WARNING)
        tune_garbage_collector()  # as the server process does (monev.wsgi)
        targets = {"typical": find_target(province, year), "largest": find_target(None, year)}
        database = database_label()
        counts = data_counts()
        self.stdout.write(f"Machine: {machine()}")
        self.stdout.write(
            f"{database}, {connection.settings_dict['NAME']}: "
            + ", ".join(f"{v:,} {k}" for k, v in counts.items())
        )
        for key, t in targets.items():
            self.stdout.write(
                f"{key} province: {t.province} ({t.province.children.count()} kab/kota), "
                f"drill-down {t.kabkota}, year {t.year.year}, user {t.user.username}"
            )
        results = []
        hosts = ["testserver", "localhost", "127.0.0.1"]
        with override_settings(ALLOWED_HOSTS=hosts):
            for case in CASES:
                if only and not any(part in case.name for part in only.split("|")):
                    continue
                self.stdout.write(f"  {case.name} ...", ending="")
                self.stdout.flush()
                result = run_case(case, targets[case.target], runs=runs, warmups=warmups)
                results.append(result)
                self.stdout.write(
                    f" {result.p95:.0f} ms" if result.times_ms else f" {result.problem}"
                )
        rows = table_rows(results)
        after = machine()
        self.stdout.write(f"\nAfter the runs: {after.rsplit('; ', 1)[1]}")
        self.stdout.write(as_text(rows))
        if markdown:
            with open(markdown, "w", encoding="utf-8") as handle:
                handle.write(
                    f"{database}; {runs} timed runs after {warmups} warm-ups; typical province: "
                    f"{targets['typical'].province.name}, largest: "
                    f"{targets['largest'].province.name}.  \nData: "
                    + ", ".join(f"{v:,} {k}" for k, v in counts.items())
                    + f".  \nMachine: {after}.\n\n"
                    + as_markdown(rows)
                    + "\n"
                )
            self.stdout.write(f"Markdown table written to {markdown}")
