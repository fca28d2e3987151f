"""In a real browser, on a phone and on a desktop: a treasurer types half a section, saves it to
come back later, signs out, signs in with their e-mail address and finds what they typed; 31
April gets GOV.UK's message at the field; a budget that does not add up says by how much; and
a Change link on Check your answers comes back to it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from applications import services as s
from tests.browser import fits_width, screenshot, serious_accessibility_violations, sign_in
from tests.factories import ApplicationFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def looked_at(page, name: str) -> None:
    assert serious_accessibility_violations(page) == [], name
    assert fits_width(page), f"{name} scrolls sideways"
    screenshot(page, name)


@pytest.fixture
def group(ward, treasurer):
    return OrganisationFactory(ward=ward, members=[treasurer], name="Friends of Abbey Park")


@pytest.fixture
def empty_draft(group, treasurer, fund_year):
    return s.application_create(fund_year=fund_year, organisation=group, by=treasurer)


@pytest.mark.parametrize("size", SIZES)
def test_half_a_section_is_kept_over_signing_out_and_31_april_is_named_at_the_field(
    page, live_server, treasurer, empty_draft, size
):
    page.set_viewport_size(SIZES[size])
    sign_in(page, live_server, treasurer.email)
    page.get_by_role("link", name="Bid started 23 November 2026").click()
    looked_at(page, f"apply-tasks-new-{size}")

    # Half of About your project, with a number that is not one.
    page.get_by_role("link", name="About your project").click()
    page.get_by_label("Project title").fill("Allotment sheds")
    page.get_by_label("About how many people will benefit?").fill("lots")
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_text("Your answers have been saved")).to_be_visible()
    expect(page.locator("#task-about-hint")).to_contain_text("Enter what the money is for")
    expect(page.locator("#task-about-status")).to_have_text("In progress")

    # 31 April, kept as typed.
    page.get_by_role("link", name="Project dates").click()
    page.locator("#id_project_start_0").fill("31")
    page.locator("#id_project_start_1").fill("4")
    page.locator("#id_project_start_2").fill("2027")
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_text("Your answers have been saved")).to_be_visible()
    expect(page.locator("#task-dates-hint")).to_contain_text(
        "Project start date must be a real date"
    )
    looked_at(page, f"apply-tasks-saved-{size}")

    # Sign out; sign in again with the e-mail address.
    if size == "phone":
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, treasurer.email)
    expect(page.get_by_role("link", name="Allotment sheds")).to_be_visible()
    looked_at(page, f"apply-home-draft-{size}")
    page.get_by_role("link", name="Allotment sheds").click()

    page.get_by_role("link", name="About your project").click()
    expect(page.get_by_label("Project title")).to_have_value("Allotment sheds")
    expect(page.get_by_label("About how many people will benefit?")).to_have_value("lots")
    expect(page.locator(".govuk-error-message")).to_have_count(0)
    looked_at(page, f"apply-about-kept-{size}")
    page.get_by_role("link", name="Back to your application").click()

    page.get_by_role("link", name="Project dates").click()
    expect(page.locator("#id_project_start_0")).to_have_value("31")
    expect(page.locator("#id_project_start_1")).to_have_value("4")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    looked_at(page, f"apply-dates-kept-{size}")
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Project start date must be a real date")
    expect(page.locator("#id_project_start_1_error")).to_contain_text(
        "Project start date must be a real date"
    )
    expect(page.locator("#id_project_end_1_error")).to_contain_text(
        "Enter the date the project ends"
    )
    looked_at(page, f"apply-dates-31-april-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_a_budget_that_does_not_add_up_says_by_how_much(
    page, live_server, treasurer, empty_draft, size
):
    page.set_viewport_size(SIZES[size])
    sign_in(page, live_server, treasurer.email)
    page.goto(f"{live_server.url}/apply/applications/{empty_draft.pk}/tasks/")
    page.get_by_role("link", name="Your costs").click()
    page.get_by_label("What will you buy or pay for?").fill("Garden shed")
    page.get_by_label("Cost", exact=True).fill("£1,200")
    page.get_by_role("button", name="Add this cost").click()
    expect(page.get_by_test_id("lines-total")).to_have_text("£1,200.00")
    looked_at(page, f"apply-costs-{size}")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_role("link", name="How much you are asking for").click()
    page.get_by_label("How much are you asking the council for?").fill("1500")
    page.get_by_role("button", name="Save and continue").click()
    told = (
        "Your costs add up to £1,200.00, £300.00 less than the £1,500.00 you asked for. Add "
        "costs or change the amount you are asking for"
    )
    expect(page.locator(".govuk-error-summary")).to_contain_text(told)
    expect(page.locator("#id_amount_requested_1_error")).to_contain_text(told)
    looked_at(page, f"apply-amount-short-{size}")

    # Kept for later: the task list says what is wrong.
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.locator("#task-amount-hint")).to_contain_text(told)
    expect(page.locator("#task-amount-status")).to_have_text("In progress")
    looked_at(page, f"apply-tasks-short-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_change_on_check_your_answers_comes_back_to_it(
    page, live_server, treasurer, group, fund_year, size
):
    app = ApplicationFactory(
        fund_year=fund_year, organisation=group, created_by=treasurer, people_benefiting=40
    )
    page.set_viewport_size(SIZES[size])
    sign_in(page, live_server, treasurer.email)
    page.goto(f"{live_server.url}/apply/applications/{app.pk}/tasks/")
    page.get_by_role("link", name="Check your answers and submit").click()
    looked_at(page, f"apply-check-answers-{size}")
    page.get_by_role("link", name="Change project end date").click()
    expect(page.get_by_role("link", name="Back to check your answers")).to_be_visible()
    page.locator("#id_project_end_0").fill("31")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Check your answers before sending")).to_be_visible()
    expect(page.get_by_text("31 March 2027")).to_be_visible()

    page.get_by_role("link", name="Change amount you are asking for").click()
    page.get_by_label("How much are you asking the council for?").fill("450")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Check your answers before sending")).to_be_visible()
    expect(page.get_by_text("£450.00")).to_be_visible()


@pytest.mark.parametrize("size", SIZES)
def test_the_checker_leads_into_the_form_and_every_page_of_it_looks_right(
    page, live_server, treasurer, group, fund_year, shaw, size
):
    from budgets import ledger

    ledger.allocate_year(fund_year=fund_year, by=None)
    page.set_viewport_size(SIZES[size])
    sign_in(page, live_server, treasurer.email)
    page.goto(f"{live_server.url}/apply/eligibility/")
    page.get_by_label("Constituted community group").check()
    page.get_by_label("Which ward will the project benefit?").select_option(label="Abbey Meadow")
    page.get_by_label("How much money do you need from the council?").fill("£800")
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Check which funds fit").click()
    expect(page.get_by_text("£800.00")).to_be_visible()
    looked_at(page, f"apply-eligibility-results-{size}")
    page.get_by_role("button", name="Apply to the Councillors' Community Initiative Fund").click()
    expect(page.get_by_text("£800.00 as the amount you are asking for")).to_be_visible()
    looked_at(page, f"apply-before-you-start-{size}")
    page.get_by_role("button", name="Start application").click()
    expect(page.locator("#task-amount-status")).to_have_text("Completed")

    page.get_by_role("link", name="Your costs").click()
    page.get_by_label("What will you buy or pay for?").fill("Raised beds")
    page.get_by_label("Cost", exact=True).fill("1,000")
    page.get_by_role("button", name="Save and continue").click()  # adds what was typed
    expect(page.locator("#task-costs-status")).to_have_text("Completed")
    expect(page.locator("#task-other_funding-hint")).to_contain_text(
        "Add where the other £200.00 of your costs will come from"
    )
    page.get_by_role("link", name="Other funding").click()
    expect(page.get_by_text("so £200.00 must come from elsewhere")).to_be_visible()
    looked_at(page, f"apply-other-funding-{size}")
    page.get_by_label("Where is the money coming from?").fill("Our savings")
    page.get_by_label("Amount", exact=True).fill("200")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Add this funding").click()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#task-other_funding-status")).to_have_text("Completed")

    page.get_by_role("link", name="How much you are asking for").click()
    expect(page.get_by_label("How much are you asking the council for?")).to_have_value("800.00")
    looked_at(page, f"apply-amount-{size}")
    page.get_by_role("link", name="Back to your application").click()
    page.get_by_role("link", name="Documents").click()
    looked_at(page, f"apply-documents-{size}")
    page.get_by_role("link", name="Back to your application").click()
    page.get_by_role("link", name="See this application’s history").click()
    expect(page.get_by_role("heading", name="Bid started 23 November 2026")).to_be_visible()
    looked_at(page, f"apply-status-draft-{size}")
