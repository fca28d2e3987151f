"""In a real browser, with the database queue: a statement asked for is "being prepared" until the
worker has made it, then "Check again" downloads it; the group's letters say "Being prepared"
while their task waits."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from decisions import services as d
from tests import journeys
from tests.browser import screenshot, serious_accessibility_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def database_queue(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


def work() -> None:
    call_command("worker", "--batch", "--no-startup-delay", "--worker-id", "browser")


def test_a_statement_is_being_prepared_then_check_again_downloads_it(page, live_server, busy, shaw):
    sign_in(page, live_server, "cllr.shaw")
    page.goto(f"{live_server.url}/budgets/CCIF/2026/councillors/{shaw.pk}/")
    page.get_by_test_id("statement-pdf").click()
    expect(
        page.get_by_role("heading", name="Your budget statement is being prepared")
    ).to_be_visible()
    assert serious_accessibility_violations(page) == []
    screenshot(page, "statement-being-prepared")

    work()
    with page.expect_download() as download:
        page.get_by_role("link", name="Check again").click()
    assert download.value.suggested_filename.endswith(".pdf")


def test_the_groups_letters_are_being_prepared_until_the_worker_has_made_them(
    page, live_server, draft, treasurer, officer, officer2, shaw, okafor
):
    app = journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    d.decision_record(
        application=app, by=officer2, outcome="approve", amount=Decimal("500.00"), reasons="Ok"
    )
    sign_in(page, live_server, "treasurer")
    page.goto(f"{live_server.url}/apply/applications/{app.pk}/")
    expect(page.get_by_test_id("offer-being-prepared")).to_contain_text("Being prepared")
    expect(page.get_by_test_id("notice-being-prepared")).to_contain_text("Being prepared")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "letters-being-prepared")

    work()
    page.reload()
    expect(page.get_by_role("link", name="Download the offer letter (PDF)")).to_be_visible()
    expect(page.get_by_test_id("offer-being-prepared")).to_have_count(0)
