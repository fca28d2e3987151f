"""The councillor's lists of bids as files ("Download this list: CSV, XLSX"), through
`fundmgr.exports`: the bids of their wards waiting for their support, the bids they have
supported and the bids they declined. The same rows their dashboard lists, every page of them,
read by the same selectors, so a file holds nothing the page would not show them."""

from __future__ import annotations

from fundmgr.exports import Column


def _title(app) -> str:
    return app.title or app.reference


def _fund(app) -> str:
    return app.fund_year.fund.code


def _year(app) -> str:
    return app.fund_year.year.label


WAITING = [
    Column("Reference", lambda a: a.reference),
    Column("Project", _title),
    Column("Group", lambda a: a.organisation.name),
    Column("Fund", _fund),
    Column("Financial year", _year),
    Column("Received", lambda a: a.submitted_at),
    Column("Asks for", lambda a: a.amount_requested),
    Column(
        "Pledged by colleagues",
        lambda a: a.pledged_by_others if a.fund_year.uses_allocations else None,
    ),
    Column("Colleagues supporting", lambda a: a.supporters_by_others),
]

SUPPORTED = [
    Column("Reference", lambda p: p.application.reference),
    Column("Project", lambda p: _title(p.application)),
    Column("Group", lambda p: p.application.organisation.name),
    Column("Fund", lambda p: _fund(p.application)),
    Column("Financial year", lambda p: _year(p.application)),
    Column("Supported on", lambda p: p.created_at),
    Column("Your pledge", lambda p: p.amount if p.application.fund_year.uses_allocations else None),
    Column("Status", lambda p: p.application.get_status_display()),
]

DECLINED = [
    Column("Reference", lambda p: p.application.reference),
    Column("Project", lambda p: _title(p.application)),
    Column("Group", lambda p: p.application.organisation.name),
    Column("Fund", lambda p: _fund(p.application)),
    Column("Financial year", lambda p: _year(p.application)),
    Column("Declined on", lambda p: p.created_at),
    Column("Your reason", lambda p: p.statement),
    Column("Status", lambda p: p.application.get_status_display()),
]

# The dashboard's lists, by the name a download asks for (`?list=supported`): columns, file name.
LISTS = {
    "waiting": (WAITING, "bids-waiting-for-your-support"),
    "supported": (SUPPORTED, "bids-you-supported"),
    "declined": (DECLINED, "bids-you-declined"),
}
