"""API writes go through the pages' services: audited like page writes, stale copies refused
with 409, bad values with 400; and the lists paginate with a total."""

from datetime import date

from django.contrib.contenttypes.models import ContentType

from core.models import AuditEvent
from lke.models import Answer, Item, Worksheet
from program.models import WorkPlanActivity


def _events(obj):
    return AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    )


def _put(client, url, body):
    return client.put(url, body, content_type="application/json")


def test_realisation_through_the_api_is_audited_like_a_page_write(world, api_client, tim_kaur):
    activity = world.sides["1704"].activity
    response = _put(
        api_client(tim_kaur),
        f"/api/v1/work-plan-activities/{activity.pk}/realisation",
        {"version": 1, "realised_on": "2026-05-10", "realisation_output": "Notulen"},
    )
    activity.refresh_from_db()
    event = _events(activity).get(action="work_plan.realise")
    assert response.status_code == 200
    assert (response.json()["realised_on"], response.json()["version"]) == ("2026-05-10", 2)
    assert (activity.realised_on, activity.realisation_output) == (date(2026, 5, 10), "Notulen")
    assert (event.actor, event.office, event.changes["realised_on"]) == (
        tim_kaur,
        activity.village.office,
        [None, "2026-05-10"],
    )


def test_realisation_on_a_stale_version_is_409_and_keeps_the_other_change(
    world, api_client, tim_kaur
):
    activity = world.sides["1704"].activity
    client = api_client(tim_kaur)
    url = f"/api/v1/work-plan-activities/{activity.pk}/realisation"
    first = _put(client, url, {"version": 1, "realised_on": "2026-05-10"})
    stale = _put(client, url, {"version": 1, "realised_on": "2026-05-12"})
    assert (first.status_code, stale.status_code, stale.json()["code"]) == (200, 409, "stale_edit")
    assert WorkPlanActivity.objects.get(pk=activity.pk).realised_on == date(2026, 5, 10)


def test_a_realisation_of_an_activity_deleted_meanwhile_is_409_gone(
    world, api_client, tim_kaur, monkeypatch
):
    """Deleted by a colleague between the endpoint's read and the service's write: 409 with
    code "gone" and the reason, not a 500; nothing is written."""
    from program import services

    activity = world.sides["1704"].activity
    original = services.update_activity

    def deleted_first(current, **values):
        WorkPlanActivity.objects.filter(pk=current.pk).delete()
        return original(current, **values)

    monkeypatch.setattr(services, "update_activity", deleted_first)
    response = _put(
        api_client(tim_kaur),
        f"/api/v1/work-plan-activities/{activity.pk}/realisation",
        {"version": 1, "realised_on": "2026-05-10"},
    )
    assert (response.status_code, response.json()["code"]) == (409, "gone")
    assert "menghapus kegiatan rencana kerja ini" in response.json()["detail"]
    assert not _events(activity).filter(action="work_plan.realise").exists()


