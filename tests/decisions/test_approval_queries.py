"""An approval asks the database a constant, small number of questions, whatever the system
holds: the same with 10 bids as with 200, through the officer's decide page and through the
API's approve step. Its documents and e-mails are queued (a row of the task queue and rows of
the outbox, written in its transaction), never made in the request.

The tests run outside a test-wide transaction, as a request does, so the count is what the
request sends (no test savepoints). On SQLite the ledger takes its ORM path, a statement or two
for each account, so the count there grows with the pledging councillors; on PostgreSQL
(tests/postgres/test_approval_queries.py) it is the same for one or three, and under 25."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications import support
from applications.workflow import Status
from budgets import ledger
from decisions.models import Decision
from fundmgr.models import Notification
from tests import journeys
from tests.api_fixtures import API, client_for, many
from tests.factories import ApplicationFactory, CouncillorFactory

FEWER_THAN = 25  # an approval's queries, whatever the system holds


@pytest.fixture
def queued_tasks(settings):
    """The production queue: a task is a row written in the step's own transaction."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def awaiting(app, *, treasurer, officer, councillors):
    """`app` assessed and waiting for a decision, pledged by `councillors` in equal parts."""
    journeys.awaiting_support(app, treasurer=treasurer, officer=officer)
    share = (app.amount_requested / len(councillors)).quantize(D("0.01"))
    for i, councillor in enumerate(councillors):
        amount = share if i < len(councillors) - 1 else app.amount_requested - share * i
        support.pledge_make(
            application=app,
            councillor=councillor,
            amount=amount,
            statement="Yes",
            by=councillor.user,
        )
    return journeys.awaiting_decision(app, treasurer=treasurer, officer=officer)


def approved(app) -> None:
    """Everything an approval does was done: the state, the award, the decision, the ledger's
    commitment, the e-mails in the outbox and the documents' task in the queue."""
    from django_tasks_db.models import DBTaskResult

    app.refresh_from_db()
    assert app.status == Status.APPROVED and app.amount_awarded == app.amount_requested
    assert app.awarded_at is not None and app.offer_expires_on is not None
    decision = Decision.objects.get(application=app, outcome="approve")
    assert ledger.committed_balance(app.reference) == app.amount_requested
    assert Notification.objects.filter(reference=app.reference).exists()
    assert DBTaskResult.objects.filter(args_kwargs__args=[decision.pk]).exists()


def page_approval(client, app) -> int:
    client.get(f"/officer/applications/{app.reference}/")  # the session's once-a-minute write
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            f"/officer/applications/{app.reference}/decide/",
            {"outcome": "approve", "amount": str(app.amount_requested), "reasons": "Good value."},
        )
    assert response.status_code == 302, response.content
    return len(captured)


def api_approval(client, app) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            f"{API}/applications/{app.pk}/approve/",
            {"amount": str(app.amount_requested), "reasons": "Good value.", "conditions": ""},
        )
    assert response.status_code == 200, response.content
    return len(captured)


def councillors_of(draft, n: int, name: str) -> list:
    """`n` new councillors of the draft's ward, each with their £1,000 allocation."""
    made = [
        CouncillorFactory(
            ward=draft.organisation.ward, name=f"{name} {i}", user__username=f"{name}{i}"
        )
        for i in range(n)
    ]
    ledger.allocate_year(fund_year=draft.fund_year, by=None)
    return made


def at_10_and_200_bids(approve, client, *, pledges, draft, treasurer, officer):
    """The queries of one approval with 10 bids in the system, then of another with 200, each
    pledged by `pledges` councillors."""
    councillors = councillors_of(draft, pledges, f"cllr.{pledges}.")
    first = awaiting(draft, treasurer=treasurer, officer=officer, councillors=councillors)
    many(10, like=first, prefix=f"TEN{pledges}", status=Status.AWAITING_DECISION)
    counts = [approve(client, first)]
    approved(first)
    second = ApplicationFactory(
        fund_year=draft.fund_year, organisation=draft.organisation, created_by=treasurer
    )
    second = awaiting(second, treasurer=treasurer, officer=officer, councillors=councillors)
    many(190, like=second, prefix=f"MORE{pledges}", status=Status.AWAITING_DECISION)
    counts.append(approve(client, second))
    approved(second)
    return counts


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("pledges", [1, 3])
def test_the_decide_page_approves_in_the_same_number_of_queries_at_10_and_200_bids(
    client, queued_tasks, draft, treasurer, officer, officer2, pledges
):
    client.force_login(officer2)
    counts = at_10_and_200_bids(
        page_approval, client, pledges=pledges, draft=draft, treasurer=treasurer,
        officer=officer,
    )  # fmt: skip
    assert counts[0] == counts[1], counts


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("pledges", [1, 3])
def test_the_apis_approve_step_approves_in_the_same_number_of_queries_at_10_and_200_bids(
    queued_tasks, draft, treasurer, officer, officer2, pledges
):
    counts = at_10_and_200_bids(
        api_approval, client_for(officer2), pledges=pledges, draft=draft, treasurer=treasurer,
        officer=officer,
    )  # fmt: skip
    assert counts[0] == counts[1], counts
