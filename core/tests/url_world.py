"""One world for the URL × role × office matrix (core/tests/test_url_matrix.py), built once
per module through the apps' own services and the apps' test factories.

Three kab/kota offices, each with one object of every kind, whose free text carries the
office's marker (`MRK1702Q`...) so a page or an export that shows another office's rows is
caught by looking for that string:

- A = Rejang Lebong (1702) and B = Kaur (1704), both of BPS Provinsi Bengkulu (1700);
- X = Ogan Komering Ulu (1601) of a second province (Sumatera Selatan, 1600).

Per office: a participating village with a pembina and a file; a realised work-plan activity
with evidence; a sosialisasi report returned once and resubmitted (two versions); an
identifikasi report submitted with its needs; a
laporan akhir in draft; a held meeting with attendance and action items
(one done, with evidence); an LKE village worksheet in self-assessment with a text answer and
a file as evidence, and the office's Blok IV worksheet; a recap of its province.

A's meeting is the province's *shared* meeting: it invites A and B, and holds attendance and
an action item of both, so a page of that meeting seen from A must not show B's parts. B's and
X's meetings invite only their own office.

The personas of the matrix (ROLE_USERS) are the people of province 1700 and of office A:
`pembina` is a tim_kabkota of A who is its village's pembina, `tim_kabkota` one who is not;
and the four national roles of BPS RI (office 0000), who reach every province.
The clock stands at Monday 18 May 2026, noon WIB (NOW)."""

import copy
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from api.models import Scope
from api.services import create_token
from conftest import desa_in, make_user
from core.deadlines import JAKARTA
from core.models import Attachment, Membership, Office, Region, Role, User
from core.services import national_office, store_attachment
from lke import services as lke_services
from lke.models import CheckRule, Evidence, Item, Level, Target, Worksheet
from lke.tests.conftest import SMALL
from meetings import services as meeting_services
from meetings.models import ActionItem, Attendance, Meeting
from meetings.services import AgendaEntry, AttendanceEntry
from monitoring import services as monitoring_services
from monitoring.models import Recap
from program import services as program_services
from program.models import (
    ParticipatingVillage,
    ProgramYear,
    SopActivity,
    Stage,
    VillageKind,
    WorkPlanActivity,
)
from reports import services as report_services
from reports.models import NeedItem, Purpose, Report, ReportKind, Topic
from reports.tests.conftest import complete_identifikasi, submitted_sosialisasi

NOW = datetime(2026, 5, 18, 12, 0, tzinfo=JAKARTA)
MORNING = datetime(2026, 5, 18, 9, 0, tzinfo=JAKARTA)
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def marker(code: str) -> str:
    """The string planted in every object of office `code` (unique, never in a template)."""
    return f"MRK{code}Q"


@dataclass
class Side:
    """Everything that belongs to one kab/kota office."""

    code: str
    office: Office
    year: ProgramYear
    village: ParticipatingVillage
    village_file: Attachment
    activity: WorkPlanActivity
    activity_file: Attachment
    sosialisasi: Report
    sosialisasi_file: Attachment
    identifikasi: Report  # submitted, with its needs
    akhir: Report  # the laporan akhir, in draft with its signed PDF
    akhir_file: Attachment
    meeting: Meeting
    action_item: ActionItem
    action_file: Attachment
    worksheet: Worksheet
    office_worksheet: Worksheet
    evidence: Evidence
    answer_item: Item  # a choice item of the village worksheet, answered at the self level
    sop_activity: SopActivity
    instrument: object = None
    check_rule: object = None  # a verifiers' checking rule of `answer_item`
    token: object = None  # an API token of the side's kab/kota team member
    recap: Recap | None = None
    extras: dict = field(default_factory=dict)

    @property
    def marker(self) -> str:
        return marker(self.code)


@dataclass
class World:
    sides: dict[str, Side]  # "A", "B", "X"
    users: dict[str, User]  # the matrix personas by role name
    builders: dict[str, User]  # people who only build the other offices' data

    def side(self, key: str) -> Side:
        return self.sides[key]


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF)


