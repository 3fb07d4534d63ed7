"""LKE worksheets with their answers at each level, the provincial results, and the one LKE
write the API offers: a kab/kota team's self-assessment answer."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from core.permissions import require
from lke import services
from lke.models import Item, Level, Option, Status, Target, Worksheet
from lke.queries import (
    allowed_actions,
    assessment_of,
    cached_results_for,
    editable_level,
    get_worksheet_for,
    worksheet_rows,
    worksheets_visible_to,
)
from program.queries import program_years_visible_to

from ..auth import write_auth
from ..errors import READ_ERRORS, WRITE_ERRORS
from ..paging import PageParams, page_of, paginate
from .common import (
    MAX_ID,
    NO_NUL,
    OfficeRef,
    UserRef,
    named_choices,
    object_id,
    office_ref,
    user_ref,
)

router = Router(tags=["lke"])
WorksheetStatus = named_choices("WorksheetStatus", Status)


class WorksheetOut(Schema):
    id: int
    year: int
    target: Target
    status: WorksheetStatus
    office: OfficeRef
    village_id: int | None
    subject_name: str
    required_items: int
    self_answered: int
    provincial_answered: int
    self_total: float | None
    provincial_total: float | None


class AnswerOut(Schema):
    option_id: int | None
    score: int | None
    text: str
    note: str
    reason: str
    version: int = Field(description="Send it back when saving; a stale one is refused (409)")
    answered_by: UserRef
    answered_at: datetime


class OptionOut(Schema):
    id: int
    label: str
    score: int


class EvidenceOut(Schema):
    id: int
    kind: str
    title: str
    url: str
    added_at: datetime


class ItemOut(Schema):
    id: int
    code: str
    rincian: str = Field(description="The national web form's code of the item; empty if not asked")
    text: str
    kind: str
    max_score: int | None
    evidence_required: bool
    options: list[OptionOut]
    answers: dict[Level, AnswerOut] = Field(description="The answer at each level given so far")
    delta: int | None = Field(description="Provincial score minus the self-assessed one")
    evidence: list[EvidenceOut]


class IndicatorOut(Schema):
    code: str
    title: str
    scores: dict[Level, float | None]
    items: list[ItemOut]


class AspectOut(Schema):
    code: str
    title: str
    scores: dict[Level, float | None]
    indicators: list[IndicatorOut]


class BlockOut(Schema):
    code: str
    title: str
    scored: bool
    aspects: list[AspectOut]


class WorksheetDetail(WorksheetOut):
    scores: dict[str, Any] = Field(description="Stored scores per level (total, aspects, …)")
    return_comment: str
    editable_level: Level | None = Field(description="The level you may answer now, if any")
    allowed_actions: list[str]
    blocks: list[BlockOut]


class WorksheetFilter(Schema):
    program_year: int | None = Field(None, ge=1, le=MAX_ID)
    office: int | None = Field(None, ge=1, le=MAX_ID)
    target: Target | None = None
    status: WorksheetStatus | None = None


def worksheet_out(worksheet: Worksheet) -> dict:
    return {
        "id": worksheet.pk,
        "year": worksheet.assessment.program_year.year,
        "target": worksheet.target,
        "status": worksheet.status,
        "office": office_ref(worksheet.office),
        "village_id": worksheet.village_id,
        "subject_name": worksheet.subject_name,
        "required_items": worksheet.required_items,
        "self_answered": worksheet.self_answered,
        "provincial_answered": worksheet.provincial_answered,
        "self_total": worksheet.level_scores(Level.SELF).get("total"),
        "provincial_total": worksheet.level_scores(Level.PROVINCIAL).get("total"),
    }


def answer_out(answer) -> dict:
    return {
        "option_id": answer.option_id,
        "score": answer.option.score if answer.option_id else None,
        "text": answer.text,
        "note": answer.note,
        "reason": answer.reason,
        "version": answer.version,
        "answered_by": user_ref(answer.answered_by),
        "answered_at": answer.answered_at,
    }


def item_out(row) -> dict:
    item = row.item
    return {
        "id": item.pk,
        "code": item.code,
        "rincian": item.rincian,
        "text": item.text,
        "kind": item.kind,
        "max_score": item.max_score,
        "evidence_required": item.evidence_required,
        "options": [{"id": o.pk, "label": o.label, "score": o.score} for o in item.options.all()],
        "answers": {level: answer_out(a) for level, a in row.answers.items()},
        "delta": row.delta,
        "evidence": [
            {"id": e.pk, "kind": e.kind, "title": e.title, "url": e.url, "added_at": e.added_at}
            for e in row.evidence
        ],
    }


@router.get(
    "/lke/worksheets",
    response={200: page_of(WorksheetOut), **READ_ERRORS},
    summary="LKE worksheets in scope",
)
def worksheet_list(request, page: Query[PageParams], filters: Query[WorksheetFilter]):
    worksheets = worksheets_visible_to(request.user).order_by("office__code", "-target", "pk")
    if filters.program_year is not None:
        worksheets = worksheets.filter(assessment__program_year_id=filters.program_year)
    if filters.office is not None:
        worksheets = worksheets.filter(office_id=filters.office)
    if filters.target:
        worksheets = worksheets.filter(target=filters.target)
    if filters.status:
        worksheets = worksheets.filter(status=filters.status)
    return paginate(worksheets, page, worksheet_out)


def worksheet_detail_out(user, worksheet: Worksheet) -> dict:
    rows = worksheet_rows(worksheet)
    return worksheet_out(worksheet) | {
        "scores": worksheet.scores,
        "return_comment": worksheet.return_comment,
        "editable_level": editable_level(user, worksheet),
        "allowed_actions": sorted(allowed_actions(user, worksheet)),
        "blocks": [
            {
                "code": b["block"].code,
                "title": b["block"].title,
                "scored": b["block"].scored,
                "aspects": [
                    {
                        "code": a["aspect"].code,
                        "title": a["aspect"].title,
                        "scores": a["scores"],
                        "indicators": [
                            {
                                "code": i["indicator"].code,
                                "title": i["indicator"].title,
                                "scores": i["scores"],
                                "items": [item_out(r) for r in i["rows"]],
                            }
                            for i in a["indicators"]
                        ],
                    }
                    for a in b["aspects"]
                ],
            }
            for b in rows["blocks"]
        ],
    }


@router.get(
    "/lke/worksheets/{worksheet_id}",
    response={200: WorksheetDetail, **READ_ERRORS},
    summary="A worksheet: blocks → aspects → indicators → items with the answers of each level",
)
def worksheet_detail(request, worksheet_id: int = object_id()):
    return worksheet_detail_out(request.user, get_worksheet_for(request.user, worksheet_id))


class AnswerIn(Schema):
    version: int = Field(
        ge=0, le=2**31 - 1, description="The answer's version as read; 0 when not answered yet"
    )
    option_id: int | None = Field(None, ge=1, le=MAX_ID, description="For a choice item")
    text: str = Field("", max_length=5000, pattern=NO_NUL, description="For a text item")
    note: str = Field("", max_length=2000, pattern=NO_NUL)


class SavedAnswer(Schema):
    item_id: int
    level: Level
    answer: AnswerOut
    worksheet: WorksheetOut


@router.put(
    "/lke/worksheets/{worksheet_id}/answers/{item_id}",
    auth=write_auth,
    response={200: SavedAnswer, **WRITE_ERRORS},
    summary="Save a self-assessment answer (kab/kota team, while in self-assessment)",
    description="The same service as the worksheet page (lke.services.save_answer): the item "
    "must belong to the worksheet and the option to the item; a stale `version` is refused "
    "with 409 (code `stale_edit`) and the earlier save stays. Audited like a page save.",
)
def answer_save(
    request, data: AnswerIn, worksheet_id: int = object_id(), item_id: int = object_id("item")
):
    worksheet = get_worksheet_for(request.user, worksheet_id, write=True)
    item = get_object_or_404(
        Item.objects.filter(instrument=worksheet.assessment.instrument_id), pk=item_id
    )
    require(editable_level(request.user, worksheet) == Level.SELF)
    option = None
    if data.option_id is not None:
        option = Option.objects.filter(item=item, pk=data.option_id).first()
        if option is None:
            raise ValidationError(
                {
                    "option_id": _("That option does not belong to item %(code)s.")
                    % {"code": item.code}
                }
            )
    answer = services.save_answer(
        worksheet,
        item=item,
        level=Level.SELF,
        option=option,
        text=data.text,
        note=data.note,
        version=data.version,
        by=request.user,
    )
    answer = type(answer).objects.select_related("option", "answered_by").get(pk=answer.pk)
    return {
        "item_id": item.pk,
        "level": Level.SELF,
        "answer": answer_out(answer),
        "worksheet": worksheet_out(get_worksheet_for(request.user, worksheet_id)),
    }


class ResultRow(Schema):
    worksheet_id: int
    name: str
    district: str
    office: str
    office_id: int
    kind: str
    status: str
    frozen: bool = Field(description="Finalised: the figures are the frozen snapshot")
    rank: int | None = Field(description="None while a kab/kota may not see the ranking yet")
    self_total: float | None
    provincial_total: float | None
    delta: float | None
    aspects: dict[str, float | None] = Field(description="Verified value per aspect code")


class ResultsOut(Schema):
    year: int
    instrument: str
    signed_off_at: datetime | None
    ranking_public: bool
    all_final: bool
    villages: list[ResultRow]
    offices: list[ResultRow]


def result_row(row: dict, columns: list[dict]) -> dict:
    return {
        "worksheet_id": row["worksheet"].pk,
        "name": row["name"],
        "district": row["district"],
        "office": row["office"],
        "office_id": row["office_id"],
        "kind": row["kind"],
        "status": row["worksheet"].status,
        "frozen": row["frozen"],
        "rank": row["rank"],
        "self_total": row[Level.SELF].get("total"),
        "provincial_total": row[Level.PROVINCIAL].get("total"),
        "delta": row["delta"],
        "aspects": dict(zip((c["code"] for c in columns), row["aspect_values"], strict=True)),
    }


@router.get(
    "/program-years/{program_year_id}/lke-results",
    response={200: ResultsOut, **READ_ERRORS},
    summary="Hasil penilaian LKE Provinsi of a year, as you may see it",
)
def lke_results(request, program_year_id: int = object_id()):
    year = get_object_or_404(program_years_visible_to(request.user), pk=program_year_id)
    assessment = assessment_of(year)
    if assessment is None:
        raise Http404
    data = cached_results_for(request.user, assessment)
    return {
        "year": year.year,
        "instrument": str(assessment.instrument),
        "signed_off_at": assessment.signed_off_at,
        "ranking_public": data["public"],
        "all_final": data["all_final"],
        "villages": [result_row(r, data["aspects"]) for r in data["villages"]],
        "offices": [result_row(r, data["office_aspects"]) for r in data["offices"]],
    }
