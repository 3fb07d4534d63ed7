from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import pagecache
from core.people import office_head
from core.permissions import is_national_user, kabkota_offices_visible_to, require
from core.services import audit_events_for
from core.views import PDF, XLSX, attachment_response, download_response
from program.queries import program_year_from, program_years_visible_to

from . import exports, nomination, prefill, services
from .forms import (
    AnswerForm,
    BeritaAcaraForm,
    CheckRuleEditForm,
    CheckRuleForm,
    DivisorForm,
    EvidenceDocumentForm,
    EvidenceFileForm,
    EvidenceLinkForm,
    NomineeFilterForm,
    OpenAssessmentForm,
    ReasonForm,
    WorkbookForm,
    XlsxForm,
)
from .instrument_data import (
    InstrumentDataError,
    instrument_from_xlsx,
    instrument_to_data,
    instrument_to_xlsx,
)
from .models import CheckRule, Instrument, Item, Level, Target
from .queries import (
    allowed_actions,
    assessment_of,
    assessment_window,
    bulk_actions_for,
    cached_results_for,
    can_correct_instrument,
    can_manage_instruments,
    can_open_assessment,
    can_sign_off,
    choice_groups,
    correction_lock,
    default_instrument,
    documents_for_evidence,
    editable_level,
    evidence_counts,
    evidence_required_counts,
    get_evidence_for,
    get_item_of,
    get_worksheet_for,
    item_row,
    national_nominees,
    national_results,
    nominee_provinces_visible_to,
    nominee_years,
    signed_years,
    tracked_items,
    worksheet_rows,
    worksheet_summary,
    worksheets_of_year,
    worksheets_visible_to,
)
from .scoring import block_formulas, instrument_tree, instrument_trees
from .workbook import note_text, read_official_workbook, summary


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- the year's assessment -----------------------------------------------------------------


@login_required
@require_GET
def index(request):
    year = program_year_from(request.GET, request.user)
    assessment = assessment_of(year)
    worksheets = worksheets_of_year(request.user, year) if assessment else []
    present = evidence_counts(worksheets)
    required = evidence_required_counts(assessment) if assessment else {}
    offices = {}
    for worksheet in worksheets:
        worksheet.evidence_present = present.get(worksheet.pk, 0)
        worksheet.evidence_required = required.get(worksheet.target, 0)
        offices.setdefault(worksheet.office, []).append(worksheet)
    window, due = assessment_window(year) if year else (None, None)
    items = (
        {i.office_id: i for i in tracked_items(year, [o.pk for o in offices])} if assessment else {}
    )
    return render(
        request,
        "lke/index.html",
        {
            "year": year,
            "years": program_years_visible_to(request.user).order_by("-year"),
            "assessment": assessment,
            "offices": [(office, rows, items.get(office.pk)) for office, rows in offices.items()],
            "window": window,
            "due": due,
            "can_open": year is not None and can_open_assessment(request.user, year),
            "bulk_actions": bulk_actions_for(request.user, year) if assessment else [],
            "open_form": OpenAssessmentForm(
                initial={"instrument": default_instrument(year.year) if year else None}
            ),
        },
    )


