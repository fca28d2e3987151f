# ruff: noqa: F811 (the fixtures imported below are used as arguments)
"""Issue 16's "done when": an approval's documents and e-mails are made by the worker (a separate
`manage.py worker` process, as production runs it) after the officer's request has returned, and
running the tasks again stores no new document and sends nothing more. A payment run's
remittances likewise: one stored advice and one e-mail per payment, however often the task runs."""

from decimal import Decimal

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from applications.workflow import Status
from decisions.documents import decision_documents
from finance.payments import send_remittances
from fundmgr.models import Document, Notification
from fundmgr.notifications import send_notifications
from tests import journeys
from tests.documents_fixtures import media  # noqa: F401 (fixture)
from tests.payments_fixtures import accepted, finance2, paid_run  # noqa: F401 (fixtures)
from tests.processes import in_test_time, manage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def database_queue(settings, media):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def work() -> str:
    """The worker, as production runs it, until the queue is empty."""
    return manage("worker", "--batch", "--no-startup-delay", **in_test_time()).stdout


def waiting(task) -> int:
    return DBTaskResult.objects.filter(
        task_path=task.module_path, status=TaskResultStatus.READY
    ).count()


def letters(reference: str) -> list[tuple[str, int, str]]:
    return sorted(
        Document.objects.filter(reference=reference, kind__in=["offer", "notice"]).values_list(
            "kind", "version", "sha256"
        )
    )


def test_the_worker_makes_an_approvals_documents_and_e_mails_after_the_request_returned(
    client, draft, treasurer, officer, officer2, shaw, okafor
):
    app = journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    work()  # what the journey queued is sent: from here on, only the decision's
    before = set(Notification.objects.values_list("pk", flat=True))

    client.force_login(officer2)
    response = client.post(
        f"/officer/applications/{app.reference}/decide/",
        {"outcome": "approve", "amount": "500.00", "conditions": "", "reasons": "Good value."},
    )
    assert response.status_code == 302, response.content[:500]
    app.refresh_from_db()
    assert app.status == Status.APPROVED and app.amount_awarded == Decimal("500.00")

    # The request has returned: nothing made, nothing sent, the work waiting in the queue.
    assert letters(app.reference) == []
    told = Notification.objects.exclude(pk__in=before)
    assert told.exists() and not told.filter(sent_at__isnull=False).exists()
    assert waiting(decision_documents) == 1 and waiting(send_notifications) >= 1

    out = work()
    made = letters(app.reference)
    assert [(kind, version) for kind, version, _ in made] == [("notice", 1), ("offer", 1)]
    sent = dict(told.values_list("pk", "sent_at"))
    assert sent and all(sent.values())
    assert f"Subject: {app.reference}" in out  # the console mail backend printed them
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()

    # The same tasks again (a retry, a worker killed after its work): nothing new.
    emails = Notification.objects.count()
    decision = app.decisions.get()
    decision_documents.enqueue(decision.pk)
    send_notifications.enqueue()
    work()
    assert letters(app.reference) == made
    assert Notification.objects.count() == emails
    assert dict(told.values_list("pk", "sent_at")) == sent  # none sent again


def test_the_remittance_task_run_twice_stores_and_e_mails_each_payment_once(
    accepted, finance, finance2
):
    run = paid_run(finance, finance2)
    assert waiting(send_remittances) == 1
    work()
    remittances = list(Document.objects.filter(kind="remittance").values_list("pk", "key"))
    payments = run.lines.count()
    assert len(remittances) == payments == 1

    def keyed():
        return Notification.objects.filter(key__startswith="remittance:")

    group = accepted.organisation
    addresses = {a.lower() for a in [group.email, *group.members.values_list("email", flat=True)]}
    emails = keyed().count()
    assert emails == len(addresses - {""})  # one e-mail to each of the group's addresses
    assert not keyed().filter(sent_at__isnull=True).exists()
    assert {n.attachment_id for n in keyed()} == {remittances[0][0]}  # the advice attached

    send_remittances.enqueue(run.pk)
    work()
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()
    assert list(Document.objects.filter(kind="remittance").values_list("pk", "key")) == remittances
    assert keyed().count() == emails
