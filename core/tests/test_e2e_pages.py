"""Browser test of #12 point 5, "pages that are finished": every demo role opens its home, one
list (and filters it, so htmx swaps part of the page) and downloads one document, at 1366 px
and at 390 px. On every page the document is no wider than the window (no horizontal scroll,
no clipped table) and the console shows no error and no Content-Security-Policy violation
(an init script turns every `securitypolicyviolation` event into a console error, which the
`page` fixture fails on)."""

import io
from dataclasses import dataclass

import pytest
from django.core.management import call_command

from conftest import browser_login, screenshot
from meetings.models import Meeting
from monitoring.models import Recap
from program.models import ParticipatingVillage

pytestmark = pytest.mark.e2e

WIDTHS = {"desktop": 1366, "phone": 390}

REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(
    `CSP violation: ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`
  );
});
"""


@pytest.fixture
def demo(e2e_data):
    call_command("load_instruments", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())


def fits(page, name: str) -> None:
    """At both widths: the page is no wider than the window (what is wider is collected in
    `page.too_wide`); a screenshot of each."""
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(50)
        scroll, inner = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        if scroll > inner:
            page.too_wide.append(f"{name} at {width} px is {scroll} px wide")
        if label == "desktop":  # no table hides columns behind its own scroll bar either
            clipped = page.evaluate(
                """() => [...document.querySelectorAll('.table-responsive')]
                    .filter((e) => e.scrollWidth > e.clientWidth + 1)
                    .map((e) => (e.querySelector('table') || e).outerHTML.slice(0, 120))"""
            )
            page.too_wide += [f"{name}: a table scrolls at {width} px: {c}" for c in clipped]
        screenshot(page, f"{name}-{label}")
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})


def swap(page, select: str, value: str, target: str) -> None:
    """Change a list filter and wait until htmx has swapped the table in."""
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        page.select_option(select, value)
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")


def download(page, selector: str) -> bytes:
    with page.expect_download() as info:
        page.locator(selector).first.click()
    path = info.value.path()
    with open(path, "rb") as handle:
        return handle.read()


@dataclass
class Visit:
    username: str
    list_url: str
    filter: tuple[str, str, str]  # select, value, swapped target
    document_page: str
    document_link: str
    magic: bytes  # how the downloaded file starts


def visits() -> list[Visit]:
    closed = Meeting.objects.filter(state=Meeting.State.CLOSED).order_by("-starts_at").first()
    recap = Recap.objects.filter(signed_at__isnull=False).order_by("-pk").first() or (
        Recap.objects.order_by("-pk").first()
    )
    kaur_village = (
        ParticipatingVillage.objects.filter(office__code="1704", pembina__username="pembina1.kaur")
        .order_by("-program_year__year", "pk")
        .first()
    )
    pdf, zip_ = b"%PDF", b"PK"
    return [
        Visit(
            "ketua.tim",
            "/laporan/sosialisasi/",
            ("#id_state", "approved", "#report-table"),
            f"/rekap/{recap.pk}/",
            "a[href$='/pdf/']",
            pdf,
        ),
        Visit(
            "kepala",
            "/desa/",
            ("#id_kind", "utama", "#village-table"),
            "/lke/hasil/",
            "a[href*='/lke/hasil/xlsx/']",
            zip_,
        ),
        Visit(
            "tim.provinsi",
            "/rapat/tindak-lanjut/",
            ("#id_status", "open", "#action-table"),
            f"/rapat/{closed.pk}/",
            "a[href$='laporan-rapat.pdf']",
            pdf,
        ),
        Visit(
            "viewer",
            "/laporan/identifikasi/",
            ("#id_state", "submitted", "#report-table"),
            f"/rapat/{closed.pk}/",
            "a[href$='daftar-hadir.pdf']",
            pdf,
        ),
        Visit(
            "tim.kaur",
            "/desa/",
            ("#id_kind", "tambahan", "#village-table"),
            f"/desa/{kaur_village.pk}/",
            "a[href*='rencana-kerja/unduh']",
            zip_,
        ),
        Visit(
            "kepala.kaur",
            "/laporan/sosialisasi/",
            ("#id_state", "approved", "#report-table"),
            f"/rapat/{closed.pk}/",
            "a[href$='laporan-rapat.docx']",
            zip_,
        ),
        Visit(
            "pembina1.kaur",
            "/rapat/tindak-lanjut/",
            ("#id_status", "open", "#action-table"),
            f"/laporan/akhir/desa/{kaur_village.pk}/",
            "a[href$='draf.docx']",
            zip_,
        ),
    ]


def test_every_demo_role_sees_finished_pages_at_1366_and_390_px(page, demo):
    from monitoring.management.commands.seed_demo import DEMO_PASSWORD

    page.add_init_script(REPORT_CSP)
    page.too_wide = []
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
    for visit in visits():
        page.context.clear_cookies()
        browser_login(page, visit.username, DEMO_PASSWORD)
        name = visit.username.replace(".", "-")
        fits(page, f"{name}-home")

        page.goto(visit.list_url)
        fits(page, f"{name}-list")
        select, value, target = visit.filter
        swap(page, select, value, target)
        assert page.locator(target).count() == 1
        fits(page, f"{name}-list-filtered")

        page.goto(visit.document_page)
        fits(page, f"{name}-document-page")
        assert download(page, visit.document_link).startswith(visit.magic), visit
    assert not page.too_wide, "\n".join(page.too_wide)


def test_the_other_lists_fit_1366_and_390_px(page, demo):
    """The lists the roles above do not open: meetings, LKE worksheets, recaps, a kab/kota's
    work plan."""
    from core.models import Office
    from monitoring.management.commands.seed_demo import DEMO_PASSWORD

    page.add_init_script(REPORT_CSP)
    page.too_wide = []
    browser_login(page, "ketua.tim", DEMO_PASSWORD)
    kaur = Office.objects.get(code="1704")
    for name, url in [
        ("meetings", "/rapat/"),
        ("lke-worksheets", "/lke/"),
        ("recaps", "/rekap/"),
        ("work-plan", f"/kantor/{kaur.pk}/rencana-kerja/"),
    ]:
        page.goto(url)
        fits(page, f"ketua-tim-{name}")
    assert not page.too_wide, "\n".join(page.too_wide)


def test_the_history_reads_as_stacked_rows_on_a_phone_and_as_a_table_at_1366_px(page, demo):
    """The Riwayat table (core/_history.html, on every history page): on a 390 px phone each
    event is a block of labelled lines (the lists' .table-stack), nothing scrolls sideways;
    at 1366 px it stays a table whose columns all show."""
    from monitoring.management.commands.seed_demo import DEMO_PASSWORD

    page.add_init_script(REPORT_CSP)
    page.too_wide = []
    browser_login(page, "ketua.tim", DEMO_PASSWORD)
    closed = Meeting.objects.filter(state=Meeting.State.CLOSED).order_by("-starts_at").first()
    village = ParticipatingVillage.objects.order_by("-program_year__year", "pk").first()
    for name, url in [
        ("meeting-history", f"/rapat/{closed.pk}/riwayat/"),
        ("village-history", f"/desa/{village.pk}/riwayat/"),
    ]:
        page.goto(url)
        assert page.locator("[data-testid=history-table] tbody tr").count() > 0, name
        fits(page, f"ketua-tim-{name}")
        shape = """() => {
            const table = document.querySelector('[data-testid=history-table]');
            const wrap = table.closest('.table-responsive');
            const cell = table.querySelector('tbody tr > td:nth-child(3)');
            return [getComputedStyle(table).display, getComputedStyle(cell).display,
                    cell.dataset.label || '', wrap.scrollWidth > wrap.clientWidth + 1];
        }"""
        page.set_viewport_size({"width": WIDTHS["phone"], "height": 900})
        assert page.evaluate(shape) == ["block", "block", "Tindakan", False], name
        page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
        assert page.evaluate(shape)[:2] == ["table", "table-cell"], name
    assert not page.too_wide, "\n".join(page.too_wide)
