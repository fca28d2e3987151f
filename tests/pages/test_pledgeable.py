# ruff: noqa: F811 (the fixtures imported below are used as arguments)
"""What a councillor can still pledge ("Left to pledge"): the allocation's balance less their
pledges to bids waiting for a decision. One figure, the same on the dashboard, the budget
statement (page and PDF), the transfer page and the API, and the limit of a transfer."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applications import support
from applications.models import Application
from applications.workflow import Status
from budgets import ledger
from budgets.models import Account, LedgerTransaction
from tests.documents_fixtures import flat, media, pdf_text  # noqa: F401 (media: a fixture)
from tests.factories import (
    ApplicationFactory,
    CouncillorFactory,
    OrganisationFactory,
    UserFactory,
    WardFactory,
)

D = Decimal
pytestmark = pytest.mark.django_db
API = "/api/v1"

# Shaw's CCIF 2026/27 allocation (the `busy` fixture), and his pledges below, by hand:
ALLOCATED = D("1000.00") + D("150.00")  # the yearly allocation and a transfer in from Okafor
COMMITTED = D("300.00")  # committed to CCIF26-000007 from it and not yet paid
PAID = D("100.00")  # paid of that grant
PENDING = D("200.00") + D("175.00")  # his pledges to two bids waiting for a decision
LEFT = ALLOCATED - COMMITTED - PAID - PENDING  # £375.00


def bid(ward, fund_year, *, asks: str = "500.00") -> Application:
    """A bid benefiting the ward, waiting for councillor support."""
    app = ApplicationFactory(
        fund_year=fund_year,
        organisation=OrganisationFactory(ward=ward),
        amount_requested=D(asks),
        total_cost=D(asks),
    )
    Application.objects.filter(pk=app.pk).update(status=Status.AWAITING_SUPPORT)
    app.refresh_from_db()
    return app


def pledge(app, councillor, amount: str):
    return support.pledge_make(
        application=app,
        councillor=councillor,
        amount=D(amount),
        statement="Much needed",
        by=councillor.user,
    )


@pytest.fixture
def pledged(busy, shaw, okafor):
    """Shaw pledges £200 and £175 to two bids still waiting; Okafor pledges £100 to the first.
    Shaw's £50 to a bid since turned down, and £60 he withdrew, hold nothing."""
    first, second = bid(shaw.ward, busy), bid(shaw.ward, busy)
    pledge(first, shaw, "200.00")
    pledge(second, shaw, "175.00")
    pledge(first, okafor, "100.00")
    turned_down = bid(shaw.ward, busy)
    pledge(turned_down, shaw, "50.00")
    Application.objects.filter(pk=turned_down.pk).update(status=Status.REJECTED)
    support.pledge_withdraw(pledge=pledge(bid(shaw.ward, busy), shaw, "60.00"), by=shaw.user)
    return busy


def api_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def seen(html: str) -> str:
    """The page's text as a person reads it: tags gone, runs of spaces made one."""
    body = re.search(r"<main.*?</main>", html, re.S)
    assert body, "no <main> on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", body.group(0)).split())


def left_to_pledge(text: str) -> list[str]:
    """Every figure the text gives as left to pledge: `Left to pledge £375.00` in a summary,
    `You have £375.00 left to pledge` in a sentence."""
    return [
        a or b
        for a, b in re.findall(
            r"Left to pledge (£[\d,]+\.\d\d)|(£[\d,]+\.\d\d) left to pledge", text, re.I
        )
    ]


def test_every_surface_shows_the_same_left_to_pledge(client, pledged, shaw):
    assert LEFT == D("375.00")
    shown = f"£{LEFT:,.2f}"
    client.force_login(shaw.user)
    dashboard = seen(client.get("/councillor/").text)
    statement = seen(client.get(f"/budgets/CCIF/2026/councillors/{shaw.pk}/").text)
    response = client.get(f"/documents/statements/CCIF/2026/councillors/{shaw.pk}/")
    pdf = flat(pdf_text(b"".join(response.streaming_content)))
    transfer = seen(client.get("/councillor/transfer/").text)
    api = api_client(shaw.user)
    (listed,) = api.get(f"{API}/budgets/").json()["results"]
    one = api.get(f"{API}/budgets/{listed['id']}/").json()
    lines = api.get(f"{API}/budgets/{listed['id']}/statement/").json()

    assert left_to_pledge(dashboard) == [shown]
    assert left_to_pledge(statement) == [shown]
    assert left_to_pledge(pdf) == [shown]
    assert left_to_pledge(transfer) == [shown]
    assert listed["pledgeable"] == one["pledgeable"] == lines["pledgeable"] == str(LEFT)
    # each says how it is made up, in the same words
    for text in (dashboard, statement, pdf):
        assert f"Pledged to bids not yet decided £{PENDING:,.2f}" in text
        assert f"Balance of the allocation £{ALLOCATED - COMMITTED - PAID:,.2f}" in text
    for body in (listed, one, lines):
        assert (body["balance"], body["pledged"]) == ("750.00", "375.00")
        assert body["available"] == body["pledgeable"]  # the old name no longer misleads


