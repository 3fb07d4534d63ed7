"""The province-wide table of village needs, from the identification resumes the user may see."""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from core.models import Office, User
from core.permissions import kabkota_offices_visible_to
from program.models import ProgramYear

from ..models import (
    COACHING_FIELDS,
    NeedItem,
    ReportKind,
    ReportState,
    Topic,
    field_label,
)
from . import reports_visible_to

# --- the province-wide needs table ----------------------------------------------------------------


@dataclass
class TopicRow:
    topic: str
    label: str
    data_villages: list[str] = field(default_factory=list)  # 1001a
    activity_villages: list[str] = field(default_factory=list)  # 1001b
    data_items: list[str] = field(default_factory=list)
    activity_items: list[str] = field(default_factory=list)


@dataclass
class CoachingRow:
    office: Office
    answered: int
    yes: list[int]  # per 1002a–e


@dataclass
class NeedsTable:
    reports: int
    topics: list[TopicRow]
    coaching: list[CoachingRow]
    coaching_labels: list[str]
    coaching_codes: list[str]
    coaching_total: list[int]
    answered_total: int

    def chart(self) -> dict:
        return {
            "labels": [row.label for row in self.topics],
            "data": [len(row.data_villages) for row in self.topics],
            "activity": [len(row.activity_villages) for row in self.topics],
            "data_label": str(NeedItem.Section.DATA.label),
            "activity_label": str(NeedItem.Section.ACTIVITY.label),
        }


def needs_table(
    user: User,
    program_year: ProgramYear,
    *,
    office: Office | None = None,
    approved_only: bool = False,
) -> NeedsTable:
    """The identification resumes of the year's villages the user sees, aggregated: per topic,
    which villages need data (1001a) or help with activities (1001b) on it; per kab/kota, how
    many villages answered Yes to each of 1002a–e.

    Counts a report once it has been submitted (its current content), or only approved ones.
    Four queries whatever the number of villages."""
    states = (
        [ReportState.APPROVED]
        if approved_only
        else [ReportState.SUBMITTED, ReportState.RETURNED, ReportState.APPROVED]
    )
    reports = reports_visible_to(user).filter(
        kind=ReportKind.IDENTIFIKASI, state__in=states, village__program_year=program_year
    )
    if office is not None:
        reports = reports.filter(village__office=office)
    topics = {value: TopicRow(value, str(label)) for value, label in Topic.choices}
    seen = set()
    items = (
        NeedItem.objects.filter(report__in=reports)
        .values(
            "section",
            "topic",
            "description",
            "report__village_id",
            "report__village__village__name",
            "report__village__office__short_name",
        )
        .order_by("report__village__office__code", "report__village__village__name", "position")
    )
    for item in items:
        row = topics[item["topic"]]
        name = (
            f"{item['report__village__village__name']} "
            f"({item['report__village__office__short_name']})"
        )
        is_data = item["section"] == NeedItem.Section.DATA
        (row.data_items if is_data else row.activity_items).append(
            f"{item['description']} — {item['report__village__village__name']}"
        )
        key = (item["section"], item["topic"], item["report__village_id"])
        if key not in seen:
            seen.add(key)
            (row.data_villages if is_data else row.activity_villages).append(name)
    per_office = {
        row["village__office_id"]: row
        for row in reports.values("village__office_id").annotate(
            answered=Count("pk"),
            **{name: Count("pk", filter=Q(**{name: True})) for name in COACHING_FIELDS},
        )
    }
    offices = kabkota_offices_visible_to(user, program_year.province)
    if office is not None:
        offices = offices.filter(pk=office.pk)
    coaching = []
    for kabkota in offices:
        counts = per_office.get(kabkota.pk, {})
        coaching.append(
            CoachingRow(
                office=kabkota,
                answered=counts.get("answered", 0),
                yes=[counts.get(name, 0) for name in COACHING_FIELDS],
            )
        )
    ordered = sorted(
        topics.values(),
        key=lambda r: (
            r.topic == Topic.LAINNYA,
            -(len(r.data_villages) + len(r.activity_villages)),
            r.label,
        ),
    )
    return NeedsTable(
        reports=sum(row.answered for row in coaching),
        topics=ordered,
        coaching=coaching,
        coaching_labels=[field_label(ReportKind.IDENTIFIKASI, n) for n in COACHING_FIELDS],
        coaching_codes=[
            field_label(ReportKind.IDENTIFIKASI, n).split(" ", 1)[0] for n in COACHING_FIELDS
        ],
        coaching_total=[sum(row.yes[i] for row in coaching) for i in range(len(COACHING_FIELDS))],
        answered_total=sum(row.answered for row in coaching),
    )
