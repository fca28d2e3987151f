"""`manage.py worker`: the background worker for the database task queue (django-tasks-db's
`db_worker`, with the same options), which first gives up and queues again any task a previous
life of the same worker (the same --worker-id) was running when it was killed."""

from __future__ import annotations

import socket

from django_tasks_db.management.commands import db_worker

from fundmgr.tasks import recover_abandoned


class Command(db_worker.Command):
    help = (
        "Run the background worker (documents, e-mails, reminders) on the database queue. "
        "Give each worker a --worker-id that stays the same when it restarts (default: the "
        "host name), so that what it was doing when it stopped is done again."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(worker_id=socket.gethostname()[:64] or "worker", reload=False)

    def handle(self, *args, **options):
        recovered = recover_abandoned(worker_id=options["worker_id"])
        if recovered:
            self.stderr.write(f"Queued again {recovered} task(s) this worker held when it stopped.")
        recover_abandoned()  # and any other worker's, held past the lease
        super().handle(*args, **options)
