"""In a real browser: a community group signs up, registers, checks which funds fit and applies
on a phone; accepts an offer and reports; and meets the refusals a group can meet."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from applications import services as s
from applications.models import Application
from budgets import ledger
from budgets.models import FundYear
from tests import journeys
from tests.browser import (
    fits_width,
    follow,
    screenshot,
    serious_accessibility_violations,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
NARROW = {"width": 320, "height": 640}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def looks_right(page, name: str, *, phone: bool = False) -> None:
    """Every page: no serious accessibility failure, a screenshot, and on a phone no sideways
    scrolling."""
    assert serious_accessibility_violations(page) == [], name
    if phone:
        assert fits_width(page), f"{name} scrolls sideways"
    screenshot(page, f"groups-{name}")


def test_a_group_registers_checks_eligibility_and_applies_on_a_phone(
    page, live_server, fund_year, shaw, okafor, tmp_path, mailoutbox
):
    ledger.allocate_year(fund_year=fund_year, by=None)
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}/apply/")
    expect(page.get_by_role("heading", name="Apply for a community grant")).to_be_visible()
    looks_right(page, "start", phone=True)

    # Which funds fit: no account needed.
    follow(page, page.get_by_role("link", name="Check which funds fit your project"))
    expect(page.get_by_role("heading", name="Check which funds fit your project")).to_be_visible()
    looks_right(page, "eligibility", phone=True)
    page.get_by_role("button", name="Check which funds fit").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose the type of organisation")
    looks_right(page, "eligibility-errors", phone=True)
    page.get_by_label("Constituted community group").check()
    page.get_by_label("Which ward will the project benefit?").select_option(label="Abbey Meadow")
    page.get_by_label("How much money do you need from the council?").fill("480")
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Check which funds fit").click()
    expect(page.get_by_role("heading", name="1 fund you can apply to now")).to_be_visible()
    expect(page.get_by_text("A councillor for Abbey Meadow must support")).to_be_visible()
    looks_right(page, "eligibility-results", phone=True)

    # An account, with the password checks on the server.
    page.get_by_role("button", name="Create an account to apply").click()
    page.get_by_label("First name").fill("Rowan")
    page.get_by_label("Last name").fill("Ashby")
    page.get_by_label("Email address").fill("rowan@example.org")
    page.get_by_label("Create a password").fill("password")
    page.get_by_label("Confirm your password").fill("password")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("This password is too common.")
    looks_right(page, "register-errors", phone=True)
    page.get_by_label("Create a password").fill("allotment-sheds-2026")
    page.get_by_label("Confirm your password").fill("allotment-sheds-2026")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    looks_right(page, "check-your-email", phone=True)
    # The link e-mailed to the address switches the account on and signs the person in.
    (mail,) = mailoutbox
    link = re.search(r"https?://[^/\s]+(/account/confirm/\S+/)", mail.body).group(1)
    page.goto(f"{live_server.url}{link}")
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_role("heading", name="Your applications")).to_be_visible()
    looks_right(page, "home-new", phone=True)

    # The organisation, its bank details and members: entered once.
    page.get_by_role("button", name="Register your organisation").click()
    expect(page.get_by_role("heading", name="Register your organisation")).to_be_visible()
    looks_right(page, "organisation-new", phone=True)
    page.get_by_label("Name of your organisation").fill("Abbey Meadow Allotment Society")
    page.get_by_label("Constituted community group").check()
    page.get_by_label("Address", exact=True).fill("The Allotments\nAbbey Lane")
    page.get_by_label("Postcode").fill("tv1 3xy")
    page.get_by_label("Ward", exact=True).select_option(label="Abbey Meadow")
    page.get_by_label("Email address for the organisation").fill("allotments@example.org")
    page.get_by_label("Treasurer").check()
    page.get_by_role("button", name="Register organisation").click()
    expect(page.get_by_role("heading", name="Abbey Meadow Allotment Society")).to_be_visible()
    looks_right(page, "organisation", phone=True)

    follow(page, page.get_by_role("link", name="Add bank details"))
    page.get_by_label("Name on the account").fill("Abbey Allotments")
    page.get_by_label("Sort code").fill("20-00-00")
    page.get_by_label("Account number").fill("5555 1234")
    page.get_by_role("button", name="Save bank details").click()
    expect(page.get_by_test_id("bank-status")).to_contain_text(
        "Waiting for the council to check these details"
    )
    follow(page, page.get_by_role("link", name="Change bank details"))
    expect(page.get_by_text("holds any payments due to your organisation")).to_be_visible()
    looks_right(page, "bank-details", phone=True)
    follow(page, page.get_by_role("link", name="Back"))
    follow(page, page.get_by_role("link", name="Invite a member"))
    page.get_by_label("Their email address").fill("nobody@example.org")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose their role in the organisation")
    looks_right(page, "members-error", phone=True)
    follow(page, page.get_by_role("link", name="Back"))
    follow(page, page.get_by_role("link", name="Change the organisation’s details"))
    expect(page.get_by_role("heading", name="Change your organisation’s details")).to_be_visible()
    looks_right(page, "organisation-edit", phone=True)

    # Start an application: every limit before starting.
    page.goto(f"{live_server.url}/apply/")
    page.get_by_role("button", name="Start a new application").click()
    page.get_by_label("Councillors' Community Initiative Fund 2026/27").check()
    looks_right(page, "choose-fund", phone=True)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Before you start")).to_be_visible()
    looks_right(page, "before-you-start", phone=True)
    # The eligibility checker's ward and amount are filled in.
    expect(page.get_by_text("£480.00 as the amount you are asking for")).to_be_visible()
    page.get_by_role("button", name="Start application").click()
    expect(page.get_by_text("You have completed 1 of 6 sections.")).to_be_visible()
    looks_right(page, "tasks-new", phone=True)

    # Costs first, then dates: any order.
    follow(page, page.get_by_role("link", name="Your costs"))
    page.get_by_label("What will you buy or pay for?").fill("Two raised beds")
    page.get_by_label("Cost", exact=True).fill("300")
    page.get_by_role("button", name="Add this cost").click()
    page.get_by_label("What will you buy or pay for?").fill("Wheelchair-height tool store")
    page.get_by_label("Cost", exact=True).fill("180.00")
    page.get_by_role("button", name="Add this cost").click()
    expect(page.get_by_test_id("lines-total")).to_have_text("£480.00")
    looks_right(page, "costs", phone=True)
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#task-costs-status")).to_have_text("Completed")
    expect(page.locator("#task-amount-status")).to_have_text("Completed")

    follow(page, page.get_by_role("link", name="Project dates"))
    page.locator("#id_project_start_0").fill("10")
    page.locator("#id_project_start_1").fill("1")
    page.locator("#id_project_start_2").fill("2027")
    page.locator("#id_project_end_0").fill("20")
    page.locator("#id_project_end_1").fill("3")
    page.locator("#id_project_end_2").fill("2026")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Project end date must be the same as or after 10 January 2027"
    )
    looks_right(page, "dates-error", phone=True)
    page.locator("#id_project_end_2").fill("2027")
    page.get_by_role("button", name="Save and continue").click()
    # Asking for the whole cost, there is no other funding to add: that section is done too.
    expect(page.get_by_text("You have completed 4 of 6 sections.")).to_be_visible()
    expect(page.locator("#task-check-status")).to_have_text("Cannot start yet")

    # Submitting with a section missing, reached by its address: the service's refusal.
    page.goto(f"{live_server.url}/apply/applications/{Application.objects.get().pk}/check/")
    page.get_by_role("button", name="Submit application").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        "Before you submit, add the project title and what the money is for."
    )
    looks_right(page, "check-answers-refused", phone=True)

    page.set_viewport_size(NARROW)
    follow(page, page.get_by_role("link", name="Change project title"))
    page.get_by_label("Project title").fill("Raised beds for everyone")
    page.get_by_label("What is the money for?").fill(
        "Raised beds and a tool store at wheelchair height, so members who cannot kneel can grow "
        "their own food."
    )
    page.get_by_label("About how many people will benefit?").fill("45")
    looks_right(page, "about", phone=True)
    page.get_by_role("button", name="Save and continue").click()
    # The Change link came back to Check your answers.
    expect(page.get_by_role("heading", name="Check your answers before sending")).to_be_visible()
    follow(page, page.get_by_role("link", name="Back to your application"))

    follow(page, page.get_by_role("link", name="Other funding"))
    expect(page.get_by_text("you do not need other funding")).to_be_visible()
    looks_right(page, "other-funding", phone=True)
    page.get_by_role("button", name="Save and continue").click()

    follow(page, page.get_by_role("link", name="Documents"))
    quote = tmp_path / "quote.pdf"
    quote.write_bytes(b"%PDF-1.4 a quote for raised beds")
    page.get_by_label("What is the document?").fill("Quote for the beds")
    page.get_by_label("Upload a file").set_input_files(str(quote))
    page.get_by_role("button", name="Upload this document").click()
    expect(page.get_by_text("quote.pdf")).to_be_visible()
    looks_right(page, "documents", phone=True)
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("You have completed 6 of 6 sections.")).to_be_visible()
    looks_right(page, "tasks-complete", phone=True)

    follow(page, page.get_by_role("link", name="Check your answers and submit"))
    expect(page.get_by_role("heading", name="Check your answers before sending")).to_be_visible()
    looks_right(page, "check-answers", phone=True)
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_role("heading", name="Application submitted")).to_be_visible()
    reference = Application.objects.get().reference
    expect(page.get_by_test_id("reference")).to_have_text(reference)
    looks_right(page, "submitted", phone=True)

    follow(page, page.get_by_role("link", name="See this application"))
    expect(page.get_by_role("heading", name="Raised beds for everyone")).to_be_visible()
    expect(page.get_by_text("Application submitted by Rowan Ashby")).to_be_visible()
    looks_right(page, "status-submitted", phone=True)
    follow(page, page.get_by_role("link", name="Your applications").first)
    expect(page.get_by_text("The council is checking that it is eligible")).to_be_visible()
    looks_right(page, "home", phone=True)


def test_a_group_accepts_its_offer_and_reports_on_the_grant(
    page, live_server, draft, treasurer, officer, officer2, shaw, okafor, finance
):
    journeys.approved(
        draft,
        treasurer=treasurer,
        officer=officer,
        officer2=officer2,
        shaw=shaw,
        okafor=okafor,
        conditions="Credit the council on a plaque on each bench\nSend photographs when installed",
    )
    sign_in(page, live_server, "treasurer")
    expect(page.get_by_role("heading", name="Your applications")).to_be_visible()
    expect(page.get_by_text("Accept the offer by")).to_be_visible()
    follow(page, page.get_by_role("link", name="New benches for the park"))
    expect(page.get_by_text("Cllr Sam Shaw supported this bid with £300.00")).to_be_visible()
    expect(page.get_by_text("Grant approved: £500.00")).to_be_visible()
    looks_right(page, "status-offer")

    page.get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_test_id("award")).to_have_text("£500.00")
    expect(page.get_by_test_id("conditions")).to_contain_text("Credit the council on a plaque")
    page.get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Confirm that you accept the offer on behalf of Friends of Abbey Park"
    )
    looks_right(page, "accept-offer-error")
    page.get_by_label("I confirm that I have read the conditions").check()
    page.get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_role("heading", name="Offer accepted")).to_be_visible()
    looks_right(page, "offer-accepted")

    s.application_record_payment(application=draft, by=finance, amount=Decimal("500"), key="p1")
    page.set_viewport_size(NARROW)
    page.goto(f"{live_server.url}/apply/applications/{draft.pk}/")
    page.get_by_role("button", name="Send your end-of-grant report").click()
    page.get_by_label("How much of the grant did you spend?").fill("492.50")
    page.get_by_label("What did the project achieve?").fill("Three benches, used every day.")
    page.get_by_label("How many people did it reach?").fill("many")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the number of people as a whole")
    looks_right(page, "monitoring-error", phone=True)
    page.get_by_label("How many people did it reach?").fill("300")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    follow(page, page.get_by_role("link", name="See this application"))
    expect(page.get_by_text("End-of-grant report sent: £492.50 spent, 300 people")).to_be_visible()
    looks_right(page, "status-monitoring", phone=True)


def test_a_group_is_refused_after_the_fund_closes_answers_a_request_and_withdraws(
    page, live_server, draft, treasurer, officer
):
    FundYear.objects.filter(pk=draft.fund_year_id).update(closes_on=datetime.date(2026, 5, 1))
    # Every section complete, so the task list offers checking the answers.
    Application.objects.filter(pk=draft.pk).update(people_benefiting=40)
    # The phone's size first, so that nothing moves under the first click as the page reflows.
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "treasurer")
    follow(page, page.get_by_role("link", name="New benches for the park"))
    expect(page).to_have_url(re.compile(r"/apply/applications/\d+/tasks/$"))
    follow(page, page.get_by_role("link", name="Check your answers and submit"))
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "takes applications from 1 April 2026 to 1 May 2026"
    )
    looks_right(page, "refused-fund-closed", phone=True)

    FundYear.objects.filter(pk=draft.fund_year_id).update(closes_on=datetime.date(2027, 2, 28))
    s.application_submit(application=draft, by=treasurer)
    s.application_return(
        application=draft, by=officer, reason="Please add a quote for the three benches."
    )
    page.goto(f"{live_server.url}/apply/")
    follow(page, page.get_by_role("link", name="New benches for the park"))
    banner = page.get_by_role("region", name="The council needs more information")
    expect(banner).to_contain_text("Please add a quote for the three benches.")
    looks_right(page, "tasks-returned", phone=True)

    follow(page, page.get_by_role("link", name="withdraw it"))
    page.get_by_role("button", name="Withdraw application").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter why you are withdrawing")
    looks_right(page, "withdraw-error", phone=True)
    page.get_by_label("Why are you withdrawing the application?").fill("We found a donor.")
    page.get_by_role("button", name="Withdraw application").click()
    expect(page.get_by_role("heading", name="Application withdrawn")).to_be_visible()
    looks_right(page, "withdrawn", phone=True)
    follow(page, page.get_by_role("link", name="See this application"))
    expect(page.get_by_text("We found a donor.")).to_be_visible()
    looks_right(page, "status-withdrawn", phone=True)


def tab_to(page, arrived: str) -> None:
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate(arrived):
            return
    raise AssertionError(f"Tab never reached {arrived}")


def test_the_application_can_be_filled_in_by_keyboard(page, live_server, draft):
    Application.objects.filter(pk=draft.pk).update(title="")
    sign_in(page, live_server, "treasurer")
    page.goto(f"{live_server.url}/apply/applications/{draft.pk}/tasks/")
    page.get_by_role("link", name="About your project").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Project title").focus()
    page.keyboard.type("Benches by keyboard")
    tab_to(page, "document.activeElement.id === 'id_people_benefiting'")
    page.keyboard.type("120")
    tab_to(page, "document.activeElement.textContent === 'Save and continue'")
    page.keyboard.press("Enter")
    expect(page.locator("#task-about-status")).to_have_text("Completed")
    draft.refresh_from_db()
    assert draft.title == "Benches by keyboard"
