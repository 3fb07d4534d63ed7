"""Action items: the owner office marks them done (with a note and optional evidence), the
province confirms or reopens them; every change is audited."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Attachment, Office
from core.services import attachments_of, audit_events_for
from meetings import services
from meetings.models import ActionItem, Meeting
from meetings.services import MeetingStateError
from meetings.tests.conftest import NUMBER

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
State = ActionItem.State


@pytest.fixture
def held(make_meeting):
    return make_meeting(Meeting.State.HELD)


@pytest.fixture
def item(held, ketua_tim, rejang_lebong):
    return services.add_action_item(
        held,
        owner_office=rejang_lebong,
        description="Unggah laporan identifikasi kebutuhan desa",
        due_date=date(2026, 6, 5),
        by=ketua_tim,
    )


def test_adding_an_action_item_is_audited_on_the_item_and_the_meeting(item, held, ketua_tim):
    event = audit_events_for(item).get()
    assert (event.action, event.actor, event.office.code) == ("action_item.add", ketua_tim, "1702")
    assert event.changes["due_date"] == [None, "2026-06-05"]
    assert audit_events_for(held).filter(action="meeting.action_item").count() == 1


def test_the_owner_must_be_an_invited_office_or_the_province(held, ketua_tim, province):
    bengkulu_selatan = Office.objects.get(code="1701")

    with pytest.raises(ValidationError) as error:
        services.add_action_item(
            held,
            owner_office=bengkulu_selatan,
            description="Tidak diundang",
            due_date=date(2026, 6, 5),
            by=ketua_tim,
        )
    own = services.add_action_item(
        held,
        owner_office=province,
        description="Kirim pedoman LKE 2026",
        due_date=date(2026, 6, 1),
        by=ketua_tim,
    )

    assert list(error.value.message_dict) == ["owner_office"]
    assert list(ActionItem.objects.values_list("pk", flat=True)) == [own.pk]


def test_the_owner_team_marks_done_with_a_note_and_evidence(item, tim_rejang_lebong, frozen):
    services.mark_action_item_done(
        item,
        note="Laporan sudah diunggah ke sistem",
        evidence=SimpleUploadedFile("bukti.pdf", PDF),
        by=tim_rejang_lebong,
    )

    item.refresh_from_db()
    assert (item.state, item.done_by, item.done_note) == (
        State.DONE,
        tim_rejang_lebong,
        "Laporan sudah diunggah ke sistem",
    )
    assert item.done_at is not None
    assert [(a.original_name, a.purpose) for a in attachments_of(item)] == [
        ("bukti.pdf", "bukti_tindak_lanjut")
    ]
    assert [e.action for e in audit_events_for(item)][:2] == ["action_item.done", "attachment.add"]


def test_a_wrong_evidence_file_leaves_the_item_open_and_stores_nothing(item, tim_rejang_lebong):
    with pytest.raises(ValidationError) as error:
        services.mark_action_item_done(
            item,
            note="Selesai",
            evidence=SimpleUploadedFile("bukti.pdf", b"just text, not a pdf"),
            by=tim_rejang_lebong,
        )

    assert list(error.value.message_dict) == ["evidence"]
    assert "bukan jenis yang diizinkan" in error.value.message_dict["evidence"][0]
    item.refresh_from_db()
    assert (item.state, item.done_at) == (State.OPEN, None)
    assert Attachment.objects.count() == 0


def test_marking_done_needs_a_note(item, tim_rejang_lebong):
    with pytest.raises(ValidationError) as error:
        services.mark_action_item_done(item, note="  ", by=tim_rejang_lebong)

    assert error.value.message_dict == {"note": ["Jelaskan singkat apa yang sudah dikerjakan."]}
    assert ActionItem.objects.get(pk=item.pk).state == State.OPEN


@pytest.mark.parametrize(
    "persona", ["tim_kaur", "pimpinan_rejang_lebong", "viewer_rejang_lebong", "ketua_tim"]
)
def test_only_the_owner_team_marks_its_item_done(request, item, persona):
    with pytest.raises(PermissionDenied):
        services.mark_action_item_done(item, note="Selesai", by=request.getfixturevalue(persona))

    assert ActionItem.objects.get(pk=item.pk).state == State.OPEN


def test_the_province_team_marks_the_province_office_items_done(
    held, ketua_tim, tim_provinsi, province
):
    own = services.add_action_item(
        held,
        owner_office=province,
        description="Kirim pedoman LKE 2026",
        due_date=date(2026, 6, 1),
        by=ketua_tim,
    )

    services.mark_action_item_done(own, note="Pedoman dikirim lewat surel", by=tim_provinsi)

    assert ActionItem.objects.get(pk=own.pk).state == State.DONE


def test_the_province_confirms_a_done_item(item, tim_rejang_lebong, tim_provinsi):
    services.mark_action_item_done(item, note="Sudah", by=tim_rejang_lebong)

    services.confirm_action_item(item, by=tim_provinsi)

    item.refresh_from_db()
    assert (item.state, item.confirmed_by) == (State.CONFIRMED, tim_provinsi)
    assert audit_events_for(item).first().changes == {"state": ["done", "confirmed"]}


def test_an_open_item_cannot_be_confirmed(item, tim_provinsi):
    with pytest.raises(MeetingStateError):
        services.confirm_action_item(item, by=tim_provinsi)

    assert ActionItem.objects.get(pk=item.pk).state == State.OPEN


def test_the_owner_cannot_confirm_its_own_item(item, tim_rejang_lebong):
    services.mark_action_item_done(item, note="Sudah", by=tim_rejang_lebong)

    with pytest.raises(PermissionDenied):
        services.confirm_action_item(item, by=tim_rejang_lebong)

    assert ActionItem.objects.get(pk=item.pk).state == State.DONE


@pytest.mark.parametrize("confirm_first", [False, True])
def test_reopening_needs_a_reason_and_makes_the_item_open_again(
    item, tim_rejang_lebong, ketua_tim, confirm_first
):
    services.mark_action_item_done(item, note="Sudah", by=tim_rejang_lebong)
    if confirm_first:
        services.confirm_action_item(item, by=ketua_tim)
    with pytest.raises(ValidationError):
        services.reopen_action_item(item, reason="", by=ketua_tim)

    services.reopen_action_item(item, reason="Lampiran belum lengkap", by=ketua_tim)

    item.refresh_from_db()
    assert (item.state, item.done_at, item.confirmed_at) == (State.OPEN, None, None)
    event = audit_events_for(item).first()
    assert (event.action, event.reason) == ("action_item.reopen", "Lampiran belum lengkap")
    assert event.changes == {"state": ["confirmed" if confirm_first else "done", "open"]}


def test_an_open_item_of_a_held_meeting_can_be_deleted_but_not_after_closing(
    item, held, ketua_tim, rejang_lebong, kaur
):
    second = services.add_action_item(
        held, owner_office=kaur, description="Kirim SK", due_date=date(2026, 6, 9), by=ketua_tim
    )
    services.delete_action_item(item, by=ketua_tim)
    services.record_attendance(
        held,
        entries=[
            services.AttendanceEntry(rejang_lebong, "hadir", "Andi"),
            services.AttendanceEntry(kaur, "hadir", "Sari"),
        ],
        by=ketua_tim,
    )
    services.close_meeting(held, number=NUMBER, by=ketua_tim)

    with pytest.raises(MeetingStateError):
        services.delete_action_item(second, by=ketua_tim)

    assert list(ActionItem.objects.values_list("pk", flat=True)) == [second.pk]
    assert audit_events_for(held).filter(action="meeting.action_item_delete").count() == 1


def test_editing_after_closing_is_a_correction_by_ketua_tim_with_a_reason(
    item, held, ketua_tim, tim_provinsi, rejang_lebong, kaur
):
    services.record_attendance(
        held,
        entries=[
            services.AttendanceEntry(rejang_lebong, "hadir", "Andi"),
            services.AttendanceEntry(kaur, "tidak_hadir"),
        ],
        by=ketua_tim,
    )
    services.close_meeting(held, number=NUMBER, by=ketua_tim)
    values = {
        "owner_office": rejang_lebong,
        "description": item.description,
        "due_date": date(2026, 6, 19),
    }

    with pytest.raises(PermissionDenied):
        services.update_action_item(item, **values, by=tim_provinsi, reason="Mundur")
    services.update_action_item(item, **values, by=ketua_tim, reason="Disepakati mundur")

    assert ActionItem.objects.get(pk=item.pk).due_date == date(2026, 6, 19)
    event = audit_events_for(item).first()
    assert (event.action, event.reason) == ("action_item.correct", "Disepakati mundur")
    assert event.changes == {"due_date": ["2026-06-05", "2026-06-19"]}


def test_a_new_action_item_is_mailed_to_the_owner_office_team_and_head(
    held, ketua_tim, rejang_lebong, tim_rejang_lebong, pimpinan_rejang_lebong, tim_kaur
):
    from core.models import OutgoingMail

    for user in (tim_rejang_lebong, pimpinan_rejang_lebong, tim_kaur):
        user.email = f"{user.username}@bps.go.id"
        user.save(update_fields=["email"])
    OutgoingMail.objects.all().delete()

    item = services.add_action_item(
        held,
        owner_office=rejang_lebong,
        description="Unggah laporan identifikasi kebutuhan desa",
        due_date=date(2026, 6, 5),
        by=ketua_tim,
    )

    mails = OutgoingMail.objects.order_by("to")
    assert [m.to for m in mails] == [
        "pimpinan_rejang_lebong@bps.go.id",
        "tim_rejang_lebong@bps.go.id",
    ]
    assert mails[0].subject == f"Tindak lanjut untuk {rejang_lebong.short_name}, batas 5 Juni 2026"
    assert "Unggah laporan identifikasi kebutuhan desa" in mails[0].body
    assert f"/rapat/tindak-lanjut/{item.pk}/" in mails[0].body
