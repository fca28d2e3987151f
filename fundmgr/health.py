"""/healthz: what a load balancer, a monitor or a person with curl asks of a running service.

    {"status": "healthy", "checks": {"database": {...}, "migrations": {...}, "worker": {...},
                                     "queue": {...}}}

200 when every check passes, 503 when one fails; never cached, never any personal data, and
quick: a handful of small queries.

- database: `SELECT 1` answers.
- migrations: none waits to be applied. Reading the migration files costs a little, so once they
  are all applied the answer is kept for the life of the process (only a deploy, which restarts
  the app, can add one).
- worker: /healthz asks for a `heartbeat` task, at most one waiting at a time and at most once a
  minute, and the worker answers it by stamping `WorkerBeat.seen_at`. The worker is unwell when a
  heartbeat has waited longer than WORKER_STALE_SECONDS. With the database queue the heartbeat's
  row is written with the ask, in one transaction, so it cannot be lost: a worker that comes back
  answers it. The immediate backend (tests, a quick try) needs no worker; with RQ it is not
  checked here (RQ's own tools show its workers).
- queue: the tasks ready to run now (unhealthy above HEALTH_MAX_QUEUE: the worker is not keeping
  up) and those that failed in the last 24 hours (reported; each is retried, and an administrator
  sees them in /admin/).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from fundmgr import access
from fundmgr.models import WorkerBeat
from fundmgr.tasks import QUEUE, background, enqueue, in_the_database

# A heartbeat is asked for no more often than this, once the last one has been answered.
ASK_EVERY = datetime.timedelta(seconds=60)

Check = dict[str, Any]

_migrations_applied = False


@background(attempts=1)
def heartbeat(queue: str) -> None:
    """The worker's answer to /healthz: it is alive and runs what is queued."""
    # At least the time it was asked at, by the asker's clock: the answer came after the ask,
    # whatever the worker's own clock says (a worker machine's clock a second behind the app
    # server's would otherwise never seem to answer, and the worker be called unwell).
    now = Value(timezone.now(), output_field=DateTimeField())
    WorkerBeat.objects.filter(queue=queue).update(
        seen_at=Greatest(now, Coalesce(F("requested_at"), now))
    )


def check_database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def check_migrations() -> Check:
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            return {"ok": False, "detail": f"{len(plan)} migration(s) not applied"}
        _migrations_applied = True
    return {"ok": True}


def _backend_kind() -> str:
    if in_the_database(heartbeat):
        return "database"
    if type(heartbeat.get_backend()).__name__ == "ImmediateBackend":
        return "immediate"
    return "other"


def _seconds(since: datetime.datetime | None, now: datetime.datetime) -> int | None:
    return None if since is None else max(0, int((now - since).total_seconds()))


def check_worker() -> Check:
    kind = _backend_kind()
    if kind == "immediate":
        return {"ok": True, "detail": "not needed: tasks run at once"}
    if kind != "database":
        return {"ok": True, "detail": "not checked with this task backend"}
    now = timezone.now()
    with transaction.atomic():
        beat, _ = WorkerBeat.objects.get_or_create(queue=QUEUE)
        # One heartbeat waiting at most: ask again only once the last one was answered, and
        # not more than once a minute. The update decides, so two app servers ask once.
        asked = (
            WorkerBeat.objects.filter(pk=beat.pk)
            .filter(
                Q(requested_at__isnull=True)
                | Q(seen_at__gte=F("requested_at"), requested_at__lt=now - ASK_EVERY)
            )
            .update(requested_at=now)
        )
        if asked:
            enqueue(heartbeat, QUEUE)
            beat.refresh_from_db()
    seen = _seconds(beat.seen_at, now)
    answered = beat.seen_at is not None and beat.seen_at >= beat.requested_at
    waiting = None if answered else _seconds(beat.requested_at, now)
    check: Check = {"ok": True, "last_seen_seconds": seen, "heartbeat_waiting_seconds": waiting}
    if waiting is not None and waiting > settings.WORKER_STALE_SECONDS:
        never = "never seen" if seen is None else f"last seen {seen} s ago"
        check["ok"] = False
        check["detail"] = f"no answer to a heartbeat for {waiting} s ({never})"
    return check


def check_queue() -> Check:
    if _backend_kind() != "database":
        return {"ok": True, "detail": "not checked with this task backend"}
    from django_tasks_db.models import DBTaskResult

    ready = DBTaskResult.objects.ready().count()  # the queue's own partial index
    failed = (
        DBTaskResult.objects.failed()
        .filter(finished_at__gte=timezone.now() - datetime.timedelta(hours=24))
        .count()
    )
    limit = settings.HEALTH_MAX_QUEUE
    check: Check = {"ok": ready <= limit, "ready": ready, "failed_last_24h": failed}
    if ready > limit:
        check["detail"] = f"{ready} tasks waiting, more than {limit}"
    return check


CHECKS: dict[str, Callable[[], Check]] = {
    "database": check_database,
    "migrations": check_migrations,
    "worker": check_worker,
    "queue": check_queue,
}


@never_cache
@access.public
def healthz(request):
    """Every check, or those named in `?checks=` (comma separated): a load balancer deciding
    whether to send requests to this app server asks `?checks=database,migrations`, so that a
    stopped worker, which every app server shares, does not take them all out of service."""
    wanted = [name.strip() for name in request.GET.get("checks", "").split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(CHECKS))
    if unknown:
        return JsonResponse(
            {"detail": f"No such check: {', '.join(unknown)}. Checks: {', '.join(CHECKS)}."},
            status=400,
        )
    checks: dict[str, Check] = {}
    for name, check in CHECKS.items():
        if wanted and name not in wanted and name != "database":  # every check needs it
            continue
        if name != "database" and not checks["database"]["ok"]:
            checks[name] = {"ok": False, "detail": "not checked: the database does not answer"}
            continue
        try:
            checks[name] = check()
        except DatabaseError as error:
            # The kind of error only: its message may name hosts or users.
            checks[name] = {"ok": False, "detail": f"failed: {type(error).__name__}"}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "healthy" if healthy else "unhealthy", "checks": checks},
        status=200 if healthy else 503,
    )
