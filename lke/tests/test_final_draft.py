"""The laporan akhir draft (reports app) carries the village's finalised LKE result, handed in
by the project's composition (settings.FINAL_DRAFT_LKE_RESULT; reports may not import lke)."""

import io
import re
from pathlib import Path

import docx
from django.conf import settings
from django.urls import reverse

from lke.services import finalise_worksheet
from lke.tests.conftest import fill, to_verification
from reports import exports
from reports.queries import final_draft


def test_final_draft_shows_the_frozen_lke_result_once_finalised(
    ws_rl, village_rejang_lebong, tim_rejang_lebong, tim_provinsi, ketua_tim
):
    assert final_draft(village_rejang_lebong).lke is None

    fill(ws_rl, by=tim_rejang_lebong)
    to_verification(ws_rl, kabkota=tim_rejang_lebong, province=tim_provinsi)
    fill(ws_rl, by=tim_provinsi, level="provincial")
    finalise_worksheet(ws_rl, by=ketua_tim)

    draft = final_draft(village_rejang_lebong)
    labels = [label for label, _total, _aspects in draft.lke["levels"]]
    assert labels == ["Penilaian mandiri", "Diverifikasi provinsi"]
    text = "\n".join(
        cell.text
        for table in docx.Document(io.BytesIO(exports.final_draft_docx(draft))).tables
        for row in table.rows
        for cell in row.cells
    )
    assert "Diverifikasi provinsi" in text
    assert "belum tersedia" not in text


def test_the_laporan_akhir_page_shows_the_finalised_lke_result(
    client, ws_rl, village_rejang_lebong, tim_rejang_lebong, tim_provinsi, ketua_tim
):
    url = reverse(
        "reports:report_detail", kwargs={"kind": "akhir", "village": village_rejang_lebong.pk}
    )
    client.force_login(tim_rejang_lebong)
    before = client.get(url).content.decode()
    assert "Hasil penilaian LKE: belum tersedia." in before
    assert 'data-testid="final-draft-lke"' not in before

    fill(ws_rl, by=tim_rejang_lebong)
    to_verification(ws_rl, kabkota=tim_rejang_lebong, province=tim_provinsi)
    fill(ws_rl, by=tim_provinsi, level="provincial")
    finalise_worksheet(ws_rl, by=ketua_tim)

    page = client.get(url).content.decode()
    assert "belum tersedia" not in page
    part = page[page.index('data-testid="final-draft-lke"') :]
    result = final_draft(village_rejang_lebong).lke
    assert result["instrument"] in part and result["status"] in part
    for label, total, aspects in result["levels"]:
        assert label in part
        assert f'<td class="text-end">{str(total).replace(".", ",")}</td>' in part  # id decimals
        assert aspects and all(name in part for name, _score in aspects)


def test_no_app_hands_another_app_anything_at_start_up():
    """The draft's LKE part is composed by the project (settings.FINAL_DRAFT_LKE_RESULT)."""
    apps_dir = Path(settings.BASE_DIR)
    names = ["core", "program", "reports", "meetings", "lke", "monitoring"]
    crossing = [
        f"{app}/apps.py imports {other}"
        for app in names
        for other in names
        if other != app
        and re.search(
            rf"^\s*(from|import) {other}\b", (apps_dir / app / "apps.py").read_text(), re.M
        )
    ]

    assert crossing == []
    assert settings.FINAL_DRAFT_LKE_RESULT == "lke.queries.final_result_of_village"
