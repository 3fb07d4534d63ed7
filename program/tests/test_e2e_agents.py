"""Browser test: a kab/kota team keeps its village's agen statistik register (reached from the
village page), is told in Indonesian what is wrong with a phone number, and finds the register's
agents already in the sosialisasi report form. Screenshots at 1366 and 390 px."""

import pytest

from conftest import browser_login, screenshot
from program.models import VillageAgent

pytestmark = pytest.mark.e2e


def test_kabkota_team_keeps_the_register_and_the_report_form_takes_it(
    page, village_rejang_lebong, tim_rejang_lebong
):
    page.set_viewport_size({"width": 1366, "height": 900})
    browser_login(page, "tim_rejang_lebong")
    page.goto(f"/desa/{village_rejang_lebong.pk}/")
    page.locator("#agen-statistik").get_by_role("link", name="Buka register").click()
    assert "Belum ada agen statistik di register." in page.content()

    page.get_by_role("link", name="Tambah agen statistik").click()
    page.fill("#id_name", "Rina Marlina")
    page.fill("#id_role", "Kaur Perencanaan")
    page.check("#id_is_village_official")
    page.fill("#id_sk_number", "141/12/2026")
    page.fill("#id_sk_date", "2026-05-04")
    page.fill("#id_phone", "0812-ABCD")
    page.get_by_role("button", name="Simpan").click()
    assert "diawali 0 atau +62" in page.locator(".invalid-feedback").inner_text()
    screenshot(page, "agent-form-error-1366")
    page.fill("#id_phone", "0812 3456 7890")
    page.get_by_role("button", name="Simpan").click()

    page.get_by_role("link", name="Tambah agen statistik").click()
    page.fill("#id_name", "Budi Santoso")
    page.fill("#id_role", "Ketua Karang Taruna")
    page.fill("#id_sk_number", "141/12/2026")
    page.fill("#id_sk_date", "2026-05-04")
    page.get_by_role("button", name="Simpan").click()

    rows = page.locator("#agents tbody tr")
    assert rows.count() == 2
    assert "081234567890" in rows.first.inner_text()
    assert "Agen statistik ditambahkan ke register" in page.content()
    screenshot(page, "agent-register-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "agent-register-390")
    # every cell of the stacked rows stays inside the phone's width
    widths = page.evaluate(
        "() => [...document.querySelectorAll('#agents td')]"
        ".map(td => td.getBoundingClientRect().right)"
    )
    assert max(widths) <= 390

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/laporan/sosialisasi/desa/{village_rejang_lebong.pk}/ubah/")
    names = {page.input_value("#id_agen-0-name"), page.input_value("#id_agen-1-name")}
    assert names == {"Rina Marlina", "Budi Santoso"}
    assert "Diambil dari register agen statistik desa (2 agen)" in page.content()
    screenshot(page, "sosialisasi-form-from-register-1366")
    assert VillageAgent.objects.filter(village=village_rejang_lebong).count() == 2


def test_a_village_taking_part_again_copies_its_earlier_register(
    page, province, village_rejang_lebong, tim_rejang_lebong
):
    from datetime import date

    from program import services
    from program.models import ParticipatingVillage, VillageKind

    earlier = ParticipatingVillage.objects.create(
        program_year=services.create_program_year(province, year=2025, by=None),
        village=village_rejang_lebong.village,
        office=village_rejang_lebong.office,
        kind=VillageKind.UTAMA,
    )
    for name, official in (("Rina Marlina", True), ("Budi Santoso", False)):
        services.add_agent(
            earlier,
            name=name,
            role="Kaur Perencanaan" if official else "Ketua Karang Taruna",
            is_village_official=official,
            sk_number="141/12/2025",
            sk_date=date(2025, 3, 3),
            by=tim_rejang_lebong,
        )
    browser_login(page, "tim_rejang_lebong")
    page.goto(f"/desa/{village_rejang_lebong.pk}/agen-statistik/")
    offer = page.locator("[data-testid=agent-copy]")
    assert "Desa/kelurahan ini sudah ikut pada 2025" in offer.inner_text()
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"agent-copy-offer-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.get_by_role("button", name="Salin ke register 2026").click()
    assert "2 agen statistik disalin" in page.content()
    assert page.locator("#agents tbody tr").count() == 2
    assert page.locator("[data-testid=agent-copy]").count() == 0
    screenshot(page, "agent-copied-390")
    assert VillageAgent.objects.filter(village=village_rejang_lebong).count() == 2
