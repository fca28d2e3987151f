"""In a real browser, on a desktop and on a phone: a grants officer with 200 bids sorts the
workbench, filters it, saves the view, selects 20 bids and marks them eligible in one action,
then downloads the filtered list as a spreadsheet."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from applications.models import Application
from applications.workflow import Status
from tests.browser import fits_width, screenshot, serious_accessibility_violations, sign_in
from tests.factories import WardFactory
from tests.pages.test_workbench import many

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def looked_at(page, name: str) -> None:
    assert serious_accessibility_violations(page) == []
    assert fits_width(page), f"{name} scrolls sideways"
    screenshot(page, name)


@pytest.fixture
def two_hundred_bids(draft, fund_year, ward):
    """160 bids waiting for an eligibility check in Abbey Meadow, 40 in Brookfield."""
    group = draft.organisation
    many(160, fund_year=fund_year, organisation=group, ward=ward, prefix="ABB")
    many(
        40,
        fund_year=fund_year,
        organisation=group,
        ward=WardFactory(name="Brookfield"),
        prefix="BRK",
    )
    return ward


@pytest.mark.parametrize("size", SIZES)
def test_an_officer_with_200_bids_sorts_filters_marks_20_eligible_and_downloads_them(
    page, live_server, officer, two_hundred_bids, size
):
    from openpyxl import load_workbook

    ward = two_hundred_bids
    page.set_viewport_size(SIZES[size])
    sign_in(page, live_server, "officer")
    expect(page.get_by_test_id("queue-submitted")).to_contain_text("200")
    looked_at(page, f"workbench-200-{size}")

    # Sort by amount, largest first: the heading's link, twice.
    amount = page.get_by_test_id("sort-amount")
    amount.click()
    expect(page.locator("th", has=page.get_by_test_id("sort-amount"))).to_have_attribute(
        "aria-sort", "ascending"
    )
    page.get_by_test_id("sort-amount").click()
    header = page.locator("th", has=page.get_by_test_id("sort-amount"))
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page.locator("tbody tr").first).to_contain_text("ABB-000159")  # £2,090.00
    looked_at(page, f"workbench-sorted-{size}")

    # Filter to Abbey Meadow's bids waiting for a check: the sort stays, and no CSRF token goes
    # into the address.
    page.get_by_label("Status").select_option("submitted")
    page.get_by_label("Ward").select_option(str(ward.pk))
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#results")).to_contain_text("1 to 50 of 160")
    assert "csrfmiddlewaretoken" not in page.url
    assert "sort=amount" in page.url and "order=desc" in page.url
    filtered_url = page.url
    looked_at(page, f"workbench-filtered-{size}")

    # Save it as a view, and find it on the workbench.
    page.get_by_role("link", name="Save this view").click()
    looked_at(page, f"workbench-save-view-{size}")
    page.get_by_label("Name this view").fill("Abbey Meadow checks")
    page.get_by_role("button", name="Save the view").click()
    expect(page.get_by_test_id("saved-views")).to_contain_text("Abbey Meadow checks")
    expect(page.locator("#results")).to_contain_text("1 to 50 of 160")

    # Select 20 and mark them eligible in one action.
    chosen = [f"ABB-{n:06d}" for n in range(159, 139, -1)]
    for reference in chosen:
        page.locator(f"#select-{reference}").check()
    looked_at(page, f"workbench-selected-{size}")
    page.get_by_role("button", name="Mark as eligible").click()
    expect(page.get_by_test_id("bulk-summary")).to_have_text("20 marked as eligible")
    looked_at(page, f"workbench-bulk-done-{size}")
    assert (
        Application.objects.filter(reference__in=chosen, status=Status.AWAITING_SUPPORT).count()
        == 20
    )

    # Back to the same list, now 140; downloaded whole, as filtered and sorted.
    page.get_by_role("link", name="Back to the workbench").first.click()
    expect(page.locator("#results")).to_contain_text("1 to 50 of 140")
    assert parse_qs(urlsplit(page.url).query) == parse_qs(urlsplit(filtered_url).query)
    downloads = page.get_by_test_id("downloads")
    with page.expect_download() as download:
        downloads.get_by_role("link", name=re.compile("XLSX")).click()
    assert re.fullmatch(r"workbench-\d{4}-\d{2}-\d{2}\.xlsx", download.value.suggested_filename)
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert [c.value for c in sheet[1]] == [
        "Reference",
        "Received",
        "Group",
        "Project",
        "Ward",
        "Fund",
        "Financial year",
        "Amount requested",
        "Status",
        "Days waiting",
    ]
    assert sheet.max_row - 1 == 140
    assert sheet["A2"].value == "ABB-000139"  # the largest left, as sorted
    assert {row[4] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"Abbey Meadow"}


@pytest.mark.parametrize("size", SIZES)
def test_a_bid_that_moved_on_meanwhile_is_refused_with_its_reason_and_panels_download(
    page, live_server, officer, officer2, draft, fund_year, ward, size
):
    import datetime

    from decisions import services as d

    bids = many(2, fund_year=fund_year, organisation=draft.organisation, ward=ward, prefix="ABB")
    page.set_viewport_size(SIZES[size])
    sign_in(page, live_server, "officer")
    for bid in bids:
        page.locator(f"#select-{bid.reference}").check()
    # Another officer withdraws one while this page is open.
    Application.objects.filter(pk=bids[1].pk).update(status=Status.WITHDRAWN)
    page.get_by_role("button", name="Mark as eligible").click()
    expect(page.get_by_test_id("bulk-summary")).to_have_text("1 marked as eligible. 1 could not be")
    expect(page.get_by_test_id("bulk-refused")).to_contain_text(
        "ABB-000001: ABB-000001 is withdrawn: it cannot be marked eligible now."
    )
    looked_at(page, f"workbench-bulk-refused-{size}")

    # The panel meetings and a meeting's agenda download too.
    meeting = d.panel_meeting_create(
        title="December panel",
        fund=fund_year.fund,
        date=datetime.date(2026, 12, 10),
        quorum=1,
        members=[officer2],
        by=officer,
    )
    page.goto(f"{live_server.url}/officer/panels/")
    looked_at(page, f"panels-downloads-{size}")
    with page.expect_download() as download:
        page.get_by_test_id("downloads").get_by_role("link", name=re.compile("CSV")).click()
    assert "December panel" in download.value.path().read_text(encoding="utf-8-sig")
    page.goto(f"{live_server.url}/officer/panels/{meeting.pk}/")
    expect(page.get_by_text("Nothing is on the agenda yet.")).to_be_visible()
