"""Staff lists a page at a time, at a cost that does not grow with history: the finance payments
page, the clawback page and a councillor's budget statement make the same queries at 10 and at
200 rows, show a page of each list, and their downloads keep every row."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Application, MonitoringReport
from budgets import ledger
from budgets.models import PaymentRun
from finance import payments as pay
from tests.factories import ApplicationFactory, UserFactory
from tests.payments_fixtures import accepted, finance2

__all__ = ["accepted", "finance2"]
D = Decimal
pytestmark = pytest.mark.django_db


def count_queries(client, url) -> int:
    client.get(url)  # the first request after signing in also writes the session's time
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.fixture
def finance_client(client, finance):
    client.force_login(finance)
    return client


# --- payments ----------------------------------------------------------------------------------


def more_payments(accepted, fund_year, n: int) -> None:
    """`n` more grants of the same group, each scheduled: two in three accepted (due, to its
    verified account), the rest not (stopped), one in five with a condition (waiting)."""
    for i in range(n):
        app = ApplicationFactory(fund_year=fund_year, organisation=accepted.organisation)
        app.amount_awarded = D("100.00")
        app.save()
        schedule = pay.schedule_for_offer(app, by=None)
        if i % 3:
            Application.objects.filter(pk=app.pk).update(status="offer_accepted")
        if i % 5 == 0:
            schedule.payments.update(condition="Evidence of the hall booking")


def sections(lists: pay.PayableLists, per_page: int = 50, **numbers) -> dict:
    return lists.pages(numbers, per_page)


def test_the_payments_page_makes_the_same_queries_at_10_and_at_200_payments(
    finance_client, accepted, fund_year
):
    more_payments(accepted, fund_year, 9)
    few = count_queries(finance_client, "/finance/payments/")
    more_payments(accepted, fund_year, 191)
    assert count_queries(finance_client, "/finance/payments/") == few
    assert count_queries(finance_client, "/finance/payments/?due=2&stopped=2") == few
    assert count_queries(finance_client, "/finance/") == count_queries(finance_client, "/finance/")


@pytest.mark.slow
def test_the_lists_sorted_in_the_database_are_payables_lists_a_page_at_a_time(
    finance_client, accepted, fund_year
):
    more_payments(accepted, fund_year, 150)
    every = pay.payable()
    lists = pay.PayableLists()
    for name in pay.SECTIONS:
        rows = getattr(every, name)
        assert lists.sections[name].count == len(rows), name
        assert lists.sections[name].total == sum((r.payment.amount for r in rows), D("0")), name
    assert len(every.due) > 50 and every.waiting and every.stopped
    # Page 2 of the due payments is payable's 51st to 100th, with the same account and reason.
    second = sections(lists, 50, due="2")["due"]
    assert [r.payment.pk for r in second["rows"]] == [r.payment.pk for r in every.due[50:100]]
    assert second["rows"][0].bank_account == every.due[50].bank_account
    assert second["page"].number == 2 and second["count"] == len(every.due)
    page = finance_client.get("/finance/payments/?due=2").text
    due = page.split('id="held"')[0]
    assert every.due[50].payment.reference in due
    assert every.due[0].payment.reference not in due
    assert 'aria-label="Pages of payments due"' in due
    # The download keeps every payment due, not a page of them.
    download = finance_client.get("/finance/payments/?download=csv&list=due")
    assert len(list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))) - 1 == len(
        every.due
    )


# --- clawback ----------------------------------------------------------------------------------


def underspent(fund_year, n: int, *, spent: str) -> None:
    """`n` grants in monitoring, £200 paid, each with a report of `spent` spent."""
    reporter = UserFactory()
    for _ in range(n):
        app = ApplicationFactory(fund_year=fund_year)
        Application.objects.filter(pk=app.pk).update(
            status="monitoring", amount_awarded=D("200.00"), paid_to_date=D("200.00")
        )
        MonitoringReport.objects.create(
            application=app,
            amount_spent=D(spent),
            outcomes="Done.",
            people_reached=10,
            submitted_by=reporter,
        )


def test_the_clawback_page_makes_the_same_queries_at_10_and_at_200_grants(
    finance_client, fund_year
):
    underspent(fund_year, 5, spent="10.00")  # £190 unspent: above the £50 threshold
    underspent(fund_year, 5, spent="180.00")  # £20: within it
    few = count_queries(finance_client, "/finance/clawback/")
    underspent(fund_year, 95, spent="10.00")
    underspent(fund_year, 95, spent="180.00")
    assert count_queries(finance_client, "/finance/clawback/") == few
    page = finance_client.get("/finance/clawback/").text
    asked, below = page.split('id="raised"')[0], page.split('id="below"')[1]
    assert asked.count("Ask for it back<") == 50  # a page of the hundred
    assert 'aria-label="Pages of grants to ask money back from"' in asked
    assert below.count("unspent; the") == 50
    download = finance_client.get("/finance/clawback/?download=csv")
    assert len(download.content.decode("utf-8-sig").strip().splitlines()) - 1 == 100


def test_the_clawback_lists_keep_the_rules(finance_client, fund_year):
    underspent(fund_year, 1, spent="10.00")
    underspent(fund_year, 1, spent="180.00")
    underspent(fund_year, 1, spent="200.00")  # all spent: owes nothing
    from finance import clawbacks

    assert [r.owed for r in clawbacks.rows(clawbacks.to_ask())] == [D("190.00")]
    assert [r.owed for r in clawbacks.rows(clawbacks.within_threshold())] == [D("20.00")]
    assert sorted(r.owed for r in clawbacks.underspends()) == [D("20.00"), D("190.00")]


# --- a councillor's budget statement -----------------------------------------------------------


def transfers(busy, okafor, shaw, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        ledger.allocation_transfer(
            fund_year=busy,
            from_councillor=okafor,
            to_councillor=shaw,
            amount=D("1.00"),
            by=None,
            key=f"page{i}",
        )


@pytest.mark.slow
def test_a_long_statement_is_paged_at_the_same_cost_and_downloads_whole(client, busy, shaw, okafor):
    url = f"/budgets/CCIF/2026/councillors/{shaw.pk}/"
    client.force_login(shaw.user)
    transfers(busy, okafor, shaw, 10)
    few = count_queries(client, url)
    transfers(busy, okafor, shaw, 190, start=10)
    assert count_queries(client, url) == few
    assert count_queries(client, url + "?page=3") == few
    postings = len(ledger.allocation_account(busy, shaw).entries.all())
    first = client.get(url).text
    assert first.count('class="govuk-table__cell fm-hide-narrow"') == 50
    assert f"1 to 50 of {postings}, oldest first" in first
    last = client.get(url + "?page=99").text  # beyond the end: the last page
    rows = postings - 50 * ((postings - 1) // 50)
    assert last.count('class="govuk-table__cell fm-hide-narrow"') == rows
    # The last row's running balance is the account's balance, shown above on every page.
    balance = last.split('data-testid="balance">')[1].split("<")[0]
    assert last.rsplit("fm-money", 1)[1].startswith(f'">{balance}<')
    assert first.split('data-testid="balance">')[1].split("<")[0] == balance
    download = client.get(url + "?download=csv").content.decode("utf-8-sig")
    assert len(download.strip().splitlines()) - 1 == postings


# --- the councillor's home ---------------------------------------------------------------------


def declined(fund_year, shaw, n: int) -> None:
    from applications.models import Pledge

    for _ in range(n):
        Pledge.objects.create(
            application=ApplicationFactory(fund_year=fund_year, status="awaiting_support"),
            councillor=shaw,
            status=Pledge.Status.DECLINED,
            statement="Not in my ward's plan.",
            created_by=shaw.user,
        )


def test_the_bids_a_councillor_declined_are_paged_at_the_same_cost(client, fund_year, shaw):
    client.force_login(shaw.user)
    declined(fund_year, shaw, 10)
    few = count_queries(client, "/councillor/")
    declined(fund_year, shaw, 190)
    assert count_queries(client, "/councillor/") == few
    assert count_queries(client, "/councillor/?declined=4") == few
    page = client.get("/councillor/?declined=10").text.split('id="declined"')[1]
    assert page.count('<li><a class="govuk-link" href="/councillor/bids/') == 20  # the last page
    assert 'aria-label="Pages of bids you declined"' in page


# --- payment runs ------------------------------------------------------------------------------


def runs(finance, n: int) -> list[int]:
    return [
        PaymentRun.objects.create(
            pay_date=datetime.date(2026, 12, 7), status="cancelled", prepared_by=finance
        ).pk
        for _ in range(n)
    ]


def test_the_runs_page_lists_a_page_of_runs_newest_first_at_the_same_cost(finance_client, finance):
    runs(finance, 3)
    few = count_queries(finance_client, "/finance/runs/")
    runs(finance, 52)
    every = list(PaymentRun.objects.order_by("-pk").values_list("pk", flat=True))
    assert count_queries(finance_client, "/finance/runs/") == few
    first = finance_client.get("/finance/runs/").text
    second = finance_client.get("/finance/runs/?page=2").text
    assert f"Run {every[0]:06d}<" in first and f"Run {every[49]:06d}<" in first
    assert f"Run {every[50]:06d}<" not in first
    assert f"Run {every[50]:06d}<" in second and f"Run {every[-1]:06d}<" in second
