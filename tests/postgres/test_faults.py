"""Faults on PostgreSQL: gunicorn or the worker is killed (SIGKILL, at a crash point of
fundmgr/faults.py) in the middle of its work, then started again and the work retried. Nothing
is lost and nothing doubled: no payment posted twice, no statement half imported, each document
stored once, each e-mail sent once, and `check_ledger` clean.

The people act through the real server over HTTP (requests), signed in with a session that the
test makes in the shared database as the rest of the suite does (tests/conftest.py's
force_login: password step and two-factor step passed), with the CSRF token the page gives.
"""

from __future__ import annotations

import hashlib
import html
import re
import signal
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from budgets.models import (
    Account,
    Entry,
    LedgerTransaction,
    Match,
    PaymentFile,
    PaymentRun,
    Statement,
    StatementLine,
)
from budgets.payments import Instalment
from decisions.documents import NOTICE, OFFER, decision_documents, notice_key, offer_key
from decisions.models import Decision
from finance import payments as pay
from fundmgr.documents import stored_content
from fundmgr.models import Document, Notification
from fundmgr.notifications import notify
from tests import journeys
from tests.fake_notify import FakeNotify
from tests.payments_fixtures import accepted, finance2, paid_run, prepared_run
from tests.processes import AppServer, Process, Worker, in_test_time, manage

__all__ = ["accepted", "finance2"]
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
D = Decimal


# --- a person at the real server -------------------------------------------------------------


def signed_in(user) -> requests.Session:
    """An HTTP session of `user` that gunicorn accepts: the session row is made in the shared
    database by Django's force_login (two-factor step passed, as for every page test)."""
    client = Client()
    client.force_login(user)
    http = requests.Session()
    name = settings.SESSION_COOKIE_NAME
    http.cookies.set(name, client.cookies[name].value)
    return http


