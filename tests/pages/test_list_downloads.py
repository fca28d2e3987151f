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

from applications import services as s
from applications.models import InterestDeclaration, Pledge
from budgets import ledger
from tests.factories import UserFactory, WardFactory
from tests.pages.test_councillors import _many_bids, bid_in, waiting
from tests.pages.test_transparency import grants

__all__ = ["grants", "waiting"]
pytest_plugins = ["tests.transparency_fixtures"]

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


# --- the councillor's lists of bids ---------------------------------------------------------


def test_a_councillors_lists_of_bids_download_whole(client, busy, shaw, okafor):
    """25 bids waiting (two pages of 20) and 25 supported: each file holds all 25."""
    _many_bids(busy, shaw, okafor, 25, batch=7)
    client.force_login(shaw.user)
    page = client.get("/councillor/?waiting=2&page=2").text
    # The links keep the page's query but not its page numbers: the file is the whole list.
    assert 'href="?download=csv&amp;list=waiting"' in page
    assert 'href="?download=xlsx&amp;list=supported"' in page

    response = client.get("/councillor/?download=xlsx&list=waiting")
    assert filename(response) == f"bids-waiting-for-your-support-{today()}.xlsx"
    rows = xlsx_rows(response)
    assert rows[0][:3] == ("Reference", "Project", "Group")
    assert sorted(r[0] for r in rows[1:]) == [f"CCIF26-7{i:05d}" for i in range(25)]
    first = rows[1]
    assert first[6] == 100 and first[7] == 10 and first[8] == 1  # asks, pledged by Okafor

    rows = csv_rows(client.get("/councillor/?download=csv&list=supported"))
    assert rows[0][5:] == ["Supported on", "Your pledge", "Status"]
    assert sorted(r[0] for r in rows[1:]) == [f"CCIF26-7{i:05d}" for i in range(25, 50)]
    assert {r[6] for r in rows[1:]} == {"10.00"}
    assert {r[7] for r in rows[1:]} == {"Being assessed"}


def test_a_councillors_download_holds_only_what_their_page_shows(
    client, fund_year, shaw, okafor, waiting
):
    """Another ward's bid, a bid Shaw is barred from, and Okafor's own answers stay out; a group
    name that a spreadsheet would run as a formula arrives as text."""
    ledger.allocate_year(fund_year=fund_year, by=None)
    elsewhere = bid_in(WardFactory(name="Castle"), fund_year, title="Castle choir")
    barred = bid_in(shaw.ward, fund_year, title="My own club")
    InterestDeclaration.objects.create(
        application=barred, user=shaw.user, kind="pecuniary", details="I run it"
    )
    sly = bid_in(shaw.ward, fund_year, title="Sly")
    sly.organisation.name = '=HYPERLINK("http://evil.example","Click")'
    sly.organisation.save()
    declined = bid_in(shaw.ward, fund_year, title="Fireworks")
    Pledge.objects.create(
        application=declined,
        councillor=okafor,
        statement="Too loud",
        status="declined",
        created_by=okafor.user,
    )
    client.force_login(shaw.user)
    rows = csv_rows(client.get("/councillor/?download=csv&list=waiting"))
    references = sorted(r[0] for r in rows[1:])
    assert references == sorted([waiting.reference, sly.reference, declined.reference])
    assert elsewhere.reference not in str(rows) and barred.reference not in str(rows)
    sly_row = next(r for r in rows if r[0] == sly.reference)
    assert sly_row[2] == "'" + sly.organisation.name  # defused in the CSV
    book = load_workbook(io.BytesIO(client.get("/councillor/?download=xlsx&list=waiting").content))
    cell = next(row[2] for row in book.active.iter_rows() if row[0].value == sly.reference)
    assert cell.data_type == "s" and cell.value == sly.organisation.name  # text, no formula
    # Okafor declined Fireworks; Shaw has declined nothing.
    assert csv_rows(client.get("/councillor/?download=csv&list=declined"))[1:] == []
    client.force_login(okafor.user)
    rows = csv_rows(client.get("/councillor/?download=csv&list=declined"))
    assert [r[0] for r in rows[1:]] == [declined.reference] and rows[1][6] == "Too loud"