def _second_province() -> tuple[Office, Office]:
    """BPS Provinsi Sumatera Selatan and one of its kab/kota, with a few desa (Bengkulu is
    the only province of the reference data)."""
    sumsel = Region.objects.create(code="16", name="SUMATERA SELATAN", level=Region.Level.PROVINSI)
    oku = Region.objects.create(
        code="16.01", name="KAB. OGAN KOMERING ULU", level=Region.Level.KABKOTA, parent=sumsel
    )
    kecamatan = Region.objects.create(
        code="16.01.01", name="Sosoh Buay Rayap", level=Region.Level.KECAMATAN, parent=oku
    )
    for code, name in [("16.01.01.2001", "Desa Seberang"), ("16.01.01.2002", "Lubuk Batang")]:
        Region.objects.create(code=code, name=name, level=Region.Level.DESA, parent=kecamatan)
    province = Office.objects.create(
        code="1600",
        name="BPS Provinsi Sumatera Selatan",
        short_name="Provinsi Sumatera Selatan",
        kind=Office.Kind.PROVINSI,
        region=sumsel,
    )
    office = Office.objects.create(
        code="1601",
        name="BPS Kabupaten Ogan Komering Ulu",
        short_name="Ogan Komering Ulu",
        kind=Office.Kind.KABKOTA,
        region=oku,
        parent=province,
    )
    return province, office


def _meeting(year, offices, *, title, by) -> Meeting:
    meeting = meeting_services.create_meeting(
        year,
        title=title,
        period_start=date(2026, 5, 1),
        starts_at=MORNING,
        ends_at=MORNING + timedelta(hours=2),
        platform=Meeting.Platform.ZOOM,
        link="https://zoom.us/j/81234567890",
        invited_offices=offices,
        invited_staff=[],
        agenda=[
            AgendaEntry(title="Progres pembinaan", presenter="Tim Provinsi", allotted_minutes=45)
        ],
        by=by,
    )
    meeting_services.schedule_meeting(
        meeting, by=by, site_url="https://monev.example.id", confirm_past=True
    )
    meeting_services.hold_meeting(meeting, by=by)
    return Meeting.objects.get(pk=meeting.pk)


def _office_parts(meeting, office, *, team, lead) -> tuple[ActionItem, Attachment]:
    """The office's attendance and its action item (done by the office, with evidence)."""
    mark = marker(office.code)
    meeting_services.record_attendance(
        meeting,
        entries=[
            AttendanceEntry(office, Attendance.Status.HADIR, f"Hadirin {mark}", f"Catatan {mark}")
        ],
        by=lead,
    )
    item = meeting_services.add_action_item(
        meeting,
        owner_office=office,
        description=f"Tindak lanjut {mark}",
        due_date=date(2026, 6, 1),
        by=lead,
    )
    item = meeting_services.mark_action_item_done(
        item, note=f"Selesai {mark}", by=team, evidence=_pdf(f"bukti-rapat-{mark}.pdf")
    )
    from core.services import attachments_of

    return item, attachments_of(item).get()


