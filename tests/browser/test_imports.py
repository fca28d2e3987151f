"""In a real browser, on a phone: the council's administrator checks a file of wards, reads the
report and imports the rows (the framework's tiny test importer: tests/fundmgr/test_imports)."""

import pytest
from playwright.sync_api import expect

from budgets.models import Ward
from tests.browser import fits_width, screenshot, serious_accessibility_violations, sign_in
from tests.factories import UserFactory
from tests.fundmgr.test_imports import tiny_importer

__all__ = ["tiny_importer"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 740}
WARDS = "\ufeffWard name,GSS code\r\nAbbey Meadow,E05000001\r\nBrookfield,E05000002\r\n".encode()


def accessible(page, name: str) -> None:
    assert serious_accessibility_violations(page) == []
    assert fits_width(page)
    screenshot(page, name)


def test_the_administrator_checks_a_file_then_imports_it_on_a_phone(
    page, live_server, tiny_importer
):
    UserFactory(username="council-admin", roles=["Administrator"])
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "council-admin")
    page.goto(f"{live_server.url}/officer/imports/")
    expect(page.get_by_role("heading", name="Import from a file")).to_be_visible()
    expect(page.get_by_label("Check only, do not import")).to_be_checked()
    accessible(page, "imports-form-phone")
    page.get_by_text("Options of some imports").click()
    expect(page.get_by_role("group", name="Tiny wards")).to_contain_text("Names in capitals.")
    accessible(page, "imports-options-phone")

    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose what the file holds")

    page.get_by_label("Tiny wards").check()
    page.get_by_label("File").set_input_files(
        {"name": "wards.csv", "mimeType": "text/csv", "buffer": WARDS}
    )
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check of wards.csv")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Ward Abbey Meadow (E05000001)")
    expect(page.get_by_text("This was a check only: nothing has been imported.")).to_be_visible()
    assert Ward.objects.count() == 0
    accessible(page, "imports-check-phone")

    page.get_by_role("button", name="Import these rows").click()
    expect(page.get_by_role("heading", name="Import of wards.csv")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Imported wards.csv.")
    expect(page.get_by_role("table")).to_contain_text("Created")
    assert sorted(Ward.objects.values_list("name", flat=True)) == ["Abbey Meadow", "Brookfield"]
    accessible(page, "imports-imported-phone")
