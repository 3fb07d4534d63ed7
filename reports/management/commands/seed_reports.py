"""Synthetic reports for every participating village that has none: demo data and the reports
step of the national-scale bench data set (monitoring's seed_scale appends `seed_reports` to its
STEPS; this module imports nothing from monitoring, the step only needs an object with `rng`,
`today` and `batch(default)`).

For each village, as of `today`: the sosialisasi report of a pencanangan between April and
August, the identification report of a visit 2–6 weeks later, the final report of coaching
that ended in October or November, each only once its date has passed. Most are submitted
within the SOP's two weeks, some late, a few not yet; of the submitted ones most are approved,
some after one return, some wait for review or for the kab/kota's fix. A program year that
has ended is closed: all its reports are submitted (most on time) and approved. Versions hold real
snapshots. Synthetic shortcuts, said plainly: every attachment row of one document kind
points at one shared stored sample file, and no audit rows are written (the seed's audit step
fills the log)."""

import hashlib
import io
import random
import uuid
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from core.deadlines import JAKARTA
from core.models import Attachment, Membership, Role
from program.models import ParticipatingVillage, VillageAgent
from reports.models import (
    COACHING_FIELDS,
    NeedItem,
    Purpose,
    Report,
    ReportKind,
    ReportState,
    ReportVersion,
    Review,
    StatisticalAgent,
    Topic,
)
from reports.queries import snapshot_of

PDF = b"%PDF-1.4\n% Monev Desa Cantik: synthetic sample document\n%%EOF\n"


@cache
def _photo() -> bytes:
    """A stand-in for the pencanangan photo: a real PNG (a sky, a field, a banner), so the
    documents that embed photos show one. Drawn on first use, once per process: importing
    this module (every test run, every `manage.py` command) draws nothing."""
    from PIL import Image, ImageDraw  # weasyprint's own dependency

    image = Image.new("RGB", (1200, 800), (135, 190, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 520, 1200, 800), fill=(90, 150, 70))
    draw.rectangle((200, 260, 1000, 420), fill=(250, 250, 245), outline=(20, 80, 140), width=8)
    draw.text((230, 300), "PENCANANGAN DESA CANTIK", fill=(20, 80, 140), font_size=42)
    draw.text((230, 360), "Desa Cinta Statistik", fill=(60, 60, 60), font_size=30)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


# (original name, content type, extension, content): content is the bytes, or the function that
# makes them when the sample is first stored (the photo).
SAMPLES = {
    Purpose.UNDANGAN: ("undangan.pdf", "application/pdf", ".pdf", PDF),
    Purpose.DAFTAR_HADIR: ("daftar-hadir.pdf", "application/pdf", ".pdf", PDF),
    Purpose.NOTULEN: ("notulen.pdf", "application/pdf", ".pdf", PDF),
    Purpose.DOKUMENTASI: ("foto-pencanangan.png", "image/png", ".png", _photo),
    Purpose.KUESIONER: ("kuesioner-identifikasi.pdf", "application/pdf", ".pdf", PDF),
    Purpose.LAPORAN_FINAL: ("laporan-akhir-ttd.pdf", "application/pdf", ".pdf", PDF),
}
REQUIRED = {
    ReportKind.SOSIALISASI: (
        Purpose.UNDANGAN,
        Purpose.DAFTAR_HADIR,
        Purpose.NOTULEN,
        Purpose.DOKUMENTASI,
    ),
    ReportKind.IDENTIFIKASI: (Purpose.KUESIONER,),
    ReportKind.LAPORAN_AKHIR: (Purpose.LAPORAN_FINAL,),
}
NEEDS = {
    NeedItem.Section.DATA: [
        (Topic.KEPENDUDUKAN, "Jumlah penduduk menurut dusun dan jenis kelamin"),
        (Topic.KESEHATAN, "Balita stunting per dusun"),
        (Topic.PENDIDIKAN, "Anak usia sekolah yang tidak bersekolah"),
        (Topic.EKONOMI, "Jumlah UMKM menurut jenis usaha"),
        (Topic.KEMISKINAN, "Keluarga penerima bantuan sosial"),
        (Topic.INFRASTRUKTUR, "Kondisi jalan desa"),
        (Topic.PERTANIAN, "Luas panen dan produksi padi"),
    ],
    NeedItem.Section.ACTIVITY: [
        (Topic.KEPENDUDUKAN, "Pemutakhiran data penduduk"),
        (Topic.KEMISKINAN, "Pendataan keluarga miskin"),
        (Topic.PERTANIAN, "Pendataan potensi pertanian"),
        (Topic.LAINNYA, "Penyusunan publikasi desa dalam angka"),
    ],
}
FIRST_NAMES = ["Siti", "Budi", "Dewi", "Ahmad", "Rina", "Hendra", "Yuni", "Agus", "Lestari"]
LAST_NAMES = ["Aminah", "Santoso", "Lestari", "Gunawan", "Wati", "Saputra", "Rahmawati"]


