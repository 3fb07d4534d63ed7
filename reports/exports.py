"""Exports of the reports: functions that yield rows (header first) or gather a document's
content; core.xlsx, core.pdf and core.docx write the bytes. Views only authorise, filter and
return the file."""

from collections.abc import Iterable, Iterator

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from core.deadlines import Status
from core.docx import DocxWriter
from core.pdf import render_pdf

from .models import ReportKind, ReportState
from .queries import (
    NOT_STARTED,
    FinalDraft,
    NeedsTable,
    ReportRow,
    display_value,
    report_signatures,
)

# the letterhead's second line, as core/pdf/_letterhead.html prints it
LETTERHEAD_UNIT = gettext_lazy(
    "Monitoring and evaluation of Desa Cinta Statistik (Desa Cantik) coaching"
)

# --- rows -----------------------------------------------------------------------------------------


def state_label(state: str) -> str:
    return str(_("Not started")) if state == NOT_STARTED else str(ReportState(state).label)


def report_list_rows(rows: Iterable[ReportRow], kind: str) -> Iterator[list]:
    """The report list of one kind: a line per village, header first."""
    yield [
        _("No."),
        _("BPS regency/city"),
        _("District"),
        _("Village"),
        _("Region code"),
        _("State"),
        _("Anchor date"),
        _("Due"),
        _("First submitted"),
        _("Timeliness"),
        _("Extension until"),
        _("Last action"),
        _("By"),
        _("At"),
    ]
    for number, row in enumerate(rows, start=1):
        report = row.report
        yield [
            number,
            row.village.office.short_name,
            row.village.village.parent.name,
            row.village.village.name,
            row.village.village.code,
            state_label(row.state),
            report.anchor_date if report else None,
            row.deadline.due.date() if row.deadline.due else None,
            row.deadline.done_at,
            str(Status(row.deadline.status).label),
            row.deadline.extended_until,
            report.get_last_action_display() if report else "",
            str(report.last_action_by) if report else "",
            report.last_action_at if report else None,
        ]


def needs_topic_rows(table: NeedsTable) -> Iterator[list]:
    """Per topic: how many villages need data (1001a) and activities (1001b), and which."""
    yield [
        _("Topic"),
        _("Villages needing data (1001a)"),
        _("Which villages (1001a)"),
        _("Data needed (1001a)"),
        _("Villages needing statistical activities (1001b)"),
        _("Which villages (1001b)"),
        _("Activities needed (1001b)"),
    ]
    for row in table.topics:
        yield [
            row.label,
            len(row.data_villages),
            "; ".join(row.data_villages),
            "; ".join(row.data_items),
            len(row.activity_villages),
            "; ".join(row.activity_villages),
            "; ".join(row.activity_items),
        ]


def coaching_rows(table: NeedsTable) -> Iterator[list]:
    """Per kab/kota: villages with a report, and how many answered Yes to each of 1002a–e."""
    yield [_("BPS regency/city"), _("Villages reported"), *table.coaching_labels]
    for row in table.coaching:
        yield [row.office.short_name, row.answered, *row.yes]
    yield [_("Total"), table.answered_total, *table.coaching_total]


# --- the final report draft as DOCX -------------------------------------------------------------


def _date(value) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else "—"


def final_draft_sections(draft: FinalDraft) -> dict:
    """The texts of the draft shared by the DOCX and the PDF (and the page's preview)."""
    village = draft.village
    region = village.village
    kind_word = _("Kelurahan") if region.is_kelurahan else _("Desa")
    return {
        "title": _("Final report on Desa Cantik coaching"),
        "village_title": f"{kind_word} {region.name}",
        "subtitle": _("%(office)s · program year %(year)s")
        % {"office": village.office.name, "year": village.program_year.year},
        "background": _(
            "Desa Cinta Statistik (Desa Cantik) is a BPS programme that coaches villages to "
            "manage and use their own data. In %(year)s %(office)s coached %(kind)s %(village)s "
            "as a %(vkind)s village."
        )
        % {
            "year": village.program_year.year,
            "office": village.office.name,
            "kind": kind_word,
            "village": region.name,
            "vkind": village.get_kind_display().lower(),
        },
        "overview": [
            (_("Village"), f"{kind_word} {region.name}"),
            (_("Region code"), region.code),
            (_("District"), region.parent.name),
            (_("BPS regency/city"), village.office.name),
            (_("Kind of participation"), village.get_kind_display()),
            (_("Program year"), str(village.program_year.year)),
        ],
    }


