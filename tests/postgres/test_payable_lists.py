"""On PostgreSQL: a page of each list of the payments page is read from the index of unpaid
payments in due-date order (finance/migrations/0002_payable_indexes.py), stopping after its rows
with no sort of every payment, and each payment's bank details and returned lines are probed
through their own indexes, so the page costs the same however many payments wait."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from applications import organisations
from applications.models import Application
from budgets.models import Payment, PaymentRunLine
from budgets.payments import run_lines
from finance import payments as pay
from tests.pages.test_staff_lists import more_payments
from tests.payments_fixtures import accepted, finance2, prepared_run

__all__ = ["accepted", "finance2"]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
ON = datetime.date(2026, 12, 5)


def plan(sql: str, params, *, off: str) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        # A plan without the index costs so much that the planner takes any other.
        cursor.execute(f"SET LOCAL enable_{off} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("name", ["due", "held", "later", "stopped", "waiting"])
def test_a_page_of_a_list_is_read_in_due_date_order_from_the_index(
    on_postgres, accepted, fund_year, name
):
    more_payments(accepted, fund_year, 12)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    found = plan(*pay.page_sql(name, ON, 50, 50), off="sort")
    assert "payment_unpaid_due_ref" in found, found
    assert not any("Sort Key" in line for line in found.splitlines()), found


def agree(on=None) -> dict:
    """PayableLists (the facts the triggers keep) against payable (read afresh): each list's
    count, total and first page. Returns the counts."""
    every = pay.payable(on)
    lists = pay.PayableLists(on)
    pages = lists.pages({}, 5)
    for name in pay.SECTIONS:
        rows = getattr(every, name)
        assert lists.sections[name].count == len(rows), name
        assert lists.sections[name].total == sum((r.payment.amount for r in rows), Decimal(0))
        assert [r.payment.pk for r in pages[name]["rows"]] == [r.payment.pk for r in rows[:5]]
    return {name: lists.sections[name].count for name in pay.SECTIONS}


def test_the_facts_kept_on_each_payment_follow_its_grant_and_its_groups_bank_details(
    on_postgres, accepted, fund_year, finance, finance2
):
    run = pay.payment_run_authorise(run=prepared_run(finance), by=finance2)  # the grant paid
    more_payments(accepted, fund_year, 12)
    before = agree()
    assert before["due"] and before["stopped"] and before["waiting"], before
    organisation = accepted.organisation
    # New bank details: every payment of the group is held until they are verified.
    account = organisations.bank_account_change(
        organisation=organisation,
        by=organisation.members.first(),
        account_name="ABBEY PARK",
        sort_code="309950",
        account_number="10203040",
    )
    held = agree()
    assert held["due"] == 0 and held["held"] == before["due"] + before["held"], held
    organisations.bank_account_verify(bank_account=account, by=finance, approve=True)
    assert agree() == before
    # A grant that stops being paid stops its payments; started again, they are due again.
    grant = Application.objects.filter(status="offer_accepted").exclude(pk=accepted.pk).first()
    Application.objects.filter(pk=grant.pk).update(status="revoked")
    stopped = agree()
    assert stopped["stopped"] > before["stopped"], stopped
    Application.objects.filter(pk=grant.pk).update(status="offer_accepted")
    assert agree() == before
    # A payment the bank returned from the group's details (these, as if paid to them) holds
    # the group's others until new details are verified.
    line = run_lines(run)[0]
    PaymentRunLine.objects.filter(pk=line.pk).update(status="returned", bank_account=account.pk)
    Payment.objects.filter(pk=line.payment_id).update(status="returned")
    returned = agree()
    assert returned["returned"] == 1 and returned["due"] == 0, returned


def test_the_lists_counts_are_kept_as_payments_are_scheduled_run_cancelled_and_met(
    on_postgres, accepted, fund_year, finance, finance2
):
    """finance/migrations/0010_payable_counts.py: each list's count and total are read from the
    kept counts (a row per bucket and due day), and agree with the payments read afresh on any
    day, before and after each step that moves a payment between lists or out of them."""
    from budgets.payments import Instalment
    from finance.models import PayableCount

    def every_day() -> None:
        for day in (ON - datetime.timedelta(days=40), None, ON + datetime.timedelta(days=40)):
            agree(day)

    every_day()
    today = datetime.date.today()
    # Two instalments, the second with a condition and due in a month.
    pay.instalments_set(
        application=accepted,
        by=finance,
        instalments=[
            Instalment(Decimal("200.00"), today),
            Instalment(Decimal("300.00"), today + datetime.timedelta(days=30), "The receipts"),
        ],
    )
    every_day()
    assert agree()["waiting"] == 1
    run = prepared_run(finance)  # the first is in the run: in no list
    assert agree()["due"] == 0
    pay.payment_run_cancel(run=run, by=finance2, reason="Wrong day")  # back in the list
    assert agree()["due"] == 1
    second = Payment.objects.get(reference=f"{accepted.reference}/2")
    pay.condition_met(payment=second, by=finance)
    every_day()
    assert agree(today + datetime.timedelta(days=31))["due"] == 2
    pay.payment_run_authorise(run=prepared_run(finance), by=finance2)
    every_day()
    more_payments(accepted, fund_year, 6)
    every_day()
    # Another grant's instalments set again: its unpaid payments replaced.
    other = Application.objects.filter(status="offer_accepted").exclude(pk=accepted.pk).first()
    pay.instalments_set(
        application=other,
        by=finance,
        instalments=[Instalment(Decimal("60.00"), today), Instalment(Decimal("40.00"), today)],
    )
    every_day()
    # Nothing left over: every kept row adds up to what is unpaid.
    kept = PayableCount.objects.aggregate(n=Sum("n"))["n"]
    assert kept == Payment.objects.filter(status__in=["scheduled", "returned"]).count()


def test_the_counts_read_no_payment(on_postgres, accepted, fund_year):
    more_payments(accepted, fund_year, 12)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    found = plan(*pay._section_counts(ON), off="seqscan")
    assert "finance_payablecount" in found and "budgets_payment" not in found, found
