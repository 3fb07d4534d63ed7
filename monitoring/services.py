"""Writes of the monitoring app: generating and signing off the bimonthly Rekap progres, and
dispensasi requests and grants. Each one checks the transition against its table and is
audited in its transaction."""

from dataclasses import dataclass
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.deadlines import end_of_day
from core.mail import in_mail_language, notify, people
from core.models import Extension, NotificationKind, Office, Role, User
from core.permissions import has_role, require
from core.services import audit, grant_extension, letter_number, locked
from program.models import ProgramYear

from .models import ExtensionRequest, Recap
from .queries import can_grant_extensions, monitoring_periods, period_label, recap_dashboard

NARRATIVE_MAX = Recap._meta.get_field("narrative").max_length


@dataclass(frozen=True)
class Transition:
    sources: frozenset  # states the recap may be in (None: no recap of the period yet)
    target: str
    roles: frozenset  # province roles allowed to make it


TRANSITIONS = {
    "generate": Transition(
        frozenset({None, Recap.State.DRAFT}),
        Recap.State.DRAFT,
        frozenset({Role.TIM_PROVINSI, Role.KETUA_TIM}),
    ),
    "sign_off": Transition(
        frozenset({Recap.State.DRAFT}), Recap.State.SIGNED_OFF, frozenset({Role.KEPALA})
    ),
}


REFUSALS = {
    "generate": gettext_lazy("Only the province Desa Cantik team generates the progress recap."),
    "sign_off": gettext_lazy("Only the head of the province office signs the recap off."),
    "request": gettext_lazy(
        "Only the regency/city Desa Cantik team asks for a dispensasi on its own work."
    ),
    "grant": gettext_lazy(
        "Only the province team lead grants or declines a dispensasi for a regency/city office."
    ),
}


def _check(action: str, state: str | None, *, program_year: ProgramYear, by: User) -> None:
    transition = TRANSITIONS[action]
    require(has_role(by, program_year.province, transition.roles), REFUSALS[action])
    if state not in transition.sources:
        if state == Recap.State.SIGNED_OFF:
            raise ValidationError(_("This recap is signed off and can no longer be changed."))
        raise ValidationError(_("This recap cannot be signed off in its current state."))


@transaction.atomic
def generate_recap(program_year: ProgramYear, *, period: int, narrative: str, by: User) -> Recap:
    """Freeze the province dashboard of `program_year` as the recap of `period` (1 = the first
    period of the year's "monitoring" SOP activity), as it stood at the end of the period's
    last day (or at this moment, while the period runs): work done after the period's end is
    not counted in it. Mails the province head that the recap waits to be signed.

    Allowed for tim_provinsi and ketua_tim (PermissionDenied otherwise), for a period that has
    begun. A draft of the same period is replaced by a new snapshot (audited as a
    regeneration); a signed-off recap is locked (ValidationError). The snapshot covers every
    kab/kota of the province and the province office, whoever generates it."""
    periods = monitoring_periods(program_year)
    if not 1 <= period <= len(periods):
        raise ValidationError({"period": _("There is no such period in this program year.")})
    start, end = periods[period - 1]
    now = timezone.now()
    if start > timezone.localdate(now):
        raise ValidationError({"period": _("This period has not begun yet.")})
    if len(narrative) > NARRATIVE_MAX:
        raise ValidationError(
            {"narrative": _("The narrative is limited to %(n)s characters.") % {"n": NARRATIVE_MAX}}
        )
    recap = (
        Recap.objects.select_for_update().filter(program_year=program_year, period=period).first()
    )
    _check("generate", recap.state if recap else None, program_year=program_year, by=by)
    # The state at the end of the period (or now, while it runs): what was done after the
    # period's end belongs to the next recap, whenever this one is generated.
    as_of = min(now, end_of_day(end))
    snapshot = recap_dashboard(program_year, now=as_of).to_snapshot()
    if recap is None:
        recap = Recap.objects.create(
            program_year=program_year,
            period=period,
            period_start=start,
            period_end=end,
            snapshot=snapshot,
            narrative=narrative,
            generated_by=by,
            generated_at=now,
        )
        audit(
            recap,
            by=by,
            action="recap.generate",
            office=program_year.province,
            changes={"state": (None, recap.state), "period": (None, period)},
        )
        _recap_ready(recap)
        return recap
    changes = {"generated_at": (recap.generated_at, now)}
    if recap.narrative != narrative:
        changes["narrative"] = (recap.narrative, narrative)
    recap.snapshot, recap.narrative = snapshot, narrative
    recap.generated_by, recap.generated_at = by, now
    recap.period_start, recap.period_end = start, end
    recap.save(
        update_fields=[
            "snapshot",
            "narrative",
            "generated_by",
            "generated_at",
            "period_start",
            "period_end",
        ]
    )
    audit(recap, by=by, action="recap.regenerate", office=program_year.province, changes=changes)
    return recap


