"""In a real browser: the public finds the grants awarded from the start page, by ward, on a phone
too; an officer and a councillor read the spend dashboard."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from applications import services as s
from tests.browser import fits_width, screenshot, serious_accessibility_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
pytest_plugins = ["tests.transparency_fixtures"]
D = Decimal


def accessible(page, name: str) -> None:
    assert serious_accessibility_violations(page) == []
    screenshot(page, name)


@pytest.fixture
def awarded(town):
    town.award(
        town.bid(town.group("Friends of Abbey Park"), fund_year=town.ward_budget, amount="400.00"),
        pay="400.00",
    )
    library = town.award(
        town.bid(
            town.group("Brookfield Library", ward=town.brook, charity_number="1990127"),
            amount="1200.00",
            wards=[town.brook],
            title="Large-print books for housebound readers",
        ),
        pay="1200.00",
    )
    s.monitoring_report_submit(
        application=library,
        by=town.treasurer,
        amount_spent=D("1000.00"),
        outcomes="Sixty readers reached.",
        people_reached=60,
    )
    return town


def test_the_public_finds_grants_by_ward_and_the_files_from_the_start_page(
    page, live_server, awarded
):
    page.goto(f"{live_server.url}/apply/")
    page.get_by_role("link", name="grants we have awarded").click()
    expect(page.get_by_role("heading", name="Community grants awarded")).to_be_visible()
    expect(page.get_by_role("row", name="Brookfield Library")).to_contain_text("£1,200.00")
    accessible(page, "public-grants")

    page.get_by_label("Ward").select_option(label="Abbey Meadow")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("1 to 1 of 1")).to_be_visible()
    expect(page.get_by_role("row", name="Friends of Abbey Park")).to_be_visible()
    expect(page.get_by_role("row", name="Brookfield Library")).to_have_count(0)
    accessible(page, "public-grants-filtered")

    page.get_by_role("link", name="Clear filters").click()
    page.get_by_role("row", name="Brookfield Library").get_by_role(
        "link", name="Brookfield"
    ).click()
    expect(page.get_by_role("heading", name="Brookfield", exact=True)).to_be_visible()
    expect(page.get_by_test_id("ward-total")).to_have_text("1 grant, £1,200.00 in all")
    accessible(page, "public-ward-profile")

    page.get_by_role("link", name="Community grants awarded").click()
    page.get_by_role("link", name="What the files hold").click()
    expect(page.get_by_role("heading", name="Download grants data")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="360Giving data (JSON) for 2026/27").click()
    assert download.value.suggested_filename == "grants-2026-27.json"
    accessible(page, "public-360giving")

    # On a 320 px phone nothing scrolls sideways; the date and fund move under the project.
    page.set_viewport_size({"width": 320, "height": 640})
    for url, name in [
        ("/grants/", "public-grants-320px"),
        ("/grants/wards/E05800002/", "public-ward-profile-320px"),
        ("/grants/wards/", "public-wards-320px"),
    ]:
        page.goto(f"{live_server.url}{url}")
        assert fits_width(page), url
        accessible(page, name)


def test_an_officer_reads_spend_by_ward_and_downloads_the_tables(page, live_server, awarded):
    sign_in(page, live_server, "officer")
    page.get_by_role("link", name="Dashboards").click()
    expect(page.get_by_role("heading", name="Dashboards")).to_be_visible()
    expect(page.get_by_test_id("headline-paid")).to_have_text("£1,600.00")
    accessible(page, "dashboards")

    page.get_by_role("link", name="Spend and commitments").click()
    expect(page.get_by_role("heading", name="Spend and commitments", exact=True)).to_be_visible()
    chart = page.get_by_role("img", name="Paid and committed by ward: the most is Brookfield")
    expect(chart).to_be_visible()
    expect(page.get_by_role("row", name="Brookfield")).to_contain_text("£1,200.00")
    accessible(page, "dashboard-spend")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these tables (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    page.get_by_role("link", name="Dashboards", exact=True).first.click()
    page.get_by_role("link", name="Underspend and clawback").click()
    # £1,200 paid, £1,000 spent: the £200 underspend is over the £50 threshold.
    reported = r"^Community Asset Fund 2026\/27 1 £1,200\.00 £1,000\.00 £200\.00 £200\.00 £0\.00"
    expect(page.get_by_role("row", name=re.compile(reported))).to_be_visible()
    accessible(page, "dashboard-clawback")

    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{live_server.url}/dashboards/spend/")
    assert fits_width(page)
    screenshot(page, "dashboard-spend-320px")


def test_a_councillor_sees_the_figures_of_their_own_ward(page, live_server, awarded):
    sign_in(page, live_server, "cllr.shaw")
    page.goto(f"{live_server.url}/dashboards/spend/")
    expect(page.get_by_text("Abbey Meadow, every fund, 2026/27")).to_be_visible()
    expect(page.get_by_role("row", name="Brookfield")).to_have_count(0)
    accessible(page, "dashboard-spend-councillor")
