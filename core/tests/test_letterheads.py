"""Every document carries the name of the office it belongs to, not the installation's (one
installation serves every province): a second province's meeting documents and invitation its
own province, a report of one of its kab/kota that kab/kota office, the national xlsx BPS RI.
The recap's letterhead is tested with the recap (monitoring/tests/test_recap_documents.py)."""

import io
from datetime import date, datetime, timedelta

import docx
import pypdf
import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from conftest import desa_in, make_user
from core.deadlines import JAKARTA
from core.models import Office, Region, Role
from core.pdf import render_html
from core.services import national_office
from meetings import exports as meeting_exports
from meetings import services as meeting_services
from meetings.models import Meeting
from meetings.queries import meeting_record_for
from meetings.services import AgendaEntry
from monitoring import exports as monitoring_exports
from monitoring.queries import national_dashboard
from program.models import ParticipatingVillage, VillageKind
from program.services import create_program_year
from reports import exports as report_exports
from reports.queries import final_draft
from reports.tests.conftest import submitted_sosialisasi

pytestmark = pytest.mark.django_db

INSTALLATION = "Badan Pusat Statistik Provinsi Bengkulu"
JATIM = "BADAN PUSAT STATISTIK PROVINSI JAWA TIMUR"
SURABAYA = "BADAN PUSAT STATISTIK KOTA SURABAYA"


@pytest.fixture(autouse=True)
def _installation_of_bengkulu(settings):
    settings.ORGANISATION_NAME = INSTALLATION
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(datetime(2026, 5, 12, 9, tzinfo=JAKARTA), tick=True):
        yield


@pytest.fixture
def jatim(db) -> dict:
    """A second province: BPS Provinsi Jawa Timur with one kab/kota, Kota Surabaya (one
    village), its 2026 program year, team lead and kab/kota team."""
    region = Region.objects.create(code="35", name="JAWA TIMUR", level="provinsi")
    province = Office.objects.create(
        code="3500",
        name="BPS Provinsi Jawa Timur",
        short_name="Jawa Timur",
        kind=Office.Kind.PROVINSI,
        region=region,
    )
    city = Region.objects.create(code="35.78", name="KOTA SURABAYA", level="kabkota", parent=region)
    district = Region.objects.create(
        code="35.78.01", name="GENTENG", level="kecamatan", parent=city
    )
    Region.objects.create(code="35.78.01.1001", name="KETABANG", level="desa", parent=district)
    surabaya = Office.objects.create(
        code="3578",
        name="BPS Kota Surabaya",
        short_name="Surabaya",
        kind=Office.Kind.KABKOTA,
        region=city,
        parent=province,
    )
    year = create_program_year(province, year=2026, by=None)
    team = make_user("tim_surabaya", "3578", Role.TIM_KABKOTA)
    village = ParticipatingVillage.objects.create(
        program_year=year, village=desa_in(surabaya), office=surabaya, kind=VillageKind.UTAMA
    )
    village.pembina.add(team)
    return {
        "province": province,
        "surabaya": surabaya,
        "year": year,
        "lead": make_user("ketua_jatim", "3500", Role.KETUA_TIM),
        "team": team,
        "village": village,
    }


def pdf_text(content: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(content)).pages
    return "\n".join(" ".join(page.extract_text().split()) for page in pages)


def docx_first_line(content: bytes) -> str:
    return docx.Document(io.BytesIO(content)).paragraphs[0].text


def test_a_second_provinces_meeting_documents_carry_its_own_name(jatim):
    starts = datetime(2026, 5, 20, 9, tzinfo=JAKARTA)
    meeting = meeting_services.create_meeting(
        jatim["year"],
        title="Rapat koordinasi Jawa Timur",
        period_start=date(2026, 5, 1),
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        platform=Meeting.Platform.ZOOM,
        link="https://zoom.us/j/81234567890",
        invited_offices=[jatim["surabaya"]],
        invited_staff=[],
        agenda=[AgendaEntry(title="Progres", presenter="Tim Provinsi", allotted_minutes=30)],
        by=jatim["lead"],
    )
    record = meeting_record_for(jatim["lead"], meeting)

    for text in (
        pdf_text(meeting_exports.report_pdf(record)),
        pdf_text(meeting_exports.attendance_pdf(record)),
    ):
        assert text.startswith(JATIM)
        assert "BENGKULU" not in text.upper()
    assert docx_first_line(meeting_exports.report_docx(record)) == JATIM
    ics = meeting_exports.invitation_ics(meeting, attendee=None, page_url="https://monev.id/r/1")
    assert 'ORGANIZER;CN="Badan Pusat Statistik Provinsi Jawa Timur":mailto:' in ics


def test_a_kabkota_report_carries_its_own_offices_name(client, jatim):
    submitted_sosialisasi(jatim["village"], jatim["team"])
    client.force_login(jatim["team"])

    response = client.get(reverse("reports:report_pdf", args=["sosialisasi", jatim["village"].pk]))
    draft = final_draft(jatim["village"])

    for text in (pdf_text(response.content), pdf_text(report_exports.final_draft_pdf(draft))):
        assert text.startswith(SURABAYA)
        assert "BENGKULU" not in text.upper()
    assert docx_first_line(report_exports.final_draft_docx(draft)) == SURABAYA


def test_the_national_xlsx_carries_the_national_offices_name(jatim):
    national = make_user("tim_nasional", national_office().code, Role.TIM_NASIONAL)

    data = national_dashboard(national, 2026)
    book = load_workbook(io.BytesIO(monitoring_exports.render_national_xlsx(data)))

    assert [line.province for line in data.lines] == [jatim["province"]]
    assert book.worksheets[1]["A1"].value == "BADAN PUSAT STATISTIK"


def test_a_document_that_names_no_office_is_refused():
    with pytest.raises(ValueError, match="letterhead_office"):
        render_html("core/pdf/base.html", {})
