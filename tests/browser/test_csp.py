"""In a real browser, under the Content-Security-Policy every profile sends: the pages of each
kind of person, the public grants and the API's documentation load their scripts and styles and
work, with no violation reported in the console (README "Security")."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from applications import services as s
from tests.browser import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFUSALS = ("Content Security Policy", "Refused to")


@pytest.fixture
def browse(browser, live_server):
    """A fresh browser for each person (None: a visitor), with the console and page errors it
    reports kept in `reports`."""
    contexts, reports = [], []

    def open_as(username: str | None):
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: reports.append(f"{page.url}: {message.text}"))
        page.on("pageerror", lambda error: reports.append(f"{page.url}: {error}"))
        if username:
            sign_in(page, live_server, username)
        return page

    open_as.reports = reports
    yield open_as
    for context in contexts:
        context.close()


def styled(page) -> bool:
    """GOV.UK Frontend's stylesheet applied, and its JavaScript started."""
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    classes = page.evaluate("document.body.className")
    return "arial" in font.lower() and "js-enabled" in classes


def test_pages_work_under_the_policy_with_no_violation(
    browse, live_server, draft, treasurer, officer, finance
):
    s.application_submit(application=draft, by=treasurer)
    url = live_server.url

    visitor = browse(None)
    visitor.goto(f"{url}/sign-in/")
    expect(visitor.get_by_role("heading", name="Sign in")).to_be_visible()
    assert styled(visitor)
    screenshot(visitor, "csp-sign-in")
    visitor.goto(f"{url}/grants/")
    expect(visitor.get_by_role("heading", name="Find grants")).to_be_visible()
    assert styled(visitor)
    # A filter is a GET form: the address it leads to has no CSRF token in it.
    visitor.get_by_role("button", name="Apply filters").click()
    visitor.wait_for_load_state("load")
    assert "csrfmiddlewaretoken" not in visitor.url
    screenshot(visitor, "csp-grants")

    group = browse("treasurer")
    group.goto(f"{url}/apply/applications/{draft.pk}/tasks/")
    expect(group.locator("h1")).to_be_visible()
    assert styled(group)
    screenshot(group, "csp-group-tasks")

    grants = browse("officer")
    grants.goto(f"{url}/officer/")
    expect(grants.get_by_role("heading", name="Workbench")).to_be_visible()
    assert styled(grants)
    grants.get_by_label("Reference or organisation").fill("Abbey Park")
    grants.get_by_role("button", name="Apply filters").click()
    expect(grants.get_by_role("link", name=draft.reference)).to_be_visible()
    assert "csrfmiddlewaretoken" not in grants.url and "q=Abbey+Park" in grants.url
    screenshot(grants, "csp-officer-workbench")

    # The API's documentation: Swagger UI draws the operations from the description.
    grants.goto(f"{url}/api/v1/docs/")
    expect(grants.locator(".swagger-ui .info .title")).to_contain_text("fundmgr API")
    expect(grants.locator(".opblock").first).to_be_visible()
    screenshot(grants, "csp-api-docs")

    money = browse("finance")
    money.goto(f"{url}/finance/")
    expect(money.locator("h1")).to_be_visible()
    assert styled(money)
    screenshot(money, "csp-finance")

    refused = [report for report in browse.reports if any(r in report for r in REFUSALS)]
    assert refused == []
