"""The LKE pages: who sees and does what (happy path, wrong method, read-only 403, other office
404), answers through htmx, evidence, and the number of queries a worksheet page costs."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import desa_in
from core.models import Attachment, AuditEvent
from core.services import store_attachment
from lke.models import Answer, Evidence, Level, Status, Worksheet
from program.models import ParticipatingVillage, VillageKind

from .conftest import answer, fill, item, option, to_verification

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
HTMX = {"HTTP_HX_REQUEST": "true"}


def ws_url(name, worksheet, *args):
    return reverse(f"lke:{name}", args=[worksheet.pk, *args])


# --- the index ----------------------------------------------------------------------------------


def test_index_shows_a_kabkota_user_only_its_own_worksheets(
    client, ws_rl, ws_kaur, tim_rejang_lebong
):
    client.force_login(tim_rejang_lebong)

    response = client.get(reverse("lke:index") + "?tahun=2026")

    assert response.status_code == 200
    shown = {w.pk for _office, rows, _t in response.context["offices"] for w in rows}
    assert shown == set(Worksheet.objects.filter(office__code="1702").values_list("pk", flat=True))
    assert ws_kaur.village.village.name not in response.content.decode()


def test_index_shows_the_province_every_office(client, ws_rl, ws_kaur, tim_provinsi):
    client.force_login(tim_provinsi)

    response = client.get(reverse("lke:index") + "?tahun=2026")

    assert [o.code for o, _rows, _t in response.context["offices"]] == ["1702", "1704"]


def test_index_refuses_post_and_unknown_year(client, tim_provinsi, year_2026):
    client.force_login(tim_provinsi)
    assert client.post(reverse("lke:index")).status_code == 405
    assert client.get(reverse("lke:index") + "?tahun=1999").status_code == 404


def test_index_before_opening_offers_the_team_lead_to_open(
    client, ketua_tim, year_2026, small_instrument, village_rejang_lebong
):
    client.force_login(ketua_tim)

    page = client.get(reverse("lke:index") + "?tahun=2026")
    response = client.post(reverse("lke:open") + "?tahun=2026", {"instrument": small_instrument.pk})

    assert page.context["can_open"] is True
    assert response.status_code == 302
    assert Worksheet.objects.filter(assessment__program_year=year_2026).count() == 2


def test_only_the_team_lead_opens_the_assessment(client, tim_provinsi, year_2026, small_instrument):
    client.force_login(tim_provinsi)

    assert (
        client.post(
            reverse("lke:open") + "?tahun=2026", {"instrument": small_instrument.pk}
        ).status_code
        == 403
    )
    assert client.get(reverse("lke:open") + "?tahun=2026").status_code == 405
    assert not Worksheet.objects.exists()


# --- a worksheet --------------------------------------------------------------------------------


def test_worksheet_page_for_own_office_province_and_viewer(
    client, ws_rl, tim_rejang_lebong, tim_provinsi, viewer_rejang_lebong
):
    for user in (tim_rejang_lebong, tim_provinsi, viewer_rejang_lebong):
        client.force_login(user)
        response = client.get(ws_url("worksheet", ws_rl))
        assert response.status_code == 200
    assert response.context["level"] is None  # the viewer only reads
    client.force_login(tim_rejang_lebong)
    assert client.get(ws_url("worksheet", ws_rl)).context["level"] == Level.SELF


def test_worksheet_of_another_office_is_not_found(client, ws_rl, tim_kaur):
    client.force_login(tim_kaur)

    assert client.get(ws_url("worksheet", ws_rl)).status_code == 404
    assert client.get(ws_url("worksheet_history", ws_rl)).status_code == 404
    assert client.get(ws_url("worksheet_xlsx", ws_rl)).status_code == 404


def test_worksheet_page_costs_the_same_queries_with_more_answers(
    client, ws_rl, tim_rejang_lebong, small_instrument
):
    client.force_login(tim_rejang_lebong)
    client.get(ws_url("worksheet", ws_rl))
    cache.clear()  # the uncached cost: the page cache would answer a repeat
    with CaptureQueriesContext(connection) as few:
        client.get(ws_url("worksheet", ws_rl))
    fill(ws_rl, by=tim_rejang_lebong)
    for code in ("k1.a", "k2.a"):
        Evidence.objects.create(
            worksheet=ws_rl,
            item=item(small_instrument, code),
            kind="link",
            url="https://desa.id",
            title="x",
            added_by=tim_rejang_lebong,
        )

    cache.clear()  # the uncached cost: the page cache would answer a repeat

    with CaptureQueriesContext(connection) as many:
        client.get(ws_url("worksheet", ws_rl))

    assert len(many) == len(few)


def test_kabkota_saves_an_answer_with_htmx_and_gets_the_item_and_summary_back(
    client, ws_rl, tim_rejang_lebong, small_instrument
):
    client.force_login(tim_rejang_lebong)
    it = item(small_instrument, "k1.a")

    response = client.post(
        ws_url("answer", ws_rl, it.pk),
        {
            "level": "self",
            "version": 0,
            "option": option(small_instrument, "k1.a", 3).pk,
            "note": "SK ada",
        },
        **HTMX,
    )

    body = response.content.decode()
    saved = Answer.objects.get(worksheet=ws_rl, item=it, level=Level.SELF)
    assert response.status_code == 200
    assert (saved.option.score, saved.note, saved.answered_by) == (3, "SK ada", tim_rejang_lebong)
    assert f'id="jawaban-{it.pk}"' in body and 'id="lke-summary"' in body
    assert 'hx-swap-oob="true"' in body
    assert 'name="version" value="1"' in body


def test_stale_answer_is_refused_with_a_message_and_the_first_save_kept(
    client, ws_rl, tim_rejang_lebong, small_instrument
):
    answer(ws_rl, "k1.a", 4, by=tim_rejang_lebong)  # someone else saved first
    client.force_login(tim_rejang_lebong)
    it = item(small_instrument, "k1.a")

    response = client.post(
        ws_url("answer", ws_rl, it.pk),
        {"level": "self", "version": 0, "option": option(small_instrument, "k1.a", 1).pk},
        **HTMX,
    )

    assert "Orang lain" in response.content.decode() or "Someone else" in response.content.decode()
    assert Answer.objects.get(worksheet=ws_rl, item=it).option.score == 4


def test_stale_answer_without_htmx_shows_the_page_with_409(
    client, ws_rl, tim_rejang_lebong, small_instrument
):
    answer(ws_rl, "k1.a", 4, by=tim_rejang_lebong)
    client.force_login(tim_rejang_lebong)
    it = item(small_instrument, "k1.a")

    response = client.post(
        ws_url("answer", ws_rl, it.pk),
        {"level": "self", "version": 0, "option": option(small_instrument, "k1.a", 1).pk},
    )

    assert response.status_code == 409
    assert Answer.objects.get(worksheet=ws_rl, item=it).option.score == 4


def test_malformed_answer_is_refused_with_nothing_saved(
    client, ws_rl, tim_rejang_lebong, small_instrument
):
    client.force_login(tim_rejang_lebong)
    it = item(small_instrument, "k1.a")

    response = client.post(
        ws_url("answer", ws_rl, it.pk), {"level": "self", "version": "abc", "option": "999999"}
    )

    assert response.status_code == 400
    assert not Answer.objects.exists()


def test_answer_save_refuses_readers_other_offices_wrong_level_and_get(
    client, ws_rl, small_instrument, pimpinan_rejang_lebong, tim_kaur, tim_provinsi
):
    it = item(small_instrument, "k1.a")
    data = {"level": "self", "version": 0, "option": option(small_instrument, "k1.a", 3).pk}
    url = ws_url("answer", ws_rl, it.pk)

    client.force_login(pimpinan_rejang_lebong)
    assert client.post(url, data).status_code == 403
    client.force_login(tim_kaur)
    assert client.post(url, data).status_code == 404
    client.force_login(tim_provinsi)  # may not answer the self level
    assert client.post(url, data).status_code == 403
    assert client.get(url).status_code == 405
    assert not Answer.objects.exists()


def test_verifier_changing_a_score_without_reason_sees_the_error(
    client, ws_rl, tim_rejang_lebong, tim_provinsi, small_instrument
):
    to_verification(ws_rl, kabkota=tim_rejang_lebong, province=tim_provinsi)
    client.force_login(tim_provinsi)
    it = item(small_instrument, "k1.a")
    data = {"level": "provincial", "version": 0, "option": option(small_instrument, "k1.a", 1).pk}

    refused = client.post(ws_url("answer", ws_rl, it.pk), data, **HTMX)
    accepted = client.post(
        ws_url("answer", ws_rl, it.pk), {**data, "reason": "Agen tidak aktif"}, **HTMX
    )

    assert 'data-testid="item-error"' in refused.content.decode()
    assert 'data-testid="item-error"' not in accepted.content.decode()
    assert (
        Answer.objects.get(worksheet=ws_rl, item=it, level=Level.PROVINCIAL).reason
        == "Agen tidak aktif"
    )
    assert 'data-testid="delta">-2<' in accepted.content.decode()


# --- steps --------------------------------------------------------------------------------------


def test_kabkota_submits_and_province_cannot_submit_for_it(
    client, ws_rl, tim_rejang_lebong, tim_provinsi
):
    fill(ws_rl, by=tim_rejang_lebong)
    client.force_login(tim_provinsi)
    assert client.post(ws_url("submit", ws_rl)).status_code == 403

    client.force_login(tim_rejang_lebong)
    response = client.post(ws_url("submit", ws_rl))

    ws_rl.refresh_from_db()
    assert response.status_code == 302
    assert ws_rl.status == Status.SUBMITTED
    assert client.get(ws_url("submit", ws_rl)).status_code == 405


def test_return_without_comments_changes_nothing(client, ws_rl, tim_rejang_lebong, tim_provinsi):
    to_verification(ws_rl, kabkota=tim_rejang_lebong, province=tim_provinsi)
    client.force_login(tim_provinsi)

    client.post(ws_url("return", ws_rl), {"reason": ""})

    ws_rl.refresh_from_db()
    assert ws_rl.status == Status.PROVINCIAL_VERIFICATION
    client.post(ws_url("return", ws_rl), {"reason": "Lengkapi bukti"})
    ws_rl.refresh_from_db()
    assert (ws_rl.status, ws_rl.return_comment) == (Status.SELF_ASSESSMENT, "Lengkapi bukti")


def test_only_the_team_lead_finalises(client, ws_rl, tim_rejang_lebong, tim_provinsi, ketua_tim):
    to_verification(ws_rl, kabkota=tim_rejang_lebong, province=tim_provinsi)
    client.force_login(tim_provinsi)
    client.post(ws_url("accept_self", ws_rl))
    assert client.post(ws_url("finalise", ws_rl)).status_code == 403

    client.force_login(ketua_tim)
    client.post(ws_url("finalise", ws_rl))

    ws_rl.refresh_from_db()
    assert ws_rl.status == Status.FINALISED


def test_history_lists_the_audit_rows(client, ws_rl, tim_rejang_lebong):
    answer(ws_rl, "k1.a", 3, by=tim_rejang_lebong)
    client.force_login(tim_rejang_lebong)

    response = client.get(ws_url("worksheet_history", ws_rl))

    assert [e.action for e in response.context["events"]] == ["lke.answer.self"]


# --- evidence -----------------------------------------------------------------------------------


def test_upload_evidence_then_download_it(
    client, ws_rl, tim_rejang_lebong, tim_kaur, small_instrument
):
    client.force_login(tim_rejang_lebong)
    it = item(small_instrument, "k1.a")

    client.post(
        ws_url("evidence_file", ws_rl, it.pk),
        {"file": SimpleUploadedFile("sk-agen.pdf", PDF)},
        **HTMX,
    )

    evidence = Evidence.objects.get(worksheet=ws_rl, item=it)
    assert (evidence.kind, evidence.title) == ("file", "sk-agen.pdf")
    download = client.get(ws_url("evidence_download", ws_rl, evidence.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    client.force_login(tim_kaur)
    assert client.get(ws_url("evidence_download", ws_rl, evidence.pk)).status_code == 404


def test_wrong_file_as_evidence_is_refused_with_nothing_stored(
    client, ws_rl, tim_rejang_lebong, small_instrument
):
    client.force_login(tim_rejang_lebong)
    it = item(small_instrument, "k1.a")

    response = client.post(
        ws_url("evidence_file", ws_rl, it.pk), {"file": SimpleUploadedFile("sk.pdf", EXE)}, **HTMX
    )

    assert 'data-testid="item-error"' in response.content.decode()
    assert not Evidence.objects.exists()
    assert not Attachment.objects.exists()


def test_link_and_existing_document_as_evidence(
    client, ws_rl, tim_rejang_lebong, small_instrument, village_kaur, tim_kaur
):
    village_doc = store_attachment(
        SimpleUploadedFile("notulen.pdf", PDF), owner=ws_rl.village, by=tim_rejang_lebong
    )
    kaur_doc = store_attachment(
        SimpleUploadedFile("kaur.pdf", PDF), owner=village_kaur, by=tim_kaur
    )
    client.force_login(tim_rejang_lebong)
    it = item(small_instrument, "k1.a")

    client.post(
        ws_url("evidence_link", ws_rl, it.pk),
        {"url": "https://desa.example.id/data", "title": "Website"},
        **HTMX,
    )
    client.post(
        ws_url("evidence_document", ws_rl, it.pk), {"document": f"a{village_doc.pk}"}, **HTMX
    )
    refused = client.post(
        ws_url("evidence_document", ws_rl, it.pk), {"document": f"a{kaur_doc.pk}"}, **HTMX
    )  # not offered

    kinds = list(
        Evidence.objects.filter(worksheet=ws_rl).order_by("id").values_list("kind", "title")
    )
    assert kinds == [("link", "Website"), ("document", "notulen.pdf")]
    assert 'data-testid="item-error"' in refused.content.decode()
    page = client.get(ws_url("worksheet", ws_rl))
    assert page.context["page"]["evidence_present"] == 1
    assert page.context["page"]["evidence_required"] == 1


def test_remove_evidence_is_audited(client, ws_rl, tim_rejang_lebong, small_instrument):
    client.force_login(tim_rejang_lebong)
    it = item(small_instrument, "k1.a")
    client.post(
        ws_url("evidence_link", ws_rl, it.pk),
        {"url": "https://desa.example.id", "title": "Web"},
        **HTMX,
    )
    evidence = Evidence.objects.get()

    client.post(ws_url("evidence_remove", ws_rl, evidence.pk), **HTMX)

    assert not Evidence.objects.exists()
    assert AuditEvent.objects.filter(action="lke.evidence.remove").count() == 1


def test_evidence_is_locked_once_submitted(client, ws_rl, tim_rejang_lebong, small_instrument):
    fill(ws_rl, by=tim_rejang_lebong, evidence=False)
    ws_rl.status = Status.SUBMITTED
    ws_rl.save(update_fields=["status"])
    client.force_login(tim_rejang_lebong)

    response = client.post(
        ws_url("evidence_link", ws_rl, item(small_instrument, "k1.a").pk),
        {"url": "https://desa.example.id"},
    )

    assert response.status_code == 403
    assert not Evidence.objects.exists()


@pytest.fixture
def more_villages(year_2026, rejang_lebong):
    return [
        ParticipatingVillage.objects.create(
            program_year=year_2026,
            village=desa_in(rejang_lebong, i),
            office=rejang_lebong,
            kind=VillageKind.TAMBAHAN,
        )
        for i in range(1, 5)
    ]


def test_index_costs_the_same_queries_with_more_villages(
    client, assessment, ketua_tim, tim_provinsi, more_villages
):
    client.force_login(tim_provinsi)
    client.get(reverse("lke:index") + "?tahun=2026")
    cache.clear()  # the uncached cost: the page cache would answer a repeat
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("lke:index") + "?tahun=2026")
    from lke import services

    services.add_missing_worksheets(assessment, by=ketua_tim)
    cache.clear()  # the uncached cost: the page cache would answer a repeat
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("lke:index") + "?tahun=2026")

    assert sum(len(rows) for _o, rows, _t in response.context["offices"]) == 8
    assert len(many) == len(few)


def test_meeting_report_and_report_file_as_evidence(
    client, ws_rl, tim_rejang_lebong, ketua_tim, small_instrument, year_2026, rejang_lebong
):
    from datetime import datetime, timedelta

    from core.deadlines import JAKARTA
    from meetings.models import Meeting
    from reports.models import Report
    from reports.services import add_attachment, save_draft

    starts = datetime(2026, 3, 10, 9, tzinfo=JAKARTA)
    meeting = Meeting.objects.create(
        program_year=year_2026,
        title="Rapat tim Maret",
        period_start=starts.date(),
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        platform="zoom",
        link="https://zoom.example/j/1",
        state=Meeting.State.CLOSED,
        created_by=ketua_tim,
        held_at=starts,
        closed_at=starts + timedelta(days=1),
    )
    meeting.invited_offices.add(rejang_lebong)
    report = save_draft(
        Report(village=ws_rl.village, kind="sosialisasi"),
        by=tim_rejang_lebong,
        revision=None,
        fields={},
    )
    notulen = add_attachment(
        report,
        upload=SimpleUploadedFile("notulen-sosialisasi.pdf", PDF),
        purpose="notulen",
        by=tim_rejang_lebong,
    )
    client.force_login(tim_rejang_lebong)
    it = item(small_instrument, "k1.a")

    offered = client.get(ws_url("worksheet", ws_rl)).context["documents"]
    client.post(
        ws_url("evidence_document", ws_rl, it.pk),
        {"document": f"m{meeting.pk}-laporan_rapat"},
        **HTMX,
    )
    client.post(ws_url("evidence_document", ws_rl, it.pk), {"document": f"a{notulen.pk}"}, **HTMX)

    groups = {group: [c.key for c in choices] for group, choices in offered}
    assert f"a{notulen.pk}" in groups[str(report.get_kind_display())]
    assert groups["Rapat"] == [f"m{meeting.pk}-laporan_rapat", f"m{meeting.pk}-daftar_hadir"]
    pieces = list(
        Evidence.objects.filter(worksheet=ws_rl)
        .order_by("id")
        .values_list("kind", "url", "attachment_id")
    )
    assert pieces == [
        ("meeting", reverse("meetings:report_pdf", args=[meeting.pk]), None),
        ("document", "", notulen.pk),
    ]


ROLES = [
    # persona, GET a worksheet of Rejang Lebong, POST a self answer on it
    ("tim_rejang_lebong", 200, 302),
    ("pimpinan_rejang_lebong", 200, 403),
    ("viewer_rejang_lebong", 200, 403),
    ("tim_kaur", 404, 404),
    ("tim_provinsi", 200, 403),
    ("ketua_tim", 200, 403),
    ("kepala", 200, 403),
    ("viewer_provinsi", 200, 403),
]


@pytest.mark.parametrize("persona, read, write", ROLES)
def test_every_role_on_a_worksheet_of_rejang_lebong(
    request, client, ws_rl, small_instrument, persona, read, write
):
    client.force_login(request.getfixturevalue(persona))
    it = item(small_instrument, "k1.a")

    pages = [
        client.get(ws_url(name, ws_rl)).status_code
        for name in ("worksheet", "worksheet_history", "worksheet_xlsx")
    ]
    posted = client.post(
        ws_url("answer", ws_rl, it.pk),
        {"level": "self", "version": 0, "option": option(small_instrument, "k1.a", 3).pk},
    )

    assert (pages, posted.status_code) == ([read] * 3, write)
    assert Answer.objects.count() == (1 if write == 302 else 0)
