"""The public pages: grants awarded, ward profiles, and the published files. No sign-in.

Nothing personal is shown or published: organisations by name and registered number, never an
address, e-mail, phone or member; no councillor's name on the grants list.
"""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from budgets.models import FinancialYear, Ward
from fundmgr import access
from transparency import identifiers, published, register, threesixty, wards
from transparency.forms import GrantFilterForm, WardYearForm, cleaned
from transparency.spreadsheets import XLSX

PAGE_SIZE = 50
FORMATS = {
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX,
}


def _year_slug(year: FinancialYear | None) -> str:
    return year.label.replace("/", "-") if year else "all"


def _year_from_slug(slug: str) -> FinancialYear | None:
    if slug == "all":
        return None
    found = FinancialYear.objects.filter(label=slug.replace("-", "/")).first()
    if found is None:
        raise Http404(f"There is no financial year {slug.replace('-', '/')}.")
    return found


def _downloads(year: FinancialYear | None) -> list[tuple[str, str]]:
    """(what it is, its address) for each file of the year (or of every year)."""
    slug = _year_slug(year)
    return [
        ("360Giving data (JSON)", reverse("transparency:threesixty_file", args=[slug, "json"])),
        (
            "360Giving spreadsheet (XLSX)",
            reverse("transparency:threesixty_file", args=[slug, "xlsx"]),
        ),
        (
            "360Giving spreadsheet (CSV)",
            reverse("transparency:threesixty_file", args=[slug, "csv"]),
        ),
        ("Transparency Code list (CSV)", reverse("transparency:register_file", args=[slug])),
    ]


@access.public
@require_safe
def grants(request):
    form = GrantFilterForm(request.GET or None)
    filters = cleaned(form)
    page = Paginator(published.Register(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    year = filters.get("year")
    return render(
        request,
        "transparency/grants.html",
        {
            "form": form,
            "page": page,
            "filtered": any(filters.values()),
            "year": year,
            "downloads": _downloads(year),
            "licence": settings.GRANTS_LICENSE,
        },
    )


@access.public
@require_safe
def ward_index(request):
    form = WardYearForm(request.GET or None)
    year = cleaned(form).get("year")
    if not request.GET:
        years = published.years_published()
        year = years[0] if years else None
        form = WardYearForm(initial={"year": year})
    return render(
        request,
        "transparency/wards.html",
        {"form": form, "year": year, "table": wards.index(year)},
    )


@access.public
@require_safe
def ward_profile(request, gss_code: str):
    ward = get_object_or_404(Ward.objects.select_related("council"), gss_code=gss_code.upper())
    page = Paginator(wards.WardRegister(ward), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "transparency/ward.html",
        {"profile": wards.profile(ward, request.GET.get("groups")), "ward": ward, "page": page},
    )


@access.public
@require_safe
def threesixty_page(request):
    years = published.years_published()
    return render(
        request,
        "transparency/threesixty.html",
        {
            "years": [(year, _downloads(year)) for year in years],
            "everything": _downloads(None),
            "prefix": identifiers.prefix(),
            "licence": settings.GRANTS_LICENSE,
        },
    )


@access.public
@require_safe
def threesixty_file(request, year: str, format: str):
    chosen = _year_from_slug(year)
    if not published.filtered({"year": chosen}).exists():
        raise Http404("No grants were awarded that year.")
    name = f"grants-{_year_slug(chosen)}.{format}"
    if format == "xlsx":
        spool = tempfile.TemporaryFile()
        threesixty.write_xlsx(spool, chosen)
        spool.seek(0)
        return FileResponse(spool, as_attachment=True, filename=name, content_type=XLSX)
    chunks = threesixty.json_chunks(chosen) if format == "json" else threesixty.csv_chunks(chosen)
    return _stream(chunks, name, FORMATS[format])


@access.public
@require_safe
def register_file(request, year: str):
    chosen = _year_from_slug(year)
    name = f"transparency-code-grants-{_year_slug(chosen)}.csv"
    return _stream(register.csv_chunks(chosen), name, FORMATS["csv"])


def _stream(chunks, name: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
