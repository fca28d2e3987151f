"""In a real browser, on a phone and on a desktop: the help contact at the foot of every page,
the copy of the answers downloaded from the confirmation page, and a postcode that is not one."""

import pytest
from playwright.sync_api import expect

from tests.browser import fits_width, screenshot, serious_accessibility_violations, sign_in
from tests.factories import CouncilFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 768}}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(params=list(SIZES))
def size(request, page):
    page.set_viewport_size(SIZES[request.param])
    return request.param


def looks_right(page, name: str) -> None:
    assert serious_accessibility_violations(page) == [], name
    assert fits_width(page), f"{name} scrolls sideways"
    screenshot(page, name)


def test_every_page_ends_with_the_help_contact(page, live_server, size, db):
    CouncilFactory(
        help_name="Grants team",
        help_email="grants@thornburyvale.example",
        help_phone="01632 960000",
        help_hours="Monday to Friday, 9am to 5pm",
    )
    page.goto(f"{live_server.url}/sign-in/")
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("heading", name="Get help")).to_be_visible()
    expect(footer).to_contain_text("Contact the Grants team")
    expect(footer).to_contain_text("Monday to Friday, 9am to 5pm")
    email = footer.get_by_role("link", name="grants@thornburyvale.example")
    expect(email).to_have_attribute("href", "mailto:grants@thornburyvale.example")
    phone = footer.get_by_role("link", name="01632 960000")
    expect(phone).to_have_attribute("href", "tel:01632960000")
    looks_right(page, f"help-footer-sign-in-{size}")


def test_the_copy_of_the_answers_downloads_from_the_confirmation_page(
    page, live_server, size, draft, treasurer
):
    sign_in(page, live_server, treasurer.username)
    page.goto(f"{live_server.url}/apply/applications/{draft.pk}/check/")
    page.get_by_role("button", name="Submit application").click()
    expect(page.get_by_role("heading", name="Application submitted")).to_be_visible()
    link = page.get_by_role("link", name="Download a copy of your answers")
    expect(link).to_contain_text("(PDF, ")
    expect(link).to_contain_text("KB)")
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("heading", name="Get help")).to_be_visible()
    looks_right(page, f"answers-copy-confirmation-{size}")

    with page.expect_download() as download:
        link.click()
    pdf = download.value
    assert pdf.suggested_filename.startswith(f"answers-{draft.reference}")
    assert pdf.suggested_filename.endswith(".pdf")
    with open(pdf.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"

    page.goto(f"{live_server.url}/apply/applications/{draft.pk}/")
    expect(page.get_by_role("link", name="Download a copy of your answers")).to_be_visible()
    looks_right(page, f"answers-copy-status-{size}")


def test_a_postcode_that_is_not_one_is_explained_and_nothing_typed_is_lost(
    page, live_server, size, ward, treasurer
):
    sign_in(page, live_server, treasurer.username)
    page.goto(f"{live_server.url}/apply/organisations/new/")
    page.get_by_label("Name of your organisation").fill("Abbey Meadow Allotment Society")
    page.get_by_label("Constituted community group").check()
    page.get_by_label("Address", exact=True).fill("The Allotments\nAbbey Lane")
    page.get_by_label("Postcode").fill("TV1 XYZ")
    page.get_by_label("Ward", exact=True).select_option(label="Abbey Meadow")
    page.get_by_label("Email address for the organisation").fill("allotments@example.org")
    page.get_by_label("Treasurer").check()
    page.get_by_role("button", name="Register organisation").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Enter a real postcode, like SW1A 1AA")
    expect(page.locator("#id_postcode_1_error")).to_contain_text(
        "Enter a real postcode, like SW1A 1AA"
    )
    expect(page.get_by_label("Postcode")).to_have_value("TV1 XYZ")
    expect(page.get_by_label("Name of your organisation")).to_have_value(
        "Abbey Meadow Allotment Society"
    )
    expect(page.get_by_label("Treasurer")).to_be_checked()
    looks_right(page, f"organisation-bad-postcode-{size}")

    page.get_by_label("Postcode").fill("tv13xy")
    page.get_by_role("button", name="Register organisation").click()
    expect(page.get_by_text("Abbey Meadow Allotment Society is registered.")).to_contain_text(
        "You are its treasurer."
    )
    expect(page.get_by_text("TV1 3XY")).to_be_visible()
    looks_right(page, f"organisation-registered-{size}")


def test_the_accessibility_check_holds_content_outside_landmarks_against_a_page(page):
    """The check runs axe's best practices too: a back link outside every landmark is found."""
    page.set_content(
        '<html lang="en"><head><title>A page</title></head><body>'
        '<a href="/" class="govuk-back-link">Back</a>'
        "<main><h1>A page</h1></main></body></html>"
    )
    (found,) = serious_accessibility_violations(page)
    assert found.startswith("region (moderate): All page content should be contained by landmarks")
    page.set_content(
        '<html lang="en"><head><title>A page</title></head><body>'
        '<nav aria-label="Back"><a href="/" class="govuk-back-link">Back</a></nav>'
        "<main><h1>A page</h1></main></body></html>"
    )
    assert serious_accessibility_violations(page) == []