def form_values(page: str) -> dict[str, str]:
    """The hidden fields of the page's forms (the CSRF token, the check's seal)."""
    found = {}
    for tag in re.findall(r"<input[^>]*type=\"hidden\"[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and value:
            found[name.group(1)] = html.unescape(value.group(1))
    return found


def crashed(process: Process, sign: str = "was sent SIGKILL", wait: float = 10) -> bool:
    """The process's log shows the kill (gunicorn's master: its worker "was sent SIGKILL"),
    waiting a little for the log to say so."""
    deadline = time.monotonic() + wait
    while sign not in process.output():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


# --- 1. gunicorn killed while authorising a payment run --------------------------------------


def ledger_state() -> dict:
    return {
        "transactions": LedgerTransaction.objects.count(),
        "entries": Entry.objects.count(),
        "balances": dict(Account.objects.values_list("pk", "balance")),
    }


@pytest.fixture
def run_of_three(accepted, finance):
    """The £500 grant in three instalments due now, prepared in one run by `finance`."""
    today = timezone.localdate()
    pay.instalments_set(
        application=accepted,
        by=finance,
        instalments=[
            Instalment(D("200.00"), today),
            Instalment(D("150.00"), today),
            Instalment(D("150.00"), today),
        ],
    )
    run = prepared_run(finance)
    assert run.count == 3
    return run


def authorise(server: AppServer, http: requests.Session, run: PaymentRun) -> requests.Response:
    """What the second finance officer does: read the check page, then authorise with its seal."""
    check = http.get(f"{server.url}/finance/runs/{run.pk}/check/", timeout=30)
    assert check.status_code == 200, check.text[:500]
    assert "Authorise this payment run" in check.text
    fields = form_values(check.text)
    return http.post(
        f"{server.url}/finance/runs/{run.pk}/authorise/",
        data={"csrfmiddlewaretoken": fields["csrfmiddlewaretoken"], "check": fields["check"]},
        headers={"Referer": check.url},
        allow_redirects=False,
        timeout=30,
    )


def test_gunicorn_killed_while_authorising_a_run_posts_nothing_and_the_retry_pays_once(
    on_postgres, accepted, run_of_three, finance2
):
    run = run_of_three
    keys = [f"payment:{line.payment_id}" for line in run.lines.all()]
    before = ledger_state()
    http = signed_in(finance2)

    # Killed after posting the second of three payments, before the run's transaction commits.
    with AppServer(
        workers=1, **in_test_time(), FUNDMGR_CRASH_AT="payment-run:authorise@2"
    ) as server:
        try:
            answer = authorise(server, http, run)
        except requests.ConnectionError:
            pass  # the worker died with the request: no answer at all
        else:
            assert answer.status_code >= 500, answer.status_code
        assert crashed(server), server.output()

    run.refresh_from_db()
    accepted.refresh_from_db()
    assert run.status == PaymentRun.Status.PREPARED and run.authorised_by is None
    assert not PaymentFile.objects.filter(run=run).exists()
    assert accepted.paid_to_date == 0
    assert not LedgerTransaction.objects.filter(idempotency_key__in=keys).exists()
    assert ledger_state() == before
    assert "every invariant holds" in manage("check_ledger").stdout

    # Started again without the fault: the officer authorises again and it is paid, once.
    with AppServer(workers=1, **in_test_time()) as server:
        answer = authorise(server, http, run)
        assert answer.status_code == 302, answer.text[:1000]
        assert answer.headers["Location"] == f"/finance/runs/{run.pk}/authorised/"
        run.refresh_from_db()
        assert run.status == PaymentRun.Status.AUTHORISED and run.authorised_by == finance2
        for key in keys:
            assert LedgerTransaction.objects.filter(idempotency_key=key).count() == 1, key
        assert LedgerTransaction.objects.count() == before["transactions"] + 3
        accepted.refresh_from_db()
        assert accepted.paid_to_date == D("500.00")
        paid = ledger_state()

        # The same form posted once more (a double click, a retried request) changes nothing.
        again = http.post(
            f"{server.url}/finance/runs/{run.pk}/authorise/",
            data={"csrfmiddlewaretoken": http.cookies["csrftoken"], "check": "anything"},
            headers={"Referer": f"{server.url}/finance/runs/{run.pk}/check/"},
            allow_redirects=False,
            timeout=30,
        )
        assert f"Run {run.number} was authorised by" in html.unescape(again.text)
    assert ledger_state() == paid
    assert PaymentFile.objects.filter(run=run).count() == 2
    assert "every invariant holds" in manage("check_ledger").stdout


# --- 2. gunicorn killed while importing a bank statement -------------------------------------


def albion_statement(run: PaymentRun, reference: str) -> bytes:
    """The council's bank statement as Albion's CSV download (the `albion` preset, the layout of
    tests/data/statements/albion.csv, cp1252): the run's £500 payment and a bank fee."""
    day = run.pay_date.strftime("%d/%m/%Y")
    return (
        "Date,Type,Description,Paid out,Paid in,Balance\r\n"
        f"{day},BACS,{reference} FRIENDS OF ABBEY PARK,£500.00,,\r\n"
        f"{day},CHG,Account fee,£7.50,,\r\n"
    ).encode("cp1252")


def import_statement(server: AppServer, http: requests.Session, content: bytes):
    page = http.get(f"{server.url}/finance/statements/", timeout=30)
    assert page.status_code == 200, page.text[:500]
    return http.post(
        f"{server.url}/finance/statements/",
        data={
            "csrfmiddlewaretoken": form_values(page.text)["csrfmiddlewaretoken"],
            "layout": "albion",
        },
        files={"file": ("march.csv", content, "text/csv")},
        headers={"Referer": page.url},
        timeout=30,
    )


def test_gunicorn_killed_while_importing_a_statement_keeps_none_of_it_and_the_retry_imports_once(
    on_postgres, accepted, finance, finance2
):
    sent = paid_run(finance, finance2).lines.get()
    content = albion_statement(sent.run, sent.reference)
    http = signed_in(finance)

    # Killed with the statement and its lines saved, before matching and commit.
    with AppServer(
        workers=1, **in_test_time(), FUNDMGR_CRASH_AT="statement-import:saved"
    ) as server:
        try:
            answer = import_statement(server, http, content)
        except requests.ConnectionError:
            pass
        else:
            assert answer.status_code >= 500, answer.status_code
        assert crashed(server), server.output()
    assert not Statement.objects.exists()
    assert not StatementLine.objects.exists()
    assert not Match.objects.exists()
    sent.refresh_from_db()
    assert sent.status == "sent"

    with AppServer(workers=1, **in_test_time()) as server:
        answer = import_statement(server, http, content)
        assert answer.status_code == 200 and answer.history, answer.text[:1000]
        statement = Statement.objects.get()
        assert answer.url.endswith(f"/finance/statements/{statement.pk}/")
        assert f"Statement {statement.pk} imported: 2 lines, 1 matched to payments." in (
            answer.text
        )
        assert statement.line_count == 2 and StatementLine.objects.count() == 2
        match = Match.objects.get()
        assert match.run_line_id == sent.pk and match.line.amount == D("-500.00")
        sent.refresh_from_db()
        assert sent.status == "cleared"

        again = import_statement(server, http, content)
        assert "This file was imported already" in again.text
    assert Statement.objects.count() == 1 and StatementLine.objects.count() == 2
    assert Match.objects.count() == 1
    assert "every invariant holds" in manage("check_ledger").stdout


# --- 3. the worker killed while making a decision's documents --------------------------------


def task_rows(path: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=path).order_by("enqueued_at"))


