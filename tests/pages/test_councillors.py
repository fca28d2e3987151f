"""The councillor's pages: the dashboard, a bid and its answers, transfers, and who may see what."""

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications import services as s
from applications import support
from applications.models import Application, InterestDeclaration, Pledge, TransitionLog
from applications.workflow import Status
from budgets import ledger
from budgets.models import Account, ElectionPeriod, LedgerTransaction
from budgets.selectors import statement
from fundmgr.models import Notification
from tests.factories import (
    ApplicationFactory,
    CouncillorFactory,
    FundFactory,
    FundYearFactory,
    OrganisationFactory,
    UserFactory,
    WardFactory,
)

D = Decimal
pytestmark = pytest.mark.django_db


# --- data -----------------------------------------------------------------------------------


@pytest.fixture
def waiting(draft, treasurer, officer):
    """The £500 CCIF bid of Friends of Abbey Park, waiting for councillor support."""
    s.application_submit(application=draft, by=treasurer)
    s.application_mark_eligible(application=draft, by=officer)
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_SUPPORT
    return draft


def bid_in(ward, fund_year, *, status=Status.AWAITING_SUPPORT, title="Lunch club", **kwargs):
    """A bid in the given state, made quickly (its history does not matter to these pages)."""
    app = ApplicationFactory(
        fund_year=fund_year,
        organisation=OrganisationFactory(ward=ward),
        title=title,
        **kwargs,
    )
    Application.objects.filter(pk=app.pk).update(status=status)
    app.refresh_from_db()
    return app


def state(app):
    """Everything a refused step must leave as it was."""
    app.refresh_from_db()
    return (
        app.status,
        app.version,
        list(Pledge.objects.order_by("pk").values_list("pk", "status", "amount")),
        list(Account.objects.order_by("pk").values_list("pk", "balance")),
        LedgerTransaction.objects.count(),
        TransitionLog.objects.count(),
        InterestDeclaration.objects.count(),
        Notification.objects.count(),
    )


def text_of(html: str, name: str) -> str:
    """The text of the first element carrying data-testid="name", tags stripped."""
    match = re.search(rf'<(\w+)[^>]*data-testid="{name}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no {name} on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(2))).strip()


def error_summary(html: str) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    assert match, "no error summary on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def field_error(html: str, field_id: str) -> str:
    """The text of the GOV.UK error message shown at one field."""
    found = re.findall(
        rf'<p id="{field_id}_\d+_error" class="govuk-error-message">(.*?)</p>', html, re.S
    )
    assert found, f"no error message at {field_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", " ".join(found)))


def support_url(app, action="support"):
    return f"/councillor/bids/{app.reference}/{action}/"


# --- who may see the pages ------------------------------------------------------------------