@dataclass
class SimpleSeed:
    """What the step needs when run on its own (`manage.py seed_reports`)."""

    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    today: date = field(default_factory=timezone.localdate)

    def batch(self, default: int) -> int:
        return default if connection.vendor == "postgresql" else min(default, 5000)


def _moment(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 16), rng.randint(0, 59)), tzinfo=JAKARTA)


def _samples() -> dict[str, tuple[str, str, str, str, int]]:
    """(stored name, original name, content type, sha256, size) per document kind, stored once."""
    result = {}
    for purpose, (name, content_type, extension, content) in SAMPLES.items():
        if callable(content):
            content = content()
        stored = f"attachments/seed/{purpose}{extension}"
        if not default_storage.exists(stored):
            stored = default_storage.save(stored, ContentFile(content))
        result[purpose] = (
            stored,
            name,
            content_type,
            hashlib.sha256(content).hexdigest(),
            len(content),
        )
    return result


@dataclass
class Plan:
    """One report to create, with its lists and its history."""

    report: Report
    agents: list[StatisticalAgent]
    needs: list[NeedItem]
    submissions: list[datetime]  # one per version
    decisions: list[tuple[str, datetime]]  # (decision, when) per reviewed version


def _fill(rng: random.Random, report: Report) -> tuple[list, list]:
    agents, needs = [], []
    if report.kind == ReportKind.SOSIALISASI:
        report.place = rng.choice(["Balai Desa", "Aula Kantor Desa", "Kantor Lurah"])
        report.attendance_count = rng.randint(20, 80)
        report.notable_attendees = "Kepala Desa, Camat, Kepala BPS Kabupaten/Kota"
        report.charter_signed = rng.random() < 0.9
        for index in range(rng.randint(2, 4)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            taken = {a.name for a in agents}
            # one person is never listed twice: another family name, without a new draw
            # (later draws, and so the rest of the seeded data, stay as they were)
            shift = 0
            while f"{first} {last}" in taken:
                shift += 1
                last = LAST_NAMES[(LAST_NAMES.index(last) + shift) % len(LAST_NAMES)]
            agents.append(
                StatisticalAgent(
                    position=index,
                    name=f"{first} {last}",
                    role="Kaur Perencanaan" if index == 0 else "Pemuda desa",
                    is_village_official=index == 0,
                    sk_number=f"141/{rng.randint(1, 99)}/{report.anchor_date.year}",
                    sk_date=report.anchor_date,
                )
            )
    elif report.kind == ReportKind.IDENTIFIKASI:
        report.respondent_name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        report.respondent_position = "Sekretaris Desa"
        for name in COACHING_FIELDS:
            setattr(report, name, rng.random() < 0.6)
        position = 0
        for section, count in ((NeedItem.Section.DATA, 3), (NeedItem.Section.ACTIVITY, 2)):
            for topic, description in rng.sample(NEEDS[section], rng.randint(1, count)):
                needs.append(
                    NeedItem(
                        section=section, topic=topic, description=description, position=position
                    )
                )
                position += 1
    return agents, needs


def _plan(
    rng: random.Random, village, kind: str, anchor: date, today: date, writer, reviewed: bool
) -> Plan:
    report = Report(
        village=village,
        kind=kind,
        anchor_date=anchor,
        created_by_id=writer,
        last_action_by_id=writer,
        created_at=_moment(rng, anchor),
    )
    agents, needs = _fill(rng, report)
    draw = rng.random()
    # A program year that has ended is closed: every report was submitted and approved.
    closed = village.program_year.year < today.year
    if closed:
        draw *= 0.9
    delay = rng.randint(2, 14) if draw < 0.7 else rng.randint(15, 45)
    first = anchor + timedelta(days=delay)
    submissions, decisions = [], []
    if draw > 0.93 or first > today:  # not submitted yet
        report.state, report.last_action = ReportState.DRAFT, "updated"
        report.last_action_at = report.created_at
        return Plan(report, agents, needs, submissions, decisions)
    submissions.append(_moment(rng, first))
    review_day = first + timedelta(days=rng.randint(1, 10))
    outcome = rng.random() if not closed else 0.3 + 0.7 * rng.random()
    if not reviewed or review_day > today or outcome < 0.12:  # waiting for review
        state = ReportState.SUBMITTED
    elif outcome < 0.22:  # returned, the kab/kota has not fixed it yet
        decisions.append((Review.Decision.RETURNED, _moment(rng, review_day)))
        state = ReportState.RETURNED
    elif outcome < 0.4 and review_day + timedelta(days=10) <= today:  # approved after one return
        decisions.append((Review.Decision.RETURNED, _moment(rng, review_day)))
        again = review_day + timedelta(days=rng.randint(2, 5))
        submissions.append(_moment(rng, again))
        decisions.append((Review.Decision.APPROVED, _moment(rng, again + timedelta(days=3))))
        state = ReportState.APPROVED
    else:
        decisions.append((Review.Decision.APPROVED, _moment(rng, review_day)))
        state = ReportState.APPROVED
    report.state = state
    report.first_submitted_at = submissions[0]
    last = max([*submissions, *(at for _d, at in decisions)])
    report.last_action = {
        ReportState.SUBMITTED: "submitted",
        ReportState.RETURNED: "returned",
        ReportState.APPROVED: "approved",
    }[state]
    report.last_action_at = last
    return Plan(report, agents, needs, submissions, decisions)


def seed_reports(seed) -> dict[str, int]:
    """The reports step: every participating village without reports gets those whose date has
    passed by `seed.today`. Villages of an office without a tim_kabkota are left out."""
    rng, today = seed.rng, seed.today
    writers = dict(
        Membership.objects.filter(role=Role.TIM_KABKOTA)
        .order_by("office_id", "user__username")
        .values_list("office_id", "user_id")
    )
    reviewers = dict(
        Membership.objects.filter(role__in=[Role.TIM_PROVINSI, Role.KETUA_TIM])
        .order_by("office_id", "-role")
        .values_list("office_id", "user_id")
    )
    reported = set(Report.objects.values_list("village_id", flat=True).distinct())
    villages = (
        ParticipatingVillage.objects.exclude(pk__in=reported)
        .select_related("program_year", "office")
        .order_by("pk")
    )
    plans: list[Plan] = []
    for village in villages.iterator(chunk_size=5000):
        writer = writers.get(village.office_id)
        if writer is None:
            continue
        year = village.program_year.year
        event = date(year, rng.randint(4, 8), rng.randint(1, 28))
        dates = {
            ReportKind.SOSIALISASI: event,
            ReportKind.IDENTIFIKASI: event + timedelta(days=rng.randint(14, 42)),
            ReportKind.LAPORAN_AKHIR: date(year, rng.randint(10, 11), rng.randint(1, 28)),
        }
        reviewed = village.office.parent_id in reviewers
        for kind, anchor in dates.items():
            if anchor <= today:
                plans.append(_plan(rng, village, kind, anchor, today, writer, reviewed))
    samples = _samples()
    report_type = ContentType.objects.get_for_model(Report)
    for offset in range(0, len(plans), 5000):
        _write(seed, plans[offset : offset + 5000], samples, report_type, reviewers)
    return {
        "reports": Report.objects.count(),
        "report versions": ReportVersion.objects.count(),
        "report attachments": Attachment.objects.filter(owner_type=report_type).count(),
    }


def _register(plans: list[Plan]) -> list[VillageAgent]:
    """The villages' agen statistik registers: the agents their sosialisasi report lists (the
    register is what the report form offers), each with a phone number derived from the name
    (the random draws of the seed stay as they were)."""
    villages = {plan.report.village_id for plan in plans if plan.agents}
    seen = set(
        VillageAgent.objects.filter(village_id__in=villages).values_list("village_id", "name")
    )
    rows = []
    for plan in plans:
        for agent in plan.agents:
            key = (plan.report.village_id, agent.name)
            if key in seen:
                continue
            seen.add(key)
            digits = f"{zlib.crc32(f'{key}'.encode()):010d}"[-9:]
            rows.append(
                VillageAgent(
                    village_id=plan.report.village_id,
                    name=agent.name,
                    role=agent.role,
                    is_village_official=agent.is_village_official,
                    sk_number=agent.sk_number,
                    sk_date=agent.sk_date,
                    phone=f"08{digits[0] if digits[0] != '0' else '1'}{digits[1:]}",
                )
            )
    return rows


@transaction.atomic
def _write(seed, plans: list[Plan], samples, report_type, reviewers) -> None:
    Report.objects.bulk_create([p.report for p in plans], batch_size=seed.batch(2000))
    agents, needs, files = [], [], defaultdict(list)
    for plan in plans:
        for agent in plan.agents:
            agent.report = plan.report
        for need in plan.needs:
            need.report = plan.report
        agents += plan.agents
        needs += plan.needs
        if plan.submissions:  # a submitted report had every required document
            for purpose in REQUIRED[plan.report.kind]:
                stored, name, content_type, sha256, size = samples[purpose]
                files[plan.report.pk].append(
                    Attachment(
                        token=uuid.uuid4(),
                        file=stored,
                        original_name=name,
                        content_type=content_type,
                        extension="." + name.rsplit(".", 1)[1],
                        size=size,
                        sha256=sha256,
                        purpose=purpose,
                        owner_type=report_type,
                        owner_id=str(plan.report.pk),
                        uploaded_by_id=plan.report.created_by_id,
                        uploaded_at=plan.submissions[0] - timedelta(hours=1),
                    )
                )
    StatisticalAgent.objects.bulk_create(agents, batch_size=seed.batch(5000))
    VillageAgent.objects.bulk_create(_register(plans), batch_size=seed.batch(5000))
    NeedItem.objects.bulk_create(needs, batch_size=seed.batch(5000))
    Attachment.objects.bulk_create(
        [a for group in files.values() for a in group], batch_size=seed.batch(5000)
    )
    versions = []
    for plan in plans:
        snapshot = snapshot_of(
            plan.report, agents=plan.agents, needs=plan.needs, files=files[plan.report.pk]
        )
        for number, at in enumerate(plan.submissions, start=1):
            versions.append(
                ReportVersion(
                    report=plan.report,
                    number=number,
                    submitted_at=at,
                    submitted_by_id=plan.report.created_by_id,
                    snapshot=snapshot,
                )
            )
    ReportVersion.objects.bulk_create(versions, batch_size=seed.batch(2000))
    by_report = defaultdict(list)
    for version in versions:
        by_report[version.report_id].append(version)
    reviews = []
    for plan in plans:
        reviewer = reviewers.get(plan.report.village.office.parent_id)
        for version, (decision, at) in zip(by_report[plan.report.pk], plan.decisions, strict=False):
            reviews.append(
                Review(
                    report=plan.report,
                    version=version,
                    decision=decision,
                    comment="Lengkapi daftar hadir." if decision == "returned" else "",
                    by_id=reviewer,
                    at=at,
                )
            )
    Review.objects.bulk_create(reviews, batch_size=seed.batch(2000))


class Command(BaseCommand):
    help = (
        "Add synthetic sosialisasi, identification and final reports to every participating "
        "village that has none (demo data; the reports step of seed_scale)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed")

    def handle(self, *, seed: int, **options):
        counts = seed_reports(SimpleSeed(rng=random.Random(seed)))
        for name, value in counts.items():
            self.stdout.write(f"{name}: {value:,}")
