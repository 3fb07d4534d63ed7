from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import pagecache
from core.permissions import (
    home_office,
    is_national_user,
    is_province_user,
    memberships_of,
    require,
)
from core.views import PDF, XLSX, download_response
from lke.queries import progress_by_office as lke_progress
from program.models import Stage
from program.queries import (
    get_office_for,
    get_village_for,
    program_year_from,
    program_years_visible_to,
    province_from,
)

from . import exports, services
from .figures import chart_data, national_chart_data, rag_legend
from .forms import DashboardFilterForm, DeclineForm, ExtensionForm, RecapForm, RecapSignForm
from .models import ExtensionRequest
from .queries import (
    can_generate_recaps,
    can_grant_extensions,
    can_sign_recaps,
    extensible_item,
    get_extension_request_for,
    get_recap_for,
    kabkota_choices,
    kabkota_offices_of,
    monitoring_periods,
    national_dashboard,
    national_years,
    office_overview,
    period_label,
    province_dashboard,
    recap_view,
    recaps_visible_to,
    village_timeline,
)


def _with_year(url: str, year) -> str:
    return f"{url}?tahun={year.year}" if year else url


def _years(user, province=None):
    """The program years of the user's province (of `province` for a national user)."""
    years = program_years_visible_to(user).order_by("-year")
    if province is not None:
        years = years.filter(province=province)
    return years


def _lands_national(user) -> bool:
    """A BPS RI member (or a superuser without an office) lands on the national dashboard."""
    if not is_national_user(user):
        return False
    return not memberships_of(user) or home_office(user).is_national


@login_required
@require_GET
@pagecache.cached_page("dashboard")
def dashboard(request):
    """The province dashboard. A national user names the province (`provinsi`, its code) and
    sees exactly what that province's team sees; without one it is sent to the national
    dashboard."""
    province = province_from(request.GET, request.user)
    if province is None and _lands_national(request.user):
        url = reverse("monitoring:national")
        tahun = request.GET.get("tahun")
        return redirect(f"{url}?tahun={tahun}" if tahun else url)
    year = program_year_from(request.GET, request.user, province=province)
    own = kabkota_offices_of(request.user)
    if year is not None and not is_province_user(request.user) and len(own) == 1:
        return redirect(_with_year(reverse("monitoring:office", args=[own[0].pk]), year))
    offices = kabkota_choices(request.user, year) if year else []
    filters = DashboardFilterForm(
        request.GET, years=_years(request.user, province), offices=offices
    )
    context = {
        "year": year,
        "filters": filters,
        "legend": rag_legend(),
        "province": province,
        "national": is_national_user(request.user),
    }
    body = "monitoring/dashboard.html#dashboard-body"
    if year is not None and filters.is_valid():
        office = filters.cleaned_data["kabkota"]
        kind = filters.cleaned_data["jenis"] or None

        def figures():
            """The figures and their part of the page, rendered once: it shows no user, form
            or token, only what the key's scope sees."""
            data = province_dashboard(request.user, year, office=office, kind=kind)
            progress = lke_progress(year, [row.office_id for row in data.kabkota_rows])
            lke_rows = [
                (row, progress[row.office_id])
                for row in data.kabkota_rows
                if row.office_id in progress
            ]
            figures = {"data": data, "charts": chart_data(data), "lke_rows": lke_rows}
            html = render_to_string(body, {**context, **figures})
            return {**figures, "body_html": mark_safe(html)}  # noqa: S308 (our template)

        context.update(
            pagecache.cached(
                "dashboard",
                request.user,
                figures,
                provinces=[year.province_id],
                parts=(year.pk, office.pk if office else None, kind),
            )
        )
    else:
        context["body_html"] = mark_safe(render_to_string(body, context, request=request))  # noqa: S308
    if request.htmx:
        return HttpResponse(context["body_html"])
    return render(request, "monitoring/dashboard.html", context)


@login_required
@require_GET
@pagecache.cached_page("office")
def office(request, pk: int):
    office = get_office_for(request.user, pk)
    if office.is_national:
        raise Http404
    province = office if office.is_province else office.parent
    year = program_year_from(request.GET, request.user, province=province)
    if year is None or office.province_id != year.province_id:
        raise Http404
    context = {
        "year": year,
        "years": _years(request.user, province),
        "national": is_national_user(request.user),
        "overview": pagecache.cached(
            "office",
            request.user,
            lambda: office_overview(request.user, office, year),
            provinces=[year.province_id],
            parts=(office.pk, year.pk),
        ),
        "can_extend": can_grant_extensions(request.user, office),
        "can_request": services.can_request_extensions(request.user, office),
        "requested": {
            (r.subject_type_id, r.subject_id)
            for r in office.extension_requests.filter(
                program_year=year, state=ExtensionRequest.State.PENDING
            )
        },
        "deadlines_first": not is_province_user(request.user),
        "stages": Stage.choices,
        "legend": rag_legend(),
    }
    return render(request, "monitoring/office.html", context)


