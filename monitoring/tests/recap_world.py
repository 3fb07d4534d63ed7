"""A large province for the recap documents: 38 kab/kota offices (as many as Jawa Timur, the
largest province of the national seed) with the longest real kab/kota names, every SOP activity
present, two signed recaps (so the second has a trend) and a head whose display name carries
titles. The figures are counted by `build_dashboard` from tracked items made here, so the
documents lay out the worst case of width and length without seeding the national data set."""

import random
from datetime import date, datetime, timedelta

from core.deadlines import JAKARTA, Status, TrackedItem
from core.models import Membership, Office, Region, Role, User
from monitoring.figures import ACTIVITY_LABELS, build_dashboard
from monitoring.models import Recap
from program.services import create_program_year

LONG_NAMES = [
    "Kepulauan Siau Tagulandang Biaro",
    "Penukal Abab Lematang Ilir",
    "Kepulauan Sangihe",
    "Pegunungan Bintang",
    "Hulu Sungai Selatan",
    "Tanjung Jabung Barat",
    "Kotawaringin Timur",
    "Bolaang Mongondow Selatan",
    "Ogan Komering Ulu Selatan",
    "Mahakam Ulu",
    "Labuhanbatu Selatan",
    "Kepulauan Aru",
    "Musi Banyuasin",
    "Pangkajene dan Kepulauan",
    "Toba Samosir",
]
OFFICES = 38
HEAD_NAME = "Dr. Ir. Muhammad Abdurrahman Wahyudi Setiawan, S.ST., M.Si."
HEAD_NIP = "197104121994031002"
STATUSES = [Status.TEPAT_WAKTU] * 12 + [
    Status.TERLAMBAT,
    Status.TERLAMBAT,
    Status.LEWAT,
    Status.BELUM_JATUH_TEMPO,
    Status.SEGERA,
]


def build(*, seed: int = 7) -> dict:
    province_region = Region.objects.create(code="35", name="JAWA TIMUR", level="provinsi")
    province = Office.objects.create(
        code="3500",
        name="BPS Provinsi Jawa Timur",
        short_name="Jawa Timur",
        kind=Office.Kind.PROVINSI,
        region=province_region,
    )
    offices = [province]
    for index in range(OFFICES):
        place = LONG_NAMES[index % len(LONG_NAMES)]
        if index >= len(LONG_NAMES):
            place = f"{place} {index // len(LONG_NAMES) + 1}"
        number = f"{index + 1:02d}" if index < 29 else f"{71 + index - 29}"
        kota = number >= "71"
        region = Region.objects.create(
            code=f"35.{number}",
            name=f"{'KOTA' if kota else 'KAB.'} {place.upper()}",
            level="kabkota",
            parent=province_region,
        )
        offices.append(
            Office.objects.create(
                code=f"35{number}",
                name=f"BPS {'Kota' if kota else 'Kabupaten'} {place}",
                short_name=place,
                kind=Office.Kind.KABKOTA,
                region=region,
                parent=province,
            )
        )
    year = create_program_year(province, year=2026, by=None)
    head = User.objects.create_user(
        username="kepala_jatim", password="x", full_name=HEAD_NAME, nip=HEAD_NIP
    )
    Membership.objects.create(user=head, office=province, role=Role.KEPALA)
    lead = User.objects.create_user(username="ketua_jatim", password="x", full_name="Ketua Tim")
    Membership.objects.create(user=lead, office=province, role=Role.KETUA_TIM)

    def snapshot(moment: datetime, rng: random.Random) -> dict:
        items = []
        for office in offices:
            codes = ["monitoring"] if office.is_province else list(ACTIVITY_LABELS)
            for code in codes:
                if office.is_province == (code == "monitoring"):
                    for n in range(rng.randint(1, 9)):
                        status = rng.choice(STATUSES)
                        items.append(
                            TrackedItem(
                                activity=code,
                                label=f"{code} {n}",
                                office_id=office.pk,
                                village_id=None,
                                due=moment,
                                done_at=moment - timedelta(days=1),
                                status=status,
                                extended=False,
                                url="",
                                subject=(0, str(n)),
                            )
                        )
        villages = {o.pk: rng.randint(1, 12) for o in offices if not o.is_province}
        in_order = sorted(offices, key=lambda o: (o.is_province, o.code))  # as recap_dashboard
        return build_dashboard(in_order, villages, items, now=moment).to_snapshot()

    rng = random.Random(seed)
    recaps = []
    for period, (start, end) in enumerate(
        [(date(2026, 1, 1), date(2026, 2, 28)), (date(2026, 3, 1), date(2026, 4, 30))], start=1
    ):
        moment = datetime(end.year, end.month, end.day, 23, 59, tzinfo=JAKARTA)
        recaps.append(
            Recap.objects.create(
                program_year=year,
                period=period,
                period_start=start,
                period_end=end,
                snapshot=snapshot(moment, rng),
                narrative=(
                    "Kelengkapan laporan identifikasi masih rendah di kabupaten kepulauan; "
                    "pembinaan lanjutan dijadwalkan bersama tim kabupaten/kota."
                ),
                generated_by=lead,
                generated_at=moment,
            )
        )
    return {"province": province, "year": year, "head": head, "lead": lead, "recaps": recaps}
