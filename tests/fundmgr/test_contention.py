"""A deadlock or serialisation failure is run again a bounded number of times (fundmgr.contention),
then refused with a 409 and words a person can act on, on the API and the pages; never a 500.

The database's error is forced here (it needs two connections racing to happen for real:
tests/postgres/test_contention.py), so these run on SQLite too. Retries happen only in the
outermost transaction, so the tests that need one commit for real (transaction=True)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import psycopg.errors
import pytest
from django.db import OperationalError

from applications import support
from budgets import ledger
from budgets.models import LedgerTransaction
from fundmgr import contention
from fundmgr.errors import SimultaneousChange
from tests.api_fixtures import API, PROBLEM, client_for
from tests.pages.test_councillors import error_summary, hidden_key

D = Decimal
MESSAGE = (
    "Someone else was changing the same budget at that moment; nothing was changed. "
    "Please try again."
)


def database_error(cause: Exception) -> OperationalError:
    """What Django raises for the driver's error: its own class, the driver's as the cause."""
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


def deadlock() -> OperationalError:
    return database_error(psycopg.errors.DeadlockDetected("deadlock detected"))


@pytest.fixture
def losing(monkeypatch):
    """Make the allocations' lock fail with a deadlock the first `times` times it is taken
    (after the transfer has begun), as PostgreSQL does to the loser of a lock cycle."""

    def arrange(times: int, error=deadlock):
        real = ledger.lock_allocations
        calls = {"n": 0}

        def lock(fund_year, councillors):
            calls["n"] += 1
            if calls["n"] <= times:
                raise error()
            return real(fund_year, councillors)

        monkeypatch.setattr(ledger, "lock_allocations", lock)
        monkeypatch.setattr(contention, "BACKOFF", 0.001)
        return calls

    contention.counts_reset()
    return arrange


def balances(fund_year, *councillors) -> list[Decimal]:
    return [ledger.allocation_account(fund_year, c).balance for c in councillors]


def transfer_body(fund_year, to, amount="150.00") -> dict:
    return {
        "key": str(uuid.uuid4()),
        "fund_year": fund_year.pk,
        "to_councillor": to.pk,
        "amount": amount,
    }


@pytest.mark.django_db(transaction=True)
def test_a_transfer_that_meets_a_deadlock_is_run_again_and_succeeds_once(
    losing, fund_year, shaw, okafor
):
    ledger.allocate_year(fund_year=fund_year, by=None)
    calls = losing(times=1)
    response = client_for(shaw.user).post(
        f"{API}/allocation-transfers/", transfer_body(fund_year, okafor)
    )
    assert response.status_code == 201, response.content
    assert calls["n"] == 2
    assert contention.counts() == {"retried": 1, "gave_up": 0}
    assert balances(fund_year, shaw, okafor) == [D("850.00"), D("1150.00")]
    assert LedgerTransaction.objects.filter(kind="transfer").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_serialisation_failure_is_run_again_too(losing, fund_year, shaw, okafor):
    ledger.allocate_year(fund_year=fund_year, by=None)
    losing(
        times=2,
        error=lambda: database_error(psycopg.errors.SerializationFailure("could not serialize")),
    )
    support.councillor_transfer(
        fund_year=fund_year,
        from_councillor=shaw,
        to_councillor=okafor,
        amount=D("100.00"),
        by=shaw.user,
        key="transfer:serialisation",
    )
    assert contention.counts() == {"retried": 2, "gave_up": 0}
    assert balances(fund_year, shaw, okafor) == [D("900.00"), D("1100.00")]


@pytest.mark.django_db(transaction=True)
def test_when_every_attempt_deadlocks_the_api_answers_409_and_nothing_moves(
    losing, fund_year, shaw, okafor
):
    ledger.allocate_year(fund_year=fund_year, by=None)
    calls = losing(times=contention.ATTEMPTS)
    response = client_for(shaw.user).post(
        f"{API}/allocation-transfers/", transfer_body(fund_year, okafor)
    )
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == MESSAGE
    assert calls["n"] == contention.ATTEMPTS == 3
    assert contention.counts() == {"retried": 2, "gave_up": 1}
    assert balances(fund_year, shaw, okafor) == [D("1000.00"), D("1000.00")]
    assert not LedgerTransaction.objects.filter(kind="transfer").exists()


@pytest.mark.django_db(transaction=True)
def test_when_every_attempt_deadlocks_the_page_says_so_in_the_error_summary(
    losing, client, fund_year, shaw, okafor
):
    ledger.allocate_year(fund_year=fund_year, by=None)
    client.force_login(shaw.user)
    key = hidden_key(client.get("/councillor/transfer/").text)
    losing(times=contention.ATTEMPTS)
    response = client.post(
        "/councillor/transfer/",
        {
            "key": key,
            "fund_year": fund_year.pk,
            "colleague": okafor.pk,
            "amount": "250.00",
            "confirm": "yes",
        },
    )
    assert response.status_code == 200
    assert MESSAGE in error_summary(response.text)
    assert balances(fund_year, shaw, okafor) == [D("1000.00"), D("1000.00")]


@pytest.mark.django_db(transaction=True)
def test_another_database_error_is_not_retried(losing, fund_year, shaw, okafor):
    ledger.allocate_year(fund_year=fund_year, by=None)
    calls = losing(times=1, error=lambda: database_error(psycopg.errors.DiskFull("disk full")))
    with pytest.raises(OperationalError, match="disk full"):
        support.councillor_transfer(
            fund_year=fund_year,
            from_councillor=shaw,
            to_councillor=okafor,
            amount=D("100.00"),
            by=shaw.user,
            key="transfer:disk",
        )
    assert calls["n"] == 1
    assert contention.counts() == {"retried": 0, "gave_up": 0}


@pytest.mark.django_db
def test_inside_a_callers_transaction_the_error_goes_up_unretried(losing, fund_year, shaw, okafor):
    """Only the outermost transaction can be run again: here the test's own is outermost."""
    ledger.allocate_year(fund_year=fund_year, by=None)
    calls = losing(times=1)
    with pytest.raises(OperationalError):
        support.councillor_transfer(
            fund_year=fund_year,
            from_councillor=shaw,
            to_councillor=okafor,
            amount=D("100.00"),
            by=shaw.user,
            key="transfer:nested",
        )
    assert calls["n"] == 1
    assert contention.counts() == {"retried": 0, "gave_up": 0}


