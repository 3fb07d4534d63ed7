"""Answers the system can suggest from what it already holds, for the kab/kota to confirm or
change: keyed by item code (data: PREFILL maps a code, compared without dots and case, to its
source function), so it follows the instrument whatever its version. Each suggestion says
where it comes from; confirming it saves it through services.save_answer with that source in
the answer's note, so the saved answer keeps its provenance.

Sources, read only from the village's agen statistik register, approved reports and the work
plan of the worksheet's village (or, for the office's Blok IV, of the office's villages that
year):
- 4a/4b: the village's agen statistik register (program.VillageAgent: how many; one of them a
  village official), kept once and also read by the sosialisasi report and the laporan akhir
- 6b: the 1001b statistical activities of the identification report
- 18a: who attended the sosialisasi/pencanangan (Bupati/Walikota or eselon 2 → 3, Camat → 2,
  Kepala Desa/Lurah → 1), with its undangan, daftar hadir and notulen offered as evidence
- 19b: the realised coaching sessions (stage "pelaksanaan") of the work plan
- 22a–22d (Blok V): the laporan akhir's notes"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.models import Attachment
from program.models import ParticipatingVillage, Stage, VillageAgent, WorkPlanActivity
from reports.models import NeedItem, Purpose, Report, ReportKind, ReportState

from .models import ItemKind, Worksheet


@dataclass
class Suggestion:
    source: str  # where it comes from, shown and kept in the answer's note
    option: object = None  # the Option to choose (choice items)
    text: str = ""  # the text (text items)
    evidence: list = field(default_factory=list)  # Attachments offered as evidence

    @property
    def note(self) -> str:
        return _("Prefilled from: %(source)s") % {"source": self.source}


def _plain(code: str) -> str:
    return code.replace(".", "").replace(" ", "").casefold()


def _villages(worksheet: Worksheet) -> list[int]:
    if worksheet.village_id:
        return [worksheet.village_id]
    return list(
        ParticipatingVillage.objects.filter(
            program_year=worksheet.assessment.program_year_id, office=worksheet.office_id
        ).values_list("pk", flat=True)
    )


def _approved(worksheet: Worksheet, kind: str):
    return Report.objects.filter(
        village_id__in=_villages(worksheet), kind=kind, state=ReportState.APPROVED
    ).order_by("village_id")


def _extreme(item, top: bool):
    options = sorted(item.options.all(), key=lambda o: o.score)
    return (options[-1] if top else options[0]) if options else None


def _agents(worksheet, item) -> list | None:
    """The agents of the worksheet's village register (None for an office worksheet or an
    empty register)."""
    if not worksheet.village_id:
        return None
    return list(VillageAgent.objects.filter(village_id=worksheet.village_id)) or None


def agent_count(worksheet, item) -> Suggestion | None:
    """4a: more than one agen statistik → the top option, one → the lowest."""
    agents = _agents(worksheet, item)
    if agents is None:
        return None
    return Suggestion(
        source=_("the village's agen statistik register: %(n)s agen statistik")
        % {"n": len(agents)},
        option=_extreme(item, len(agents) > 1),
        text=str(len(agents)),
    )


def agent_official(worksheet, item) -> Suggestion | None:
    """4b: an agen statistik is a village official (kaur/kasi/staf) → Ya."""
    agents = _agents(worksheet, item)
    if agents is None:
        return None
    officials = [a.name for a in agents if a.is_village_official]
    source = (
        _("the village's agen statistik register: village official(s) %(names)s")
        % {"names": ", ".join(officials)}
        if officials
        else _("the village's agen statistik register: no agen statistik is a village official")
    )
    return Suggestion(source=source, option=_extreme(item, bool(officials)))


def needed_activities(worksheet, item) -> Suggestion | None:
    """6b: the statistical activities the village needs (1001b of the identification)."""
    report = _approved(worksheet, ReportKind.IDENTIFIKASI).first()
    if report is None:
        return None
    lines = list(
        report.needs.filter(section=NeedItem.Section.ACTIVITY).values_list("description", flat=True)
    )
    if not lines:
        return None
    return Suggestion(
        source=_("approved identification report, 1001b"),
        text="; ".join(lines),
    )


ATTENDANCE_LEVELS = [
    (3, re.compile(r"bupati|wali ?kota|sekda|sekretaris daerah|eselon (2|ii)\b", re.I)),
    (2, re.compile(r"\bcamat\b", re.I)),
    (1, re.compile(r"kepala desa|\bkades\b|\blurah\b|kepala kelurahan", re.I)),
]
EVIDENCE_PURPOSES = (Purpose.UNDANGAN, Purpose.DAFTAR_HADIR, Purpose.NOTULEN)


def sosialisasi_attendance(worksheet, item) -> Suggestion | None:
    """18a: the highest office that attended a sosialisasi/pencanangan of the office's
    villages (approved reports), with their undangan, daftar hadir and notulen as evidence."""
    reports = list(_approved(worksheet, ReportKind.SOSIALISASI))
    if not reports:
        return None
    best = 0
    for report in reports:
        for score, pattern in ATTENDANCE_LEVELS:
            if pattern.search(report.notable_attendees or ""):
                best = max(best, score)
                break
    from django.contrib.contenttypes.models import ContentType

    evidence = list(
        Attachment.objects.filter(
            owner_type=ContentType.objects.get_for_model(Report),
            owner_id__in=[str(r.pk) for r in reports],
            purpose__in=EVIDENCE_PURPOSES,
        ).order_by("owner_id", "purpose", "id")
    )
    option = next((o for o in item.options.all() if o.score == best), None)
    attendees = "; ".join(r.notable_attendees for r in reports if r.notable_attendees)
    return Suggestion(
        source=_("approved sosialisasi report(s), attended by: %(who)s")
        % {"who": attendees or "—"},
        option=option,
        evidence=evidence,
    )


def coaching_sessions(worksheet, item) -> Suggestion | None:
    """19b: the coaching sessions of the work plan that were realised."""
    count = WorkPlanActivity.objects.filter(
        village_id__in=_villages(worksheet), stage=Stage.PELAKSANAAN, realised_on__isnull=False
    ).count()
    if not count:
        return None
    return Suggestion(
        source=_("work plan: %(n)s coaching sessions realised") % {"n": count}, text=str(count)
    )


def final_report(worksheet, item) -> Suggestion | None:
    """Blok V: the laporan akhir's notes."""
    report = _approved(worksheet, ReportKind.LAPORAN_AKHIR).first()
    if report is None or not report.notes.strip():
        return None
    return Suggestion(source=_("approved laporan akhir"), text=report.notes.strip())


PREFILL = {
    "4a": agent_count,
    "4b": agent_official,
    "6b": needed_activities,
    "18a": sosialisasi_attendance,
    "19b": coaching_sessions,
    "22a": final_report,
    "22b": final_report,
    "22c": final_report,
    "22d": final_report,
}


def suggestion_for(worksheet: Worksheet, item) -> Suggestion | None:
    """The suggestion for one item, or None (no source for its code, nothing in the system, or
    nothing the item can take: a choice item needs an option, a text item a text)."""
    source = PREFILL.get(_plain(item.code))
    if source is None or item.kind == ItemKind.HEADING:
        return None
    found = source(worksheet, item)
    if found is None:
        return None
    if item.kind == ItemKind.CHOICE and found.option is None:
        return None
    if item.kind == ItemKind.TEXT and not found.text:
        return None
    return found


def suggestions(worksheet: Worksheet, items) -> dict[int, Suggestion]:
    """{item id: Suggestion} for `items` (those with a source only)."""
    result = {}
    for item in items:
        if _plain(item.code) in PREFILL:
            found = suggestion_for(worksheet, item)
            if found is not None:
                result[item.pk] = found
    return result
