"""Prefill from what the system holds, keyed by item code: each source (the village's agen
statistik register, sosialisasi attendance, identification 1001b, realised coaching sessions,
laporan akhir) suggests an answer with its provenance; the kab/kota confirms it (saved with the
source in the note) or answers otherwise. Nothing is suggested from a report not approved."""

import datetime
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from core.models import Attachment
from lke import prefill, services
from lke.models import Answer, Level, Target, Worksheet
from program.models import Stage, VillageAgent, WorkPlanActivity
from reports.models import NeedItem, Purpose, Report, ReportKind, ReportState, StatisticalAgent


def _choice(code, scores):
    return {
        "code": code,
        "text": f"Pertanyaan {code}",
        "kind": "choice",
        "options": [{"label": f"Opsi {s}", "score": s} for s in scores],
    }


def _text(code):
    return {"code": code, "text": f"Tuliskan {code}", "kind": "text"}


DATA = {
    "year": 2026,
    "version": 9,
    "title": "LKE uji isian otomatis",
    "blocks": [
        {
            "code": "III",
            "title": "Desa",
            "target": "village",
            "aspects": [
                {
                    "code": "I",
                    "title": "Tata Kelola",
                    "indicators": [
                        {
                            "code": "4",
                            "title": "Keberlanjutan",
                            "items": [_choice("4.a", [1, 0]), _choice("4.b", [1, 0])],
                        },
                        {"code": "6", "title": "Identifikasi", "items": [_text("6.b")]},
                        {"code": "22", "title": "Laporan akhir", "items": [_text("22.a")]},
                    ],
                }
            ],
        },
        {
            "code": "IV",
            "title": "Kantor",
            "target": "office",
            "aspects": [
                {
                    "code": "B",
                    "title": "Pembinaan",
                    "indicators": [
                        {
                            "code": "18",
                            "title": "Sosialisasi",
                            "items": [_choice("18.a", [3, 2, 1, 0]), _text("19.b")],
                        }
                    ],
                }
            ],
        },
    ],
}


@pytest.fixture
def prefill_assessment(year_2026, ketua_tim, village_rejang_lebong):
    instrument = services.create_instrument(DATA, by=None)
    return services.open_assessment(year_2026, instrument=instrument, by=ketua_tim)


def _report(village, kind, by, **fields):
    now = timezone.now()
    return Report.objects.create(
        village=village,
        kind=kind,
        state=fields.pop("state", ReportState.APPROVED),
        first_submitted_at=now,
        created_by=by,
        last_action="approved",
        last_action_by=by,
        **fields,
    )


@pytest.fixture
def held(village_rejang_lebong, tim_rejang_lebong):
    """What the system holds for Rejang Lebong's village: two agents in its register (one a
    village official), an approved sosialisasi report listing them with its undangan, an
    identification report with two 1001b lines, three coaching sessions (two realised) and the
    laporan akhir."""
    sos = _report(
        village_rejang_lebong,
        ReportKind.SOSIALISASI,
        tim_rejang_lebong,
        notable_attendees="Camat Curup Tengah, Kepala Desa",
    )
    StatisticalAgent.objects.create(
        report=sos, name="Rina", role="Kaur Umum", is_village_official=True
    )
    StatisticalAgent.objects.create(report=sos, name="Budi", role="Karang Taruna")
    VillageAgent.objects.create(
        village=village_rejang_lebong, name="Rina", role="Kaur Umum", is_village_official=True
    )
    VillageAgent.objects.create(village=village_rejang_lebong, name="Budi", role="Karang Taruna")
    Attachment.objects.create(
        file=ContentFile(b"%PDF-1.4", name="undangan.pdf"),
        token=uuid.uuid4(),
        original_name="undangan-pencanangan.pdf",
        content_type="application/pdf",
        extension="pdf",
        size=8,
        sha256="0" * 64,
        purpose=Purpose.UNDANGAN,
        owner_type=ContentType.objects.get_for_model(Report),
        owner_id=str(sos.pk),
        uploaded_by=tim_rejang_lebong,
    )
    ident = _report(village_rejang_lebong, ReportKind.IDENTIFIKASI, tim_rejang_lebong)
    for n, text in enumerate(["Pelatihan pengolahan data", "Pendampingan publikasi"]):
        NeedItem.objects.create(
            report=ident,
            section=NeedItem.Section.ACTIVITY,
            position=n,
            topic="lainnya",
            description=text,
        )
    NeedItem.objects.create(
        report=ident,
        section=NeedItem.Section.DATA,
        topic="kependudukan",
        description="Data penduduk",
    )
    day = datetime.date(2026, 6, 1)
    for n, realised in enumerate([day, day, None]):
        WorkPlanActivity.objects.create(
            village=village_rejang_lebong,
            stage=Stage.PELAKSANAAN,
            name=f"Pembinaan {n}",
            planned_start=day,
            planned_end=day,
            realised_on=realised,
        )
    _report(
        village_rejang_lebong,
        ReportKind.LAPORAN_AKHIR,
        tim_rejang_lebong,
        notes="Pembinaan berjalan baik; kendala sinyal.",
    )


