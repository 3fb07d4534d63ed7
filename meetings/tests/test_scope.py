"""What each viewer sees of a meeting several kab/kota offices attend: the common parts (agenda,
minutes, decisions) for everyone invited; attendance and action items only of the offices the
viewer reaches (a kab/kota its own, the province all), on every surface that shows a meeting:
the page, its Riwayat, the Laporan rapat (PDF and DOCX) and the daftar hadir (PDF)."""

import io
import re
from datetime import date, datetime
from html import unescape

import docx
import pypdf
import pytest
from django.urls import reverse

from conftest import desa_in, make_user
from core.deadlines import JAKARTA
from core.models import Role
from meetings import services
from meetings.models import Attendance, Meeting
from meetings.services import AttendanceEntry
from meetings.tests.conftest import NUMBER
from program.models import ParticipatingVillage, VillageKind

# What belongs to one office only; the other office must never see it.
REJANG_LEBONG_ONLY = [
    "Andi Saputra",  # attendee
    "Sinyal Curup lemah",  # attendance note
    "Unggah laporan identifikasi Desa Air Bening",  # action item
]
KAUR_ONLY = [
    "Budi Kaurman",
    "Hadir dari kantor Bintuhan",
    "Kirim SK agen statistik Kaur",
]
PROVINCE_ONLY = ["Susun rekap provinsi triwulan"]  # the province office's own action item
COMMON = [
    "Progres pembinaan desa",  # agenda
    "Tiga desa sudah dicanangkan",  # minutes
    "Laporan identifikasi dikirim paling lambat 5 Juni",  # decisions
]
KABKOTA_ROLES = ["tim_kabkota", "pimpinan_kabkota", "pembina"]
SURFACES = ["detail", "history", "report_pdf", "report_docx", "attendance_pdf"]


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def html_text(content: bytes) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", content.decode()))


def shown_text(response, surface: str) -> str:
    assert response.status_code == 200, surface
    if surface in ("report_pdf", "attendance_pdf"):
        text = pdf_text(response.content)
    elif surface == "report_docx":
        text = docx_text(response.content)
    else:
        text = html_text(response.content)
    return " ".join(text.split())


@pytest.fixture
def meeting(make_meeting, ketua_tim, province, rejang_lebong, kaur) -> Meeting:
    """A closed meeting of Rejang Lebong and Kaur, both present, with one action item per
    office and one of the province office."""
    meeting = make_meeting(Meeting.State.HELD)
    first, second = meeting.agenda_items.all()
    services.record_minutes(
        meeting,
        minutes={first.pk: "Tiga desa sudah dicanangkan.", second.pk: ""},
        decisions="Laporan identifikasi dikirim paling lambat 5 Juni 2026",
        by=ketua_tim,
    )
    services.record_attendance(
        meeting,
        entries=[
            AttendanceEntry(
                rejang_lebong, Attendance.Status.HADIR, "Andi Saputra", "Sinyal Curup lemah"
            ),
            AttendanceEntry(
                kaur, Attendance.Status.HADIR, "Budi Kaurman", "Hadir dari kantor Bintuhan"
            ),
        ],
        by=ketua_tim,
    )
    for owner, text in [
        (rejang_lebong, "Unggah laporan identifikasi Desa Air Bening"),
        (kaur, "Kirim SK agen statistik Kaur"),
        (province, "Susun rekap provinsi triwulan"),
    ]:
        services.add_action_item(
            meeting, owner_office=owner, description=text, due_date=date(2026, 6, 5), by=ketua_tim
        )
    services.close_meeting(meeting, number=NUMBER, by=ketua_tim)
    return Meeting.objects.get(pk=meeting.pk)


