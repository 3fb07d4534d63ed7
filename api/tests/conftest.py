"""One small world for the API tests, built through the apps' own services: in Bengkulu 2026,
a village of Rejang Lebong (1702) and one of Kaur (1704), each with a work-plan line, a
submitted sosialisasi report, a meeting inviting only that office with an action item of its
own, and an LKE worksheet in self-assessment. The clock stands at Monday 18 May 2026, noon WIB.

`api_client(user, scope)` is a test client sending a fresh token of that user."""

import copy
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from api.models import Scope
from api.services import create_token
from core.deadlines import JAKARTA
from lke import services as lke_services
from lke.models import Worksheet
from meetings import services as meeting_services
from meetings.models import Meeting
from meetings.services import AgendaEntry
from program import services as program_services
from program.models import Stage
from reports import services as report_services
from reports.models import Purpose, Report, ReportKind

NOW = datetime(2026, 5, 18, 12, 0, tzinfo=JAKARTA)
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<x/>")
    return buffer.getvalue()


# A hand-sized instrument: one scored village block and one office block.
INSTRUMENT = {
    "year": 2026,
    "version": 9,
    "title": "LKE uji API",
    "nilai_scale": 4,
    "blocks": [
        {
            "code": "S",
            "title": "Penilaian desa",
            "target": "village",
            "scored": True,
            "aspects": [
                {
                    "code": "K",
                    "title": "Kapasitas Statistik",
                    "indicators": [
                        {
                            "code": "K1",
                            "title": "Indikator K1",
                            "items": [
                                {
                                    "code": "k1.a",
                                    "text": "Pertanyaan k1.a",
                                    "kind": "choice",
                                    "options": [
                                        {"label": f"Opsi {s}", "score": s} for s in (3, 2, 1, 0)
                                    ],
                                },
                                {"code": "k1.t", "text": "Tuliskan", "kind": "text"},
                            ],
                        }
                    ],
                }
            ],
        },
        {
            "code": "O",
            "title": "Kantor",
            "target": "office",
            "scored": True,
            "aspects": [
                {
                    "code": "A",
                    "title": "Pembinaan",
                    "indicators": [
                        {
                            "code": "A1",
                            "title": "A1",
                            "items": [
                                {
                                    "code": "o.a",
                                    "text": "Pertanyaan o.a",
                                    "kind": "choice",
                                    "options": [
                                        {"label": "Ya", "score": 1},
                                        {"label": "Tidak", "score": 0},
                                    ],
                                }
                            ],
                        }
                    ],
                }
            ],
        },
    ],
}


@dataclass
class Side:
    """What belongs to one kab/kota office."""

    office: object
    village: object
    activity: object
    report: object
    meeting: object
    action_item: object
    worksheet: object


@dataclass
class World:
    year: object
    sides: dict  # office code → Side
    instrument: object


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _side(year, office, village, kabkota_user, ketua_tim):
    activity = program_services.add_activity(
        village,
        by=kabkota_user,
        stage=Stage.KOORDINASI,
        name="Koordinasi dengan pemerintah desa",
        pelaksana="Pembina",
        target_output="Notulen",
        planned_start=date(2026, 5, 1),
        planned_end=date(2026, 5, 30),
    )
    report = report_services.save_draft(
        Report(village=village, kind=ReportKind.SOSIALISASI),
        by=kabkota_user,
        revision=None,
        fields={
            "anchor_date": date(2026, 5, 4),
            "place": "Balai Desa",
            "attendance_count": 40,
            "notable_attendees": "Kepala Desa",
            "charter_signed": True,
            "notes": "",
        },
        agents=[
            {
                "name": "Siti Aminah",
                "role": "Kaur Perencanaan",
                "is_village_official": True,
                "sk_number": "141/12/2026",
                "sk_date": date(2026, 5, 4),
            },
            {
                "name": "Budi Santoso",
                "role": "Karang Taruna",
                "is_village_official": False,
                "sk_number": "141/12/2026",
                "sk_date": date(2026, 5, 4),
            },
        ],
    )
    for purpose, name, content in [
        (Purpose.UNDANGAN, "undangan.pdf", PDF),
        (Purpose.DAFTAR_HADIR, "daftar-hadir.pdf", PDF),
        (Purpose.NOTULEN, "notulen.docx", _docx()),
        (Purpose.DOKUMENTASI, "foto.png", PNG),
    ]:
        report_services.add_attachment(
            report, upload=SimpleUploadedFile(name, content), purpose=purpose, by=kabkota_user
        )
    report = Report.objects.get(pk=report.pk)
    report_services.submit_report(report, by=kabkota_user)
    starts = NOW - timedelta(hours=3)
    meeting = meeting_services.create_meeting(
        year,
        title=f"Rapat {office.short_name}",
        period_start=date(2026, 5, 1),
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        platform=Meeting.Platform.ZOOM,
        link="https://zoom.us/j/81234567890",
        invited_offices=[office],
        invited_staff=[],
        agenda=[AgendaEntry(title="Progres", presenter="Tim Provinsi", allotted_minutes=30)],
        by=ketua_tim,
    )
    meeting_services.schedule_meeting(
        meeting, by=ketua_tim, site_url="https://monev.example.id", confirm_past=True
    )
    meeting_services.hold_meeting(meeting, by=ketua_tim)
    item = meeting_services.add_action_item(
        meeting,
        owner_office=office,
        description="Unggah notulen",
        due_date=date(2026, 6, 1),
        by=ketua_tim,
    )
    return Side(
        office=office,
        village=village,
        activity=activity,
        report=Report.objects.get(pk=report.pk),
        meeting=Meeting.objects.get(pk=meeting.pk),
        action_item=item,
        worksheet=None,
    )


@pytest.fixture
def world(
    frozen,
    year_2026,
    rejang_lebong,
    kaur,
    village_rejang_lebong,
    village_kaur,
    tim_rejang_lebong,
    tim_kaur,
    ketua_tim,
) -> World:
    sides = {
        "1702": _side(
            year_2026, rejang_lebong, village_rejang_lebong, tim_rejang_lebong, ketua_tim
        ),
        "1704": _side(year_2026, kaur, village_kaur, tim_kaur, ketua_tim),
    }
    instrument = lke_services.create_instrument(copy.deepcopy(INSTRUMENT), by=None)
    lke_services.open_assessment(year_2026, instrument=instrument, by=ketua_tim)
    for side in sides.values():
        side.worksheet = Worksheet.objects.get(village=side.village)
    return World(year=year_2026, sides=sides, instrument=instrument)


@pytest.fixture
def api_client():
    def make(user, scope: str = Scope.READ_WRITE) -> Client:
        _token, secret = create_token(user, name="uji", scope=scope, by=user)
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return make
