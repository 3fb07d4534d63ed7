"""The national-scale synthetic data set of DESIGN.md ("Performance budget"), for `make bench`.

38 province offices and 514 kab/kota offices (the real per-province counts), each kab/kota with
a small synthetic region tree (kecamatan → desa, dotted Kemendagri codes); Bengkulu (17) is the
real reference data shipped under data/. For every province, program years 2022–2026 with the
SOP calendar, 3 participating villages per kab/kota per year, about 8 work-plan activities per
village with a mix of outcomes relative to today, users per office, the bimonthly recaps of the
last two years, and an audit log of 1,000,000 rows.

The seed is a list of steps (`STEPS`); a step reads what earlier steps wrote from the database,
bulk-creates its own rows and returns the counts to print. A later app adds its data (reports,
meetings, LKE answers) by appending a step. Steps only add what is missing, so `--force` on a
database that already has data adds to it without duplicating.
"""

import io
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from core.deadlines import JAKARTA
from core.models import Attachment, AuditEvent, Membership, Office, Region, Role, User
from core.services import national_office
from lke.models import Answer, Assessment, Instrument, Level, Snapshot, Status, Target, Worksheet
from lke.queries import default_instrument
from lke.scoring import instrument_tree, item_nilai, required_items, score_level, tree_items
from meetings.models import ActionItem, Attendance, Meeting
from monitoring.management.commands.seed_demo import DEMO_PASSWORD
from monitoring.models import Recap
from monitoring.queries import monitoring_periods, recap_dashboard
from program.models import ParticipatingVillage, ProgramYear, Stage, VillageKind, WorkPlanActivity
from program.services import create_program_year
from reports.management.commands.seed_reports import seed_reports
from reports.models import Report, ReportVersion

YEARS = (2022, 2023, 2024, 2025, 2026)
# Rows per INSERT on PostgreSQL; on SQLite Django lowers it to fit 999 parameters a statement.
BATCH = 5000
AUDIT_ROWS = 1_000_000
RECAP_YEARS = 2  # recaps exist for the ended periods of 2025 and 2026
REAL_PROVINCE = "17"  # Bengkulu: real regions and offices from data/, loaded if missing

# Kemendagri province codes and names with the number of kab/kota of each (38 provinces, 514
# kab/kota). Only Bengkulu's regions are real; the others get synthetic kab/kota, kecamatan and
# desa under their real province code and name.
PROVINCES = [
    ("11", "ACEH", 23),
    ("12", "SUMATERA UTARA", 33),
    ("13", "SUMATERA BARAT", 19),
    ("14", "RIAU", 12),
    ("15", "JAMBI", 11),
    ("16", "SUMATERA SELATAN", 17),
    ("17", "BENGKULU", 10),
    ("18", "LAMPUNG", 15),
    ("19", "KEPULAUAN BANGKA BELITUNG", 7),
    ("21", "KEPULAUAN RIAU", 7),
    ("31", "DKI JAKARTA", 6),
    ("32", "JAWA BARAT", 27),
    ("33", "JAWA TENGAH", 35),
    ("34", "DI YOGYAKARTA", 5),
    ("35", "JAWA TIMUR", 38),
    ("36", "BANTEN", 8),
    ("51", "BALI", 9),
    ("52", "NUSA TENGGARA BARAT", 10),
    ("53", "NUSA TENGGARA TIMUR", 22),
    ("61", "KALIMANTAN BARAT", 14),
    ("62", "KALIMANTAN TENGAH", 14),
    ("63", "KALIMANTAN SELATAN", 13),
    ("64", "KALIMANTAN TIMUR", 10),
    ("65", "KALIMANTAN UTARA", 5),
    ("71", "SULAWESI UTARA", 15),
    ("72", "SULAWESI TENGAH", 13),
    ("73", "SULAWESI SELATAN", 24),
    ("74", "SULAWESI TENGGARA", 17),
    ("75", "GORONTALO", 6),
    ("76", "SULAWESI BARAT", 6),
    ("81", "MALUKU", 11),
    ("82", "MALUKU UTARA", 10),
    ("91", "PAPUA", 9),
    ("92", "PAPUA BARAT", 7),
    ("93", "PAPUA SELATAN", 4),
    ("94", "PAPUA TENGAH", 8),
    ("95", "PAPUA PEGUNUNGAN", 8),
    ("96", "PAPUA BARAT DAYA", 6),
]

KECAMATAN_PER_KABKOTA = 2
DESA_PER_KECAMATAN = 8  # 16 per kab/kota: 11 are needed for 5 years (2 new + 1 continuing a year)
NAME_HEADS = [
    "Suka", "Tanjung", "Batu", "Sungai", "Air", "Bukit", "Lubuk", "Muara", "Pulau", "Teluk",
    "Padang", "Talang", "Rantau", "Karang", "Sido", "Tebing", "Pasir", "Gunung", "Rawa", "Way",
]  # fmt: skip
NAME_TAILS = [
    "Jaya", "Makmur", "Indah", "Baru", "Raya", "Sari", "Mulya", "Agung", "Permai", "Lestari",
    "Harapan", "Mekar", "Sentosa", "Damai", "Asri",
]  # fmt: skip

