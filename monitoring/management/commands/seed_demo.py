"""Demo data: program years 2025 and 2026, three villages per kab/kota per year drawn from the
real Bengkulu regions (the known Desa Cantik villages among them), one login per role with a
person's name and NIP (BPS RI's national roles too), work plans in every state and reports
(reviewed by the province team; an approved report's work-plan activity is realised), two
meetings of 2026 (one closed with attendance, minutes and action items, one scheduled), the
2026 LKE opened with worksheets in every state, the 2025 LKE signed with its Blok II nominees, and
a signed recap. Everything after the users
goes through the services, so it is audited like real work. Running it again changes nothing.
It lives in monitoring, the one app that may import all the others."""

import random
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.deadlines import JAKARTA, Unit
from core.models import Membership, Office, Region, Role, User
from core.services import national_office
from lke.models import Assessment, Instrument, ItemKind, Level, Target, Worksheet
from lke.queries import nomination_items
from lke.scoring import instrument_tree, required_items, tree_items
from lke.services import (
    accept_self_answers,
    add_evidence_link,
    finalise_worksheet,
    import_answers,
    missing_evidence,
    open_assessment,
    save_answer,
    sign_off_results,
    start_verification,
    submit_worksheet,
)
from meetings.models import Attendance, Meeting
from meetings.queries import meeting_periods, period_label
from meetings.services import (
    AgendaEntry,
    AttendanceEntry,
    add_action_item,
    close_meeting,
    create_meeting,
    hold_meeting,
    record_attendance,
    record_minutes,
    schedule_meeting,
)
from monitoring.models import Recap
from monitoring.queries import monitoring_periods
from monitoring.services import generate_recap, sign_recap
from program.models import (
    ParticipatingVillage,
    ProgramYear,
    SopActivity,
    Stage,
    VillageKind,
    WorkPlanActivity,
)
from program.services import (
    add_activity,
    add_village,
    create_program_year,
    update_activity,
    update_program_year_settings,
    update_sop_activity,
)
from reports.management.commands.seed_reports import SimpleSeed, seed_reports
from reports.models import Report, ReportKind, ReportState

DEMO_PASSWORD = "DesaCantik-2026"

# Fictitious people: names as documents print them (with titles); none is a real official.
PROVINCE_USERS = [
    ("admin", "Rudi Hartono, S.Kom.", Role.ADMIN),
    ("kepala", "Dr. Hendra Wijaya, S.E., M.Si.", Role.KEPALA),
    ("ketua.tim", "Nur Aisyah, S.ST., M.Stat.", Role.KETUA_TIM),
    ("tim.provinsi", "Dimas Prasetyo, S.Tr.Stat.", Role.TIM_PROVINSI),
    ("viewer", "Maya Sari, S.E.", Role.VIEWER),
]
FIRST_NAMES = [
    "Andi", "Bayu", "Citra", "Dian", "Eka", "Fajar", "Gita", "Hasan", "Indah", "Joko",
    "Kurnia", "Lina", "Made", "Nanda", "Oktavia", "Putri", "Rahmat", "Sinta", "Taufik", "Wulan",
]  # fmt: skip
LAST_NAMES = [
    "Saputra", "Lestari", "Pratama", "Handayani", "Nugroho", "Rahmawati", "Siregar", "Utami",
    "Hidayat", "Permata", "Kusuma", "Syahputra", "Anggraini", "Firmansyah", "Marlina",
]  # fmt: skip
TITLES = ["S.ST.", "S.Si.", "S.Tr.Stat.", "S.E.", "S.ST., M.Si.", "A.Md.Stat."]

# BPS RI: read every province, change nothing of a province's work
NATIONAL_USERS = [
    ("pimpinan.nasional", "Dr. Ratna Kumalasari, S.Si., M.Stat.", Role.PIMPINAN_NASIONAL),
    ("tim.nasional", "Yudi Permana, S.ST.", Role.TIM_NASIONAL),
]

