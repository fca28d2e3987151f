"""The task kernel (fundmgr.tasks) on the database queue, run by the worker in this process: a
task is queued with its transaction and only then, once per transaction when asked once, tried
again with backoff when it fails, given up and queued again when its worker died, and a failure
is there for an administrator to see."""

import datetime
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from fundmgr.tasks import background, enqueue, enqueue_once, recover_abandoned

RAN: list[str] = []


@background()
def remember(word: str) -> str:
    RAN.append(word)
    return word


@background()
def breaks(word: str) -> None:
    raise RuntimeError(f"The {word} broke")


class Boom(Exception):
    pass


@pytest.fixture(autouse=True)
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASK_ATTEMPTS = 3
    settings.TASK_RETRY_SECONDS = 60
    RAN.clear()


def work() -> None:
    """The worker, in this process, until the queue is empty. It closes "old" database
    connections as it wakes, which inside a test's transaction on PostgreSQL is the test's own:
    not here."""
    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    ):
        call_command("worker", "--batch", "--no-startup-delay", "--worker-id", "t")


def rows(task=None):
    found = DBTaskResult.objects.order_by("enqueued_at")
    return list(found.filter(task_path=task.module_path) if task else found)


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_in_a_transaction_that_rolls_back_is_never_queued():
    with pytest.raises(Boom), transaction.atomic():
        enqueue(remember, "lost")
        raise Boom
    assert rows() == []
    work()
    assert RAN == []


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_in_a_committed_transaction_is_queued_once_and_run():
    with transaction.atomic():
        enqueue(remember, "kept")
    [row] = rows()
    assert row.status == TaskResultStatus.READY and row.args_kwargs["args"] == ["kept"]
    work()
    assert RAN == ["kept"]
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL and row.return_value == "kept"


@pytest.mark.django_db(transaction=True)
def test_enqueue_once_queues_one_task_however_often_a_transaction_asks():
    with transaction.atomic():
        enqueue_once(remember, "once")
        enqueue_once(remember, "once")
        enqueue_once(remember, "other")
    assert sorted(r.args_kwargs["args"][0] for r in rows()) == ["once", "other"]


@pytest.mark.django_db
def test_a_failing_task_is_failed_with_its_traceback_and_tried_again_with_backoff():
    enqueue(breaks, "pump")
    for attempt in (1, 2, 3):
        work()
        tried = rows(breaks)
        assert len(tried) == attempt + (attempt < 3)  # each try, and the next one waiting
        failed = tried[attempt - 1]
        assert failed.status == TaskResultStatus.FAILED
        assert "RuntimeError: The pump broke" in failed.traceback
        if attempt < 3:
            waiting = tried[-1]
            assert waiting.status == TaskResultStatus.READY
            # Tried again in the scope it was queued in: service-wide, as a test runs.
            assert waiting.args_kwargs == {
                "args": ["pump"],
                "kwargs": {"attempt": attempt + 1, "council": "all"},
            }
            delay = waiting.run_after - failed.finished_at
            expected = datetime.timedelta(seconds=60 * 2 ** (attempt - 1))  # 60 s, then 120 s
            assert expected - datetime.timedelta(seconds=2) < delay <= expected
            work()  # too soon: the worker leaves it
            assert DBTaskResult.objects.get(pk=waiting.pk).status == TaskResultStatus.READY
            DBTaskResult.objects.filter(pk=waiting.pk).update(run_after=timezone.now())
    # TASK_ATTEMPTS = 3: three tries in all, then no more
    assert [r.status for r in rows(breaks)] == [TaskResultStatus.FAILED] * 3
    work()
    assert len(rows(breaks)) == 3


def running(word: str, *, worker: str, started: datetime.datetime) -> DBTaskResult:
    enqueue(remember, word)
    row = rows(remember)[-1]
    DBTaskResult.objects.filter(pk=row.pk).update(
        status=TaskResultStatus.RUNNING, worker_ids=[worker], started_at=started
    )
    return row


@pytest.mark.django_db
def test_recover_abandoned_queues_again_what_a_dead_worker_held_and_leaves_the_rest(settings):
    settings.TASK_LEASE_SECONDS = 900
    now = timezone.now()
    mine = running("mine", worker="w1", started=now)
    stale = running("stale", worker="w2", started=now - datetime.timedelta(seconds=901))
    busy = running("busy", worker="w3", started=now - datetime.timedelta(seconds=60))

    assert recover_abandoned(worker_id="w1") == 1
    assert DBTaskResult.objects.get(pk=mine.pk).status == TaskResultStatus.FAILED
    assert DBTaskResult.objects.get(pk=stale.pk).status == TaskResultStatus.RUNNING

    assert recover_abandoned() == 1  # held past the lease
    gave_up = DBTaskResult.objects.get(pk=stale.pk)
    assert gave_up.status == TaskResultStatus.FAILED
    assert "The worker stopped" in gave_up.traceback
    assert DBTaskResult.objects.get(pk=busy.pk).status == TaskResultStatus.RUNNING
    again = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert sorted(r.args_kwargs["args"][0] for r in again) == ["mine", "stale"]

    work()
    assert sorted(RAN) == ["mine", "stale"]
    assert recover_abandoned() == 0


@pytest.mark.django_db
def test_an_administrator_sees_failed_tasks_in_the_admin(admin_client):
    enqueue(breaks, "boiler")
    work()
    page = admin_client.get("/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED")
    assert page.status_code == 200
    assert '<td class="field-task_name">breaks</td>' in page.text
    [failed] = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
    detail = admin_client.get(f"/admin/django_tasks_database/dbtaskresult/{failed.pk}/change/")
    assert detail.status_code == 200
    assert "The boiler broke" in detail.text
