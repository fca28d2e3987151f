"""On PostgreSQL, with real threads: two finance officers checking one bank reconciliation at
once, and two preparing the same day at once."""

import pytest

from finance import bank_reconciliation
from finance.models import BankReconciliation
from fundmgr.errors import Refused
from tests.factories import UserFactory
from tests.finance.test_bank_reconciliation import after, books, day, finance2, media
from tests.postgres.test_ledger import run_together

__all__ = ["books", "finance2", "media"]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_officers_checking_at_once_sign_it_off_once(on_postgres, books, finance, finance2):
    with after(day(30)):
        rec = bank_reconciliation.reconciliation_prepare(
            as_at=day(30), by=finance, explanation="A bank fee."
        )
    officers = [finance2, UserFactory(username="finance3", roles=["Finance officer"])]

    def check(i):
        return bank_reconciliation.reconciliation_check(
            reconciliation=BankReconciliation.objects.get(pk=rec.pk), by=officers[i]
        )

    results = run_together(2, check)
    done = [r for r in results if isinstance(r, BankReconciliation)]
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(done) == 1 and len(refused) == 1, results
    assert "is locked" in refused[0].message
    rec.refresh_from_db()
    assert rec.locked and rec.checked_by == done[0].checked_by


def test_two_officers_preparing_one_day_at_once_make_one_reconciliation(
    on_postgres, books, finance, finance2
):
    officers = [finance, finance2]

    def prepare(i):
        return bank_reconciliation.reconciliation_prepare(as_at=day(30), by=officers[i])

    with after(day(30)):  # the clock is moved once, for both threads
        results = run_together(2, prepare)
    assert all(isinstance(r, BankReconciliation | Refused) for r in results), results
    assert BankReconciliation.objects.count() == 1
