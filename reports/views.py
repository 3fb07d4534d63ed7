from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.pdf import photos, render_pdf
from core.permissions import kabkota_offices_visible_to
from core.services import audit_events_for
from core.views import DOCX, PDF, XLSX, attachment_response, download_response
from core.xlsx import write_xlsx
from program.queries import program_year_from, program_years_visible_to

from . import exports, services
from .forms import (
    ApproveForm,
    AttachmentForm,
    NeedsFilterForm,
    ReportFilterForm,
    ReportForm,
    ReturnForm,
    list_forms,
    list_values,
)
from .models import (
    PURPOSES,
    REQUIRED_PURPOSES,
    SECTION_FIELDS,
    SECTIONS,
    Purpose,
    ReportKind,
    ReportState,
)
from .queries import (
    SLUG_OF,
    can_review_reports,
    can_write_reports,
    content_sections,
    current_files,
    final_draft,
    get_report_for,
    kind_from_slug,
    last_return,
    list_villages,
    needs_table,
    overview_counts,
    report_deadline,
    report_files,
    report_rows,
    report_signatures,
    snapshot_of,
    version_diff,
    versions_of,
)


def _detail(report):
    return redirect("reports:report_detail", kind=SLUG_OF[report.kind], village=report.village_id)


@login_required
@require_GET
def index(request):
    year = program_year_from(request.GET, request.user, required=True)
    rows = report_rows(year, list_villages(request.user, year), list(ReportKind.values))
    counts = overview_counts(rows)
    kinds = [(kind, SLUG_OF[kind], label, counts[kind]) for kind, label in ReportKind.choices]
    return render(
        request,
        "reports/index.html",
        {
            "year": year,
            "years": program_years_visible_to(request.user).order_by("-year"),
            "kinds": kinds,
        },
    )


def _filtered_rows(request, year, kind):
    filters = ReportFilterForm(
        request.GET, offices=kabkota_offices_visible_to(request.user, year.province)
    )
    villages = list_villages(request.user, year)
    data = filters.cleaned_data if filters.is_valid() else {}
    if data.get("office"):
        villages = villages.filter(office=data["office"])
    if data.get("q"):
        villages = villages.filter(village__name__icontains=data["q"])
    rows = report_rows(year, villages, [kind])
    if data.get("state"):
        rows = [r for r in rows if r.state == data["state"]]
    if data.get("status"):
        rows = [r for r in rows if r.deadline.status == data["status"]]
    return filters, rows


