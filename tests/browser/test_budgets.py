"""In a real browser: a councillor and an officer reach their budget pages, on a phone too."""

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser import fits_width, screenshot, serious_accessibility_violations, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_councillor_signs_in_and_reads_their_statement(page, live_server, busy, shaw):
    page.goto(live_server.url)
    expect(page.get_by_role("heading", name="Apply for a community grant")).to_be_visible()
    page.get_by_role("link", name="Sign in").first.click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    screenshot(page, "sign-in")

    sign_in(page, live_server, "cllr.shaw")
    expect(page.get_by_role("heading", name="Bids and support")).to_be_visible()
    page.get_by_role("link", name="Budgets", exact=True).click()
    expect(page.get_by_role("heading", name="Budgets")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    screenshot(page, "councillor-budgets")

    page.get_by_role("link", name="Councillors' Community Initiative Fund 2026/27").click()
    expect(page.get_by_role("heading", name="Budget statement for Cllr Sam Shaw")).to_be_visible()
    expect(page.get_by_test_id("pledgeable")).to_have_text("£750.00")
    expect(page.get_by_role("cell", name="£400.00 committed to CCIF26-000007")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    screenshot(page, "councillor-statement")


def test_the_statement_works_on_a_320_pixel_phone(page, live_server, busy, shaw):
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, live_server, "cllr.shaw")
    page.goto(f"{live_server.url}/budgets/CCIF/2026/councillors/{shaw.pk}/")
    expect(page.get_by_test_id("pledgeable")).to_have_text("£750.00")
    assert fits_width(page)
    assert serious_accessibility_violations(page) == []  # the scrolling table can be focused
    screenshot(page, "councillor-statement-320px")


def test_an_officer_sees_every_councillors_balances(page, live_server, busy):
    UserFactory(username="officer", roles=["Grants officer"])
    sign_in(page, live_server, "officer")
    page.get_by_role("link", name="Budgets").click()
    page.get_by_role("link", name="Councillors' Community Initiative Fund 2026/27").click()
    expect(page.get_by_role("heading", name="Balances for 2026/27")).to_be_visible()
    expect(page.get_by_role("row", name="Cllr Sam Shaw")).to_contain_text("£750.00")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "officer-overview")


@pytest.mark.parametrize(
    "size",
    [{"width": 1366, "height": 768}, {"width": 390, "height": 844}],
    ids=["desktop", "phone"],
)
def test_an_officer_downloads_the_balances_as_a_spreadsheet(page, live_server, busy, size):
    UserFactory(username="officer", roles=["Grants officer"])
    page.set_viewport_size(size)
    sign_in(page, live_server, "officer")
    page.goto(f"{live_server.url}/budgets/CCIF/2026/")
    expect(page.get_by_test_id("downloads")).to_contain_text("Download this list:")
    expect(page.get_by_role("link", name="CSV file of councillors' allocations")).to_be_visible()
    assert fits_width(page)
    assert serious_accessibility_violations(page) == []
    name = "desktop" if size["width"] > 1000 else "phone"
    screenshot(page, f"officer-overview-downloads-{name}")
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX spreadsheet of councillors' allocations").click()
    day = f"{timezone.localdate():%Y-%m-%d}"
    assert download.value.suggested_filename == f"budget-ccif-2026-27-{day}.xlsx"
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    rows = {row[0]: row for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert rows["Cllr Sam Shaw"][7] == 750  # left to pledge, a number


def test_the_pages_can_be_used_by_keyboard(page, live_server, busy):
    page.goto(f"{live_server.url}/sign-in/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.get_by_label("Email address").focus()
    page.keyboard.type("cllr.shaw")
    page.keyboard.press("Tab")
    page.keyboard.type("correct-horse-battery")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Bids and support")).to_be_visible()


def test_sign_in_with_a_wrong_password_shows_the_error_summary(page, live_server, shaw):
    sign_in(page, live_server, "cllr.shaw", password="wrong")
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "sign-in-error")
