"""The whole journey through the pages alone, each person in their own browser: a group sends a
bid, an officer finds it eligible, both ward councillors pledge, one officer assesses, another
approves, and the group accepts the offer. No service is called by the test after its set-up."""

import pytest
from playwright.sync_api import expect

from applications.models import Application
from applications.workflow import Status
from budgets import ledger
from budgets.integrity import ledger_violations
from tests.browser import serious_accessibility_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def person(browser, live_server):
    """A fresh signed-in browser for each username asked for."""
    contexts = []

    def open_as(username):
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        sign_in(page, live_server, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_a_bid_goes_from_the_group_through_councillors_and_officers_to_an_accepted_offer(
    person, live_server, draft, shaw, okafor, officer, officer2
):
    ref = draft.reference
    url = live_server.url

    group = person("treasurer")
    group.goto(f"{url}/apply/applications/{draft.pk}/check/")
    group.get_by_role("button", name="Submit application").click()
    expect(group.get_by_role("heading", name="Application submitted")).to_be_visible()

    desk = person("officer")
    desk.goto(f"{url}/officer/applications/{ref}/")
    desk.get_by_role("button", name="Check eligibility").click()
    desk.get_by_label("Eligible: it goes forward").check()
    desk.get_by_role("button", name="Save and continue").click()
    expect(desk.get_by_role("alert")).to_contain_text(f"{ref} marked eligible")

    for username, amount in (("cllr.shaw", "300.00"), ("cllr.okafor", "200.00")):
        councillor = person(username)
        councillor.get_by_test_id("waiting").get_by_role(
            "link", name="New benches for the park"
        ).click()
        councillor.get_by_role("button", name="Support this bid").click()
        councillor.get_by_label("How much do you pledge?").fill(amount)
        councillor.get_by_label("Why do you support this bid?").fill("Residents asked for it.")
        councillor.get_by_role("button", name="Support this bid").click()
        expect(councillor.get_by_role("heading", name=f"You pledged £{amount}")).to_be_visible()
    expect(councillor.get_by_test_id("bid-status")).to_contain_text("Being assessed")

    desk.reload()
    desk.get_by_role("button", name="Assess the application").click()
    desk.get_by_label("Approve").check()
    desk.get_by_label("Assessment").fill("Meets every criterion.")
    desk.get_by_role("button", name="Send for a decision").click()
    expect(desk.get_by_role("alert")).to_contain_text("sent for a decision")

    second = person("officer2")
    second.goto(f"{url}/officer/applications/{ref}/")
    second.get_by_role("button", name="Decide under delegated authority").click()
    second.get_by_label("Approve").check()
    second.get_by_label("Amount awarded").fill("500.00")
    second.get_by_label("Reasons for the decision").fill("Good value for the ward.")
    second.get_by_role("button", name="Record the decision").click()
    expect(second.get_by_role("alert")).to_contain_text(f"{ref} approved")

    group.goto(f"{url}/apply/applications/{draft.pk}/")
    group.get_by_role("button", name="Accept the offer").click()
    group.get_by_label("I confirm that I have read the conditions").check()
    group.get_by_role("button", name="Accept the offer").click()
    expect(group.get_by_role("heading", name="Offer accepted")).to_be_visible()
    assert serious_accessibility_violations(group) == []

    app = Application.objects.get(pk=draft.pk)
    assert app.status == Status.OFFER_ACCEPTED and app.amount_awarded == 500
    assert ledger.allocation_account(app.fund_year, shaw).balance == 700
    assert ledger.allocation_account(app.fund_year, okafor).balance == 800
    assert [t.transition for t in app.transitions.all()] == [
        "submit",
        "mark_eligible",
        "endorse",
        "recommend",
        "approve",
        "accept_offer",
    ]
    assert ledger_violations() == []