@login_required
@require_GET
@pagecache.cached_page("village")
def village(request, pk: int):
    village = get_village_for(request.user, pk)
    return render(
        request,
        "monitoring/village.html",
        {
            "timeline": pagecache.cached(
                "village",
                request.user,
                lambda: village_timeline(village),
                provinces=[village.program_year.province_id],
                parts=(village.pk,),
            ),
            "year": village.program_year,
            "can_extend": can_grant_extensions(request.user, village.office),
        },
    )


SORTS = {
    "kode": lambda line: line.code,
    "provinsi": lambda line: line.province.name,
    "desa": lambda line: line.row.villages,
    "kelengkapan": lambda line: line.row.total.completeness,
    "ketepatan": lambda line: line.row.total.timeliness,
    "lewat": lambda line: line.row.total.overdue,
    "status": lambda line: ["green", "amber", "red"].index(line.row.rag),
    "lke": lambda line: line.lke.signed,
}


def _sorted_lines(lines, key: str, descending: bool):
    """Provinces by `key`; a figure not computable yet (nothing due) sorts last either way."""
    value = SORTS[key]
    known = [line for line in lines if value(line) is not None]
    unknown = [line for line in lines if value(line) is None]
    return sorted(known, key=value, reverse=descending) + unknown


def _national(request):
    """The national figures of the requested year (404 for anyone but a national user)."""
    if not is_national_user(request.user):
        raise Http404
    years = national_years(request.user)
    raw = request.GET.get("tahun")
    if raw in (None, ""):
        today = timezone.localdate().year
        number = today if today in years else (years[0] if years else None)
    else:
        try:
            number = int(raw)
        except ValueError:
            raise Http404 from None
        if number not in years:
            raise Http404
    data = national_dashboard(request.user, number) if number is not None else None
    return years, data


@login_required
@require_GET
@pagecache.cached_page("national")
def national(request):
    """Every province as one row (BPS RI): sortable by `urut` (and `arah=turun`), each
    province opening its own dashboard."""
    years, data = _national(request)
    key = request.GET.get("urut") or "kode"
    if key not in SORTS:
        key = "kode"
    descending = request.GET.get("arah") == "turun"
    context = {"years": years, "data": data, "sort": key, "descending": descending}
    if data is not None:
        base = reverse("monitoring:national") + f"?tahun={data.year}"
        context["sort_links"] = {
            name: f"{base}&urut={name}"
            + ("" if name == key and descending else "&arah=turun" if name == key else "")
            for name in SORTS
        }
        context.update(
            lines=_sorted_lines(data.lines, key, descending),
            charts=national_chart_data(data),
            legend=rag_legend(),
        )
    return render(request, "monitoring/national.html", context)


@login_required
@require_GET
def national_xlsx(request):
    _years_, data = _national(request)
    if data is None:
        raise Http404
    return download_response(
        exports.render_national_xlsx(data), exports.national_filename(data), XLSX
    )


def _extension_subject(request, type_id: int, object_id: str, office_pk: int):
    """The office, program year, item line and subject of a dispensasi page (404 outside the
    user's scope or when the office has no such tracked item)."""
    office = get_office_for(request.user, office_pk)
    if office.kind != office.Kind.KABKOTA:
        raise Http404
    year = program_year_from(request.GET, request.user, province=office.parent)
    if year is None:
        raise Http404
    line, subject = extensible_item(year, office, type_id, object_id)
    return office, year, line, subject


@login_required
@require_http_methods(["GET", "POST"])
def extension_grant(request, type_id: int, object_id: str, office_pk: int):
    office, year, line, subject = _extension_subject(request, type_id, object_id, office_pk)
    require(can_grant_extensions(request.user, office))
    asked = services.pending_request(type_id, object_id, office)
    initial = {"until": asked.until, "reason": asked.reason} if asked else None
    form = ExtensionForm(
        request.POST or None, initial=initial, deadline=line.deadline, done=line.item.is_done
    )
    if request.method == "POST" and form.is_valid():
        services.grant_dispensasi(subject, office=office, by=request.user, **form.cleaned_data)
        messages.success(
            request,
            _("Extension granted to %(office)s for “%(item)s”.")
            % {"office": office.short_name, "item": line.item.label},
        )
        return redirect(_with_year(reverse("monitoring:office", args=[office.pk]), year))
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "line": line,
        "office": office,
        "year": year,
        "asked": asked,
        "decline_form": DeclineForm() if asked else None,
    }
    return render(request, "monitoring/extension_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def extension_request(request, type_id: int, object_id: str, office_pk: int):
    office, year, line, subject = _extension_subject(request, type_id, object_id, office_pk)
    require(services.can_request_extensions(request.user, office))
    asked = services.pending_request(type_id, object_id, office)
    initial = {"until": asked.until, "reason": asked.reason} if asked else None
    form = ExtensionForm(
        request.POST or None, initial=initial, deadline=line.deadline, done=line.item.is_done
    )
    if request.method == "POST" and form.is_valid():
        services.request_extension(
            subject,
            program_year=year,
            office=office,
            label=line.item.label,
            by=request.user,
            **form.cleaned_data,
        )
        messages.success(
            request,
            _("Dispensasi requested for “%(item)s”; the province team lead decides.")
            % {"item": line.item.label},
        )
        return redirect(_with_year(reverse("monitoring:office", args=[office.pk]), year))
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "line": line, "office": office, "year": year, "asked": asked}
    context["requesting"] = True
    return render(request, "monitoring/extension_form.html", context, status=status)


