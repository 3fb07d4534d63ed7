"""Browser test: the province dashboard and its charts, the htmx filters, the drill-downs, a
dispensasi, a recap, and a kab/kota user's landing page, on the demo data plus work plans."""

import io
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.utils import timezone

from conftest import browser_login, screenshot
from program.models import ParticipatingVillage, Stage, WorkPlanActivity

pytestmark = pytest.mark.e2e

STAGES = list(Stage.values)


@pytest.fixture
def demo(e2e_data):
    call_command("seed_demo", stdout=io.StringIO())
    # Replace the demo's own work plans with ones whose figures this test knows.
    WorkPlanActivity.objects.all().delete()
    today = timezone.localdate()
    villages = ParticipatingVillage.objects.filter(program_year__year=today.year).order_by(
        "office__code", "pk"
    )
    offices = sorted({v.office_id for v in villages})
    rows = []
    for v_index, village in enumerate(villages):
        rank = offices.index(village.office_id)  # the further down, the more is left undone
        for n in range(6):
            end = today + timedelta(days=(n - 4) * 12 + v_index % 5)
            done = end < today and (n * 3 + v_index) % 10 >= rank
            late = done and (n + v_index + rank) % 3 == 0
            rows.append(
                WorkPlanActivity(
                    village=village,
                    stage=STAGES[n % 5],
                    name=f"Kegiatan {n + 1}",
                    planned_start=end - timedelta(days=20),
                    planned_end=end,
                    realised_on=(end + timedelta(days=3 if late else -1)) if done else None,
                )
            )
    WorkPlanActivity.objects.bulk_create(rows)


def chart_state(page, name: str) -> dict:
    return page.evaluate(
        """name => {
            const canvas = document.querySelector(`canvas[data-chart=${name}]`);
            const chart = canvas && window.Chart.getChart(canvas);
            return {
                width: canvas ? canvas.width : 0,
                height: canvas ? canvas.height : 0,
                drawn: !!chart,
                points: chart ? chart.data.datasets.reduce(
                    (sum, d) => sum + d.counts.reduce((a, b) => a + b, 0), 0) : 0,
                labels: chart ? chart.data.labels.length : 0,
            };
        }""",
        name,
    )


