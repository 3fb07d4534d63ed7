"""A report's review cycle e-mails the people who must act next (queued in the outbox)."""

import pytest

from conftest import make_user
from core.models import NotificationKind, NotificationOptOut, OutgoingMail, Role
from reports import services

from .conftest import submitted_sosialisasi


@pytest.fixture
def people(ketua_tim, tim_provinsi, kepala, tim_rejang_lebong, pimpinan_rejang_lebong):
    """Everyone with an address; a second pembina of the village works in the same office."""
    for user, address in [
        (ketua_tim, "ketua@bps.go.id"),
        (tim_provinsi, "sari@bps.go.id"),
        (kepala, "kepala@bps.go.id"),
        (tim_rejang_lebong, "andi@bps.go.id"),
        (pimpinan_rejang_lebong, "pimpinan.rl@bps.go.id"),
    ]:
        user.email = address
        user.save(update_fields=["email"])
    make_user("tim_kaur_mail", "1704", Role.TIM_KABKOTA, email="kaur@bps.go.id")


def mails():
    return sorted((m.to, m.subject) for m in OutgoingMail.objects.all())


def test_a_submitted_report_tells_the_province_team(
    people, village_rejang_lebong, tim_rejang_lebong
):
    submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    name = village_rejang_lebong.village.name
    subject = f"Dikirim untuk ditelaah: Laporan sosialisasi/pencanangan, {name}"
    assert mails() == [("ketua@bps.go.id", subject), ("sari@bps.go.id", subject)]
    body = OutgoingMail.objects.get(to="sari@bps.go.id").body
    assert f"/laporan/sosialisasi/desa/{village_rejang_lebong.pk}/" in body
    assert "menunggu telaah Anda" in body


def test_a_returned_report_tells_the_kabkota_team_and_pembina_with_the_comment(
    people, village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    OutgoingMail.objects.all().delete()

    services.return_report(report, by=tim_provinsi, comment="Daftar hadir belum ditandatangani.")

    (mail,) = OutgoingMail.objects.all()
    assert mail.to == "andi@bps.go.id"  # team member and pembina: one mail per address
    assert mail.subject.startswith("Dikembalikan untuk diperbaiki: ")
    assert "Komentar: Daftar hadir belum ditandatangani." in mail.body
    assert mail.kind == NotificationKind.REPORT_REVIEWED


def test_an_approved_report_tells_the_kabkota_and_a_pembina_from_elsewhere(
    people, village_rejang_lebong, tim_rejang_lebong, ketua_tim
):
    pembina = make_user("pembina_prov", "1700", Role.TIM_PROVINSI, email="pembina@bps.go.id")
    village_rejang_lebong.pembina.add(pembina)
    report = submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)
    OutgoingMail.objects.all().delete()

    services.approve_report(report, by=ketua_tim)

    assert [to for to, _s in mails()] == ["andi@bps.go.id", "pembina@bps.go.id"]
    assert all(s.startswith("Disetujui: ") for _t, s in mails())


def test_a_user_who_switched_the_kind_off_gets_nothing(
    people, village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    NotificationOptOut.objects.create(user=tim_provinsi, kind=NotificationKind.REPORT_SUBMITTED)

    submitted_sosialisasi(village_rejang_lebong, tim_rejang_lebong)

    assert [to for to, _s in mails()] == ["ketua@bps.go.id"]
