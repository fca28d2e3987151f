"""/healthz as a council's monitor sees it: gunicorn and the worker on the test's database."""

import json
import time

import pytest

from tests.processes import AppServer, Worker

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]


def health(server: AppServer) -> tuple[int, dict]:
    status, body, _ = server.get("/healthz")
    return status, json.loads(body)


def test_healthz_is_healthy_once_the_worker_answers_its_heartbeat():
    with AppServer() as server, Worker() as worker:
        deadline = time.monotonic() + 15
        while True:
            status, body = health(server)
            if body["checks"]["worker"].get("last_seen_seconds") is not None:
                break
            assert time.monotonic() < deadline, f"{body}\n{worker.output()}"
            time.sleep(0.3)
    assert status == 200, body
    assert body["status"] == "healthy"
    assert body["checks"]["worker"]["heartbeat_waiting_seconds"] is None, body
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]


def test_healthz_is_unhealthy_when_no_worker_answers():
    with AppServer(WORKER_STALE_SECONDS="2") as server:
        assert health(server)[0] == 200  # the heartbeat was just asked for
        time.sleep(3.2)
        status, body = health(server)
    assert status == 503, body
    assert body["status"] == "unhealthy"
    assert "never seen" in body["checks"]["worker"]["detail"]