def test_province_dashboard_charts_drilldowns_and_recap(page, demo):
    from monitoring.management.commands.seed_demo import DEMO_PASSWORD

    page.set_viewport_size({"width": 1400, "height": 900})
    browser_login(page, "ketua.tim", DEMO_PASSWORD)
    page.goto("/dasbor/")
    assert page.locator("h1").inner_text() == "Dasbor monitoring"
    assert page.locator("[data-testid=office-row]").count() == 10
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('[data-chart=timeliness]'))"
    )
    realisation = chart_state(page, "realisation")
    assert realisation["drawn"] and realisation["width"] > 0 and realisation["height"] > 0
    assert realisation["labels"] == 10
    assert realisation["points"] == 180  # 30 villages × 6 activities
    timeliness = chart_state(page, "timeliness")
    # One bar per SOP activity of the dashboard, the kab/kota's and the province's own (its
    # recaps and meetings): eight in the demo, now that every provider counts (15bbbd3).
    assert timeliness["drawn"] and timeliness["width"] > 0 and timeliness["labels"] == 8
    assert page.locator("[data-testid=rag-legend]").is_visible()
    screenshot(page, "dashboard-province")

    # Filter to one kab/kota with htmx: the table and the charts are redrawn in place.
    page.select_option("#id_kabkota", label="Kaur")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=office-row]').length === 1"
    )
    page.wait_for_function(
        "() => Chart.getChart(document.querySelector('[data-chart=realisation]'))"
        "?.data.labels.length === 1"
    )
    assert "kabkota=" in page.url
    assert chart_state(page, "realisation")["points"] == 18
    screenshot(page, "dashboard-filter-kaur")

    page.get_by_role("link", name="BPS Kabupaten Kaur").click()
    page.wait_for_url("**/dasbor/kabkota/**")
    assert page.locator("[data-testid=matrix-row]").count() == 3
    assert page.locator("#overdue [data-testid=item-row]").count() > 0
    screenshot(page, "office-kaur")

    # A work-plan activity due soon (the first upcoming row is now the office's LKE, not open).
    page.locator("#upcoming tr", has_text="Rencana kerja").first.get_by_role(
        "link", name="Beri dispensasi"
    ).click()
    page.wait_for_url("**/dasbor/dispensasi/**")
    screenshot(page, "extension-form")
    page.expected_errors.append("400 (Bad Request)")  # the refused form comes back with 400
    page.click("main button[type=submit]")  # empty: both fields are required
    assert "Dispensasi wajib disertai alasan." in page.content()
    new_date = (timezone.localdate() + timedelta(days=60)).isoformat()
    page.fill("#id_until", new_date)
    page.fill("#id_reason", "Kepala desa berhalangan, jadwal diundur.")
    page.click("main button[type=submit]")
    page.wait_for_url("**/dasbor/kabkota/**")
    assert "Dispensasi diberikan" in page.content()
    assert page.locator("#upcoming [data-status=dispensasi]").count() >= 1

    page.locator("[data-testid=matrix-row] a").first.click()
    page.wait_for_url("**/dasbor/desa/**")
    assert page.locator("[data-testid=timeline-stage]").count() == 5
    assert page.locator("[data-testid=timeline-item]").count() == 6
    screenshot(page, "village-timeline")

    page.goto("/rekap/")
    assert page.locator("[data-testid=period-row]").count() == 6
    screenshot(page, "recap-list")
    page.fill("#id_narrative", "Realisasi rencana kerja membaik; Kaur perlu pendampingan.")
    page.click("form[action$='/rekap/buat/'] button[type=submit]")
    page.wait_for_url("**/rekap/*/")
    draft = urlparse(page.url).path  # the demo's signed recap of the period before is listed too
    assert page.locator("[data-testid=recap-row]").count() == 10
    assert page.locator("[data-testid=totals-row]").count() == 1
    assert page.locator("[data-testid=province-row]").count() == 1
    screenshot(page, "recap-draft")

    page.context.clear_cookies()
    browser_login(page, "kepala", DEMO_PASSWORD)
    page.goto("/rekap/")
    page.locator(f"#recap-table a[href='{draft}']").click()
    page.fill("#sign_number", "B-7/17000/VS.300/07/2026")
    page.fill("#sign_place", "Bengkulu")
    page.get_by_role("button", name="Tandatangani rekap ini").click()
    assert "Rekap ditandatangani." in page.content()
    assert page.locator("[data-testid=signed-by]").inner_text().startswith("Dr. Hendra Wijaya")
    screenshot(page, "recap-signed")

    # A kab/kota team reads the signed recap: its own row only.
    page.context.clear_cookies()
    browser_login(page, "tim.kaur", DEMO_PASSWORD)
    page.goto("/rekap/")
    page.locator("#recap-table a").first.click()
    assert (
        page.locator("[data-testid=recap-row]")
        .all_inner_texts()[0]
        .startswith("BPS Kabupaten Kaur")
    )
    assert page.locator("[data-testid=recap-row]").count() == 1
    assert page.locator("[data-testid=totals-row]").count() == 0
    screenshot(page, "recap-tim-kaur")


def test_kabkota_user_lands_on_its_own_deadlines(page, demo):
    from monitoring.management.commands.seed_demo import DEMO_PASSWORD

    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login(page, "tim.kaur", DEMO_PASSWORD)
    page.goto("/dasbor/")
    page.wait_for_url("**/dasbor/kabkota/**")
    assert page.locator("h1").inner_text() == "BPS Kabupaten Kaur"
    boxes = [page.locator(sel).bounding_box()["y"] for sel in ("#upcoming", "#stage-matrix")]
    assert boxes[0] < boxes[1]  # next deadlines first
    assert page.get_by_role("link", name="Beri dispensasi").count() == 0
    screenshot(page, "office-tim-kaur")

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "office-tim-kaur-phone")