def kabkota_user(role: str, office_code: str, year):
    """A kab/kota member: tim_kabkota, pimpinan_kabkota, or a pembina (a viewer of the office
    appointed to coach one of its villages)."""
    if role != "pembina":
        return make_user(f"{role}_{office_code}", office_code, role)
    user = make_user(f"pembina_{office_code}", office_code, Role.VIEWER)
    office = user.memberships.get().office
    village = ParticipatingVillage.objects.create(
        program_year=year, village=desa_in(office), office=office, kind=VillageKind.UTAMA
    )
    village.pembina.add(user)
    return user


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("role", KABKOTA_ROLES)
@pytest.mark.parametrize(
    ("office_code", "own", "other"),
    [("1702", REJANG_LEBONG_ONLY, KAUR_ONLY), ("1704", KAUR_ONLY, REJANG_LEBONG_ONLY)],
    ids=["rejang_lebong", "kaur"],
)
def test_kabkota_user_sees_only_its_own_office_part_of_a_meeting(
    meeting, year_2026, client, surface, role, office_code, own, other
):
    client.force_login(kabkota_user(role, office_code, year_2026))

    text = shown_text(client.get(reverse(f"meetings:{surface}", args=[meeting.pk])), surface)

    assert [s for s in other + PROVINCE_ONLY if s in text] == []
    if surface == "attendance_pdf":  # the daftar hadir has no action items
        own = own[:2]
    assert [s for s in own if s not in text] == []
    if surface in ("detail", "report_pdf", "report_docx"):
        assert [s for s in COMMON if s in text] == COMMON


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("persona", ["ketua_tim", "kepala"])
def test_province_sees_every_office_part_of_a_meeting(meeting, request, client, surface, persona):
    client.force_login(request.getfixturevalue(persona))

    text = shown_text(client.get(reverse(f"meetings:{surface}", args=[meeting.pk])), surface)

    everything = REJANG_LEBONG_ONLY + KAUR_ONLY + PROVINCE_ONLY
    if surface == "attendance_pdf":  # the daftar hadir has no action items
        everything = [s for s in everything if not s.startswith(("Unggah", "Kirim", "Susun"))]
    assert [s for s in everything if s not in text] == []


@pytest.mark.parametrize("role", KABKOTA_ROLES)
def test_meeting_list_shows_a_kabkota_user_only_meetings_its_office_is_invited_to(
    meeting, make_meeting, kaur, year_2026, client, role
):
    kaur_only = make_meeting(
        Meeting.State.SCHEDULED, title="Rapat khusus Kaur Juni", invited_offices=[kaur]
    )
    client.force_login(kabkota_user(role, "1702", year_2026))

    response = client.get(reverse("meetings:list"), {"tahun": 2026})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Rapat khusus Kaur Juni" not in html
    assert reverse("meetings:detail", args=[kaur_only.pk]) not in html
    assert reverse("meetings:detail", args=[meeting.pk]) in html
    linked = {int(pk) for pk in re.findall(r'href="/rapat/(\d+)/"', html)}
    assert linked == {meeting.pk}  # nothing linking to a 404


def test_meeting_list_shows_the_province_every_meeting(meeting, make_meeting, kaur, client, kepala):
    kaur_only = make_meeting(
        Meeting.State.SCHEDULED, title="Rapat khusus Kaur Juni", invited_offices=[kaur]
    )
    client.force_login(kepala)

    html = client.get(reverse("meetings:list"), {"tahun": 2026}).content.decode()

    assert reverse("meetings:detail", args=[kaur_only.pk]) in html
    assert reverse("meetings:detail", args=[meeting.pk]) in html


def test_an_office_answer_to_the_invitation_stays_out_of_another_office_riwayat(
    make_meeting, rejang_lebong, kaur, tim_rejang_lebong, tim_kaur, client
):
    meeting = make_meeting(
        Meeting.State.SCHEDULED, starts_at=datetime(2026, 5, 20, 9, tzinfo=JAKARTA)
    )
    services.confirm_attendance(
        meeting, office=kaur, status="hadir", attendees="Budi Kaurman", by=tim_kaur
    )
    services.confirm_attendance(
        meeting,
        office=rejang_lebong,
        status="hadir",
        attendees="Andi Saputra",
        by=tim_rejang_lebong,
    )
    client.force_login(tim_rejang_lebong)

    text = shown_text(client.get(reverse("meetings:history", args=[meeting.pk])), "history")

    assert "Budi Kaurman" not in text
    assert "Andi Saputra" in text