def _side(office, year, *, pembina, tim, province_team, lead, meeting) -> Side:
    mark = marker(office.code)
    desa = desa_in(office)
    # The village's name carries the marker too: it is on nearly every list and export.
    Region.objects.filter(pk=desa.pk).update(name=f"{desa.name} {mark}")
    village = program_services.add_village(
        year,
        village=desa,
        office=office,
        kind=VillageKind.UTAMA,
        pembina=[pembina],
        notes=f"Catatan desa {mark}",
        by=province_team,
    )
    village_file = store_attachment(
        _pdf(f"sk-{mark}.pdf"), owner=village, by=province_team, office=office
    )
    activity = program_services.add_activity(
        village,
        by=tim,
        stage=Stage.KOORDINASI,
        name=f"Koordinasi {mark}",
        pelaksana="Pembina",
        target_output="Notulen",
        planned_start=date(2026, 5, 1),
        planned_end=date(2026, 5, 30),
    )
    activity = program_services.realise_activity(
        activity,
        version=activity.version,
        realised_on=date(2026, 5, 11),
        realisation_output=f"Notulen {mark}",
        realisation_notes="",
        by=tim,
    )
    activity_file = program_services.add_evidence(
        activity, upload=_pdf(f"bukti-{mark}.pdf"), by=tim
    )
    agent = program_services.add_agent(
        village, by=tim, name=f"Agen {mark}", role="Kaur Perencanaan", is_village_official=True
    )
    # sosialisasi: submitted, returned, resubmitted (versions 1 and 2)
    report = submitted_sosialisasi(village, tim, notes=f"Catatan laporan {mark}")
    report_services.return_report(report, by=province_team, comment=f"Lengkapi {mark}")
    report = Report.objects.get(pk=report.pk)
    report_services.submit_report(report, by=tim)
    sosialisasi = Report.objects.get(pk=report.pk)
    from reports.queries import report_files

    sosialisasi_file = report_files(sosialisasi).order_by("pk").first()
    identifikasi = complete_identifikasi(
        village,
        tim,
        needs=[
            {
                "section": NeedItem.Section.DATA,
                "topic": Topic.KEPENDUDUKAN,
                "description": f"Data {mark}",
            },
            {
                "section": NeedItem.Section.ACTIVITY,
                "topic": Topic.KEPENDUDUKAN,
                "description": f"Kegiatan {mark}",
            },
        ],
        notes=f"Catatan identifikasi {mark}",
    )
    report_services.submit_report(identifikasi, by=tim)
    akhir = report_services.save_draft(
        Report(village=village, kind=ReportKind.LAPORAN_AKHIR),
        by=tim,
        revision=None,
        fields={"anchor_date": date(2026, 5, 15), "notes": f"Catatan akhir {mark}"},
    )
    report_services.add_attachment(
        akhir, upload=_pdf("laporan-final.pdf"), purpose=Purpose.LAPORAN_FINAL, by=tim
    )
    item, action_file = _office_parts(meeting, office, team=tim, lead=lead)
    return Side(
        code=office.code,
        office=office,
        year=year,
        village=village,
        village_file=village_file,
        activity=activity,
        activity_file=activity_file,
        sosialisasi=sosialisasi,
        sosialisasi_file=sosialisasi_file,
        identifikasi=Report.objects.get(pk=identifikasi.pk),
        akhir=Report.objects.get(pk=akhir.pk),
        akhir_file=report_files(akhir).get(),
        meeting=meeting,
        action_item=ActionItem.objects.get(pk=item.pk),
        action_file=action_file,
        worksheet=None,
        office_worksheet=None,
        evidence=None,
        answer_item=None,
        sop_activity=SopActivity.objects.filter(program_year=year).order_by("number").first(),
        extras={"agent": agent},
    )


def _lke(side: Side, instrument, *, tim) -> None:
    worksheet = Worksheet.objects.get(village=side.village)
    text_item = Item.objects.get(instrument=instrument, code="k1.t")
    lke_services.save_answer(
        worksheet,
        item=text_item,
        level=Level.SELF,
        text=f"Jawaban {side.marker}",
        version=0,
        by=tim,
    )
    choice = Item.objects.get(instrument=instrument, code="k1.a")
    lke_services.save_answer(
        worksheet,
        item=choice,
        level=Level.SELF,
        option=choice.options.get(score=3),
        note=f"Catatan LKE {side.marker}",
        version=0,
        by=tim,
    )
    side.evidence = lke_services.add_evidence_file(
        worksheet, item=choice, upload=_pdf(f"bukti-lke-{side.marker}.pdf"), by=tim
    )
    side.worksheet = Worksheet.objects.get(pk=worksheet.pk)
    side.office_worksheet = Worksheet.objects.get(
        assessment=worksheet.assessment, target=Target.OFFICE, office=side.office
    )
    side.answer_item = choice
    side.check_rule, _created = CheckRule.objects.get_or_create(
        item=choice,
        defaults={"self_score": 3, "absent": ["undangan"], "score": 2, "text": "Tanpa undangan"},
    )


