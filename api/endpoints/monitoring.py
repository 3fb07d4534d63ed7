"""The dashboard's figures per office for a program year: completeness and timeliness of
every SOP activity, the same computation as the Dasbor page."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from core import pagecache
from monitoring.figures import Rag, activity_label
from monitoring.queries import kabkota_choices, province_dashboard
from program.models import VillageKind
from program.queries import program_years_visible_to

from ..errors import READ_ERRORS
from .common import object_id

router = Router(tags=["monitoring"])


class FiguresOut(Schema):
    expected: int = Field(description="Items due by now or already done")
    done: int
    on_time: int
    late: int
    overdue: int
    open: int
    by_status: dict[str, int]
    completeness: float | None = Field(description="done / expected, in percent")
    timeliness: float | None = Field(description="on time / done, in percent")


class OfficeFigures(Schema):
    office_id: int | None = Field(description="None on the totals row")
    office_code: str
    office_name: str
    is_province: bool
    villages: int
    rag: Rag
    activities: dict[str, FiguresOut]
    total: FiguresOut


class DashboardActivity(Schema):
    code: str
    label: str


class DashboardOut(Schema):
    year: int
    as_of: datetime
    activities: list[DashboardActivity]
    offices: list[OfficeFigures]
    totals: OfficeFigures = Field(description="The kab/kota rows added up")


def row_out(row) -> dict:
    data = row.to_dict()
    return {
        "office_id": data["office_id"],
        "office_code": data["office_code"],
        "office_name": data["office_name"],
        "is_province": data["is_province"],
        "villages": data["villages"],
        "rag": data["rag"],
        "activities": data["activities"],
        "total": data["total"],
    }


@router.get(
    "/program-years/{program_year_id}/dashboard",
    response={200: DashboardOut, **READ_ERRORS},
    summary="Dashboard figures per office (completeness, timeliness, red/amber/green)",
)
def dashboard(
    request,
    program_year_id: int = object_id(),
    office: int | None = Query(None, ge=1, le=2**63 - 1, description="Narrow to one kab/kota"),
    kind: VillageKind | None = Query(None, description="Narrow to villages of one kind"),
):
    year = get_object_or_404(program_years_visible_to(request.user), pk=program_year_id)
    narrowed = None
    if office is not None:  # a kab/kota of the year's province the user may read, else 404
        narrowed = get_object_or_404(kabkota_choices(request.user, year), pk=office)

    def figures() -> dict:
        data = province_dashboard(request.user, year, office=narrowed, kind=kind or None)
        return {
            "year": year.year,
            "as_of": data.as_of,
            "activities": [{"code": c, "label": activity_label(c)} for c in data.activities],
            "offices": [row_out(r) for r in data.rows],
            "totals": row_out(data.totals),
        }

    # Cached as the Dasbor page is (core.pagecache: keyed on the reader's scope and the
    # province's data version, so a write shows on the next request).
    return pagecache.cached(
        "api-dashboard",
        request.user,
        figures,
        provinces=[year.province_id],
        parts=(year.pk, narrowed.pk if narrowed else None, kind or None),
    )