def test_a_realisation_in_the_future_is_400_with_the_field(world, api_client, tim_kaur):
    activity = world.sides["1704"].activity
    response = _put(
        api_client(tim_kaur),
        f"/api/v1/work-plan-activities/{activity.pk}/realisation",
        {"version": 1, "realised_on": "2026-06-01"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert [e["field"] for e in response.json()["errors"]] == ["realised_on"]


def _answer_url(worksheet: Worksheet, code: str = "k1.a") -> tuple[str, Item]:
    item = Item.objects.get(instrument=worksheet.assessment.instrument, code=code)
    return f"/api/v1/lke/worksheets/{worksheet.pk}/answers/{item.pk}", item


def test_self_answer_through_the_api_is_audited_and_scored(world, api_client, tim_kaur):
    worksheet = world.sides["1704"].worksheet
    url, item = _answer_url(worksheet)
    option = item.options.get(score=2)
    response = _put(api_client(tim_kaur), url, {"version": 0, "option_id": option.pk})
    body = response.json()
    event = _events(worksheet).get(action="lke.answer.self")
    assert response.status_code == 200
    assert (body["answer"]["score"], body["answer"]["version"]) == (2, 1)
    assert body["worksheet"]["self_answered"] == 1
    assert (event.actor, event.changes) == (tim_kaur, {"k1.a · answer": [None, "2: Opsi 2"]})


def test_two_clients_saving_one_answer_the_second_gets_409(world, api_client, tim_kaur):
    worksheet = world.sides["1704"].worksheet
    url, item = _answer_url(worksheet)
    one, other = api_client(tim_kaur), api_client(tim_kaur)
    first = _put(one, url, {"version": 0, "option_id": item.options.get(score=3).pk})
    second = _put(other, url, {"version": 0, "option_id": item.options.get(score=1).pk})
    assert (first.status_code, second.status_code) == (200, 409)
    assert second.json()["code"] == "stale_edit"
    assert Answer.objects.get(worksheet=worksheet, item=item).option.score == 3


def test_an_option_of_another_item_is_400(world, api_client, tim_kaur):
    worksheet = world.sides["1704"].worksheet
    url, _item = _answer_url(worksheet)
    _other_url, other_item = _answer_url(world.sides["1704"].worksheet, "k1.a")
    office_item = Item.objects.get(instrument=worksheet.assessment.instrument, code="o.a")
    response = _put(
        api_client(tim_kaur), url, {"version": 0, "option_id": office_item.options.first().pk}
    )
    assert (response.status_code, response.json()["errors"][0]["field"]) == (400, "option_id")


def test_a_text_answer_is_saved_on_a_text_item(world, api_client, tim_kaur):
    worksheet = world.sides["1704"].worksheet
    url, item = _answer_url(worksheet, "k1.t")
    response = _put(api_client(tim_kaur), url, {"version": 0, "text": "Data penduduk"})
    assert response.status_code == 200
    assert Answer.objects.get(worksheet=worksheet, item=item).text == "Data penduduk"


def test_worksheet_detail_shows_answers_at_each_level(world, api_client, tim_kaur, tim_provinsi):
    worksheet = world.sides["1704"].worksheet
    url, item = _answer_url(worksheet)
    item.rincian = "11a"  # the national web form's code, as the official instrument carries
    item.save(update_fields=["rincian"])
    _put(api_client(tim_kaur), url, {"version": 0, "option_id": item.options.get(score=3).pk})
    body = api_client(tim_provinsi).get(f"/api/v1/lke/worksheets/{worksheet.pk}").json()
    row = body["blocks"][0]["aspects"][0]["indicators"][0]["items"][0]
    assert (row["code"], row["rincian"], list(row["answers"])) == ("k1.a", "11a", ["self"])
    assert row["answers"]["self"]["score"] == 3
    assert body["editable_level"] is None


def test_lists_paginate_with_a_total(world, api_client, tim_provinsi):
    client = api_client(tim_provinsi)
    first = client.get("/api/v1/villages", {"limit": 1, "offset": 0}).json()
    second = client.get("/api/v1/villages", {"limit": 1, "offset": 1}).json()
    assert (first["total"], first["limit"], len(first["items"]), second["offset"]) == (2, 1, 1, 1)
    assert first["items"][0]["id"] != second["items"][0]["id"]


def test_text_with_a_nul_character_is_refused_by_the_schema(world, api_client, tim_kaur):
    activity = world.sides["1704"].activity
    response = _put(
        api_client(tim_kaur),
        f"/api/v1/work-plan-activities/{activity.pk}/realisation",
        {"version": 1, "realised_on": "2026-05-10", "realisation_notes": "a\x00b"},
    )
    assert (response.status_code, response.json()["errors"][0]["field"]) == (
        422,
        "body.data.realisation_notes",
    )
    assert WorkPlanActivity.objects.get(pk=activity.pk).realised_on is None


def test_a_kabkota_sees_only_its_own_part_of_a_shared_meeting(
    world, api_client, tim_kaur, tim_provinsi, ketua_tim, rejang_lebong, kaur
):
    from meetings.models import Attendance
    from meetings.services import AttendanceEntry, add_action_item, record_attendance

    meeting = world.sides["1704"].meeting
    meeting.invited_offices.add(rejang_lebong)
    record_attendance(
        meeting,
        entries=[
            AttendanceEntry(kaur, Attendance.Status.HADIR, "Andi"),
            AttendanceEntry(rejang_lebong, Attendance.Status.IZIN, "", "Lapangan"),
        ],
        by=ketua_tim,
    )
    add_action_item(
        meeting,
        owner_office=rejang_lebong,
        description="Kirim daftar hadir",
        due_date=date(2026, 6, 1),
        by=ketua_tim,
    )
    own = api_client(tim_kaur).get(f"/api/v1/meetings/{meeting.pk}").json()
    everything = api_client(tim_provinsi).get(f"/api/v1/meetings/{meeting.pk}").json()
    assert [o["code"] for o in own["invited_offices"]] == ["1704"]
    assert [a["office"]["code"] for a in own["attendance"]] == ["1704"]
    assert {i["owner_office"]["code"] for i in own["action_items"]} == {"1704"}
    assert sorted(o["code"] for o in everything["invited_offices"]) == ["1702", "1704"]
    assert [a["office"]["code"] for a in everything["attendance"]] == ["1702", "1704"]
    assert {i["owner_office"]["code"] for i in everything["action_items"]} == {"1702", "1704"}