# The coaching work plan of one village: stage, activity, pelaksana, target output, planned start
# (month, day), duration in days, and whether every village has it (else about a third do).
WORK_PLAN = [
    (Stage.KOORDINASI, "Koordinasi awal dengan pemerintah desa", "Tim Desa Cantik BPS Kab/Kota",
     "Notulen koordinasi", (2, 3), 20, False),
    (Stage.KOORDINASI, "Sosialisasi dan pencanangan Desa Cantik", "Tim Desa Cantik BPS Kab/Kota",
     "Laporan sosialisasi/pencanangan", (4, 15), 30, True),
    (Stage.IDENTIFIKASI, "Kunjungan identifikasi kebutuhan data desa", "Pembina",
     "Kuesioner identifikasi kebutuhan terisi", (5, 20), 25, True),
    (Stage.PERENCANAAN, "Penyusunan rencana kerja pembinaan bersama agen statistik", "Pembina",
     "Rencana kerja pembinaan", (6, 20), 20, True),
    (Stage.PELAKSANAAN, "Pelatihan agen statistik", "Pembina dan agen statistik",
     "Daftar hadir dan materi pelatihan", (7, 15), 10, True),
    (Stage.PELAKSANAAN, "Pendampingan pengumpulan dan pengolahan data desa", "Pembina",
     "Data desa terolah", (8, 1), 45, True),
    (Stage.PELAKSANAAN, "Penyusunan publikasi desa dalam angka", "Agen statistik",
     "Publikasi desa dalam angka", (9, 10), 30, False),
    (Stage.PELAKSANAAN, "Pengisian data pada website desa", "Agen statistik",
     "Halaman data di website desa", (9, 1), 40, False),
    (Stage.MONEV, "Penilaian mandiri dengan LKE", "Tim Desa Cantik BPS Kab/Kota",
     "LKE penilaian mandiri terisi", (10, 15), 30, True),
    (Stage.MONEV, "Evaluasi akhir dan penyusunan laporan akhir", "Tim Desa Cantik BPS Kab/Kota",
     "Laporan akhir pembinaan", (11, 20), 25, True),
]  # fmt: skip


@dataclass
class Seed:
    """What every step gets: the options, a seeded random source, today, and the output."""

    scale: float
    audit_rows: int
    write: Callable[[str], None]
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    today: date = field(default_factory=timezone.localdate)
    password_hash: str = ""

    def batch(self, default: int) -> int:
        """Rows per INSERT: `default` on PostgreSQL, at most 5000 elsewhere (Django lowers it
        further on SQLite to fit the parameters a statement may have)."""
        return default if connection.vendor == "postgresql" else min(default, 5000)

    def kabkota_count(self, real_count: int) -> int:
        return max(1, round(real_count * self.scale))


