"""Browser test: the team lead plans and schedules a meeting, holds it, records attendance,
minutes and an action item, closes it and downloads the Laporan rapat; the Rejang Lebong team
then reports its action item done."""

import io
from datetime import timedelta

import pypdf
import pytest
from django.core import mail
from django.utils import timezone

from conftest import browser_login, make_user, screenshot
from core.deadlines import JAKARTA
from core.mail import deliver_outbox
from core.models import Office, Role
from meetings.models import ActionItem, Meeting
from program.services import create_program_year

pytestmark = pytest.mark.e2e


@pytest.fixture
def people(e2e_data):
    lead = make_user("ketua_tim", "1700", Role.KETUA_TIM, email="ketua@bps.go.id")
    team = make_user("tim_rejang_lebong", "1702", Role.TIM_KABKOTA, email="andi@bps.go.id")
    make_user("tim_kaur", "1704", Role.TIM_KABKOTA, email="sari@bps.go.id")
    return {"lead": lead, "team": team}


def test_schedule_hold_record_close_and_download_the_laporan_rapat(page, people, tmp_path):
    # A meeting that started within the last two hours, so it can be marked held right away.
    start = (timezone.now().astimezone(JAKARTA) - timedelta(hours=2)).replace(
        minute=0, second=0, microsecond=0
    )
    year = create_program_year(Office.objects.get(code="1700"), year=start.year, by=None)
    period = next(
        s for s, e in year.sop_activities.get(code="rapat").periods() if s <= start.date() <= e
    )
    page.on("dialog", lambda dialog: dialog.accept())

    browser_login(page, "ketua_tim")
    page.goto(f"/rapat/?tahun={year.year}")
    assert page.locator("h1").inner_text() == "Rapat dengan tim kabupaten/kota"
    screenshot(page, "meetings-list-empty")

    page.get_by_role("link", name="Rencanakan rapat", exact=True).click()
    page.fill("#id_title", "Rapat koordinasi tim Desa Cantik")
    page.select_option("#id_period_start", period.isoformat())
    page.fill("#id_day", start.date().isoformat())
    page.fill("#id_start_time", start.strftime("%H:%M"))
    page.fill("#id_end_time", (start + timedelta(minutes=59)).strftime("%H:%M"))
    page.fill("#id_link", "https://zoom.us/j/81234567890")
    page.fill("#id_agenda-0-title", "Progres pembinaan desa")
    page.fill("#id_agenda-0-presenter", "Tim Provinsi")
    page.fill("#id_agenda-0-allotted_minutes", "30")
    page.fill("#id_agenda-1-title", "Persiapan penilaian LKE")
    page.get_by_role("button", name="Tambah agenda").click()
    page.fill("#id_agenda-2-title", "Lain-lain")
    page.fill("#id_agenda-2-allotted_minutes", "10")
    assert page.locator("input[name=invited_offices]:checked").count() == 10
    screenshot(page, "meeting-form")
    page.get_by_role("button", name="Simpan").click()

    assert page.locator("[data-testid=meeting-state]").inner_text() == "Draf"
    assert page.locator("#notulen li").count() == 3
    # it started two hours ago: scheduling it asks for the confirmation
    page.get_by_label("Ya, jadwalkan walau waktunya sudah lewat").check()
    page.get_by_role("button", name="Jadwalkan & kirim undangan").click()
    assert page.locator("[data-testid=meeting-state]").inner_text() == "Dijadwalkan"
    deliver_outbox()  # invitations are queued in the outbox and sent by the worker
    assert sorted(m.to[0] for m in mail.outbox) == ["andi@bps.go.id", "sari@bps.go.id"]
    assert all(a.get_content_type() == "text/calendar" for m in mail.outbox for a in m.attachments)
    screenshot(page, "meeting-scheduled")

    page.get_by_role("button", name="Tandai terlaksana").click()
    assert page.locator("[data-testid=meeting-state]").inner_text() == "Terlaksana"

    page.get_by_role("link", name="Catat kehadiran").click()
    for code in ["1701", "1703", "1705", "1706", "1707", "1708", "1709", "1771"]:
        page.locator(f"[data-testid=attendance-row-{code}] input[value=tidak_hadir]").check()
    page.locator("[data-testid=attendance-row-1702] input[value=hadir]").check()
    page.locator("[data-testid=attendance-row-1702] textarea").fill("Andi Saputra\nRina Marlina")
    page.locator("[data-testid=attendance-row-1704] input[value=izin]").check()
    page.locator("[data-testid=attendance-row-1704] input[type=text]").fill("Bertugas lapangan")
    screenshot(page, "meeting-attendance-form")
    page.get_by_role("button", name="Simpan kehadiran").click()
    rows = page.locator("[data-testid=attendance-table] tbody tr")
    assert rows.nth(1).inner_text().split("\t") == [
        "Rejang Lebong",
        "Hadir",
        "Andi Saputra, Rina Marlina",
    ]

    page.get_by_role("link", name="Tulis notulen").click()
    page.get_by_label("1. Progres pembinaan desa").fill("Tiga desa sudah dicanangkan.")
    page.fill("#id_decisions", "Laporan identifikasi dikirim paling lambat akhir bulan")
    page.get_by_role("button", name="Simpan notulen").click()

    page.get_by_role("link", name="Tambah tindak lanjut").click()
    page.select_option("#id_owner_office", label="Rejang Lebong")
    page.fill("#id_description", "Unggah laporan identifikasi kebutuhan Desa Air Bening")
    page.fill("#id_due_date", (start.date() + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Simpan").click()
    assert "Unggah laporan identifikasi" in page.locator("[data-testid=action-table]").inner_text()
    screenshot(page, "meeting-held")

    page.get_by_label("Nomor surat Laporan rapat").fill("B-7/17000/VS.310/05/2026")
    page.get_by_role("button", name="Tutup rapat").click()
    assert page.locator("[data-testid=meeting-state]").inner_text() == "Ditutup"
    assert page.locator("[data-testid=report-number]").inner_text() == "B-7/17000/VS.310/05/2026"
    screenshot(page, "meeting-closed")

    # A typo in the number: the team lead corrects it, with a reason, on the meeting page.
    page.locator("[data-testid=correct-number] summary").click()
    page.fill("#corrected-number", "B-17/17000/VS.310/05/2026")
    page.fill("#correction-reason", "Salah ketik nomor urut")
    screenshot(page, "meeting-correct-number")
    page.get_by_role("button", name="Simpan nomor").click()
    assert page.locator("[data-testid=report-number]").inner_text() == "B-17/17000/VS.310/05/2026"

    with page.expect_download() as download_info:
        page.locator("[data-testid=report-pdf]").click()
    path = tmp_path / "laporan.pdf"
    download_info.value.save_as(path)
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "LAPORAN RAPAT" in text
    assert "Nomor: B-17/17000/VS.310/05/2026" in text
    assert "BPS Kabupaten Rejang Lebong Hadir Andi Saputra, Rina Marlina" in text
    assert "Unggah laporan identifikasi kebutuhan Desa Air Bening" in text
    meeting = Meeting.objects.get()
    assert meeting.state == Meeting.State.CLOSED

    page.goto(f"/rapat/?tahun={year.year}")
    screenshot(page, "meetings-list")

    # The Rejang Lebong team reports its action item done.
    page.context.clear_cookies()
    browser_login(page, "tim_rejang_lebong")
    page.goto(f"/rapat/tindak-lanjut/?tahun={year.year}")
    screenshot(page, "action-list-rejang-lebong")
    page.get_by_role("link", name="Unggah laporan identifikasi kebutuhan Desa Air Bening").click()
    page.fill("#id_note", "Laporan sudah diunggah di halaman desa")
    page.get_by_role("button", name="Tandai selesai").last.click()
    assert page.locator("[data-testid=action-status]").first.inner_text() == (
        "Selesai, menunggu konfirmasi"
    )
    screenshot(page, "action-done-rejang-lebong")
    assert ActionItem.objects.get().state == ActionItem.State.DONE
    page.get_by_role("link", name="Rapat koordinasi tim Desa Cantik").first.click()
    assert page.get_by_role("button", name="Tutup rapat").count() == 0
    assert page.get_by_role("link", name="Koreksi kehadiran").count() == 0
    assert page.locator("[data-testid=correct-number]").count() == 0
    screenshot(page, "meeting-closed-rejang-lebong")

    # The team lead confirms it.
    page.context.clear_cookies()
    browser_login(page, "ketua_tim")
    page.goto(f"/rapat/tindak-lanjut/{ActionItem.objects.get().pk}/")
    screenshot(page, "action-to-confirm")
    page.get_by_role("button", name="Konfirmasi").click()
    assert page.locator("[data-testid=action-status]").first.inner_text().strip() == "Dikonfirmasi"
    assert ActionItem.objects.get().state == ActionItem.State.CONFIRMED


def test_the_team_lead_cancels_a_scheduled_meeting_after_confirming(page, people):
    from meetings import services

    start = (timezone.now().astimezone(JAKARTA) + timedelta(days=3)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    year = create_program_year(Office.objects.get(code="1700"), year=start.year, by=None)
    period = next(
        s for s, e in year.sop_activities.get(code="rapat").periods() if s <= start.date() <= e
    )
    meeting = services.create_meeting(
        year,
        title="Rapat koordinasi tim Desa Cantik",
        period_start=period,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        platform=Meeting.Platform.ZOOM,
        link="https://zoom.us/j/81234567890",
        invited_offices=[Office.objects.get(code="1702")],
        invited_staff=[],
        agenda=[services.AgendaEntry(title="Progres", presenter="", allotted_minutes=30)],
        by=people["lead"],
    )
    services.schedule_meeting(meeting, by=people["lead"], site_url="http://testserver")
    deliver_outbox()
    mail.outbox.clear()
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.dismiss() if len(questions) == 1 else dialog.accept()

    page.on("dialog", answer)
    browser_login(page, "ketua_tim")
    page.goto(f"/rapat/{meeting.pk}/")
    page.fill("#id_reason", "Bentrok dengan rapat nasional")
    screenshot(page, "meeting-cancel-form")
    page.get_by_role("button", name="Batalkan rapat").click()  # dismissed: nothing happens
    assert Meeting.objects.get().state == Meeting.State.SCHEDULED
    page.get_by_role("button", name="Batalkan rapat").click()

    assert page.locator("[data-testid=meeting-state]").inner_text() == "Dibatalkan"
    assert questions == ["Batalkan rapat dan kirim pemberitahuan pembatalan ke semua undangan?"] * 2
    assert "Alasan: Bentrok dengan rapat nasional" in page.inner_text(
        "[data-testid=meeting-cancelled]"
    )
    screenshot(page, "meeting-cancelled")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "meeting-cancelled-phone")
    deliver_outbox()
    assert [m.to for m in mail.outbox] == [["andi@bps.go.id"]]
    assert mail.outbox[0].subject.startswith("Dibatalkan: Rapat koordinasi tim Desa Cantik")
