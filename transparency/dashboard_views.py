"""Dashboards for officers and councillors: each figure a chart, the table behind it, and an
XLSX download of the tables; each table also downloads alone, as CSV or XLSX, from the page
itself (`?download=csv&table=by-ward-table`). Officers and auditors see every ward; a
councillor their own ward and their own allocations (`transparency.scope`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from applications.councillor_selectors import is_councillor
from fundmgr import access, exports
from transparency import clawback, money_summaries, pipeline, spend
from transparency.charts import Section
from transparency.forms import DashboardFilterForm, cleaned
from transparency.scope import Filters, Scope, current_year, scope_for
from transparency.spreadsheets import XLSX, tables_workbook
from transparency.tables import COUNT, DAYS, MONEY, POUNDS, Table, pounds_of


@dataclass(frozen=True)
class Dashboard:
    slug: str
    title: str
    description: str
    build: Callable[[Filters, Scope], list[Section]]


def _spend(filters: Filters, scope: Scope) -> list[Section]:
    tables = spend.breakdowns(filters, scope)
    return [spend.section(key, tables[key]) for key in spend.BREAKDOWNS]


def _pipeline(filters: Filters, scope: Scope) -> list[Section]:
    return [pipeline.pipeline(filters, scope)]


DASHBOARDS = {
    d.slug: d
    for d in [
        Dashboard(
            "spend",
            "Spend and commitments",
            "What has been paid, and what is committed and not yet paid, by ward, fund, "
            "councillor and financial year.",
            _spend,
        ),
        Dashboard(
            "pipeline",
            "Applications by state",
            "How many applications are at each step, and the money they ask for.",
            _pipeline,
        ),
        Dashboard(
            "timing",
            "Time to decision and payment",
            "How long applications take from submission to a decision, and to their first payment.",
            pipeline.timing,
        ),
        Dashboard(
            "clawback",
            "Underspend and clawback",
            "What monitoring reports show was not spent, the clawback due, and what has come back.",
            clawback.sections,
        ),
    ]
}


def _scope(request) -> Scope:
    scope = scope_for(request.user)
    if scope is None:
        if is_councillor(request.user):
            raise PermissionDenied("You do not represent a ward yet, so there are no figures.")
        raise PermissionDenied("Only council officers and councillors can see the dashboards.")
    return scope


def _filters(request) -> tuple[DashboardFilterForm, Filters]:
    """The filters asked for; with none, the current financial year and every fund."""
    data = request.GET.copy()
    if "year" not in data:
        current = current_year()
        data["year"] = current.label if current else ""
    form = DashboardFilterForm(data)
    chosen = cleaned(form)
    return form, Filters(year=chosen.get("year"), fund=chosen.get("fund"))


@access.page(access.reads_dashboards)
@require_safe
def index(request):
    scope = _scope(request)
    form, filters = _filters(request)
    if scope.everything:  # the whole ledger's, from its stored balances
        paid, committed = spend.ledger_totals(filters)
    else:  # the councillor's wards' shares
        paid, committed = spend.breakdowns(filters, scope)["ward"].totals[2:4]
    return render(
        request,
        "transparency/dashboards/index.html",
        {
            "dashboards": DASHBOARDS.values(),
            "scope": scope,
            "filters": filters,
            "form": form,
            "paid": paid,
            "committed": committed,
            "query": request.GET.urlencode(),
        },
    )


def _dashboard(slug: str) -> Dashboard:
    if slug not in DASHBOARDS:
        raise Http404("There is no such dashboard.")
    return DASHBOARDS[slug]


@access.page(access.reads_dashboards)
@require_safe
def dashboard(request, slug: str):
    board = _dashboard(slug)
    scope = _scope(request)
    form, filters = _filters(request)
    sections = board.build(filters, scope)
    if fmt := exports.requested_format(request):
        return _table_download(request, sections, fmt)
    _paged(request, sections)
    as_at = None
    if slug == "clawback" or (slug == "spend" and spend.kept(scope)):  # read kept summaries
        as_at = money_summaries.built_at()
    return render(
        request,
        "transparency/dashboards/dashboard.html",
        {
            "board": board,
            "dashboards": DASHBOARDS.values(),
            "sections": sections,
            "as_at": as_at,
            "scope": scope,
            "filters": filters,
            "form": form,
            "query": request.GET.urlencode(),
        },
    )


def _paged(request, sections: list[Section]) -> None:
    """A long table shows one page of its rows (`?page=2`); its downloads hold every row."""
    for table in _tables(sections).values():
        if table.per_page and len(table.rows) > table.per_page:
            table.page = Paginator(table.rows, table.per_page).get_page(request.GET.get("page"))
            table.rows = list(table.page.object_list)


def _tables(sections: list[Section]) -> dict[str, Table]:
    """Each table of the page by the id the page gives it (`by-ward-table`, `clawback-extra-1`)."""
    found = {}
    for section in sections:
        found[f"{section.id}-table"] = section.table
        for n, table in enumerate(section.extra, start=1):
            found[f"{section.id}-extra-{n}"] = table
    return found


def _cell(kind: str, value):
    """A figure as fundmgr.exports writes it: money as Decimal pounds, counts as whole numbers;
    days to one place, as the page shows them."""
    if value is None or value == "":
        return None
    if kind == MONEY:
        return pounds_of(value)
    if kind == POUNDS:
        return Decimal(value)
    if kind == COUNT:
        return int(value)
    if kind == DAYS:
        return f"{value:.1f}"
    return str(value)


def _table_download(request, sections: list[Section], fmt: str):
    """One table of the dashboard, with its totals row, as the person's page shows it. The XLSX
    is the tables' own workbook (counts and days keep their number formats); the CSV is written
    by fundmgr.exports."""
    table = _tables(sections).get(request.GET.get("table", ""))
    if table is None:
        raise Http404("There is no such table to download.")
    name = slugify(table.title.replace("/", "-"))  # the title names its filters: "(..., 2026/27)"
    if fmt == "xlsx":
        response = HttpResponse(tables_workbook([table]), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{exports.filename(name, "xlsx")}"'
        return response
    columns = [
        exports.Column(column.heading, lambda row, n=n, kind=column.kind: _cell(kind, row[n]))
        for n, column in enumerate(table.columns)
    ]
    rows = [*table.rows, *([table.totals] if table.totals and table.rows else [])]
    return exports.download(rows, columns, name=name, format=fmt)


@access.page(access.reads_dashboards)
@require_safe
def download(request, slug: str):
    board = _dashboard(slug)
    scope = _scope(request)
    _, filters = _filters(request)
    sections = board.build(filters, scope)
    tables = [t for s in sections for t in (s.table, *s.extra)]
    name = slugify(f"{board.title} {filters.describe}")
    response = HttpResponse(tables_workbook(tables), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
