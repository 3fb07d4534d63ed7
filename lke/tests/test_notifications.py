"""The LKE worksheet cycle e-mails who acts next; the last finalised worksheet tells the head."""

import pytest

from core.models import OutgoingMail
from lke import services

from .conftest import fill


@pytest.fixture
def addresses(ketua_tim, tim_provinsi, kepala, tim_rejang_lebong, tim_kaur):
    for user in (ketua_tim, tim_provinsi, kepala, tim_rejang_lebong, tim_kaur):
        user.email = f"{user.username}@bps.go.id"
        user.save(update_fields=["email"])


def sent_to():
    return sorted(OutgoingMail.objects.values_list("to", "subject"))


def test_submit_tells_the_province_team_and_return_tells_the_kabkota_team(
    addresses, ws_rl, tim_rejang_lebong, tim_provinsi
):
    name = ws_rl.subject_name
    fill(ws_rl, by=tim_rejang_lebong)
    services.submit_worksheet(ws_rl, by=tim_rejang_lebong)

    subject = f"Lembar kerja LKE untuk diverifikasi: {name}"
    assert sent_to() == [("ketua_tim@bps.go.id", subject), ("tim_provinsi@bps.go.id", subject)]
    OutgoingMail.objects.all().delete()

    services.return_worksheet(ws_rl, reason="Bukti butir 3.a kurang.", by=tim_provinsi)

    assert sent_to() == [("tim_rejang_lebong@bps.go.id", f"Lembar kerja LKE dikembalikan: {name}")]
    assert "Komentar: Bukti butir 3.a kurang." in OutgoingMail.objects.get().body


def test_the_last_finalised_worksheet_tells_the_head_the_results_wait_to_be_signed(
    addresses, assessment, tim_rejang_lebong, tim_kaur, tim_provinsi, ketua_tim
):
    from lke.models import Worksheet

    worksheets = list(Worksheet.objects.filter(assessment=assessment).select_related("office"))

    def finalise(ws):
        team = tim_rejang_lebong if ws.office.code == "1702" else tim_kaur
        scores = {"o.a": 2} if ws.target == "office" else None
        fill(ws, scores, by=team)
        services.submit_worksheet(ws, by=team)
        services.start_verification(ws, by=tim_provinsi)
        fill(ws, scores, level="provincial", by=tim_provinsi)
        services.finalise_worksheet(ws, by=ketua_tim)

    for ws in worksheets[:-1]:
        finalise(ws)
    assert not OutgoingMail.objects.filter(to="kepala@bps.go.id").exists()

    finalise(worksheets[-1])

    (mail,) = OutgoingMail.objects.filter(to="kepala@bps.go.id")
    assert mail.subject == "Hasil LKE 2026 siap ditandatangani"
    assert "/lke/hasil/?tahun=2026" in mail.body