def _recap_ready(recap: Recap) -> None:
    """Tell the province head a new recap waits for the signature (once, when first made)."""
    program_year = recap.program_year
    with in_mail_language():
        label = period_label(recap.period, recap.period_start, recap.period_end)
        notify(
            people([program_year.province_id], [Role.KEPALA]),
            kind=NotificationKind.TO_SIGN,
            subject=_("Monitoring recap ready to sign: %(period)s") % {"period": label},
            message=_(
                "The Rekap progres monitoring of %(period)s was generated by %(by)s and waits "
                "for your signature."
            )
            % {"period": label, "by": recap.generated_by.get_full_name()},
            link=reverse("monitoring:recap_detail", args=[recap.pk]),
        )


RECORD_MAX = Recap._meta.get_field("record_number").max_length


def _record(number: str, place: str) -> tuple[str, str]:
    """The letter number (core.services.letter_number) and place of a sign-off, spaces tidied;
    ValidationError naming the field when one is missing or malformed."""
    place = " ".join(place.split())
    errors = {}
    try:
        number = letter_number(number, missing=_("Give the letter number of the recap."))
    except ValidationError as error:
        errors["number"] = error.messages
    if not place:
        errors["place"] = _("Give the place of signing.")
    elif len(place) > RECORD_MAX:
        errors["place"] = _("The place is limited to %(n)s characters.") % {"n": RECORD_MAX}
    if errors:
        raise ValidationError(errors)
    return number, place


@transaction.atomic
def sign_recap(recap: Recap, *, number: str, place: str, by: User) -> Recap:
    """The head of the province office signs a draft recap off, with its letter number and the
    place of signing (printed on the PDF with the date of signing); from then on it is locked.
    PermissionDenied for anyone but kepala; ValidationError when it is already signed off or
    the number or place is missing or malformed. Audited with the number and place."""
    current = locked(Recap, recap.pk)
    _check("sign_off", current.state, program_year=recap.program_year, by=by)
    number, place = _record(number, place)
    old = current.state
    current.state = Recap.State.SIGNED_OFF
    current.signed_by, current.signed_at = by, timezone.now()
    current.record_number, current.record_place = number, place
    current.save(update_fields=["state", "signed_by", "signed_at", "record_number", "record_place"])
    audit(
        current,
        by=by,
        action="recap.sign_off",
        office=recap.program_year.province,
        changes={
            "state": (old, current.state),
            "record_number": ("", number),
            "record_place": ("", place),
        },
    )
    recap.state, recap.signed_by, recap.signed_at = current.state, by, current.signed_at
    recap.record_number, recap.record_place = number, place
    return recap


def last_signing_place(program_year: ProgramYear) -> str:
    """Where the head signed the latest recap of the province (the sign form's first value)."""
    recap = (
        Recap.objects.filter(program_year__province=program_year.province_id)
        .exclude(record_place="")
        .order_by("-signed_at")
        .first()
    )
    return recap.record_place if recap else ""


# --- dispensasi: requests and grants ------------------------------------------------------------