def test_signing_in_takes_a_councillor_to_their_dashboard(client, busy, shaw):
    response = client.post(
        "/sign-in/", {"username": "cllr.shaw", "password": "correct-horse-battery"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/councillor/"
    assert "Bids and support" in response.text


@pytest.mark.parametrize("role", ["Applicant", "Grants officer", "Finance officer"])
def test_people_who_are_not_councillors_are_refused(client, waiting, role):
    client.force_login(UserFactory(roles=[role]))
    for url in ["/councillor/", f"/councillor/bids/{waiting.reference}/", "/councillor/transfer/"]:
        assert client.get(url).status_code == 403, url
    assert client.post(support_url(waiting), {"amount": "10", "statement": "x"}).status_code == 403
    assert waiting.pledges.count() == 0


def test_signed_out_visitors_are_sent_to_sign_in(client, waiting):
    response = client.get(f"/councillor/bids/{waiting.reference}/")
    assert response.status_code == 302 and response.url.startswith("/sign-in/")


def test_a_councillor_cannot_open_another_wards_bid(client, fund_year, shaw, waiting):
    elsewhere = bid_in(WardFactory(name="Castle"), fund_year, title="Castle choir")
    client.force_login(shaw.user)
    for action in ["", "support/", "decline/", "interest/", "withdraw/", "supported/"]:
        url = f"/councillor/bids/{elsewhere.reference}/{action}"
        assert client.get(url).status_code == 404, url
    before = state(elsewhere)
    response = client.post(support_url(elsewhere), {"amount": "100.00", "statement": "Yes"})
    assert response.status_code == 404
    assert state(elsewhere) == before


def test_a_draft_in_the_ward_is_not_shown_to_councillors(client, draft, shaw):
    client.force_login(shaw.user)
    assert client.get(f"/councillor/bids/{draft.reference}/").status_code == 404


# --- the dashboard --------------------------------------------------------------------------


def test_dashboard_figures_equal_the_ledger(client, busy, shaw, okafor, waiting):
    support.pledge_make(
        application=waiting, councillor=shaw, amount=D("200.00"), statement="Yes", by=shaw.user
    )
    client.force_login(shaw.user)
    page = client.get("/councillor/").text
    ledger_view = statement(fund_year=busy, councillor=shaw)
    allocated = ledger_view.allocated + ledger_view.transfers_in - ledger_view.transfers_out
    assert text_of(page, "allocated") == "£1,150.00" == f"£{allocated:,.2f}"
    assert text_of(page, "committed") == "£300.00" == f"£{ledger_view.committed:,.2f}"
    assert text_of(page, "paid") == "£100.00" == f"£{ledger_view.paid:,.2f}"
    assert text_of(page, "balance") == "£750.00" == f"£{ledger_view.balance:,.2f}"
    assert text_of(page, "pledged") == "£200.00" == f"£{support.pledged_elsewhere(shaw, busy):,.2f}"
    assert text_of(page, "pledgeable") == "£550.00" == f"£{support.pledgeable(shaw, busy):,.2f}"
    assert "<strong>Left to pledge</strong>" in page
    assert f'href="/budgets/CCIF/2026/councillors/{shaw.pk}/"' in page


def test_a_fund_paid_from_the_central_pot_has_no_budget_card(client, shaw, okafor):
    cap = FundYearFactory(
        fund=FundFactory(code="CAF", kind="community_asset", name="Community Asset Fund"),
        funded_from="central_pot",
    )
    client.force_login(shaw.user)
    page = client.get("/councillor/").text
    assert "Community Asset Fund" not in page
    assert cap.pk


def test_the_bids_list_shows_only_bids_waiting_in_the_ward(
    client, fund_year, shaw, okafor, waiting
):
    ward = shaw.ward
    elsewhere = bid_in(WardFactory(name="Castle"), fund_year, title="Castle choir")
    assessed = bid_in(ward, fund_year, status=Status.UNDER_ASSESSMENT, title="Mural")
    declined = bid_in(ward, fund_year, title="Fireworks")
    supported = bid_in(ward, fund_year, title="Allotment tools")
    barred = bid_in(ward, fund_year, title="My own club")
    ledger.allocate_year(fund_year=fund_year, by=None)
    Pledge.objects.create(
        application=supported,
        councillor=shaw,
        amount=D("50.00"),
        statement="Y",
        created_by=shaw.user,
    )
    Pledge.objects.create(
        application=declined,
        councillor=shaw,
        statement="No",
        status="declined",
        created_by=shaw.user,
    )
    Pledge.objects.create(
        application=waiting,
        councillor=okafor,
        amount=D("120.00"),
        statement="Y",
        created_by=okafor.user,
    )
    InterestDeclaration.objects.create(
        application=barred, user=shaw.user, kind="pecuniary", details="I run it"
    )
    client.force_login(shaw.user)
    page = client.get("/councillor/").text
    waiting_list = page.split('data-testid="waiting"')[1].split("</ul>")[0]
    assert "New benches for the park" in waiting_list
    assert "Friends of Abbey Park" in waiting_list and "£500.00" in waiting_list
    assert "£120.00" in waiting_list  # already pledged by Cllr Okafor
    for other in [elsewhere, assessed, declined, supported, barred]:
        assert other.reference not in waiting_list, other.title
    assert "Castle choir" not in page
    supported_list = page.split('data-testid="supported"')[1].split("</ul>")[0]
    assert "Allotment tools" in supported_list and "£50.00" in supported_list
    assert "Waiting for councillor support" in supported_list  # its status tag
    assert "1 bid is waiting for your support" in page


def _many_bids(fund_year, shaw, okafor, n, batch):
    """n bids waiting in the ward (each with a pledge by Okafor), n that Shaw supported."""
    orgs = OrganisationFactory.create_batch(2, ward=shaw.ward)
    apps = Application.objects.bulk_create(
        Application(
            fund_year=fund_year,
            organisation=orgs[i % 2],
            reference=f"CCIF26-{batch}{i:05d}",
            status=Status.AWAITING_SUPPORT if i < n else Status.UNDER_ASSESSMENT,
            title=f"Bid {i}",
            amount_requested=D("100.00"),
            total_cost=D("100.00"),
            created_by=okafor.user,
        )
        for i in range(2 * n)
    )
    Application.wards.through.objects.bulk_create(
        Application.wards.through(application_id=app.pk, ward_id=shaw.ward_id) for app in apps
    )
    Pledge.objects.bulk_create(
        Pledge(
            application=app,
            councillor=okafor if i < n else shaw,
            amount=D("10.00"),
            statement="Yes",
            created_by=okafor.user,
        )
        for i, app in enumerate(apps)
    )


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200
    return len(queries)


def test_dashboard_queries_do_not_grow_with_bids(client, busy, shaw, okafor):
    client.force_login(shaw.user)
    _many_bids(busy, shaw, okafor, 2, batch=8)
    few = count_queries(client, "/councillor/")
    _many_bids(busy, shaw, okafor, 200, batch=9)
    page = client.get("/councillor/")
    assert "202 bids are waiting for your support" in page.text
    assert count_queries(client, "/councillor/") == few
    assert count_queries(client, "/councillor/?waiting=3&page=2") == few


def test_bid_page_queries_do_not_grow_with_pledges(client, busy, shaw, okafor, waiting):
    client.force_login(shaw.user)
    url = f"/councillor/bids/{waiting.reference}/"
    few = count_queries(client, url)
    others = CouncillorFactory.create_batch(20, ward=shaw.ward)
    Pledge.objects.bulk_create(
        Pledge(
            application=waiting, councillor=c, amount=D("1.00"), statement="Y", created_by=c.user
        )
        for c in others
    )
    assert count_queries(client, url) == few


# --- a bid: support and pledge --------------------------------------------------------------


def test_the_bid_page_shows_the_bid_and_what_the_councillor_can_do(client, shaw, okafor, waiting):
    support.pledge_make(
        application=waiting, councillor=okafor, amount=D("150.00"), statement="Y", by=okafor.user
    )
    client.force_login(shaw.user)
    page = client.get(f"/councillor/bids/{waiting.reference}/").text
    assert "Friends of Abbey Park" in page
    assert "Three benches so older residents can rest on their walk." in page
    assert "Abbey Meadow" in page and "Benches" in page
    assert "Cllr Priya Okafor" in page and "£150.00" in page
    assert "£350.00 still needed" in page
    assert "Support this bid" in page and "Decline to support it" in page
    assert "Declare an interest in this bid" in page
    assert text_of(page, "bid-available") == "You have £1,000.00 left to pledge in CCIF 2026/27."


def test_the_pledge_form_shows_the_balance_beside_the_amount(client, shaw, waiting):
    client.force_login(shaw.user)
    page = client.get(support_url(waiting)).text
    assert '<div class="govuk-input__prefix" aria-hidden="true">£</div>' in page
    assert 'inputmode="decimal"' in page
    assert text_of(page, "available-beside") == "You have £1,000.00 left to pledge"
    assert 'aria-describedby="id_amount_beside id_amount_hint"' in page


def test_a_pledge_is_made_and_the_bid_waits_for_more(client, shaw, waiting):
    client.force_login(shaw.user)
    response = client.post(
        support_url(waiting), {"amount": "£300", "statement": "Much needed in the ward"}
    )
    assert response.status_code == 302
    assert response.url == f"/councillor/bids/{waiting.reference}/supported/"
    pledge = waiting.pledges.get()
    assert (pledge.councillor, pledge.amount, pledge.status) == (shaw, D("300.00"), "pledged")
    page = client.get(response.url).text
    assert "You pledged £300.00" in page
    assert "once £200.00 more is pledged" in page
    assert "You have <strong>£700.00</strong> left to pledge" in page


def test_a_pledge_that_completes_the_support_moves_the_bid_on(client, shaw, okafor, waiting):
    support.pledge_make(
        application=waiting, councillor=okafor, amount=D("200.00"), statement="Y", by=okafor.user
    )
    client.force_login(shaw.user)
    response = client.post(
        support_url(waiting), {"amount": "300.00", "statement": "Yes"}, follow=True
    )
    waiting.refresh_from_db()
    assert waiting.status == Status.UNDER_ASSESSMENT
    assert "Being assessed" in text_of(response.text, "bid-status")


def test_an_empty_pledge_form_says_what_to_enter(client, shaw, waiting):
    client.force_login(shaw.user)
    response = client.post(support_url(waiting), {"amount": "", "statement": ""})
    summary = error_summary(response.text)
    assert "Enter the pledge, like 250.00" in summary
    assert "Say why you support this bid" in summary
    assert '<a href="#id_amount">' in response.text
    assert waiting.pledges.count() == 0


def test_over_budget_is_refused_in_the_error_summary_and_nothing_changes(
    client, fund_year, shaw, okafor, waiting
):
    ledger.allocation_transfer(
        fund_year=fund_year,
        from_councillor=shaw,
        to_councillor=okafor,
        amount=D("880.00"),
        by=shaw.user,
        key="pool",
    )
    client.force_login(shaw.user)
    before = state(waiting)
    response = client.post(support_url(waiting), {"amount": "300.00", "statement": "Yes"})
    assert response.status_code == 200
    said = "You have £120.00 left to pledge this year. Enter £120.00 or less"
    assert said in error_summary(response.text)
    assert said in field_error(response.text, "id_amount")  # at the field, as well
    summary_links = response.text.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    assert 'href="#id_amount"' in summary_links
    assert "Cllr Shaw" not in error_summary(response.text)
    assert response.text.index("govuk-error-summary") < response.text.index("<h1")
    assert "<title>Error:" in response.text
    assert state(waiting) == before


def test_the_pre_election_period_is_refused_and_nothing_changes(client, shaw, waiting):
    today = datetime.date.today()
    ElectionPeriod.objects.create(
        council=waiting.fund_year.fund.council,
        name="the borough elections",
        notice_date=today - datetime.timedelta(days=3),
        polling_day=today + datetime.timedelta(days=20),
    )
    client.force_login(shaw.user)
    bid_page = client.get(f"/councillor/bids/{waiting.reference}/").text
    assert "It is the pre-election period for the borough elections" in bid_page
    before = state(waiting)
    response = client.post(support_url(waiting), {"amount": "100.00", "statement": "Yes"})
    assert "It is the pre-election period for the borough elections" in error_summary(response.text)
    assert state(waiting) == before


def test_a_declared_interest_is_refused_and_nothing_changes(client, shaw, waiting):
    support.interest_declare(
        application=waiting, by=shaw.user, kind="pecuniary", details="I am the treasurer"
    )
    client.force_login(shaw.user)
    bid_page = client.get(f"/councillor/bids/{waiting.reference}/").text
    assert "Support this bid" not in bid_page
    assert "you take no part in it" in bid_page
    before = state(waiting)
    response = client.post(support_url(waiting), {"amount": "100.00", "statement": "Yes"})
    assert (
        f"You declared a disclosable pecuniary interest in {waiting.reference}, so you cannot "
        "support it." in error_summary(response.text)
    )
    assert state(waiting) == before


def test_a_bid_not_in_the_councillors_ward_is_refused_and_nothing_changes(client, shaw, waiting):
    # Shaw supported it, then withdrew; the group changed its wards when it was returned to them.
    pledge = support.pledge_make(
        application=waiting, councillor=shaw, amount=D("50.00"), statement="Y", by=shaw.user
    )
    support.pledge_withdraw(pledge=pledge, by=shaw.user)
    waiting.wards.set([WardFactory(name="Castle")])
    client.force_login(shaw.user)
    assert client.get(f"/councillor/bids/{waiting.reference}/").status_code == 200
    before = state(waiting)
    response = client.post(support_url(waiting), {"amount": "100.00", "statement": "Yes"})
    assert (
        f"{waiting.reference} does not benefit Abbey Meadow, the ward you represent."
        in error_summary(response.text)
    )
    assert state(waiting) == before


def test_a_second_response_is_refused(client, shaw, waiting):
    support.pledge_make(
        application=waiting, councillor=shaw, amount=D("50.00"), statement="Y", by=shaw.user
    )
    client.force_login(shaw.user)
    before = state(waiting)
    response = client.post(support_url(waiting), {"amount": "50.00", "statement": "Again"})
    assert "You have already responded" in error_summary(response.text)
    assert state(waiting) == before


def test_a_central_pot_bid_is_supported_with_evidence_of_need_and_no_amount(
    client, shaw, treasurer, officer
):
    caf = FundYearFactory(
        fund=FundFactory(code="CAF", kind="community_asset", name="Community Asset Fund"),
        funded_from="central_pot",
        max_award=D("20000.00"),
        delegated_limit=D("5000.00"),
    )
    group = OrganisationFactory(ward=shaw.ward, members=[treasurer])
    app = ApplicationFactory(
        fund_year=caf, organisation=group, reference="CAF26-000001", title="Hall roof"
    )
    s.application_submit(application=app, by=treasurer)
    s.application_mark_eligible(application=app, by=officer)
    client.force_login(shaw.user)
    form = client.get(support_url(app)).text
    assert 'name="amount"' not in form
    assert "What is the evidence of need in your ward?" in form
    response = client.post(support_url(app), {"statement": "The hall serves 400 families."})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.UNDER_ASSESSMENT
    assert app.pledges.get().amount == D("0.00")
    assert "You support this bid" in client.get(response.url).text


# --- decline, interest, withdraw ------------------------------------------------------------


def test_a_councillor_declines_with_a_reason(client, shaw, waiting):
    client.force_login(shaw.user)
    response = client.post(support_url(waiting, "decline"), {"reason": "  "})
    assert "Say why you do not support this bid" in error_summary(response.text)
    assert waiting.pledges.count() == 0
    response = client.post(
        support_url(waiting, "decline"), {"reason": "The park already has benches."}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/councillor/"
    assert f"You declined to support {waiting.reference}" in response.text
    pledge = waiting.pledges.get()
    assert (pledge.status, pledge.statement) == ("declined", "The park already has benches.")


def test_declaring_a_pecuniary_interest_withdraws_support(client, shaw, waiting):
    support.pledge_make(
        application=waiting, councillor=shaw, amount=D("50.00"), statement="Y", by=shaw.user
    )
    client.force_login(shaw.user)
    form = client.get(support_url(waiting, "interest")).text
    assert "Disclosable pecuniary interest" in form and "Non-registrable interest" in form
    response = client.post(support_url(waiting, "interest"), {"details": "I am the treasurer"})
    assert '<a href="#id_kind_1">Choose the kind of interest</a>' in response.text
    response = client.post(
        support_url(waiting, "interest"),
        {"kind": "pecuniary", "details": "I am the treasurer"},
        follow=True,
    )
    assert "You declared a disclosable pecuniary interest" in response.text
    assert waiting.pledges.get().status == "withdrawn"
    assert waiting.declarations.get().user == shaw.user


def test_a_pledge_can_be_withdrawn_while_the_bid_waits(client, shaw, waiting):
    support.pledge_make(
        application=waiting, councillor=shaw, amount=D("50.00"), statement="Y", by=shaw.user
    )
    client.force_login(shaw.user)
    assert "Withdraw your pledge" in client.get(f"/councillor/bids/{waiting.reference}/").text
    page = client.get(support_url(waiting, "withdraw")).text
    assert "Withdraw your pledge of £50.00?" in page
    response = client.post(support_url(waiting, "withdraw"), follow=True)
    assert "You withdrew your pledge of £50.00" in response.text
    assert waiting.pledges.get().status == "withdrawn"
    assert "Support this bid" in response.text  # and may support it again


def test_a_pledge_cannot_be_withdrawn_once_the_bid_moved_on(client, shaw, okafor, waiting):
    support.pledge_make(
        application=waiting, councillor=shaw, amount=D("300.00"), statement="Y", by=shaw.user
    )
    support.pledge_make(
        application=waiting, councillor=okafor, amount=D("200.00"), statement="Y", by=okafor.user
    )
    client.force_login(shaw.user)
    assert "Withdraw your pledge" not in client.get(f"/councillor/bids/{waiting.reference}/").text
    before = state(waiting)
    response = client.post(support_url(waiting, "withdraw"))
    assert "support can no longer be withdrawn" in error_summary(response.text)
    assert state(waiting) == before


# --- transfers ------------------------------------------------------------------------------


def hidden_key(html: str) -> str:
    return re.search(r'name="key" value="([0-9a-f-]{36})"', html).group(1)


def hidden_fields(html: str) -> dict[str, str]:
    """What the form sends without the person typing it (its key, the only fund year)."""
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def test_the_transfer_form_lists_only_ward_colleagues(client, fund_year, shaw, okafor):
    ledger.allocate_year(fund_year=fund_year, by=None)
    stranger = CouncillorFactory(name="Alex Other")
    CouncillorFactory(ward=shaw.ward, name="Former Member", term_end=datetime.date(2025, 5, 1))
    client.force_login(shaw.user)
    page = client.get("/councillor/transfer/").text
    assert "Cllr Priya Okafor" in page
    assert "Alex Other" not in page and "Former Member" not in page
    assert text_of(page, "available-beside") == "You have £1,000.00 left to pledge"
    key = hidden_key(page)
    response = client.post(
        "/councillor/transfer/",
        {"key": key, "fund_year": fund_year.pk, "colleague": stranger.pk, "amount": "10"},
    )
    assert "Choose a councillor of your ward" in error_summary(response.text)


def test_a_double_submitted_transfer_posts_once(client, fund_year, shaw, okafor):
    ledger.allocate_year(fund_year=fund_year, by=None)
    client.force_login(shaw.user)
    form = hidden_fields(client.get("/councillor/transfer/").text)
    assert form["fund_year"] == str(fund_year.pk)  # the only open allocation: not asked
    key = form["key"]
    data = {**form, "colleague": okafor.pk, "amount": "250.00"}
    data.pop("csrfmiddlewaretoken", None)
    check = client.post("/councillor/transfer/", data)
    assert "Check your transfer" in check.text and "£250.00" in check.text
    first = client.post("/councillor/transfer/", {**data, "confirm": "yes"})
    second = client.post("/councillor/transfer/", {**data, "confirm": "yes"})
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == f"/councillor/transfer/{key}/"
    assert LedgerTransaction.objects.filter(kind="transfer").count() == 1
    assert ledger.allocation_account(fund_year, shaw).balance == D("750.00")
    assert ledger.allocation_account(fund_year, okafor).balance == D("1250.00")
    done = client.get(first.url).text
    assert "Transfer complete" in done and "£250.00 to Cllr Priya Okafor" in done
    assert text_of(done, "pledgeable") == "£750.00"
    # the confirmation is Shaw's alone
    client.force_login(okafor.user)
    assert client.get(first.url).status_code == 404


def test_a_transfer_above_the_balance_is_refused_and_nothing_changes(
    client, fund_year, shaw, okafor, waiting
):
    client.force_login(shaw.user)
    key = hidden_key(client.get("/councillor/transfer/").text)
    before = state(waiting)
    response = client.post(
        "/councillor/transfer/",
        {
            "key": key,
            "fund_year": fund_year.pk,
            "colleague": okafor.pk,
            "amount": "1500.00",
            "confirm": "yes",
        },
    )
    assert response.status_code == 200
    said = (
        "You have £1,000.00 left in your 2026/27 CCIF allocation to transfer. "
        "Enter £1,000.00 or less"
    )
    assert said in error_summary(response.text)
    assert said in field_error(response.text, "id_amount")
    assert "Cllr Shaw" not in error_summary(response.text)
    assert state(waiting) == before


def test_a_changed_transfer_goes_back_to_the_form_with_its_answers(client, fund_year, shaw, okafor):
    ledger.allocate_year(fund_year=fund_year, by=None)
    client.force_login(shaw.user)
    key = str(uuid.uuid4())
    data = {"key": key, "fund_year": fund_year.pk, "colleague": okafor.pk, "amount": "40.00"}
    page = client.post("/councillor/transfer/", {**data, "change": "yes"}).text
    assert "Transfer to a ward colleague" in page and 'value="40.00"' in page
    assert f'value="{key}"' in page
    assert LedgerTransaction.objects.filter(kind="transfer").count() == 0


def test_a_councillor_alone_in_their_ward_has_no_one_to_transfer_to(client, fund_year, shaw):
    ledger.allocate_year(fund_year=fund_year, by=None)
    client.force_login(shaw.user)
    page = client.get("/councillor/transfer/").text
    assert "No other councillor of Abbey Meadow is in office today" in page


def test_with_two_funds_the_transfer_asks_which_with_each_balance(client, fund_year, shaw, okafor):
    ledger.allocate_year(fund_year=fund_year, by=None)
    cb = FundYearFactory(
        fund=FundFactory(code="CB", kind="councillor_budget", name="Ward budgets"),
        allocation_per_councillor=D("2000.00"),
    )
    ledger.budget_set(fund_year=cb, total=D("4000.00"), by=None)
    ledger.allocate_year(fund_year=cb, by=None)
    client.force_login(shaw.user)
    page = client.get("/councillor/transfer/").text
    assert "Which fund?" in page
    assert "You have £1,000.00 left to pledge" in page
    assert "You have £2,000.00 left to pledge" in page
    key = hidden_key(page)
    response = client.post(
        "/councillor/transfer/", {"key": key, "colleague": okafor.pk, "amount": "20.00"}
    )
    assert '<a href="#id_fund_year_1">Choose the fund to transfer from</a>' in response.text
    response = client.post(
        "/councillor/transfer/",
        {"key": key, "fund_year": cb.pk, "colleague": okafor.pk, "amount": "20", "confirm": "y"},
    )
    assert response.status_code == 302
    assert ledger.allocation_account(cb, okafor).balance == D("2020.00")
    assert ledger.allocation_account(fund_year, okafor).balance == D("1000.00")


def test_a_transfer_form_without_its_key_is_refused(client, fund_year, shaw, okafor):
    ledger.allocate_year(fund_year=fund_year, by=None)
    client.force_login(shaw.user)
    response = client.post(
        "/councillor/transfer/",
        {"fund_year": fund_year.pk, "colleague": okafor.pk, "amount": "20", "confirm": "y"},
    )
    assert "This form has expired: start the transfer again" in error_summary(response.text)
    assert LedgerTransaction.objects.filter(kind="transfer").count() == 0
