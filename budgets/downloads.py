"""The budget lists as files ("Download this list: CSV, XLSX"), through `fundmgr.exports`: the
fund year's balances, a councillor to a row, and a councillor's budget statement, a posting to a
row with its running balance. The same rows the page shows; money as numbers, dates as dates, so
that a spreadsheet can add them up and sort them."""

from __future__ import annotations

from django.http import HttpResponse

from budgets.models import Councillor, FundYear
from budgets.selectors import Overview, Statement
from fundmgr.exports import Column, download

OVERVIEW = [
    Column("Councillor", lambda r: str(r.councillor)),
    Column("Ward", lambda r: r.councillor.ward.name),
    Column("Allocated", lambda r: r.allocated),
    Column("Committed", lambda r: r.committed),
    Column("Paid", lambda r: r.paid),
    Column("Balance of the allocation", lambda r: r.balance),
    Column("Pledged to bids not yet decided", lambda r: r.pledged),
    Column("Left to pledge", lambda r: r.pledgeable),
]

STATEMENT = [
    Column("Date", lambda r: r.posted_at),
    Column("What", lambda r: r.kind_label),
    Column("Details", lambda r: r.memo),
    Column("Reference", lambda r: r.reference or None),
    Column("Amount", lambda r: r.amount),
    Column("Balance", lambda r: r.balance),
]


def _name(*parts: str) -> str:
    """`budget-ccif-2026-27`: lower case; fundmgr.exports makes the rest safe and adds the day."""
    return "-".join(parts).lower()


def overview(overview: Overview, format: str) -> HttpResponse:
    fund_year = overview.fund_year
    name = _name("budget", fund_year.fund.code, fund_year.year.label)
    return download(overview.rows, OVERVIEW, name=name, format=format)


def statement(
    statement: Statement, fund_year: FundYear, councillor: Councillor, format: str
) -> HttpResponse:
    name = _name(
        "budget-statement", fund_year.fund.code, fund_year.year.label, councillor.name or ""
    )
    return download(statement.rows, STATEMENT, name=name, format=format)