def _synthetic_name(index: int, salt: int) -> str:
    head = NAME_HEADS[(index + salt * 7) % len(NAME_HEADS)]
    tail = NAME_TAILS[(index // len(NAME_HEADS) + salt) % len(NAME_TAILS)]
    return f"{head} {tail}"


def _kabkota_numbers(count: int) -> list[str]:
    """Two-digit kab/kota numbers: about one in five is a kota (71, 72, ...)."""
    kota = count // 5
    return [f"{n:02d}" for n in range(1, count - kota + 1)] + [f"{71 + n:02d}" for n in range(kota)]


def _ensure_regions(rows: list[tuple[str, str, str, str | None]]) -> dict[str, int]:
    """Create the (code, name, level, parent code) rows that do not exist yet, level by level;
    return code → pk of all of them."""
    ids: dict[str, int] = {}
    for level in Region.Level.values:
        wanted = [r for r in rows if r[2] == level]
        if not wanted:
            continue
        codes = [r[0] for r in wanted]
        existing = dict(Region.objects.filter(code__in=codes).values_list("code", "pk"))
        parents = {r[3] for r in wanted if r[3]} - ids.keys()
        ids.update(Region.objects.filter(code__in=parents).values_list("code", "pk"))
        new = [
            Region(code=code, name=name, level=level, parent_id=ids[parent] if parent else None)
            for code, name, level, parent in wanted
            if code not in existing
        ]
        Region.objects.bulk_create(new, batch_size=2000)
        ids.update(existing)
        ids.update((r.code, r.pk) for r in new)
    return ids


def seed_regions_and_offices(seed: Seed) -> dict[str, int]:
    """Bengkulu from data/ (real); for the other 37 provinces a province region and office,
    their kab/kota (scaled) with two kecamatan of eight desa each, and the kab/kota offices."""
    if not Office.objects.filter(code=REAL_PROVINCE + "00").exists():
        call_command("load_reference", stdout=io.StringIO())
    regions: list[tuple[str, str, str, str | None]] = []
    offices: list[tuple[str, str, str, str]] = []  # office code, region code, name, short name
    for p_index, (code, name, real_count) in enumerate(PROVINCES):
        if code == REAL_PROVINCE:
            continue
        regions.append((code, name, Region.Level.PROVINSI, None))
        offices.append((f"{code}00", code, f"BPS Provinsi {name.title()}", name.title()))
        for k_index, number in enumerate(_kabkota_numbers(seed.kabkota_count(real_count))):
            kota = number >= "71"
            place = _synthetic_name(k_index, p_index)
            kab_code = f"{code}.{number}"
            kind_name = "KOTA" if kota else "KAB."
            regions.append((kab_code, f"{kind_name} {place.upper()}", Region.Level.KABKOTA, code))
            offices.append(
                (
                    f"{code}{number}",
                    kab_code,
                    f"BPS {'Kota' if kota else 'Kabupaten'} {place}",
                    place,
                )
            )
            for kec in range(1, KECAMATAN_PER_KABKOTA + 1):
                kec_code = f"{kab_code}.{kec:02d}"
                regions.append(
                    (
                        kec_code,
                        _synthetic_name(kec, p_index + k_index),
                        Region.Level.KECAMATAN,
                        kab_code,
                    )
                )
                for d in range(1, DESA_PER_KECAMATAN + 1):
                    # A kelurahan code starts with 1, a desa code with 2 (see Region).
                    desa_code = f"{kec_code}.{1 if kota else 2}{d:03d}"
                    regions.append(
                        (
                            desa_code,
                            _synthetic_name(d, k_index * 3 + kec),
                            Region.Level.DESA,
                            kec_code,
                        )
                    )
    region_ids = _ensure_regions(regions)
    existing = set(Office.objects.values_list("code", flat=True))
    province_pk: dict[str, int] = dict(
        Office.objects.filter(kind=Office.Kind.PROVINSI).values_list("code", "pk")
    )
    new_provinces = [
        Office(code=o, region_id=region_ids[r], name=n, short_name=s, kind=Office.Kind.PROVINSI)
        for o, r, n, s in offices
        if o.endswith("00") and o not in existing
    ]
    Office.objects.bulk_create(new_provinces)
    province_pk.update((o.code, o.pk) for o in new_provinces)
    Office.objects.bulk_create(
        [
            Office(
                code=o,
                region_id=region_ids[r],
                name=n,
                short_name=s,
                kind=Office.Kind.KABKOTA,
                parent_id=province_pk[o[:2] + "00"],
            )
            for o, r, n, s in offices
            if not o.endswith("00") and o not in existing
        ],
        batch_size=1000,
    )
    return {
        "regions": Region.objects.count(),
        "province offices": Office.objects.filter(kind=Office.Kind.PROVINSI).count(),
        "kab/kota offices": Office.objects.filter(kind=Office.Kind.KABKOTA).count(),
    }


def seeded_kabkota(seed: Seed) -> dict[Office, list[Office]]:
    """The province offices and, per province, the kab/kota offices the seed fills (all of a
    synthetic province; for Bengkulu at a fraction, its first ones)."""
    provinces = {
        o.code[:2]: o for o in Office.objects.filter(kind=Office.Kind.PROVINSI).order_by("code")
    }
    children = defaultdict(list)
    for office in Office.objects.filter(kind=Office.Kind.KABKOTA).select_related("region"):
        children[office.parent_id].append(office)
    result = {}
    for code, _name, real_count in PROVINCES:
        province = provinces[code]
        result[province] = children[province.pk][: seed.kabkota_count(real_count)]
    return result


PROVINCE_USERS = [
    ("kepala", "Kepala BPS", Role.KEPALA),
    ("ketua", "Ketua Tim RB dan Pembinaan Statistik", Role.KETUA_TIM),
    ("timprov", "Tim Desa Cantik", Role.TIM_PROVINSI),
]


def seed_users(seed: Seed) -> dict[str, int]:
    """Per province office kepala, ketua_tim and tim_provinsi; per kab/kota one tim_kabkota.
    Usernames carry the office code (ketua.1700, tim.1702); the password is the demo one."""
    wanted: list[tuple[str, str, Office, str]] = []
    for province, kabkota in seeded_kabkota(seed).items():
        for prefix, title, role in PROVINCE_USERS:
            wanted.append(
                (f"{prefix}.{province.code}", f"{title} {province.short_name}", province, role)
            )
        for office in kabkota:
            wanted.append(
                (
                    f"tim.{office.code}",
                    f"Tim Desa Cantik {office.short_name}",
                    office,
                    Role.TIM_KABKOTA,
                )
            )
    usernames = [w[0] for w in wanted]
    existing = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    seed.password_hash = seed.password_hash or make_password(DEMO_PASSWORD)
    User.objects.bulk_create(
        [
            User(
                username=username,
                full_name=name,
                email=f"{username}@example.org",
                password=seed.password_hash,
            )
            for username, name, _office, _role in wanted
            if username not in existing
        ],
        batch_size=BATCH,
    )
    user_pk = dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))
    Membership.objects.bulk_create(
        [
            Membership(user_id=user_pk[u], office=office, role=role)
            for u, _n, office, role in wanted
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    return {"users": User.objects.count(), "memberships": Membership.objects.count()}


def seed_program_years(seed: Seed) -> dict[str, int]:
    """Years 2022–2026 for every province, through the service so the SOP calendar exists."""
    for province in seeded_kabkota(seed):
        have = set(ProgramYear.objects.filter(province=province).values_list("year", flat=True))
        lead = User.objects.get(username=f"ketua.{province.code}")
        for year in YEARS:
            if year not in have:
                create_program_year(province, year=year, by=lead)
    return {"program years": ProgramYear.objects.count()}


def _pick_desa(desa_ids: list[int]) -> list[int]:
    """Eleven villages spread over the kab/kota's desa (all of them if it has fewer)."""
    if len(desa_ids) <= 11:
        return desa_ids
    return [desa_ids[len(desa_ids) * k // 11] for k in range(11)]


def _year_plan(picks: list[int], index: int) -> list[tuple[int, str]]:
    """Three villages for the index-th year: two new ones and the previous year's first village,
    which goes on as berkelanjutan (the first year has three new ones)."""
    at = lambda i: picks[i % len(picks)]  # noqa: E731
    if index == 0:
        return [
            (at(0), VillageKind.UTAMA),
            (at(1), VillageKind.UTAMA),
            (at(2), VillageKind.TAMBAHAN),
        ]
    previous_first = at(0) if index == 1 else at(2 * index - 1)
    return [
        (at(2 * index + 1), VillageKind.UTAMA),
        (at(2 * index + 2), VillageKind.TAMBAHAN),
        (previous_first, VillageKind.BERKELANJUTAN),
    ]


def seed_villages(seed: Seed) -> dict[str, int]:
    """Three participating villages per kab/kota per year, with its tim_kabkota as pembina;
    a (year, office) that already has villages is left as it is."""
    years = {(y.province_id, y.year): y for y in ProgramYear.objects.all()}
    filled = set(ParticipatingVillage.objects.values_list("program_year_id", "office_id"))
    pembina = dict(
        Membership.objects.filter(
            role=Role.TIM_KABKOTA, user__username__startswith="tim."
        ).values_list("office_id", "user_id")
    )
    desa_by_kabkota = defaultdict(list)
    for pk, code in Region.objects.filter(level=Region.Level.DESA).values_list("pk", "code"):
        desa_by_kabkota[code[:5]].append(pk)
    new = []
    for province, kabkota in seeded_kabkota(seed).items():
        for office in kabkota:
            picks = _pick_desa(sorted(desa_by_kabkota[office.region.code]))
            for index, year in enumerate(YEARS):
                program_year = years[(province.pk, year)]
                if (program_year.pk, office.pk) in filled:
                    continue
                for village_id, kind in _year_plan(picks, index):
                    new.append(
                        ParticipatingVillage(
                            program_year=program_year,
                            village_id=village_id,
                            office=office,
                            kind=kind,
                        )
                    )
    with transaction.atomic():
        ParticipatingVillage.objects.bulk_create(new, batch_size=BATCH)
        Through = ParticipatingVillage.pembina.through
        Through.objects.bulk_create(
            [
                Through(participatingvillage_id=v.pk, user_id=pembina[v.office_id])
                for v in new
                if v.office_id in pembina
            ],
            batch_size=BATCH,
        )
    return {"participating villages": ParticipatingVillage.objects.count()}


def _realisation(seed: Seed, start: date, end: date, diligence: float) -> date | None:
    """When (if ever) an activity planned start..end was realised, as of today: a diligent office
    realises most on time, the rest late or not at all; nothing is realised in the future."""
    rng, today = seed.rng, seed.today
    if start > today:
        return None
    if end >= today:  # running now: some already done
        return (
            start + timedelta(days=rng.randint(0, (today - start).days))
            if rng.random() < 0.35
            else None
        )
    draw = rng.random()
    if draw < diligence:
        return start + timedelta(days=rng.randint(0, (end - start).days))
    if draw < diligence + (1 - diligence) * 0.6:
        return min(end + timedelta(days=rng.randint(1, 40)), today)
    return None


def seed_work_plans(seed: Seed) -> dict[str, int]:
    """About 8 activities across the five stages for every village without a work plan."""
    planned = set(WorkPlanActivity.objects.values_list("village_id", flat=True).distinct())
    diligence: dict[int, float] = {}
    rows = []
    villages = ParticipatingVillage.objects.select_related("program_year").order_by("pk")
    for village in villages.iterator(chunk_size=5000):
        if village.pk in planned:
            continue
        year = village.program_year.year
        office_diligence = diligence.setdefault(village.office_id, seed.rng.uniform(0.45, 0.95))
        shift = timedelta(days=seed.rng.randint(-20, 20))
        for stage, name, pelaksana, output, (month, day), days, always in WORK_PLAN:
            if not always and seed.rng.random() > 0.34:
                continue
            start = date(year, month, day) + shift
            end = min(start + timedelta(days=days), date(year, 12, 31))
            realised = _realisation(seed, start, end, office_diligence)
            rows.append(
                WorkPlanActivity(
                    village=village,
                    stage=stage,
                    name=name,
                    pelaksana=pelaksana,
                    target_output=output,
                    planned_start=start,
                    planned_end=end,
                    realised_on=realised,
                    realisation_output=output if realised else "",
                )
            )
    for offset in range(0, len(rows), 20000):
        with transaction.atomic():
            WorkPlanActivity.objects.bulk_create(rows[offset : offset + 20000], batch_size=BATCH)
    return {"work plan activities": WorkPlanActivity.objects.count()}


def seed_recaps(seed: Seed) -> dict[str, int]:
    """The province's Rekap progres of every period that has ended in the last RECAP_YEARS
    program years (as if the system went live then; each snapshot is a dashboard computation,
    the slowest part of the seed after the audit log), each a snapshot of the dashboard at the
    moment it was generated: most near the end of the period, some a few days late; signed off
    by the head a few days later. (A snapshot counts work realised after its moment as done:
    the seed cannot rewind realisations.) The running period has none: `bench` generates it."""
    kepala = dict(
        Membership.objects.filter(
            role=Role.KEPALA, user__username__startswith="kepala."
        ).values_list("office_id", "user_id")
    )
    team = dict(
        Membership.objects.filter(role=Role.TIM_PROVINSI).values_list("office_id", "user_id")
    )
    have = set(Recap.objects.values_list("program_year_id", "period"))
    now = timezone.now()
    years = ProgramYear.objects.filter(
        province__in=list(seeded_kabkota(seed)), year__gt=YEARS[-1] - RECAP_YEARS
    ).order_by("pk")
    for program_year in years.select_related("province"):
        recaps = []
        for number, (start, end) in enumerate(monitoring_periods(program_year), start=1):
            if end >= seed.today or (program_year.pk, number) in have:
                continue
            late = seed.rng.random() < 0.15
            days = seed.rng.randint(1, 10) if late else -seed.rng.randint(0, 6)
            generated = min(_moment(seed, end + timedelta(days=days)), now)
            signed = _moment(seed, generated.date() + timedelta(days=seed.rng.randint(1, 7)))
            signed_off = signed < now
            recaps.append(
                Recap(
                    program_year=program_year,
                    period=number,
                    period_start=start,
                    period_end=end,
                    snapshot=recap_dashboard(program_year, now=generated).to_snapshot(),
                    generated_by_id=team[program_year.province_id],
                    generated_at=generated,
                    state=Recap.State.SIGNED_OFF if signed_off else Recap.State.DRAFT,
                    signed_by_id=kepala[program_year.province_id] if signed_off else None,
                    signed_at=signed if signed_off else None,
                    record_number=(
                        f"B-{number}/{program_year.province.code}0/VS.300/{end:%m/%Y}"
                        if signed_off
                        else ""
                    ),
                    record_place=program_year.province.short_name if signed_off else "",
                )
            )
        Recap.objects.bulk_create(recaps)
    return {"monitoring recaps": Recap.objects.count()}


def _moment(seed: Seed, day: date) -> datetime:
    moment = datetime(day.year, day.month, day.day, 8, tzinfo=JAKARTA) + timedelta(
        seconds=seed.rng.randint(0, 9 * 3600)
    )
    return min(moment, timezone.now())


def _audit_rows(seed: Seed, count: int):
    """Yield `count` unsaved audit rows that tell the data's history: each village added by the
    province team lead, each activity planned and (if so) realised by the kab/kota team, then
    edits of plans and villages spread over each year until today."""
    types = ContentType.objects.get_for_models(ParticipatingVillage, WorkPlanActivity)
    village_type, activity_type = types[ParticipatingVillage].pk, types[WorkPlanActivity].pk
    team = dict(
        Membership.objects.filter(role=Role.TIM_KABKOTA).values_list("office_id", "user_id")
    )
    leads = dict(Membership.objects.filter(role=Role.KETUA_TIM).values_list("office_id", "user_id"))
    villages = list(
        ParticipatingVillage.objects.values_list(
            "pk", "village__name", "office_id", "office__parent_id", "program_year__year", "kind"
        )
    )
    activities = list(
        WorkPlanActivity.objects.values_list(
            "pk", "name", "village__office_id", "planned_start", "realised_on", "pelaksana"
        )
    )
    made = 0
    for pk, name, office, province, year, kind in villages:
        if made >= count:
            return
        made += 1
        yield AuditEvent(
            at=_moment(seed, date(year, 1, 5) + timedelta(days=seed.rng.randint(0, 80))),
            actor_id=leads.get(province),
            action="village.add",
            object_type_id=village_type,
            object_id=str(pk),
            object_repr=f"{name} ({year})",
            office_id=office,
            changes={"kind": [None, kind], "village": [None, name]},
        )
    for pk, name, office, start, realised, _pelaksana in activities:
        if made >= count:
            return
        made += 1
        yield AuditEvent(
            at=_moment(seed, start - timedelta(days=30)),
            actor_id=team.get(office),
            action="work_plan.add",
            object_type_id=activity_type,
            object_id=str(pk),
            object_repr=name,
            office_id=office,
            changes={"name": [None, name], "planned_start": [None, str(start)]},
        )
        if realised and made < count:
            made += 1
            yield AuditEvent(
                at=_moment(seed, realised),
                actor_id=team.get(office),
                action="work_plan.realise",
                object_type_id=activity_type,
                object_id=str(pk),
                object_repr=name,
                office_id=office,
                changes={"realised_on": [None, str(realised)]},
            )
    while made < count and activities:
        pk, name, office, start, _realised, pelaksana = seed.rng.choice(activities)
        made += 1
        day = min(start + timedelta(days=seed.rng.randint(-25, 120)), seed.today)
        yield AuditEvent(
            at=_moment(seed, day),
            actor_id=team.get(office),
            action="work_plan.update",
            object_type_id=activity_type,
            object_id=str(pk),
            object_repr=name,
            office_id=office,
            changes={"pelaksana": [pelaksana, f"{pelaksana} dan agen statistik"]},
            reason="",
        )


def seed_audit_log(seed: Seed) -> dict[str, int]:
    """Fill the audit log up to `--audit-rows` rows (inserts only: the log is append-only),
    committed per chunk."""
    missing = seed.audit_rows - AuditEvent.objects.count()
    chunk, done, started = [], 0, time.monotonic()
    report_every = max(missing // 10, 1)
    for event in _audit_rows(seed, missing):
        chunk.append(event)
        if len(chunk) == 20000:
            done = _insert_audit(seed, chunk, done, report_every, started)
            chunk = []
    if chunk:
        _insert_audit(seed, chunk, done, report_every, started)
    return {"audit events": AuditEvent.objects.count()}


def _insert_audit(seed: Seed, chunk: list, done: int, report_every: int, started: float) -> int:
    with transaction.atomic():
        AuditEvent.objects.bulk_create(chunk, batch_size=BATCH)
    after = done + len(chunk)
    if after // report_every > done // report_every:
        seed.write(f"    {after:,} audit rows ({time.monotonic() - started:.0f} s)")
    return after


# --- reports, meetings and LKE (appended by the apps that own the data) -------------------------


def seed_reports_step(seed: Seed) -> dict[str, int]:
    """The reports of every participating village, by the reports app's own seed function,
    once: seed_reports draws a new event date for every village still without reports, so on a
    second run the 2026 villages whose event lay after today would get reports after all."""
    if not Report.objects.exists():
        seed_reports(seed)
    report_type = ContentType.objects.get_for_model(Report)
    return {
        "reports": Report.objects.count(),
        "report versions": ReportVersion.objects.count(),
        "report attachments": Attachment.objects.filter(owner_type=report_type).count(),
    }


MEETING_TOPICS = [
    "Evaluasi progres pembinaan Desa Cantik",
    "Kendala pendampingan agen statistik",
    "Persiapan penilaian mandiri LKE",
]
ACTION_TEXTS = [
    "Lengkapi rencana kerja pembinaan desa yang belum diunggah.",
    "Kirim laporan sosialisasi yang masih draf.",
    "Jadwalkan ulang pelatihan agen statistik.",
    "Perbarui data pada website desa.",
    "Unggah notulen koordinasi dengan pemerintah desa.",
    "Selesaikan pengisian LKE penilaian mandiri.",
]
ATTENDEES = ["Kepala BPS", "Ketua Tim Desa Cantik", "Pembina desa", "Statistisi Ahli Muda"]


def seed_meetings(seed: Seed) -> dict[str, int]:
    """Per province and year one online meeting per two-month period, inviting every kab/kota
    of the province and the province team: closed for the periods that have ended (attendance
    of every invited office, minutes' decisions, about three action items each: open, done,
    confirmed, some overdue), scheduled for the running period, a draft for later ones. A
    program year that has meetings is left as it is."""
    done_years = set(Meeting.objects.values_list("program_year_id", flat=True).distinct())
    team = dict(
        Membership.objects.filter(role=Role.TIM_PROVINSI).values_list("office_id", "user_id")
    )
    leads = dict(Membership.objects.filter(role=Role.KETUA_TIM).values_list("office_id", "user_id"))
    kabkota_team = dict(
        Membership.objects.filter(role=Role.TIM_KABKOTA).values_list("office_id", "user_id")
    )
    kabkota = {p.pk: k for p, k in seeded_kabkota(seed).items()}
    now = timezone.now()
    rng = seed.rng
    plans = []  # (meeting, offices, staff)
    years = ProgramYear.objects.filter(province_id__in=kabkota).order_by("pk")
    for program_year in years:
        if program_year.pk in done_years:
            continue
        province = program_year.province_id
        offices = kabkota[province]
        writer = team[province]
        for number, (start, end) in enumerate(monitoring_periods(program_year), start=1):
            day = start + timedelta(days=rng.randint(20, max(20, (end - start).days - 5)))
            starts = datetime(day.year, day.month, day.day, 9, tzinfo=JAKARTA)
            if end < seed.today:
                state = Meeting.State.CLOSED
            elif start <= seed.today:
                state = Meeting.State.SCHEDULED
            else:
                state = Meeting.State.DRAFT
            held = starts + timedelta(hours=2)
            meeting = Meeting(
                program_year=program_year,
                title=f"Rapat monev periode {number}: {MEETING_TOPICS[number % 3]}",
                period_start=start,
                starts_at=starts,
                ends_at=held,
                platform=rng.choice(Meeting.Platform.values),
                link=""
                if state == Meeting.State.DRAFT
                else f"https://zoom.us/j/{rng.randint(10**9, 10**10)}",
                state=state,
                invitation_sequence=0 if state == Meeting.State.DRAFT else 1,
                created_by_id=writer,
                created_at=min(starts - timedelta(days=14), now),
                scheduled_at=None
                if state == Meeting.State.DRAFT
                else min(starts - timedelta(days=10), now),
                held_at=held if state == Meeting.State.CLOSED else None,
                held_by_id=writer if state == Meeting.State.CLOSED else None,
                closed_at=held + timedelta(days=2) if state == Meeting.State.CLOSED else None,
                closed_by_id=leads.get(province, writer) if state == Meeting.State.CLOSED else None,
                decisions=(
                    "- Kab/kota melengkapi rencana kerja\n"
                    "- Laporan dikirim paling lambat akhir periode"
                    if state == Meeting.State.CLOSED
                    else ""
                ),
            )
            plans.append((meeting, offices, [u for u in (writer, leads.get(province)) if u]))
    with transaction.atomic():
        Meeting.objects.bulk_create([m for m, _o, _s in plans], batch_size=seed.batch(2000))
        OfficeThrough = Meeting.invited_offices.through
        StaffThrough = Meeting.invited_staff.through
        OfficeThrough.objects.bulk_create(
            [
                OfficeThrough(meeting_id=m.pk, office_id=o.pk)
                for m, offices, _s in plans
                for o in offices
            ],
            batch_size=seed.batch(BATCH),
        )
        StaffThrough.objects.bulk_create(
            [StaffThrough(meeting_id=m.pk, user_id=u) for m, _o, staff in plans for u in staff],
            batch_size=seed.batch(BATCH),
        )
        attendance, actions = [], []
        for meeting, offices, _staff in plans:
            if meeting.state != Meeting.State.CLOSED:
                continue
            for office in offices:
                draw = rng.random()
                status = (
                    Attendance.Status.HADIR
                    if draw < 0.8
                    else Attendance.Status.IZIN
                    if draw < 0.9
                    else Attendance.Status.TIDAK_HADIR
                )
                attendance.append(
                    Attendance(
                        meeting=meeting,
                        office=office,
                        status=status,
                        attendees="\n".join(rng.sample(ATTENDEES, 2))
                        if status == Attendance.Status.HADIR
                        else "",
                        note="Bertugas lapangan" if status == Attendance.Status.IZIN else "",
                        recorded_by_id=meeting.held_by_id,
                        recorded_at=meeting.held_at,
                    )
                )
            for _ in range(rng.choice((2, 3, 3, 4))):
                owner = rng.choice(offices)
                due = meeting.held_at.date() + timedelta(days=rng.randint(14, 45))
                done_by = kabkota_team.get(owner.pk, meeting.created_by_id)
                draw = rng.random()
                if due < seed.today:  # overdue unless done: most are confirmed
                    state = "confirmed" if draw < 0.65 else "done" if draw < 0.8 else "open"
                else:
                    state = "open" if draw < 0.6 else "done"
                done_at = (
                    _moment(seed, min(due - timedelta(days=rng.randint(0, 10)), seed.today))
                    if state != "open"
                    else None
                )
                done_at = max(done_at, meeting.held_at) if done_at else None
                actions.append(
                    ActionItem(
                        meeting=meeting,
                        owner_office=owner,
                        description=rng.choice(ACTION_TEXTS),
                        due_date=due,
                        state=state,
                        done_at=done_at,
                        done_by_id=done_by if done_at else None,
                        done_note="Sudah dilaksanakan." if done_at else "",
                        confirmed_at=min(done_at + timedelta(days=3), now)
                        if state == "confirmed"
                        else None,
                        confirmed_by_id=meeting.held_by_id if state == "confirmed" else None,
                        created_by_id=meeting.held_by_id,
                        created_at=meeting.held_at,
                    )
                )
        Attendance.objects.bulk_create(attendance, batch_size=seed.batch(BATCH))
        ActionItem.objects.bulk_create(actions, batch_size=seed.batch(BATCH))
    return {
        "meetings": Meeting.objects.count(),
        "meeting attendance": Attendance.objects.count(),
        "action items": ActionItem.objects.count(),
    }


LKE_PATTERNS = 12  # distinct answer patterns per target: scores are computed once per pattern
NATIONAL_OPERATOR = "nasional"
NATIONAL_TEAM = "tim.nasional"


def _lke_patterns(seed: Seed, items) -> list[dict[int, object]]:
    """Answer patterns ({item id: option}) from weak to strong villages."""
    patterns = []
    for n in range(LKE_PATTERNS):
        strength = 0.3 + 0.6 * n / (LKE_PATTERNS - 1)
        pattern = {}
        for item in items:
            options = sorted(item.options.all(), key=lambda o: o.score)
            if options:
                index = min(
                    len(options) - 1, int(strength * len(options) + seed.rng.uniform(-1, 1))
                )
                pattern[item.pk] = options[max(index, 0)]
        patterns.append(pattern)
    return patterns


def _lke_snapshot_items(tree, self_pattern: dict, provincial: dict, scale: int) -> list[dict]:
    """The `items` of lke.services.snapshot_data for two answer patterns."""
    rows = []
    for item in tree_items(tree):
        if not item.is_answerable:
            continue
        row = {"code": item.code, "kind": item.kind, "max_score": item.max_score}
        for level, pattern in ((Level.SELF, self_pattern), (Level.PROVINCIAL, provincial)):
            option = pattern.get(item.pk)
            score = option.score if option else None
            row[level] = {
                "answer": option.label if option else None,
                "score": score,
                "nilai": item_nilai(item, score, scale),
            }
        rows.append(row)
    return rows


def seed_lke(seed: Seed) -> dict[str, int]:
    """The shipped instruments, then per province and year an assessment (the year's instrument,
        else the nearest earlier or the oldest) with a worksheet per village and per kab/kota office
        with villages, and answers of every choice item at both levels, the counters and scores kept
        as the services keep them. Past years are finalised with a snapshot and signed off; in the
        current year a quarter of the worksheets is each in self-assessment (partly answered),
        submitted, provincial verification (half verified) and finalised. A program year that has
        an assessment is left as it is. Also a national operator (superuser) `nasional` and a member
    of the national team (BPS RI) `tim.nasional`."""
    call_command("load_instruments", stdout=io.StringIO())
    if not User.objects.filter(username=NATIONAL_OPERATOR).exists():
        User.objects.create(
            username=NATIONAL_OPERATOR,
            full_name="Operator Nasional Desa Cantik",
            email=f"{NATIONAL_OPERATOR}@example.org",
            password=seed.password_hash or make_password(DEMO_PASSWORD),
            is_superuser=True,
            is_staff=True,
        )
    if not User.objects.filter(username=NATIONAL_TEAM).exists():
        member = User.objects.create(
            username=NATIONAL_TEAM,
            full_name="Tim Desa Cantik Nasional",
            email=f"{NATIONAL_TEAM}@example.org",
            password=seed.password_hash or make_password(DEMO_PASSWORD),
        )
        Membership.objects.create(user=member, office=national_office(), role=Role.TIM_NASIONAL)
    oldest = Instrument.objects.order_by("year", "version").first()
    team = dict(
        Membership.objects.filter(role=Role.TIM_PROVINSI).values_list("office_id", "user_id")
    )
    kepala = dict(Membership.objects.filter(role=Role.KEPALA).values_list("office_id", "user_id"))
    kabkota_team = dict(
        Membership.objects.filter(role=Role.TIM_KABKOTA).values_list("office_id", "user_id")
    )
    opened = set(Assessment.objects.values_list("program_year_id", flat=True))
    years = ProgramYear.objects.filter(province__in=list(seeded_kabkota(seed))).exclude(
        pk__in=opened
    )
    cache: dict = {}  # instrument id → per target: tree, choice items, patterns, scores

    def instrument_data(instrument):
        if instrument.pk not in cache:
            data = {}
            for target in Target.values:
                tree = instrument_tree(instrument, target)
                items = required_items(tree)
                patterns = _lke_patterns(seed, items)
                data[target] = {
                    "tree": tree,
                    "items": items,
                    "patterns": patterns,
                    "scores": {},
                    "snap": {},
                }
            cache[instrument.pk] = data
        return cache[instrument.pk]

    def level_scores(data, pattern: int, cut: int):
        key = (pattern, cut)
        if key not in data["scores"]:
            chosen = {
                item.pk: data["patterns"][pattern][item.pk].score
                for item in data["items"][:cut]
                if item.pk in data["patterns"][pattern]
            }
            data["scores"][key] = score_level(data["tree"], chosen).as_json()
        return data["scores"][key]

    now = timezone.now()
    for program_year in years.select_related("province").order_by("pk"):
        province = program_year.province_id
        instrument = default_instrument(program_year.year) or oldest
        past = program_year.year < seed.today.year
        with transaction.atomic():
            opened_at = _moment(seed, date(program_year.year, 9, 1))
            assessment = Assessment.objects.create(
                program_year=program_year,
                instrument=instrument,
                opened_at=opened_at,
                opened_by_id=team[province],
                signed_off_at=_moment(seed, date(program_year.year, 12, 20)) if past else None,
                signed_off_by_id=kepala[province] if past else None,
            )
            trees = instrument_data(instrument)
            villages = ParticipatingVillage.objects.filter(program_year=program_year).order_by(
                "office__code", "village__code"
            )
            subjects = []  # (target, village id, office id, name, district, kind)
            offices = []
            for pk, office, name, district, kind in villages.values_list(
                "pk", "office_id", "village__name", "village__parent__name", "kind"
            ):
                subjects.append((Target.VILLAGE, pk, office, name, district, kind))
                if office not in offices:
                    offices.append(office)
            names = dict(Office.objects.filter(pk__in=offices).values_list("pk", "name"))
            short = dict(Office.objects.filter(pk__in=offices).values_list("pk", "short_name"))
            subjects += [(Target.OFFICE, None, o, names[o], "", "") for o in offices]
            worksheets, plans = [], []
            for index, (target, village, office, name, district, kind) in enumerate(subjects):
                data = trees[target]
                if not data["tree"]:
                    continue
                n_items = len(data["items"])
                pattern = seed.rng.randrange(LKE_PATTERNS)
                verified = pattern if seed.rng.random() < 0.6 else (pattern + 1) % LKE_PATTERNS
                status = (
                    Status.SIGNED_OFF
                    if past
                    else [
                        Status.SELF_ASSESSMENT,
                        Status.SUBMITTED,
                        Status.PROVINCIAL_VERIFICATION,
                        Status.FINALISED,
                    ][index % 4]
                )
                self_cut = n_items * 2 // 3 if status == Status.SELF_ASSESSMENT else n_items
                provincial_cut = {
                    Status.SELF_ASSESSMENT: 0,
                    Status.SUBMITTED: 0,
                    Status.PROVINCIAL_VERIFICATION: n_items // 2,
                }.get(status, n_items)
                submitted = _moment(seed, date(program_year.year, 10, seed.rng.randint(1, 28)))
                final = status in (Status.FINALISED, Status.SIGNED_OFF)
                worksheet = Worksheet(
                    assessment=assessment,
                    target=target,
                    village_id=village,
                    office_id=office,
                    status=status,
                    submitted_at=submitted if status != Status.SELF_ASSESSMENT else None,
                    finalised_at=min(submitted + timedelta(days=20), now) if final else None,
                    signed_off_at=assessment.signed_off_at if past else None,
                    required_items=n_items,
                    self_answered=self_cut,
                    provincial_answered=provincial_cut,
                    scores={
                        Level.SELF: level_scores(data, pattern, self_cut),
                        Level.PROVINCIAL: level_scores(data, verified, provincial_cut),
                    },
                )
                worksheets.append(worksheet)
                plans.append((worksheet, data, pattern, verified, self_cut, provincial_cut))
                worksheet.snapshot_head = {
                    "name": name,
                    "district": district,
                    "kind": kind,
                    "office": short[office],
                    "instrument": str(instrument),
                }
            Worksheet.objects.bulk_create(worksheets, batch_size=seed.batch(2000))
            answers = []
            for worksheet, data, pattern, verified, self_cut, provincial_cut in plans:
                writer = kabkota_team.get(worksheet.office_id, team[province])
                for level, chosen, cut, by in (
                    (Level.SELF, pattern, self_cut, writer),
                    (Level.PROVINCIAL, verified, provincial_cut, team[province]),
                ):
                    answered = worksheet.submitted_at or now
                    for item in data["items"][:cut]:
                        option = data["patterns"][chosen].get(item.pk)
                        answers.append(
                            Answer(
                                worksheet=worksheet,
                                item=item,
                                level=level,
                                option=option,
                                reason="Bukti dukung belum lengkap."
                                if level == Level.PROVINCIAL and chosen != pattern
                                else "",
                                answered_by_id=by,
                                answered_at=answered,
                            )
                        )
            Answer.objects.bulk_create(answers, batch_size=seed.batch(BATCH))
            snapshots = []
            for worksheet, data, pattern, verified, _s, _p in plans:
                if worksheet.finalised_at is None:
                    continue
                key = (pattern, verified)
                if key not in data["snap"]:
                    data["snap"][key] = _lke_snapshot_items(
                        data["tree"],
                        data["patterns"][pattern],
                        data["patterns"][verified],
                        instrument.nilai_scale,
                    )
                snapshots.append(
                    Snapshot(
                        worksheet=worksheet,
                        taken_at=worksheet.finalised_at,
                        taken_by_id=team[province],
                        data={
                            **worksheet.snapshot_head,
                            "scores": worksheet.scores,
                            "items": data["snap"][key],
                        },
                    )
                )
            Snapshot.objects.bulk_create(snapshots, batch_size=seed.batch(1000))
            for snapshot in snapshots:
                snapshot.worksheet.final_snapshot = snapshot
            Worksheet.objects.bulk_update(
                [s.worksheet for s in snapshots], ["final_snapshot"], batch_size=seed.batch(1000)
            )
    return {
        "LKE assessments": Assessment.objects.count(),
        "LKE worksheets": Worksheet.objects.count(),
        "LKE answers": Answer.objects.count(),
        "LKE snapshots": Snapshot.objects.count(),
    }


# Each step: (label, function). Later apps append theirs (reports, meetings, LKE answers).
STEPS: list[tuple[str, Callable[[Seed], dict[str, int]]]] = [
    ("regions and offices", seed_regions_and_offices),
    ("users", seed_users),
    ("program years and SOP calendars", seed_program_years),
    ("participating villages", seed_villages),
    ("work plans", seed_work_plans),
    ("monitoring recaps", seed_recaps),
    ("reports", seed_reports_step),
    ("meetings", seed_meetings),
    ("LKE", seed_lke),
    ("audit log", seed_audit_log),  # last: fills the log up to the number
]


class Command(BaseCommand):
    help = (
        "Build the national-scale synthetic data set (38 provinces, 514 kab/kota, 5 years) into "
        "the configured database, for `make bench`. Refuses a database with program years."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="fraction of the kab/kota of each province (at least 1) and of the audit rows",
        )
        parser.add_argument(
            "--audit-rows",
            type=int,
            help=f"fill the audit log up to this many rows (default {AUDIT_ROWS:,} × scale)",
        )
        parser.add_argument(
            "--force", action="store_true", help="add to a database that already has program years"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when the database already has program years",
        )

    def handle(self, *, scale: float, audit_rows: int | None, force: bool, if_empty: bool, **_):
        if not 0 < scale <= 1:
            raise CommandError("--scale must be a fraction in (0, 1].")
        database = connection.settings_dict["NAME"]
        existing = ProgramYear.objects.count()
        if existing and if_empty:
            self.stdout.write(f"{database} already has {existing} program years: not seeded.")
            return
        if existing and not force:
            raise CommandError(
                f"{database} already has {existing} program years. seed_scale fills a database "
                "of its own (see `make bench`); use --force to add to this one anyway."
            )
        if audit_rows is None:
            audit_rows = round(AUDIT_ROWS * scale)
        seed = Seed(scale=scale, audit_rows=audit_rows, write=self.stdout.write)
        self.stdout.write(f"Seeding {connection.vendor} database {database} (scale {scale}).")
        started = time.monotonic()
        counts: dict[str, int] = {}
        for label, step in STEPS:
            step_started = time.monotonic()
            self.stdout.write(f"  {label} ...")
            counts.update(step(seed))
            self.stdout.write(f"  {label}: {time.monotonic() - step_started:.1f} s")
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # What a DBA does after a bulk load (autovacuum gets there later): statistics for
            # the planner, and the visibility map, without which every index-only probe of the
            # page cache's version query also reads the table (1 million audit rows: 4 → 2 ms).
            # Not inside a transaction (a test's), where PostgreSQL refuses VACUUM.
            step_started = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            self.stdout.write(f"  VACUUM ANALYZE: {time.monotonic() - step_started:.1f} s")
        self.stdout.write(f"Seeded in {time.monotonic() - started:.0f} s:")
        width = max(len(name) for name in counts)
        for name, value in counts.items():
            self.stdout.write(f"  {name:<{width}}  {value:>10,}")
