"""The dashboard's arithmetic over tracked items: counts per office and activity, completeness,
timeliness, the red/amber/green rule, and the JSON form a recap freezes. No database here:
`monitoring.queries` fetches the items, this module only counts them.

Definitions (per office and activity, like reporting rates in health M&E):
- expected: items due by now (status `lewat`) or already done (`tepat_waktu`, `terlambat`);
  an item under an extension that has not run out yet is not expected yet;
- done, on time (`tepat_waktu`), late (`terlambat`), overdue (`lewat`), open (not done);
- completeness = done / expected, timeliness = on time / done, in percent (None when the
  denominator is 0)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.deadlines import DONE_STATUSES, Status, TrackedItem

# --- the red/amber/green rule (shown in the legend on every page that shows a RAG badge) -------
RED_MIN_OVERDUE = 3
RED_BELOW_COMPLETENESS = 50
AMBER_MIN_OVERDUE = 1
AMBER_BELOW_COMPLETENESS = 80


class Rag(models.TextChoices):
    RED = "red", pgettext_lazy("rag", "Red")
    AMBER = "amber", pgettext_lazy("rag", "Amber")
    GREEN = "green", pgettext_lazy("rag", "Green")


# Activity codes the providers emit, in the order of the SOP (the work plan first: every SOP
# activity takes its realisation as input). A provider of a new code adds its label here.
ACTIVITY_LABELS = {
    "rencana_kerja": _("Work plan"),
    "monitoring": _("Monitoring recap"),
    "rapat": _("Meetings"),
    "sosialisasi": _("Sosialisasi report"),
    "identifikasi": _("Identification report"),
    "penilaian": _("LKE assessment"),
    "laporan_akhir": _("Final report"),
    "tindak_lanjut": _("Meeting action items"),
}


def activity_label(code: str) -> str:
    return str(ACTIVITY_LABELS.get(code, code.replace("_", " ").capitalize()))


def ordered_activities(codes: Iterable[str]) -> list[str]:
    known = list(ACTIVITY_LABELS)
    return sorted(set(codes), key=lambda c: (known.index(c) if c in known else len(known), c))


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Figures:
    """Counts of tracked items of one office (or the province) for one activity (or all)."""

    expected: int = 0
    done: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    open: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def count(self, status: str, n: int = 1) -> None:
        """Count `n` items of one status."""
        status = Status(status)
        self.by_status[status.value] = self.by_status.get(status.value, 0) + n
        if status in DONE_STATUSES:
            self.done += n
            self.expected += n
            self.on_time += n * (status == Status.TEPAT_WAKTU)
            self.late += n * (status == Status.TERLAMBAT)
        else:
            self.open += n
            if status == Status.LEWAT:
                self.overdue += n
                self.expected += n

    def merge(self, other: "Figures") -> None:
        for name in ("expected", "done", "on_time", "late", "overdue", "open"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for status, n in other.by_status.items():
            self.by_status[status] = self.by_status.get(status, 0) + n

    @property
    def completeness(self) -> float | None:
        return percent(self.done, self.expected)

    @property
    def timeliness(self) -> float | None:
        return percent(self.on_time, self.done)

    @property
    def total(self) -> int:
        return self.done + self.open

    def status_count(self, status: str) -> int:
        return self.by_status.get(status, 0)

    def to_dict(self) -> dict:
        return {
            "expected": self.expected,
            "done": self.done,
            "on_time": self.on_time,
            "late": self.late,
            "overdue": self.overdue,
            "open": self.open,
            "by_status": dict(sorted(self.by_status.items())),
            "completeness": self.completeness,
            "timeliness": self.timeliness,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> "Figures":
        return cls(
            expected=data["expected"],
            done=data["done"],
            on_time=data["on_time"],
            late=data["late"],
            overdue=data["overdue"],
            open=data["open"],
            by_status=dict(data.get("by_status", {})),
        )


def rag_for(figures: Figures) -> Rag:
    """Red: ≥ RED_MIN_OVERDUE overdue items or completeness below RED_BELOW_COMPLETENESS %.
    Amber: any overdue item or completeness below AMBER_BELOW_COMPLETENESS %. Green otherwise,
    also when nothing is due yet."""
    completeness = figures.completeness
    if figures.overdue >= RED_MIN_OVERDUE or (
        completeness is not None and completeness < RED_BELOW_COMPLETENESS
    ):
        return Rag.RED
    if figures.overdue >= AMBER_MIN_OVERDUE or (
        completeness is not None and completeness < AMBER_BELOW_COMPLETENESS
    ):
        return Rag.AMBER
    return Rag.GREEN


@dataclass
class DashboardRow:
    """One office's line of the dashboard (or, with `office_id` None, the province total)."""

    office_id: int | None
    office_code: str
    office_name: str
    office_short_name: str
    is_province: bool
    villages: int
    activities: dict[str, Figures]
    total: Figures
    rag: str
    # The office's worst open item on the live dashboard (see `worst_item`); not frozen in a
    # recap's snapshot.
    worst: TrackedItem | None = field(default=None, compare=False)

    def activity(self, code: str) -> Figures:
        return self.activities.get(code) or Figures()

    @property
    def is_total(self) -> bool:
        return self.office_id is None

    def to_dict(self) -> dict:
        return {
            "office_id": self.office_id,
            "office_code": self.office_code,
            "office_name": self.office_name,
            "office_short_name": self.office_short_name,
            "is_province": self.is_province,
            "villages": self.villages,
            "activities": {code: f.to_dict() for code, f in self.activities.items()},
            "total": self.total.to_dict(),
            "rag": self.rag,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> "DashboardRow":
        return cls(
            office_id=data["office_id"],
            office_code=data["office_code"],
            office_name=data["office_name"],
            office_short_name=data["office_short_name"],
            is_province=data["is_province"],
            villages=data["villages"],
            activities={c: Figures.from_dict(f) for c, f in data["activities"].items()},
            total=Figures.from_dict(data["total"]),
            # The colour is stored as it was decided, not recomputed: a later change of the
            # rule must not repaint a signed recap.
            rag=data["rag"],
        )


def _row(office_id, code, name, short_name, is_province, villages, figures: dict[str, Figures]):
    total = Figures()
    for f in figures.values():
        total.merge(f)
    return DashboardRow(
        office_id=office_id,
        office_code=code,
        office_name=name,
        office_short_name=short_name,
        is_province=is_province,
        villages=villages,
        activities=figures,
        total=total,
        rag=rag_for(total).value,
    )


SNAPSHOT_VERSION = 1
WORST_FIRST = (Status.LEWAT, Status.SEGERA)


def worst_item(items: Iterable[TrackedItem]) -> TrackedItem | None:
    """The open item that most needs attention: the longest overdue, else the one due soonest
    (due soon); None when nothing is overdue or due soon."""
    candidates = [i for i in items if i.status in WORST_FIRST and i.due is not None]
    if not candidates:
        return None
    return min(candidates, key=lambda i: (WORST_FIRST.index(i.status), i.due, i.label))


@dataclass
class Dashboard:
    """Rows per office, the totals over the kab/kota rows and the activity codes present, as of
    a moment. The province office's own items (its recap) have their own row and stay out of
    the totals, so the totals are the sum of the kab/kota lines above them."""

    as_of: datetime
    activities: list[str]
    rows: list[DashboardRow]
    totals: DashboardRow

    @property
    def kabkota_rows(self) -> list[DashboardRow]:
        return [r for r in self.rows if not r.is_province]

    @property
    def province_rows(self) -> list[DashboardRow]:
        return [r for r in self.rows if r.is_province]

    @staticmethod
    def activities_of(rows: Iterable[DashboardRow], codes: Iterable[str]) -> list[str]:
        """The codes (in order) for which any of `rows` has at least one item."""
        rows = list(rows)
        return [c for c in codes if any(r.activity(c).total for r in rows)]

    @property
    def kabkota_activities(self) -> list[str]:
        return self.activities_of(self.kabkota_rows, self.activities)

    @property
    def province_activities(self) -> list[str]:
        return self.activities_of(self.province_rows, self.activities)

    def row_for(self, office_id: int) -> DashboardRow | None:
        return next((r for r in self.rows if r.office_id == office_id), None)

    def to_snapshot(self) -> dict:
        return {
            "version": SNAPSHOT_VERSION,
            "as_of": self.as_of.isoformat(),
            "activities": list(self.activities),
            "rows": [r.to_dict() for r in self.rows],
            "totals": self.totals.to_dict(),
        }

    @classmethod
    def from_snapshot(cls, data: Mapping) -> "Dashboard":
        return cls(
            as_of=datetime.fromisoformat(data["as_of"]),
            activities=list(data["activities"]),
            rows=[DashboardRow.from_dict(r) for r in data["rows"]],
            totals=DashboardRow.from_dict(data["totals"]),
        )


def build_dashboard(
    offices: Iterable,
    village_counts: Mapping[int, int],
    items: Iterable[TrackedItem],
    *,
    now: datetime,
    counted: Iterable[tuple[int, str, str, int]] = (),
    urgent: Iterable[TrackedItem] = (),
) -> Dashboard:
    """Count `items` per office (in the order of `offices`) and activity, and add `counted`,
    items already counted in SQL as (office id, activity, status, number); `urgent` are those
    of the counted items that may be an office's worst item (overdue or due soon), to pick it
    from, not counted again. Items of offices not
    listed are ignored. Every activity code seen appears in every row (zeros where none); the
    totals add up the kab/kota rows. Each row carries its office's `worst_item`."""
    offices = list(offices)
    counts: dict[int, dict[str, Figures]] = {o.pk: {} for o in offices}
    by_office: dict[int, list[TrackedItem]] = {o.pk: [] for o in offices}
    for item in items:
        per_office = counts.get(item.office_id)
        if per_office is None:
            continue
        per_office.setdefault(item.activity, Figures()).count(item.status)
        by_office[item.office_id].append(item)
    for office_id, activity, status, n in counted:
        per_office = counts.get(office_id)
        if per_office is not None:
            per_office.setdefault(activity, Figures()).count(status, n)
    for item in urgent:
        if item.office_id in by_office:
            by_office[item.office_id].append(item)
    codes = ordered_activities(c for per_office in counts.values() for c in per_office)
    rows = []
    province_total: dict[str, Figures] = {code: Figures() for code in codes}
    for office in offices:
        figures = {code: counts[office.pk].get(code) or Figures() for code in codes}
        if not office.is_province:
            for code, f in figures.items():
                province_total[code].merge(f)
        rows.append(
            _row(
                office.pk,
                office.code,
                office.name,
                office.short_name,
                office.is_province,
                village_counts.get(office.pk, 0),
                figures,
            )
        )
        rows[-1].worst = worst_item(by_office[office.pk])
    totals = _row(None, "", "", "", False, sum(r.villages for r in rows), province_total)
    return Dashboard(as_of=now, activities=codes, rows=rows, totals=totals)


def trend(current: Figures, previous: Figures | None) -> dict[str, float | None]:
    """Change in percentage points of completeness and timeliness since a previous figure;
    None where there is nothing to compare."""

    def diff(a, b):
        return None if a is None or b is None else round(a - b, 1)

    if previous is None:
        return {"completeness": None, "timeliness": None}
    return {
        "completeness": diff(current.completeness, previous.completeness),
        "timeliness": diff(current.timeliness, previous.timeliness),
    }


# Status order of the stacked charts: done first, then what is still open, most urgent first.
CHART_STATUSES = [
    Status.TEPAT_WAKTU,
    Status.TERLAMBAT,
    Status.LEWAT,
    Status.SEGERA,
    Status.DISPENSASI,
    Status.BELUM_JATUH_TEMPO,
    Status.BELUM_DIBUKA,
]


def chart_data(dashboard: Dashboard) -> dict:
    """What static/js/dashboard.js draws (passed with json_script): work-plan items per kab/kota
    by status, and per activity the items done on time, done late and overdue over every row
    shown (drawn as shares of the expected items, so activities of different sizes compare),
    with the completeness and timeliness percentages for the tooltips."""
    rows = dashboard.kabkota_rows
    statuses = [{"key": s.value, "label": str(s.label)} for s in CHART_STATUSES]
    realisation = {
        "labels": [r.office_short_name for r in rows],
        "statuses": statuses,
        "counts": {
            s.value: [r.activity("rencana_kerja").status_count(s.value) for r in rows]
            for s in CHART_STATUSES
        },
        "completeness": [r.activity("rencana_kerja").completeness for r in rows],
    }
    codes = dashboard.activities
    figures = []
    for code in codes:  # every office's items, the province's own (its recaps) included
        f = Figures()
        for row in dashboard.rows:
            f.merge(row.activity(code))
        figures.append(f)
    timeliness = {
        "labels": [activity_label(c) for c in codes],
        "statuses": [s for s in statuses if s["key"] in {"tepat_waktu", "terlambat", "lewat"}],
        "counts": {
            "tepat_waktu": [f.on_time for f in figures],
            "terlambat": [f.late for f in figures],
            "lewat": [f.overdue for f in figures],
        },
        "expected": [f.expected for f in figures],
        "timeliness": [f.timeliness for f in figures],
        "completeness": [f.completeness for f in figures],
    }
    labels = {
        "completeness": str(_("Completeness")),
        "timeliness": str(_("Timeliness")),
        "share": str(_("Share of the expected items (%)")),
    }
    return {"realisation": realisation, "timeliness": timeliness, "labels": labels}


def rag_legend() -> list[tuple[str, str]]:
    """The rule of `rag_for` in words, for the legend next to every RAG badge."""
    return [
        (
            Rag.RED.value,
            _("%(n)s or more overdue items, or completeness below %(c)s%%")
            % {"n": RED_MIN_OVERDUE, "c": RED_BELOW_COMPLETENESS},
        ),
        (
            Rag.AMBER.value,
            _("at least %(n)s overdue item, or completeness below %(c)s%%")
            % {"n": AMBER_MIN_OVERDUE, "c": AMBER_BELOW_COMPLETENESS},
        ),
        (Rag.GREEN.value, str(_("otherwise, also when nothing is due yet"))),
    ]


def national_chart_data(national) -> dict:
    """What static/js/dashboard.js draws on the national dashboard (passed with json_script):
    per province (by code) its completeness and timeliness over its kab/kota, in percent
    (None where nothing is due yet)."""
    lines = national.lines
    return {
        "provinces": {
            "labels": [line.province.short_name for line in lines],
            "completeness": [line.row.total.completeness for line in lines],
            "timeliness": [line.row.total.timeliness for line in lines],
        },
        "labels": {
            "completeness": str(_("Completeness")),
            "timeliness": str(_("Timeliness")),
            "share": str(_("Percent")),
        },
    }