def _items(worksheet):
    return {i.code: i for i in worksheet.assessment.instrument.items.all()}


def test_each_source_suggests_its_answer_with_where_it_came_from(
    prefill_assessment, held, village_rejang_lebong
):
    village_ws = Worksheet.objects.get(village=village_rejang_lebong)
    office_ws = Worksheet.objects.get(assessment=prefill_assessment, target=Target.OFFICE)
    items = {**_items(village_ws)}

    found = prefill.suggestions(village_ws, items.values())
    by_code = {code: found.get(item.pk) for code, item in items.items()}

    assert by_code["4.a"].option.score == 1 and "2 agen statistik" in by_code["4.a"].source
    assert "register agen statistik desa" in by_code["4.a"].source
    assert by_code["4.b"].option.score == 1 and "Rina" in by_code["4.b"].source
    assert by_code["6.b"].text == "Pelatihan pengolahan data; Pendampingan publikasi"
    assert "1001b" in by_code["6.b"].source
    assert by_code["22.a"].text == "Pembinaan berjalan baik; kendala sinyal."
    office = prefill.suggestions(office_ws, _items(office_ws).values())
    by_code = {i.code: office.get(i.pk) for i in _items(office_ws).values()}
    assert by_code["18.a"].option.score == 2  # a Camat attended, no Bupati
    assert [a.original_name for a in by_code["18.a"].evidence] == ["undangan-pencanangan.pdf"]
    assert by_code["19.b"].text == "2" and "2 sesi pembinaan" in by_code["19.b"].source
    assert by_code["19.b"].note.startswith("Diisi dari: ")


def test_4a_and_4b_come_from_the_register_not_from_the_report(
    prefill_assessment, held, village_rejang_lebong
):
    worksheet = Worksheet.objects.get(village=village_rejang_lebong)
    items = _items(worksheet)
    VillageAgent.objects.filter(name="Budi").delete()  # the report still lists two agents
    VillageAgent.objects.filter(name="Rina").update(is_village_official=False)

    found = prefill.suggestions(worksheet, [items["4.a"], items["4.b"]])

    assert found[items["4.a"].pk].option.score == 0
    assert "1 agen statistik" in found[items["4.a"].pk].source
    assert found[items["4.b"].pk].option.score == 0
    assert "tidak ada agen statistik yang merupakan aparat desa" in found[items["4.b"].pk].source
    VillageAgent.objects.all().delete()
    assert prefill.suggestions(worksheet, [items["4.a"], items["4.b"]]) == {}


def test_nothing_is_suggested_without_an_approved_report(
    prefill_assessment, village_rejang_lebong, tim_rejang_lebong
):
    sos = _report(
        village_rejang_lebong,
        ReportKind.SOSIALISASI,
        tim_rejang_lebong,
        state=ReportState.SUBMITTED,
    )
    StatisticalAgent.objects.create(report=sos, name="Rina", is_village_official=True)
    worksheet = Worksheet.objects.get(village=village_rejang_lebong)

    assert prefill.suggestions(worksheet, _items(worksheet).values()) == {}


def test_the_kabkota_confirms_a_suggestion_and_the_answer_keeps_its_source(
    client, prefill_assessment, held, village_rejang_lebong, tim_rejang_lebong
):
    worksheet = Worksheet.objects.get(village=village_rejang_lebong)
    client.force_login(tim_rejang_lebong)
    page = client.get(reverse("lke:worksheet", args=[worksheet.pk])).content.decode()
    assert page.count('data-testid="use-suggestion"') == 4  # 4.a, 4.b, 6.b, 22.a
    assert "Diisi dari: register agen statistik desa: 2 agen statistik" in page
    item = _items(worksheet)["4.a"]
    suggestion = prefill.suggestion_for(worksheet, item)

    client.post(
        reverse("lke:answer", args=[worksheet.pk, item.pk]),
        {"level": "self", "version": 0, "option": suggestion.option.pk, "note": suggestion.note},
        HTTP_HX_REQUEST="true",
    )

    saved = Answer.objects.get(worksheet=worksheet, item=item, level=Level.SELF)
    assert saved.option.score == 1 and saved.note == suggestion.note
    page = client.get(reverse("lke:worksheet", args=[worksheet.pk])).content.decode()
    assert page.count('data-testid="use-suggestion"') == 3  # answered: no longer suggested
