import io

import pytest
from django.core.management import CommandError, call_command

from core.models import Region


def run_import(tmp_path, text: str) -> tuple[str, str]:
    path = tmp_path / "regions.csv"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_regions", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_bengkulu_extract_is_loaded_with_all_levels(db):
    counts = {level: Region.objects.filter(level=level).count() for level in Region.Level}
    assert counts == {"provinsi": 1, "kabkota": 10, "kecamatan": 129, "desa": 1513}
    marga_sakti = Region.objects.get(code="17.03.09.2003")
    assert (marga_sakti.name, marga_sakti.parent.name, marga_sakti.parent.parent.code) == (
        "Marga Sakti",
        "Padang Jaya",
        "17.03",
    )


def test_kelurahan_is_told_apart_from_desa_by_code(db):
    assert Region.objects.get(code="17.71.07.1008").is_kelurahan  # Kebun Geran
    assert not Region.objects.get(code="17.01.05.2018").is_kelurahan  # Padang Berangin


def test_import_creates_new_regions_and_is_idempotent(db, tmp_path):
    text = "18,LAMPUNG\n18.01,KAB. LAMPUNG BARAT\n18.01.01,Balik Bukit\n18.01.01.2001,Sukarame\n"
    out, _ = run_import(tmp_path, text)
    assert out.strip() == "4 baru, 0 diperbarui, 0 tetap."
    out, _ = run_import(tmp_path, text)
    assert out.strip() == "0 baru, 0 diperbarui, 4 tetap."
    village = Region.objects.get(code="18.01.01.2001")
    assert (village.level, village.parent.code) == ("desa", "18.01.01")


def test_import_updates_a_renamed_region(db, tmp_path):
    out, _ = run_import(tmp_path, "17.01.05.2018,Padang Berangin Baru\n")
    assert out.strip() == "0 baru, 1 diperbarui, 0 tetap."
    assert Region.objects.get(code="17.01.05.2018").name == "Padang Berangin Baru"


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(db, tmp_path):
    text = (
        "19,KEPULAUAN BANGKA BELITUNG\n"
        "19.01,KAB. BANGKA\n"
        "19.01.xx,Salah Kode\n"
        "19.01.01\n"
        "19.01.02,\n"
        "19.99.01,Tanpa Induk\n"
        "19.01,KAB. BANGKA LAGI\n"
    )
    with pytest.raises(CommandError, match="5 baris bermasalah"):
        run_import(tmp_path, text)
    assert not Region.objects.filter(code__startswith="19").exists()


def test_bad_row_messages_name_the_line(db, tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text("20,TEST\n20.01.xx,Salah\n20.02\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_regions", str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        "baris 2: '20.01.xx' bukan kode wilayah Kemendagri",
        "baris 3: harus 2 kolom (code,name), ada 1",
    ]


def test_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_regions", str(tmp_path / "missing.csv"))