def build_world() -> World:
    """Build the world (inside the caller's transaction, on the frozen clock)."""
    bengkulu = Office.objects.get(code="1700")
    a, b = Office.objects.get(code="1702"), Office.objects.get(code="1704")
    sumsel, x = _second_province()
    national_office()
    users = {
        "admin": make_user("admin_provinsi", "1700", Role.ADMIN, is_staff=True),
        "kepala": make_user("kepala", "1700", Role.KEPALA),
        "ketua_tim": make_user("ketua_tim", "1700", Role.KETUA_TIM),
        "tim_provinsi": make_user("tim_provinsi", "1700", Role.TIM_PROVINSI),
        "viewer": make_user("viewer_provinsi", "1700", Role.VIEWER),
        "tim_kabkota": make_user("tim_rejang_lebong", "1702", Role.TIM_KABKOTA),
        "pimpinan_kabkota": make_user("pimpinan_rejang_lebong", "1702", Role.PIMPINAN_KABKOTA),
        "pembina": make_user("pembina_rejang_lebong", "1702", Role.TIM_KABKOTA),
        "pimpinan_nasional": make_user("pimpinan_nasional", "0000", Role.PIMPINAN_NASIONAL),
        "ketua_tim_nasional": make_user("ketua_tim_nasional", "0000", Role.KETUA_TIM_NASIONAL),
        "tim_nasional": make_user("tim_nasional", "0000", Role.TIM_NASIONAL),
        "viewer_nasional": make_user("viewer_nasional", "0000", Role.VIEWER),
    }
    builders = {
        "tim_kaur": make_user("tim_kaur", "1704", Role.TIM_KABKOTA),
        "tim_oku": make_user("tim_oku", "1601", Role.TIM_KABKOTA),
        "ketua_tim_sumsel": make_user("ketua_tim_sumsel", "1600", Role.KETUA_TIM),
        "tim_provinsi_sumsel": make_user("tim_provinsi_sumsel", "1600", Role.TIM_PROVINSI),
    }
    lead, team = users["ketua_tim"], users["tim_provinsi"]
    year = program_services.create_program_year(bengkulu, year=2026, by=None)
    year_sumsel = program_services.create_program_year(sumsel, year=2026, by=None)

    shared = _meeting(year, [a, b], title=f"Rapat bersama {marker('1702')}", by=lead)
    kaur_only = _meeting(year, [b], title=f"Rapat Kaur {marker('1704')}", by=lead)
    oku_only = _meeting(
        year_sumsel, [x], title=f"Rapat OKU {marker('1601')}", by=builders["ketua_tim_sumsel"]
    )
    sides = {
        "A": _side(
            a,
            year,
            pembina=users["pembina"],
            tim=users["tim_kabkota"],
            province_team=team,
            lead=lead,
            meeting=shared,
        ),
        "B": _side(
            b,
            year,
            pembina=builders["tim_kaur"],
            tim=builders["tim_kaur"],
            province_team=team,
            lead=lead,
            meeting=kaur_only,
        ),
        "X": _side(
            x,
            year_sumsel,
            pembina=builders["tim_oku"],
            tim=builders["tim_oku"],
            province_team=builders["tim_provinsi_sumsel"],
            lead=builders["ketua_tim_sumsel"],
            meeting=oku_only,
        ),
    }
    # Kaur's parts of the shared meeting: what A's people must not see on its pages.
    item, _file = _office_parts(shared, b, team=builders["tim_kaur"], lead=lead)
    sides["B"].extras["shared_action_item"] = item

    instrument = lke_services.create_instrument(copy.deepcopy(SMALL), by=None)
    lke_services.open_assessment(year, instrument=instrument, by=lead)
    lke_services.open_assessment(
        year_sumsel, instrument=instrument, by=builders["ketua_tim_sumsel"]
    )
    _lke(sides["A"], instrument, tim=users["tim_kabkota"])
    _lke(sides["B"], instrument, tim=builders["tim_kaur"])
    _lke(sides["X"], instrument, tim=builders["tim_oku"])

    recap = monitoring_services.generate_recap(year, period=2, narrative="Rekap Bengkulu", by=team)
    recap_sumsel = monitoring_services.generate_recap(
        year_sumsel, period=2, narrative="Rekap Sumsel", by=builders["tim_provinsi_sumsel"]
    )
    for key, owner in [
        ("A", users["tim_kabkota"]),
        ("B", builders["tim_kaur"]),
        ("X", builders["tim_oku"]),
    ]:
        sides[key].token = create_token(owner, name="uji", scope=Scope.READ, by=owner)[0]
    sides["A"].recap = sides["B"].recap = recap
    sides["X"].recap = recap_sumsel
    for side in sides.values():
        # a member of the office whose name carries its marker (the people pages)
        person = make_user(f"staf_{side.code}", side.code, Role.TIM_KABKOTA)
        person.full_name = f"Staf {side.marker}"
        person.save(update_fields=["full_name"])
        Membership.objects.create(user=person, office=side.office, role=Role.VIEWER)
        side.extras["person"] = person
        side.instrument = instrument
        side.extras["ketua_tim"] = lead
        side.extras["activity_type"] = ContentType.objects.get_for_model(WorkPlanActivity).pk
    return World(sides=sides, users=users, builders=builders)
