"""The laporan akhir draft (reports app) carries the village's finalised LKE result, handed in
by the LKE app (reports may not import lke)."""

import io

import docx

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
