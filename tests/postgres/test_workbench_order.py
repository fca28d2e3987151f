"""On PostgreSQL: a page of the officer workbench, in its default order or one queue's, is read
from an index in order (decisions/migrations/0004_workbench_order.py), with no sort of every
bid, so a page costs the same however many bids there are."""

import pytest
from django.db import connection, transaction

from decisions.selectors import workbench_applications
from tests.factories import ApplicationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # A plan that sorts costs so much that the planner takes any other: if the index could
        # not give the order, the plan would still sort, and the test would see it.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("filters", "sort", "index"),
    [
        ({}, {}, "workbench_priority_order"),
        ({"state": "submitted"}, {}, "workbench_state_order"),
        ({}, {"sort": "amount"}, "workbench_amount_asc"),
        ({}, {"sort": "amount", "descending": True}, "workbench_amount_desc"),
        ({}, {"sort": "received"}, "workbench_received_asc"),
        ({}, {"sort": "received", "descending": True}, "workbench_received_desc"),
    ],
)
def test_a_page_of_the_workbench_is_read_in_order_from_an_index(
    on_postgres, fund_year, filters, sort, index
):
    for status in ("submitted", "awaiting_decision", "closed", "draft"):
        ApplicationFactory.create_batch(3, status=status, fund_year=fund_year)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    found = plan(workbench_applications(filters, **sort)[50:100])
    assert index in found, found
    sorted_by = [line for line in found.splitlines() if "Sort Key" in line]
    # No sort of the bids themselves (a subquery's sort of one bid's wards aside).
    assert not any("applications_application." in key for key in sorted_by), found
