import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Attachment, AuditEvent
from core.services import store_attachment

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def office_file(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("undangan.pdf", PDF, "application/pdf"),
        ("foto.png", PNG, "image/png"),
        ("foto.JPG", JPEG, "image/jpeg"),
        (
            "notulen.docx",
            office_file("docx"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "daftar-hadir.xlsx",
            office_file("xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
)
def test_allowed_types_are_stored_with_hash_under_random_name(
    village_kaur, ketua_tim, name, content, content_type
):
    attachment = store_attachment(upload(name, content), owner=village_kaur, by=ketua_tim)
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        name,
        content_type,
        len(content),
    )
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    stored_name = attachment.file.name.rsplit("/", 1)[-1]
    assert name.rsplit(".", 1)[0] not in stored_name
    assert stored_name == f"{attachment.token.hex}{attachment.extension}"
    with attachment.file.open("rb") as handle:
        assert handle.read() == content


def stored_files(settings) -> list:
    root = settings.STORAGES["default"]["OPTIONS"]["location"]
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("program.exe", EXE, "bukan jenis yang diizinkan"),
        ("laporan.pdf", EXE, "bukan jenis yang diizinkan"),
        ("laporan.exe", PDF, "tidak sesuai dengan isinya (PDF)"),
        ("arsip.docx", b"PK\x03\x04not really a zip", "bukan jenis yang diizinkan"),
        ("kosong.pdf", b"", "kosong"),
    ],
)
def test_rejected_upload_has_clear_message_and_stores_nothing(
    village_kaur, ketua_tim, settings, name, content, message
):
    with pytest.raises(ValidationError) as error:
        store_attachment(upload(name, content), owner=village_kaur, by=ketua_tim)
    assert message in error.value.messages[0]
    assert Attachment.objects.count() == 0
    assert AuditEvent.objects.filter(action="attachment.add").count() == 0
    assert stored_files(settings) == []


def test_upload_over_the_limit_is_rejected(village_kaur, ketua_tim, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as error:
        store_attachment(upload("besar.pdf", PDF + b"0" * 2048), owner=village_kaur, by=ketua_tim)
    assert error.value.messages == ["Berkas besar.pdf berukuran 2,0\xa0KB; batasnya 1,0\xa0KB."]
    assert Attachment.objects.count() == 0
    assert stored_files(settings) == []


def test_default_limit_is_20_megabytes():
    from django.conf import settings

    assert settings.ATTACHMENT_MAX_BYTES == 20 * 1024 * 1024


def test_upload_is_audited_on_its_owner(village_kaur, ketua_tim):
    store_attachment(upload("sk.pdf", PDF), owner=village_kaur, by=ketua_tim, purpose="sk_pembina")
    event = AuditEvent.objects.get(action="attachment.add")
    assert (event.actor, event.object_id, event.changes) == (
        ketua_tim,
        str(village_kaur.pk),
        {"attachment": [None, "sk.pdf"]},
    )
