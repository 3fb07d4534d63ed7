"""Writes owned by core: the audit log, attachments, the region master."""

import csv
import hashlib
import re
import uuid
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from . import pagecache
from .models import (
    Attachment,
    AuditEvent,
    Extension,
    NotificationKind,
    NotificationOptOut,
    Office,
    Region,
    User,
)
from .permissions import can_change_own_settings, require

# --- audit -------------------------------------------------------------------------------------


def _plain(value):
    """A JSON-safe rendering of a field value for the audit log."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (date, datetime, Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted(_plain(v) for v in value)
    return value


class StaleEditError(ValidationError):
    """Somebody else saved the same row since this form (or answer) was opened: their change
    stays, the caller shows it beside what was typed."""


class ObjectGoneError(ValidationError):
    """The row was deleted by somebody else between the page and the write."""


def locked(model: type[models.Model], pk: int) -> models.Model:
    """The row read again inside the write's transaction (locked on PostgreSQL), so that two
    writes at once cannot both pass a version or state check. A row deleted meanwhile raises
    ObjectGoneError with a clear message (a form keeps what was typed), not DoesNotExist (a
    500)."""
    try:
        # get(), not first(): no ORDER BY, so no join to the tables of the model's ordering,
        # whose rows FOR UPDATE would lock too on PostgreSQL.
        return model.objects.select_for_update().get(pk=pk)
    except model.DoesNotExist:
        raise ObjectGoneError(
            _("Someone else deleted this %(what)s in the meantime; your change was not saved.")
            % {"what": model._meta.verbose_name},
            code="gone",
        ) from None


def audit(
    obj: models.Model,
    *,
    by: User | None,
    action: str,
    changes: Mapping[str, tuple] | None = None,
    reason: str = "",
    office: Office | None = None,
) -> AuditEvent:
    """Append one audit row for `obj`. Call it inside the transaction of the write it records.

    `changes` maps a field name to (old, new); values are stored as plain JSON. Once the
    transaction commits, the write counts in its province's ChangeCounter: cached page figures
    of that province are computed again (core.pagecache)."""
    event = AuditEvent.objects.create(
        actor=by,
        action=action,
        object_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        office=office,
        changes={k: [_plain(old), _plain(new)] for k, (old, new) in (changes or {}).items()},
        reason=reason,
    )
    scope = pagecache.scope_of(office)
    transaction.on_commit(lambda: pagecache.count_change(scope))
    return event


def diff_fields(obj: models.Model, new_values: Mapping[str, object]) -> dict[str, tuple]:
    """The (old, new) pairs of the fields whose values change."""
    return {
        name: (getattr(obj, name), value)
        for name, value in new_values.items()
        if getattr(obj, name) != value
    }


# --- letter numbers (nomor surat) of the documents an office numbers ------------------------------

LETTER_NUMBER = re.compile(r"^[0-9A-Za-z][0-9A-Za-z ./-]*$")
LETTER_NUMBER_MAX = 100  # the max_length of every model field holding one


def letter_number(number: str, *, missing: str) -> str:
    """The letter number an office gives a document (the recap, the Laporan rapat), spaces
    tidied; ValidationError with `missing` when empty, or when it holds other characters than
    letters, digits, spaces and . / - or is too long (e.g. B-12/17000/VS.300/06/2026)."""
    number = " ".join((number or "").split())
    if not number:
        raise ValidationError(missing)
    if not LETTER_NUMBER.match(number) or len(number) > LETTER_NUMBER_MAX:
        raise ValidationError(
            _(
                "Use letters, digits, spaces and . / - only, at most %(n)s characters "
                "(e.g. B-12/17000/VS.300/06/2026)."
            )
            % {"n": LETTER_NUMBER_MAX}
        )
    return number


def audit_events_for(obj: models.Model):
    return (
        AuditEvent.objects.filter(
            object_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=str(obj.pk),
        )
        .select_related("actor", "object_type")
        .order_by("-at", "-id")
    )


# --- extensions (dispensasi) -------------------------------------------------------------------


@transaction.atomic
def grant_extension(
    subject: models.Model, *, office: Office, until: date, reason: str, by: User
) -> Extension:
    """Give `office` a new deadline `until` (end of that day, Jakarta) for `subject`.

    A reason is required; granting again replaces the earlier date. The caller checks that `by`
    is the province team lead. Audited on the subject, with the old and new date."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("An extension needs a reason.")})
    subject_type = ContentType.objects.get_for_model(subject, for_concrete_model=False)
    extension = Extension.objects.filter(
        subject_type=subject_type, subject_id=str(subject.pk), office=office
    ).first()
    old = extension.until if extension else None
    if extension is None:
        extension = Extension(subject_type=subject_type, subject_id=str(subject.pk), office=office)
    extension.until, extension.reason, extension.granted_by = until, reason, by
    extension.granted_at = timezone.now()
    extension.save()
    audit(
        subject,
        by=by,
        action="extension.grant",
        changes={"deadline": (old, until), "office": (None, office.short_name)},
        reason=reason,
        office=office,
    )
    return extension


