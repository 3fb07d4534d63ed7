"""Writes to reports. One function per change; each checks the allowed transition on a locked
row, writes with update_fields and appends its audit row in the same transaction.

Workflow (DESIGN.md "Workflows"): draft → submitted → (returned → submitted)* → approved.
The kab/kota team writes drafts and submits; the province team (tim_provinsi, ketua_tim)
returns with a comment or approves. An approved report is read-only for everyone."""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Attachment, User
from core.permissions import require
from core.services import (
    StaleEditError,
    attachments_of,
    audit,
    locked,
    store_attachment,
    validate_upload,
)

from . import notifications
from .models import (
    COACHING_FIELDS,
    KIND_FIELDS,
    PURPOSES,
    REQUIRED_PURPOSES,
    SECTIONS,
    LastAction,
    NeedItem,
    Purpose,
    Report,
    ReportKind,
    ReportState,
    ReportVersion,
    Review,
    StatisticalAgent,
    field_label,
)
from .queries import AGENT_KEYS, NEED_KEYS, can_review_reports, can_write_reports, snapshot_of

S = ReportState

# action → (states it may start from, state it leads to)
TRANSITIONS = {
    "submit": (frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED),
    "return": (frozenset({S.SUBMITTED}), S.RETURNED),
    "approve": (frozenset({S.SUBMITTED}), S.APPROVED),
}
EDITABLE_STATES = frozenset({S.DRAFT, S.RETURNED})

# The lists' names in the audit log, as the history shows them (not field names of Report).
AGENTS_KEY = "agen statistik"
NEEDS_KEY = "kebutuhan (1001a/1001b)"

IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


class TransitionError(ValidationError):
    """The report is not in a state that allows this action (e.g. approving a draft)."""


class IncompleteReportError(ValidationError):
    """Submitting a report that misses required content; `messages` says exactly what."""