@login_required
@require_POST
def assessment_open(request):
    year = program_year_from(request.GET, request.user)
    if year is None:
        raise Http404
    require(can_open_assessment(request.user, year))
    form = OpenAssessmentForm(request.POST)
    if form.is_valid():
        try:
            services.open_assessment(
                year, instrument=form.cleaned_data["instrument"], by=request.user
            )
            messages.success(
                request, _("The LKE assessment of %(year)s is open.") % {"year": year.year}
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
    return redirect(f"{reverse('lke:index')}?tahun={year.year}")


@login_required
@require_POST
def worksheets_sync(request):
    year = program_year_from(request.GET, request.user)
    assessment = assessment_of(year)
    if assessment is None:
        raise Http404
    added = services.add_missing_worksheets(assessment, by=request.user)  # checks the user
    messages.success(request, _("%(count)s worksheets added.") % {"count": added})
    return redirect(f"{reverse('lke:index')}?tahun={year.year}")


# --- one worksheet -------------------------------------------------------------------------


def _worksheet_context(request, worksheet, **extra) -> dict:
    level = editable_level(request.user, worksheet)
    context = {
        "worksheet": worksheet,
        "page": worksheet_rows(worksheet),
        "level": level,
        "show_provincial": worksheet.status != "self_assessment"
        or worksheet.provincial_answered > 0,
        "reason_form": ReasonForm(),
        "xlsx_form": XlsxForm(),
        "documents": choice_groups(documents_for_evidence(request.user, worksheet))
        if level
        else None,
        **_next_step(request, worksheet, level),
        "nominees": nomination.office_state(
            worksheet,
            level or Level.PROVINCIAL,
            instrument_tree(worksheet.assessment.instrument, Target.VILLAGE),
        )
        if worksheet.target == Target.VILLAGE
        else None,
    }
    if level == Level.SELF:
        _attach_suggestions(worksheet, context["page"])
    context.update(extra)
    return context


def _next_step(request, worksheet, level, *, tree=None, missing_evidence=None) -> dict:
    """What the "Next step" card shows (worksheet.html#actions): the steps the user may take
    and, for the team whose turn it is, what still keeps the worksheet from being submitted.
    On the page and after each saved answer, so its buttons follow the answers. `tree`, and
    the items missing evidence (worksheet_summary has them), when the caller has them."""
    if level != Level.SELF:
        missing_evidence = []
    elif missing_evidence is None:
        missing_evidence = services.missing_evidence(worksheet, tree=tree)
    return {
        "actions": allowed_actions(request.user, worksheet),
        "missing": services.missing_items(worksheet, level, tree) if level else [],
        "missing_evidence": missing_evidence,
    }


def _attach_suggestions(worksheet, page) -> None:
    """The answers the system can suggest (lke.prefill), on the unanswered self-level rows."""
    rows = [
        row
        for block in page["blocks"]
        for aspect in block["aspects"]
        for indicator in aspect["indicators"]
        for row in indicator["rows"]
        if not (row.self_answer and row.self_answer.is_answered)
    ]
    found = prefill.suggestions(worksheet, [row.item for row in rows])
    for row in rows:
        row.suggestion = found.get(row.item.pk)


@login_required
@require_GET
def worksheet_detail(request, pk: int):
    worksheet = get_worksheet_for(request.user, pk)
    return render(request, "lke/worksheet.html", _worksheet_context(request, worksheet))


def _item_response(request, worksheet, item_pk: int, *, status: int = 200, errors: str = ""):
    """After a write on one item. For htmx: the item's card and, out of band, the summary, always
    with 200 so htmx swaps it in (an error shows inside the card). Otherwise: a redirect to the
    item, or the whole page with the error on the item and the error status."""
    if not request.htmx and not errors:
        return redirect(f"{reverse('lke:worksheet', args=[worksheet.pk])}#butir-{item_pk}")
    worksheet = get_worksheet_for(request.user, worksheet.pk)
    context = _worksheet_context(request, worksheet)
    row = next(
        row
        for block in context["page"]["blocks"]
        for aspect in block["aspects"]
        for indicator in aspect["indicators"]
        for row in indicator["rows"]
        if row.item.pk == item_pk
    )
    row.error = errors
    if request.htmx:
        return render(request, "lke/_item_saved.html", {**context, "row": row})
    return render(request, "lke/worksheet.html", context, status=status)


def _answer_response(
    request, worksheet, item, *, status: int = 200, errors: str = "", tried="", replaced=None
):
    """After saving (or failing to save) one answer. For htmx: the item's answers (both levels)
    and, out of band, the summary and the progress bar, built from the item and the worksheet's
    stored counters and scores, not from the whole worksheet; always 200 so htmx swaps it in
    (an error shows in the card, with the answer that was not saved). Otherwise: a redirect to
    the item, or the whole page with the error on the item and the error status.

    The evidence section of an item with a rule follows the answer (lke.rules): it is sent
    again, with the documents to link, unless `replaced` (the level saved and the answer it
    replaced, as the service returns it) shows that the save left what it shows as it was."""
    if not request.htmx:
        return _item_response(request, worksheet, item.pk, status=status, errors=errors)
    row = item_row(worksheet, item)
    row.error, row.stale_attempt = errors, tried
    level = editable_level(request.user, worksheet)
    evidence = row.has_evidence_rule and (
        replaced is None or row.evidence_view_with(*replaced) != row.evidence_view
    )
    tree = instrument_tree(worksheet.assessment.instrument, worksheet.target)
    page = worksheet_summary(worksheet, tree)
    context = {
        "worksheet": worksheet,
        "row": row,
        "level": level,
        "page": page,
        "show_provincial": worksheet.status != "self_assessment"
        or worksheet.provincial_answered > 0,
        "evidence": evidence,
        **_next_step(
            request, worksheet, level, tree=tree, missing_evidence=page["missing_evidence"]
        ),
    }
    if evidence and level:
        context["documents"] = choice_groups(documents_for_evidence(request.user, worksheet))
    return render(request, "lke/_answer_saved.html", context)


def _tried(form) -> str:
    """The answer a refused save carried, to show beside the error (nothing typed is lost)."""
    data = form.cleaned_data
    parts = [
        data["option"].label if data.get("option") else data.get("text", ""),
        data.get("note", ""),
        data.get("reason", ""),
    ]
    return " · ".join(p for p in parts if p)


@login_required
@require_POST
def answer_save(request, pk: int, item_pk: int):
    worksheet = get_worksheet_for(request.user, pk, write=True, light=True)
    item = get_item_of(worksheet, item_pk)
    form = AnswerForm(request.POST, item=item)
    if not form.is_valid():
        return _answer_response(
            request,
            worksheet,
            item,
            status=400,
            errors=_("The answer could not be read; choose an option and save again."),
        )
    require(editable_level(request.user, worksheet) == form.cleaned_data["level"])
    try:
        answer = services.save_answer(worksheet, **form.service_values(), by=request.user)
    except services.StaleEditError as error:
        return _answer_response(
            request, worksheet, item, status=409, errors=_error_text(error), tried=_tried(form)
        )
    except ValidationError as error:
        return _answer_response(
            request, worksheet, item, status=400, errors=_error_text(error), tried=_tried(form)
        )
    _take_saved_counters(worksheet, answer)
    replaced = (form.cleaned_data["level"], answer.previous)
    response = _answer_response(request, worksheet, item, replaced=replaced)
    if request.htmx and nomination.role_of(item) == "nominated":
        response["HX-Refresh"] = "true"  # 2a decides which indicators the page shows
    return response


def _take_saved_counters(worksheet, answer) -> None:
    """The page's worksheet takes the counters and scores of the locked row the service
    updated (answer.worksheet), so the card and the progress answer what was saved."""
    saved = answer.worksheet
    for name in ("scores", "self_answered", "provincial_answered", "required_items", "status"):
        setattr(worksheet, name, getattr(saved, name))


@login_required
@require_POST
def check_rule_apply(request, pk: int, item_pk: int, rule_pk: int):
    worksheet = get_worksheet_for(request.user, pk, write=True, light=True)
    item = get_item_of(worksheet, item_pk)
    # a rule deleted on the instrument's page meanwhile: the service says so in the card
    rule = CheckRule.objects.filter(pk=rule_pk, item=item).first() or CheckRule(
        pk=rule_pk, item=item
    )
    require(editable_level(request.user, worksheet) == Level.PROVINCIAL)
    form = CheckRuleForm(request.POST)
    if not form.is_valid():
        return _answer_response(
            request, worksheet, item, status=400, errors=_("Reload the page and try again.")
        )
    try:
        answer = services.apply_check_rule(
            worksheet,
            rule=rule,
            version=form.cleaned_data["version"],
            rule_version=form.cleaned_data["rule_version"],
            by=request.user,
        )
    except services.StaleEditError as error:
        return _answer_response(request, worksheet, item, status=409, errors=_error_text(error))
    except ValidationError as error:
        return _answer_response(request, worksheet, item, status=400, errors=_error_text(error))
    _take_saved_counters(worksheet, answer)
    return _answer_response(request, worksheet, item, replaced=(Level.PROVINCIAL, answer.previous))


EVIDENCE_FORMS = {
    "berkas": EvidenceFileForm,
    "tautan": EvidenceLinkForm,
    "dokumen": EvidenceDocumentForm,
}


@login_required
@require_POST
def evidence_add(request, pk: int, item_pk: int, kind: str):
    worksheet = get_worksheet_for(request.user, pk, write=True)
    require(editable_level(request.user, worksheet) is not None)
    item = get_item_of(worksheet, item_pk)
    extra = (
        {"documents": documents_for_evidence(request.user, worksheet)} if kind == "dokumen" else {}
    )
    form = EVIDENCE_FORMS[kind](request.POST, request.FILES, **extra)
    if not form.is_valid():
        return _item_response(
            request,
            worksheet,
            item.pk,
            status=400,
            errors=" ".join(e for errs in form.errors.values() for e in errs),
        )
    try:
        if kind == "berkas":
            services.add_evidence_file(
                worksheet,
                item=item,
                upload=form.cleaned_data["file"],
                document=form.cleaned_data["document"],
                by=request.user,
            )
        elif kind == "tautan":
            services.add_evidence_link(worksheet, item=item, **form.cleaned_data, by=request.user)
        else:
            services.add_evidence_document(
                worksheet, item=item, document=form.cleaned_data["document"], by=request.user
            )
    except ValidationError as error:
        return _item_response(request, worksheet, item.pk, status=400, errors=_error_text(error))
    return _item_response(request, worksheet, item.pk)


@login_required
@require_POST
def evidence_remove(request, pk: int, evidence_pk: int):
    evidence = get_evidence_for(request.user, pk, evidence_pk)
    worksheet = get_worksheet_for(request.user, pk, write=True)
    require(editable_level(request.user, worksheet) is not None)
    try:
        services.remove_evidence(evidence, by=request.user)
    except ValidationError as error:
        return _item_response(
            request, worksheet, evidence.item_id, status=400, errors=_error_text(error)
        )
    return _item_response(request, worksheet, evidence.item_id)


@login_required
@require_GET
def evidence_download(request, pk: int, evidence_pk: int):
    evidence = get_evidence_for(request.user, pk, evidence_pk)
    if evidence.attachment is None:
        raise Http404
    return attachment_response(evidence.attachment)


ACTIONS = {
    "submit": (services.submit_worksheet, False, _("Worksheet submitted to the province.")),
    "start_verification": (services.start_verification, False, _("Verification started.")),
    "return": (services.return_worksheet, True, _("Worksheet returned to the regency/city team.")),
    "finalise": (
        services.finalise_worksheet,
        False,
        _("Worksheet finalised; its scores are frozen."),
    ),
    "reopen": (services.reopen_worksheet, True, _("Worksheet reopened for verification.")),
    "accept_self": (services.accept_self_answers, False, _("Self-assessed answers taken over.")),
}


@login_required
@require_POST
def worksheet_action(request, pk: int, action: str):
    worksheet = get_worksheet_for(request.user, pk, write=True)
    require(action in allowed_actions(request.user, worksheet))
    service, needs_reason, done = ACTIONS[action]
    form = ReasonForm(request.POST) if needs_reason else None
    if form is not None and not form.is_valid():
        messages.error(request, _("Write the comments first."))
        return redirect("lke:worksheet", pk=pk)
    try:
        service(
            worksheet, by=request.user, **({"reason": form.cleaned_data["reason"]} if form else {})
        )
        messages.success(request, str(done))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("lke:worksheet", pk=pk)


@login_required
@require_POST
def bulk_action(request):
    """Many worksheets at once, from the list of the year: the first POST shows what would be
    done and what not (a dry run of the same services, so the reasons are theirs); the
    confirmed POST does it, each worksheet on its own (its own audit rows), and shows both
    lists again. Only worksheets the user sees are taken; the services check the rest."""
    year = program_year_from(request.GET, request.user)
    if year is None:
        raise Http404
    action = request.POST.get("action", "")
    if action not in services.BULK_STEPS:
        messages.error(request, _("Choose what to do with the selected worksheets."))
        return redirect(f"{reverse('lke:index')}?tahun={year.year}")
    ids = [int(v) for v in request.POST.getlist("worksheets") if v.isdigit()]
    worksheets = list(
        worksheets_visible_to(request.user)
        .filter(assessment__program_year=year, pk__in=ids)
        .order_by("office__code", "-target", "village__village__name")
    )
    if not worksheets:
        messages.error(request, _("Select at least one worksheet."))
        return redirect(f"{reverse('lke:index')}?tahun={year.year}")
    confirmed = request.POST.get("confirm") == "1"
    outcome = services.apply_to_many(worksheets, action, by=request.user, dry_run=not confirmed)
    if confirmed:
        for worksheet in outcome.done:  # the services changed their own copies
            worksheet.refresh_from_db(fields=["status", "provincial_answered"])
    return render(
        request,
        "lke/bulk.html",
        {
            "year": year,
            "action": action,
            "label": services.BULK_LABELS[action],
            "confirmed": confirmed,
            "outcome": outcome,
        },
    )


def _xlsx_level(request, worksheet) -> str:
    level = request.GET.get("tingkat") or editable_level(request.user, worksheet) or Level.SELF
    if level not in Level.values:
        raise Http404
    return level


@login_required
@require_GET
def worksheet_xlsx(request, pk: int):
    worksheet = get_worksheet_for(request.user, pk)
    level = _xlsx_level(request, worksheet)
    name = f"LKE-{worksheet.assessment.program_year.year}-{worksheet.pk}-{level}.xlsx"
    return download_response(exports.worksheet_xlsx(worksheet, level), name, XLSX)


@login_required
@require_GET
def worksheet_national_form(request, pk: int):
    """One worksheet's answers in the national web form's layout (xlsx)."""
    worksheet = get_worksheet_for(request.user, pk)
    level = _xlsx_level(request, worksheet)
    name = f"formulir-nasional-{worksheet.assessment.program_year.year}-{worksheet.pk}.xlsx"
    return download_response(exports.national_form_xlsx([worksheet], level), name, XLSX)


@login_required
@require_GET
def office_national_form(request, pk: int):
    """Every worksheet of one kab/kota office (its villages and the office's own) in the
    national web form's layout, for the year asked (?tahun=); 404 outside the user's scope."""
    try:
        year = int(request.GET.get("tahun", timezone.localdate().year))
    except ValueError:
        raise Http404 from None
    worksheets = list(
        worksheets_visible_to(request.user)
        .filter(assessment__program_year__year=year)
        .filter(Q(office_id=pk) | Q(village__office_id=pk))
        .select_related("assessment__instrument", "village__village", "office__region")
        .order_by("target", "village__village__name")
    )
    if not worksheets:
        raise Http404
    level = request.GET.get("tingkat") or Level.SELF
    if level not in Level.values:
        raise Http404
    code = next((w.office.code for w in worksheets if w.office_id), pk)
    name = f"formulir-nasional-{year}-{code}.xlsx"
    return download_response(exports.national_form_xlsx(worksheets, level), name, XLSX)


@login_required
@require_POST
def worksheet_import(request, pk: int):
    worksheet = get_worksheet_for(request.user, pk, write=True)
    level = editable_level(request.user, worksheet)
    require(level is not None)
    form = XlsxForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request,
            "lke/worksheet.html",
            _worksheet_context(request, worksheet, xlsx_form=form),
            status=400,
        )
    try:
        rows = exports.parse_worksheet_xlsx(worksheet, form.cleaned_data["file"], level)
        count = services.import_answers(worksheet, rows, level=level, by=request.user)
    except ValidationError as error:
        context = _worksheet_context(
            request, worksheet, xlsx_form=form, import_errors=error.messages
        )
        return render(request, "lke/worksheet.html", context, status=400)
    messages.success(request, _("%(count)s answers imported.") % {"count": count})
    return redirect("lke:worksheet", pk=pk)


