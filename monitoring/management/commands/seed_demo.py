"""Demo data: program years 2025 and 2026, three villages per kab/kota per year drawn from the
real Bengkulu regions (the known Desa Cantik villages among them), one login per role, work
plans in every state and reports. Running it again changes nothing. It lives in monitoring,
the one app that may import all the others."""

import random
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.models import Membership, Office, Region, Role, User
from program.models import ParticipatingVillage, ProgramYear, Stage, VillageKind
from program.services import add_activity, add_village, create_program_year
from reports.management.commands.seed_reports import SimpleSeed, seed_reports

DEMO_PASSWORD = "DesaCantik-2026"

PROVINCE_USERS = [
    ("admin", "Administrator Sistem", Role.ADMIN),
    ("kepala", "Kepala BPS Provinsi Bengkulu", Role.KEPALA),
    ("ketua.tim", "Ketua Tim RB dan Pembinaan Statistik", Role.KETUA_TIM),
    ("tim.provinsi", "Tim Desa Cantik Provinsi", Role.TIM_PROVINSI),
    ("viewer", "Pemantau Provinsi", Role.VIEWER),
]

# Known Desa Cantik villages of Bengkulu (reference/domain.md), by Kemendagri code.
KNOWN_2025 = {
    "1701": [("17.01.04.2021", VillageKind.UTAMA), ("17.01.05.2018", VillageKind.BERKELANJUTAN)],
    "1703": [("17.03.09.2003", VillageKind.BERKELANJUTAN), ("17.03.07.2005", VillageKind.TAMBAHAN)],
    "1771": [("17.71.07.1001", VillageKind.UTAMA), ("17.71.07.1008", VillageKind.BERKELANJUTAN)],
}


# stage, activity, target output, planned start and end (month, day) in the program year
WORK_PLAN = [
    (Stage.KOORDINASI, "Koordinasi dengan pemerintah desa", "Notulen koordinasi", (3, 2), (3, 20)),
    (
        Stage.KOORDINASI,
        "Sosialisasi dan pencanangan Desa Cantik",
        "Berita acara pencanangan",
        (4, 6),
        (4, 30),
    ),
    (
        Stage.IDENTIFIKASI,
        "Identifikasi kebutuhan data desa",
        "Kuesioner identifikasi terisi",
        (5, 4),
        (6, 12),
    ),
    (
        Stage.PERENCANAAN,
        "Penyusunan rencana pembinaan",
        "Rencana kerja pembinaan",
        (6, 15),
        (6, 30),
    ),
    (
        Stage.PELAKSANAAN,
        "Pelatihan agen statistik",
        "Daftar hadir dan materi pelatihan",
        (7, 1),
        (8, 28),
    ),
    (Stage.PELAKSANAAN, "Penyusunan monografi desa", "Monografi desa", (8, 3), (10, 30)),
    (Stage.PELAKSANAAN, "Pengembangan website data desa", "Website data desa", (9, 1), (12, 1)),
    (Stage.MONEV, "Evaluasi dan penilaian mandiri", "LKE penilaian mandiri", (11, 16), (12, 18)),
]


def _slug(office: Office) -> str:
    return office.short_name.lower().replace(" ", "-")


