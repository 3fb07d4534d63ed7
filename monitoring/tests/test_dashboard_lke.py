"""The dashboard shows the LKE worksheets per kab/kota (issue 6, point 7), read from the LKE
app's progress function, and the assessment window as a tracked item."""

import pytest

from lke.models import Worksheet
from lke.services import open_assessment, submit_worksheet
from lke.tests.conftest import fill, small_instrument  # noqa: F401  (fixture)


@pytest.fixture
def opened(year_2026, small_instrument, ketua_tim, village_rejang_lebong, village_kaur):  # noqa: F811
    return open_assessment(year_2026, instrument=small_instrument, by=ketua_tim)


def test_dashboard_lists_worksheets_self_assessed_per_office(
    client, monkeypatch, opened, tim_provinsi, tim_rejang_lebong, village_rejang_lebong
):
    from lke.queries import tracked_items as lke_items
    from monitoring.queries import recap_items
    from program.queries import work_plan_items

    monkeypatch.setattr("monitoring.queries.PROVIDERS", [work_plan_items, recap_items, lke_items])
    worksheet = Worksheet.objects.get(village=village_rejang_lebong)
    fill(worksheet, by=tim_rejang_lebong)
    submit_worksheet(worksheet, by=tim_rejang_lebong)
    client.force_login(tim_provinsi)

    response = client.get("/dasbor/", {"tahun": 2026})

    rows = {
        row.office_code: (p.total, p.self_assessed, p.verified, p.finalised)
        for row, p in response.context["lke_rows"]
    }
    # Rejang Lebong: its village worksheet and its office (Blok IV) worksheet; Kaur likewise.
    assert rows == {"1702": (2, 1, 0, 0), "1704": (2, 0, 0, 0)}
    assert 'data-testid="lke-progress"' in response.content.decode()
    assert "penilaian" in response.context["data"].kabkota_activities
