"""On PostgreSQL, through the API, with real threads: requests racing for the same allocations
never deadlock into a 500. Each succeeds, or is refused with a 409 and a reason; money is
conserved and `check_ledger` finds nothing wrong (issue 12)."""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal

import pytest
from django.db.models import Sum

from applications import support
from applications.models import Application, Pledge
from budgets import ledger
from budgets.integrity import ledger_violations
from budgets.models import Account, LedgerTransaction
from decisions import services as d
from fundmgr import contention
from tests import journeys
from tests.api_fixtures import API, client_for
from tests.factories import ApplicationFactory, CouncillorFactory
from tests.postgres.test_ledger import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


def allocations(fund_year) -> dict[int, Decimal]:
    return dict(
        Account.objects.filter(fund_year=fund_year, kind="allocation").values_list(
            "councillor_id", "balance"
        )
    )


def money_in_the_fund_year(fund_year) -> Decimal:
    """Everything outside `source`: the pot, allocations, commitments and paid. Conserved."""
    return (
        Account.objects.filter(fund_year=fund_year)
        .exclude(kind="source")
        .aggregate(total=Sum("balance"))["total"]
    )


def answered(response) -> tuple[int, str]:
    return response.status_code, response.json().get("detail", "")


def test_twenty_transfers_each_way_at_once_succeed_or_are_refused_never_a_500(
    on_postgres, fund_year, shaw, okafor
):
    ledger.allocate_year(fund_year=fund_year, by=None)
    pair = [(shaw, okafor), (okafor, shaw)]
    clients = {c.pk: client_for(c.user) for c in (shaw, okafor)}  # tokens made before the race
    before = allocations(fund_year)
    contention.counts_reset()

    def transfer(i):
        sender, recipient = pair[i % 2]
        response = clients[sender.pk].post(
            f"{API}/allocation-transfers/",
            {
                "key": str(uuid.uuid4()),
                "fund_year": fund_year.pk,
                "to_councillor": recipient.pk,
                "amount": "70.00",  # 20 x £70 is more than £1,000: some may run short
            },
        )
        return sender.pk, answered(response)

    results = run_together(40, transfer)
    statuses = [r[1][0] for r in results if isinstance(r, tuple)]
    assert len(statuses) == 40, results
    assert set(statuses) <= {201, 409}, results
    for _, (status, detail) in results:
        if status == 409:
            assert detail.startswith(("Cllr ", "Someone else was changing")), detail
    sent = {
        c.pk: 70 * sum(1 for pk, (st, _) in results if pk == c.pk and st == 201) for c in pair[0]
    }
    after = allocations(fund_year)
    assert after[shaw.pk] == before[shaw.pk] - sent[shaw.pk] + sent[okafor.pk]
    assert after[okafor.pk] == before[okafor.pk] - sent[okafor.pk] + sent[shaw.pk]
    assert after[shaw.pk] + after[okafor.pk] == before[shaw.pk] + before[okafor.pk]
    assert LedgerTransaction.objects.filter(kind="transfer").count() == statuses.count(201)
    assert ledger_violations() == []
    print(
        f"\n40 transfers: {statuses.count(201)} made, {statuses.count(409)} refused (409), "
        f"{contention.counts()} after deadlocks"
    )


@pytest.fixture
def three_councillors(fund_year, shaw, okafor, draft, treasurer, officer):
    """Abbey Meadow's three councillors, £1,000 each; the group's draft (`draft`) with them."""
    third = CouncillorFactory(ward=shaw.ward, name="Ruth Ahmed", user__username="cllr.ahmed")
    ledger.allocation_make(fund_year=fund_year, councillor=third, by=None)
    return [shaw, okafor, third]


def _application(draft, treasurer, officer, amount: Decimal) -> Application:
    app = ApplicationFactory(
        fund_year=draft.fund_year,
        organisation=draft.organisation,
        created_by=treasurer,
        amount_requested=amount,
        total_cost=amount,
    )
    return journeys.awaiting_support(app, treasurer=treasurer, officer=officer)


