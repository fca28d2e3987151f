"""The budget ledger: every posting and every refusal, as a council's finance officer sees them."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from budgets import ledger
from budgets.integrity import ledger_violations
from budgets.models import Account, Entry, FinancialYear, FundYear, LedgerTransaction, YearEnd
from fundmgr.errors import ClosedYear, InsufficientFunds, InvalidInput, OutsideTerm, Refused
from tests.conftest import balance
from tests.factories import CouncillorFactory, FundFactory, FundYearFactory, WardFactory

D = Decimal
pytestmark = pytest.mark.django_db


def snapshot():
    """Everything the ledger holds, to prove a refusal wrote nothing."""
    return (
        list(Account.objects.order_by("pk").values_list("pk", "balance")),
        LedgerTransaction.objects.count(),
        Entry.objects.count(),
    )


# --- budget ---------------------------------------------------------------------------------


def test_setting_the_budget_moves_money_from_source_to_pot(fund_year):
    assert ledger.pot_account(fund_year).balance == D("10000.00")
    assert ledger.source_account(fund_year).balance == D("-10000.00")
    assert fund_year.total_budget == D("10000.00")


def test_topping_up_the_budget_posts_only_the_difference(fund_year):
    ledger.budget_set(fund_year=fund_year, total=D("12500.00"), by=None)
    assert balance(ledger.pot_account(fund_year)) == D("12500.00")
    assert LedgerTransaction.objects.filter(kind="budget").count() == 2


def test_setting_the_same_budget_again_posts_nothing(fund_year):
    before = snapshot()
    assert ledger.budget_set(fund_year=fund_year, total=D("10000.00"), by=None) is None
    assert snapshot() == before


def test_reducing_the_budget_below_what_is_allocated_is_refused(fund_year, shaw):
    ledger.allocation_make(fund_year=fund_year, councillor=shaw, amount=D("9500.00"), by=None)
    before = snapshot()
    with pytest.raises(InsufficientFunds) as refused:
        ledger.budget_set(fund_year=fund_year, total=D("100.00"), by=None)
    assert refused.value.message == (
        "The 2026/27 CCIF pot has £500.00 unallocated; reducing the budget by £9,900.00 "
        "needs £9,900.00."
    )
    assert snapshot() == before
    fund_year.refresh_from_db()
    assert fund_year.total_budget == D("10000.00")


def test_a_negative_budget_is_refused(fund_year):
    with pytest.raises(InvalidInput, match="£0.00 or more"):
        ledger.budget_set(fund_year=fund_year, total=D("-1.00"), by=None)


# --- allocations ----------------------------------------------------------------------------


def test_allocation_moves_money_from_pot_to_the_councillor(fund_year, shaw):
    ledger.allocation_make(fund_year=fund_year, councillor=shaw, by=None)
    assert ledger.allocation_account(fund_year, shaw).balance == D("1000.00")
    assert balance(ledger.pot_account(fund_year)) == D("9000.00")


def test_allocating_twice_posts_once(fund_year, shaw):
    first = ledger.allocation_make(fund_year=fund_year, councillor=shaw, by=None)
    second = ledger.allocation_make(fund_year=fund_year, councillor=shaw, by=None)
    assert first.pk == second.pk
    assert ledger.allocation_account(fund_year, shaw).balance == D("1000.00")


def test_allocation_larger_than_the_pot_is_refused(fund_year, shaw):
    before = snapshot()
    with pytest.raises(InsufficientFunds) as refused:
        ledger.allocation_make(fund_year=fund_year, councillor=shaw, amount=D("10000.01"), by=None)
    assert refused.value.message == (
        "The 2026/27 CCIF pot has £10,000.00 unallocated; an allocation of £10,000.01 "
        "to Cllr Sam Shaw needs £10,000.01."
    )
    assert snapshot()[1:] == before[1:]


@pytest.mark.parametrize("amount", [D("0.00"), D("-5.00"), D("1.234")])
def test_allocation_of_zero_negative_or_fractional_pence_is_refused(fund_year, shaw, amount):
    before = snapshot()
    with pytest.raises(InvalidInput, match="The allocation must"):
        ledger.allocation_make(fund_year=fund_year, councillor=shaw, amount=amount, by=None)
    assert snapshot() == before


def test_allocation_to_a_councillor_outside_their_term_is_refused(fund_year, ward):
    retired = CouncillorFactory(
        ward=ward,
        name="Former Member",
        term_start=datetime.date(2019, 5, 2),
        term_end=datetime.date(2026, 3, 1),
    )
    with pytest.raises(OutsideTerm, match="not in office at any time in 2026/27"):
        ledger.allocation_make(fund_year=fund_year, councillor=retired, by=None)


def test_allocation_in_a_closed_year_is_refused(fund_year, shaw):
    FundYear.objects.filter(pk=fund_year.pk).update(is_closed=True)
    fund_year.refresh_from_db()
    with pytest.raises(ClosedYear, match="2026/27 financial year is closed"):
        ledger.allocation_make(fund_year=fund_year, councillor=shaw, by=None)


def test_a_central_pot_fund_has_no_allocations(db, shaw):
    caf = FundYearFactory(
        fund=FundFactory(code="CAF", kind="community_asset", name="Community Asset Fund"),
        funded_from=FundYear.FundedFrom.CENTRAL_POT,
    )
    with pytest.raises(Refused, match="paid from the central pot"):
        ledger.allocation_make(fund_year=caf, councillor=shaw, amount=D("10.00"), by=None)


def test_allocate_year_gives_every_councillor_in_office_their_share(fund_year, shaw, okafor):
    CouncillorFactory(term_start=datetime.date(2020, 5, 1), term_end=datetime.date(2025, 5, 1))
    summary = ledger.allocate_year(fund_year=fund_year, by=None)
    assert [c for c, _ in summary.allocated] == [shaw, okafor]
    assert summary.total == D("2000.00")
    assert balance(ledger.pot_account(fund_year)) == D("8000.00")


def test_allocate_year_again_allocates_only_newcomers(fund_year, shaw, okafor, ward):
    ledger.allocate_year(fund_year=fund_year, by=None)
    newcomer = CouncillorFactory(ward=ward, term_start=datetime.date(2026, 10, 1))
    summary = ledger.allocate_year(fund_year=fund_year, by=None)
    assert [c for c, _ in summary.allocated] == [newcomer]
    assert set(summary.already) == {shaw, okafor}


def test_allocate_year_with_too_small_a_pot_allocates_nobody(fund_year, shaw, okafor):
    ledger.budget_set(fund_year=fund_year, total=D("1500.00"), by=None)
    before = snapshot()
    with pytest.raises(InsufficientFunds) as refused:
        ledger.allocate_year(fund_year=fund_year, by=None)
    assert refused.value.message == (
        "The 2026/27 CCIF pot has £1,500.00 unallocated; allocating £1,000.00 to each of "
        "2 councillors needs £2,000.00."
    )
    assert snapshot() == before


# --- transfers ------------------------------------------------------------------------------


@pytest.fixture
def allocated(fund_year, shaw, okafor):
    ledger.allocate_year(fund_year=fund_year, by=None)
    return fund_year


def test_transfer_to_a_ward_colleague_moves_the_money(allocated, shaw, okafor):
    ledger.allocation_transfer(
        fund_year=allocated,
        from_councillor=shaw,
        to_councillor=okafor,
        amount=D("250.00"),
        by=None,
        key="t1",
    )
    assert ledger.allocation_account(allocated, shaw).balance == D("750.00")
    assert ledger.allocation_account(allocated, okafor).balance == D("1250.00")


def test_transfer_to_another_wards_councillor_is_refused(allocated, shaw):
    elsewhere = CouncillorFactory(ward=WardFactory(name="Brookfield"), name="Owen Pritchard")
    before = snapshot()
    with pytest.raises(Refused) as refused:
        ledger.allocation_transfer(
            fund_year=allocated,
            from_councillor=shaw,
            to_councillor=elsewhere,
            amount=D("10.00"),
            by=None,
            key="t1",
        )
    assert refused.value.message == (
        "Cllr Owen Pritchard represents Brookfield, not Abbey Meadow: allocations can only be "
        "transferred between councillors of the same ward."
    )
    assert snapshot() == before


def test_transfer_of_more_than_is_available_is_refused_with_the_balance(allocated, shaw, okafor):
    before = snapshot()
    with pytest.raises(InsufficientFunds) as refused:
        ledger.allocation_transfer(
            fund_year=allocated,
            from_councillor=shaw,
            to_councillor=okafor,
            amount=D("1000.01"),
            by=None,
            key="t1",
        )
    assert refused.value.message == (
        "Cllr Shaw has £1,000.00 left in the 2026/27 CCIF allocation; this transfer "
        "needs £1,000.01."
    )
    assert snapshot() == before


def test_transfer_from_a_councillor_whose_term_has_ended_is_refused(allocated, ward, shaw):
    leaver = CouncillorFactory(ward=ward, name="Lee Leaver", term_end=datetime.date(2026, 9, 30))
    with pytest.raises(OutsideTerm, match="Cllr Lee Leaver is not in office on 01 October 2026"):
        ledger.allocation_transfer(
            fund_year=allocated,
            from_councillor=leaver,
            to_councillor=shaw,
            amount=D("1.00"),
            by=None,
            key="t1",
            on=datetime.date(2026, 10, 1),
        )


def test_transfer_to_oneself_is_refused(allocated, shaw):
    with pytest.raises(InvalidInput, match="different councillor"):
        ledger.allocation_transfer(
            fund_year=allocated,
            from_councillor=shaw,
            to_councillor=shaw,
            amount=D("1.00"),
            by=None,
            key="t1",
        )


# --- commitments, payments, releases, refunds -----------------------------------------------


def test_pooled_commitment_takes_each_pledge_from_its_councillor(allocated, shaw, okafor):
    ledger.commitment_make(
        fund_year=allocated,
        reference="CCIF26-000001",
        shares=[(shaw, D("300.00")), (okafor, D("200.00"))],
        by=None,
    )
    assert ledger.allocation_account(allocated, shaw).balance == D("700.00")
    assert ledger.allocation_account(allocated, okafor).balance == D("800.00")
    assert ledger.committed_balance("CCIF26-000001") == D("500.00")


def test_commitment_fails_whole_when_one_pledge_is_short(allocated, shaw, okafor):
    before = snapshot()
    with pytest.raises(InsufficientFunds) as refused:
        ledger.commitment_make(
            fund_year=allocated,
            reference="CCIF26-000001",
            shares=[(shaw, D("300.00")), (okafor, D("1200.00"))],
            by=None,
        )
    assert refused.value.message == (
        "Cllr Okafor has £1,000.00 left in the 2026/27 CCIF allocation; committing £1,500.00 "
        "to CCIF26-000001 needs £1,200.00."
    )
    assert snapshot()[0] == before[0]
    assert LedgerTransaction.objects.count() == before[1]


def test_commitment_from_the_central_pot(fund_year):
    ledger.commitment_make(
        fund_year=fund_year, reference="CAF26-000001", shares=[(None, D("4000.00"))], by=None
    )
    assert balance(ledger.pot_account(fund_year)) == D("6000.00")
    assert ledger.committed_balance("CAF26-000001") == D("4000.00")


@pytest.fixture
def committed(allocated, shaw, okafor):
    ledger.commitment_make(
        fund_year=allocated,
        reference="CCIF26-000001",
        shares=[(shaw, D("300.00")), (okafor, D("200.00"))],
        by=None,
    )
    return allocated


def test_payment_draws_on_pooled_pledges_pro_rata(committed, shaw, okafor):
    ledger.payment_post(reference="CCIF26-000001", amount=D("250.00"), by=None, key="p1")
    assert ledger.paid_account(committed, shaw).balance == D("150.00")
    assert ledger.paid_account(committed, okafor).balance == D("100.00")
    assert ledger.committed_balance("CCIF26-000001") == D("250.00")


def test_instalments_pay_exactly_the_award(committed):
    ledger.payment_post(reference="CCIF26-000001", amount=D("166.67"), by=None, key="p1")
    ledger.payment_post(reference="CCIF26-000001", amount=D("166.67"), by=None, key="p2")
    ledger.payment_post(reference="CCIF26-000001", amount=D("166.66"), by=None, key="p3")
    assert ledger.committed_balance("CCIF26-000001") == D("0.00")
    assert ledger_violations() == []


def test_paying_more_than_was_awarded_is_refused(committed):
    ledger.payment_post(reference="CCIF26-000001", amount=D("400.00"), by=None, key="p1")
    before = snapshot()
    with pytest.raises(InsufficientFunds) as refused:
        ledger.payment_post(reference="CCIF26-000001", amount=D("100.01"), by=None, key="p2")
    assert refused.value.message == (
        "CCIF26-000001 has £100.00 committed and unpaid; this payment needs £100.01. "
        "A grant is never paid more than was awarded."
    )
    assert snapshot() == before


def test_the_same_payment_key_twice_pays_once(committed):
    ledger.payment_post(reference="CCIF26-000001", amount=D("100.00"), by=None, key="p1")
    ledger.payment_post(reference="CCIF26-000001", amount=D("100.00"), by=None, key="p1")
    assert ledger.committed_balance("CCIF26-000001") == D("400.00")


def test_paying_a_grant_with_nothing_committed_is_refused(allocated):
    with pytest.raises(Refused, match="Nothing is committed to CCIF26-000404"):
        ledger.payment_post(reference="CCIF26-000404", amount=D("1.00"), by=None, key="p1")


def test_release_returns_the_unpaid_commitment_to_each_councillor(committed, shaw, okafor):
    ledger.payment_post(reference="CCIF26-000001", amount=D("250.00"), by=None, key="p1")
    ledger.commitment_release(reference="CCIF26-000001", by=None, key="close:1")
    assert ledger.allocation_account(committed, shaw).balance == D("850.00")
    assert ledger.allocation_account(committed, okafor).balance == D("900.00")
    assert ledger.committed_balance("CCIF26-000001") == D("0.00")


def test_releasing_more_than_is_committed_is_refused(committed):
    with pytest.raises(InsufficientFunds, match="releasing £500.01 is more than that"):
        ledger.commitment_release(reference="CCIF26-000001", amount=D("500.01"), by=None, key="r1")


def test_refund_returns_clawback_to_the_councillors_who_funded_it(committed, shaw, okafor):
    ledger.payment_post(reference="CCIF26-000001", amount=D("500.00"), by=None, key="p1")
    ledger.refund_post(reference="CCIF26-000001", amount=D("100.00"), by=None, key="c1")
    assert ledger.allocation_account(committed, shaw).balance == D("760.00")
    assert ledger.allocation_account(committed, okafor).balance == D("840.00")
    assert ledger.paid_account(committed, shaw).balance == D("240.00")


def test_refund_of_more_than_was_paid_is_refused(committed):
    ledger.payment_post(reference="CCIF26-000001", amount=D("100.00"), by=None, key="p1")
    ledger.refund_post(reference="CCIF26-000001", amount=D("60.00"), by=None, key="c1")
    with pytest.raises(InvalidInput, match="£40.00 paid and not yet refunded"):
        ledger.refund_post(reference="CCIF26-000001", amount=D("40.01"), by=None, key="c2")


def test_split_pro_rata_never_exceeds_a_balance_and_sums_exactly():
    shares = ledger.split_pro_rata(D("0.05"), [D("0.01"), D("99.99"), D("0.01")])
    assert sum(shares) == D("0.05")
    assert shares[0] <= D("0.01") and shares[2] <= D("0.01")


# --- reversal and append-only ---------------------------------------------------------------


def test_reversal_undoes_a_posting_and_names_it(allocated, shaw, okafor):
    move = ledger.allocation_transfer(
        fund_year=allocated,
        from_councillor=shaw,
        to_councillor=okafor,
        amount=D("100.00"),
        by=None,
        key="t1",
    )
    undo = ledger.transaction_reverse(posting=move, by=None, reason="Keyed the wrong councillor")
    assert undo.reverses == move
    assert ledger.allocation_account(allocated, shaw).balance == D("1000.00")
    with pytest.raises(Refused, match="already been reversed"):
        ledger.transaction_reverse(posting=move, by=None, reason="again")


def test_ledger_rows_cannot_be_changed_or_deleted_through_the_orm(committed):
    entry = Entry.objects.first()
    entry.amount = D("1.00")
    with pytest.raises(TypeError, match="append-only"):
        entry.save()
    with pytest.raises(TypeError, match="append-only"):
        entry.delete()
    with pytest.raises(TypeError, match="append-only"):
        Entry.objects.filter(pk=entry.pk).update(amount=D("1.00"))
    with pytest.raises(TypeError, match="append-only"):
        LedgerTransaction.objects.all().delete()


def test_an_unbalanced_posting_is_refused(allocated, shaw):
    account = ledger.allocation_account(allocated, shaw)
    with pytest.raises(InvalidInput, match="sum to zero"):
        ledger.post(
            kind="transfer",
            key="bad",
            lines=[
                ledger.Line(account, D("-5.00")),
                ledger.Line(ledger.pot_account(allocated), D("4.00")),
            ],
            memo="bad",
            by=None,
        )


def test_the_database_refuses_an_overdrawn_balance(allocated, shaw):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=ledger.allocation_account(allocated, shaw).pk).update(
            balance=D("-0.01")
        )


# --- year end -------------------------------------------------------------------------------


@pytest.fixture
def next_year(fund_year):
    return FundYearFactory(
        fund=fund_year.fund, year=FinancialYear.objects.create(start=datetime.date(2027, 4, 1))
    )


def test_year_close_lapses_unspent_allocations_to_the_pot(allocated, shaw, okafor, next_year):
    summary = ledger.year_close(year=allocated.year, by=None)
    assert summary.lapsed == D("2000.00") and summary.carried_forward == D("0.00")
    assert ledger.allocation_account(allocated, shaw).balance == D("0.00")
    assert balance(ledger.pot_account(allocated)) == D("10000.00")
    closed = YearEnd.objects.get(year_id=allocated.year_id)
    assert closed.council_id == allocated.council_id
    assert FundYear.objects.get(pk=allocated.pk).is_closed
    assert not FundYear.objects.get(pk=next_year.pk).is_closed


def test_year_close_carries_forward_where_the_fund_says_so(allocated, shaw, okafor, next_year):
    FundYear.objects.filter(pk=allocated.pk).update(year_end=FundYear.YearEnd.CARRY_FORWARD)
    ledger.allocation_transfer(
        fund_year=allocated,
        from_councillor=shaw,
        to_councillor=okafor,
        amount=D("400.00"),
        by=None,
        key="t1",
    )
    summary = ledger.year_close(year=allocated.year, by=None)
    assert summary.carried_forward == D("2000.00")
    assert ledger.allocation_account(next_year, shaw).balance == D("600.00")
    assert ledger.allocation_account(next_year, okafor).balance == D("1400.00")


def test_a_leaving_councillors_allocation_lapses_even_when_the_fund_carries_forward(
    fund_year, ward, next_year
):
    FundYear.objects.filter(pk=fund_year.pk).update(year_end=FundYear.YearEnd.CARRY_FORWARD)
    fund_year.refresh_from_db()
    leaver = CouncillorFactory(ward=ward, term_end=datetime.date(2027, 3, 31))
    ledger.allocation_make(fund_year=fund_year, councillor=leaver, by=None)
    summary = ledger.year_close(year=fund_year.year, by=None)
    assert summary.lapsed == D("1000.00")
    assert not Account.objects.filter(fund_year=next_year, councillor=leaver).exists()


def test_closing_a_closed_year_is_refused(allocated, next_year):
    ledger.year_close(year=allocated.year, by=None)
    with pytest.raises(ClosedYear, match="2026/27 is already closed for "):
        ledger.year_close(year=allocated.year, by=None)


def test_carry_forward_without_next_years_fund_is_refused_and_closes_nothing(allocated):
    FundYear.objects.filter(pk=allocated.pk).update(year_end=FundYear.YearEnd.CARRY_FORWARD)
    before = snapshot()
    with pytest.raises(Refused, match="has no 2027/28 fund year"):
        ledger.year_close(year=allocated.year, by=None)
    assert snapshot() == before
    assert not YearEnd.objects.exists()
    assert not FundYear.objects.get(pk=allocated.pk).is_closed


def test_money_released_after_its_year_closed_goes_to_the_open_pot(committed, next_year):
    ledger.budget_set(fund_year=next_year, total=D("100.00"), by=None)
    ledger.year_close(year=committed.year, by=None)
    ledger.commitment_release(reference="CCIF26-000001", by=None, key="late")
    assert balance(ledger.pot_account(next_year)) == D("600.00")
    assert ledger_violations() == []


# --- check_ledger ---------------------------------------------------------------------------


def test_check_ledger_finds_a_stored_balance_that_disagrees_with_its_entries(committed, shaw):
    account = ledger.allocation_account(committed, shaw)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE budgets_account SET balance = 1.00 WHERE id = %s", [account.pk])
    assert ledger_violations() == [
        f"Account #{account.pk}, Cllr Sam Shaw's 2026/27 CCIF allocation, stores a balance of "
        "£1.00 but its entries sum to £700.00."
    ]
