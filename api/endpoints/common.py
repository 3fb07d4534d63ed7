"""Schemas several endpoints share: references to offices, people and files."""

from datetime import datetime

from django.db import models
from ninja import Field, Path, Schema

from core.deadlines import Status
from core.models import Attachment, Office, User


class OfficeRef(Schema):
    id: int
    code: str = Field(description="BPS office code, e.g. 1704")
    short_name: str


class UserRef(Schema):
    id: int
    name: str


class FileOut(Schema):
    id: int
    name: str
    purpose: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


def office_ref(office: Office) -> dict:
    return {"id": office.pk, "code": office.code, "short_name": office.short_name}


def user_ref(user: User | None) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.get_full_name()}


def file_out(attachment: Attachment) -> dict:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "purpose": attachment.purpose,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_at": attachment.uploaded_at,
    }


# Ids are 64-bit integers on both databases; a larger number is refused by the schema (422)
# rather than reaching the database.
MAX_ID = 2**63 - 1


def object_id(description: str = "id"):
    return Path(..., ge=1, le=MAX_ID, description=description)


class YearFilter(Schema):
    program_year: int | None = Field(None, ge=1, le=MAX_ID, description="Program year id")
    office: int | None = Field(None, ge=1, le=MAX_ID, description="Office id")


# As Django's form fields do, text containing NUL characters is refused (PostgreSQL cannot
# store them): 422 from the schema.
NO_NUL = r"^[^\x00]*$"


def named_choices(name: str, choices: type[models.TextChoices]) -> type[models.TextChoices]:
    """The same values under a name of their own: the OpenAPI document names an enum after its
    class, and several apps call theirs `Status` or `State` (one would replace the other)."""
    return models.TextChoices(name, [(member.name, member.value) for member in choices])


DeadlineStatus = named_choices("DeadlineStatus", Status)
