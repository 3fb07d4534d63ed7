"""Granting a dispensasi from the kab/kota drill-down: only the province team lead, only on an
open item of that office, with a reason and a later date; audited; the item then shows
`dispensasi` until the new date."""

from datetime import date

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from core.deadlines import Status
from core.models import AuditEvent, Extension
from monitoring.queries import province_dashboard
from program.models import SopActivity, WorkPlanActivity

from .conftest import NOW

pytestmark = pytest.mark.django_db

frozen = time_machine.travel(NOW, tick=False)


def url_for(activity: WorkPlanActivity, office, year=2026) -> str:
    type_id = ContentType.objects.get_for_model(WorkPlanActivity).pk
    return (
        reverse("monitoring:extension_grant", args=[type_id, str(activity.pk), office.pk])
        + f"?tahun={year}"
    )


@frozen
def test_team_lead_grants_an_extension_and_it_is_audited(client, ketua_tim, plan, rejang_lebong):
    overdue = plan["overdue"]
    client.force_login(ketua_tim)
    form = client.get(url_for(overdue, rejang_lebong))
    assert form.status_code == 200
    assert "15 Mei 2026" in form.content.decode()  # the current deadline

    response = client.post(
        url_for(overdue, rejang_lebong), {"until": "2026-05-29", "reason": "Banjir di desa"}
    )

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("monitoring:office", args=[rejang_lebong.pk]) + "?tahun=2026"
    )
    extension = Extension.objects.get(subject_id=str(overdue.pk))
    assert (extension.office, extension.until, extension.reason, extension.granted_by) == (
        rejang_lebong,
        date(2026, 5, 29),
        "Banjir di desa",
        ketua_tim,
    )
    event = AuditEvent.objects.get(action="extension.grant", object_id=str(overdue.pk))
    assert (event.actor, event.office, event.reason) == (ketua_tim, rejang_lebong, "Banjir di desa")
    assert event.changes == {"deadline": [None, "2026-05-29"], "office": [None, "Rejang Lebong"]}

    row = province_dashboard(ketua_tim, overdue.village.program_year, now=NOW).row_for(
        rejang_lebong.pk
    )
    # No longer overdue: two items are now under an extension.
    assert row.activity("rencana_kerja").by_status.get("lewat", 0) == 0
    assert row.activity("rencana_kerja").by_status["dispensasi"] == 2
    page = client.get(response["Location"]).content.decode()
    assert "29 Mei 2026" in page


@frozen
def test_extended_item_is_overdue_again_after_the_new_date(ketua_tim, plan, rejang_lebong):
    year = plan["extended"].village.program_year
    with time_machine.travel(date(2026, 5, 26), tick=False):
        from django.utils import timezone

        row = province_dashboard(ketua_tim, year, now=timezone.now()).row_for(rejang_lebong.pk)
    assert row.activity("rencana_kerja").by_status.get("dispensasi", 0) == 0
    assert row.activity("rencana_kerja").overdue == 3  # overdue, extended (25 May), soon (20 May)


@frozen
def test_extension_needs_a_reason_and_a_later_date(client, ketua_tim, plan, rejang_lebong):
    client.force_login(ketua_tim)
    url = url_for(plan["soon"], rejang_lebong)

    blank = client.post(url, {"until": "2026-06-01", "reason": "   "})
    earlier = client.post(url, {"until": "2026-05-20", "reason": "Alasan"})
    malformed = client.post(url, {"until": "besok", "reason": "Alasan"})

    assert (blank.status_code, earlier.status_code, malformed.status_code) == (400, 400, 400)
    assert blank.context["form"].errors["reason"] == ["Dispensasi wajib disertai alasan."]
    assert earlier.context["form"].errors["until"] == [
        "Tenggat baru harus setelah tenggat sekarang (20 Mei 2026)."
    ]
    assert "until" in malformed.context["form"].errors
    assert Extension.objects.filter(subject_id=str(plan["soon"].pk)).count() == 0
    assert not AuditEvent.objects.filter(object_id=str(plan["soon"].pk)).exists()


@frozen
def test_a_done_item_takes_no_extension(client, ketua_tim, plan, rejang_lebong):
    client.force_login(ketua_tim)
    response = client.post(
        url_for(plan["on_time"], rejang_lebong), {"until": "2026-06-30", "reason": "Alasan"}
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Pekerjaan ini sudah selesai; tidak perlu dispensasi."
    ]
    assert not Extension.objects.filter(subject_id=str(plan["on_time"].pk)).exists()


@frozen
def test_extension_on_an_item_of_another_office_is_404(client, ketua_tim, plan, rejang_lebong):
    client.force_login(ketua_tim)
    # A Kaur activity asked for under Rejang Lebong: not an item of that office.
    response = client.post(
        url_for(plan["kaur_1"], rejang_lebong), {"until": "2026-06-30", "reason": "Alasan"}
    )
    assert response.status_code == 404
    assert not Extension.objects.filter(subject_id=str(plan["kaur_1"].pk)).exists()


@frozen
def test_extension_on_an_unknown_subject_is_404(client, ketua_tim, plan, rejang_lebong):
    client.force_login(ketua_tim)
    type_id = ContentType.objects.get_for_model(SopActivity).pk
    url = reverse("monitoring:extension_grant", args=[type_id, "99999", rejang_lebong.pk])
    assert client.get(url).status_code == 404
    wrong_type = reverse("monitoring:extension_grant", args=[999999, "1", rejang_lebong.pk])
    assert client.get(wrong_type).status_code == 404


@frozen
def test_no_extension_for_the_province_office_itself(client, ketua_tim, plan, province, year_2026):
    client.force_login(ketua_tim)
    sop = SopActivity.objects.get(program_year=year_2026, code="monitoring")
    type_id = ContentType.objects.get_for_model(SopActivity).pk
    url = reverse("monitoring:extension_grant", args=[type_id, str(sop.pk), province.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("persona", ["tim_provinsi", "kepala", "viewer_provinsi", "tim_kaur"])
@frozen
def test_only_the_team_lead_may_grant_in_scope(client, request, persona, plan, kaur):
    client.force_login(request.getfixturevalue(persona))
    url = url_for(plan["kaur_1"], kaur)
    assert client.get(url).status_code == 403
    response = client.post(url, {"until": "2026-06-30", "reason": "Alasan"})
    assert response.status_code == 403
    assert not Extension.objects.filter(subject_id=str(plan["kaur_1"].pk)).exists()


@frozen
def test_other_kabkota_user_gets_404(client, tim_rejang_lebong, plan, kaur):
    client.force_login(tim_rejang_lebong)
    assert client.get(url_for(plan["kaur_1"], kaur)).status_code == 404


def test_extension_view_refuses_other_methods(client, ketua_tim, plan, kaur):
    client.force_login(ketua_tim)
    assert client.put(url_for(plan["kaur_1"], kaur)).status_code == 405


@pytest.mark.usefixtures("work_plan_and_recap_only")
@frozen
def test_extension_status_badge_on_the_drilldown(client, ketua_tim, plan, rejang_lebong):
    client.force_login(ketua_tim)
    response = client.get(reverse("monitoring:office", args=[rejang_lebong.pk]), {"tahun": 2026})
    statuses = {
        line.item.label.split(": ")[1]: line.item.status
        for line in response.context["overview"].upcoming
    }
    assert statuses["Website desa"] == Status.DISPENSASI
    badge = 'status-dispensasi" data-status="dispensasi">Dispensasi</span>'
    assert badge in response.content.decode()