RequestState = ExtensionRequest.State
# (from, to) → audit action; a request is only ever decided once.
REQUEST_TRANSITIONS = {
    (RequestState.PENDING, RequestState.GRANTED): "extension.grant",
    (RequestState.PENDING, RequestState.DECLINED): "extension.decline",
}


def can_request_extensions(user: User, office: Office) -> bool:
    """The kab/kota team asks for a dispensasi on its own office's work."""
    return not office.is_province and has_role(user, office, {Role.TIM_KABKOTA})


@transaction.atomic
def request_extension(
    subject,
    *,
    program_year: ProgramYear,
    office: Office,
    label: str,
    until: date,
    reason: str,
    by: User,
) -> ExtensionRequest:
    """tim_kabkota of `office` asks for a new deadline `until` on `subject` (a tracked item of
    that office, found by the caller), with a reason. Asking again while a request waits
    replaces its date and reason. PermissionDenied for anyone else. Audited on the subject;
    the request shows in the province team lead's "Tugas saya"."""
    require(can_request_extensions(by, office), REFUSALS["request"])
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("An extension needs a reason.")})
    subject_type = ContentType.objects.get_for_model(subject, for_concrete_model=False)
    request = (
        ExtensionRequest.objects.select_for_update()
        .filter(
            subject_type=subject_type,
            subject_id=str(subject.pk),
            office=office,
            state=RequestState.PENDING,
        )
        .first()
    )
    old = request.until if request else None
    if request is None:
        request = ExtensionRequest(
            program_year=program_year,
            subject_type=subject_type,
            subject_id=str(subject.pk),
            office=office,
        )
    request.label, request.until, request.reason = label[:300], until, reason
    request.requested_by, request.requested_at = by, timezone.now()
    request.save()
    audit(
        subject,
        by=by,
        action="extension.request",
        office=office,
        changes={"deadline asked for": (old, until), "office": (None, office.short_name)},
        reason=reason,
    )
    return request


def pending_request(subject_type_id: int, subject_id: str, office: Office):
    return ExtensionRequest.objects.filter(
        subject_type_id=subject_type_id,
        subject_id=subject_id,
        office=office,
        state=RequestState.PENDING,
    ).first()


def _decide(request: ExtensionRequest, target: str, *, by: User, note: str = "") -> None:
    action = REQUEST_TRANSITIONS.get((request.state, target))
    if action is None:
        raise ValidationError(_("This request has already been decided."), code="decided")
    request.state, request.decided_by, request.decided_at = target, by, timezone.now()
    request.decision_note = note
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])


@transaction.atomic
def grant_dispensasi(subject, *, office: Office, until: date, reason: str, by: User) -> Extension:
    """The province team lead gives `office` until the end of `until` for `subject`
    (core.services.grant_extension, audited there) and closes the office's pending request on
    it, if any, as granted. PermissionDenied for anyone else."""
    require(can_grant_extensions(by, office), REFUSALS["grant"])
    extension = grant_extension(subject, office=office, until=until, reason=reason, by=by)
    subject_type = ContentType.objects.get_for_model(subject, for_concrete_model=False)
    request = pending_request(subject_type.pk, str(subject.pk), office)
    if request is not None:
        _decide(request, RequestState.GRANTED, by=by)
    return extension


@transaction.atomic
def decline_extension_request(request: ExtensionRequest, *, note: str, by: User) -> None:
    """The province team lead declines a pending request, saying why (shown to the kab/kota
    team). PermissionDenied for anyone else; audited on the request's subject."""
    request = locked(ExtensionRequest, request.pk)
    require(can_grant_extensions(by, request.office), REFUSALS["grant"])
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Say why the request is declined.")})
    _decide(request, RequestState.DECLINED, by=by, note=note)
    audit(
        request,
        by=by,
        action=REQUEST_TRANSITIONS[RequestState.PENDING, RequestState.DECLINED],
        office=request.office,
        changes={"state": (RequestState.PENDING, RequestState.DECLINED)},
        reason=note,
    )