# A second province with a little data, so the national view compares two (issue 15): its own
# team, two kab/kota, two villages each in 2026, and its own calendar (working days, a shorter
# sosialisasi report standard). Its regions are fictitious in shape but carry the real codes.
SECOND_PROVINCE = {
    "code": "16",
    "name": "SUMATERA SELATAN",
    "short": "Sumatera Selatan",
    "kabkota": [
        ("01", "KAB. OGAN KOMERING ULU", "BPS Kabupaten Ogan Komering Ulu", "Ogan Komering Ulu"),
        ("71", "KOTA PALEMBANG", "BPS Kota Palembang", "Palembang"),
    ],
    "kecamatan": ["Baturaja Timur", "Lengkiti"],
    "desa": ["Sukaraya", "Tanjung Agung", "Air Paoh"],
    "users": [
        ("ketua.tim.sumsel", "Ahmad Fauzan, S.ST., M.Si.", Role.KETUA_TIM),
        ("tim.provinsi.sumsel", "Rini Oktaviani, S.Tr.Stat.", Role.TIM_PROVINSI),
    ],
}

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
        self.names = iter(_people())
        if not Office.objects.exists():
            call_command("load_reference", stdout=self.stdout)
        province = Office.objects.get(code="1700")
        users = {}
        for username, name, role in PROVINCE_USERS:
            users[username] = self._user(username, name, province, role)
        nasional = national_office()
        for username, name, role in NATIONAL_USERS:
            self._user(username, name, nasional, role)
        admin = users["admin"]
        if not (admin.is_staff and admin.is_superuser):
            admin.is_staff = admin.is_superuser = True
            admin.save(update_fields=["is_staff", "is_superuser"])
        kabkota = list(Office.objects.filter(parent=province).order_by("code"))
        for office in kabkota:
            slug = _slug(office)
            for username, role in (
                (f"tim.{slug}", Role.TIM_KABKOTA),
                (f"pembina1.{slug}", Role.TIM_KABKOTA),
                (f"pembina2.{slug}", Role.TIM_KABKOTA),
                (f"kepala.{slug}", Role.PIMPINAN_KABKOTA),
            ):
                self._user(username, None, office, role)
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
        self._second_province()
        self._work_plans(lead)
        # Reports for the villages that have none yet (the demo only: a real database never
        # reaches this line, see --if-empty above).
        seed_reports(SimpleSeed(rng=random.Random(2026)))
        self._realise_reported(lead)
        self._meetings(province, users)
        self._lke(province, users)
        self._signed_lke(province, users)
        self._recap(province, users)
        self.stdout.write(
            f"Demo loaded: {ProgramYear.objects.count()} program years, "
            f"{ParticipatingVillage.objects.count()} villages, {User.objects.count()} users. "
            f"Password for every demo login: {DEMO_PASSWORD}"
        )

    def _second_province(self) -> None:
        """BPS Provinsi Sumatera Selatan (SECOND_PROVINCE): offices, regions, team and 2026
        villages; its work plans and reports come with everyone's below. Its calendar counts
        working days and gives the sosialisasi report 10 days instead of the SOP's two weeks."""
        from .seed_scale import _ensure_regions  # seed_scale imports this module

        spec = SECOND_PROVINCE
        code = spec["code"]
        if Office.objects.filter(code=f"{code}00").exists():
            return
        rows = [(code, spec["name"], Region.Level.PROVINSI, None)]
        for number, region_name, _name, _short in spec["kabkota"]:
            kab = f"{code}.{number}"
            rows.append((kab, region_name, Region.Level.KABKOTA, code))
            for k, kecamatan in enumerate(spec["kecamatan"], start=1):
                kec = f"{kab}.{k:02d}"
                rows.append((kec, kecamatan.upper(), Region.Level.KECAMATAN, kab))
                first = 1 if number >= "71" else 2  # a kelurahan code starts with 1 (Region)
                for d, desa in enumerate(spec["desa"], start=1):
                    rows.append((f"{kec}.{first}{d:03d}", desa.upper(), Region.Level.DESA, kec))
        regions = _ensure_regions(rows)
        province = Office.objects.create(
            code=f"{code}00",
            region_id=regions[code],
            name=f"BPS Provinsi {spec['short']}",
            short_name=spec["short"],
            kind=Office.Kind.PROVINSI,
        )
        users = {u: self._user(u, name, province, role) for u, name, role in spec["users"]}
        lead = users["ketua.tim.sumsel"]
        program_year = create_program_year(province, year=DEMO_YEAR, by=lead)
        update_program_year_settings(program_year, working_days=True, soon_days=5, by=lead)
        sosialisasi = program_year.sop_activities.get(code=SopActivity.Code.SOSIALISASI)
        update_sop_activity(
            sosialisasi,
            amount=10,
            unit=Unit.DAY,
            window_start=sosialisasi.window_start,
            anchor_label=sosialisasi.anchor_label,
            by=lead,
        )
        for number, _region_name, name, short in spec["kabkota"]:
            office = Office.objects.create(
                code=f"{code}{number}",
                region_id=regions[f"{code}.{number}"],
                name=name,
                short_name=short,
                kind=Office.Kind.KABKOTA,
                parent=province,
            )
            slug = _slug(office)
            self._user(f"tim.{slug}", None, office, Role.TIM_KABKOTA)
            pembina = self._user(f"pembina1.{slug}", None, office, Role.TIM_KABKOTA)
            first = 1 if number >= "71" else 2
            for d, kind in ((1, VillageKind.UTAMA), (2, VillageKind.TAMBAHAN)):
                add_village(
                    program_year,
                    village=Region.objects.get(pk=regions[f"{code}.{number}.0{d}.{first}00{d}"]),
                    office=office,
                    kind=kind,
                    pembina=[pembina],
                    by=lead,
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

    def _user(self, username: str, name: str | None, office: Office, role: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            # One hash for all demo logins: hashing 45 passwords would take 15 seconds.
            user = User.objects.create(
                username=username,
                email=f"{username}@example.org",
                full_name=name or next(self.names),
                nip=_nip(username),
                password=self.password_hash,
            )
        Membership.objects.get_or_create(user=user, office=office, role=role)
        return user

    def _realise_reported(self, lead: User) -> None:
        """A submitted report means its work-plan activity took place: realised on the report's
        date (the pencanangan, the identification visit), through the work-plan service, so
        the work plan, the report and the laporan akhir tell the same date."""
        today = timezone.localdate()
        done = (ReportState.SUBMITTED, ReportState.RETURNED, ReportState.APPROVED)
        reports = Report.objects.filter(state__in=done, kind__in=REPORTED_ACTIVITY).select_related(
            "village__office"
        )
        for report in reports:
            activity = WorkPlanActivity.objects.filter(
                village=report.village, name=REPORTED_ACTIVITY[report.kind]
            ).first()
            day = min(report.anchor_date, today)
            if activity is None or activity.realised_on == day:
                continue
            update_activity(
                activity,
                version=activity.version,
                realised_on=day,
                realisation_output=activity.target_output,
                realisation_notes="Terlaksana sesuai laporan yang disetujui.",
                by=_office_user(report.village.office, "tim.") or lead,
            )

    def _meetings(self, province: Office, users: dict[str, User]) -> None:
        """The bimonthly online meeting of every ended period, held and closed with attendance
        and minutes (the last with its action items still open), and the next one scheduled."""
        program_year = ProgramYear.objects.get(province=province, year=DEMO_YEAR)
        if Meeting.objects.filter(program_year=program_year).exists():
            return
        lead, team = users["ketua.tim"], users["tim.provinsi"]
        today = timezone.localdate()
        periods = meeting_periods(program_year)
        past = [p for p in periods if p[1] < today]
        if not past:
            return
        offices = list(Office.objects.filter(parent=province).order_by("code"))
        agenda = [
            AgendaEntry("Capaian pembinaan per kabupaten/kota", "Ketua Tim Provinsi", 30),
            AgendaEntry("Kendala laporan dan LKE", "Tim kabupaten/kota", 45),
            AgendaEntry("Tindak lanjut dan rencana periode berikutnya", "Ketua Tim Provinsi", 15),
        ]
        for number, period in enumerate(past, start=1):
            start = period[0]
            held_day = start + timedelta(days=20)
            while held_day.weekday() >= 5:
                held_day += timedelta(days=1)
            closed = create_meeting(
                program_year,
                title=f"Rapat monev Desa Cantik {period_label(*period)}",
                period_start=start,
                starts_at=datetime.combine(held_day, time(9, 0), tzinfo=JAKARTA),
                ends_at=datetime.combine(held_day, time(11, 0), tzinfo=JAKARTA),
                platform="Zoom",
                link=f"https://zoom.us/j/17002000{number:02d}",
                invited_offices=offices,
                invited_staff=[lead, team],
                agenda=agenda,
                by=team,
            )
            schedule_meeting(closed, by=team, site_url=SITE_URL, confirm_past=True)
            hold_meeting(closed, by=team)
            entries = []
            for index, office in enumerate(offices):
                people = User.objects.filter(memberships__office=office).order_by("username")
                if index == (number * 3) % len(offices):
                    entries.append(
                        AttendanceEntry(
                            office, Attendance.Status.IZIN, note="Bertepatan dengan Sensus Ekonomi"
                        )
                    )
                else:
                    names = "\n".join(u.full_name for u in people[:2])
                    entries.append(
                        AttendanceEntry(office, Attendance.Status.HADIR, attendees=names)
                    )
            record_attendance(closed, entries=entries, by=team)
            record_minutes(
                closed,
                minutes={
                    item.pk: text
                    for item, text in zip(
                        closed.agenda_items.order_by("position"),
                        (
                            "Sebagian besar desa telah dicanangkan; laporan identifikasi masih "
                            "tertinggal di beberapa kabupaten.",
                            "Bukti dukung LKE sering hanya berupa undangan; tim diminta melengkapi "
                            "notulen dan daftar hadir.",
                            "Rapat berikutnya membahas hasil penilaian mandiri.",
                        ),
                        strict=False,
                    )
                },
                decisions="Laporan identifikasi yang belum masuk diserahkan paling lambat dua "
                "minggu setelah rapat.",
                by=team,
            )
            if number == len(past):  # the follow-ups of the last meeting are still open
                for office in offices[:3]:
                    add_action_item(
                        closed,
                        owner_office=office,
                        description="Lengkapi laporan identifikasi kebutuhan data desa",
                        due_date=held_day + timedelta(days=14),
                        by=team,
                    )
                add_action_item(
                    closed,
                    owner_office=province,
                    description="Kirim panduan bukti dukung LKE 2026 ke semua kabupaten/kota",
                    due_date=held_day + timedelta(days=7),
                    by=team,
                )
            # the office numbers its Laporan rapat as it numbers its recaps (nomor surat)
            report_number = f"B-{20 + number}/17000/VS.310/{held_day:%m}/{held_day:%Y}"
            close_meeting(closed, number=report_number, by=lead)
        upcoming = [p for p in periods if p[1] >= today]
        if upcoming:
            day = max(upcoming[0][0], today + timedelta(days=7))
            while day.weekday() >= 5:
                day += timedelta(days=1)
            scheduled = create_meeting(
                program_year,
                title=f"Rapat monev Desa Cantik {period_label(*upcoming[0])}",
                period_start=upcoming[0][0],
                starts_at=datetime.combine(day, time(9, 0), tzinfo=JAKARTA),
                ends_at=datetime.combine(day, time(11, 0), tzinfo=JAKARTA),
                platform="Zoom",
                link="https://zoom.us/j/1700200099",
                invited_offices=offices,
                invited_staff=[lead, team],
                agenda=agenda,
                by=team,
            )
            schedule_meeting(scheduled, by=team, site_url=SITE_URL)

    def _lke(self, province: Office, users: dict[str, User]) -> None:
        """The 2026 LKE opened, its worksheets in every state: a few finalised, some in
        verification, some submitted, some being filled, the rest not started."""
        program_year = ProgramYear.objects.get(province=province, year=DEMO_YEAR)
        instrument = Instrument.objects.filter(year=DEMO_YEAR).order_by("-pk").first()
        if instrument is None or Assessment.objects.filter(program_year=program_year).exists():
            return
        lead, team = users["ketua.tim"], users["tim.provinsi"]
        assessment = open_assessment(program_year, instrument=instrument, by=lead)
        rng = random.Random(DEMO_YEAR)
        villages = assessment.worksheets.filter(target=Target.VILLAGE).order_by(
            "village__office__code", "pk"
        )
        offices = assessment.worksheets.filter(target=Target.OFFICE).order_by("office__code")
        # The first offices are furthest along; the rest have not started.
        plan = [*zip(villages, [*LKE_STAGES, *LKE_STAGES], strict=False)]
        plan += zip(offices, LKE_STAGES[2:], strict=False)
        for worksheet, stage in plan:
            self._fill_worksheet(worksheet, stage, team, lead, rng)

    def _signed_lke(self, province: Office, users: dict[str, User]) -> None:
        """The past year's LKE done to the end: every worksheet answered, verified, finalised
        and the results signed by the head, each kab/kota nominating its best one or two
        villages for Desa Cantik Terbaik (Blok II 1a, 2a, 2b), so the national nominees list
        has a signed province. The past year uses the newest instrument as well: the shipped
        2024 example has no 2b rank and no national form codes."""
        program_year = ProgramYear.objects.get(province=province, year=SIGNED_YEAR)
        instrument = Instrument.objects.filter(year__lte=DEMO_YEAR).order_by("-year", "-pk").first()
        if instrument is None or Assessment.objects.filter(program_year=program_year).exists():
            return
        lead, team = users["ketua.tim"], users["tim.provinsi"]
        assessment = open_assessment(program_year, instrument=instrument, by=lead)
        trees = {t: instrument_tree(instrument, t) for t in Target.values}
        nomination = nomination_items(trees[Target.VILLAGE])
        rng = random.Random(SIGNED_YEAR)
        offices = Office.objects.filter(parent=province).order_by("code")
        for number, office in enumerate(offices):
            writer = _office_user(office, "tim.")
            sheets = list(
                assessment.worksheets.filter(target=Target.VILLAGE, village__office=office)
                .select_related("village__village")
                .order_by("village__village__code")
            )
            nominated = sheets[: 1 + number % 2]  # one or two nominees per kab/kota
            for worksheet in sheets:
                rank = nominated.index(worksheet) + 1 if worksheet in nominated else None
                texts = {"count": str(len(nominated)), "rank": str(rank) if rank else ""}
                self._answer_all(
                    worksheet, trees[Target.VILLAGE], nomination, rank, texts, writer, rng
                )
            office_sheet = assessment.worksheets.get(target=Target.OFFICE, office=office)
            self._answer_all(office_sheet, trees[Target.OFFICE], {}, None, {}, writer, rng)
        for worksheet in assessment.worksheets.select_related("office", "village__office"):
            writer = _office_user(
                worksheet.village.office if worksheet.village_id else worksheet.office, "tim."
            )
            _add_evidence(worksheet, writer)
            worksheet = submit_worksheet(worksheet, by=writer)
            worksheet = start_verification(worksheet, by=team)
            accept_self_answers(worksheet, by=team)
            finalise_worksheet(worksheet, by=lead)
        sign_off_results(
            assessment,
            record={
                "number": f"B-88/17000/VS.300/12/{SIGNED_YEAR}",
                "place": "Bengkulu",
                "date": timezone.localdate(),
                "lead": lead,
            },
            by=users["kepala"],
        )

    def _answer_all(self, worksheet, tree, nomination, rank, texts, writer, rng) -> None:
        """Every choice item answered at once (import_answers, as an uploaded worksheet file
        is), the best options more often for a nominee; Blok II as `rank` says (2a = Ya for a
        nominee) and its texts (1a, 2b)."""
        roles = {item.pk: role for role, item in nomination.items()}
        rows = []
        for item in tree_items(tree):
            role = roles.get(item.pk)
            option, text = None, ""
            if item.kind == ItemKind.CHOICE:
                options = sorted(item.options.all(), key=lambda o: o.score)
                if role == "nominated":
                    option = options[-1] if rank else options[0]
                else:
                    good = 0.85 if rank else 0.55
                    option = options[-1] if rng.random() < good else rng.choice(options)
            elif item.kind == ItemKind.TEXT and texts.get(role):
                text = texts[role]
            else:
                continue
            rows.append(
                {
                    "row": len(rows) + 2,
                    "code": item.code,
                    "option": option,
                    "text": text,
                    "note": "",
                    "reason": "",
                    "version": 0,
                }
            )
        import_answers(worksheet, rows, level=Level.SELF, by=writer)

    def _fill_worksheet(
        self, worksheet, stage: str, team: User, lead: User, rng: random.Random
    ) -> None:
        """Answered by the office's kab/kota team, verified by the province team, finalised by
        the team lead (the roles lke.services checks)."""
        office = worksheet.office if worksheet.target == Target.OFFICE else worksheet.village.office
        writer = _office_user(office, "tim.")
        instrument = worksheet.assessment.instrument
        tree = instrument_tree(instrument, worksheet.target)
        nominee = self._nominate(worksheet, tree, writer)
        items = [i for i in required_items(tree) if i.pk not in nominee]
        for item in items if stage != "filling" else items[: len(items) // 2]:
            options = sorted(item.options.all(), key=lambda o: o.score)
            option = options[-1] if rng.random() < 0.6 else rng.choice(options)
            save_answer(worksheet, item=item, level=Level.SELF, option=option, version=0, by=writer)
        if stage == "filling":
            return
        _add_evidence(worksheet, writer)
        worksheet = submit_worksheet(worksheet, by=writer)
        if stage == "submitted":
            return
        worksheet = start_verification(worksheet, by=team)
        accept_self_answers(worksheet, by=team)
        if stage == "finalised":
            finalise_worksheet(worksheet, by=lead)

    def _nominate(self, worksheet, tree, writer: User) -> set[int]:
        """Blok II of a village worksheet, consistent across its office (lke.nomination): every
        village nominated (2a Ya), 1a the office's number of villages, 2b the village's place.
        Returns the ids of the items answered here."""
        items = nomination_items(tree)
        if worksheet.target != Target.VILLAGE or "nominated" not in items:
            return set()
        siblings = list(
            Worksheet.objects.filter(
                assessment=worksheet.assessment_id,
                office=worksheet.office_id,
                target=Target.VILLAGE,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        texts = {"count": str(len(siblings)), "rank": str(siblings.index(worksheet.pk) + 1)}
        for role in ("count", "nominated", "rank"):
            item = items.get(role)
            if item is None:
                continue
            option = max(item.options.all(), key=lambda o: o.score) if role == "nominated" else None
            save_answer(
                worksheet,
                item=item,
                level=Level.SELF,
                option=option,
                text=texts.get(role, ""),
                version=0,
                by=writer,
            )
        return {item.pk for item in items.values()}

    def _recap(self, province: Office, users: dict[str, User]) -> None:
        """The recap of every ended monitoring period, generated by the team and signed by the
        head, each as it stood at its period's end."""
        program_year = ProgramYear.objects.get(province=province, year=DEMO_YEAR)
        if Recap.objects.filter(program_year=program_year).exists():
            return
        today = timezone.localdate()
        ended = [
            n for n, (_s, end) in enumerate(monitoring_periods(program_year), 1) if end < today
        ]
        if not ended:
            return
        for period in ended:
            recap = generate_recap(
                program_year,
                period=period,
                narrative="Pencanangan telah dilaksanakan di hampir semua desa; laporan "
                "identifikasi dan laporan akhir masih perlu dipercepat di beberapa kabupaten.",
                by=users["tim.provinsi"],
            )
            sign_recap(
                recap,
                number=f"B-{40 + recap.period}/17000/VS.300/{recap.period_end:%m/%Y}",
                place="Bengkulu",
                by=users["kepala"],
            )


DEMO_YEAR = 2026
SIGNED_YEAR = 2025  # its LKE results signed, with nominees
SITE_URL = "http://127.0.0.1:8000"
REPORTED_ACTIVITY = {
    ReportKind.SOSIALISASI: "Sosialisasi dan pencanangan Desa Cantik",
    ReportKind.IDENTIFIKASI: "Identifikasi kebutuhan data desa",
}
LKE_STAGES = ("finalised", "verification", "submitted", "filling")


def _add_evidence(worksheet, writer: User) -> None:
    """A link for every answer whose Rule Validasi asks for evidence (#10 pt 4), as a kab/kota
    team gives one before submitting."""
    for item in missing_evidence(worksheet):
        add_evidence_link(
            worksheet,
            item=item,
            url=f"https://desa-cantik.example.id/bukti/{worksheet.pk}/{item.code}",
            title=f"Bukti dukung {item.code}",
            by=writer,
        )


def _office_user(office: Office, prefix: str) -> User | None:
    return (
        User.objects.filter(memberships__office=office, username__startswith=prefix)
        .order_by("username")
        .first()
    )


def _people() -> list[str]:
    """Distinct names with titles, the same on every run."""
    rng = random.Random(17)
    pairs = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(pairs)
    return [f"{first} {last}, {rng.choice(TITLES)}" for first, last in pairs]


def _nip(username: str) -> str:
    """An 18-digit NIP of the civil-service shape: birth date, appointment month, sex, number."""
    rng = random.Random(username)
    born = date(rng.randint(1970, 1996), rng.randint(1, 12), rng.randint(1, 28))
    appointed = (born.year + rng.randint(22, 28), rng.randint(1, 12))
    return (
        f"{born:%Y%m%d}{appointed[0]}{appointed[1]:02d}{rng.randint(1, 2)}{rng.randint(1, 9):03d}"
    )