def extensions_for(model: type[models.Model], office_ids) -> dict[tuple[str, int], date]:
    """{(subject id, office id): new deadline} for every extension on objects of `model`."""
    subject_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    rows = Extension.objects.filter(subject_type=subject_type, office_id__in=office_ids)
    return {(row.subject_id, row.office_id): row.until for row in rows}


# --- attachments -------------------------------------------------------------------------------

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What may be uploaded, recognised by content. Name extensions that go with each type.
ALLOWED_TYPES = {
    PDF: ("PDF", (".pdf",)),
    DOCX: ("DOCX", (".docx",)),
    XLSX: ("XLSX", (".xlsx",)),
    "image/jpeg": ("JPEG", (".jpg", ".jpeg")),
    "image/png": ("PNG", (".png",)),
}


def sniff_content_type(head: bytes, upload) -> str | None:
    """The real type of a file from its first bytes (and, for Office files, the zip's parts)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"PK\x03\x04"):
        upload.seek(0)
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
    return None


def allowed_types_label() -> str:
    return ", ".join(label for label, _exts in ALLOWED_TYPES.values())


def validate_upload(upload: UploadedFile) -> tuple[str, str]:
    """Check size, real type and name of an upload; return (content type, extension).

    Raises ValidationError with a message the uploader can act on."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The file %(name)s is %(size)s; the limit is %(limit)s.")
            % {
                "name": upload.name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(limit),
            },
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("The file %(name)s is empty.") % {"name": upload.name})
    upload.seek(0)
    head = upload.read(16)
    content_type = sniff_content_type(head, upload)
    upload.seek(0)
    if content_type is None:
        raise ValidationError(
            _("The content of %(name)s is not an allowed type. Allowed: %(types)s.")
            % {"name": upload.name, "types": allowed_types_label()},
            code="bad_type",
        )
    label, extensions = ALLOWED_TYPES[content_type]
    name_ext = ("." + upload.name.rsplit(".", 1)[-1].lower()) if "." in upload.name else ""
    if name_ext not in extensions:
        raise ValidationError(
            _(
                "The name %(name)s does not match its content (%(label)s). "
                "Rename the file to end in %(ext)s, or upload the right file."
            )
            % {"name": upload.name, "label": label, "ext": extensions[0]},
            code="name_mismatch",
        )
    return content_type, extensions[0]


NAME_LENGTH = Attachment._meta.get_field("original_name").max_length


