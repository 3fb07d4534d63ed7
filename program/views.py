from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import pagecache
from core.models import Office, Region, User
from core.permissions import kabkota_offices_visible_to, require
from core.services import attachments_of, audit_events_for
from core.views import (
    XLSX,
    attachment_response,
    download_response,
    import_refused,
    stash_import,
    take_import,
)

from . import exports, services
from .forms import (
    ActivityForm,
    AgentForm,
    AttachmentForm,
    CalendarSettingsForm,
    EvidenceForm,
    RealisationForm,
    SopActivityForm,
    VillageFilterForm,
    VillageForm,
    WorkPlanImportForm,
)
from .models import SopActivity, Stage, VillageKind
from .queries import (
    CALENDAR_REFUSED,
    VILLAGES_REFUSED,
    activity_line,
    agent_history,
    calendar_events_for,
    can_edit_agents,
    can_edit_calendar,
    can_edit_work_plan,
    can_manage_villages,
    evidence_of,
    get_activity_for,
    get_agent_for,
    get_agent_village_for,
    get_office_for,
    get_plan_village_for,
    get_sop_activity_for,
    get_village_for,
    office_work_plan_lines,
    office_work_plan_overview,
    previous_agents,
    program_year_from,
    program_years_visible_to,
    sop_calendar,
    sop_rule,
    village_work_plan,
    villages_visible_to,
    with_plan_counts,
)


@login_required
@require_GET
@pagecache.cached_page("home")
def home(request):
    year = program_year_from(request.GET, request.user)
    offices = list(kabkota_offices_visible_to(request.user))
    villages = villages_visible_to(request.user).filter(program_year=year) if year else []
    by_office = {k: list(v) for k, v in groupby(villages, key=lambda pv: pv.office_id)}
    rows = [(office, by_office.get(office.pk, [])) for office in offices]
    return render(
        request,
        "program/home.html",
        {
            "year": year,
            "years": program_years_visible_to(request.user).order_by("-year"),
            "rows": rows,
            "village_count": sum(len(v) for _o, v in rows),
        },
    )