class Command(BaseCommand):
    help = "Load demo program years, villages and users (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when a program year exists"
        )

    @transaction.atomic
    def handle(self, *, if_empty: bool, **options):
        if if_empty and ProgramYear.objects.exists():
            self.stdout.write("Program data already present: demo not loaded.")
            return
        self.password_hash = make_password(DEMO_PASSWORD)
        if not Office.objects.exists():
            call_command("load_reference", stdout=self.stdout)
        province = Office.objects.get(code="1700")
        users = {}
        for username, name, role in PROVINCE_USERS:
            users[username] = self._user(username, name, province, role)
        admin = users["admin"]
        if not (admin.is_staff and admin.is_superuser):
            admin.is_staff = admin.is_superuser = True
            admin.save(update_fields=["is_staff", "is_superuser"])
        kabkota = list(Office.objects.filter(parent=province).order_by("code"))
        for office in kabkota:
            slug = _slug(office)
            self._user(
                f"tim.{slug}", f"Tim Desa Cantik {office.short_name}", office, Role.TIM_KABKOTA
            )
            self._user(
                f"pembina1.{slug}", f"Pembina 1 {office.short_name}", office, Role.TIM_KABKOTA
            )
            self._user(
                f"pembina2.{slug}", f"Pembina 2 {office.short_name}", office, Role.TIM_KABKOTA
            )
            self._user(
                f"kepala.{slug}", f"Kepala BPS {office.short_name}", office, Role.PIMPINAN_KABKOTA
            )
        lead = users["ketua.tim"]
        for office in kabkota:
            desa = list(
                Region.objects.filter(
                    level=Region.Level.DESA, code__startswith=office.region.code + "."
                ).order_by("code")
            )
            picks = [desa[len(desa) * k // 7] for k in range(1, 7)]
            known = [
                (Region.objects.get(code=c), kind) for c, kind in KNOWN_2025.get(office.code, [])
            ]
            taken = {r.code for r, _k in known}
            fill = [r for r in picks if r.code not in taken]
            plan_2025 = known + [
                (r, VillageKind.UTAMA if not known else VillageKind.TAMBAHAN)
                for r in fill[: 3 - len(known)]
            ]
            continuing = plan_2025[0][0]
            new = [r for r in fill if r.code not in {p.code for p, _k in plan_2025}]
            plan_2026 = [
                (new[0], VillageKind.UTAMA),
                (new[1], VillageKind.TAMBAHAN),
                (continuing, VillageKind.BERKELANJUTAN),
            ]
            for year, plan in ((2025, plan_2025), (2026, plan_2026)):
                program_year = ProgramYear.objects.filter(province=province, year=year).first()
                if program_year is None:
                    program_year = create_program_year(province, year=year, by=lead)
                staff = list(
                    User.objects.filter(username__startswith="pembina", memberships__office=office)
                )
                for index, (village, kind) in enumerate(plan):
                    if ParticipatingVillage.objects.filter(
                        program_year=program_year, village=village
                    ).exists():
                        continue
                    add_village(
                        program_year,
                        village=village,
                        office=office,
                        kind=kind,
                        pembina=[staff[index % len(staff)]],
                        by=lead,
                    )
        self._work_plans(lead)
        # Reports for the villages that have none yet (the demo only: a real database never
        # reaches this line, see --if-empty above).
        seed_reports(SimpleSeed(rng=random.Random(2026)))
        self.stdout.write(
            f"Demo loaded: {ProgramYear.objects.count()} program years, "
            f"{ParticipatingVillage.objects.count()} villages, {User.objects.count()} users. "
            f"Password for every demo login: {DEMO_PASSWORD}"
        )

    def _work_plans(self, lead: User) -> None:
        """A work plan for every village without one: the past year fully realised, the
        current one in every state (on time, late, overdue, due soon, not yet due), so the
        dashboard has something to show."""
        today = timezone.localdate()
        villages = ParticipatingVillage.objects.filter(activities__isnull=True).select_related(
            "program_year", "office"
        )
        for index, village in enumerate(villages.order_by("program_year__year", "pk")):
            year = village.program_year.year
            author = (
                User.objects.filter(
                    memberships__office=village.office, username__startswith="tim."
                ).first()
                or lead
            )
            for number, (stage, name, output, start, end) in enumerate(WORK_PLAN):
                planned_start, planned_end = date(year, *start), date(year, *end)
                values = {
                    "stage": stage,
                    "name": name,
                    "pelaksana": "Pembina dan agen statistik",
                    "target_output": output,
                    "planned_start": planned_start,
                    "planned_end": planned_end,
                }
                # Offices further down the list leave more undone (index // 3 is the office).
                pattern = (index + number) % (9 - index // 3 % 6)
                if planned_end < today and pattern != 0:  # pattern 0 stays open: overdue
                    late = pattern == 1
                    realised = planned_end + timedelta(days=6 if late else -2)
                    values |= {
                        "realised_on": min(realised, today),
                        "realisation_output": output,
                    }
                add_activity(village, by=author, **values)

    def _user(self, username: str, name: str, office: Office, role: str) -> User:
        user, created = User.objects.get_or_create(
            username=username, defaults={"full_name": name, "email": f"{username}@example.org"}
        )
        if created:
            # One hash for all demo logins: hashing 45 passwords would take 15 seconds.
            user.password = self.password_hash
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, office=office, role=role)
        return user
