"""In a real browser, on a phone (390×844) and a desktop (1366×768): a finance officer opens a
run another prepared, checks it (count, total, payees, held payments, pay date), authorises it,
is told its BACS file is ready, and the run says so until the file is taken to the bank."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from budgets.payments import Instalment
from finance import payments as pay
from tests.browser import fits_width, screenshot, serious_accessibility_violations, sign_in
from tests.payments_fixtures import accepted, finance2, prepared_run

__all__ = ["accepted", "finance2"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 768}}


@pytest.fixture(params=list(SIZES))
def size(request, page):
    page.set_viewport_size(SIZES[request.param])
    return request.param


def looks_right(page, name: str) -> None:
    """No serious accessibility fault, nothing wider than the screen, and a screenshot."""
    assert serious_accessibility_violations(page) == []
    assert fits_width(page), f"{name} is wider than the screen"
    screenshot(page, name)


def test_a_finance_officer_checks_the_run_then_authorises_it(
    page, live_server, size, accepted, finance, finance2
):
    today = timezone.localdate()
    pay.instalments_set(
        application=accepted,
        by=finance,
        instalments=[
            Instalment(D("300.00"), today),
            Instalment(D("200.00"), today, "Photographs of the benches in place"),
        ],
    )
    run = prepared_run(finance)
    sign_in(page, live_server, "finance2")
    page.goto(f"{live_server.url}/finance/runs/")
    expect(page.get_by_role("row", name=re.compile(f"Run {run.number}"))).to_contain_text(
        "Waiting for authorisation"
    )
    page.get_by_role("link", name=f"Run {run.number}").click()
    looks_right(page, f"payment-run-prepared-{size}")

    page.get_by_role("button", name="Check and authorise this run").click()
    expect(
        page.get_by_role("heading", name="Check the run before you authorise it")
    ).to_be_visible()
    expect(page.get_by_test_id("check-count")).to_have_text("1")
    expect(page.get_by_test_id("check-total")).to_have_text("£300.00")
    expect(page.get_by_test_id("check-payees")).to_contain_text("20-**-** ****5678")
    held = page.get_by_role("region", name="Payments held, not in this run")
    expect(held).to_contain_text("Photographs of the benches in place")
    looks_right(page, f"payment-run-check-{size}")

    page.get_by_role("button", name="Authorise this payment run").click()
    expect(page.get_by_role("heading", name=f"Payment run {run.number} authorised")).to_be_visible()
    expect(page.get_by_test_id("authorised-panel")).to_contain_text("BACS file ready")
    looks_right(page, f"payment-run-authorised-{size}")

    page.get_by_role("link", name=f"Go to payment run {run.number}").click()
    expect(page.locator("h1")).to_contain_text("Authorised: BACS file ready")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("BACS Standard 18 file")).click()
    assert download.value.suggested_filename == f"bacs-run-{run.number}.txt"
    page.reload()
    day = timezone.localdate()
    expect(page.locator("h1")).to_contain_text(f"Sent to bank on {day.day} {day:%B %Y}")
    looks_right(page, f"payment-run-sent-{size}")

    page.get_by_role("link", name="Payment runs").first.click()
    expect(page.get_by_role("row", name=re.compile(f"Run {run.number}"))).to_contain_text(
        "Sent to bank on"
    )
    looks_right(page, f"payment-runs-{size}")


def test_a_run_changed_since_it_was_checked_is_not_authorised(
    page, live_server, size, accepted, finance, finance2
):
    from budgets.models import PaymentRunLine

    run = prepared_run(finance)
    sign_in(page, live_server, "finance2")
    page.goto(f"{live_server.url}/finance/runs/{run.pk}/check/")
    expect(page.get_by_test_id("check-total")).to_have_text("£500.00")
    PaymentRunLine.objects.filter(run=run).update(account_name="SOMEONE ELSE")
    page.get_by_role("button", name="Authorise this payment run").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The run has changed since you checked it: check it again."
    )
    expect(page.get_by_test_id("check-payees")).to_contain_text("SOMEONE ELSE")
    looks_right(page, f"payment-run-check-changed-{size}")
    run.refresh_from_db()
    assert run.status == "prepared"