@login_required
@require_GET
def worksheet_history(request, pk: int):
    worksheet = get_worksheet_for(request.user, pk)
    return render(
        request,
        "lke/worksheet_history.html",
        {"worksheet": worksheet, "events": audit_events_for(worksheet)},
    )


# --- results -------------------------------------------------------------------------------


def _record_initial(request, assessment) -> dict:
    """The berita acara form's first values: the signed record, else today, the province's
    seat and the user when they are a team lead."""
    if assessment.signed_off_at:
        return {
            "number": assessment.record_number,
            "place": assessment.record_place,
            "date": assessment.record_date,
            "lead": assessment.record_lead_id,
        }
    return {"date": timezone.localdate(), "lead": request.user.pk}


def _results_context(request, *, record_form=None, sign_form=None):
    year = program_year_from(request.GET, request.user)
    assessment = assessment_of(year)
    if assessment is None:
        raise Http404
    trees = instrument_trees(assessment.instrument)  # built once for the page's three uses
    results = cached_results_for(request.user, assessment, trees)
    initial = _record_initial(request, assessment)
    return {
        "record_form": record_form
        or BeritaAcaraForm(assessment=assessment, initial=initial, auto_id="ba_%s"),
        "sign_form": sign_form
        or BeritaAcaraForm(assessment=assessment, initial=initial, auto_id="so_%s"),
        "year": year,
        "years": program_years_visible_to(request.user).order_by("-year"),
        "assessment": assessment,
        "results": results,
        "instrument": assessment.instrument,
        "scored_blocks": [b for b in trees[Target.VILLAGE] if b.scored],
        "formulas": block_formulas(assessment.instrument, trees),
        "can_sign_off": can_sign_off(request.user, assessment) and not assessment.signed_off_at,
        "now": timezone.now(),
    }


