"""In a real browser: finance officers pay grants through a run prepared by one and authorised by
another, with held payments shown apart; on a phone too."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from applications import organisations as o
from tests.browser import fits_width, screenshot, serious_accessibility_violations, sign_in
from tests.payments_fixtures import accepted, finance2, next_weekday

__all__ = ["accepted", "finance2"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal


def accessible(page, name: str) -> None:
    assert serious_accessibility_violations(page) == []
    screenshot(page, name)


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_one_officer_prepares_a_run_and_another_authorises_it(
    page, live_server, accepted, finance, finance2
):
    sign_in(page, live_server, "finance")
    page.get_by_role("link", name="Finance", exact=True).click()
    expect(page.get_by_role("heading", name="Finance", exact=True)).to_be_visible()
    expect(page.get_by_test_id("count-due")).to_contain_text("1")
    accessible(page, "finance-home")

    page.get_by_test_id("count-due").click()
    expect(page.get_by_role("heading", name="Payments", exact=True)).to_be_visible()
    expect(page.get_by_role("row", name=f"{accepted.reference}/1")).to_contain_text("£500.00")
    accessible(page, "finance-payments")

    page.get_by_role("button", name="Prepare a payment run").click()
    day = next_weekday()
    page.get_by_label("Day").fill(str(day.day))
    page.get_by_label("Month").fill(str(day.month))
    page.get_by_label("Year").fill("1999")
    page.get_by_role("button", name="Prepare the run").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("has passed")
    accessible(page, "finance-run-new-error")
    page.get_by_label("Year").fill(str(day.year))
    page.get_by_role("button", name="Prepare the run").click()
    expect(page.get_by_role("alert")).to_contain_text("Another finance officer must now authorise")
    expect(page.get_by_test_id("two-person")).to_be_visible()
    expect(page.get_by_role("button", name="Check and authorise this run")).to_have_count(0)
    accessible(page, "finance-run-prepared")
    sign_out(page)

    sign_in(page, live_server, "finance2")
    page.get_by_role("link", name="Finance", exact=True).click()
    page.get_by_test_id("count-runs").click()
    page.get_by_role("link", name="Run 0").first.click()
    expect(page.get_by_role("row", name=f"{accepted.reference}/1")).to_contain_text("20-**-**")
    accessible(page, "finance-run-to-authorise")
    page.get_by_role("button", name="Check and authorise this run").click()
    expect(page.get_by_test_id("check-total")).to_have_text("£500.00")
    page.get_by_role("button", name="Authorise this payment run").click()
    expect(page.get_by_test_id("authorised-panel")).to_contain_text("BACS file ready")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download the BACS Standard 18 file")).click()
    assert download.value.suggested_filename.startswith("bacs-run-")
    page.get_by_role("link", name=re.compile("Go to payment run")).click()
    expect(page.get_by_test_id("authorised")).to_contain_text("Fraser")
    expect(page.get_by_test_id("sent")).to_contain_text("BACS file downloaded by Fraser")
    accessible(page, "finance-run-authorised")


def test_held_payments_are_listed_apart_with_the_reason_on_a_phone(
    page, live_server, accepted, finance, treasurer
):
    o.bank_account_change(
        organisation=accepted.organisation,
        by=treasurer,
        account_name="Abbey Park Friends",
        sort_code="309634",
        account_number="11112222",
    )
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, live_server, "finance")
    page.goto(f"{live_server.url}/finance/payments/")
    held = page.get_by_role("region", name="Held")
    expect(held).to_contain_text("not yet verified")
    assert fits_width(page)
    accessible(page, "finance-payments-held-320px")


def test_changed_bank_details_are_verified_by_a_finance_officer_who_did_not_enter_them(
    page, live_server, accepted, finance, finance2
):
    o.bank_account_change(
        organisation=accepted.organisation,
        by=finance,
        account_name="Abbey Park Friends",
        sort_code="309634",
        account_number="11112222",
    )
    sign_in(page, live_server, "finance")
    page.goto(f"{live_server.url}/finance/")
    expect(page.get_by_test_id("count-bank")).to_contain_text("1")
    page.get_by_test_id("count-bank").click()
    expect(page.get_by_role("region", name="Waiting for verification")).to_contain_text(
        "1, £500.00"
    )
    accessible(page, "finance-bank-waiting")
    page.get_by_role("link", name=re.compile("Friends of Abbey Park.*check the bank")).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "You entered these bank details, so another finance officer must verify them."
    )
    accessible(page, "finance-bank-check-refused")
    sign_out(page)

    sign_in(page, live_server, "finance2")
    page.goto(f"{live_server.url}/finance/bank-details/")
    page.get_by_role("link", name=re.compile("Friends of Abbey Park.*check the bank")).click()
    expect(page.get_by_test_id("new-details")).to_contain_text("11112222")
    page.get_by_role("button", name="Save the check").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose whether to verify")
    accessible(page, "finance-bank-check-error")
    page.get_by_label("Yes: verify them").check()
    page.get_by_label("How did you check them?").fill("Called the treasurer on the number on file")
    page.get_by_role("button", name="Save the check").click()
    expect(page.get_by_role("alert")).to_contain_text("are verified")
    page.get_by_role("link", name=re.compile("Friends of Abbey Park.*history")).first.click()
    expect(page.get_by_role("heading", name="Bank details and their history")).to_be_visible()
    accessible(page, "finance-bank-history")
    page.set_viewport_size({"width": 320, "height": 640})
    assert fits_width(page)
    screenshot(page, "finance-bank-history-320px")


def test_a_statement_is_imported_reconciled_and_the_rest_matched_by_hand(
    page, live_server, accepted, finance, finance2, tmp_path
):
    import datetime

    from tests.payments_fixtures import paid_run

    sent = paid_run(finance, finance2).lines.get()
    far = (sent.run.pay_date + datetime.timedelta(days=20)).strftime("%d/%m/%Y")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        b"Date,Type,Description,Paid out,Paid in,Balance\r\n31/02/2027,BACS,X,\xa31.00,,\r\n"
    )
    good = tmp_path / "march.csv"
    good.write_bytes(
        (
            "Date,Type,Description,Paid out,Paid in,Balance\r\n"
            f"{far},BACS,GRANT FRIENDS OF ABBEY PARK,£500.00,,\r\n"
            f"{far},CHG,Account fee,£7.50,,\r\n"
        ).encode("cp1252")
    )
    sign_in(page, live_server, "finance")
    page.goto(f"{live_server.url}/finance/")
    page.get_by_role("link", name="Bank statements: import and match").click()
    page.get_by_label("Statement file").set_input_files(str(bad))
    page.get_by_role("button", name="Import the statement").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Line 2: '31/02/2027' is not a real date"
    )
    accessible(page, "finance-statement-import-error")

    page.get_by_label("Statement file").set_input_files(str(good))
    page.get_by_role("button", name="Import the statement").click()
    expect(page.get_by_role("alert")).to_contain_text("2 lines, 0 matched to payments")
    accessible(page, "finance-statement-unmatched")
    page.get_by_role("button", name=re.compile("Set aside line 3")).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say what the line is")
    page.get_by_label("Or, if it is not a grant payment, what is it?").nth(1).fill("Bank charge")
    page.get_by_role("button", name=re.compile("Set aside line 3")).click()
    expect(page.get_by_role("alert")).to_contain_text("Line 3 set aside: Bank charge.")
    page.get_by_label("Payment it is").select_option(str(sent.pk))
    page.get_by_role("button", name=re.compile("Match line 2")).click()
    expect(page.get_by_role("alert")).to_contain_text("it is cleared")
    expect(page.get_by_role("heading", name="Not matched (0)")).to_be_visible()
    accessible(page, "finance-statement-reconciled")
    page.set_viewport_size({"width": 320, "height": 640})
    assert fits_width(page)
    screenshot(page, "finance-statement-reconciled-320px")
