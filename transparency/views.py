"""The public pages: grants awarded, ward profiles, and the published files. No sign-in.

Nothing personal is shown or published: organisations by name and registered number, never an
address, e-mail, phone or member; no councillor's name on the grants list.

Each council publishes its own, at its own address (its host, or its path prefix: /council-b/
grants/): every query is of the council in scope. At the service's own address (a host and path
that name no council, on a service of several) /grants/ lists the councils, and the 360Giving
files there hold every council's published grants, read across the service explicitly, each
grant with its own council as funder and its own council's identifiers.
"""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import get_script_prefix, reverse
from django.views.decorators.http import require_safe

from budgets.models import FinancialYear, Ward
from fundmgr import access, councils
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


def _downloads(year: FinancialYear | None, service: bool = False) -> list[tuple[str, str]]:
    """(what it is, its address) for each file of the year (or of every year): the service's
    own are the 360Giving files alone (the Transparency Code list is each council's)."""
    slug = _year_slug(year)
    files = [
        ("360Giving data (JSON)", reverse("transparency:threesixty_file", args=[slug, "json"])),
        (
            "360Giving spreadsheet (XLSX)",
            reverse("transparency:threesixty_file", args=[slug, "xlsx"]),
        ),
        (
            "360Giving spreadsheet (CSV)",
            reverse("transparency:threesixty_file", args=[slug, "csv"]),
        ),
    ]
    if not service:
        files.append(
            ("Transparency Code list (CSV)", reverse("transparency:register_file", args=[slug]))
        )
    return files


def _for_the_service(request) -> bool:
    """Whether the request is at the service's own address (no council named, several on the
    service): the middleware leaves `request.council` None there. (A service with no council
    yet shows its pages empty, as before any council was set up.)"""
    return getattr(request, "council", False) is None and bool(councils.every_council())


def _council_only(request) -> None:
    if _for_the_service(request):
        raise Http404("Each council publishes this at its own address.")


def _publisher() -> dict:
    council = identifiers.publisher()
    return {"council_name": council.name} if council is not None else {}


def _address(request, council) -> str | None:
    """Where a council's grants are published: its own host, or its path prefix here."""
    if council.host:
        return f"{request.scheme}://{council.host}/grants/"
    if council.slug:  # from the host's root, not under this page's own prefix (/service/)
        own = reverse("transparency:grants").removeprefix(get_script_prefix().rstrip("/"))
        return f"/{council.slug}{own}"
    return None


def _service_page(request):
    """The service's own /grants/: each council's published grants, and the 360Giving files of
    every council's grants together."""
    with councils.across_the_service():
        years = published.years_published()
    return render(
        request,
        "transparency/service.html",
        {
            "councils": [(c, _address(request, c)) for c in councils.every_council()],
            "years": [(year, _downloads(year, service=True)) for year in years],
            "everything": _downloads(None, service=True),
            "licence": settings.GRANTS_LICENSE,
        },
    )


@access.public
@require_safe
def grants(request):
    if _for_the_service(request):
        return _service_page(request)
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
            **_publisher(),
        },
    )


@access.public
@require_safe
def ward_index(request):
    _council_only(request)
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
    _council_only(request)
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
    if _for_the_service(request):
        return _service_page(request)
    years = published.years_published()
    return render(
        request,
        "transparency/threesixty.html",
        {
            "years": [(year, _downloads(year)) for year in years],
            "everything": _downloads(None),
            "prefix": identifiers.prefix() if identifiers.publisher() else "",
            "licence": settings.GRANTS_LICENSE,
            **_publisher(),
        },
    )


@access.public
@require_safe
def threesixty_file(request, year: str, format: str):
    if not _for_the_service(request):
        return _threesixty_file(year, format, f"grants-{year}.{format}")
    # The service's file: every council's published grants, read across the service (the
    # request itself, naming no council, may read none).
    with councils.across_the_service():
        response = _threesixty_file(year, format, f"all-councils-grants-{year}.{format}")
    if response.streaming:
        response.streaming_content = _across_the_service(response.streaming_content)
    return response


def _threesixty_file(year: str, format: str, name: str):
    chosen = _year_from_slug(year)
    if not published.filtered({"year": chosen}).exists():
        raise Http404("No grants were awarded that year.")
    if format == "xlsx":
        spool = tempfile.TemporaryFile()
        threesixty.write_xlsx(spool, chosen)
        spool.seek(0)
        return FileResponse(spool, as_attachment=True, filename=name, content_type=XLSX)
    chunks = threesixty.json_chunks(chosen) if format == "json" else threesixty.csv_chunks(chosen)
    return _stream(chunks, name, FORMATS[format])


def _across_the_service(chunks):
    """The chunks, each made across the service: the server reads a streamed file after the
    view has returned, in the request's own scope (no council's rows)."""
    iterator = iter(chunks)
    while True:
        with councils.across_the_service():
            chunk = next(iterator, _END)
        if chunk is _END:
            return
        yield chunk


_END = object()


@access.public
@require_safe
def register_file(request, year: str):
    _council_only(request)
    chosen = _year_from_slug(year)
    name = f"transparency-code-grants-{_year_slug(chosen)}.csv"
    return _stream(register.csv_chunks(chosen), name, FORMATS["csv"])


def _stream(chunks, name: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
