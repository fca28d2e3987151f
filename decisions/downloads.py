"""The officer lists of decisions as files ("Download this list: CSV, XLSX"): the workbench as
filtered and sorted (every page of it), the panel meetings, and a meeting's agenda. The same
rows the page shows, through fundmgr.exports."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpResponse
from django.utils import timezone

from applications.models import Application
from decisions import selectors
from decisions.models import PanelItem, PanelMeeting
from fundmgr.exports import Column, download


def _wards(app: Application) -> str:
    return ", ".join(ward.name for ward in app.wards.all())


def workbench_columns() -> list[Column]:
    today = timezone.localdate()
    return [
        Column("Reference", lambda a: a.reference),
        Column("Received", lambda a: a.submitted_at),
        Column("Group", lambda a: a.organisation.name),
        Column("Project", lambda a: a.title),
        Column("Ward", _wards),
        Column("Fund", lambda a: a.fund_year.fund.name),
        Column("Financial year", lambda a: a.fund_year.year.label),
        Column("Amount requested", lambda a: a.amount_requested),
        Column("Status", lambda a: a.get_status_display()),
        Column("Days waiting", lambda a: selectors.days_waiting(a, today)),
    ]


def workbench(applications, format: str) -> HttpResponse:
    """Every row of the filtered, sorted list, read in chunks (wards prefetched per chunk)."""
    rows = applications.prefetch_related("wards").iterator(chunk_size=1000)
    return download(rows, workbench_columns(), name="workbench", format=format)


PANEL_COLUMNS = [
    Column("Date", lambda m: m.date),
    Column("Meeting", lambda m: m.title),
    Column("Fund", lambda m: m.fund.name),
    Column("Items", lambda m: m.item_count),
    Column("Members", lambda m: m.member_count),
]


def panels(meetings: Iterable[PanelMeeting], format: str) -> HttpResponse:
    return download(meetings, PANEL_COLUMNS, name="panel-meetings", format=format)


def _decided(item: PanelItem) -> str:
    decided = selectors.item_decided(item)
    if decided is not None:
        return decided.get_outcome_display()
    if any(d.outcome == "defer" for d in item.decisions.all()):
        return "Deferred"
    return ""


AGENDA_COLUMNS = [
    Column("Item", lambda i: i.position),
    Column("Reference", lambda i: i.application.reference),
    Column("Group", lambda i: i.application.organisation.name),
    Column("Project", lambda i: i.application.title),
    Column("Ward", lambda i: _wards(i.application)),
    Column("Amount requested", lambda i: i.application.amount_requested),
    Column("Status", lambda i: i.application.get_status_display()),
    Column("Decision", _decided),
    Column(
        "Amount awarded",
        lambda i: d.amount_awarded if (d := selectors.item_decided(i)) else None,
    ),
]


def agenda(meeting: PanelMeeting, format: str) -> HttpResponse:
    return download(
        selectors.agenda(meeting), AGENDA_COLUMNS, name=f"agenda-{meeting.date}", format=format
    )