def _check_transition(report: Report, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if report.state not in sources:
        raise TransitionError(
            _("A report that is %(state)s cannot be %(action)s.")
            % {"state": report.get_state_display().lower(), "action": ACTION_WORDS[action]()}
        )
    return target


ACTION_WORDS = {
    "submit": lambda: _("submitted"),
    "return": lambda: _("returned"),
    "approve": lambda: _("approved"),
}


def _locked(report: Report) -> Report:
    """The report row, locked for the rest of the transaction, with the caller's related
    objects kept (they were loaded by the view's query)."""
    current = locked(Report, report.pk)
    current.village = report.village
    return current


def _touch(report: Report, action: str, by: User) -> list[str]:
    report.last_action, report.last_action_at, report.last_action_by = action, timezone.now(), by
    return ["last_action", "last_action_at", "last_action_by"]


def _require_writer(report: Report, by: User) -> None:
    require(
        can_write_reports(by, report.village.office),
        _("Only the village's own regency/city Desa Cantik team writes and submits its reports."),
    )


def _require_reviewer(report: Report, by: User) -> None:
    require(
        can_review_reports(by, report.village.office),
        _("Only the province Desa Cantik team reviews reports."),
    )


# --- what a report needs before it can be submitted -----------------------------------------------


@dataclass(frozen=True)
class Requirement:
    rule: str  # what is asked, shown before submitting
    met: bool
    missing: str  # what is missing, shown when submitting is refused


def _attachment_requirements(kind: str, files: list[Attachment]) -> list[Requirement]:
    present = {a.purpose for a in files}
    photos = [
        a for a in files if a.purpose == Purpose.DOKUMENTASI and a.content_type in IMAGE_TYPES
    ]
    result = []
    for purpose in REQUIRED_PURPOSES[kind]:
        label = Purpose(purpose).label
        if purpose == Purpose.DOKUMENTASI:
            result.append(
                Requirement(
                    _("At least one documentation photo"),
                    bool(photos),
                    _("Upload at least one documentation photo (JPEG or PNG)."),
                )
            )
        else:
            result.append(
                Requirement(
                    _("Attachment: %(document)s") % {"document": label},
                    purpose in present,
                    _("Upload the %(document)s.") % {"document": str(label).lower()},
                )
            )
    return result


def requirements_of(report: Report, *, agents=None, needs=None, files=None) -> list[Requirement]:
    """Every rule a report must meet to be submitted, each with whether it is met now. The
    lists may be passed in when already loaded; otherwise they are read."""
    kind = report.kind
    unsaved = report.pk is None
    if files is None:
        files = [] if unsaved else list(attachments_of(report))
    rules: list[Requirement] = []

    def filled(name: str, missing: str) -> None:
        value = getattr(report, name)
        rules.append(Requirement(field_label(kind, name), value not in (None, ""), missing))

    if kind == ReportKind.SOSIALISASI:
        agents = agents if agents is not None else ([] if unsaved else list(report.agents.all()))
        filled("anchor_date", _("Fill in the date of the sosialisasi/pencanangan."))
        filled("place", _("Fill in the place of the event."))
        rules.append(
            Requirement(
                _("Number of attendees"),
                bool(report.attendance_count),
                _("Fill in the number of attendees."),
            )
        )
        filled("charter_signed", _("Say whether the commitment charter was signed."))
        rules.append(
            Requirement(
                _("At least two agen statistik"),
                len(agents) >= 2,
                _("Appoint at least two agen statistik (%(count)s listed).")
                % {"count": len(agents)},
            )
        )
        rules.append(
            Requirement(
                _("At least one agen statistik is a village official"),
                any(a.is_village_official for a in agents),
                _("At least one agen statistik must be a village official; none is marked."),
            )
        )
    elif kind == ReportKind.IDENTIFIKASI:
        needs = needs if needs is not None else ([] if unsaved else list(report.needs.all()))
        filled("anchor_date", _("Fill in the date of the identification visit."))
        filled("respondent_name", _("Fill in the respondent's name."))
        filled("respondent_position", _("Fill in the respondent's position."))
        rules.append(
            Requirement(
                _("At least one data need (1001a)"),
                any(n.section == NeedItem.Section.DATA for n in needs),
                _("List at least one data need of the village (1001a)."),
            )
        )
        unanswered = [
            field_label(kind, name).split(" ", 1)[0]
            for name in COACHING_FIELDS
            if getattr(report, name) is None
        ]
        rules.append(
            Requirement(
                _("1002a–e all answered (Yes/No)"),
                not unanswered,
                _("Answer Yes or No for %(items)s.") % {"items": ", ".join(unanswered)},
            )
        )
    else:
        filled("anchor_date", _("Fill in the date coaching ended."))
    rules.extend(_attachment_requirements(kind, files))
    return rules


# --- drafts ---------------------------------------------------------------------------------------


def _check_fields(report: Report, fields: dict) -> None:
    unknown = set(fields) - set(KIND_FIELDS[report.kind])
    if unknown:
        raise ValueError(f"Not fields of a {report.kind} report: {sorted(unknown)}")
    anchor = fields.get("anchor_date")
    if anchor is None:
        return
    if anchor > timezone.localdate():
        raise ValidationError({"anchor_date": _("This date cannot be in the future.")})
    if anchor.year < report.village.program_year.year:
        raise ValidationError(
            {
                "anchor_date": _("This date is before the program year %(year)s.")
                % {"year": report.village.program_year.year}
            }
        )


def _agent_line(agent: dict) -> str:
    parts = [agent["name"]]
    if agent.get("role"):
        parts.append(agent["role"])
    if agent.get("is_village_official"):
        parts.append(_("village official"))
    if agent.get("sk_number"):
        parts.append(_("SK %(number)s") % {"number": agent["sk_number"]})
    return "; ".join(parts)


def _need_line(need: dict) -> str:
    return f"{need['section']} [{need['topic']}] {need['description']}"


@transaction.atomic
def save_draft(
    report: Report,
    *,
    by: User,
    revision: int | None,
    fields: dict,
    agents: list[dict] | None = None,
    needs: list[dict] | None = None,
) -> Report:
    """Create the report as a draft (when `report` is not saved yet) or change a draft or a
    returned report opened at `revision`.

    Checks: the user is the kab/kota team of the village's office; the report is editable
    (draft or returned); nobody saved it since `revision` (else StaleEditError, their change
    stays); dates are not in the future nor before the program year. `agents` and `needs`,
    when given, replace the lists. Audited with every changed field, old → new."""
    _require_writer(report, by)
    _check_fields(report, fields)
    agents = (
        [{key: a.get(key) for key in AGENT_KEYS} for a in agents] if agents is not None else None
    )
    needs = [{key: n[key] for key in NEED_KEYS} for n in needs] if needs is not None else None
    if report.pk is None:
        return _create(report, by=by, fields=fields, agents=agents, needs=needs)
    current = _locked(report)
    if not current.is_editable:
        raise TransitionError(
            _("A report that is %(state)s cannot be changed.")
            % {"state": current.get_state_display().lower()}
        )
    if revision != current.revision:
        raise StaleEditError(
            _(
                "Someone else saved this report while you were editing. Your changes were not "
                "saved; reload the page to see theirs."
            )
        )
    changes = {
        name: (getattr(current, name), value)
        for name, value in fields.items()
        if getattr(current, name) != value
    }
    if agents is not None:
        old = [{key: getattr(a, key) for key in AGENT_KEYS} for a in current.agents.all()]
        if old != agents:
            changes[AGENTS_KEY] = ([_agent_line(a) for a in old], [_agent_line(a) for a in agents])
            current.agents.all().delete()
            _add_agents(current, agents)
    if needs is not None:
        old = [{key: getattr(n, key) for key in NEED_KEYS} for n in current.needs.all()]
        if old != needs:
            changes[NEEDS_KEY] = ([_need_line(n) for n in old], [_need_line(n) for n in needs])
            current.needs.all().delete()
            _add_needs(current, needs)
    if not changes:
        return current
    for name, value in fields.items():
        setattr(current, name, value)
    current.revision += 1
    current.save(update_fields=[*fields, "revision", *_touch(current, LastAction.UPDATED, by)])
    audit(current, by=by, action="report.update", changes=changes, office=current.village.office)
    return current


def _create(report: Report, *, by: User, fields: dict, agents, needs) -> Report:
    for name, value in fields.items():
        setattr(report, name, value)
    report.state = S.DRAFT
    report.created_by = by
    _touch(report, LastAction.CREATED, by)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        raise StaleEditError(
            _("Someone else started this report a moment ago. Reload the page to continue it.")
        ) from None
    _add_agents(report, agents or [])
    _add_needs(report, needs or [])
    changes = {name: (None, value) for name, value in fields.items() if value not in (None, "")}
    if agents:
        changes[AGENTS_KEY] = (None, [_agent_line(a) for a in agents])
    if needs:
        changes[NEEDS_KEY] = (None, [_need_line(n) for n in needs])
    audit(report, by=by, action="report.create", changes=changes, office=report.village.office)
    return report


def _add_agents(report: Report, agents: list[dict]) -> None:
    StatisticalAgent.objects.bulk_create(
        StatisticalAgent(report=report, position=index, **agent)
        for index, agent in enumerate(agents)
    )


def _add_needs(report: Report, needs: list[dict]) -> None:
    NeedItem.objects.bulk_create(
        NeedItem(report=report, position=index, **need) for index, need in enumerate(needs)
    )


# --- attachments ----------------------------------------------------------------------------------


@transaction.atomic
def add_attachment(report: Report, *, upload: UploadedFile, purpose: str, by: User) -> Attachment:
    """Attach a file to a draft or returned report. The purpose must be one of the report's
    kind; a documentation photo must be a JPEG or PNG and the signed final report a PDF.
    Stored (and audited) by core.services.store_attachment."""
    _require_writer(report, by)
    current = _locked(report)
    if not current.is_editable:
        raise TransitionError(
            _("A report that is %(state)s cannot be changed.")
            % {"state": current.get_state_display().lower()}
        )
    if purpose not in PURPOSES[current.kind]:
        raise ValidationError({"purpose": _("This document does not belong to this report.")})
    content_type, _extension = validate_upload(upload)
    if purpose == Purpose.DOKUMENTASI and content_type not in IMAGE_TYPES:
        raise ValidationError(
            {"file": _("A documentation photo must be a JPEG or PNG image.")}, code="not_photo"
        )
    if purpose == Purpose.LAPORAN_FINAL and content_type != "application/pdf":
        raise ValidationError(
            {"file": _("The signed final report must be a PDF (a scan of the signed pages).")},
            code="not_pdf",
        )
    attachment = store_attachment(
        upload, owner=current, by=by, purpose=purpose, office=current.village.office
    )
    current.save(update_fields=_touch(current, LastAction.FILE_ADDED, by))
    return attachment


@transaction.atomic
def remove_attachment(report: Report, *, attachment: Attachment, by: User) -> None:
    """Take a file off a draft or returned report. A file that a submitted version froze is
    kept, now owned by the latest version that holds it (so every version stays complete); a
    file never submitted is deleted. Audited on the report."""
    _require_writer(report, by)
    current = _locked(report)
    if not current.is_editable:
        raise TransitionError(
            _("A report that is %(state)s cannot be changed.")
            % {"state": current.get_state_display().lower()}
        )
    if not attachments_of(current).filter(pk=attachment.pk).exists():
        raise ValidationError(_("This file is not attached to this report."))
    holder = next(
        (
            version
            for version in current.versions.order_by("-number")
            if any(item["id"] == attachment.pk for item in version.snapshot["attachments"])
        ),
        None,
    )
    if holder is not None:
        attachment.owner_type = ContentType.objects.get_for_model(ReportVersion)
        attachment.owner_id = str(holder.pk)
        attachment.save(update_fields=["owner_type", "owner_id"])
    else:
        attachment.file.delete(save=False)
        attachment.delete()
    current.save(update_fields=_touch(current, LastAction.FILE_REMOVED, by))
    audit(
        current,
        by=by,
        action="attachment.remove",
        changes={"attachment": (attachment.original_name, None)},
        office=current.village.office,
    )


# --- transitions ----------------------------------------------------------------------------------


@transaction.atomic
def submit_report(report: Report, *, by: User) -> ReportVersion:
    """Send a draft or returned report to the province.

    Refused (IncompleteReportError, listing exactly what is missing) unless every rule of
    `requirements_of` is met. Freezes a new version (fields, lists, attachments with their
    sha256). The first submission is the moment the SOP deadline counts as met. Audited."""
    _require_writer(report, by)
    current = _locked(report)
    target = _check_transition(current, "submit")
    missing = [r.missing for r in requirements_of(current) if not r.met]
    if missing:
        raise IncompleteReportError(missing)
    now = timezone.now()
    number = current.versions.count() + 1
    version = ReportVersion.objects.create(
        report=current,
        number=number,
        submitted_at=now,
        submitted_by=by,
        snapshot=snapshot_of(current),
    )
    old_state = current.state
    current.state = target
    fields = ["state", *_touch(current, LastAction.SUBMITTED, by)]
    current.last_action_at = now
    if current.first_submitted_at is None:
        current.first_submitted_at = now
        fields.append("first_submitted_at")
    current.save(update_fields=fields)
    audit(
        current,
        by=by,
        action="report.submit",
        changes={"state": (old_state, target), "version": (None, number)},
        office=current.village.office,
    )
    notifications.report_submitted(current, by=by, resubmitted=number > 1)
    return version


def _latest_version(report: Report, expected: int | None) -> ReportVersion:
    version = report.versions.order_by("-number").first()
    if expected is not None and (version is None or version.number != expected):
        raise StaleEditError(
            _(
                "The report was submitted again since you opened it (now version %(number)s). "
                "Look at the new version before deciding."
            )
            % {"number": version.number if version else 0}
        )
    return version


@transaction.atomic
def return_report(
    report: Report,
    *,
    by: User,
    comment: str,
    section_comments: dict[str, str] | None = None,
    version: int | None = None,
) -> Review:
    """Send a submitted report back to the kab/kota for changes. A comment is required;
    comments on sections (keys of models.SECTIONS for the kind) are shown next to those parts
    of the form. `version` is the number the reviewer looked at: a newer one is refused.
    Audited with the comment as the reason."""
    _require_reviewer(report, by)
    comment = comment.strip()
    if not comment:
        raise ValidationError(
            {"comment": _("Say what must be changed: returning a report needs a comment.")}
        )
    current = _locked(report)
    target = _check_transition(current, "return")
    frozen = _latest_version(current, version)
    keys = {key for key, _label in SECTIONS[current.kind]}
    sections = {
        key: text.strip()
        for key, text in (section_comments or {}).items()
        if key in keys and text and text.strip()
    }
    review = Review.objects.create(
        report=current,
        version=frozen,
        decision=Review.Decision.RETURNED,
        comment=comment,
        section_comments=sections,
        by=by,
    )
    current.state = target
    current.save(update_fields=["state", *_touch(current, LastAction.RETURNED, by)])
    audit(
        current,
        by=by,
        action="report.return",
        changes={"state": (S.SUBMITTED, target), "version": (None, frozen.number)},
        reason=comment,
        office=current.village.office,
    )
    notifications.report_reviewed(current, review)
    return review


@transaction.atomic
def approve_report(
    report: Report, *, by: User, comment: str = "", version: int | None = None
) -> Review:
    """Accept a submitted report; from then on nobody can change it. `version` as in
    return_report. Audited."""
    _require_reviewer(report, by)
    current = _locked(report)
    target = _check_transition(current, "approve")
    frozen = _latest_version(current, version)
    review = Review.objects.create(
        report=current,
        version=frozen,
        decision=Review.Decision.APPROVED,
        comment=comment.strip(),
        by=by,
    )
    current.state = target
    current.save(update_fields=["state", *_touch(current, LastAction.APPROVED, by)])
    audit(
        current,
        by=by,
        action="report.approve",
        changes={"state": (S.SUBMITTED, target), "version": (None, frozen.number)},
        reason=comment.strip(),
        office=current.village.office,
    )
    notifications.report_reviewed(current, review)
    return review