@login_required
@require_GET
@pagecache.cached_page("lke-results-page")
def results(request):
    return render(request, "lke/results.html", _results_context(request))


@login_required
@require_GET
def results_xlsx(request):
    context = _results_context(request)
    content = exports.xlsx_of(
        [
            (_("Villages"), exports.results_rows(context["results"])),
            (_("Regencies/cities"), exports.office_rows(context["results"])),
            (
                _("Not assessed yet"),
                exports.results_rows(
                    {**context["results"], "villages": context["results"]["unassessed"]}
                ),
            ),
        ]
    )
    return download_response(content, f"hasil-penilaian-lke-{context['year'].year}.xlsx", XLSX)


@login_required
@require_GET
def results_pdf(request):
    """The berita acara. Once signed off it prints the record entered at the sign-off; before,
    the number, place, date and team lead come with the request (the form on the results page)
    and are checked: a wrong one shows the results page with the errors, no PDF."""
    context = _results_context(request)
    assessment = context["assessment"]
    if assessment.signed_off_at:
        record = {
            "number": assessment.record_number,
            "place": assessment.record_place,
            "date": assessment.record_date,
            "lead": assessment.record_lead,
        }
    else:
        form = BeritaAcaraForm(request.GET, assessment=assessment, auto_id="ba_%s")
        if not form.is_valid():
            context = _results_context(request, record_form=form)
            return render(request, "lke/results.html", context, status=400)
        record = form.record()
    context["record"] = record
    context["letterhead_office"] = assessment.program_year.province
    context["head"] = assessment.signed_off_by or office_head(assessment.program_year.province)
    return download_response(
        exports.results_pdf(context),
        f"hasil-penilaian-lke-{context['year'].year}.pdf",
        PDF,
    )