def _pledged_and_assessed(app, councillors, officer, each: Decimal) -> Application:
    for councillor in councillors:
        support.pledge_make(
            application=app, councillor=councillor, amount=each, statement="Yes", by=councillor.user
        )
    d.assessment_record(
        application=app,
        by=officer,
        recommendation="approve",
        recommended_amount=app.amount_requested,
        notes="Fine.",
    )
    return Application.objects.get(pk=app.pk)


def test_thirty_pledges_approvals_and_withdrawals_at_once_on_three_allocations(
    on_postgres, fund_year, three_councillors, draft, treasurer, officer, officer2
):
    """10 pledges, 10 approvals each drawing on two of the three allocations (every pair, both
    orders of primary key), 10 withdrawals of approved grants releasing money back to two."""
    councillors = three_councillors
    pairs = list(itertools.permutations(councillors, 2))  # 6 pairs, each order
    to_pledge = [_application(draft, treasurer, officer, D("900.00")) for _ in range(10)]
    to_approve = [
        _pledged_and_assessed(
            _application(draft, treasurer, officer, D("100.00")), pairs[i % 6], officer, D("50.00")
        )
        for i in range(10)
    ]
    to_withdraw = []
    for i in range(10):
        app = _pledged_and_assessed(
            _application(draft, treasurer, officer, D("60.00")), pairs[i % 6], officer, D("30.00")
        )
        d.decision_record(
            application=app, by=officer2, outcome="approve", amount=D("60.00"), reasons="ok"
        )
        to_withdraw.append(app)
    money_before = money_in_the_fund_year(fund_year)
    clients = {u.pk: client_for(u) for u in [*(c.user for c in councillors), officer2, treasurer]}
    work = []
    for i, app in enumerate(to_pledge):
        who = councillors[i % 3]
        work.append(
            (
                "pledge",
                clients[who.user.pk],
                f"{API}/applications/{app.pk}/pledges/",
                {"amount": "60.00", "statement": "Needed."},
            )
        )
    for app in to_approve:
        work.append(
            (
                "approve",
                clients[officer2.pk],
                f"{API}/applications/{app.pk}/approve/",
                {"amount": "100.00", "reasons": "Good value."},
            )
        )
    for app in to_withdraw:
        work.append(
            (
                "withdraw",
                clients[treasurer.pk],
                f"{API}/applications/{app.pk}/withdraw/",
                {"reason": "We found the money elsewhere."},
            )
        )
    order = [work[i] for i in sorted(range(30), key=lambda i: (i % 3, i))]  # interleaved
    contention.counts_reset()

    def act(i):
        kind, client, url, body = order[i]
        return kind, answered(client.post(url, body))

    results = run_together(30, act)
    assert all(isinstance(r, tuple) for r in results), results
    assert {status for _, (status, _) in results} <= {200, 201, 409}, results
    made = {
        kind: sum(1 for k, (status, _) in results if k == kind and status in (200, 201))
        for kind in ("pledge", "approve", "withdraw")
    }
    # No refusal but for the race itself: each request is possible on its own.
    refused = [detail for _, (status, detail) in results if status == 409]
    assert all(detail.startswith("Someone else was changing") for detail in refused), refused

    approved = Application.objects.filter(pk__in=[a.pk for a in to_approve], status="approved")
    withdrawn = Application.objects.filter(pk__in=[a.pk for a in to_withdraw], status="withdrawn")
    assert approved.count() == made["approve"]
    assert withdrawn.count() == made["withdraw"]
    assert (
        Pledge.objects.filter(application__in=to_pledge, status="pledged").count()
        == (made["pledge"])
    )
    # Each councillor's allocation: £1,000 less their share of what is committed now.
    for councillor in councillors:
        committed = Account.objects.filter(
            fund_year=fund_year, kind="commitment", councillor=councillor
        ).aggregate(total=Sum("balance"))["total"]
        assert allocations(fund_year)[councillor.pk] == D("1000.00") - committed
    assert money_in_the_fund_year(fund_year) == money_before
    assert ledger_violations() == []
    print(f"\n30 mixed: {made} succeeded, {len(refused)} refused (409), {contention.counts()}")
