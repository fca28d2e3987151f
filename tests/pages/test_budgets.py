"""The budget pages: what each person sees, what they may not, and a fixed number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets import ledger
from tests.factories import CouncillorFactory, UserFactory, WardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def statement_url(fund_year, shaw):
    return f"/budgets/CCIF/2026/councillors/{shaw.pk}/"


def test_a_councillor_signs_in_to_their_bids_and_reaches_their_budgets(client, busy, shaw):
    response = client.post(
        "/sign-in/", {"username": "cllr.shaw", "password": "correct-horse-battery"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/councillor/"
    response = client.get("/budgets/")
    assert "Councillors&#x27; Community Initiative Fund 2026/27" in response.text
    assert "£750.00" in response.text


def test_a_wrong_password_is_explained_and_nothing_else_happens(client, shaw):
    response = client.post("/sign-in/", {"username": "cllr.shaw", "password": "nope"})
    assert response.status_code == 200
    assert "govuk-error-summary" in response.text
    assert "Enter a correct email address and password" in response.text
    assert "_auth_user_id" not in client.session


def test_the_statement_shows_each_posting_and_the_available_balance(
    client, busy, shaw, statement_url
):
    client.force_login(shaw.user)
    page = client.get(statement_url).text
    assert "Budget statement for Cllr Sam Shaw" in page
    assert "Transfer from Cllr Priya Okafor to Cllr Sam Shaw" in page
    assert "£400.00 committed to CCIF26-000007" in page
    assert "£1,000.00" in page  # the allocation
    assert "£150.00" in page  # transferred in
    assert "<strong>£750.00</strong>" in page  # available to pledge
    assert "£300.00" in page  # committed and not yet paid


def test_a_councillor_cannot_see_a_colleagues_statement(client, busy, okafor, statement_url):
    client.force_login(okafor.user)
    assert client.get(statement_url).status_code == 404  # another's: as if there were none


def test_a_community_group_cannot_see_budgets(client, busy, statement_url):
    client.force_login(UserFactory(roles=["Applicant"]))
    assert client.get(statement_url).status_code == 404  # another's: as if there were none
    assert client.get("/budgets/CCIF/2026/").status_code == 403


def test_an_empty_sign_in_form_says_what_to_enter(client):
    response = client.post("/sign-in/", {"username": "", "password": ""})
    assert "Enter your email address" in response.text
    assert "Enter your password" in response.text


def test_signed_out_visitors_are_sent_to_sign_in(client, busy, statement_url):
    response = client.get(statement_url)
    assert response.status_code == 302 and response.url.startswith("/sign-in/")


def test_an_officer_sees_every_councillors_balances(client, busy, shaw, okafor):
    client.force_login(UserFactory(roles=["Grants officer"]))
    page = client.get("/budgets/CCIF/2026/").text
    assert "Cllr Sam Shaw" in page and "Cllr Priya Okafor" in page
    assert "£8,000.00" in page  # the pot left after two £1,000 allocations
    assert "£2,000.00" in page  # total allocated


def test_an_officer_can_read_any_statement(client, busy, statement_url):
    client.force_login(UserFactory(roles=["Auditor"]))
    assert client.get(statement_url).status_code == 200


def test_an_unknown_fund_or_year_is_not_found(client, busy):
    client.force_login(UserFactory(roles=["Grants officer"]))
    assert client.get("/budgets/NOPE/2026/").status_code == 404
    assert client.get("/budgets/CCIF/1999/").status_code == 404


def count_queries(client, url):
    # A page as it is asked for again: the first request after signing in also writes the
    # time of the request into the session (fundmgr.sign_in.StaffIdleSignOut).
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_statement_queries_do_not_grow_with_postings(client, busy, shaw, okafor, statement_url):
    client.force_login(shaw.user)
    few = count_queries(client, statement_url)
    for i in range(40):
        ledger.allocation_transfer(
            fund_year=busy,
            from_councillor=okafor,
            to_councillor=shaw,
            amount=Decimal("1.00"),
            by=None,
            key=f"more{i}",
        )
    assert count_queries(client, statement_url) == few


def test_overview_queries_do_not_grow_with_councillors(client, busy):
    client.force_login(UserFactory(roles=["Finance officer"]))
    few = count_queries(client, "/budgets/CCIF/2026/")
    ward = WardFactory()
    for _ in range(30):
        ledger.allocation_make(
            fund_year=busy,
            councillor=CouncillorFactory(ward=ward),
            by=None,
            amount=Decimal("10.00"),
        )
    assert count_queries(client, "/budgets/CCIF/2026/") == few


def test_budgets_index_queries_do_not_grow_with_fund_years(client, busy, shaw):
    client.force_login(UserFactory(roles=["Administrator"]))
    few = count_queries(client, "/budgets/")
    from budgets.models import FinancialYear
    from tests.factories import FundYearFactory

    for start in range(2010, 2020):
        FundYearFactory(
            fund=busy.fund, year=FinancialYear.objects.create(start=datetime.date(start, 4, 1))
        )
    assert count_queries(client, "/budgets/") == few


def test_the_admin_shows_the_ledger_but_cannot_change_it(admin_client, busy):
    page = admin_client.get("/admin/budgets/ledgertransaction/")
    assert page.status_code == 200 and "CCIF26-000007" in page.text
    assert admin_client.get("/admin/budgets/ledgertransaction/add/").status_code == 403
    assert admin_client.get("/admin/budgets/entry/add/").status_code == 403


def test_only_the_most_specific_area_is_marked_current(client, db):
    from fundmgr.navigation import nav_items

    officer = UserFactory(roles=["Grants officer"])
    items = nav_items(officer, "/officer/panels/3/")
    assert [label for label, _, active in items if active] == ["Panels"]
    assert [label for label, _, active in nav_items(officer, "/officer/")] == [
        "Workbench",
        "Panels",
        "Budgets",
        "Dashboards",
    ]
    assert [label for label, _, active in nav_items(officer, "/officer/") if active] == [
        "Workbench"
    ]