@login_required
@require_POST
def results_sign_off(request):
    year = program_year_from(request.GET, request.user)
    assessment = assessment_of(year)
    if assessment is None:
        raise Http404
    require(can_sign_off(request.user, assessment))
    form = BeritaAcaraForm(request.POST, assessment=assessment, auto_id="so_%s")
    if not form.is_valid():
        context = _results_context(request, sign_form=form)
        return render(request, "lke/results.html", context, status=400)
    try:
        services.sign_off_results(assessment, record=form.record(), by=request.user)
        messages.success(
            request, _("The LKE results of %(year)s are signed off.") % {"year": year.year}
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect(f"{reverse('lke:results')}?tahun={year.year}")


@login_required
@require_GET
def results_national_xlsx(request):
    if not request.user.is_superuser:
        raise PermissionDenied
    try:
        year = int(request.GET.get("tahun", timezone.localdate().year))
    except ValueError:
        raise Http404 from None
    content = exports.xlsx_of(
        [(_("Villages"), exports.results_rows(national_results(year), with_province=True))]
    )
    return download_response(content, f"hasil-penilaian-lke-nasional-{year}.xlsx", XLSX)


# --- the nominees of the signed provinces (the national desk evaluation) ------------------------


def _nominees(request):
    """The form, the nominees asked for and the years with a signed result. 404: for a user
    who sees no province's nominees (a kab/kota office), for a province, a kab/kota or a year
    outside the user's scope, and for a malformed year."""
    user = request.user
    provinces = list(nominee_provinces_visible_to(user))
    if not provinces:
        raise Http404
    raw = request.GET.get("provinsi") or ""
    province = next((p for p in provinces if p.code == raw), None)
    if raw and province is None:
        raise Http404
    if province is None and len(provinces) == 1:
        province = provinces[0]
    raw = request.GET.get("kabkota") or ""
    office = None
    if raw:
        office = kabkota_offices_visible_to(user, province).filter(pk=_number(raw)).first()
        if office is None or office.parent_id not in {p.pk for p in provinces}:
            raise Http404
        province = next(p for p in provinces if p.pk == office.parent_id)
    offices = list(kabkota_offices_visible_to(user, province)) if province else []
    years, signed = nominee_years(user), signed_years(user)
    raw = request.GET.get("tahun") or ""
    if raw:
        year = _number(raw)
        if year not in years:
            raise Http404
    else:
        year = next(iter(signed), years[0] if years else None)
    data = {**request.GET.dict(), "tahun": year, "provinsi": province.code if province else ""}
    form = NomineeFilterForm(data, years=years, provinces=provinces, offices=offices)
    if year is None or not form.is_valid():
        return form, None, signed
    nominees = national_nominees(
        user,
        year,
        province=province,
        office=office,
        max_rank=form.cleaned_data["peringkat"],
    )
    return form, nominees, signed


def _number(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise Http404 from None


@login_required
@require_GET
def nominees(request):
    """The nominees of every signed province result the user may see (BPS RI: every province;
    a province: its own), filterable by province, kab/kota, year and 2b rank."""
    form, data, signed = _nominees(request)
    context = {
        "form": form,
        "data": data,
        "signed_years": signed,
        "national": is_national_user(request.user),
        "query": request.GET.urlencode(),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "lke/nominees.html", context, status=status)


@login_required
@require_GET
def nominees_xlsx(request):
    form, data, _signed = _nominees(request)
    if data is None:
        raise Http404
    asked = form.cleaned_data["provinsi"] if request.GET.get("provinsi") else ""
    name = f"usulan-desa-cantik-{data.year}{'-' + asked if asked else ''}.xlsx"
    return download_response(exports.nominees_xlsx(data), name, XLSX)


# --- instruments ---------------------------------------------------------------------------


@login_required
@require_GET
def instrument_list(request):
    require(can_manage_instruments(request.user))
    instruments = Instrument.objects.prefetch_related("assessments")
    return render(
        request, "lke/instrument_list.html", {"instruments": instruments, "form": XlsxForm()}
    )


RULE_FIELDS = ("self_score", "present", "absent", "confirm", "score", "text")


@dataclass
class RuleEditor:
    """One form of the checking rules on the instrument's page: the values it shows (the rule's,
    or what was typed when a save was refused), its version, its errors by field."""

    values: dict
    version: int = 0
    errors: dict = field(default_factory=dict)
    open: bool = False

    @property
    def kind_groups(self) -> list[tuple]:
        """(field, title, kinds ticked, errors) of the two sets of evidence kinds."""
        return [
            (name, title, self.values.get(name) or [], self.errors.get(name, []))
            for name, title in (
                ("present", _("Evidence present")),
                ("absent", _("Evidence absent")),
            )
        ]

    @property
    def typed_rows(self) -> list[tuple[str, str]]:
        """(label, value) of what was typed, to show when the form itself is not (the
        instrument became locked): nothing typed is lost."""
        labels = {
            "self_score": _("Self-assessed score"),
            "score": _("Resulting score"),
            "present": _("Evidence present"),
            "absent": _("Evidence absent"),
            "confirm": _("To confirm in the documents"),
            "text": _("Rule text (the reason)"),
        }
        rows = []
        for name, label in labels.items():
            value = self.values.get(name)
            if isinstance(value, list):
                value = ", ".join(str(services.RULE_KINDS.get(v, v)) for v in value)
            if value not in (None, ""):
                rows.append((label, str(value)))
        return rows

    @classmethod
    def of(cls, rule: CheckRule | None) -> "RuleEditor":
        if rule is None:
            return cls(values={"present": [], "absent": []})
        return cls(values={name: getattr(rule, name) for name in RULE_FIELDS}, version=rule.version)

    @classmethod
    def typed(cls, request, version: int, error: ValidationError | None) -> "RuleEditor":
        values = {name: request.POST.get(name, "") for name in RULE_FIELDS}
        values["present"] = request.POST.getlist("present")
        values["absent"] = request.POST.getlist("absent")
        errors = error.message_dict if error is not None and hasattr(error, "error_dict") else {}
        return cls(values=values, version=version, errors=errors, open=True)


def _instrument_items(instrument: Instrument, trees) -> dict:
    """{item id: item} of the instrument's trees, each item given its checking rules
    (`rule_list`, with their editors) and the editor of a new rule (`new_rule`)."""
    rules = defaultdict(list)
    for rule in CheckRule.objects.filter(item__instrument=instrument).order_by("order", "id"):
        rule.editor = RuleEditor.of(rule)
        rule.form_prefix = f"rule{rule.pk}"
        rule.summary = services.rule_summary(rule)
        rules[rule.item_id].append(rule)
    items = {}
    for _target, blocks in trees:
        for block in blocks:
            for aspect in block.aspects.all():
                for indicator in aspect.indicators.all():
                    for item in indicator.items.all():
                        item.rule_list = rules.get(item.pk, [])
                        item.score_choices = sorted(
                            {o.score for o in item.options.all()}, reverse=True
                        )
                        item.new_rule = RuleEditor.of(None)
                        item.rule_prefix = f"newrule{item.pk}"
                        item.block = block
                        item.correction_error = ""
                        item.divisor_typed = None
                        item.unsaved = []
                        items[item.pk] = item
    return items


def _instrument_context(request, instrument: Instrument, *, refused=None) -> dict:
    """The instrument's page. `refused` puts a refused correction back on its item: (item id,
    rule id | "new" | "divisor", RuleEditor | the typed divisor, the error text)."""
    # trees of its own: _instrument_items sets the page's editors and errors on the items
    trees = [(target, instrument_tree(instrument, target, own=True)) for target in Target.values]
    items = _instrument_items(instrument, trees)
    if refused is not None:
        _put_back(items, *refused)
    refused_item = items[refused[0]] if refused is not None and refused[3] else None
    correctable = can_correct_instrument(request.user, instrument)
    lock = correction_lock(instrument) if correctable else ""
    return {
        "instrument": instrument,
        "trees": trees,
        "formulas": block_formulas(instrument),
        "notes": [note_text(n) for n in instrument.import_notes],
        "can_correct": correctable,
        "lock": lock,
        "editable": correctable and not lock,
        "kinds": services.RULE_KINDS.items(),
        "events": audit_events_for(instrument)[:30],
        "refused_item": refused_item,  # named at the top: the page is long
    }


def _put_back(items: dict, item_pk: int, where, shown, error: str) -> None:
    item = items[item_pk]
    item.correction_error = error
    if isinstance(shown, RuleEditor):
        item.unsaved = shown.typed_rows
    elif shown:
        item.unsaved = [(_("Divisor"), shown)]
    if where == "divisor":
        item.divisor_typed = shown
    elif where == "new":
        item.new_rule = shown
    else:
        for rule in item.rule_list:
            if rule.pk == where and shown is not None:
                rule.editor = shown


def _instrument_of(request, pk: int, item_pk: int):
    """The instrument and its item of a correction URL: 403 for a user who does not manage
    instruments or may not correct this one (can_correct_instrument), 404 for an unknown one."""
    require(can_manage_instruments(request.user))
    instrument = get_object_or_404(Instrument, pk=pk)
    item = get_object_or_404(
        Item.objects.select_related("indicator__aspect__block", "instrument"),
        pk=item_pk,
        instrument=instrument,
    )
    require(can_correct_instrument(request.user, instrument), str(services.CORRECTION_REFUSED))
    return instrument, item


def _rules_response(request, instrument, item, *, refused=None, status: int = 200, saved=""):
    """After a change of an item's checking rules. For htmx: the item's rules (always 200, an
    error shows inside them with what was typed); otherwise a redirect to the item, or the
    whole page with the error on the item and the error status."""
    if not request.htmx and refused is None:
        if saved:
            messages.success(request, saved)
        return redirect(
            f"{reverse('lke:instrument_detail', args=[instrument.pk])}#aturan-{item.pk}"
        )
    context = _instrument_context(request, instrument, refused=refused)
    if not request.htmx:
        return render(request, "lke/instrument_detail.html", context, status=status)
    shown = next(
        it
        for _t, blocks in context["trees"]
        for b in blocks
        for a in b.aspects.all()
        for i in a.indicators.all()
        for it in i.items.all()
        if it.pk == item.pk
    )
    return render(request, "lke/_instrument_rules.html", {**context, "item": shown, "saved": saved})


def _refusal(error: ValidationError) -> tuple[int, str]:
    if isinstance(error, services.StaleEditError):
        return 409, _error_text(error)
    if isinstance(error, services.TransitionError):
        return 409, _error_text(error)
    if hasattr(error, "error_dict"):
        return 400, _("The rule was not saved: correct the fields marked below.")
    return 400, _error_text(error)


@login_required
@require_GET
def instrument_detail(request, pk: int):
    require(can_manage_instruments(request.user))
    instrument = get_object_or_404(Instrument, pk=pk)
    return render(request, "lke/instrument_detail.html", _instrument_context(request, instrument))


def _rule_form_response(request, instrument, item, where, editor: RuleEditor):
    """The form of a new rule (`where` = "new") or of a rule (its id), opened on demand so the
    page does not carry a form per item: for htmx the form alone, otherwise the whole page with
    the form open on its item."""
    if not request.htmx:
        editor.open = True
        context = _instrument_context(request, instrument, refused=(item.pk, where, editor, ""))
        return render(request, "lke/instrument_detail.html", context)
    item.score_choices = sorted({o.score for o in item.options.all()}, reverse=True)
    if where == "new":
        action = reverse("lke:instrument_rule_add", args=[instrument.pk, item.pk])
        prefix = f"newrule{item.pk}"
    else:
        action = reverse("lke:instrument_rule_edit", args=[instrument.pk, item.pk, where])
        prefix = f"rule{where}"
    context = {
        "item": item,
        "editor": editor,
        "action": action,
        "prefix": prefix,
        "kinds": services.RULE_KINDS.items(),
    }
    return render(request, "lke/_rule_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def instrument_rule_add(request, pk: int, item_pk: int):
    instrument, item = _instrument_of(request, pk, item_pk)
    if request.method == "GET":
        return _rule_form_response(request, instrument, item, "new", RuleEditor.of(None))
    form = CheckRuleEditForm(request.POST)
    form.is_valid()  # only reads the fields; the service checks them
    try:
        services.add_check_rule(instrument, item=item, values=form.rule_values(), by=request.user)
    except ValidationError as error:
        status, text = _refusal(error)
        refused = (item.pk, "new", RuleEditor.typed(request, 0, error), text)
        return _rules_response(request, instrument, item, refused=refused, status=status)
    return _rules_response(
        request, instrument, item, saved=_("Checking rule of %(code)s added.") % {"code": item.code}
    )


def _rule_of(item, rule_pk: int) -> CheckRule:
    """The rule of the item; one deleted meanwhile reads as an unsaved copy (the service's
    StaleEditError), not as a page that does not exist."""
    return (
        CheckRule.objects.filter(pk=rule_pk, item=item).select_related("item__instrument").first()
    )


@login_required
@require_http_methods(["GET", "POST"])
def instrument_rule_edit(request, pk: int, item_pk: int, rule_pk: int):
    instrument, item = _instrument_of(request, pk, item_pk)
    if request.method == "GET":
        rule = _rule_of(item, rule_pk)
        if rule is None:
            raise Http404
        return _rule_form_response(request, instrument, item, rule.pk, RuleEditor.of(rule))
    form = CheckRuleEditForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] is None:
        refused = (item.pk, rule_pk, None, _("Reload the page and try again."))
        return _rules_response(request, instrument, item, refused=refused, status=400)
    version = form.cleaned_data["version"]
    rule = _rule_of(item, rule_pk) or CheckRule(pk=rule_pk, item=item, version=-1)
    try:
        services.update_check_rule(
            rule, values=form.rule_values(), version=version, by=request.user
        )
    except ValidationError as error:
        status, text = _refusal(error)
        current = _rule_of(item, rule_pk)
        if current is None:  # deleted meanwhile: what was typed goes to a new rule's form
            refused = (item.pk, "new", RuleEditor.typed(request, 0, None), text)
        elif isinstance(error, services.StaleEditError):  # theirs shown, the input kept
            refused = (item.pk, rule_pk, RuleEditor.typed(request, current.version, None), text)
        else:
            refused = (item.pk, rule_pk, RuleEditor.typed(request, version, error), text)
        return _rules_response(request, instrument, item, refused=refused, status=status)
    return _rules_response(
        request,
        instrument,
        item,
        saved=_("Checking rule of %(code)s changed.") % {"code": item.code},
    )


@login_required
@require_POST
def instrument_rule_delete(request, pk: int, item_pk: int, rule_pk: int):
    instrument, item = _instrument_of(request, pk, item_pk)
    form = CheckRuleEditForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] is None:
        refused = (item.pk, rule_pk, None, _("Reload the page and try again."))
        return _rules_response(request, instrument, item, refused=refused, status=400)
    rule = _rule_of(item, rule_pk) or CheckRule(pk=rule_pk, item=item, version=-1)
    try:
        services.delete_check_rule(rule, version=form.cleaned_data["version"], by=request.user)
    except ValidationError as error:
        status, text = _refusal(error)
        return _rules_response(
            request, instrument, item, refused=(item.pk, rule_pk, None, text), status=status
        )
    return _rules_response(
        request,
        instrument,
        item,
        saved=_("Checking rule of %(code)s deleted.") % {"code": item.code},
    )


@login_required
@require_POST
def instrument_divisor(request, pk: int, item_pk: int):
    """Correct an item's divisor: a plain form (the formulas, the anomalies and the scores of
    the worksheets change with it), back to the page with what was scored again."""
    instrument, item = _instrument_of(request, pk, item_pk)
    form = DivisorForm(request.POST)
    typed = request.POST.get("divisor", "")
    if not form.is_valid():
        refused = (item.pk, "divisor", typed, _("Reload the page and try again."))
        context = _instrument_context(request, instrument, refused=refused)
        return render(request, "lke/instrument_detail.html", context, status=400)
    try:
        count = services.set_item_divisor(
            item,
            divisor=form.cleaned_data["divisor"],
            version=form.cleaned_data["version"],
            by=request.user,
        )
    except ValidationError as error:
        status = (
            409 if isinstance(error, services.StaleEditError | services.TransitionError) else 400
        )
        stale = isinstance(error, services.StaleEditError)
        refused = (item.pk, "divisor", None if stale else typed, _error_text(error))
        context = _instrument_context(request, instrument, refused=refused)
        return render(request, "lke/instrument_detail.html", context, status=status)
    messages.success(
        request,
        _("Divisor of %(code)s saved; the scores of %(count)s worksheets were computed again.")
        % {"code": item.code, "count": count},
    )
    return redirect(f"{reverse('lke:instrument_detail', args=[instrument.pk])}#aturan-{item.pk}")


@login_required
@require_GET
def instrument_xlsx(request, pk: int):
    require(can_manage_instruments(request.user))
    instrument = get_object_or_404(Instrument, pk=pk)
    content = instrument_to_xlsx(instrument_to_data(instrument))
    return download_response(
        content, f"instrumen-lke-{instrument.year}-v{instrument.version}.xlsx", XLSX
    )


@login_required
@require_POST
def instrument_import(request):
    require(can_manage_instruments(request.user))
    form = XlsxForm(request.POST, request.FILES)
    errors = []
    if form.is_valid():
        try:
            instrument = services.create_instrument(
                instrument_from_xlsx(form.cleaned_data["file"]), by=request.user
            )
        except InstrumentDataError as error:
            errors = error.errors
        else:
            messages.success(request, _("Instrument %(name)s imported.") % {"name": instrument})
            return redirect("lke:instrument_detail", pk=instrument.pk)
    instruments = Instrument.objects.prefetch_related("assessments")
    return render(
        request,
        "lke/instrument_list.html",
        {"instruments": instruments, "form": form, "errors": errors},
        status=400,
    )


WORKBOOK_SALT = "lke.workbook-import"
WORKBOOK_MAX_AGE = 3600  # seconds a preview may wait for its confirmation


def _next_version(year: int) -> int:
    last = Instrument.objects.filter(year=year).order_by("-version").first()
    return last.version + 1 if last else 1


@login_required
@require_http_methods(["GET", "POST"])
def instrument_workbook(request):
    """Import the official LKE workbook (national layout): upload → preview of what will be
    created (nothing saved) → confirm. The preview carries the read instrument signed, so the
    confirmation creates exactly what was shown; errors name the workbook's rows."""
    require(can_manage_instruments(request.user))
    context = {"form": WorkbookForm(), "errors": [], "preview": None}
    status = 200
    if request.method == "POST" and "token" in request.POST:
        try:
            payload = signing.loads(
                request.POST["token"], salt=WORKBOOK_SALT, max_age=WORKBOOK_MAX_AGE
            )
        except signing.BadSignature:
            context["errors"] = [_("The preview has expired. Upload the workbook again.")]
            status = 400
        else:
            if payload.get("user") != request.user.pk:
                raise PermissionDenied
            try:
                instrument = services.create_instrument(payload["data"], by=request.user)
            except InstrumentDataError as error:
                context["errors"] = error.errors
                status = 400
            else:
                messages.success(request, _("Instrument %(name)s imported.") % {"name": instrument})
                return redirect("lke:instrument_detail", pk=instrument.pk)
    elif request.method == "POST":
        form = WorkbookForm(request.POST, request.FILES)
        context["form"] = form
        status = 400
        if form.is_valid():
            try:
                data = read_official_workbook(form.cleaned_data["file"])
                data["version"] = form.cleaned_data["version"] or _next_version(data["year"])
                services.check_new_instrument(data)
            except InstrumentDataError as error:
                context["errors"] = error.errors
            else:
                status = 200
                existing = Instrument.objects.filter(
                    year=data["year"], version=data["version"]
                ).first()
                context["preview"] = {
                    "data": data,
                    "summary": summary(data),
                    "notes": [note_text(n) for n in data["import_notes"]],
                    "replaces": existing,
                    "token": signing.dumps(
                        {"user": request.user.pk, "data": data},
                        salt=WORKBOOK_SALT,
                        compress=True,
                    ),
                }
    return render(request, "lke/instrument_workbook.html", context, status=status)
