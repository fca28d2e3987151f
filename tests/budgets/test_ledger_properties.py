"""Property: whatever sequence of postings people attempt, every ledger invariant holds after each
one, and a refused posting changes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgets import ledger
from budgets.integrity import ledger_violations
from budgets.models import Account, FinancialYear, LedgerTransaction
from fundmgr.errors import DomainError
from tests.factories import CouncillorFactory, FundYearFactory, WardFactory

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1500.00"), places=2)
who = st.integers(min_value=0, max_value=2)
grant = st.integers(min_value=0, max_value=3)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("allocate"), who, amounts),
        st.tuples(st.just("transfer"), who, who, amounts),
        st.tuples(st.just("commit"), grant, who, amounts, who, amounts),
        st.tuples(st.just("commit_pot"), grant, amounts),
        st.tuples(st.just("pay"), grant, amounts),
        st.tuples(st.just("release"), grant),
        st.tuples(st.just("refund"), grant, amounts),
        st.tuples(
            st.just("reverse_last"),
            st.text(st.characters(categories=["L", "N", "P", "Zs"]), min_size=1, max_size=10),
        ),
        st.tuples(
            st.just("close_year"),
        ),
    ),
    max_size=20,
)


def state():
    return (
        sorted(Account.objects.values_list("pk", "balance")),
        LedgerTransaction.objects.count(),
    )


def apply(op, world, step):
    fy, people = world
    name = op[0]
    if name == "allocate":
        ledger.allocation_make(fund_year=fy, councillor=people[op[1]], amount=op[2], by=None)
    elif name == "transfer":
        ledger.allocation_transfer(
            fund_year=fy,
            from_councillor=people[op[1]],
            to_councillor=people[op[2]],
            amount=op[3],
            by=None,
            key=f"t{step}",
            on=datetime.date(2026, 6, 1),
        )
    elif name == "commit":
        ledger.commitment_make(
            fund_year=fy,
            reference=f"CCIF26-{op[1]:06d}",
            shares=[(people[op[2]], op[3]), (people[op[4]], op[5])],
            by=None,
            key=f"c{step}",
        )
    elif name == "commit_pot":
        ledger.commitment_make(
            fund_year=fy,
            reference=f"CCIF26-{op[1]:06d}",
            shares=[(None, op[2])],
            by=None,
            key=f"c{step}",
        )
    elif name == "pay":
        ledger.payment_post(reference=f"CCIF26-{op[1]:06d}", amount=op[2], by=None, key=f"p{step}")
    elif name == "release":
        ledger.commitment_release(reference=f"CCIF26-{op[1]:06d}", by=None, key=f"r{step}")
    elif name == "refund":
        ledger.refund_post(reference=f"CCIF26-{op[1]:06d}", amount=op[2], by=None, key=f"f{step}")
    elif name == "reverse_last":
        last = LedgerTransaction.objects.exclude(kind="reversal").order_by("-pk").first()
        if last is not None:
            ledger.transaction_reverse(posting=last, by=None, reason=op[1])
    elif name == "close_year":
        ledger.year_close(year=fy.year, by=None)
        fy.year.refresh_from_db()


@pytest.mark.slow
@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_random_postings_keep_every_invariant(ops):
    with transaction.atomic():
        fy = FundYearFactory()
        FundYearFactory(
            fund=fy.fund, year=FinancialYear.objects.create(start=datetime.date(2027, 4, 1))
        )
        ledger.budget_set(fund_year=fy, total=Decimal("3000.00"), by=None)
        ward = WardFactory()
        people = [CouncillorFactory(ward=ward), CouncillorFactory(ward=ward), CouncillorFactory()]
        for step, op in enumerate(ops):
            before = state()
            try:
                with transaction.atomic():
                    apply(op, (fy, people), step)
            except DomainError:
                assert state() == before, f"refused {op} changed the ledger"
            assert ledger_violations() == [], f"after {op}"
        call_command("check_ledger", stdout=open("/dev/null", "w"))
        transaction.set_rollback(True)