def test_a_list_that_is_not_there_and_a_person_who_is_not_a_councillor_get_no_file(
    client, busy, shaw, officer
):
    client.force_login(shaw.user)
    assert client.get("/councillor/?download=csv&list=everyone").status_code == 404
    assert client.get("/councillor/?download=csv").status_code == 404
    client.force_login(officer)
    assert client.get("/councillor/?download=csv&list=waiting").status_code == 403
    client.force_login(UserFactory(roles=["Applicant"]))
    assert client.get("/councillor/?download=xlsx&list=supported").status_code == 403


# --- the dashboards' tables -----------------------------------------------------------------


def test_each_dashboard_table_downloads_as_the_page_shows_it(client, grants, town):
    client.force_login(town.officer)
    page = client.get("/dashboards/spend/", {"year": "2026/27"}).text
    # The links keep the page's filters and name their table.
    assert 'href="?year=2026%2F27&amp;download=csv&amp;table=by-ward-table"' in page
    assert 'href="?year=2026%2F27&amp;download=xlsx&amp;table=by-councillor-table"' in page

    response = client.get(
        "/dashboards/spend/", {"year": "2026/27", "download": "csv", "table": "by-ward-table"}
    )
    assert filename(response) == (
        f"spend-and-commitments-by-ward-every-fund-2026-27-every-ward-{today()}.csv"
    )
    rows = csv_rows(response)
    assert rows[0] == ["Ward", "Grants", "Paid", "Committed", "Total"]
    by_ward = {r[0]: r for r in rows[1:]}
    assert by_ward["Abbey Meadow"][2] == "400.00"
    assert by_ward["Total"][2:] == ["400.00", "1200.00", "1600.00"]  # the table's totals row

    response = client.get(
        "/dashboards/spend/", {"year": "2026/27", "download": "xlsx", "table": "by-ward-table"}
    )
    assert filename(response).endswith(f"2026-27-every-ward-{today()}.xlsx")
    rows = xlsx_rows(response)
    assert rows[0] == ("Ward", "Grants", "Paid", "Committed", "Total")
    assert {r[0]: r for r in rows[1:]}["Abbey Meadow"][2] == 400


def test_a_councillors_table_download_holds_their_ward_only(client, grants, town):
    client.force_login(town.shaw.user)
    query = {"year": "", "download": "csv"}
    rows = csv_rows(client.get("/dashboards/spend/", {**query, "table": "by-ward-table"}))
    assert [r[0] for r in rows[1:]] == ["Abbey Meadow", "Total"]
    rows = csv_rows(client.get("/dashboards/spend/", {**query, "table": "by-councillor-table"}))
    assert "Cllr Sam Shawcross" in str(rows) and "Okaforth" not in str(rows)


def test_a_table_that_is_not_there_and_a_person_who_may_not_get_no_file(client, grants, town):
    client.force_login(town.officer)
    assert client.get("/dashboards/spend/?download=csv&table=nonsense").status_code == 404
    assert client.get("/dashboards/spend/?download=csv").status_code == 404
    client.force_login(UserFactory(roles=["Applicant"]))
    assert client.get("/dashboards/spend/?download=csv&table=by-ward-table").status_code == 403
    client.logout()
    response = client.get("/dashboards/spend/?download=xlsx&table=by-ward-table")
    assert response.status_code == 302 and response.url.startswith("/sign-in/")


def test_a_group_named_like_a_formula_stays_text_in_every_dashboard_file(client, town):
    """A clawback is due from a group whose name a spreadsheet would run: each file of the
    clawback dashboard holds it as text (the whole workbook too)."""
    name = '=HYPERLINK("http://evil.example","Click")'
    app = town.award(town.bid(town.group(name), amount="800.00"), pay="800.00")
    s.monitoring_report_submit(
        application=app,
        by=town.treasurer,
        amount_spent=D("600.00"),
        outcomes="Done",
        people_reached=9,
    )
    client.force_login(town.officer)
    query = {"table": "clawback-extra-1"}
    rows = csv_rows(client.get("/dashboards/clawback/", {**query, "download": "csv"}))
    assert rows[1][:2] == [app.reference, "'" + name]
    assert rows[1][4:] == ["200.00", "0.00", "200.00"]
    for response in (
        client.get("/dashboards/clawback/", {**query, "download": "xlsx"}),
        client.get("/dashboards/clawback/download/"),
    ):
        book = load_workbook(io.BytesIO(response.content))
        sheet = book["Grants with clawback due"]
        cell = sheet["B2"]
        assert cell.value == name and cell.data_type == "s"  # text, never a formula
