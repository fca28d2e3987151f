"""On a real PostgreSQL server: concurrency, and the database's own guards on the ledger."""

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from budgets import ledger
from budgets.integrity import ledger_violations
from budgets.models import Entry, LedgerTransaction
from fundmgr.errors import InsufficientFunds
from tests.factories import CouncillorFactory, FundYearFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(count, work):
    """Run `work(i)` in `count` threads released at the same instant; return their results."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread met
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def councillor_with_1000(on_postgres):
    fund_year = FundYearFactory()
    ledger.budget_set(fund_year=fund_year, total=Decimal("5000.00"), by=None)
    councillor = CouncillorFactory()
    ledger.allocation_make(
        fund_year=fund_year, councillor=councillor, amount=Decimal("1000.00"), by=None
    )
    return fund_year, councillor


def test_twenty_concurrent_100_pound_commitments_against_1000_exactly_ten_succeed(
    councillor_with_1000,
):
    fund_year, councillor = councillor_with_1000

    def commit(i):
        return ledger.commitment_make(
            fund_year=fund_year,
            reference=f"CCIF26-{i:06d}",
            shares=[(councillor, Decimal("100.00"))],
            by=None,
        )

    results = run_together(20, commit)
    succeeded = [r for r in results if isinstance(r, LedgerTransaction)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert len(succeeded) == 10
    assert len(refused) == 10, [r for r in results if not isinstance(r, LedgerTransaction)]
    account = ledger.allocation_account(fund_year, councillor)
    assert account.balance == Decimal("0.00")
    assert ledger_violations() == []


def test_the_same_idempotency_key_raced_by_ten_requests_posts_once(councillor_with_1000):
    fund_year, councillor = councillor_with_1000

    def commit(i):
        return ledger.commitment_make(
            fund_year=fund_year,
            reference="CCIF26-000001",
            shares=[(councillor, Decimal("100.00"))],
            by=None,
        ).pk

    results = run_together(10, commit)
    assert len(set(results)) == 1, results
    assert ledger.allocation_account(fund_year, councillor).balance == Decimal("900.00")
    assert ledger_violations() == []


def test_the_database_refuses_to_update_or_delete_an_entry(councillor_with_1000):
    entry_id = Entry.objects.values_list("pk", flat=True).first()
    for sql in (
        "UPDATE budgets_entry SET amount = 1 WHERE id = %s",
        "DELETE FROM budgets_entry WHERE id = %s",
        "DELETE FROM budgets_ledgertransaction WHERE id = "
        "(SELECT transaction_id FROM budgets_entry WHERE id = %s)",
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [entry_id])


def test_the_database_refuses_to_commit_an_unbalanced_transaction(councillor_with_1000):
    fund_year, councillor = councillor_with_1000
    account = ledger.allocation_account(fund_year, councillor)
    with pytest.raises((IntegrityError, InternalError), match="unbalanced"):
        with transaction.atomic():
            posting = LedgerTransaction.objects.create(
                kind="transfer", idempotency_key="x", memo="x"
            )
            Entry.objects.create(transaction=posting, account=account, amount=Decimal("5.00"))
    assert not LedgerTransaction.objects.filter(idempotency_key="x").exists()


def test_concurrent_commitments_to_one_grant_share_the_account_they_create(councillor_with_1000):
    """Five commitments to the same grant at once, each with its own key: each creates the grant's
    commitment account if it is missing (`accounts_for`, one statement); those that lose the race
    to create it find the winner's row, and all five post to the one account."""
    fund_year, councillor = councillor_with_1000

    def commit(i):
        return ledger.commitment_make(
            fund_year=fund_year,
            reference="CCIF26-000042",
            shares=[(councillor, Decimal("100.00"))],
            by=None,
            key=f"commit:CCIF26-000042:{i}",
        )

    results = run_together(5, commit)
    assert all(isinstance(r, LedgerTransaction) for r in results), results
    assert ledger.committed_balance("CCIF26-000042") == Decimal("500.00")
    assert ledger.allocation_account(fund_year, councillor).balance == Decimal("500.00")
    assert ledger_violations() == []
