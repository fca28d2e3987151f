"""The test's own processes (tests/processes.py) serve and work on the test's database."""

import pytest
from django_tasks_db.models import DBTaskResult

from fundmgr.models import Notification
from fundmgr.notifications import send_notifications
from tests.processes import AppServer, manage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_gunicorn_serves_the_test_database():
    with AppServer() as server:
        status, body, headers = server.get("/grants/")
    assert status == 200, body[:500]
    assert b"grants" in body.lower()
    assert headers.get("X-Request-ID")


def test_the_worker_runs_what_was_queued_on_the_test_database(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    Notification.objects.create(to="treasurer@example.org", subject="Hello", body="Hi")
    send_notifications.enqueue()
    assert DBTaskResult.objects.ready().count() == 1
    done = manage("worker", "--batch")
    assert "Hello" in done.stdout  # the console e-mail backend printed it
    assert Notification.objects.get().sent_at is not None
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
