"""Background work through Django's Tasks framework (django-tasks, the backport of Django 6.0's
`django.tasks`): documents, e-mails and reminders are made by a worker after the step that asks
for them has committed, not while a person waits for their page.

    from fundmgr.tasks import background, enqueue

    @background()
    def decision_documents(decision_id: int) -> None:
        ...  # idempotent: running it twice stores one document, sends one e-mail

    enqueue(decision_documents, decision.pk)  # inside the step's transaction

Each task runs for the council it was queued for: `enqueue` adds the scope in force
(fundmgr/councils.py) as the task's `council` argument, and the task runs inside it.

`enqueue` runs the task only if the caller's transaction commits. With the database backend (the
default; `manage.py worker` runs it) the task's row is written in that same transaction, so a
process killed just after the commit loses no task; with another backend (RQ, or `immediate` in
the tests) it is handed over by `transaction.on_commit`.

`background` makes a function a task that is tried again when it raises: after
TASK_RETRY_SECONDS, then twice as long, and so on, TASK_ATTEMPTS times in all. Each failed try
stays in the queue's table as FAILED with its traceback, which an administrator sees in /admin/
(and /healthz counts). A worker killed while it held a task leaves it RUNNING: `recover_abandoned`
(run by `manage.py worker` as it starts) gives it up and queues it again, which
is safe because every task is idempotent.
"""

from __future__ import annotations

import datetime
import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task as django_task
from django_tasks.base import Task

from fundmgr import councils
from fundmgr.observability import request_id

log = logging.getLogger(__name__)

QUEUE = "default"


def background(*, attempts: int | None = None, priority: int = 0) -> Callable[[Callable], Task]:
    """Make a module-level function a task, tried again with backoff when it raises."""

    def decorate(function: Callable) -> Task:
        made: dict[str, Task] = {}

        @functools.wraps(function)
        def run(*args: Any, attempt: int = 1, council: int | str | None = None, **kwargs: Any):
            token = request_id.set(f"task:{function.__name__}")
            try:
                # The scope of the request or command that queued it (fundmgr/councils.py).
                with councils.acting_for(councils.scope() if council is None else council):
                    return function(*args, **kwargs)
            except Exception:
                _retry_later(made["task"], args, {**kwargs, "council": council}, attempt, attempts)
                raise
            finally:
                request_id.reset(token)

        made["task"] = django_task(priority=priority, queue_name=QUEUE)(run)
        return made["task"]

    return decorate


def retry_delay(attempt: int) -> datetime.timedelta:
    """How long after failed try number `attempt` the next one runs."""
    return datetime.timedelta(seconds=settings.TASK_RETRY_SECONDS * 2 ** (attempt - 1))


def _retry_later(task: Task, args: tuple, kwargs: dict, attempt: int, attempts: int | None) -> None:
    limit = attempts or settings.TASK_ATTEMPTS
    if attempt >= limit:
        log.error("%s failed on try %s of %s: given up", task.name, attempt, limit)
        return
    if not task.get_backend().supports_defer:
        log.error("%s failed; this task backend cannot try it again later", task.name)
        return
    task.using(run_after=timezone.now() + retry_delay(attempt)).enqueue(
        *args, attempt=attempt + 1, **kwargs
    )
    log.warning("%s failed on try %s of %s: tried again later", task.name, attempt, limit)


def in_the_database(task: Task) -> bool:
    """True when the task's queue is a table of the default database."""
    return type(task.get_backend()).__module__.startswith("django_tasks_db")


def enqueue(task: Task, *args: Any, **kwargs: Any) -> None:
    """Run `task` with these arguments once the caller's transaction commits, and only then."""
    connection = transaction.get_connection()
    kwargs = {**kwargs, "council": councils.scope()}
    if connection.in_atomic_block and in_the_database(task):
        task.enqueue(*args, **kwargs)  # commits, or is rolled back, with the step
        return
    transaction.on_commit(functools.partial(task.enqueue, *args, **kwargs), robust=True)


def enqueue_once(task: Task, *args: Any) -> None:
    """`enqueue`, once per transaction for the same task and arguments however many steps in it
    ask (every e-mail a transaction queues is sent by one `send_notifications` task)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        enqueue(task, *args)
        return
    key = (task.module_path, args, councils.scope())
    if any(getattr(hook[1], "fundmgr_task", None) == key for hook in connection.run_on_commit):
        return
    scope = councils.scope()
    if in_the_database(task):
        task.enqueue(*args, council=scope)  # commits, or is rolled back, with the step
        hook = functools.partial(_nothing)  # only the mark that it is queued
    else:
        hook = functools.partial(task.enqueue, *args, council=scope)
    hook.fundmgr_task = key  # type: ignore[attr-defined]
    transaction.on_commit(hook, robust=True)


def _nothing() -> None:
    """The mark `enqueue_once` leaves in a transaction's on-commit list."""


def recover_abandoned(*, worker_id: str | None = None) -> int:
    """Tasks a worker was running when it died: marked FAILED ("the worker stopped") and queued
    again. With `worker_id`, every task that worker holds (it is starting, so it holds none);
    without, those held longer than TASK_LEASE_SECONDS. Only the database backend keeps such a
    record; with another backend this does nothing. Returns how many were queued again."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    held = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    if worker_id:
        rows = [r for r in held if r.worker_ids and r.worker_ids[-1] == worker_id]
    else:
        cutoff = timezone.now() - datetime.timedelta(seconds=settings.TASK_LEASE_SECONDS)
        rows = list(held.filter(started_at__lt=cutoff))
    queued = 0
    for row in rows:
        with transaction.atomic():
            gave_up = DBTaskResult.objects.filter(
                pk=row.pk, status=TaskResultStatus.RUNNING
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path="fundmgr.tasks.WorkerLost",
                traceback="The worker stopped while it was running this task (it was killed, or "
                "its server stopped). The task was queued again.",
            )
            if gave_up:
                DBTaskResult.objects.create(
                    args_kwargs=row.args_kwargs,
                    priority=row.priority,
                    task_path=row.task_path,
                    queue_name=row.queue_name,
                    run_after=timezone.now(),
                    backend_name=row.backend_name,
                )
                queued += 1
                log.warning(
                    "Task %s (%s) was abandoned by its worker: queued again", row.pk, row.task_path
                )
    return queued


class WorkerLost(Exception):
    """The record a task a dead worker held is given up with."""
