# ruff: noqa: F811 (the fixtures imported below are used as arguments)
"""Documents made by the background worker (the database queue, run in this process): a
statement or a panel pack asked for is "being prepared" (202) until the worker has made it, then
downloads; a change to its records asks for a new one; the application's letters say "Being
prepared" while their task waits."""

from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from budgets import ledger
from decisions import services as d
from fundmgr.models import Document
from tests.documents_fixtures import (  # noqa: F401 (fixtures)
    awaiting,
    flat,
    media,
    meeting,
    panel_members,
    pdf_text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def database_queue(settings, media):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def work() -> None:
    """The worker, in this process, until the queue is empty. It closes "old" database
    connections as it wakes, which inside a test's transaction on PostgreSQL is the test's own:
    not here."""
    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    ):
        call_command("worker", "--batch", "--no-startup-delay", "--worker-id", "t")


def queued() -> int:
    """Documents' tasks (the fixtures' e-mails queue theirs too)."""
    return DBTaskResult.objects.filter(task_path__contains="_document").count()


def being_prepared(response, what: str, url: str) -> bool:
    html = response.text
    return (
        response.status_code == 202
        and f"Your {what} is being prepared" in html
        and f'href="{url}" data-testid="check-again"' in html
        and 'http-equiv="refresh"' not in html
    )


def test_a_statement_is_prepared_by_the_worker_then_downloaded(client, busy, shaw):
    url = f"/documents/statements/CCIF/2026/councillors/{shaw.pk}/"
    client.force_login(shaw.user)
    assert being_prepared(client.get(url), "budget statement", url)
    assert being_prepared(client.get(url), "budget statement", url)  # asked again: one task
    assert queued() == 1 and not Document.objects.filter(kind="statement").exists()

    work()
    response = client.get(url)
    assert response.status_code == 200
    assert "Left to pledge £750.00" in flat(pdf_text(b"".join(response.streaming_content)))
    assert client.get(url).status_code == 200  # the same day, nothing changed: as stored
    assert queued() == 1 and Document.objects.filter(kind="statement").count() == 1


def test_a_statement_whose_balance_changed_is_made_again_never_served_stale(client, busy, shaw):
    url = f"/documents/statements/CCIF/2026/councillors/{shaw.pk}/"
    client.force_login(shaw.user)
    client.get(url)
    work()
    assert client.get(url).status_code == 200
    ledger.commitment_make(
        fund_year=busy, reference="CCIF26-000008", shares=[(shaw, Decimal("50.00"))], by=None
    )
    assert being_prepared(client.get(url), "budget statement", url)
    work()
    response = client.get(url)
    assert "Left to pledge £700.00" in flat(pdf_text(b"".join(response.streaming_content)))
    assert Document.objects.filter(kind="statement").count() == 2


def test_a_failed_statement_is_asked_for_again_by_the_next_download(
    client, busy, shaw, settings, monkeypatch
):
    from budgets import documents as statements

    settings.TASK_ATTEMPTS = 1
    url = f"/documents/statements/CCIF/2026/councillors/{shaw.pk}/"
    client.force_login(shaw.user)
    client.get(url)
    monkeypatch.setattr(statements, "statement_pdf", lambda s: 1 / 0)
    work()
    [failed] = DBTaskResult.objects.filter(task_path__endswith="statement_document")
    assert failed.status == TaskResultStatus.FAILED
    monkeypatch.undo()
    assert being_prepared(client.get(url), "budget statement", url)  # a new try
    work()
    assert client.get(url).status_code == 200


def test_a_panel_pack_is_prepared_by_the_worker_then_downloaded(client, meeting, officer):
    url = f"/documents/panels/{meeting.pk}/pack/"
    client.force_login(officer)
    assert being_prepared(client.get(url), "panel pack", url)
    work()
    response = client.get(url)
    assert response.status_code == 200
    assert "Abbey Meadow grants panel" in flat(pdf_text(b"".join(response.streaming_content)))
    assert client.get(url).status_code == 200 and queued() == 1  # the agenda unchanged


def test_the_groups_letters_say_being_prepared_until_the_worker_has_made_them(
    client, awaiting, officer2, treasurer
):
    d.decision_record(
        application=awaiting, by=officer2, outcome="approve", amount=Decimal("450.00"), reasons="Ok"
    )
    page = f"/apply/applications/{awaiting.pk}/"
    client.force_login(treasurer)
    html = client.get(page).text
    assert 'data-testid="offer-being-prepared"' in html
    assert 'data-testid="notice-being-prepared"' in html
    assert "Download the offer letter (PDF)" not in html
    work()
    html = client.get(page).text
    assert "being-prepared" not in html
    assert "Download the offer letter (PDF)" in html and "Download the decision notice" in html
    letters = Document.objects.filter(kind__in=["notice", "offer"])
    assert sorted(letters.values_list("kind", flat=True)) == ["notice", "offer"]


def test_the_letters_download_while_being_prepared_made_on_the_first_download(
    client, awaiting, officer2, treasurer
):
    d.decision_record(
        application=awaiting, by=officer2, outcome="approve", amount=Decimal("450.00"), reasons="Ok"
    )
    client.force_login(treasurer)
    response = client.get(f"/documents/applications/{awaiting.reference}/offer-letter/")
    assert response.status_code == 200
    work()  # the task finds the letter made, byte for byte, and stores nothing new
    assert Document.objects.filter(kind="offer").count() == 1
