"""Every page of the meetings app × every persona, with the outcome written from the design:
outside the scope → 404; inside but not allowed to act → 403; allowed → the page or a redirect
after the write. Then bad input, wrong methods, anonymous visitors and query counts."""

import io
from dataclasses import dataclass
from datetime import date, datetime

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.deadlines import JAKARTA
from core.models import Attachment
from core.services import store_attachment
from meetings import services
from meetings.models import ActionItem, Attendance, Meeting
from meetings.services import AttendanceEntry

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PROVINCE = ["kepala", "ketua_tim", "tim_provinsi", "viewer_provinsi", "admin_provinsi"]
TEAM = {"ketua_tim", "tim_provinsi"}
REJANG_LEBONG = ["tim_rejang_lebong", "pimpinan_rejang_lebong", "viewer_rejang_lebong"]
PERSONAS = PROVINCE + REJANG_LEBONG + ["tim_kaur"]


@dataclass
class World:
    draft: Meeting
    scheduled: Meeting
    held: Meeting  # attendance complete, can be closed
    closed: Meeting
    kaur_only: Meeting  # scheduled, Rejang Lebong not invited
    item: ActionItem  # of Rejang Lebong, open, in `held`
    done_item: ActionItem  # of Rejang Lebong, done, in `held`
    kaur_item: ActionItem  # of Kaur, open, in `held`


@pytest.fixture
def world(make_meeting, ketua_tim, tim_rejang_lebong, rejang_lebong, kaur) -> World:
    held = make_meeting(Meeting.State.HELD)
    services.record_attendance(
        held,
        entries=[
            AttendanceEntry(rejang_lebong, Attendance.Status.HADIR, "Andi"),
            AttendanceEntry(kaur, Attendance.Status.TIDAK_HADIR),
        ],
        by=ketua_tim,
    )

    def add(owner, text):
        return services.add_action_item(
            held, owner_office=owner, description=text, due_date=date(2026, 6, 5), by=ketua_tim
        )

    item, done_item, kaur_item = add(rejang_lebong, "A"), add(rejang_lebong, "B"), add(kaur, "C")
    services.mark_action_item_done(done_item, note="Sudah", by=tim_rejang_lebong)
    store_attachment(SimpleUploadedFile("bukti.pdf", PDF), owner=done_item, by=tim_rejang_lebong)
    return World(
        draft=make_meeting(),
        scheduled=make_meeting(
            Meeting.State.SCHEDULED, starts_at=datetime(2026, 5, 18, 10, tzinfo=JAKARTA)
        ),
        held=held,
        closed=make_meeting(Meeting.State.CLOSED),
        kaur_only=make_meeting(Meeting.State.SCHEDULED, invited_offices=[kaur]),
        item=item,
        done_item=done_item,
        kaur_item=kaur_item,
    )


def sees(persona: str, meeting_name: str) -> bool:
    if persona in PROVINCE:
        return True
    if meeting_name == "draft":
        return False
    return meeting_name != "kaur_only" or persona == "tim_kaur"


def expect(persona: str, meeting_name: str, *, allowed: set[str], ok: int) -> int:
    if not sees(persona, meeting_name):
        return 404
    return ok if persona in allowed else 403


@pytest.fixture
def as_persona(request, client):
    def login(persona: str):
        client.force_login(request.getfixturevalue(persona))
        return client

    return login


# --- meeting pages -----------------------------------------------------------------------------

READ_PAGES = [
    ("detail", "scheduled"),
    ("detail", "draft"),
    ("detail", "kaur_only"),
    ("history", "held"),
    ("report_pdf", "closed"),
    ("report_docx", "closed"),
    ("attendance_pdf", "closed"),
    ("ics", "scheduled"),
]


