"""Small factories for report tests: files of each real type, filled reports, submitted ones."""

import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reports import services
from reports.models import NeedItem, Purpose, Report, ReportKind, Topic

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<x/>")
    return buffer.getvalue()


def upload(name: str, content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Passwords are never checked (force_login); a slow hasher would only slow the tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


SOSIALISASI_FIELDS = {
    "anchor_date": date(2026, 5, 4),
    "place": "Balai Desa",
    "attendance_count": 42,
    "notable_attendees": "Kepala Desa, Camat",
    "charter_signed": True,
    "notes": "",
}
AGENTS = [
    {
        "name": "Siti Aminah",
        "role": "Kaur Perencanaan",
        "is_village_official": True,
        "sk_number": "141/12/2026",
        "sk_date": date(2026, 5, 4),
    },
    {
        "name": "Budi Santoso",
        "role": "Ketua Karang Taruna",
        "is_village_official": False,
        "sk_number": "141/12/2026",
        "sk_date": date(2026, 5, 4),
    },
]
IDENTIFIKASI_FIELDS = {
    "anchor_date": date(2026, 5, 8),
    "respondent_name": "Hendra Gunawan",
    "respondent_position": "Sekretaris Desa",
    "coaching_data_management": True,
    "coaching_data_collection": True,
    "coaching_data_analysis": False,
    "coaching_data_presentation": True,
    "coaching_website": False,
    "notes": "",
}
NEEDS = [
    {
        "section": NeedItem.Section.DATA,
        "topic": Topic.KEPENDUDUKAN,
        "description": "Jumlah penduduk per dusun",
    },
    {
        "section": NeedItem.Section.DATA,
        "topic": Topic.KEMISKINAN,
        "description": "Keluarga penerima bansos",
    },
    {
        "section": NeedItem.Section.ACTIVITY,
        "topic": Topic.KEPENDUDUKAN,
        "description": "Pemutakhiran data penduduk",
    },
]


def new_report(village, kind: str) -> Report:
    return Report(village=village, kind=kind)


def draft_sosialisasi(village, by, *, agents=AGENTS, **fields) -> Report:
    return services.save_draft(
        new_report(village, ReportKind.SOSIALISASI),
        by=by,
        revision=None,
        fields={**SOSIALISASI_FIELDS, **fields},
        agents=agents,
    )


def attach_sosialisasi_evidence(report, by) -> None:
    for purpose, name, content in [
        (Purpose.UNDANGAN, "undangan.pdf", PDF),
        (Purpose.DAFTAR_HADIR, "daftar-hadir.pdf", PDF),
        (Purpose.NOTULEN, "notulen.docx", docx_bytes()),
        (Purpose.DOKUMENTASI, "foto-1.png", PNG),
    ]:
        services.add_attachment(report, upload=upload(name, content), purpose=purpose, by=by)


def complete_sosialisasi(village, by, **fields) -> Report:
    report = draft_sosialisasi(village, by, **fields)
    attach_sosialisasi_evidence(report, by)
    return Report.objects.get(pk=report.pk)


def submitted_sosialisasi(village, by, **fields) -> Report:
    report = complete_sosialisasi(village, by, **fields)
    services.submit_report(report, by=by)
    return Report.objects.select_related("village__office").get(pk=report.pk)


def complete_identifikasi(village, by, *, needs=NEEDS, **fields) -> Report:
    report = services.save_draft(
        new_report(village, ReportKind.IDENTIFIKASI),
        by=by,
        revision=None,
        fields={**IDENTIFIKASI_FIELDS, **fields},
        needs=needs,
    )
    services.add_attachment(
        report, upload=upload("kuesioner.pdf"), purpose=Purpose.KUESIONER, by=by
    )
    return Report.objects.get(pk=report.pk)
