"""On PostgreSQL a posting is one statement, and so is a commitment or a transfer with its
accounts (issue 17): the posting's row, the locks, the balances, the entries and any account
created on first use go in one round trip; a refusal changes nothing.

Counted as Django records them, BEGIN and COMMIT included (django-hordak's transfer_to: 5)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets import ledger
from budgets.integrity import ledger_violations
from budgets.models import Account, Entry, FundYear, LedgerTransaction
from fundmgr.errors import InsufficientFunds
from tests.factories import CouncillorFactory, FundYearFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

POST_STATEMENTS = 1  # outside a transaction, its own commit; before issue 17: 10
TRANSFER_STATEMENTS = 3  # BEGIN, the posting with its accounts, COMMIT; before: 12
# BEGIN, the posting with its accounts (new ones created), COMMIT; before: 29 for three shares
COMMITMENT_STATEMENTS = 3


@pytest.fixture
def allocated(on_postgres):
    """A fund year (its year and fund loaded, as services hold it) and two ward colleagues
    allocated £1,000.00 and £50.00."""
    fund_year = FundYearFactory()
    ledger.budget_set(fund_year=fund_year, total=Decimal("5000.00"), by=None)
    rich = CouncillorFactory(name="Ada Rich")
    poor = CouncillorFactory(name="Bo Poor", ward=rich.ward)
    for councillor, amount in ((rich, "1000.00"), (poor, "50.00")):
        ledger.allocation_make(
            fund_year=fund_year, councillor=councillor, amount=Decimal(amount), by=None
        )
    fund_year = FundYear.objects.select_related("year", "fund").get(pk=fund_year.pk)
    return fund_year, rich, poor


def _balances():
    return dict(Account.objects.values_list("pk", "balance"))


def test_a_posting_is_one_statement(allocated):
    fund_year, rich, poor = allocated
    sender = ledger.allocation_account(fund_year, rich)
    recipient = ledger.allocation_account(fund_year, poor)
    lines = [ledger.Line(sender, Decimal("-10.00")), ledger.Line(recipient, Decimal("10.00"))]
    with CaptureQueriesContext(connection) as queries:
        posting = ledger.post(kind="transfer", key="t:1", lines=lines, memo="test", by=None)
    assert len(queries) == POST_STATEMENTS, [q["sql"] for q in queries]
    assert posting.pk and posting.entries.count() == 2
    assert ledger.allocation_account(fund_year, rich).balance == Decimal("990.00")
    assert ledger.allocation_account(fund_year, poor).balance == Decimal("60.00")
    # The same key again: the statement posts nothing, and one read finds the first posting.
    with CaptureQueriesContext(connection) as queries:
        again = ledger.post(kind="transfer", key="t:1", lines=lines, memo="test", by=None)
    assert again.pk == posting.pk and len(queries) == POST_STATEMENTS + 1
    assert ledger.allocation_account(fund_year, rich).balance == Decimal("990.00")
    assert ledger_violations() == []


def test_a_refused_posting_outside_a_transaction_changes_nothing(allocated):
    """One statement is its own commit there: refused, it must have written nothing at all."""
    fund_year, rich, poor = allocated
    sender = ledger.allocation_account(fund_year, poor)
    recipient = ledger.allocation_account(fund_year, rich)
    lines = [ledger.Line(sender, Decimal("-50.01")), ledger.Line(recipient, Decimal("50.01"))]
    before = _balances()
    with pytest.raises(InsufficientFunds) as refused:
        ledger.post(kind="transfer", key="t:2", lines=lines, memo="t", by=None, purpose="this")
    assert str(refused.value) == (
        f"Cllr Poor has £50.00 left in the {fund_year.year.label} {fund_year.fund.code} "
        "allocation; this needs £50.01."
    )
    assert _balances() == before
    assert not LedgerTransaction.objects.filter(idempotency_key="t:2").exists()


def test_a_reused_key_returns_the_first_posting_even_once_the_money_is_spent(allocated):
    fund_year, rich, poor = allocated
    sender = ledger.allocation_account(fund_year, poor)
    recipient = ledger.allocation_account(fund_year, rich)
    lines = [ledger.Line(sender, Decimal("-50.00")), ledger.Line(recipient, Decimal("50.00"))]
    first = ledger.post(kind="transfer", key="t:3", lines=lines, memo="t", by=None)
    again = ledger.post(kind="transfer", key="t:3", lines=lines, memo="t", by=None)
    assert again.pk == first.pk
    assert ledger.allocation_account(fund_year, poor).balance == Decimal("0.00")
    assert Entry.objects.filter(transaction=first).count() == 2


def test_a_transfer_through_the_service_is_one_statement_in_its_transaction(allocated):
    fund_year, rich, poor = allocated
    with CaptureQueriesContext(connection) as queries:
        ledger.allocation_transfer(
            fund_year=fund_year,
            from_councillor=rich,
            to_councillor=poor,
            amount=Decimal("25.00"),
            by=None,
            key="transfer:1",
        )
    assert len(queries) == TRANSFER_STATEMENTS, [q["sql"] for q in queries]
    assert ledger.allocation_account(fund_year, poor).balance == Decimal("75.00")


def test_a_commitment_is_one_statement_in_its_transaction_even_creating_its_accounts(allocated):
    fund_year, rich, poor = allocated
    with CaptureQueriesContext(connection) as queries:
        posting = ledger.commitment_make(
            fund_year=fund_year,
            reference="CCIF26-000777",
            shares=[(rich, Decimal("100.00")), (poor, Decimal("20.00")), (None, Decimal("5.00"))],
            by=None,
        )
    assert len(queries) == COMMITMENT_STATEMENTS, [q["sql"] for q in queries]
    assert posting.entries.count() == 6
    assert ledger.committed_balance("CCIF26-000777") == Decimal("125.00")
    assert ledger.allocation_account(fund_year, rich).balance == Decimal("900.00")
    assert ledger.pot_account(fund_year).balance == Decimal("3945.00")
    assert ledger_violations() == []


def test_a_refused_commitment_changes_nothing_and_names_the_short_account(allocated):
    fund_year, rich, poor = allocated
    before = _balances()
    entries, postings = Entry.objects.count(), LedgerTransaction.objects.count()
    with pytest.raises(InsufficientFunds) as refused:
        ledger.commitment_make(
            fund_year=fund_year,
            reference="CCIF26-000778",
            shares=[(rich, Decimal("100.00")), (poor, Decimal("60.00"))],
            by=None,
        )
    assert str(refused.value) == (
        f"Cllr Poor has £50.00 left in the {fund_year.year.label} {fund_year.fund.code} "
        "allocation; committing £160.00 to CCIF26-000778 needs £60.00."
    )
    after = _balances()
    # Nothing changed: not the rich councillor's balance (locked and checked first), no posting,
    # no entry. (The commitment accounts created on the way went with the rolled-back work.)
    assert {pk: after[pk] for pk in before} == before
    assert Entry.objects.count() == entries
    assert LedgerTransaction.objects.count() == postings
    assert not LedgerTransaction.objects.filter(idempotency_key="commit:CCIF26-000778").exists()
    assert ledger_violations() == []


def test_a_short_pot_is_named_too(allocated):
    fund_year, rich, _ = allocated
    with pytest.raises(InsufficientFunds, match=r"pot has £3,950\.00 unallocated"):
        ledger.commitment_make(
            fund_year=fund_year,
            reference="CCIF26-000779",
            shares=[(rich, Decimal("10.00")), (None, Decimal("4000.00"))],
            by=None,
        )
    assert ledger.allocation_account(fund_year, rich).balance == Decimal("1000.00")


def test_a_commitment_from_an_allocation_never_made_is_refused_by_name(allocated):
    """The account does not exist yet, so the one statement posts nothing; the longer way
    creates it and refuses it as before."""
    fund_year, rich, _ = allocated
    newcomer = CouncillorFactory(name="Cy New", ward=rich.ward)
    with pytest.raises(InsufficientFunds) as refused:
        ledger.commitment_make(
            fund_year=fund_year,
            reference="CCIF26-000780",
            shares=[(rich, Decimal("10.00")), (newcomer, Decimal("10.00"))],
            by=None,
        )
    assert str(refused.value).startswith("Cllr New has £0.00 left in the ")
    assert ledger.allocation_account(fund_year, rich).balance == Decimal("1000.00")
    assert not LedgerTransaction.objects.filter(idempotency_key="commit:CCIF26-000780").exists()
    assert ledger_violations() == []
