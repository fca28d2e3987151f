# ruff: noqa: F811 (the big_bid fixture is imported, then named as an argument)
"""In a real browser, on a phone (390×844) and a desktop (1366×768): above the delegated limit an
officer is offered "Add to a panel agenda", not "Decide under delegated authority"; an award above
the amount asked is refused at the amount; a councillor pledging more than they have left is told
so in the second person, at the amount."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from applications import services as s
from budgets import ledger
from decisions.models import PanelItem
from tests import journeys
from tests.browser import fits_width, screenshot, serious_accessibility_violations, sign_in
from tests.pages.test_decisions_offered import big_bid, meeting_for  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 768}}


@pytest.fixture(params=list(SIZES))
def size(request, page):
    page.set_viewport_size(SIZES[request.param])
    return request.param


def looks_right(page, name: str) -> None:
    """No serious accessibility fault, nothing wider than the screen, and a screenshot."""
    assert serious_accessibility_violations(page) == []
    assert fits_width(page), f"{name} is wider than the screen"
    screenshot(page, name)


def test_above_the_limit_the_officer_adds_the_bid_to_a_panel_agenda(
    page, live_server, size, big_bid, officer, officer2
):
    meeting = meeting_for(big_bid.fund_year.fund, days=10, officer=officer)
    sign_in(page, live_server, "officer2")
    page.goto(f"{live_server.url}/officer/applications/{big_bid.reference}/")
    expect(page.get_by_role("heading", name=big_bid.title)).to_be_visible()
    expect(page.get_by_role("button", name="Decide under delegated authority")).to_have_count(0)
    add = page.get_by_role("button", name="Add to a panel agenda")
    expect(add).to_be_visible()
    expect(page.get_by_test_id("next")).to_contain_text("A grants panel decides it")
    expect(page.get_by_test_id("panel-route")).to_contain_text("The next panel meeting for")
    looks_right(page, f"decisions-offered-panel-route-{size}")

    # Going straight to the decide page is refused before there is anything to fill in.
    page.goto(f"{live_server.url}/officer/applications/{big_bid.reference}/decide/")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("a grants panel decides it")
    expect(page.get_by_role("button", name="Record the decision")).to_have_count(0)
    expect(page.get_by_role("button", name="Add to a panel agenda")).to_be_visible()
    looks_right(page, f"decisions-offered-decide-refused-{size}")

    # The way on: the next meeting's agenda, with the bid ticked already.
    page.get_by_role("button", name="Add to a panel agenda").click()
    expect(page.get_by_role("checkbox", name=big_bid.reference)).to_be_checked()
    looks_right(page, f"decisions-offered-agenda-ticked-{size}")
    page.get_by_role("button", name="Add to the agenda").click()
    expect(page.get_by_text(f"Added to the agenda: {big_bid.reference}.")).to_be_visible()
    assert PanelItem.objects.filter(meeting=meeting, application=big_bid).exists()
    page.goto(f"{live_server.url}/officer/applications/{big_bid.reference}/")
    expect(page.get_by_test_id("panel-route")).to_contain_text("It is item 1 on the agenda of")


def test_an_award_above_the_amount_asked_is_refused_at_the_amount(
    page, live_server, size, draft, treasurer, officer, officer2, shaw, okafor
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    sign_in(page, live_server, "officer2")
    page.goto(f"{live_server.url}/officer/applications/{draft.reference}/decide/")
    page.get_by_label("Approve").check()
    amount = page.get_by_label("Amount awarded")
    amount.fill("501")
    page.get_by_label("Reasons for the decision").fill("Good value for the park's users.")
    page.get_by_role("button", name="Record the decision").click()
    said = "You cannot award more than the £500.00 asked for. Enter £500.00 or less"
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link", name=said)
    expect(link).to_have_attribute("href", "#id_amount")
    expect(page.locator("#div_id_amount .govuk-error-message")).to_contain_text(said)
    expect(amount).to_have_value("501")  # as typed
    looks_right(page, f"decisions-offered-award-above-asked-{size}")
    link.click()
    expect(amount).to_be_focused()
    draft.refresh_from_db()
    assert draft.status == "awaiting_decision"


def test_a_councillor_pledging_too_much_is_told_at_the_amount_as_you(
    page, live_server, size, draft, treasurer, officer, fund_year, shaw, okafor
):
    s.application_submit(application=draft, by=treasurer)
    s.application_mark_eligible(application=draft, by=officer)
    ledger.allocation_transfer(
        fund_year=fund_year,
        from_councillor=shaw,
        to_councillor=okafor,
        amount=Decimal("375.00"),
        by=shaw.user,
        key="pool",
    )
    sign_in(page, live_server, "cllr.shaw")
    page.goto(f"{live_server.url}/councillor/bids/{draft.reference}/support/")
    amount = page.get_by_label("How much do you pledge?")
    amount.fill("700")
    page.get_by_label("Why do you support this bid?").fill("Much needed")
    page.get_by_role("button", name="Support this bid").click()
    said = "You have £625.00 left to pledge this year. Enter £625.00 or less"
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link", name=said)).to_have_attribute("href", "#id_amount")
    expect(page.locator("#div_id_amount .govuk-error-message")).to_contain_text(said)
    expect(page.locator("main")).not_to_contain_text("Cllr Shaw has")
    expect(amount).to_have_value("700")
    looks_right(page, f"decisions-offered-over-pledge-{size}")
