"""/healthz through the real URL: each check healthy and unhealthy, with the database task queue
where the check needs one (the tests otherwise run tasks at once)."""

import datetime

import pytest
import time_machine
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from fundmgr import health
from fundmgr.models import WorkerBeat

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def migrations_not_yet_known(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_QUEUE
    settings.WORKER_STALE_SECONDS = 300


def healthz(client):
    answer = client.get("/healthz")
    return answer.status_code, answer.json(), answer


def heartbeats() -> int:
    return DBTaskResult.objects.filter(task_path="fundmgr.health.heartbeat").count()


def later(seconds: int):
    return time_machine.travel(timezone.now() + datetime.timedelta(seconds=seconds), tick=False)


def test_a_healthy_service_says_so_and_is_never_cached(client):
    status, body, answer = healthz(client)
    assert status == 200
    assert body["status"] == "healthy"
    assert set(body) == {"status", "checks"}
    assert set(body["checks"]) == {"database", "migrations", "worker", "queue"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["worker"]["detail"] == "not needed: tasks run at once"
    assert "no-store" in answer["Cache-Control"]
    assert not answer.cookies  # no session, nothing about anyone


def test_a_database_that_does_not_answer_is_unhealthy(client):
    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server at db.internal")

    with connection.execute_wrapper(refuse):
        status, body, _ = healthz(client)
    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"] == {"ok": False, "detail": "failed: OperationalError"}
    assert "db.internal" not in str(body)  # the error's own words may name hosts
    assert body["checks"]["worker"]["detail"] == "not checked: the database does not answer"


def test_a_migration_not_applied_is_unhealthy(client, settings):
    settings.MIGRATION_MODULES = {"fundmgr": "fundmgr.migrations"}
    if MigrationRecorder(connection).has_table():  # not with --nomigrations: none recorded
        # The newest: an applied newest migration is a target with nothing left to do.
        newest = MigrationRecorder.Migration.objects.filter(app="fundmgr").order_by("-name")
        newest.first().delete()
    status, body, _ = healthz(client)
    assert status == 503
    assert body["checks"]["migrations"]["ok"] is False
    assert "not applied" in body["checks"]["migrations"]["detail"]


def test_migrations_once_all_applied_are_not_read_again(client, settings, monkeypatch):
    assert healthz(client)[0] == 200

    def unreadable(*args, **kwargs):
        raise AssertionError("the migrations were read again")

    monkeypatch.setattr(health, "MigrationExecutor", unreadable)
    assert healthz(client)[0] == 200


def test_healthz_asks_the_worker_for_one_heartbeat_at_a_time(client, database_queue):
    status, body, _ = healthz(client)
    assert status == 200  # asked just now: not yet late
    assert body["checks"]["worker"]["heartbeat_waiting_seconds"] == 0
    assert body["checks"]["worker"]["last_seen_seconds"] is None
    healthz(client)
    with later(120):
        healthz(client)
    assert heartbeats() == 1  # unanswered: never a second one waiting


def test_the_worker_answers_the_heartbeat(client, database_queue):
    healthz(client)
    # The queued row run as the worker runs it (tests/postgres/test_health.py has a real one).
    queued = DBTaskResult.objects.ready().get()
    queued.task.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"])
    assert WorkerBeat.objects.get().seen_at is not None
    status, body, _ = healthz(client)
    assert status == 200
    assert body["checks"]["worker"]["last_seen_seconds"] == 0
    assert body["checks"]["worker"]["heartbeat_waiting_seconds"] is None
    assert heartbeats() == 1  # answered less than a minute ago: not asked again
    with later(61):
        healthz(client)
    assert heartbeats() == 2


def test_a_worker_never_seen_is_unwell_once_its_heartbeat_is_late(client, database_queue, settings):
    settings.WORKER_STALE_SECONDS = 30
    assert healthz(client)[0] == 200
    with later(29):
        assert healthz(client)[0] == 200
    with later(31):
        status, body, _ = healthz(client)
    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["checks"]["worker"]["ok"] is False
    assert "never seen" in body["checks"]["worker"]["detail"]


def test_a_worker_that_stopped_answering_is_unwell(client, database_queue, settings):
    settings.WORKER_STALE_SECONDS = 30
    healthz(client)
    health.heartbeat.call("default")  # answered, as the worker would
    with later(61):
        assert healthz(client)[0] == 200  # a new heartbeat asked
    with later(61 + 31):
        status, body, _ = healthz(client)
    assert status == 503
    assert "last seen 92 s ago" in body["checks"]["worker"]["detail"]


def test_the_queue_reports_ready_and_recently_failed_tasks(client, database_queue):
    def failed(hours_ago: int) -> None:
        DBTaskResult.objects.create(
            task_path="fundmgr.notifications.send_notifications",
            args_kwargs={"args": [], "kwargs": {}},
            status="FAILED",
            run_after=timezone.now(),
            backend_name="default",
            finished_at=timezone.now() - datetime.timedelta(hours=hours_ago),
        )

    failed(1)
    failed(25)
    status, body, _ = healthz(client)
    assert status == 200
    assert body["checks"]["queue"] == {"ok": True, "ready": 1, "failed_last_24h": 1}


def test_a_queue_longer_than_the_limit_is_unhealthy(client, database_queue, settings):
    settings.HEALTH_MAX_QUEUE = 2
    health.heartbeat.enqueue("other")
    health.heartbeat.enqueue("other")
    status, body, _ = healthz(client)  # its own heartbeat makes three
    assert status == 503
    assert body["checks"]["queue"]["ready"] == 3
    assert body["checks"]["queue"]["detail"] == "3 tasks waiting, more than 2"


def test_healthz_is_a_handful_of_queries(client, database_queue, django_assert_max_num_queries):
    healthz(client)  # the migrations read once, the heartbeat asked for
    with django_assert_max_num_queries(7):  # five, and a savepoint around two of them
        assert healthz(client)[0] == 200


def test_another_task_backend_is_not_checked_here(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    status, body, _ = healthz(client)
    assert status == 200
    assert body["checks"]["worker"] == {"ok": True, "detail": "not checked with this task backend"}
    assert body["checks"]["queue"] == {"ok": True, "detail": "not checked with this task backend"}
    assert not WorkerBeat.objects.exists()


def test_healthz_only_reads(client):
    assert client.post("/healthz").status_code == 405


def test_a_load_balancer_asks_only_about_this_app_server(client, database_queue, settings):
    """The worker every app server shares is down: /healthz says so, but the load balancer's
    probe (`?checks=database,migrations`) keeps this app server in service."""
    settings.WORKER_STALE_SECONDS = 30
    healthz(client)
    with later(31):
        assert healthz(client)[0] == 503
        answer = client.get("/healthz?checks=database,migrations")
    assert answer.status_code == 200
    assert set(answer.json()["checks"]) == {"database", "migrations"}
    assert heartbeats() == 1  # the probe asked the worker for nothing


def test_an_unknown_check_is_named(client):
    answer = client.get("/healthz?checks=database,wroker")
    assert answer.status_code == 400
    assert answer.json()["detail"] == (
        "No such check: wroker. Checks: database, migrations, worker, queue."
    )


def test_any_choice_of_checks_includes_the_database(client):
    answer = client.get("/healthz?checks=migrations")
    assert answer.status_code == 200
    assert set(answer.json()["checks"]) == {"database", "migrations"}


def test_a_worker_whose_clock_is_behind_still_answers(client, database_queue):
    """The worker's machine reads a few seconds earlier than the app server's: its answer still
    counts (it came after the ask), and the next heartbeat is asked for a minute later."""
    healthz(client)
    with time_machine.travel(timezone.now() - datetime.timedelta(seconds=5), tick=False):
        health.heartbeat.call("default")
    _, body, _ = healthz(client)
    assert body["checks"]["worker"]["heartbeat_waiting_seconds"] is None
    with later(61):
        healthz(client)
    assert heartbeats() == 2
