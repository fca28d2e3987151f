"""In a real browser: a second finance officer reads a prepared bank reconciliation, checks it,
and it is locked; the page passes axe's serious checks and fits a phone's width."""

import pytest
from playwright.sync_api import expect

from finance import bank_reconciliation
from tests.browser import fits_width, screenshot, serious_accessibility_violations, sign_in
from tests.finance.test_bank_reconciliation import after, books, day, finance2, media

__all__ = ["books", "finance2", "media"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_another_officer_checks_the_month_and_it_is_locked(
    page, live_server, books, finance, finance2
):
    # On the morning of 1 December, as the officers would: the browser's clock moves too.
    with after(day(30)):
        rec = bank_reconciliation.reconciliation_prepare(
            as_at=day(30), by=finance, explanation="A bank fee of £7.50, set aside in December."
        )
        sign_in(page, live_server, "finance2")
        page.get_by_role("link", name="Finance", exact=True).click()
        page.get_by_role("link", name="Bank reconciliation: prepare and check").click()
        page.get_by_role("link", name="30 November 2026").click()
        summary = page.get_by_test_id("reconciliation")
        expect(summary).to_contain_text("£14,552.50")
        expect(summary).to_contain_text("-£7.50")
        expect(page.get_by_test_id("unpresented")).to_contain_text("CCIF26-000102/1")
        assert serious_accessibility_violations(page) == []
        screenshot(page, "finance-bank-reconciliation-to-check")

        page.get_by_role("button", name="Check and lock the reconciliation").click()
        expect(page.get_by_role("alert")).to_contain_text("is checked and locked")
        expect(page.get_by_test_id("checked")).to_contain_text("Fraser")
        assert serious_accessibility_violations(page) == []
        screenshot(page, "finance-bank-reconciliation-locked")

        page.set_viewport_size({"width": 375, "height": 800})
        page.reload()
        assert fits_width(page)
        rec.refresh_from_db()
        assert rec.locked