def store_attachment(
    upload: UploadedFile, *, owner: models.Model, by: User, purpose: str = "", office=None
) -> Attachment:
    """Validate and store an upload for `owner`, recording its sha256, and audit it.

    Nothing is stored when validation fails; a file written before a failed insert is removed."""
    content_type, extension = validate_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        token=uuid.uuid4(),
        original_name=shortened_name(upload.name, NAME_LENGTH),
        content_type=content_type,
        extension=extension,
        size=upload.size,
        sha256=digest.hexdigest(),
        purpose=purpose,
        owner_type=ContentType.objects.get_for_model(owner, for_concrete_model=False),
        owner_id=str(owner.pk),
        uploaded_by=by,
    )
    attachment.file.save(attachment_name(attachment), upload, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            audit(
                owner,
                by=by,
                action="attachment.add",
                changes={"attachment": (None, attachment.original_name)},
                office=office,
            )
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


def shortened_name(name: str, limit: int) -> str:
    """A file name cut to at most `limit` characters, keeping its start and its extension and
    marking the cut with "…" (so a long name fits a title column instead of failing)."""
    if len(name) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 10:
        return name[: limit - 1] + "…"
    return f"{stem[: limit - len(extension) - 2]}….{extension}"


def attachment_name(attachment: Attachment) -> str:
    return f"{attachment.token.hex}{attachment.extension}"


def attachments_of(owner: models.Model):
    return Attachment.objects.filter(
        owner_type=ContentType.objects.get_for_model(owner, for_concrete_model=False),
        owner_id=str(owner.pk),
    ).select_related("uploaded_by")


# --- regions -----------------------------------------------------------------------------------

CODE_PATTERN = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
LEVEL_BY_SEGMENTS = {
    1: Region.Level.PROVINSI,
    2: Region.Level.KABKOTA,
    3: Region.Level.KECAMATAN,
    4: Region.Level.DESA,
}


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int


class RegionImportError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def parse_region_rows(lines: Iterable[str]) -> list[tuple[str, str]]:
    """Read `code,name` rows. Every malformed row is reported with its line number; any error
    raises RegionImportError with all of them, so nothing is imported from a bad file."""
    rows: list[tuple[str, str]] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(csv.reader(lines), start=1):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if number == 1 and [c.strip().lower() for c in row] == ["code", "name"]:
            continue
        if len(row) != 2:
            errors.append(
                _("line %(line)s: expected 2 columns (code,name), found %(count)s")
                % {"line": number, "count": len(row)}
            )
            continue
        code, name = row[0].strip(), row[1].strip()
        if not CODE_PATTERN.match(code):
            errors.append(
                _("line %(line)s: %(code)r is not a Kemendagri region code")
                % {"line": number, "code": code}
            )
            continue
        if not name:
            errors.append(
                _("line %(line)s: empty name for %(code)s") % {"line": number, "code": code}
            )
            continue
        if len(name) > 100:
            errors.append(_("line %(line)s: name longer than 100 characters") % {"line": number})
            continue
        if code in seen:
            errors.append(
                _("line %(line)s: code %(code)s already on line %(first)s")
                % {"line": number, "code": code, "first": seen[code]}
            )
            continue
        seen[code] = number
        rows.append((code, name))
    known = set(seen) | set(
        Region.objects.filter(code__in={c.rsplit(".", 1)[0] for c in seen if "." in c}).values_list(
            "code", flat=True
        )
    )
    for code, _name in rows:
        if "." in code and code.rsplit(".", 1)[0] not in known:
            errors.append(
                _("line %(line)s: parent %(parent)s of %(code)s not found")
                % {"line": seen[code], "parent": code.rsplit(".", 1)[0], "code": code}
            )
    if errors:
        raise RegionImportError(errors)
    return rows


@transaction.atomic
def import_regions(lines: Iterable[str]) -> ImportResult:
    """Create or update regions from `code,name` lines, parents before children. Idempotent:
    importing the same file again changes nothing."""
    rows = sorted(parse_region_rows(lines), key=lambda r: (r[0].count("."), r[0]))
    existing = {r.code: r for r in Region.objects.all()}
    created = updated = unchanged = 0
    for code, name in rows:
        region = existing.get(code)
        if region is not None:
            if region.name == name:
                unchanged += 1
            else:
                region.name = name
                region.save(update_fields=["name"])
                updated += 1
            continue
        parent = existing[code.rsplit(".", 1)[0]] if "." in code else None
        region = Region(
            code=code, name=name, level=LEVEL_BY_SEGMENTS[code.count(".") + 1], parent=parent
        )
        existing[code] = region
        created += 1
    Region.objects.bulk_create(
        [r for r in existing.values() if r.pk is None and r.level == Region.Level.PROVINSI]
    )
    # Parents must have primary keys before children reference them: one level at a time.
    for level in (Region.Level.KABKOTA, Region.Level.KECAMATAN, Region.Level.DESA):
        batch = [r for r in existing.values() if r.pk is None and r.level == level]
        for region in batch:
            region.parent_id = region.parent.pk
        Region.objects.bulk_create(batch, batch_size=1000)
    return ImportResult(created=created, updated=updated, unchanged=unchanged)


# --- notification preferences ------------------------------------------------------------------


@transaction.atomic
@transaction.atomic
def update_profile(user: User, *, full_name: str, nip: str, by: User) -> None:
    """Change the display name and NIP of `user`: the user themself (the admin edits them in
    the admin, audited there; PermissionDenied for anyone else). Checked by the model's
    validators; audited when changed."""
    require(can_change_own_settings(by, user), _("Only you can change your own profile."))
    changes = diff_fields(user, {"full_name": full_name, "nip": nip})
    if not changes:
        return
    for name, (_old, new) in changes.items():
        setattr(user, name, new)
    user.clean_fields(exclude=[f.name for f in user._meta.fields if f.name not in changes])
    user.save(update_fields=list(changes))
    audit(user, by=by, action="user.profile", changes=changes)


# --- login with SSO BPS (core/sso.py) ----------------------------------------------------------


@transaction.atomic
def record_sso_login(user: User, *, full_name: str, nip: str) -> None:
    """An SSO BPS login of the registered `user`: the display name and NIP of the claims
    replace the account's (an empty or malformed claim keeps the account's value), and one
    audit row says so, with what changed. Nothing else is taken from the token: the offices
    and roles are the app's own memberships."""
    new_values = {}
    if full_name:
        new_values["full_name"] = full_name[: User._meta.get_field("full_name").max_length]
    if nip:
        new_values["nip"] = nip
    changes = diff_fields(user, new_values)
    for name, (_old, new) in changes.items():
        setattr(user, name, new)
    if changes:
        user.clean_fields(exclude=[f.name for f in user._meta.fields if f.name not in changes])
        user.save(update_fields=list(changes))
    audit(user, by=user, action="sso.login", changes=changes)


def record_sso_refusal(*, name: str, nip: str, email: str, reason: str, user: User | None) -> None:
    """An SSO BPS login refused: nobody is let in and no account is made. The row is on the
    matched account when there is one (inactive), else on the user model with who tried."""
    who = " · ".join(part for part in (name, nip, email) if part) or "?"
    AuditEvent.objects.create(
        actor=None,
        action="sso.refuse",
        object_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk) if user else "",
        object_repr=(str(user) if user else who)[:200],
        changes={"nip": [None, nip], "email": [None, email]},
        reason=reason,
    )


