"""The Local Government Transparency Code 2015 list of grants to voluntary, community and social
enterprise organisations, as CSV: date awarded, the period it covers, the department that
awarded it, the beneficiary and its registration number, a summary of the purpose, the amount.

Each council publishes its own list (the department is the council's own, `Council.department`,
or the council's name where none is set). Made from the same published grants as the 360Giving
file (`published.grant_rows`), less those to parish councils and schools, which are not VCSE
organisations. Amounts are plain numbers
(500.00) and dates ISO 8601 (2026-05-14), so the file reads into a spreadsheet or a program
alike.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

from budgets.models import FinancialYear
from transparency import identifiers as ids
from transparency.published import GrantRow, grant_rows

COLUMNS = [
    "Date awarded",
    "Period",
    "Department",
    "Beneficiary",
    "Registration number",
    "Register",
    "Summary of purpose",
    "Amount",
    "Grant reference",
    "Fund",
    "Wards benefiting",
]
# What the Code requires: the tests check every one is there.
REQUIRED = [
    "Date awarded",
    "Period",
    "Department",
    "Beneficiary",
    "Registration number",
    "Summary of purpose",
    "Amount",
]


def period(row: GrantRow) -> str:
    """The time the grant is for: the project's dates, or else the fund's financial year."""
    if row.project_start and row.project_end:
        return f"{row.project_start.isoformat()} to {row.project_end.isoformat()}"
    if row.project_start:
        return f"From {row.project_start.isoformat()}"
    return f"Financial year {row.year_label}"


def line(row: GrantRow) -> list[str]:
    registered = ids.registration(
        charity_number=row.charity_number, company_number=row.company_number
    )
    return [
        row.award_date.isoformat() if row.award_date else "",
        period(row),
        row.council_department.strip() or row.council_name,
        row.organisation_name,
        registered.number if registered else "",
        registered.register if registered else "",
        row.purpose or row.title,
        f"{row.amount_awarded:.2f}",
        row.reference,
        row.fund_name,
        "; ".join(w.name for w in row.wards),
    ]


def rows(year: FinancialYear | None = None) -> Iterator[list[str]]:
    yield COLUMNS
    for row in grant_rows(year=year, vcse_only=True):
        yield line(row)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(year: FinancialYear | None = None) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows(year):
        yield writer.writerow(row)


def write_csv(out: IO[str], year: FinancialYear | None = None) -> None:
    writer = csv.writer(out)
    for row in rows(year):
        writer.writerow(row)
