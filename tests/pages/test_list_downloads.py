"""The budget, councillor and dashboard lists download as CSV and XLSX from their own pages
("Download this list"): each file holds what the page shows to the person asking, every row of
it, money as numbers and dates as dates; a person who may not read the page gets no file."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    return list(book.active.iter_rows(values_only=True))


def filename(response) -> str:
    return response["Content-Disposition"].split('filename="')[1].rstrip('"')


def today() -> str:
    return f"{timezone.localdate():%Y-%m-%d}"


# --- budgets --------------------------------------------------------------------------------


def test_the_fund_years_balances_download_a_councillor_to_a_row(client, busy, shaw, okafor):
    client.force_login(UserFactory(roles=["Grants officer"]))
    page = client.get("/budgets/CCIF/2026/").text
    assert 'href="?download=csv"' in page and 'href="?download=xlsx"' in page

    response = client.get("/budgets/CCIF/2026/?download=xlsx")
    assert filename(response) == f"budget-ccif-2026-27-{today()}.xlsx"
    rows = xlsx_rows(response)
    assert rows[0] == (
        "Councillor",
        "Ward",
        "Allocated",
        "Committed",
        "Paid",
        "Balance of the allocation",
        "Pledged to bids not yet decided",
        "Left to pledge",
    )
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"Cllr Sam Shaw", "Cllr Priya Okafor"}  # no totals row to add twice
    # Shaw: £1,000 + £150 in; £400 committed, £100 of it paid; £750 left. Numbers, not text.
    assert by_name["Cllr Sam Shaw"][1:] == ("Abbey Meadow", 1150, 300, 100, 750, 0, 750)
    assert by_name["Cllr Priya Okafor"][2] == 850

    response = client.get("/budgets/CCIF/2026/?download=csv")
    assert filename(response) == f"budget-ccif-2026-27-{today()}.csv"
    rows = csv_rows(response)
    shaw_row = next(r for r in rows if r[0] == "Cllr Sam Shaw")
    assert shaw_row[2:] == ["1150.00", "300.00", "100.00", "750.00", "0.00", "750.00"]


def test_only_those_who_read_every_budget_download_the_balances(client, busy, shaw):
    client.force_login(shaw.user)  # a councillor reads their own statement, not the year's
    assert client.get("/budgets/CCIF/2026/?download=csv").status_code == 403
    client.force_login(UserFactory(roles=["Applicant"]))
    assert client.get("/budgets/CCIF/2026/?download=xlsx").status_code == 403
    client.logout()
    response = client.get("/budgets/CCIF/2026/?download=csv")
    assert response.status_code == 302 and response.url.startswith("/sign-in/")


def test_a_councillors_statement_downloads_with_its_running_balance(client, busy, shaw):
    client.force_login(shaw.user)
    url = f"/budgets/CCIF/2026/councillors/{shaw.pk}/"
    page = client.get(url).text
    assert 'href="?download=csv"' in page and 'href="?download=xlsx"' in page

    response = client.get(url + "?download=xlsx")
    assert filename(response) == f"budget-statement-ccif-2026-27-sam-shaw-{today()}.xlsx"
    rows = xlsx_rows(response)
    assert rows[0] == ("Date", "What", "Details", "Reference", "Amount", "Balance")
    lines = rows[1:]
    assert [line[4] for line in lines] == [1000, 150, -400]
    assert [line[5] for line in lines] == [1000, 1150, 750]  # the running balance
    assert isinstance(lines[0][0], datetime.datetime)  # a real date the sheet can sort
    assert lines[0][0].date() == timezone.localdate()
    assert "Transfer from Cllr Priya Okafor to Cllr Sam Shaw" in lines[1][2]

    rows = csv_rows(client.get(url + "?download=csv"))
    assert rows[1][0] == timezone.localdate().isoformat()
    assert [r[4:] for r in rows[1:]] == [
        ["1000.00", "1000.00"],
        ["150.00", "1150.00"],
        ["-400.00", "750.00"],
    ]


def test_a_colleagues_statement_is_not_downloaded_either(client, busy, shaw, okafor):
    url = f"/budgets/CCIF/2026/councillors/{shaw.pk}/?download=csv"
    client.force_login(okafor.user)
    assert client.get(url).status_code == 404  # as if there were none, as the page
    client.force_login(UserFactory(roles=["Applicant"]))
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(roles=["Grants officer"]))
    assert len(csv_rows(client.get(url))) == 4  # officers read every statement
