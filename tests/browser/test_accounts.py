"""In a real browser: a finance officer signs in with their e-mail address, password and a code
from their authenticator app; one without an app sets it up from the QR code's key first."""

import re
from base64 import b32decode

import pytest
from playwright.sync_api import expect

from tests.authenticator import authenticator_for, code_for, code_now
from tests.browser import screenshot, serious_accessibility_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def finance_officer(db):
    return UserFactory(
        username="f.fraser", email="Fiona.Fraser@example.org", roles=["Finance officer"]
    )


def password_step(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/sign-in/?next=/finance/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()


def test_a_finance_officer_signs_in_with_a_code_from_their_app(page, live_server, finance_officer):
    device = authenticator_for(finance_officer)
    password_step(page, live_server, "fiona.fraser@example.org")
    heading = page.get_by_role("heading", name="Enter the code from your authenticator app")
    expect(heading).to_be_visible()
    assert page.url.endswith("/account/two-factor/code/?next=/finance/")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "two-factor-code")

    page.get_by_label("Code", exact=True).fill("000000" if code_for(device) != "000000" else "1")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not right")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "two-factor-code-wrong")

    page.wait_for_timeout(1100)  # django-otp slows the next try after a wrong code
    page.get_by_label("Code", exact=True).fill(code_for(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Finance", exact=True)).to_be_visible()
    assert page.url == f"{live_server.url}/finance/"
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "arial" in font.lower()


def test_a_finance_officer_without_an_app_sets_one_up_first(page, live_server, finance_officer):
    password_step(page, live_server, "f.fraser")
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(
        page.get_by_role("img", name="QR code to scan with your authenticator app")
    ).to_be_visible()
    page.get_by_text("I cannot scan the QR code").click()
    key = page.locator(".govuk-details__text code").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4})+", key)
    assert serious_accessibility_violations(page) == []
    screenshot(page, "two-factor-setup")

    page.get_by_label("Code", exact=True).fill(code_now(b32decode(key.replace(" ", ""))))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    expect(page.locator(".govuk-list code")).to_have_count(10)
    assert serious_accessibility_violations(page) == []
    screenshot(page, "two-factor-recovery-codes")

    page.get_by_role("button", name="I have saved my recovery codes").click()
    expect(page.get_by_role("heading", name="Finance", exact=True)).to_be_visible()
