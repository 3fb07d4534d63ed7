from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.models import Office
from core.permissions import offices_visible_to, require
from core.services import attachments_of, audit_events_for, store_attachment
from core.views import attachment_response

from . import services
from .forms import AttachmentForm, VillageFilterForm, VillageForm
from .queries import (
    can_manage_villages,
    current_program_year,
    get_office_for,
    get_village_for,
    program_years_visible_to,
    villages_visible_to,
)


def _year_from(request):
    """The program year asked for with ?tahun=, else the current one; 404 for an unknown one."""
    raw = request.GET.get("tahun")
    if raw is None:
        return current_program_year(request.user)
    try:
        year = current_program_year(request.user, int(raw))
    except ValueError:
        raise Http404 from None
    if year is None:
        raise Http404
    return year


def _kabkota_offices(user):
    return offices_visible_to(user).filter(kind=Office.Kind.KABKOTA)


@login_required
@require_GET
def home(request):
    year = _year_from(request)
    offices = list(_kabkota_offices(request.user))
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
    year = _year_from(request)
    offices = _kabkota_offices(request.user)
    filters = VillageFilterForm(request.GET, offices=offices)
    villages = villages_visible_to(request.user).filter(program_year=year)
    if filters.is_valid():
        if filters.cleaned_data["office"]:
            villages = villages.filter(office=filters.cleaned_data["office"])
        if filters.cleaned_data["kind"]:
            villages = villages.filter(kind=filters.cleaned_data["kind"])
        if filters.cleaned_data["q"]:
            q = filters.cleaned_data["q"]
            villages = villages.filter(
                Q(village__name__icontains=q) | Q(village__code__startswith=q)
            )
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
    year = _year_from(request)
    if year is None:
        raise Http404
    require(can_manage_villages(request.user, year.province))
    offices = _kabkota_offices(request.user).filter(parent=year.province)
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


@login_required
@require_GET
def village_detail(request, pk: int):
    village = get_village_for(request.user, pk)
    return render(
        request,
        "program/village_detail.html",
        {
            "village": village,
            "attachments": attachments_of(village),
            "can_edit": can_manage_villages(request.user, village.office),
            "upload_form": AttachmentForm(),
        },
    )


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
            store_attachment(
                form.cleaned_data["file"],
                owner=village,
                by=request.user,
                purpose=form.cleaned_data["purpose"],
                office=village.office,
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, _("File uploaded."))
            return redirect("program:village_detail", pk=village.pk)
    return render(
        request,
        "program/village_detail.html",
        {
            "village": village,
            "attachments": attachments_of(village),
            "can_edit": True,
            "upload_form": form,
        },
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
    year = _year_from(request)
    villages = villages_visible_to(request.user).filter(office=office, program_year=year)
    members = office.memberships.select_related("user").order_by("role", "user__full_name")
    return render(
        request,
        "program/office_detail.html",
        {"office": office, "year": year, "villages": villages, "members": members},
    )
