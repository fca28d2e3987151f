"""On PostgreSQL, with real threads: two finance officers authorising the same run at once."""

from decimal import Decimal

import pytest

from budgets.integrity import ledger_violations
from budgets.models import LedgerTransaction, PaymentFile, PaymentRun
from finance import payments as pay
from fundmgr.errors import Refused
from tests.factories import UserFactory
from tests.payments_fixtures import accepted, finance2, prepared_run
from tests.postgres.test_ledger import run_together

__all__ = ["accepted", "finance2"]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


def test_two_officers_authorising_one_run_at_once_pay_it_once(
    on_postgres, accepted, finance, finance2
):
    run = prepared_run(finance)
    third = UserFactory(username="finance3", roles=["Finance officer"])
    officers = [finance2, third]

    def authorise(i):
        return pay.payment_run_authorise(run=PaymentRun.objects.get(pk=run.pk), by=officers[i])

    results = run_together(2, authorise)
    refused = [r for r in results if isinstance(r, Refused)]
    done = [r for r in results if isinstance(r, PaymentRun)]
    assert len(done) == 1 and len(refused) == 1, results
    assert f"Run {run.number} was authorised by" in refused[0].message
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1
    assert PaymentFile.objects.filter(run=run).count() == 2
    accepted.refresh_from_db()
    assert accepted.paid_to_date == D("500.00")
    assert ledger_violations() == []


def test_two_officers_preparing_at_once_never_put_a_payment_in_two_runs(
    on_postgres, accepted, finance, finance2
):
    officers = [finance, finance2]
    results = run_together(2, lambda i: prepared_run(officers[i]))
    assert sum(isinstance(r, PaymentRun) for r in results) == 1, results
    assert all(isinstance(r, (PaymentRun, Refused)) for r in results), results
    assert PaymentRun.objects.filter(status="prepared").count() == 1