@login_required
@require_POST
def extension_decline(request, pk: int):
    asked = get_extension_request_for(request.user, pk)
    require(can_grant_extensions(request.user, asked.office))
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.decline_extension_request(
                asked, note=form.cleaned_data["note"], by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The dispensasi request was declined."))
        return redirect(
            _with_year(reverse("monitoring:office", args=[asked.office_id]), asked.program_year)
        )
    url = reverse(
        "monitoring:extension_grant",
        args=[asked.subject_type_id, asked.subject_id, asked.office_id],
    )
    messages.error(request, " ".join(form.errors["note"]))
    return redirect(_with_year(url, asked.program_year))


def _recap_list_context(user, year, form=None):
    """The periods of the year with their recap (if any), and the generate form for the province
    team offering the periods that have begun and are not signed off."""
    periods = monitoring_periods(year) if year else []
    recaps = {r.period: r for r in recaps_visible_to(user).filter(program_year=year)}
    today = timezone.localdate()
    rows = [
        (number, period_label(number, start, end), start, end, recaps.get(number))
        for number, (start, end) in enumerate(periods, start=1)
    ]
    open_periods = [
        (number, label)
        for number, label, start, _end, recap in rows
        if start <= today and not (recap and recap.is_signed_off)
    ]
    if form is None and open_periods and can_generate_recaps(user, year.province):
        form = RecapForm(periods=open_periods, initial={"period": open_periods[-1][0]})
    return {"year": year, "years": _years(user), "rows": rows, "form": form, "today": today}


@login_required
@require_GET
def recap_list(request):
    year = program_year_from(request.GET, request.user)
    return render(request, "monitoring/recap_list.html", _recap_list_context(request.user, year))


@login_required
@require_POST
def recap_generate(request):
    year = program_year_from(request.POST, request.user)
    if year is None:
        raise Http404
    require(can_generate_recaps(request.user, year.province))
    periods = [(n, period_label(n, s, e)) for n, (s, e) in enumerate(monitoring_periods(year), 1)]
    form = RecapForm(request.POST, periods=periods)
    if form.is_valid():
        try:
            recap = services.generate_recap(year, **form.cleaned_data, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Recap generated. Check it, then ask the head to sign off.")
            )
            return redirect("monitoring:recap_detail", pk=recap.pk)
    context = _recap_list_context(request.user, year, form)
    return render(request, "monitoring/recap_list.html", context, status=400)


def _recap_detail_context(request, recap, sign_form=None) -> dict:
    province = recap.program_year.province
    can_generate = can_generate_recaps(request.user, province) and not recap.is_signed_off
    can_sign = can_sign_recaps(request.user, province) and not recap.is_signed_off
    view = pagecache.cached(
        "recap",
        request.user,
        lambda: recap_view(request.user, recap),
        provinces=[province.pk],
        parts=(recap.pk,),
    )
    form = None
    if can_generate:
        label = period_label(recap.period, recap.period_start, recap.period_end)
        form = RecapForm(periods=[(recap.period, label)], initial={"narrative": recap.narrative})
    if can_sign and sign_form is None:
        initial = {"place": services.last_signing_place(recap.program_year)}
        sign_form = RecapSignForm(initial=initial, auto_id="sign_%s")
    return {
        "view": view,
        "recap": recap,
        "year": recap.program_year,
        "form": form,
        "can_sign": can_sign,
        "sign_form": sign_form if can_sign else None,
        "legend": rag_legend(),
    }


@login_required
@require_GET
@pagecache.cached_page("recap")
def recap_detail(request, pk: int):
    recap = get_recap_for(request.user, pk)
    return render(request, "monitoring/recap_detail.html", _recap_detail_context(request, recap))


@login_required
@require_POST
def recap_sign(request, pk: int):
    recap = get_recap_for(request.user, pk)
    require(can_sign_recaps(request.user, recap.program_year.province))
    form = RecapSignForm(request.POST, auto_id="sign_%s")
    if form.is_valid():
        try:
            services.sign_recap(recap, **form.cleaned_data, by=request.user)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect("monitoring:recap_detail", pk=recap.pk)
            form.add_error(None, error)
        else:
            messages.success(request, _("Recap signed off."))
            return redirect("monitoring:recap_detail", pk=recap.pk)
    context = _recap_detail_context(request, recap, sign_form=form)
    return render(request, "monitoring/recap_detail.html", context, status=400)


@login_required
@require_GET
def recap_xlsx(request, pk: int):
    view = recap_view(request.user, get_recap_for(request.user, pk))
    return download_response(exports.render_xlsx(view), exports.recap_filename(view, "xlsx"), XLSX)


@login_required
@require_GET
def recap_pdf(request, pk: int):
    view = recap_view(request.user, get_recap_for(request.user, pk))
    return download_response(exports.render_pdf(view), exports.recap_filename(view, "pdf"), PDF)