@pytest.mark.django_db
def test_a_deadlock_no_service_retried_is_a_409_on_the_api_not_a_500(
    monkeypatch, fund_year, shaw, okafor
):
    ledger.allocate_year(fund_year=fund_year, by=None)

    def deadlocked(**kwargs):
        raise deadlock()

    monkeypatch.setattr(support, "councillor_transfer", deadlocked)
    response = client_for(shaw.user).post(
        f"{API}/allocation-transfers/", transfer_body(fund_year, okafor)
    )
    assert response.status_code == 409
    assert response.json()["detail"] == MESSAGE


@pytest.mark.django_db
def test_a_deadlock_no_service_retried_is_a_409_page_not_a_500(
    monkeypatch, client, fund_year, shaw, okafor
):
    ledger.allocate_year(fund_year=fund_year, by=None)
    client.force_login(shaw.user)
    key = hidden_key(client.get("/councillor/transfer/").text)

    def deadlocked(**kwargs):
        raise deadlock()

    monkeypatch.setattr(support, "councillor_transfer", deadlocked)
    response = client.post(
        "/councillor/transfer/",
        {
            "key": key,
            "fund_year": fund_year.pk,
            "colleague": okafor.pk,
            "amount": "250.00",
            "confirm": "yes",
        },
    )
    assert response.status_code == 409
    assert MESSAGE in error_summary(response.text)
    assert "Nothing was changed" in response.text


def test_the_refusal_is_a_409_with_the_message():
    assert SimultaneousChange().status_code == 409
    assert SimultaneousChange().message == MESSAGE