def set_notification_preferences(user: User, *, enabled: Iterable[str], by: User) -> None:
    """Keep the e-mail kinds in `enabled` on for `user` and switch every other kind off. Only
    the user themself changes their own preferences (PermissionDenied otherwise). Audited
    when something changed."""
    require(
        can_change_own_settings(by, user),
        _("Only you can change your own notification settings."),
    )
    wanted_off = set(NotificationKind.values) - set(enabled)
    current_off = set(NotificationOptOut.objects.filter(user=user).values_list("kind", flat=True))
    if wanted_off == current_off:
        return
    NotificationOptOut.objects.filter(user=user, kind__in=current_off - wanted_off).delete()
    NotificationOptOut.objects.bulk_create(
        NotificationOptOut(user=user, kind=kind) for kind in sorted(wanted_off - current_off)
    )
    audit(
        user,
        by=by,
        action="user.notifications",
        changes={"notifications_off": (sorted(current_off), sorted(wanted_off))},
    )


NATIONAL_OFFICE_CODE = "0000"


def national_office() -> Office:
    """BPS RI, the national office above every province (created on first use: it has no
    region, so the region master does not bring it)."""
    office, _created = Office.objects.get_or_create(
        code=NATIONAL_OFFICE_CODE,
        defaults={
            "name": "Badan Pusat Statistik",
            "short_name": "BPS RI",
            "kind": Office.Kind.NASIONAL,
        },
    )
    return office
