"""Faults on PostgreSQL: gunicorn or the worker is killed (SIGKILL, at a crash point of
fundmgr/faults.py) in the middle of its work, then started again and the work retried. Nothing
is lost and nothing doubled: no payment posted twice, no statement half imported, each document
stored once, each e-mail sent once, and `check_ledger` clean.

The people act through the real server over HTTP (requests), signed in with a session that the
test makes in the shared database as the rest of the suite does (tests/conftest.py's
force_login: password step and two-factor step passed), with the CSRF token the page gives.
"""

from __future__ import annotations

import html
import re
import time
from decimal import Decimal

import pytest
import requests
from django.conf import settings
from django.test import Client
from django.utils import timezone

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
from finance import payments as pay
from tests.payments_fixtures import accepted, finance2, paid_run, prepared_run
from tests.processes import AppServer, Process, in_test_time, manage

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
    with AppServer(**in_test_time(), FUNDMGR_CRASH_AT="payment-run:authorise@2") as server:
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
    with AppServer(**in_test_time()) as server:
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
        assert "every invariant holds" in manage("check_ledger").stdout

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
    with AppServer(**in_test_time(), FUNDMGR_CRASH_AT="statement-import:saved") as server:
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

    with AppServer(**in_test_time()) as server:
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