@pytest.mark.parametrize(("name", "target"), READ_PAGES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_read_pages_answer_by_scope(world, as_persona, persona, name, target):
    meeting = getattr(world, target)

    response = as_persona(persona).get(reverse(f"meetings:{name}", args=[meeting.pk]))

    expected = 200 if sees(persona, target) else 404
    assert response.status_code == expected
    if expected == 200 and name == "detail":
        assert response.context["meeting"].pk == meeting.pk
        assert response.context["can_manage"] is (persona in TEAM)
    if expected == 200 and name == "report_pdf":
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        assert response["Content-Disposition"].startswith('attachment; filename="laporan-rapat-')
    if expected == 200 and name == "ics":
        assert response.content.startswith(b"BEGIN:VCALENDAR\r\n")


@pytest.mark.parametrize("name", ["report_pdf", "report_docx", "attendance_pdf"])
def test_no_report_before_the_meeting_is_held(world, as_persona, name):
    response = as_persona("ketua_tim").get(reverse(f"meetings:{name}", args=[world.scheduled.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_meeting_list_shows_the_meetings_of_the_scope_with_the_cadence(world, as_persona, persona):
    response = as_persona(persona).get(reverse("meetings:list"), {"tahun": 2026})

    assert response.status_code == 200
    shown = {m.pk for m in response.context["meetings"]}
    assert shown == {
        getattr(world, name).pk
        for name in ("draft", "scheduled", "held", "closed", "kaur_only")
        if sees(persona, name)
    }
    assert response.context["can_create"] is (persona in TEAM)
    offices = [row.office.code for row in response.context["cadence"].offices]
    if persona in PROVINCE:
        assert len(offices) == 10
    else:
        assert offices == (["1704"] if persona == "tim_kaur" else ["1702"])


def test_meeting_list_for_an_unknown_year_is_not_found(world, as_persona):
    assert as_persona("ketua_tim").get(reverse("meetings:list"), {"tahun": 2019}).status_code == 404
    assert as_persona("ketua_tim").get(reverse("meetings:list"), {"tahun": "x"}).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_create_form_only_for_the_province_team(world, as_persona, persona):
    response = as_persona(persona).get(reverse("meetings:create"), {"tahun": 2026})

    assert response.status_code == (200 if persona in TEAM else 403)


def meeting_form_data(**changes) -> dict:
    data = {
        "title": "Rapat koordinasi Juni",
        "period_start": "2026-05-01",
        "day": "2026-06-10",
        "start_time": "09:00",
        "end_time": "11:30",
        "platform": "zoom",
        "link": "https://zoom.us/j/999",
        "invited_offices": [],
        "invited_staff": [],
        "agenda-TOTAL_FORMS": "3",
        "agenda-INITIAL_FORMS": "0",
        "agenda-MIN_NUM_FORMS": "0",
        "agenda-MAX_NUM_FORMS": "30",
        "agenda-0-title": "Progres pembinaan",
        "agenda-0-presenter": "Tim Provinsi",
        "agenda-0-allotted_minutes": "30",
        "agenda-1-title": "Lain-lain",
        "agenda-1-allotted_minutes": "15",
        "agenda-2-title": "",
        "agenda-2-allotted_minutes": "15",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("persona", PERSONAS)
def test_create_post_by_role(world, as_persona, persona, rejang_lebong, kaur):
    before = Meeting.objects.count()
    data = meeting_form_data(invited_offices=[rejang_lebong.pk, kaur.pk])

    response = as_persona(persona).post(f"{reverse('meetings:create')}?tahun=2026", data)

    if persona in TEAM:
        meeting = Meeting.objects.latest("pk")
        assert response.status_code == 302
        assert response.url == reverse("meetings:detail", args=[meeting.pk])
        assert (meeting.title, meeting.state) == ("Rapat koordinasi Juni", "draft")
        assert meeting.starts_at == datetime(2026, 6, 10, 9, tzinfo=JAKARTA)
        assert [a.title for a in meeting.agenda_items.all()] == ["Progres pembinaan", "Lain-lain"]
    else:
        assert response.status_code == 403
        assert Meeting.objects.count() == before


def test_create_with_bad_input_shows_errors_and_saves_nothing(world, as_persona):
    before = Meeting.objects.count()
    data = meeting_form_data(
        day="31/02/2026",
        end_time="08:00",
        link="bukan tautan",
        **{"agenda-0-allotted_minutes": "0"},
    )

    response = as_persona("tim_provinsi").post(f"{reverse('meetings:create')}?tahun=2026", data)

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"day", "link", "invited_offices"}
    assert response.context["agenda"].errors[0] == {
        "allotted_minutes": ["Pastikan nilai ini lebih besar dari atau sama dengan 1."]
    }
    assert Meeting.objects.count() == before


def test_end_before_start_is_refused(world, as_persona, rejang_lebong):
    data = meeting_form_data(end_time="08:00", invited_offices=[rejang_lebong.pk])

    response = as_persona("ketua_tim").post(f"{reverse('meetings:create')}?tahun=2026", data)

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "end_time": ["Waktu selesai rapat harus setelah waktu mulai."]
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", ["draft", "scheduled"])
def test_edit_by_role(world, as_persona, persona, target):
    meeting = getattr(world, target)

    response = as_persona(persona).get(reverse("meetings:edit", args=[meeting.pk]))

    assert response.status_code == expect(persona, target, allowed=TEAM, ok=200)


def test_editing_a_scheduled_meeting_through_the_page(world, as_persona, rejang_lebong, kaur):
    meeting = world.scheduled
    agenda = list(meeting.agenda_items.all())
    data = meeting_form_data(
        title="Rapat koordinasi (jam diubah)",
        day="2026-05-18",
        start_time="10:00",
        end_time="12:00",
        invited_offices=[rejang_lebong.pk, kaur.pk],
        **{
            "agenda-TOTAL_FORMS": "2",
            "agenda-INITIAL_FORMS": "2",
            "agenda-0-id": str(agenda[0].pk),
            "agenda-0-title": agenda[0].title,
            "agenda-0-allotted_minutes": "45",
            "agenda-1-id": str(agenda[1].pk),
            "agenda-1-title": agenda[1].title,
            "agenda-1-allotted_minutes": "30",
            "agenda-1-DELETE": "on",
        },
    )

    response = as_persona("ketua_tim").post(reverse("meetings:edit", args=[meeting.pk]), data)

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Rapat koordinasi (jam diubah)"
    assert meeting.invitation_sequence == 1
    assert [a.pk for a in meeting.agenda_items.all()] == [agenda[0].pk]


def test_a_held_meeting_edit_page_redirects_with_a_message(world, as_persona):
    response = as_persona("ketua_tim").get(reverse("meetings:edit", args=[world.held.pk]))

    assert response.status_code == 302
    assert response.url == reverse("meetings:detail", args=[world.held.pk])


STATE_CHANGES = [
    # url name, meeting, who may, state after success
    ("schedule", "draft", TEAM, "scheduled"),
    ("hold", "scheduled", TEAM, "held"),
    ("close", "held", {"ketua_tim"}, "closed"),
]


@pytest.mark.parametrize(("name", "target", "allowed", "after"), STATE_CHANGES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_state_changes_by_role(world, as_persona, persona, name, target, allowed, after):
    meeting = getattr(world, target)

    # the world's draft starts at 09:00, now is 12:00: scheduling it needs the confirmation;
    # closing needs a letter number that its closed meeting does not have already
    close = {"number": "B-8/17000/VS.310/05/2026"}
    data = {"schedule": {"confirm_past": "1"}, "close": close}.get(name, {})
    response = as_persona(persona).post(reverse(f"meetings:{name}", args=[meeting.pk]), data)

    expected = expect(persona, target, allowed=allowed, ok=302)
    assert response.status_code == expected
    state = Meeting.objects.get(pk=meeting.pk).state
    assert state == (after if expected == 302 else target)


@pytest.mark.parametrize("persona", PERSONAS)
def test_cancel_by_role(world, as_persona, persona):
    response = as_persona(persona).post(
        reverse("meetings:cancel", args=[world.scheduled.pk]), {"reason": "Bentrok jadwal"}
    )

    expected = expect(persona, "scheduled", allowed=TEAM, ok=302)
    assert response.status_code == expected
    meeting = Meeting.objects.get(pk=world.scheduled.pk)
    assert meeting.state == ("cancelled" if expected == 302 else "scheduled")


def test_the_meeting_page_offers_cancelling_a_scheduled_meeting_to_the_team_only(world, as_persona):
    url = reverse("meetings:detail", args=[world.scheduled.pk])
    cancel = reverse("meetings:cancel", args=[world.scheduled.pk])

    team_page = as_persona("ketua_tim").get(url).content.decode()
    kabkota_page = as_persona("tim_rejang_lebong").get(url).content.decode()
    held_page = as_persona("ketua_tim").get(reverse("meetings:detail", args=[world.held.pk]))

    assert f'action="{cancel}"' in team_page
    assert "Batalkan rapat dan kirim pemberitahuan pembatalan ke semua undangan?" in team_page
    assert f'action="{cancel}"' not in kabkota_page
    assert 'data-testid="cancel-meeting"' not in held_page.content.decode()


def test_cancelling_without_a_reason_is_refused_on_the_page(world, as_persona):
    response = as_persona("ketua_tim").post(
        reverse("meetings:cancel", args=[world.scheduled.pk]), {"reason": "  "}
    )

    assert response.status_code == 400
    assert response.context["cancel_form"].errors["reason"] == ["Bidang ini tidak boleh kosong."]
    assert Meeting.objects.get(pk=world.scheduled.pk).state == "scheduled"


def test_a_cancelled_meeting_shows_the_reason_and_no_progress_steps(world, as_persona):
    client = as_persona("ketua_tim")
    client.post(reverse("meetings:cancel", args=[world.scheduled.pk]), {"reason": "Bentrok jadwal"})

    page = (
        as_persona("tim_rejang_lebong")
        .get(reverse("meetings:detail", args=[world.scheduled.pk]))
        .content.decode()
    )

    assert 'data-testid="meeting-cancelled"' in page
    assert "Alasan: Bentrok jadwal" in page
    assert 'data-testid="meeting-steps"' not in page
    assert ">Dibatalkan</span>" in page


def test_a_refused_transition_comes_back_as_a_message(world, as_persona):
    client = as_persona("ketua_tim")

    response = client.post(reverse("meetings:close", args=[world.scheduled.pk]), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "Status tidak dapat diubah dari dijadwalkan menjadi ditutup."
    ]
    assert Meeting.objects.get(pk=world.scheduled.pk).state == "scheduled"


def test_the_team_lead_closes_with_the_letter_number_of_the_laporan_rapat(world, as_persona):
    client = as_persona("ketua_tim")
    page = client.get(reverse("meetings:detail", args=[world.held.pk])).content.decode()
    assert 'name="number"' in page
    assert "Nomor terakhir: B-7/17000/VS.310/05/2026" in page  # the closed meeting's number

    refused = client.post(reverse("meetings:close", args=[world.held.pk]), follow=True)
    closed = client.post(
        reverse("meetings:close", args=[world.held.pk]),
        {"number": "B-8/17000/VS.310/05/2026"},
        follow=True,
    )

    assert [str(m) for m in refused.context["messages"]] == ["Isi nomor surat Laporan rapat ini."]
    meeting = Meeting.objects.get(pk=world.held.pk)
    assert (meeting.state, meeting.report_number) == ("closed", "B-8/17000/VS.310/05/2026")
    assert 'data-testid="report-number">B-8/17000/VS.310/05/2026<' in closed.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_delete_draft_by_role(world, as_persona, persona):
    response = as_persona(persona).post(reverse("meetings:delete", args=[world.draft.pk]))

    expected = expect(persona, "draft", allowed=TEAM, ok=302)
    assert response.status_code == expected
    assert Meeting.objects.filter(pk=world.draft.pk).exists() is (expected != 302)


RECORD_PAGES = ["attendance", "minutes", "action_create"]


@pytest.mark.parametrize("name", RECORD_PAGES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_recording_pages_while_held_are_for_the_province_team(world, as_persona, persona, name):
    response = as_persona(persona).get(reverse(f"meetings:{name}", args=[world.held.pk]))

    assert response.status_code == expect(persona, "held", allowed=TEAM, ok=200)


@pytest.mark.parametrize("name", RECORD_PAGES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_after_closing_only_ketua_tim_opens_the_correction_pages(world, as_persona, persona, name):
    response = as_persona(persona).get(reverse(f"meetings:{name}", args=[world.closed.pk]))

    assert response.status_code == expect(persona, "closed", allowed={"ketua_tim"}, ok=200)
    if response.status_code == 200:
        assert "reason" in response.context["form"].fields


@pytest.mark.parametrize("name", RECORD_PAGES)
def test_nothing_to_record_before_the_meeting_is_held(world, as_persona, name):
    response = as_persona("ketua_tim").get(reverse(f"meetings:{name}", args=[world.scheduled.pk]))

    assert response.status_code == 404


def test_recording_attendance_through_the_page(world, as_persona, rejang_lebong, kaur):
    meeting = world.held

    response = as_persona("tim_provinsi").post(
        reverse("meetings:attendance", args=[meeting.pk]),
        {
            f"status_{rejang_lebong.pk}": "hadir",
            f"attendees_{rejang_lebong.pk}": "Andi Saputra\nRina Marlina",
            f"status_{kaur.pk}": "izin",
            f"note_{kaur.pk}": "Bertugas lapangan",
        },
    )

    assert response.status_code == 302
    assert response.url.endswith("#kehadiran")
    assert {
        a.office.code: (a.status, a.attendee_list, a.note) for a in meeting.attendances.all()
    } == {
        "1702": ("hadir", ["Andi Saputra", "Rina Marlina"], ""),
        "1704": ("izin", [], "Bertugas lapangan"),
    }


def test_present_without_names_is_refused_on_the_page(world, as_persona, rejang_lebong):
    before = list(world.held.attendances.values_list("office__code", "status", "attendees"))

    response = as_persona("ketua_tim").post(
        reverse("meetings:attendance", args=[world.held.pk]),
        {f"status_{rejang_lebong.pk}": "hadir", f"attendees_{rejang_lebong.pk}": "  "},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        f"attendees_{rejang_lebong.pk}": ["Tuliskan nama yang hadir."]
    }
    after = list(world.held.attendances.values_list("office__code", "status", "attendees"))
    assert after == before


def test_a_correction_page_needs_the_reason(world, as_persona, kaur):
    url = reverse("meetings:attendance", args=[world.closed.pk])
    data = {f"status_{kaur.pk}": "hadir", f"attendees_{kaur.pk}": "Sari"}
    client = as_persona("ketua_tim")

    refused = client.post(url, data)
    accepted = client.post(url, {**data, "reason": "Kaur hadir terlambat"})

    assert refused.status_code == 400
    assert list(refused.context["form"].errors) == ["reason"]
    assert accepted.status_code == 302
    assert world.closed.attendances.get(office=kaur).status == "hadir"


def test_writing_minutes_through_the_page(world, as_persona):
    first, second = world.held.agenda_items.all()

    response = as_persona("tim_provinsi").post(
        reverse("meetings:minutes", args=[world.held.pk]),
        {
            f"minutes_{first.pk}": "Progres baik.",
            f"minutes_{second.pk}": "",
            "decisions": "Satu\nDua",
        },
    )

    assert response.status_code == 302
    world.held.refresh_from_db()
    assert world.held.decision_list == ["Satu", "Dua"]
    assert world.held.agenda_items.get(pk=first.pk).minutes == "Progres baik."


def test_adding_an_action_item_through_the_page(world, as_persona, kaur):
    response = as_persona("ketua_tim").post(
        reverse("meetings:action_create", args=[world.held.pk]),
        {"owner_office": kaur.pk, "description": "Unggah SK", "due_date": "2026-06-20"},
    )

    assert response.status_code == 302
    assert ActionItem.objects.filter(description="Unggah SK", owner_office=kaur).count() == 1


def test_an_action_item_due_before_the_meeting_is_refused(world, as_persona, kaur):
    before = ActionItem.objects.count()

    response = as_persona("ketua_tim").post(
        reverse("meetings:action_create", args=[world.held.pk]),
        {"owner_office": kaur.pk, "description": "Unggah SK", "due_date": "2026-05-01"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "due_date": ["Tenggat tidak boleh sebelum tanggal rapat."]
    }
    assert ActionItem.objects.count() == before


# --- action items ------------------------------------------------------------------------------


def sees_item(persona: str) -> bool:
    """The items below belong to Rejang Lebong."""
    return persona in PROVINCE or persona in REJANG_LEBONG


def item_expect(persona: str, allowed: set[str], ok: int) -> int:
    if not sees_item(persona):
        return 404
    return ok if persona in allowed else 403


@pytest.mark.parametrize("persona", PERSONAS)
def test_action_item_page_by_scope(world, as_persona, persona):
    response = as_persona(persona).get(reverse("meetings:action_detail", args=[world.item.pk]))

    assert response.status_code == (200 if sees_item(persona) else 404)
    if response.status_code == 200:
        assert response.context["can_mark_done"] is (persona == "tim_rejang_lebong")
        assert response.context["can_review"] is (persona in TEAM)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_owner_team_marks_done(world, as_persona, persona):
    response = as_persona(persona).post(
        reverse("meetings:action_done", args=[world.item.pk]),
        {"note": "Sudah dikirim", "evidence": SimpleUploadedFile("bukti.pdf", PDF)},
    )

    expected = item_expect(persona, {"tim_rejang_lebong"}, 302)
    assert response.status_code == expected
    item = ActionItem.objects.get(pk=world.item.pk)
    assert item.state == ("done" if expected == 302 else "open")
    assert Attachment.objects.filter(owner_id=str(item.pk)).count() == (1 if expected == 302 else 0)


def test_a_wrong_evidence_file_is_refused_with_a_clear_message(world, as_persona):
    response = as_persona("tim_rejang_lebong").post(
        reverse("meetings:action_done", args=[world.item.pk]),
        {"note": "Sudah", "evidence": SimpleUploadedFile("bukti.pdf", b"plain text")},
    )

    assert response.status_code == 400
    errors = response.context["done_form"].errors
    assert "bukan jenis yang diizinkan" in errors["evidence"][0]
    assert ActionItem.objects.get(pk=world.item.pk).state == "open"
    assert Attachment.objects.filter(owner_id=str(world.item.pk)).count() == 0


@pytest.mark.parametrize("persona", PERSONAS)
def test_confirm_by_role(world, as_persona, persona):
    response = as_persona(persona).post(
        reverse("meetings:action_confirm", args=[world.done_item.pk])
    )

    expected = item_expect(persona, TEAM, 302)
    assert response.status_code == expected
    state = ActionItem.objects.get(pk=world.done_item.pk).state
    assert state == ("confirmed" if expected == 302 else "done")


@pytest.mark.parametrize("persona", PERSONAS)
def test_reopen_by_role(world, as_persona, persona):
    response = as_persona(persona).post(
        reverse("meetings:action_reopen", args=[world.done_item.pk]),
        {"reason": "Bukti kurang"},
    )

    expected = item_expect(persona, TEAM, 302)
    assert response.status_code == expected
    state = ActionItem.objects.get(pk=world.done_item.pk).state
    assert state == ("open" if expected == 302 else "done")


def test_reopen_without_a_reason_is_refused(world, as_persona):
    response = as_persona("ketua_tim").post(
        reverse("meetings:action_reopen", args=[world.done_item.pk]), {"reason": ""}
    )

    assert response.status_code == 400
    assert list(response.context["reopen_form"].errors) == ["reason"]
    assert ActionItem.objects.get(pk=world.done_item.pk).state == "done"


@pytest.mark.parametrize("persona", PERSONAS)
def test_action_item_edit_by_role(world, as_persona, persona):
    response = as_persona(persona).get(reverse("meetings:action_edit", args=[world.item.pk]))

    assert response.status_code == item_expect(persona, TEAM, 200)


@pytest.mark.parametrize("persona", PERSONAS)
def test_action_item_delete_by_role(world, as_persona, persona):
    response = as_persona(persona).post(reverse("meetings:action_delete", args=[world.item.pk]))

    expected = item_expect(persona, TEAM, 302)
    assert response.status_code == expected
    assert ActionItem.objects.filter(pk=world.item.pk).exists() is (expected != 302)


@pytest.mark.parametrize("persona", PERSONAS)
def test_evidence_download_by_scope(world, as_persona, persona):
    attachment = Attachment.objects.get(owner_id=str(world.done_item.pk))

    response = as_persona(persona).get(
        reverse("meetings:action_attachment", args=[world.done_item.pk, attachment.pk])
    )

    assert response.status_code == (200 if sees_item(persona) else 404)
    if response.status_code == 200:
        assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize("persona", PERSONAS)
def test_action_list_and_xlsx_show_only_items_of_the_scope(world, as_persona, persona):
    client = as_persona(persona)

    page = client.get(reverse("meetings:action_list"), {"tahun": 2026})
    xlsx = client.get(reverse("meetings:action_xlsx"), {"tahun": 2026})

    expected = {"A", "B", "C"} if persona in PROVINCE else {"A", "B"}
    if persona == "tim_kaur":
        expected = {"C"}
    assert {item.description for item in page.context["items"]} == expected
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert {row[3] for row in sheet.iter_rows(min_row=2, values_only=True)} == expected


def test_action_list_filters_by_office_and_status_and_answers_htmx_with_the_table(
    world, as_persona, rejang_lebong
):
    client = as_persona("ketua_tim")

    response = client.get(
        reverse("meetings:action_list"),
        {"tahun": 2026, "office": rejang_lebong.pk, "status": "done"},
        headers={"HX-Request": "true"},
    )

    assert [item.description for item in response.context["items"]] == ["B"]
    assert response.content.decode().lstrip().startswith('<div id="action-table"')


# --- anonymous visitors, wrong methods, query counts -------------------------------------------

ALL = [
    ("list", "get", None),
    ("create", "get", None),
    ("detail", "get", "meeting"),
    ("edit", "get", "meeting"),
    ("delete", "post", "meeting"),
    ("schedule", "post", "meeting"),
    ("hold", "post", "meeting"),
    ("cancel", "post", "meeting"),
    ("confirm", "post", "meeting"),
    ("close", "post", "meeting"),
    ("attendance", "get", "meeting"),
    ("minutes", "get", "meeting"),
    ("action_create", "get", "meeting"),
    ("history", "get", "meeting"),
    ("report_pdf", "get", "meeting"),
    ("report_docx", "get", "meeting"),
    ("attendance_pdf", "get", "meeting"),
    ("ics", "get", "meeting"),
    ("action_list", "get", None),
    ("action_xlsx", "get", None),
    ("action_detail", "get", "item"),
    ("action_edit", "get", "item"),
    ("action_delete", "post", "item"),
    ("action_done", "post", "item"),
    ("action_confirm", "post", "item"),
    ("action_reopen", "post", "item"),
]


def url_of(world: World, name: str, kind: str | None) -> str:
    if kind == "meeting":
        return reverse(f"meetings:{name}", args=[world.held.pk])
    if kind == "item":
        return reverse(f"meetings:{name}", args=[world.item.pk])
    return reverse(f"meetings:{name}")


@pytest.mark.parametrize(("name", "method", "kind"), ALL, ids=[a[0] for a in ALL])
def test_anonymous_visitor_is_sent_to_login(client, world, name, method, kind):
    url = url_of(world, name, kind)

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize(("name", "method", "kind"), ALL, ids=[a[0] for a in ALL])
def test_wrong_method_is_refused(world, as_persona, name, method, kind):
    wrong = "post" if method == "get" else "get"
    if name in ("create", "edit", "attendance", "minutes", "action_create", "action_edit"):
        wrong = "delete"  # these answer GET and POST

    response = getattr(as_persona("ketua_tim"), wrong)(url_of(world, name, kind))

    assert response.status_code == 405


def test_pages_take_a_constant_number_of_queries(
    make_meeting, world, as_persona, ketua_tim, rejang_lebong, kaur
):
    client = as_persona("ketua_tim")
    urls = [
        f"{reverse('meetings:list')}?tahun=2026",
        f"{reverse('meetings:action_list')}?tahun=2026",
        reverse("meetings:detail", args=[world.held.pk]),
    ]

    def counts() -> list[int]:
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as context:
                assert client.get(url).status_code == 200
            result.append(len(context.captured_queries))
        return result

    small = counts()
    for month in (1, 3):
        meeting = make_meeting(
            Meeting.State.HELD,
            starts_at=datetime(2026, month + 1, 10, 9, tzinfo=JAKARTA),
            period_start=date(2026, month, 1),
        )
        for n in range(4):
            services.add_action_item(
                meeting,
                owner_office=rejang_lebong if n % 2 else kaur,
                description=f"T{n}",
                due_date=date(2026, 6, 1),
                by=ketua_tim,
            )
            services.add_action_item(
                world.held,
                owner_office=kaur,
                description=f"H{n}",
                due_date=date(2026, 6, 2),
                by=ketua_tim,
            )
    large = counts()

    assert large == small


@pytest.fixture
def other_province_meeting(db):
    """A second province, Sumatera Selatan, with its own offices, year, meeting and action item."""
    from conftest import make_user
    from core.models import Office, Region, Role
    from program.services import create_program_year

    sumsel = Region.objects.create(code="16", name="SUMATERA SELATAN", level="provinsi")
    oku = Region.objects.create(
        code="16.01", name="KAB. OGAN KOMERING ULU", level="kabkota", parent=sumsel
    )
    province = Office.objects.create(
        code="1600",
        name="BPS Provinsi Sumatera Selatan",
        short_name="Sumsel",
        kind="provinsi",
        region=sumsel,
    )
    office = Office.objects.create(
        code="1601",
        name="BPS Kabupaten Ogan Komering Ulu",
        short_name="OKU",
        kind="kabkota",
        region=oku,
        parent=province,
    )
    lead = make_user("ketua_sumsel", "1600", Role.KETUA_TIM)
    year = create_program_year(province, year=2026, by=lead)
    start = datetime(2026, 5, 18, 9, tzinfo=JAKARTA)
    meeting = services.create_meeting(
        year,
        title="Rapat Sumsel",
        period_start=date(2026, 5, 1),
        starts_at=start,
        ends_at=start.replace(hour=10),
        platform="zoom",
        link="https://zoom.us/j/1",
        invited_offices=[office],
        invited_staff=[],
        agenda=[services.AgendaEntry(title="Progres", presenter="", allotted_minutes=30)],
        by=lead,
    )
    services.schedule_meeting(meeting, by=lead, site_url="https://x.example", confirm_past=True)
    services.hold_meeting(meeting, by=lead)
    item = services.add_action_item(
        meeting, owner_office=office, description="Kirim SK", due_date=date(2026, 6, 1), by=lead
    )
    return meeting, item


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_meeting_of_another_province_is_not_found(
    frozen, other_province_meeting, as_persona, persona
):
    meeting, item = other_province_meeting
    client = as_persona(persona)

    answers = [
        client.get(reverse("meetings:detail", args=[meeting.pk])).status_code,
        client.get(reverse("meetings:report_pdf", args=[meeting.pk])).status_code,
        client.post(reverse("meetings:attendance", args=[meeting.pk])).status_code,
        client.get(reverse("meetings:action_detail", args=[item.pk])).status_code,
        client.post(reverse("meetings:action_done", args=[item.pk]), {"note": "x"}).status_code,
    ]

    assert answers == [404] * 5
    assert ActionItem.objects.get(pk=item.pk).state == "open"


def test_scheduling_a_past_meeting_through_the_page_asks_for_the_confirmation(
    make_meeting, as_persona
):
    meeting = make_meeting(starts_at=datetime(2026, 5, 18, 8, tzinfo=JAKARTA))  # now is 12:00
    client = as_persona("ketua_tim")
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert 'data-testid="schedule-past"' in page
    assert "Ya, jadwalkan walau waktunya sudah lewat" in page

    response = client.post(reverse("meetings:schedule", args=[meeting.pk]), follow=True)
    assert "sudah lewat. Centang" in response.content.decode()
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.DRAFT

    client.post(reverse("meetings:schedule", args=[meeting.pk]), {"confirm_past": "1"})
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.SCHEDULED


def test_a_meeting_to_come_is_scheduled_with_the_plain_button(make_meeting, as_persona):
    meeting = make_meeting(starts_at=datetime(2026, 5, 18, 14, tzinfo=JAKARTA))
    client = as_persona("ketua_tim")
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert 'data-testid="schedule-past"' not in page

    client.post(reverse("meetings:schedule", args=[meeting.pk]))
    assert Meeting.objects.get(pk=meeting.pk).state == Meeting.State.SCHEDULED