@login_required
@require_GET
def village_list(request):
    year = program_year_from(request.GET, request.user)
    offices = kabkota_offices_visible_to(request.user)
    filters = VillageFilterForm(request.GET, offices=offices)
    villages = villages_visible_to(request.user).filter(program_year=year)
    filters.is_valid()  # an unknown value drops that one filter, not the others
    chosen = filters.cleaned_data
    if chosen.get("office"):
        villages = villages.filter(office=chosen["office"])
    if chosen.get("kind"):
        villages = villages.filter(kind=chosen["kind"])
    if chosen.get("q"):
        q = chosen["q"]
        villages = villages.filter(Q(village__name__icontains=q) | Q(village__code__startswith=q))
    template = "program/village_list.html"
    if request.htmx:
        template += "#village-table"
    return render(
        request,
        template,
        {
            "year": year,
            "years": program_years_visible_to(request.user).order_by("-year"),
            "filters": filters,
            "villages": villages,
            "can_add": year is not None and can_manage_villages(request.user, year.province),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def village_create(request):
    year = program_year_from(request.GET, request.user, required=True)
    require(can_manage_villages(request.user, year.province), VILLAGES_REFUSED)
    offices = kabkota_offices_visible_to(request.user, year.province)
    form = VillageForm(request.POST or None, offices=offices, initial=request.GET)
    if request.method == "POST" and form.is_valid():
        try:
            village = services.add_village(year, **form.cleaned_data, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(village)s added to %(year)s.")
                % {"village": village.village.name, "year": year.year},
            )
            return redirect("program:village_detail", pk=village.pk)
    template = "program/village_form.html"
    if request.htmx:  # the kab/kota changed: refresh the village and pembina choices
        template += "#office-dependent-fields"
    return render(request, template, {"form": form, "year": year})


def _village_context(request, village, **extra) -> dict:
    return {
        "village": village,
        "attachments": attachments_of(village),
        "can_edit": can_manage_villages(request.user, village.office),
        "upload_form": AttachmentForm(),
        "plan": village_work_plan(village),
        "can_edit_plan": can_edit_work_plan(request.user, village.office),
        "agents": list(village.agents.all()),
        "can_edit_agents": can_edit_agents(request.user, village.office),
        **extra,
    }


@login_required
@require_GET
def village_detail(request, pk: int):
    village = get_village_for(request.user, pk)
    return render(request, "program/village_detail.html", _village_context(request, village))


@login_required
@require_http_methods(["GET", "POST"])
def village_edit(request, pk: int):
    village = get_village_for(request.user, pk, write=True)
    initial = {"kind": village.kind, "pembina": list(village.pembina.all()), "notes": village.notes}
    form = VillageForm(
        request.POST or None, offices=Office.objects.none(), instance=village, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_village(village, **form.cleaned_data, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("program:village_detail", pk=village.pk)
    return render(
        request,
        "program/village_form.html",
        {"form": form, "village": village, "year": village.program_year},
    )


@login_required
@require_POST
def village_upload(request, pk: int):
    village = get_village_for(request.user, pk, write=True)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_village_attachment(
                village,
                upload=form.cleaned_data["file"],
                purpose=form.cleaned_data["purpose"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, _("File uploaded."))
            return redirect("program:village_detail", pk=village.pk)
    return render(
        request,
        "program/village_detail.html",
        _village_context(request, village, upload_form=form),
        status=400,
    )


@login_required
@require_GET
def village_attachment(request, pk: int, attachment_pk: int):
    village = get_village_for(request.user, pk)
    attachment = get_object_or_404(attachments_of(village), pk=attachment_pk)
    return attachment_response(attachment)


@login_required
@require_GET
def village_history(request, pk: int):
    village = get_village_for(request.user, pk)
    return render(
        request,
        "program/village_history.html",
        {"village": village, "events": audit_events_for(village)},
    )


@login_required
@require_GET
def office_detail(request, pk: int):
    office = get_office_for(request.user, pk)
    if office.is_province:
        raise Http404
    year = program_year_from(request.GET, request.user)
    villages = villages_visible_to(request.user).filter(office=office, program_year=year)
    members = office.memberships.select_related("user").order_by("role", "user__full_name")
    return render(
        request,
        "program/office_detail.html",
        {
            "office": office,
            "year": year,
            "villages": with_plan_counts(villages),
            "members": members,
        },
    )


# --- the SOP calendar ---------------------------------------------------------------------------


def _existing_year(request):
    year = program_year_from(request.GET, request.user, required=True)
    return year


@login_required
@require_GET
def sop_calendar_view(request):
    year = program_year_from(request.GET, request.user)
    return render(
        request,
        "program/sop_calendar.html",
        {
            "year": year,
            "years": program_years_visible_to(request.user).order_by("-year"),
            "rules": sop_calendar(year) if year else [],
            "can_edit": year is not None and can_edit_calendar(request.user, year),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def sop_settings(request):
    year = _existing_year(request)
    require(can_edit_calendar(request.user, year), CALENDAR_REFUSED)
    initial = {"working_days": year.working_days, "soon_days": year.soon_days}
    form = CalendarSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_program_year_settings(year, **form.cleaned_data, by=request.user)
        messages.success(request, _("Calendar settings saved."))
        return redirect(f"{reverse('program:sop_calendar')}?tahun={year.year}")
    return render(request, "program/sop_settings.html", {"form": form, "year": year})


@login_required
@require_http_methods(["GET", "POST"])
def sop_activity_edit(request, pk: int):
    activity = get_sop_activity_for(request.user, pk, write=True)
    initial = {f: getattr(activity, f) for f in ("amount", "unit", "anchor_label", "window_start")}
    data = request.POST if request.method == "POST" else (request.GET if request.htmx else None)
    form = SopActivityForm(data, initial=initial, activity=activity)
    if request.method == "POST" and form.is_valid():
        values = {**initial, **form.cleaned_data}
        try:
            services.update_sop_activity(activity, **values, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(activity)s saved.") % {"activity": activity})
            return redirect(f"{reverse('program:sop_calendar')}?tahun={activity.program_year.year}")
    preview = _sop_preview(activity, form)
    template = "program/sop_activity_form.html"
    if request.htmx:  # the form changed: show what the rule being typed would mean
        template += "#rule-example"
    return render(request, template, {"form": form, "activity": activity, "rule": preview})


def _sop_preview(activity: SopActivity, form: SopActivityForm):
    """What the rule on the form means; the saved rule while the form is invalid."""
    valid = form.is_bound and form.is_valid()
    draft = _draft(activity, form.cleaned_data) if valid else activity
    return sop_rule(draft, working_days=activity.program_year.working_days)


def _draft(activity: SopActivity, values: dict) -> SopActivity:
    """An unsaved copy of the activity with the values typed in the form."""
    draft = SopActivity(
        **{f.attname: getattr(activity, f.attname) for f in SopActivity._meta.concrete_fields}
    )
    draft.program_year = activity.program_year
    for name, value in values.items():
        setattr(draft, name, value)
    return draft


@login_required
@require_GET
def sop_history(request):
    year = _existing_year(request)
    return render(
        request, "program/sop_history.html", {"year": year, "events": calendar_events_for(year)}
    )


# --- the coaching work plan ---------------------------------------------------------------------


def _plan_url(village) -> str:
    return reverse("program:village_detail", args=[village.pk]) + "#rencana-kerja"


@login_required
@require_http_methods(["GET", "POST"])
def activity_add(request, pk: int):
    village = get_plan_village_for(request.user, pk, write=True)
    stage = request.GET.get("tahap")
    form = ActivityForm(
        request.POST or None, initial={"stage": stage} if stage in Stage.values else {}
    )
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.add_activity(village, **form.plan(), by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Activity “%(name)s” added.") % {"name": activity.name})
            return redirect(_plan_url(village))
    return render(request, "program/activity_form.html", {"form": form, "village": village})


@login_required
@require_GET
def activity_detail(request, pk: int):
    activity = get_activity_for(request.user, pk)
    return render(request, "program/activity_detail.html", _activity_context(request, activity))


def _activity_context(request, activity, **extra) -> dict:
    return {
        "activity": activity,
        "village": activity.village,
        "line": activity_line(activity),
        "can_edit": can_edit_work_plan(request.user, activity.village.office),
        "evidence_form": EvidenceForm(),
        **extra,
    }


def _stale_response(request, template, form, activity, error):
    """Keep what the user typed, say why it was not saved, and show the row as saved now."""
    form.add_error(None, error)
    current = get_activity_for(request.user, activity.pk)
    return render(
        request,
        template,
        {
            "form": form,
            "village": activity.village,
            "activity": activity,
            "stale": True,
            "current": current,
        },
        status=409,
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request, pk: int):
    activity = get_activity_for(request.user, pk, write=True)
    initial = {
        **{f: getattr(activity, f) for f in services.PLAN_FIELDS},
        "version": activity.version,
    }
    form = ActivityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data["version"] or 0
        try:
            services.update_activity(activity, version=version, **form.plan(), by=request.user)
        except services.StaleEditError as error:
            return _stale_response(request, "program/activity_form.html", form, activity, error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(_plan_url(activity.village))
    context = {"form": form, "village": activity.village, "activity": activity}
    return render(request, "program/activity_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def activity_realise(request, pk: int):
    activity = get_activity_for(request.user, pk, write=True)
    initial = {f: getattr(activity, f) for f in services.REALISATION_FIELDS}
    form = RealisationForm(
        request.POST or None,
        request.FILES or None,
        initial={**initial, "version": activity.version},
    )
    if request.method == "POST" and form.is_valid():
        values = {f: form.cleaned_data[f] for f in (*services.REALISATION_FIELDS, "evidence")}
        try:
            services.realise_activity(
                activity, version=form.cleaned_data["version"], **values, by=request.user
            )
        except services.StaleEditError as error:
            return _stale_response(request, "program/realisation_form.html", form, activity, error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Realisation recorded."))
            return redirect(_plan_url(activity.village))
    context = {"form": form, "village": activity.village, "activity": activity}
    return render(request, "program/realisation_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def activity_delete(request, pk: int):
    activity = get_activity_for(request.user, pk, write=True)
    if request.method == "POST":
        try:
            services.delete_activity(activity, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("program:activity_detail", pk=activity.pk)
        messages.success(request, _("Activity “%(name)s” deleted.") % {"name": activity.name})
        return redirect(_plan_url(activity.village))
    return render(request, "program/activity_delete.html", {"activity": activity})


@login_required
@require_POST
def activity_upload(request, pk: int):
    activity = get_activity_for(request.user, pk, write=True)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_evidence(activity, upload=form.cleaned_data["file"], by=request.user)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, _("File uploaded."))
            return redirect("program:activity_detail", pk=activity.pk)
    context = _activity_context(request, activity, evidence_form=form)
    return render(request, "program/activity_detail.html", context, status=400)


@login_required
@require_GET
def activity_attachment(request, pk: int, attachment_pk: int):
    activity = get_activity_for(request.user, pk)
    return attachment_response(get_object_or_404(evidence_of(activity), pk=attachment_pk))


@login_required
@require_GET
def activity_history(request, pk: int):
    activity = get_activity_for(request.user, pk)
    return render(
        request,
        "program/activity_history.html",
        {"activity": activity, "events": audit_events_for(activity)},
    )


@login_required
@require_GET
def work_plan_export(request, pk: int):
    village = get_plan_village_for(request.user, pk)
    name = f"rencana-kerja-{slugify(village.village.name)}-{village.program_year.year}.xlsx"
    return download_response(exports.village_work_plan_xlsx(village), name, XLSX)


@login_required
@require_http_methods(["GET", "POST"])
def work_plan_import(request, pk: int):
    village = get_plan_village_for(request.user, pk, write=True)
    form = WorkPlanImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.import_work_plan(
                village, upload=form.cleaned_data["file"], by=request.user
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(
                request,
                _(
                    "Work plan imported: %(added)s added, %(updated)s updated, "
                    "%(unchanged)s unchanged."
                )
                % vars(result),
            )
            return redirect(_plan_url(village))
    context = {
        "form": form,
        "village": village,
        "columns": [str(label) for _name, label in exports.WORK_PLAN_COLUMNS],
        "hints": [
            _("Stage: one of the five stages, as in the dropdown of the exported file."),
            _(
                "Dates: Excel dates, or text as 2026-05-04 or 04-05-2026. The planned end may "
                "not be before the start; a realisation date may not be in the future."
            ),
            _("An empty realisation cell keeps what is already recorded."),
        ],
    }
    return render(
        request, "program/work_plan_import.html", context, status=400 if form.errors else 200
    )


def _kabkota_office_for(request, pk: int):
    office = get_office_for(request.user, pk)
    if office.is_province:
        raise Http404
    return office, _existing_year(request)


@login_required
@require_GET
def office_work_plan(request, pk: int):
    office, year = _kabkota_office_for(request, pk)
    villages = villages_visible_to(request.user).filter(office=office, program_year=year)
    return render(
        request,
        "program/office_work_plan.html",
        {
            "office": office,
            "year": year,
            "years": program_years_visible_to(request.user).order_by("-year"),
            "stages": list(Stage),
            "rows": office_work_plan_overview(year, office, villages),
        },
    )


@login_required
@require_GET
def office_work_plan_export(request, pk: int):
    office, year = _kabkota_office_for(request, pk)
    content = exports.office_work_plan_xlsx(office.short_name, office_work_plan_lines(year, office))
    return download_response(
        content, f"rencana-kerja-{slugify(office.short_name)}-{year.year}.xlsx", XLSX
    )


# The rows of a village import between its preview and its confirmation (checked again when
# saved), under a token the confirmation form sends back.
VILLAGE_IMPORT_KEY = "village_import"


@login_required
@require_http_methods(["GET", "POST"])
def village_import(request):
    """Upload → every row checked → a preview of the villages to add (nothing saved yet), or
    the list of wrong rows."""
    year = program_year_from(request.GET, request.user, required=True)
    require(can_manage_villages(request.user, year.province))
    form = WorkPlanImportForm(request.POST or None, request.FILES or None)
    form.fields["file"].help_text = _(
        "The first sheet of the downloaded template, with its header in row 1."
    )
    preview, token = [], None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = services.read_villages(upload, year, by=request.user)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            token = stash_import(
                request, VILLAGE_IMPORT_KEY, rows, file_name=upload.name, year=year.pk
            )
            preview = _village_preview(rows)
    context = {
        "form": form,
        "year": year,
        "preview": preview,
        "token": token,
        "columns": [str(label) for _name, label in services.VILLAGE_COLUMNS],
        "hints": [
            _(
                "Village code (Kemendagri, e.g. 17.02.01.2001) and kind are required; the "
                "template lists every village of the province."
            ),
            _(
                "Pembina: usernames or e-mails of staff of the village's regency/city office, "
                "separated by commas."
            ),
            _("A village already in the program year is refused."),
        ],
        "confirm_url": f"{reverse('program:village_import_confirm')}?tahun={year.year}",
        "cancel_url": f"{reverse('program:village_import')}?tahun={year.year}",
    }
    status = 400 if form.errors else 200
    return render(request, "program/village_import.html", context, status=status)


def _village_preview(rows) -> list[tuple]:
    regions = Region.objects.select_related("parent").in_bulk(
        [r.values["village_id"] for r in rows]
    )
    offices = Office.objects.in_bulk([r.values["office_id"] for r in rows])
    people = User.objects.in_bulk([pk for r in rows for pk in r.values["pembina_ids"]])
    return [
        (
            row,
            regions[row.values["village_id"]],
            offices[row.values["office_id"]],
            VillageKind(row.values["kind"]).label,
            [people[pk] for pk in row.values["pembina_ids"]],
        )
        for row in rows
    ]


@login_required
@require_POST
def village_import_confirm(request):
    year = program_year_from(request.GET, request.user, required=True)
    require(can_manage_villages(request.user, year.province))
    back = f"{reverse('program:village_import')}?tahun={year.year}"
    pending = take_import(request, VILLAGE_IMPORT_KEY, year=year.pk)
    if pending is None:
        return redirect(back)
    rows = [services.VillageRow(**row) for row in pending["rows"]]
    try:
        added = services.import_villages(year, rows, by=request.user, file_name=pending["file"])
    except ValidationError as error:
        import_refused(request, error)
        return redirect(back)
    messages.success(
        request,
        _("%(count)s villages added to %(year)s.") % {"count": len(added), "year": year.year},
    )
    return redirect(f"{reverse('program:village_list')}?tahun={year.year}")


@login_required
@require_GET
def village_import_template(request):
    year = program_year_from(request.GET, request.user, required=True)
    require(can_manage_villages(request.user, year.province))
    return download_response(
        exports.village_import_xlsx(year), f"templat-impor-desa-{year.year}.xlsx", XLSX
    )


# --- the agen statistik register of a village ---------------------------------------------------


def _agents_url(village) -> str:
    return reverse("program:agent_list", args=[village.pk])


@login_required
@require_GET
def agent_list(request, pk: int):
    village = get_agent_village_for(request.user, pk)
    agents = list(village.agents.all())
    can_edit = can_edit_agents(request.user, village.office)
    # an empty register of a village that took part before: offer last time's agents
    earlier, earlier_agents = previous_agents(village) if can_edit and not agents else (None, [])
    return render(
        request,
        "program/agent_list.html",
        {
            "village": village,
            "agents": agents,
            "official_count": sum(1 for a in agents if a.is_village_official),
            "can_edit": can_edit,
            "earlier": earlier,
            "earlier_agents": earlier_agents,
            "events": agent_history(village)[:30],
        },
    )


@login_required
@require_POST
def agent_copy(request, pk: int):
    village = get_agent_village_for(request.user, pk, write=True)
    try:
        copies = services.copy_previous_agents(village, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s agen statistik copied: check their position, SK and phone.",
                "%(count)s agen statistik copied: check their position, SK and phone.",
                len(copies),
            )
            % {"count": len(copies)},
        )
    return redirect(_agents_url(village))


@login_required
@require_http_methods(["GET", "POST"])
def agent_add(request, pk: int):
    village = get_agent_village_for(request.user, pk, write=True)
    form = AgentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_agent(village, **form.values(), by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Agen statistik added to the register."))
            return redirect(_agents_url(village))
    return render(request, "program/agent_form.html", {"form": form, "village": village})


@login_required
@require_http_methods(["GET", "POST"])
def agent_edit(request, pk: int):
    agent = get_agent_for(request.user, pk, write=True)
    initial = {**{f: getattr(agent, f) for f in services.AGENT_FIELDS}, "version": agent.version}
    form = AgentForm(request.POST or None, initial=initial)
    context = {"form": form, "village": agent.village, "agent": agent}
    if request.method == "POST" and form.is_valid():
        try:
            services.update_agent(
                agent, version=form.cleaned_data["version"] or 0, **form.values(), by=request.user
            )
        except services.StaleEditError as error:
            form.add_error(None, error)
            current = agent.village.agents.filter(pk=agent.pk).first()
            return render(
                request,
                "program/agent_form.html",
                {**context, "stale": True, "current": current},
                status=409,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(_agents_url(agent.village))
    return render(request, "program/agent_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def agent_delete(request, pk: int):
    agent = get_agent_for(request.user, pk, write=True)
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = 0
        try:
            services.delete_agent(agent, version=version, by=request.user)
        except services.StaleEditError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request, _("%(name)s removed from the register.") % {"name": agent.name}
            )
        return redirect(_agents_url(agent.village))
    return render(request, "program/agent_delete.html", {"agent": agent, "village": agent.village})
