"""On PostgreSQL: what a grant's latest monitoring report says was spent, and whether it owes
money back, are kept on its row by the triggers of finance/migrations/0004_underspend_facts.py
as reports and the grant change; the clawback lists read the grants owing from their own index
in reference order, not every grant monitored."""

from decimal import Decimal

import pytest
from django.db import connection, transaction

from applications.models import Application, MonitoringReport
from budgets.models import Clawback
from finance import clawbacks
from tests.factories import ApplicationFactory
from tests.pages.test_staff_lists import underspent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
D = Decimal


def owed(queryset) -> list[Decimal]:
    return sorted(r.owed for r in clawbacks.rows(queryset))


def test_the_lists_follow_the_reports_and_the_grant(on_postgres, fund_year):
    underspent(fund_year, 1, spent="10.00")  # £190 unspent: to ask
    underspent(fund_year, 1, spent="180.00")  # £20: within the threshold
    underspent(fund_year, 1, spent="200.00")  # all spent
    assert owed(clawbacks.to_ask()) == [D("190.00")]
    assert owed(clawbacks.within_threshold()) == [D("20.00")]
    # A later report of the first grant: all spent, so it owes nothing.
    first = Application.objects.get(monitoring_reports__amount_spent=D("10.00"))
    report = MonitoringReport.objects.create(
        application=first,
        amount_spent=D("200.00"),
        outcomes="Done.",
        people_reached=1,
        submitted_by=first.monitoring_reports.get().submitted_by,
    )
    assert owed(clawbacks.to_ask()) == []
    report.delete()  # the earlier report is the latest again
    assert owed(clawbacks.to_ask()) == [D("190.00")]
    # More paid than the report says was spent: more unspent.
    Application.objects.filter(pk=first.pk).update(
        amount_awarded=D("300.00"), paid_to_date=D("300.00")
    )
    assert owed(clawbacks.to_ask()) == [D("290.00")]
    # Revoked with money paid: everything paid is owed, report or not.
    revoked = ApplicationFactory(fund_year=fund_year)
    Application.objects.filter(pk=revoked.pk).update(
        status="revoked", amount_awarded=D("75.00"), paid_to_date=D("75.00")
    )
    assert owed(clawbacks.to_ask()) == [D("75.00"), D("290.00")]
    assert sorted(r.owed for r in clawbacks.underspends()) == [D("20.00"), D("75.00"), D("290.00")]


def test_a_list_is_read_from_the_index_of_grants_owing(on_postgres, fund_year):
    underspent(fund_year, 3, spent="10.00")
    ApplicationFactory.create_batch(5, fund_year=fund_year, status="monitoring")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    for queryset in (
        clawbacks.to_ask()[50:100],
        clawbacks.to_ask().order_by(),
        clawbacks.within_threshold().order_by(),
    ):
        sql, params = queryset.query.sql_with_params()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            found = "\n".join(row[0] for row in cursor.fetchall())
        assert "application_owing_ref" in found or "application_to_ask_ref" in found, found
        assert "applications_monitoringreport" not in found, found
        assert "budgets_clawback" not in found, found


def asked(app) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT finance_asked FROM applications_application WHERE id = %s", [app.pk])
        return cursor.fetchone()[0]


def test_a_grant_asked_to_pay_back_leaves_the_list_to_ask_until_the_request_is_cancelled(
    on_postgres, fund_year, finance
):
    """finance/migrations/0009_clawback_asked.py: the clawbacks' trigger keeps the grant's
    `finance_asked` as requests are raised, repaid, cancelled and removed."""
    underspent(fund_year, 2, spent="10.00")
    first, second = Application.objects.order_by("pk")
    assert [r.application for r in clawbacks.rows(clawbacks.to_ask())] == [first, second]
    clawback = clawbacks.clawback_raise(application=first, by=finance)
    assert (asked(first), asked(second)) == (True, False)
    assert [r.application for r in clawbacks.rows(clawbacks.to_ask())] == [second]
    Clawback.objects.filter(pk=clawback.pk).update(status=Clawback.Status.REPAID)
    assert asked(first)  # repaid is asked, and answered
    Clawback.objects.filter(pk=clawback.pk).update(status=Clawback.Status.CANCELLED)
    assert not asked(first)
    assert [r.application for r in clawbacks.rows(clawbacks.to_ask())] == [first, second]
    again = clawbacks.clawback_raise(application=first, by=finance)
    assert asked(first)
    Clawback.objects.filter(pk=again.pk).update(reference=second.reference)  # moved to another
    assert (asked(first), asked(second)) == (False, True)
    Clawback.objects.filter(pk=again.pk).delete()
    assert (asked(first), asked(second)) == (False, False)
