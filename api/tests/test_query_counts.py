"""Every read operation of the API asks the database the same number of queries whatever the
amount of data (STYLE.md 13, DESIGN.md "Performance budget"): each GET of the schema is asked
as the province team with the small world (one village per kab/kota), then again after each
kab/kota got two more villages with their work plan, report, meeting, action item and LKE
worksheet; the counts must be equal. Generated from the matrix's expectations, so a new read
operation is measured as soon as it is declared there."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import Scope
from conftest import desa_in
from lke import services as lke_services
from program.models import ParticipatingVillage, VillageKind

from .conftest import _side
from .test_matrix import EXPECTATIONS, Everyone, Listing, Scoped

READS = sorted(path for method, path in EXPECTATIONS if method == "get")


def _url(path: str, world) -> str:
    expectation = EXPECTATIONS[("get", path)]
    if isinstance(expectation, Everyone):
        return path.format(**expectation.params(world))
    if isinstance(expectation, Listing):
        return path
    assert isinstance(expectation, Scoped)
    return path.format(**expectation.params(world.sides["1704"]))


def _queries(client_for, url: str) -> int:
    """Queries of one request, the second of a fresh token (the first also stamps the token's
    last use), with the page cache emptied before it."""
    client = client_for()
    client.get(url, {"limit": 200})
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"limit": 200})
    assert response.status_code == 200, response.content[:500]
    return len(queries)


def _grow(world, users: dict, ketua_tim) -> None:
    for code, side in world.sides.items():
        for index in (1, 2):
            village = ParticipatingVillage.objects.create(
                program_year=world.year,
                village=desa_in(side.office, index),
                office=side.office,
                kind=VillageKind.BERKELANJUTAN,
            )
            _side(world.year, side.office, village, users[code], ketua_tim)
    lke_services.add_missing_worksheets(world.year.lke_assessment, by=ketua_tim)


@pytest.mark.parametrize("path", READS)
def test_api_read_asks_as_many_queries_with_three_times_the_data(
    path, world, api_client, tim_provinsi, tim_rejang_lebong, tim_kaur, ketua_tim
):
    url = _url(path, world)

    def client_for():
        return api_client(tim_provinsi, Scope.READ)

    small = _queries(client_for, url)
    _grow(world, {"1702": tim_rejang_lebong, "1704": tim_kaur}, ketua_tim)
    assert _queries(client_for, url) == small


def test_cached_api_dashboard_shows_a_realisation_on_the_next_read(world, api_client, tim_kaur):
    """The dashboard figures are cached (core.pagecache) but never stale: a realisation saved
    through the API is counted on the very next read of the dashboard."""
    side = world.sides["1704"]
    reader = api_client(tim_kaur, Scope.READ)
    url = f"/api/v1/program-years/{world.year.pk}/dashboard"

    def kaur_done() -> int:
        offices = reader.get(url).json()["offices"]
        return next(o["total"]["done"] for o in offices if o["office_code"] == "1704")

    before = kaur_done()
    assert kaur_done() == before  # served from the cache
    side.activity.refresh_from_db()
    saved = api_client(tim_kaur).put(
        f"/api/v1/work-plan-activities/{side.activity.pk}/realisation",
        data={
            "version": side.activity.version,
            "realised_on": "2026-05-10",
            "realisation_output": "Notulen koordinasi",
            "realisation_notes": "",
        },
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    assert kaur_done() == before + 1
