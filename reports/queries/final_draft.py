"""What the system holds about a village's coaching, gathered for the Laporan akhir draft."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils.module_loading import import_string

from core.models import Attachment, User
from program.models import (
    ParticipatingVillage,
    Stage,
    VillageAgent,
    WorkPlanActivity,
)

from ..models import (
    COACHING_FIELDS,
    NeedItem,
    Purpose,
    Report,
    ReportKind,
    field_label,
)

# --- the generated draft of the final report --------------------------------------------------


def _lke_result(village: ParticipatingVillage) -> dict | None:
    """The village's frozen LKE result, from the function the project names in
    settings.FINAL_DRAFT_LKE_RESULT: reports may not import lke (lke reads reports), so the
    project, which sees every app, composes the two; no app registers anything at start-up."""
    path = settings.FINAL_DRAFT_LKE_RESULT
    return import_string(path)(village) if path else None


@dataclass
class FinalDraft:
    """What the system holds about one village's coaching, in the order of the Laporan akhir
    outline (reference/domain.md). `lke` is the village's finalised LKE result (instrument,
    and per level the total and the aspects), None while there is none."""

    village: ParticipatingVillage
    pembina: list[User]
    sosialisasi: Report | None
    agents: list[VillageAgent]  # the village's agen statistik register
    identifikasi: Report | None
    data_needs: list[NeedItem]
    activity_needs: list[NeedItem]
    coaching: list[tuple[str, bool | None]]
    activities: list[WorkPlanActivity]
    outputs: list[tuple[str, bool]]  # (output, produced)
    appendix: list[tuple[str, str, str]]  # (report, document, file name)
    final_report: Report | None
    lke: dict | None = None

    @property
    def realised(self) -> int:
        return sum(1 for a in self.activities if a.realised_on)

    @property
    def preparation(self) -> list[WorkPlanActivity]:
        """The work plan's coordination and planning activities (outline part II)."""
        return [a for a in self.activities if a.stage in (Stage.KOORDINASI, Stage.PERENCANAAN)]


def final_draft(village: ParticipatingVillage) -> FinalDraft:
    """Gather the draft of a village's final report from its other reports, its work plan and
    its pembina. The caller has checked the village is visible. Six queries."""
    reports = {r.kind: r for r in Report.objects.filter(village=village).prefetch_related("needs")}
    sosialisasi = reports.get(ReportKind.SOSIALISASI)
    identifikasi = reports.get(ReportKind.IDENTIFIKASI)
    needs = list(identifikasi.needs.all()) if identifikasi else []
    activities = list(village.activities.order_by("planned_start", "planned_end", "id"))
    outputs = []
    for activity in activities:
        text = activity.realisation_output or activity.target_output
        if text and text not in [o for o, _done in outputs]:
            outputs.append((text, bool(activity.realised_on)))
    appendix = []
    owned = [r for r in (sosialisasi, identifikasi) if r is not None]
    if owned:
        by_id = {str(r.pk): r for r in owned}
        for attachment in Attachment.objects.filter(
            owner_type=ContentType.objects.get_for_model(Report), owner_id__in=list(by_id)
        ).order_by("owner_id", "purpose", "id"):
            report = by_id[attachment.owner_id]
            appendix.append(
                (
                    report.get_kind_display(),
                    str(Purpose(attachment.purpose).label) if attachment.purpose else "",
                    attachment.original_name,
                )
            )
    return FinalDraft(
        village=village,
        pembina=list(village.pembina.order_by("full_name")),
        sosialisasi=sosialisasi,
        agents=list(village.agents.all()),
        identifikasi=identifikasi,
        data_needs=[n for n in needs if n.section == NeedItem.Section.DATA],
        activity_needs=[n for n in needs if n.section == NeedItem.Section.ACTIVITY],
        coaching=[
            (
                field_label(ReportKind.IDENTIFIKASI, name),
                getattr(identifikasi, name) if identifikasi else None,
            )
            for name in COACHING_FIELDS
        ],
        activities=activities,
        outputs=outputs,
        appendix=appendix,
        final_report=reports.get(ReportKind.LAPORAN_AKHIR),
        lke=_lke_result(village),
    )