def final_draft_docx(draft: FinalDraft) -> bytes:
    """The Laporan akhir draft as an editable Word document, following the outline in
    reference/domain.md. What the system cannot know (problems, conclusions) is left as a
    clearly marked place to write; the LKE results are marked as not yet available."""
    texts = final_draft_sections(draft)
    doc = DocxWriter()
    doc.letterhead(draft.village.office, LETTERHEAD_UNIT)
    doc.title(texts["title"], texts["village_title"], subtitle=texts["subtitle"])

    doc.heading(_("I. Introduction"), level=1)
    doc.heading(_("A. Background"), level=2)
    doc.paragraph(texts["background"])
    doc.heading(_("B. Overview of the village"), level=2)
    doc.table(
        [pgettext("fact table", "Item"), pgettext("fact table", "Value")],
        [list(map(str, r)) for r in texts["overview"]],
    )
    doc.heading(_("C. Governance"), level=2)
    doc.paragraph(_("Coaching team (pembina):"))
    if draft.pembina:
        doc.table(
            [_("No."), _("Name"), _("NIP")],
            [[str(i), p.get_full_name(), p.nip or "—"] for i, p in enumerate(draft.pembina, 1)],
        )
    else:
        doc.to_fill(_("No pembina recorded in the system yet"))
    doc.paragraph(_("Agen statistik (from the village's agen statistik register):"))
    if draft.agents:
        doc.table(
            [_("No."), _("Name"), _("Position"), _("Village official"), _("SK")],
            [
                [
                    str(i),
                    a.name,
                    a.role or "—",
                    _("Yes") if a.is_village_official else _("No"),
                    " ".join(x for x in (a.sk_number, _date(a.sk_date) if a.sk_date else "") if x)
                    or "—",
                ]
                for i, a in enumerate(draft.agents, 1)
            ],
        )
    else:
        doc.to_fill(_("No agen statistik recorded in the system yet"))

    doc.heading(_("II. Preparation"), level=1)
    doc.heading(_("A. Sosialisasi/pencanangan"), level=2)
    sos = draft.sosialisasi
    if sos is not None:
        doc.table(
            [pgettext("fact table", "Item"), pgettext("fact table", "Value")],
            [
                [_("Date"), _date(sos.anchor_date)],
                [_("Place"), sos.place or "—"],
                [_("Number of attendees"), str(sos.attendance_count or "—")],
                [_("Notable attendees"), sos.notable_attendees or "—"],
                [_("Commitment charter signed"), display_value(sos.charter_signed)],
                [_("Report state"), str(sos.get_state_display())],
            ],
        )
    else:
        doc.to_fill(_("The sosialisasi/pencanangan report has not been made yet"))
    doc.heading(_("B. Activity design"), level=2)
    plan = draft.preparation
    if plan:
        doc.table(
            [_("No."), _("Activity"), _("Planned"), _("Target output")],
            [
                [
                    str(i),
                    a.name,
                    f"{_date(a.planned_start)} – {_date(a.planned_end)}",
                    a.target_output or "—",
                ]
                for i, a in enumerate(plan, 1)
            ],
        )
    else:
        doc.to_fill(_("No preparation activities in the work plan"))
    doc.to_fill(_("Describe the training and the budget here"))

    doc.heading(_("III. Coaching and mentoring"), level=1)
    doc.heading(_("A. Realisation matrix"), level=2)
    if draft.activities:
        doc.table(
            [_("Row no."), _("Activity detail"), _("Carried out by"), _("Output")],
            [
                [
                    str(i),
                    f"{a.name} ({_date(a.realised_on)})"
                    if a.realised_on
                    else f"{a.name} ({_('not realised yet')})",
                    a.pelaksana or "—",
                    a.realisation_output or a.target_output or "—",
                ]
                for i, a in enumerate(draft.activities, 1)
            ],
        )
    else:
        doc.to_fill(_("The work plan has no activities yet"))
    doc.heading(_("B. Identification of data needs"), level=2)
    idn = draft.identifikasi
    if idn is not None:
        doc.paragraph(
            _("Visit on %(date)s; respondent: %(name)s (%(position)s).")
            % {
                "date": _date(idn.anchor_date),
                "name": idn.respondent_name or "—",
                "position": idn.respondent_position or "—",
            }
        )
        doc.paragraph(_("1001a Data needed:"))
        for need in draft.data_needs:
            doc.paragraph(f"{need.description} ({need.get_topic_display()})", style="List Bullet")
        doc.paragraph(_("1001b Statistical activities needed:"))
        for need in draft.activity_needs:
            doc.paragraph(f"{need.description} ({need.get_topic_display()})", style="List Bullet")
        doc.table(
            [_("Coaching needed"), _("Answer")],
            [[label, display_value(value)] for label, value in draft.coaching],
        )
    else:
        doc.to_fill(_("The identification report has not been made yet"))
    doc.heading(_("C. Outputs"), level=2)
    if draft.outputs:
        for output, produced in draft.outputs:
            mark = _("produced") if produced else _("planned")
            doc.paragraph(f"{output} ({mark})", style="List Bullet")
    else:
        doc.to_fill(_("No outputs listed in the work plan"))
    doc.heading(_("D. LKE assessment results"), level=2)
    if draft.lke:
        doc.paragraph(f"{draft.lke['instrument']} · {draft.lke['status']}")
        for label, total, aspects in draft.lke["levels"]:
            doc.table(
                [label, _("Score (0–100)")],
                [[_("Total"), display_value(total)]]
                + [[name, display_value(score)] for name, score in aspects],
            )
    else:
        doc.paragraph(_("LKE assessment results: not available yet."))

    doc.heading(_("IV. Closing"), level=1)
    doc.heading(_("A. Problems and solutions"), level=2)
    doc.table([_("Row no."), _("Problem"), _("Solution")], [["1", "", ""], ["2", "", ""]])
    doc.heading(_("B. Conclusions"), level=2)
    doc.to_fill(_("To be written by the BPS regency/city"))
    signatures = final_draft_signatures(draft)
    doc.signature_block(signatures["place"], signatures["signed_on"], signatures["signers"])

    doc.heading(_("Appendix"), level=1)
    if draft.appendix:
        doc.table([_("Report"), _("Document"), _("File")], [list(r) for r in draft.appendix])
    else:
        doc.to_fill(_("No documents uploaded yet"))
    return doc.to_bytes()


FINAL_DRAFT_TEMPLATE = "reports/pdf/final_draft.html"


def final_draft_signatures(draft: FinalDraft) -> dict:
    """The draft's signature block: made by the village's first pembina, acknowledged by the
    head of the kab/kota office (reports.queries.report_signatures)."""
    return report_signatures(
        draft.village.office, [], maker=draft.pembina[0] if draft.pembina else None
    )


def final_draft_context(draft: FinalDraft) -> dict:
    return {
        "draft": draft,
        "texts": final_draft_sections(draft),
        "kind": ReportKind.LAPORAN_AKHIR,
        "letterhead_office": draft.village.office,
        **final_draft_signatures(draft),
    }


def final_draft_pdf(draft: FinalDraft) -> bytes:
    return render_pdf(FINAL_DRAFT_TEMPLATE, final_draft_context(draft))