def wait_until(done, what: str, process: Process, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s\n{process.output()}")
        time.sleep(0.2)


def stray_files(root: Path) -> list[str]:
    """Files under MEDIA_ROOT's documents that no Document row points to."""
    kept = set(Document.objects.values_list("file", flat=True))
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.pdf")
        if str(path.relative_to(root)) not in kept
    )


def test_worker_killed_while_storing_a_decisions_documents_stores_each_once_after_restart(
    on_postgres, settings, draft, treasurer, officer, officer2, shaw, okafor
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    app = journeys.approved(
        draft, treasurer=treasurer, officer=officer, officer2=officer2, shaw=shaw, okafor=okafor
    )
    decision = Decision.objects.get(application=app)
    path = decision_documents.module_path
    assert [row.status for row in task_rows(path)] == [TaskResultStatus.READY]
    letters = Document.objects.filter(kind__in=[NOTICE, OFFER])
    others = set(Document.objects.values_list("pk", "sha256"))  # made in the requests
    assert not letters.exists()

    # Killed on the first document: its file written to storage, its row not yet saved.
    with Worker(**in_test_time(), FUNDMGR_CRASH_AT="document:file-saved") as worker:
        assert worker.wait(30) == -signal.SIGKILL, worker.output()
    [held] = task_rows(path)
    assert held.status == TaskResultStatus.RUNNING and held.worker_ids[-1] == "test-worker"
    assert not letters.exists()

    # The same worker started again takes the task back and finishes it.
    with Worker(**in_test_time()) as worker:
        wait_until(
            lambda: any(r.status == TaskResultStatus.SUCCESSFUL for r in task_rows(path)),
            "the decision's documents made",
            worker,
        )
    statuses = [row.status for row in task_rows(path)]
    assert statuses == [TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL], statuses

    stored = {(d.kind, d.key): d for d in letters}
    assert set(stored) == {(NOTICE, notice_key(decision)), (OFFER, offer_key(app))}
    assert letters.count() == 2
    assert set(Document.objects.exclude(kind__in=[NOTICE, OFFER]).values_list("pk", "sha256")) == (
        others
    )
    for document in stored.values():
        assert document.version == 1
        content = stored_content(document)
        assert content.startswith(b"%PDF") and len(content) == document.size
        assert hashlib.sha256(content).hexdigest() == document.sha256
    # The killed try's file is left in storage under the name the row would have had; the retry
    # stored its own (local storage does not overwrite). Nothing points to it, nobody is sent it.
    strays = stray_files(Path(settings.MEDIA_ROOT))
    assert strays in ([], [f"documents/{NOTICE}/{NOTICE}-{app.reference}-v1.pdf"]), strays


# --- 4. the worker killed while sending e-mails through GOV.UK Notify ------------------------


def test_worker_killed_after_handing_an_email_to_notify_sends_each_once_after_restart(
    on_postgres, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    people = [f"treasurer{i}@example.org" for i in range(1, 5)]
    with transaction.atomic():  # as a service does: the rows and their sending task together
        notify(to=people, subject="Your grant", body="Your grant has been paid.")
    rows = list(Notification.objects.order_by("pk"))
    assert len(rows) == 4
    # A dead sender's claim is let go after the lease: a short one, so the test need not wait.
    lease = {"NOTIFICATION_LEASE_SECONDS": "1"}

    with FakeNotify() as fake:
        # Killed just after Notify took the second message, before its row was marked sent.
        with Worker(
            **fake.env(), **lease, **in_test_time(), FUNDMGR_CRASH_AT="notification:sent@2"
        ) as worker:
            assert worker.wait(30) == -signal.SIGKILL, worker.output()
        assert [m["email_address"] for m in fake.received] == people[:2]
        first, second, *rest = Notification.objects.order_by("pk")
        assert first.sent_at is not None
        assert second.sent_at is None and second.attempts == 1  # it went, the row does not know
        assert all(row.sent_at is None and row.attempts == 0 for row in rest)

        time.sleep(1.2)  # the dead sender's claim on the second row has lapsed
        with Worker(**fake.env(), **lease, **in_test_time()) as worker:
            wait_until(
                lambda: not Notification.objects.filter(sent_at__isnull=True).exists(),
                "every message sent",
                worker,
            )
        asked = f"reference=fundmgr-{second.pk}"  # Notify asked before the row was sent again
        assert any(method == "GET" and asked in path for method, path, _ in fake.requests)
        received = Counter(m["reference"] for m in fake.received)
        assert received == Counter({f"fundmgr-{row.pk}": 1 for row in rows}), fake.received
        assert sorted(m["email_address"] for m in fake.received) == sorted(people)
    for row in Notification.objects.all():
        assert row.sent_at is not None and row.provider_id, row