def test_an_officer_sees_each_councillors_own_figure(client, pledged, shaw, okafor):
    """Okafor: £1,000 less the £150 she gave Shaw, less her £100 pledge. Shaw: £375."""
    officer = UserFactory(roles=["Grants officer"])
    rows = api_client(officer).get(f"{API}/budgets/").json()["results"]
    assert {r["councillor"]["name"]: r["pledgeable"] for r in rows} == {
        "Priya Okafor": "750.00",
        "Sam Shaw": "375.00",
    }
    overview = api_client(officer).get(f"{API}/fund-years/{pledged.pk}/overview/").json()
    assert [(r["councillor"]["name"], r["pledgeable"]) for r in overview["rows"]] == [
        ("Priya Okafor", "750.00"),
        ("Sam Shaw", "375.00"),
    ]
    assert overview["totals"]["pledgeable"] == "1125.00"
    client.force_login(officer)
    page = seen(client.get("/budgets/CCIF/2026/").text)
    assert "Left to pledge" in page
    assert "Cllr Sam Shaw Abbey Meadow £1,150.00 £300.00 £100.00 £750.00 £375.00 £375.00" in page


def transfer(client, colleague, amount: str):
    page = client.get("/councillor/transfer/").text
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    form.pop("csrfmiddlewaretoken", None)
    return client.post(
        "/councillor/transfer/",
        {**form, "colleague": colleague.pk, "amount": amount, "confirm": "yes"},
    )


def test_a_transfer_of_more_than_is_left_to_pledge_is_refused(client, pledged, shaw, okafor):
    client.force_login(shaw.user)
    response = transfer(client, okafor, "375.01")
    assert response.status_code == 200
    assert (
        "You have £375.00 free to transfer: £375.00 of your 2026/27 CCIF allocation is "
        "pledged to bids still waiting for a decision. Enter £375.00 or less" in seen(response.text)
    )
    assert LedgerTransaction.objects.filter(kind="transfer", created_by=shaw.user).count() == 0


def test_all_that_is_left_to_pledge_can_be_transferred(client, pledged, shaw, okafor):
    client.force_login(shaw.user)
    response = transfer(client, okafor, "375.00")
    assert response.status_code == 302
    done = seen(client.get(response.url).text)
    assert left_to_pledge(done) == ["£0.00"]
    allocation = Account.objects.get(fund_year=pledged, kind="allocation", councillor=shaw)
    assert allocation.balance == PENDING  # what stays is what the two bids were promised


def test_the_check_before_a_transfer_warns_when_it_is_more_than_is_left(
    client, pledged, shaw, okafor
):
    client.force_login(shaw.user)
    page = client.get("/councillor/transfer/").text
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    form.pop("csrfmiddlewaretoken", None)
    check = seen(
        client.post("/councillor/transfer/", {**form, "colleague": okafor.pk, "amount": "400"}).text
    )
    assert "Left to pledge £375.00 (£375.00 of your allocation is pledged to bids" in check
    assert "this transfer will be refused" in check


# --- in a browser ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [320, 1024], ids=["phone", "desktop"])
def test_left_to_pledge_reads_clearly_on_the_dashboard_and_the_statement(
    page, live_server, pledged, shaw, width
):
    from playwright.sync_api import expect

    from tests.browser import (
        fits_width,
        screenshot,
        serious_accessibility_violations,
        sign_in,
    )

    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, "cllr.shaw")
    page.goto(f"{live_server.url}/councillor/")
    card = page.get_by_test_id("budget-CCIF-2026")
    expect(card.get_by_test_id("pledgeable")).to_have_text("£375.00")
    expect(card.get_by_text("Left to pledge", exact=True)).to_be_visible()
    card.scroll_into_view_if_needed()
    assert serious_accessibility_violations(page) == [] and fits_width(page)
    screenshot(page, f"pledgeable-dashboard-{width}")
    card.get_by_role("link", name="Budget statement").click()
    expect(page.get_by_test_id("pledgeable")).to_have_text("£375.00")
    expect(page.get_by_text("Left to pledge", exact=True)).to_be_visible()
    assert serious_accessibility_violations(page) == [] and fits_width(page)
    screenshot(page, f"pledgeable-statement-{width}")


# --- a fixed number of queries, whatever the number of councillors -------------------------


def councillors_with_pledges(fund_year, n: int) -> None:
    """n more councillors of one ward, each with £10 allocated and £5 pledged to its bid."""
    ward = WardFactory()
    app = bid(ward, fund_year, asks="100000.00")
    for _ in range(n):
        member = CouncillorFactory(ward=ward)
        ledger.allocation_make(fund_year=fund_year, councillor=member, by=None, amount=D("10"))
        pledge(app, member, "5.00")


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_budget_list_and_overview_queries_do_not_grow_with_councillors(pledged):
    client = api_client(UserFactory(roles=["Grants officer"]))
    urls = [f"{API}/budgets/", f"{API}/fund-years/{pledged.pk}/overview/"]
    councillors_with_pledges(pledged, 0)  # Shaw and Okafor: 2
    few = [queries(client, url) for url in urls]
    councillors_with_pledges(pledged, 18)
    body = client.get(f"{API}/budgets/").json()
    assert body["count"] == 20
    assert {
        r["pledgeable"]
        for r in body["results"]
        if r["councillor"]["name"]
        not in (
            "Sam Shaw",
            "Priya Okafor",
        )
    } == {"5.00"}
    assert [queries(client, url) for url in urls] == few
