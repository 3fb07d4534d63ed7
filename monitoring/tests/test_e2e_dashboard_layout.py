"""Browser test: the province dashboard fits the screen. At 1366 px (a common office laptop)
nothing scrolls sideways, the page nor the table, so every column is in view; on a 390 px phone
each kab/kota is a card with its status and its worst item instead of a table row. 1440 and
1536 px are checked as well: wider screens bring the navbar's icons back."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from conftest import browser_login, screenshot
from core.models import Office, User
from meetings.models import ActionItem, Meeting
from monitoring.management.commands.seed_demo import DEMO_PASSWORD
from program.models import ProgramYear

pytestmark = pytest.mark.e2e

WIDTHS = """() => ({
    page: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    tables: [...document.querySelectorAll('.table-responsive')]
        .filter(el => el.offsetParent !== null)
        .map(el => [el.scrollWidth, el.clientWidth]),
})"""


@pytest.fixture
def demo(e2e_data):
    """The demo (work plans, reports, LKE) and an action item of a past meeting for every
    kab/kota, so every kab/kota SOP activity has a column: the widest dashboard there is."""
    call_command("seed_demo", stdout=io.StringIO())
    year = ProgramYear.objects.get(province__code="1700", year=timezone.localdate().year)
    lead = User.objects.get(username="ketua.tim")
    start = timezone.now() - timedelta(days=40)
    meeting = Meeting.objects.create(
        program_year=year,
        title="Evaluasi progres pembinaan Desa Cantik",
        period_start=start.date(),
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        platform=Meeting.Platform.ZOOM,
        link="https://zoom.us/j/1234567890",
        state=Meeting.State.HELD,
        held_at=start + timedelta(hours=2),
        created_by=lead,
    )
    for number, office in enumerate(Office.objects.filter(parent=year.province)):
        ActionItem.objects.create(
            meeting=meeting,
            owner_office=office,
            description="Perbarui data pada website desa.",
            due_date=timezone.localdate() + timedelta(days=number - 5),
            created_by=lead,
        )


def test_province_dashboard_fits_1366_and_becomes_cards_at_390(page, demo):
    page.set_viewport_size({"width": 1366, "height": 900})
    browser_login(page, "ketua.tim", DEMO_PASSWORD)
    page.goto("/dasbor/")
    rows = page.locator("[data-testid=office-row]")
    offices = rows.count()
    assert offices == 10
    activities = page.locator("#dashboard-table thead th.activity").all_inner_texts()
    assert len(activities) == 6, activities  # every SOP activity of a kab/kota
    widths = page.evaluate(WIDTHS)
    assert widths["page"] <= widths["viewport"] == 1366
    assert all(scroll <= client for scroll, client in widths["tables"]), widths["tables"]
    assert page.locator("#dashboard-table").is_visible()
    assert page.locator("[data-testid=office-card]").first.is_hidden()
    screenshot(page, "dashboard-1366")
    for width in (1440, 1536):  # the other common laptop widths: the navbar must fit too
        page.set_viewport_size({"width": width, "height": 900})
        widths = page.evaluate(WIDTHS)
        assert widths["page"] <= widths["viewport"] == width

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    widths = page.evaluate(WIDTHS)
    assert widths["page"] <= widths["viewport"] == 390
    assert page.locator("#dashboard-table").is_hidden()
    cards = page.locator("[data-testid=office-card]")
    assert cards.count() == offices
    for index in range(offices):
        card = cards.nth(index)
        assert card.is_visible()
        assert card.locator(".rag").is_visible()  # the status, in words
        assert card.locator("[data-testid=worst-item]").is_visible()
    screenshot(page, "dashboard-390")
