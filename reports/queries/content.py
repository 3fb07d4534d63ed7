"""A report's content as plain JSON (what a version freezes), shown as fields, lists and
sections, and what changed from one version to the next."""

from dataclasses import dataclass, field
from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _

from core.services import attachments_of

from ..models import (
    KIND_FIELDS,
    SECTION_FIELDS,
    SECTIONS,
    NeedItem,
    Purpose,
    Report,
    Review,
    Topic,
    field_label,
)

# --- content and versions ------------------------------------------------------------------------


def _json(value):
    return value.isoformat() if isinstance(value, date) else value


AGENT_KEYS = ("name", "role", "is_village_official", "sk_number", "sk_date")
NEED_KEYS = ("section", "topic", "description")


def snapshot_of(report: Report, *, agents=None, needs=None, files=None) -> dict:
    """The report's content as plain JSON: its fields, its lists and every current attachment
    with its sha256. What a version freezes, what the pages show and what a diff compares.
    The lists are read unless given (a bulk seed passes them)."""
    saved = report.pk is not None
    if agents is None:
        agents = list(report.agents.all()) if saved else []
    if needs is None:
        needs = list(report.needs.all()) if saved else []
    if files is None:
        files = (
            list(attachments_of(report).order_by("purpose", "uploaded_at", "id")) if saved else []
        )
    return {
        "kind": report.kind,
        "fields": {name: _json(getattr(report, name)) for name in KIND_FIELDS[report.kind]},
        "agents": [{key: _json(getattr(agent, key)) for key in AGENT_KEYS} for agent in agents],
        "needs": [{key: getattr(need, key) for key in NEED_KEYS} for need in needs],
        "attachments": [
            {
                "id": a.pk,
                "purpose": a.purpose,
                "name": a.original_name,
                "sha256": a.sha256,
                "size": a.size,
                "content_type": a.content_type,
            }
            for a in files
        ],
    }


def display_value(value) -> str:
    """A frozen field value as a person reads it: dates as "4 May 2026", Yes/No, — for empty."""
    if value is None or value == "":
        return "—"
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")
        except ValueError:
            return value
    return str(value)


@dataclass(frozen=True)
class FieldRow:
    name: str
    label: str
    value: str


def field_rows(snapshot: dict) -> list[FieldRow]:
    kind = snapshot["kind"]
    return [
        FieldRow(name, field_label(kind, name), display_value(value))
        for name, value in snapshot["fields"].items()
    ]


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class VersionDiff:
    fields: list[FieldChange]
    added: dict[str, list[str]]  # list name → lines added ("agents", "needs", "attachments")
    removed: dict[str, list[str]]

    @property
    def is_empty(self) -> bool:
        return not (self.fields or any(self.added.values()) or any(self.removed.values()))

    @property
    def lists(self) -> list[tuple[str, list[str], list[str]]]:
        """(title, added, removed) for each list that changed."""
        titles = {
            "agents": _("Agen statistik"),
            "needs": _("Needs (1001a/1001b)"),
            "attachments": _("Attachments"),
        }
        return [
            (title, self.added[name], self.removed[name])
            for name, title in titles.items()
            if self.added[name] or self.removed[name]
        ]


def _agent_text(agent: dict) -> str:
    parts = [agent["name"]]
    if agent.get("role"):
        parts.append(agent["role"])
    parts.append(_("village official") if agent.get("is_village_official") else _("community"))
    if agent.get("sk_number"):
        parts.append(_("SK %(number)s") % {"number": agent["sk_number"]})
    if agent.get("sk_date"):
        parts.append(display_value(agent["sk_date"]))
    return " · ".join(parts)


def _need_text(need: dict) -> str:
    return f"{need['section']} · {Topic(need['topic']).label} · {need['description']}"


def _attachment_text(item: dict) -> str:
    label = Purpose(item["purpose"]).label if item["purpose"] in Purpose.values else item["purpose"]
    return f"{label}: {item['name']} (sha256 {item['sha256'][:12]}…)"


def snapshot_lines(snapshot: dict) -> dict[str, list[str]]:
    return {
        "agents": [_agent_text(a) for a in snapshot.get("agents", [])],
        "needs": [_need_text(n) for n in snapshot.get("needs", [])],
        "attachments": [_attachment_text(a) for a in snapshot.get("attachments", [])],
    }


def version_diff(old: dict, new: dict) -> VersionDiff:
    """What changed from one frozen version to the next: fields with old and new values, and
    lines added to or removed from the agents, needs and attachments (a file counts as the same
    when its document kind and sha256 are the same, whatever its name)."""
    kind = new["kind"]
    changes = [
        FieldChange(
            field_label(kind, name), display_value(old["fields"].get(name)), display_value(value)
        )
        for name, value in new["fields"].items()
        if old["fields"].get(name) != value
    ]
    old_lines, new_lines = snapshot_lines(old), snapshot_lines(new)
    old_files = {(a["purpose"], a["sha256"]) for a in old.get("attachments", [])}
    new_files = {(a["purpose"], a["sha256"]) for a in new.get("attachments", [])}
    added = {
        "agents": [x for x in new_lines["agents"] if x not in old_lines["agents"]],
        "needs": [x for x in new_lines["needs"] if x not in old_lines["needs"]],
        "attachments": [
            _attachment_text(a)
            for a in new.get("attachments", [])
            if (a["purpose"], a["sha256"]) not in old_files
        ],
    }
    removed = {
        "agents": [x for x in old_lines["agents"] if x not in new_lines["agents"]],
        "needs": [x for x in old_lines["needs"] if x not in new_lines["needs"]],
        "attachments": [
            _attachment_text(a)
            for a in old.get("attachments", [])
            if (a["purpose"], a["sha256"]) not in new_files
        ],
    }
    return VersionDiff(fields=changes, added=added, removed=removed)


@dataclass
class ContentSection:
    key: str
    label: str
    fields: list[FieldRow]
    comment: str  # the reviewer's comment on this part when the report was returned
    agents: list[dict] = field(default_factory=list)
    needs: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)


def content_sections(snapshot: dict, review: Review | None = None) -> list[ContentSection]:
    """The report's content grouped in the parts a reviewer comments on, in order, ready to
    show: fields with display values, agents, needs by section (1001a, 1001b). Attachments are
    a part too; the pages list the files themselves."""
    kind = snapshot["kind"]
    rows = {row.name: row for row in field_rows(snapshot)}
    comments = review.section_comments if review else {}
    sections = []
    for key, label in SECTIONS[kind]:
        section = ContentSection(
            key,
            str(label),
            [rows[name] for name in SECTION_FIELDS[kind][key]],
            comments.get(key, ""),
        )
        if key == "agents":
            section.agents = [
                {
                    "name": a["name"],
                    "role": a.get("role") or "—",
                    "is_village_official": bool(a.get("is_village_official")),
                    "sk_number": a.get("sk_number") or "—",
                    "sk_date": display_value(a.get("sk_date")),
                }
                for a in snapshot.get("agents", [])
            ]
        if key == "needs":
            section.needs = [
                (
                    str(label),
                    [
                        (str(Topic(n["topic"]).label), n["description"])
                        for n in snapshot.get("needs", [])
                        if n["section"] == value
                    ],
                )
                for value, label in NeedItem.Section.choices
            ]
        sections.append(section)
    return sections