@login_required
@require_GET
def report_list(request, kind: str):
    kind = kind_from_slug(kind)
    year = program_year_from(request.GET, request.user, required=True)
    filters, rows = _filtered_rows(request, year, kind)
    template = "reports/report_list.html"
    if request.htmx:
        template += "#report-table"
    return render(
        request,
        template,
        {
            "year": year,
            "years": program_years_visible_to(request.user).order_by("-year"),
            "kind": kind,
            "kind_label": ReportKind(kind).label,
            "slug": SLUG_OF[kind],
            "filters": filters,
            "rows": rows,
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_GET
def report_list_xlsx(request, kind: str):
    kind = kind_from_slug(kind)
    year = program_year_from(request.GET, request.user, required=True)
    _filters, rows = _filtered_rows(request, year, kind)
    content = write_xlsx([(str(ReportKind(kind).label), exports.report_list_rows(rows, kind))])
    return download_response(content, f"laporan-{SLUG_OF[kind]}-{year.year}.xlsx", XLSX)


def _attachment_groups(report, files):
    """(purpose, label, required, files) for every document kind of the report."""
    required = REQUIRED_PURPOSES[report.kind]
    return [
        (
            purpose,
            Purpose(purpose).label,
            purpose in required,
            [f for f in files if f.purpose == purpose],
        )
        for purpose in PURPOSES[report.kind]
    ]


def _detail_context(request, report, **extra):
    files = current_files(report)
    snapshot = snapshot_of(report)
    versions = versions_of(report)
    returned = last_return(report)
    office = report.village.office
    latest = versions[-1].number if versions else None
    requirements = services.requirements_of(report, files=files)
    context = {
        "report": report,
        "village": report.village,
        "slug": SLUG_OF[report.kind],
        "kind_label": ReportKind(report.kind).label,
        "sections": content_sections(snapshot, returned),
        "attachment_groups": _attachment_groups(report, files),
        "requirements": requirements,
        "unmet": sum(1 for r in requirements if not r.met),
        "deadline": report_deadline(report),
        "versions": versions,
        "returned": returned,
        "can_write": can_write_reports(request.user, office),
        "can_review": can_review_reports(request.user, office),
        "upload_form": AttachmentForm(kind=report.kind),
        "return_form": ReturnForm(kind=report.kind, initial={"version": latest}, prefix="return"),
        "approve_form": ApproveForm(initial={"version": latest}, prefix="approve"),
    }
    if report.kind == ReportKind.LAPORAN_AKHIR:
        context["draft"] = final_draft(report.village)
    if len(versions) >= 2 and report.state == ReportState.SUBMITTED:
        context["diff"] = version_diff(versions[-2].snapshot, versions[-1].snapshot)
        context["previous_number"], context["new_number"] = latest - 1, latest
    context.update(extra)
    return context


@login_required
@require_GET
def report_detail(request, kind: str, village: int):
    report = get_report_for(request.user, village, kind_from_slug(kind))
    return render(request, "reports/report_detail.html", _detail_context(request, report))


def _form_sections(form, report, returned) -> list[dict]:
    comments = returned.section_comments if returned else {}
    return [
        {
            "key": key,
            "label": label,
            "fields": [form[name] for name in SECTION_FIELDS[report.kind][key]],
            "comment": comments.get(key, ""),
        }
        for key, label in SECTIONS[report.kind]
    ]


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request, kind: str, village: int):
    report = get_report_for(request.user, village, kind_from_slug(kind), need="edit")
    data = request.POST if request.method == "POST" else None
    form = ReportForm(data, instance=report, kind=report.kind)
    formsets = list_forms(report, data, from_register=request.GET.get("agen") == "register")
    returned = last_return(report) if report.pk else None
    if data is not None and form.is_valid() and all(f.is_valid() for f in formsets.values()):
        try:
            report = services.save_draft(
                report,
                by=request.user,
                revision=form.cleaned_data["revision"],
                fields=form.report_fields(),
                **list_values(report, formsets),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Draft saved. Check the attachments, then submit."))
            return _detail(report)
    return render(
        request,
        "reports/report_form.html",
        {
            "report": report,
            "village": report.village,
            "slug": SLUG_OF[report.kind],
            "kind_label": ReportKind(report.kind).label,
            "form": form,
            "formsets": formsets,
            "form_sections": _form_sections(form, report, returned),
            "returned": returned,
            "requirements": services.requirements_of(report),
            "required_purposes": [Purpose(p).label for p in REQUIRED_PURPOSES[report.kind]],
        },
        status=400 if data is not None else 200,
    )


@login_required
@require_POST
def report_upload(request, kind: str, village: int):
    report = get_report_for(request.user, village, kind_from_slug(kind), need="edit")
    if report.pk is None:
        raise Http404
    form = AttachmentForm(request.POST, request.FILES, kind=report.kind)
    if form.is_valid():
        try:
            services.add_attachment(
                report,
                upload=form.cleaned_data["file"],
                purpose=form.cleaned_data["purpose"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None if hasattr(error, "error_dict") else "file", error)
        else:
            messages.success(request, _("File uploaded."))
            return _detail(report)
    context = _detail_context(request, report, upload_form=form)
    return render(request, "reports/report_detail.html", context, status=400)


@login_required
@require_POST
def attachment_remove(request, kind: str, village: int, attachment: int):
    report = get_report_for(request.user, village, kind_from_slug(kind), need="edit")
    if report.pk is None:
        raise Http404
    file = get_object_or_404(report_files(report), pk=attachment)
    try:
        services.remove_attachment(report, attachment=file, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("File removed: %(name)s.") % {"name": file.original_name})
    return _detail(report)


@login_required
@require_GET
def attachment_download(request, kind: str, village: int, attachment: int):
    report = get_report_for(request.user, village, kind_from_slug(kind))
    if report.pk is None:
        raise Http404
    return attachment_response(get_object_or_404(report_files(report), pk=attachment))


@login_required
@require_POST
def report_submit(request, kind: str, village: int):
    report = get_report_for(request.user, village, kind_from_slug(kind), need="write")
    if report.pk is None:
        raise Http404
    try:
        version = services.submit_report(report, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Report submitted to the province (version %(number)s).")
            % {"number": version.number},
        )
    return _detail(report)


@login_required
@require_POST
def report_return(request, kind: str, village: int):
    report = get_report_for(request.user, village, kind_from_slug(kind), need="review")
    if report.pk is None:
        raise Http404
    form = ReturnForm(request.POST, kind=report.kind, prefix="return")
    if form.is_valid():
        try:
            services.return_report(
                report,
                by=request.user,
                comment=form.cleaned_data["comment"],
                section_comments=form.section_comments(),
                version=form.cleaned_data["version"],
            )
        except ValidationError as error:  # decided by someone else meanwhile, or a new version
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Report returned to the regency/city with your comments."))
        return _detail(report)
    context = _detail_context(request, report, return_form=form)
    return render(request, "reports/report_detail.html", context, status=400)


@login_required
@require_POST
def report_approve(request, kind: str, village: int):
    report = get_report_for(request.user, village, kind_from_slug(kind), need="review")
    if report.pk is None:
        raise Http404
    form = ApproveForm(request.POST, prefix="approve")
    if form.is_valid():
        try:
            services.approve_report(
                report,
                by=request.user,
                comment=form.cleaned_data["comment"],
                version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Report approved."))
        return _detail(report)
    context = _detail_context(request, report, approve_form=form)
    return render(request, "reports/report_detail.html", context, status=400)


@login_required
@require_GET
def version_detail(request, kind: str, village: int, number: int):
    report = get_report_for(request.user, village, kind_from_slug(kind))
    versions = versions_of(report)
    version = next((v for v in versions if v.number == number), None)
    if version is None:
        raise Http404
    previous = next((v for v in versions if v.number == number - 1), None)
    review = next(iter(version.reviews.all()), None)
    return render(
        request,
        "reports/version_detail.html",
        {
            "report": report,
            "village": report.village,
            "slug": SLUG_OF[report.kind],
            "kind_label": ReportKind(report.kind).label,
            "version": version,
            "previous": previous,
            "sections": content_sections(version.snapshot, review),
            "review": review,
            "files": [
                {**item, "label": Purpose(item["purpose"]).label}
                for item in version.snapshot["attachments"]
            ],
            "diff": version_diff(previous.snapshot, version.snapshot) if previous else None,
            "previous_number": number - 1,
            "new_number": number,
        },
    )


@login_required
@require_GET
def report_history(request, kind: str, village: int):
    report = get_report_for(request.user, village, kind_from_slug(kind))
    if report.pk is None:
        raise Http404
    return render(
        request,
        "reports/report_history.html",
        {
            "report": report,
            "village": report.village,
            "slug": SLUG_OF[report.kind],
            "kind_label": ReportKind(report.kind).label,
            "events": audit_events_for(report),
        },
    )


def _filename(report, suffix: str) -> str:
    village = report.village
    name = slugify(village.village.name)
    return f"{SLUG_OF[report.kind]}-{name}-{village.program_year.year}{suffix}"


@login_required
@require_GET
def report_pdf(request, kind: str, village: int):
    report = get_report_for(request.user, village, kind_from_slug(kind))
    if report.pk is None:
        raise Http404
    snapshot = snapshot_of(report)
    files = current_files(report)
    versions = versions_of(report)
    content = render_pdf(
        "reports/pdf/report.html",
        {
            "report": report,
            "village": report.village,
            "letterhead_office": report.village.office,
            "kind_label": ReportKind(report.kind).label,
            "sections": content_sections(snapshot),
            "files": files,
            "photos": photos(files),
            "versions": versions,
            "deadline": report_deadline(report),
            "purposes": PURPOSES[report.kind],
            **report_signatures(report.village.office, versions),
        },
    )
    return download_response(content, _filename(report, ".pdf"), PDF)


@login_required
@require_GET
def final_draft_docx(request, village: int):
    report = get_report_for(request.user, village, ReportKind.LAPORAN_AKHIR)
    content = exports.final_draft_docx(final_draft(report.village))
    return download_response(content, _filename(report, "-draf.docx"), DOCX)


@login_required
@require_GET
def final_draft_pdf(request, village: int):
    report = get_report_for(request.user, village, ReportKind.LAPORAN_AKHIR)
    content = exports.final_draft_pdf(final_draft(report.village))
    return download_response(content, _filename(report, "-draf.pdf"), PDF)


def _needs(request):
    year = program_year_from(request.GET, request.user, required=True)
    filters = NeedsFilterForm(
        request.GET, offices=kabkota_offices_visible_to(request.user, year.province)
    )
    data = filters.cleaned_data if filters.is_valid() else {}
    table = needs_table(
        request.user,
        year,
        office=data.get("office"),
        approved_only=bool(data.get("approved_only")),
    )
    return year, filters, table


@login_required
@require_GET
def needs(request):
    year, filters, table = _needs(request)
    return render(
        request,
        "reports/needs.html",
        {
            "year": year,
            "years": program_years_visible_to(request.user).order_by("-year"),
            "filters": filters,
            "table": table,
            "chart": table.chart(),
            "query": request.GET.urlencode(),
            "generated_at": timezone.now(),
        },
    )


@login_required
@require_GET
def needs_xlsx(request):
    year, _filters, table = _needs(request)
    content = write_xlsx(
        [
            (_("Needs by topic"), exports.needs_topic_rows(table)),
            (_("Coaching needed"), exports.coaching_rows(table)),
        ]
    )
    return download_response(content, f"kebutuhan-desa-{year.year}.xlsx", XLSX)
