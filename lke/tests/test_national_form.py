"""The answers in the national web form's layout (#10 pt 9): per village worksheet and per
kab/kota office, on the official 2026 instrument, with the rincian codes, the value the form
takes (the option's score, or the text) and the evidence links; out of scope → 404."""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from lke import services
from lke.models import Instrument, ItemKind, Level, Target
from lke.scoring import instrument_tree, tree_items


@pytest.fixture
def official(year_2026, village_rejang_lebong, village_kaur, ketua_tim):
    call_command("load_instruments", stdout=io.StringIO())
    instrument = Instrument.objects.filter(year=2026).order_by("-version").first()
    assessment = services.open_assessment(year_2026, instrument=instrument, by=ketua_tim)
    return assessment


def _rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return list(book.worksheets[0].iter_rows(values_only=True))


def test_a_village_worksheet_comes_out_with_rincian_codes_form_values_and_links(
    client, official, village_rejang_lebong, tim_rejang_lebong
):
    worksheet = official.worksheets.get(village=village_rejang_lebong)
    items = [
        i
        for i in tree_items(instrument_tree(official.instrument, Target.VILLAGE))
        if i.kind == ItemKind.CHOICE and i.rincian
    ]
    chosen = items[3]
    option = max(chosen.options.all(), key=lambda o: o.score)
    services.save_answer(
        worksheet, item=chosen, level=Level.SELF, option=option, version=0, by=tim_rejang_lebong
    )
    services.add_evidence_link(
        worksheet,
        item=chosen,
        url="https://desa.example.id/data",
        title="Website desa",
        by=tim_rejang_lebong,
    )
    client.force_login(tim_rejang_lebong)

    rows = _rows(client.get(reverse("lke:worksheet_national_form", args=[worksheet.pk])))

    assert rows[0] == (
        "Kode wilayah",
        "Desa / kantor",
        "Rincian",
        "Butir",
        "Pertanyaan",
        "Isian formulir",
        "Jawaban",
        "Tautan bukti dukung",
    )
    by_rincian = {row[2]: row for row in rows[1:] if row[2]}
    assert len(by_rincian) >= 20  # the official instrument's village items carry their codes
    row = by_rincian[chosen.rincian]
    assert row[0] == village_rejang_lebong.village.code
    assert row[1] == village_rejang_lebong.village.name
    assert (row[3], row[5], row[6]) == (chosen.code, option.score, option.label)
    assert row[7] == "https://desa.example.id/data"
    unanswered = by_rincian[items[0].rincian]
    assert unanswered[5] is None and unanswered[6] is None


def test_an_office_export_holds_its_villages_and_the_office_worksheet_and_nothing_else(
    client, official, rejang_lebong, kaur, village_rejang_lebong, village_kaur, tim_rejang_lebong
):
    client.force_login(tim_rejang_lebong)
    url = reverse("lke:office_national_form", args=[rejang_lebong.pk])

    rows = _rows(client.get(url, {"tahun": 2026}))

    subjects = {row[1] for row in rows[1:]}
    assert subjects == {village_rejang_lebong.village.name, rejang_lebong.name}
    assert village_kaur.village.name not in subjects
    index = client.get(reverse("lke:index"), {"tahun": 2026}).content.decode()
    assert f'href="{url}?tahun=2026"' in index  # the LKE page links to it
    other = client.get(reverse("lke:office_national_form", args=[kaur.pk]), {"tahun": 2026})
    assert other.status_code == 404
    assert client.get(url, {"tahun": "x"}).status_code == 404
    assert client.get(url, {"tahun": 2026, "tingkat": "raja"}).status_code == 404
