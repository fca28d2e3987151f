"""In a real browser, on a 320 pixel phone: a councillor supports a bid, is refused when the
money is not there, answers bids in the other ways and transfers to a colleague by keyboard."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from applications import services as s
from applications import support
from budgets import ledger
from tests.browser import fits_width, screenshot, serious_accessibility_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 320, "height": 640}


@pytest.fixture
def waiting(draft, treasurer, officer):
    """The £500 bid of Friends of Abbey Park, waiting for its councillors' support."""
    s.application_submit(application=draft, by=treasurer)
    s.application_mark_eligible(application=draft, by=officer)
    draft.refresh_from_db()
    return draft


def check(page, name: str) -> None:
    """Every page: no serious accessibility fault, nothing wider than the phone, a screenshot."""
    assert serious_accessibility_violations(page) == []
    assert fits_width(page), f"{name} is wider than the screen"
    screenshot(page, name)


def test_a_councillor_signs_in_on_a_phone_sees_a_bid_waiting_pledges_and_the_bid_moves_on(
    page, live_server, waiting, shaw, okafor
):
    support.pledge_make(
        application=waiting,
        councillor=okafor,
        amount=Decimal("200.00"),
        statement="Yes",
        by=okafor.user,
    )
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "cllr.shaw")
    expect(page.get_by_role("heading", name="Bids and support", exact=True)).to_be_visible()
    expect(page.get_by_test_id("waiting-count")).to_have_text("1 bid is waiting for your support")
    bids = page.get_by_test_id("waiting")
    expect(bids).to_contain_text("Friends of Abbey Park")
    expect(bids).to_contain_text("£200.00")  # pledged by Cllr Okafor
    expect(page.get_by_test_id("budget-CCIF-2026").get_by_test_id("pledgeable")).to_have_text(
        "£1,000.00"
    )
    check(page, "councillor-dashboard")

    bids.get_by_role("link", name="New benches for the park").click()
    expect(page.get_by_role("heading", name="New benches for the park")).to_be_visible()
    expect(page.get_by_test_id("other-pledges")).to_contain_text("Cllr Priya Okafor: £200.00")
    check(page, "councillor-bid")

    page.get_by_role("button", name="Support this bid").click()
    amount = page.get_by_label("How much do you pledge?")
    beside = page.get_by_test_id("available-beside")
    expect(beside).to_have_text("You have £1,000.00 left to pledge")
    # Measure once the stylesheet has loaded: the text is in the page before the layout is.
    page.wait_for_load_state("load")
    box, figure = amount.bounding_box(), beside.bounding_box()
    assert figure["x"] >= box["x"] + box["width"], "the balance is not beside the amount box"
    assert abs(figure["y"] - box["y"]) < box["height"], "the balance is not level with the box"
    check(page, "councillor-support")

    amount.fill("300.00")
    page.get_by_label("Why do you support this bid?").fill("Older residents asked for benches.")
    page.get_by_role("button", name="Support this bid").click()
    expect(page.get_by_role("heading", name="You pledged £300.00")).to_be_visible()
    expect(page.get_by_test_id("bid-status")).to_contain_text("Being assessed")
    check(page, "councillor-supported")

    page.get_by_role("link", name="Back to your bids").click()
    expect(page.get_by_test_id("waiting-count")).to_have_text(
        "No bids are waiting for your support."
    )
    expect(page.get_by_test_id("supported")).to_contain_text("Being assessed")
    expect(page.get_by_test_id("pledgeable")).to_have_text("£700.00")


def test_a_pledge_over_budget_is_refused_in_the_error_summary(
    page, live_server, waiting, fund_year, shaw, okafor
):
    ledger.allocation_transfer(
        fund_year=fund_year,
        from_councillor=shaw,
        to_councillor=okafor,
        amount=Decimal("880.00"),
        by=shaw.user,
        key="pool",
    )
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "cllr.shaw")
    page.goto(f"{live_server.url}/councillor/bids/{waiting.reference}/support/")
    expect(page.get_by_test_id("available-beside")).to_have_text("You have £120.00 left to pledge")
    page.get_by_label("How much do you pledge?").fill("300")
    page.get_by_label("Why do you support this bid?").fill("Much needed")
    page.get_by_role("button", name="Support this bid").click()
    summary = page.locator(".govuk-error-summary")
    said = "You have £120.00 left to pledge this year. Enter £120.00 or less"
    expect(summary).to_contain_text(said)
    # At the field as well as in the summary, whose link goes to the box.
    expect(page.locator("#div_id_amount .govuk-error-message")).to_contain_text(said)
    expect(summary.get_by_role("link", name=said)).to_have_attribute("href", "#id_amount")
    expect(summary).to_be_focused()
    expect(page.get_by_label("How much do you pledge?")).to_have_value("300")
    check(page, "councillor-support-over-budget")
    waiting.refresh_from_db()
    assert waiting.pledges.count() == 0


def test_the_other_answers_and_a_transfer_work_by_keyboard_on_a_phone(
    page, live_server, waiting, shaw, okafor
):
    support.pledge_make(
        application=waiting,
        councillor=shaw,
        amount=Decimal("100.00"),
        statement="Yes",
        by=shaw.user,
    )
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "cllr.shaw")
    bid = f"{live_server.url}/councillor/bids/{waiting.reference}"

    page.goto(f"{bid}/decline/")
    page.get_by_role("button", name="Decline to support").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Say why you do not support this bid"
    )
    check(page, "councillor-decline-error")

    page.goto(f"{bid}/interest/")
    page.get_by_role("button", name="Declare the interest").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the kind of interest")
    page.locator(".govuk-error-summary").get_by_role("link", name="Choose the kind").click()
    expect(page.get_by_label("Disclosable pecuniary interest")).to_be_focused()
    check(page, "councillor-interest-error")

    page.goto(f"{bid}/withdraw/")
    expect(page.get_by_role("heading", name="Withdraw your pledge of £100.00?")).to_be_visible()
    check(page, "councillor-withdraw")
    page.get_by_role("button", name="Withdraw my pledge").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("You withdrew your pledge of £100.00")
    check(page, "councillor-bid-withdrawn")

    # The transfer, by keyboard alone: the colleague's radio, the amount, Enter, then confirm.
    page.goto(f"{live_server.url}/councillor/")
    page.get_by_role("link", name="Transfer part of your allocation to a ward colleague").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Transfer to a ward colleague")).to_be_visible()
    expect(page.get_by_test_id("available-beside")).to_have_text(
        "You have £1,000.00 left to pledge"
    )
    check(page, "councillor-transfer")
    page.get_by_label("Cllr Priya Okafor").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_label("How much?")).to_be_focused()
    page.keyboard.type("150")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Check your transfer")).to_be_visible()
    expect(page.get_by_test_id("transfer-amount")).to_have_text("£150.00")
    check(page, "councillor-transfer-check")
    page.get_by_role("button", name="Transfer £150.00").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Transfer complete")).to_be_visible()
    expect(page.get_by_test_id("pledgeable")).to_have_text("£850.00")
    check(page, "councillor-transferred")
    assert ledger.allocation_account(waiting.fund_year, okafor).balance == Decimal("1150.00")
