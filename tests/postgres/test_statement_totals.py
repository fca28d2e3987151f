"""On PostgreSQL: an allocation account's totals by kind of posting are kept by a trigger on the
ledger's entries (budgets/migrations/0012_kind_totals.py), so a budget statement reads a few
rows, not every entry; after any run of allocations, transfers, commitments and releases they
equal the entries summed again, and a page of the statement shows the same running balances
as the whole statement does, read from that page's entries alone."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets import ledger, selectors
from budgets.models import Account, KindTotal
from fundmgr.errors import DomainError
from tests.factories import CouncillorFactory, FundYearFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
D = Decimal


@pytest.fixture
def busy(on_postgres):
    """Two ward colleagues and a run of random postings between them and grants."""
    rng = random.Random(17)
    fund_year = FundYearFactory()
    ledger.budget_set(fund_year=fund_year, total=D("50000.00"), by=None)
    a = CouncillorFactory(name="Ada Rich")
    b = CouncillorFactory(name="Bo Poor", ward=a.ward)
    for member in (a, b):
        ledger.allocation_make(fund_year=fund_year, councillor=member, amount=D("5000"), by=None)
    for i in range(130):
        one, other = rng.sample([a, b], 2)
        amount = D(rng.randint(1, 9000)) / 100
        try:
            if i % 3 == 0:
                ledger.allocation_transfer(
                    fund_year=fund_year,
                    from_councillor=one,
                    to_councillor=other,
                    amount=amount,
                    by=None,
                    key=f"t{i}",
                )
            else:
                ref = f"CCIF26-{i:06d}"
                ledger.commitment_make(
                    fund_year=fund_year, reference=ref, shares=[(one, amount)], by=None
                )
                if i % 2:
                    ledger.commitment_release(reference=ref, by=None, key=f"r{i}")
        except DomainError:
            pass
    return fund_year, a, b


def test_the_kept_totals_equal_the_entries_summed(busy):
    fund_year, a, b = busy
    accounts = Account.objects.filter(kind=Account.Kind.ALLOCATION, fund_year=fund_year)
    assert accounts.count() == 2
    for account in accounts:
        kept = sorted(selectors._kept(account), key=lambda r: r["kind"])
        summed = sorted(selectors._summed(account), key=lambda r: r["kind"])
        assert kept == summed
        assert {r["kind"] for r in kept} >= {"allocation", "transfer", "commitment", "release"}
    assert not KindTotal.objects.exclude(account__kind=Account.Kind.ALLOCATION).exists()


def test_every_page_shows_the_running_balance_of_the_whole_statement(busy):
    fund_year, a, _ = busy
    whole = selectors.statement(fund_year=fund_year, councillor=a)
    assert len(whole.rows) > 2 * selectors.STATEMENT_PAGE_SIZE
    assert whole.rows[-1].balance == whole.closing
    pages = -(-len(whole.rows) // selectors.STATEMENT_PAGE_SIZE)
    seen = []
    for number in range(1, pages + 1):
        page = selectors.statement(fund_year=fund_year, councillor=a, page=number)
        assert page.totals == whole.totals and page.page.paginator.count == len(whole.rows)
        seen += [(r.entry_id, r.amount, r.balance) for r in page.rows]
    assert seen == [(r.entry_id, r.amount, r.balance) for r in whole.rows]


def test_a_page_reads_the_kept_totals_not_every_entry(busy):
    fund_year, a, _ = busy
    with CaptureQueriesContext(connection) as queries:
        selectors.statement(fund_year=fund_year, councillor=a, page=1)
    sql = [q["sql"] for q in queries]
    assert any("budgets_kindtotal" in q for q in sql)
    assert not [q for q in sql if "budgets_entry" in q and "GROUP BY" in q]  # no sum of them
    assert not [q for q in sql if "OVER" in q]  # no running sum over every entry
