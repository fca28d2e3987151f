"""In a real browser: grants officers work the workbench, check, assess and decide a bid, and a
grants panel meets and records its decision."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from applications import services as s
from applications import support
from budgets.models import FundYear
from decisions import services as d
from tests.browser import fits_width, screenshot, serious_accessibility_violations, sign_in
from tests.factories import OrganisationFactory, UserFactory
from tests.pages.test_officers import many

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal


def accessible(page, name: str) -> None:
    assert serious_accessibility_violations(page) == []
    screenshot(page, name)


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def pledge_in_full(app, shaw, okafor) -> None:
    for councillor, amount in ((shaw, "300.00"), (okafor, "200.00")):
        support.pledge_make(
            application=app,
            councillor=councillor,
            amount=D(amount),
            statement=f"{councillor} supports it",
            by=councillor.user,
        )


def test_officers_check_assess_and_decide_a_bid_and_the_assessor_cannot_decide(
    page, live_server, draft, treasurer, officer, officer2, shaw, okafor, fund_year, ward
):
    s.application_submit(application=draft, by=treasurer)
    other = OrganisationFactory(name="Kingsmoor Rugby Club", ward=ward)
    many(12, fund_year=fund_year, organisation=other, ward=ward, prefix="RUG")
    ref = draft.reference

    # The officer lands on the workbench: queues with counts, then the list.
    sign_in(page, live_server, "officer")
    expect(page.get_by_role("heading", name="Workbench")).to_be_visible()
    expect(page.get_by_test_id("queue-submitted")).to_contain_text("13")
    accessible(page, "officer-workbench")

    # A filter that makes no sense is explained; then a search finds the group's bid.
    page.get_by_label("Amount from").fill("lots")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter the smallest amount in pounds and pence, like 100.00"
    )
    accessible(page, "officer-workbench-error")
    page.get_by_label("Amount from").fill("")
    page.get_by_label("Reference or organisation").fill("Abbey Park")
    page.get_by_label("Status").select_option("submitted")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("link", name=ref)).to_be_visible()
    expect(page.get_by_role("link", name="RUG-000001")).to_have_count(0)
    accessible(page, "officer-workbench-filtered")

    # The bid's file, then its eligibility check: a missing answer first.
    page.get_by_role("link", name=ref).click()
    expect(page.get_by_role("heading", name="New benches for the park")).to_be_visible()
    expect(page.get_by_role("row", name="Draft to Submitted")).to_be_visible()
    accessible(page, "officer-application-submitted")
    page.get_by_role("button", name="Check eligibility").click()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select whether the application is eligible"
    )
    accessible(page, "officer-eligibility-error")
    page.get_by_label("Eligible: it goes forward").check()
    page.get_by_label("What the group is told").fill("An eligible group and project.")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("alert")).to_contain_text(f"{ref} marked eligible")
    accessible(page, "officer-application-eligible")

    # The ward's councillors pledge; the officer assesses.
    pledge_in_full(draft, shaw, okafor)
    page.reload()
    page.get_by_role("button", name="Assess the application").click()
    expect(page.get_by_label("Amount to award")).to_have_value("500.00")
    page.get_by_label("Approve").check()
    page.get_by_label("Assessment").fill("Meets every criterion; quotes attached.")
    accessible(page, "officer-assess")
    page.get_by_role("button", name="Send for a decision").click()
    expect(page.get_by_role("alert")).to_contain_text("sent for a decision")

    # The assessor is offered no decision, is told why, and is refused on the page itself.
    expect(page.get_by_role("button", name="Decide under delegated authority")).to_have_count(0)
    expect(page.get_by_test_id("blocked")).to_have_text(
        "You assessed this application, so someone else must decide it."
    )
    page.goto(f"{live_server.url}/officer/applications/{ref}/decide/")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "You assessed this application, so someone else must decide it."
    )
    expect(page.get_by_label("Reasons for the decision")).to_have_count(0)
    accessible(page, "officer-decide-refused")
    sign_out(page)

    # A second officer approves under delegated authority.
    sign_in(page, live_server, "officer2")
    page.goto(f"{live_server.url}/officer/applications/{ref}/")
    page.get_by_role("button", name="Decide under delegated authority").click()
    page.get_by_label("Approve").check()
    page.get_by_label("Amount awarded").fill("500.00")
    page.get_by_label("Conditions of the grant (optional)").fill("Credit the council")
    page.get_by_label("Reasons for the decision").fill("Good value for the ward.")
    accessible(page, "officer-decide")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("alert")).to_contain_text(f"{ref} approved")
    expect(page.get_by_test_id("ledger")).to_contain_text("Cllr Sam Shaw allocation")
    expect(page.get_by_test_id("ledger")).to_contain_text("-£300.00")
    accessible(page, "officer-application-approved")

    # The workbench and the file work on a 320 px phone too.
    page.set_viewport_size({"width": 320, "height": 640})
    assert fits_width(page)
    screenshot(page, "officer-application-320px")
    page.goto(f"{live_server.url}/officer/")
    assert fits_width(page)
    screenshot(page, "officer-workbench-320px")


def test_a_panel_is_arranged_and_a_member_records_its_decision(
    page, live_server, draft, treasurer, officer, shaw, okafor, fund_year
):
    FundYear.objects.filter(pk=fund_year.pk).update(delegated_limit=D("250.00"))
    UserFactory(username="panel.chair", first_name="Pat", last_name="Chair", roles=["Panel member"])
    UserFactory(
        username="panel.member", first_name="Robin", last_name="Seat", roles=["Panel member"]
    )
    s.application_submit(application=draft, by=treasurer)
    s.application_mark_eligible(application=draft, by=officer)
    pledge_in_full(draft, shaw, okafor)
    d.assessment_record(
        application=draft,
        by=officer,
        recommendation="approve",
        recommended_amount=D("500.00"),
        notes="Above the officer limit: for the panel.",
    )
    ref = draft.reference

    sign_in(page, live_server, "officer")
    page.get_by_role("link", name="Panels").click()
    expect(page.get_by_role("heading", name="Grants panels")).to_be_visible()
    accessible(page, "panel-list-empty")
    page.get_by_role("button", name="Arrange a panel meeting").click()
    page.get_by_role("button", name="Arrange the meeting").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a title for the meeting")
    accessible(page, "panel-arrange-error")
    page.get_by_label("Title").fill("CCIF grants panel, March 2027")
    page.get_by_label("Fund").select_option(label="Councillors' Community Initiative Fund")
    page.get_by_label("Day").fill("17")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2027")
    page.get_by_label("Quorum").fill("2")
    page.get_by_label("Pat Chair").check()
    page.get_by_label("Robin Seat").check()
    page.get_by_role("button", name="Arrange the meeting").click()
    expect(page.get_by_role("heading", name="CCIF grants panel, March 2027")).to_be_visible()

    page.get_by_role("button", name="Add applications to the agenda").click()
    page.get_by_label(ref, exact=False).check()
    accessible(page, "panel-agenda")
    page.get_by_role("button", name="Add to the agenda").click()
    expect(page.get_by_test_id("item-1")).to_contain_text("Above the officer limit")
    page.get_by_role("button", name="Take the register").click()
    page.get_by_label("Pat Chair").check()
    page.get_by_label("Robin Seat").check()
    accessible(page, "panel-register")
    page.get_by_role("button", name="Save the register").click()
    expect(page.get_by_test_id("attendance")).to_have_text("2 of 2 members attended")
    # The officer arranges; members record: no record link for the officer.
    expect(page.get_by_role("link", name="Record the decision")).to_have_count(0)
    accessible(page, "panel-meeting-officer")
    sign_out(page)

    sign_in(page, live_server, "panel.chair")
    expect(page.get_by_role("heading", name="Grants panels")).to_be_visible()
    page.get_by_role("link", name="CCIF grants panel, March 2027").click()
    page.get_by_role("link", name="Record the decision on item 1").click()
    expect(
        page.get_by_role("heading", name=f"Record the panel's decision on {ref}")
    ).to_be_visible()
    page.get_by_label("Approve").check()
    page.get_by_label("Amount awarded").fill("500.00")
    page.get_by_label("Reasons for the decision").fill("The panel agreed: good value.")
    accessible(page, "panel-item")
    page.get_by_role("button", name="Record the panel's decision").click()
    expect(page.get_by_test_id("outcome-1")).to_contain_text("Approved")
    expect(page.get_by_role("alert")).to_contain_text(f"Item 1, {ref}: approved, £500.00.")
    accessible(page, "panel-meeting-decided")
    # Panel members do not see the officer workbench.
    response = page.goto(f"{live_server.url}/officer/")
    assert response.status == 403
