"""On PostgreSQL, with real threads: decisions racing for the same money."""

from decimal import Decimal

import pytest

from applications import services as s
from applications import support
from applications.models import Application
from applications.workflow import Status
from budgets import ledger
from budgets.integrity import ledger_violations
from decisions import services as d
from fundmgr.errors import InsufficientFunds
from tests.factories import ApplicationFactory
from tests.postgres.test_ledger import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


def test_two_approvals_racing_for_the_last_pounds_exactly_one_succeeds(
    on_postgres, draft, treasurer, officer, officer2, shaw
):
    """Shaw pledged £600 and £400 of £1,000; then £300 moved to a colleague. Only one of the
    two awards still fits, and when both are approved at once exactly one goes through."""
    second = ApplicationFactory(
        fund_year=draft.fund_year, organisation=draft.organisation, reference="CCIF26-000777"
    )
    for app, amount in ((draft, D("600.00")), (second, D("400.00"))):
        app.amount_requested = app.total_cost = amount
        app.save()
        app.budget_lines.update(cost=amount)
        s.application_submit(application=app, by=treasurer)
        s.application_mark_eligible(application=app, by=officer)
        support.pledge_make(
            application=app, councillor=shaw, amount=amount, statement="Yes", by=shaw.user
        )
        d.assessment_record(
            application=app,
            by=officer,
            recommendation="approve",
            recommended_amount=amount,
            notes="ok",
        )
    okafor = draft.organisation.ward.councillors.exclude(pk=shaw.pk).first()
    ledger.allocation_transfer(
        fund_year=draft.fund_year,
        from_councillor=shaw,
        to_councillor=okafor,
        amount=D("300.00"),
        by=None,
        key="move",
    )
    apps = [draft, second]

    def approve(i):
        app = Application.objects.get(pk=apps[i].pk)
        return d.decision_record(
            application=app,
            by=officer2,
            outcome="approve",
            amount=app.amount_requested,
            reasons="ok",
        )

    results = run_together(2, approve)
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert len(refused) == 1, results
    assert "Cllr Shaw has" in refused[0].message
    statuses = sorted(
        Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("status", flat=True)
    )
    assert statuses == sorted([Status.APPROVED, Status.AWAITING_DECISION])
    assert ledger.allocation_account(draft.fund_year, shaw).balance in (D("100.00"), D("300.00"))
    assert ledger_violations() == []
