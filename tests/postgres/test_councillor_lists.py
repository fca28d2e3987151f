"""On PostgreSQL: a page of a councillor's pledges (or declines), newest first, is read from the
index applications/migrations/0010_pledge_newest.py made, with no sort of their bids, so the
councillor home costs the same however many bids there are."""

import pytest
from django.db import connection, transaction

from applications import councillor_selectors as selectors
from applications.models import Pledge
from tests.factories import ApplicationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")  # a plan that sorts would still sort
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("status", [Pledge.Status.PLEDGED, Pledge.Status.DECLINED])
def test_a_page_of_a_councillors_answers_is_read_in_order_from_an_index(
    on_postgres, fund_year, shaw, status
):
    for app in ApplicationFactory.create_batch(3, status="awaiting_support", fund_year=fund_year):
        Pledge.objects.create(
            application=app,
            councillor=shaw,
            amount="10.00",
            status=status,
            statement="Yes",
            created_by=shaw.user,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    found = plan(selectors.my_responses([shaw], status=status)[:20])
    assert "pledge_councillor_newest" in found, found
    assert "Sort Key" not in found, found
