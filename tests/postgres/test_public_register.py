"""On PostgreSQL: the public register's page is read from the award-time index in order, with no
sort of every grant, so a page costs the same however many grants there are."""

import pytest
from django.core.paginator import Paginator
from django.db import connection, transaction

from tests.pages.test_public_register import bids
from transparency import published

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
pytest_plugins = ["tests.transparency_fixtures"]


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # A plan that sorts costs so much that the planner takes any other: if the index could
        # not give the order, the plan would still sort, and the test would see it.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_page_of_the_register_is_read_in_order_from_the_award_index(on_postgres, town):
    bids(town, 300, "IDX")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    register = published.Register({})
    assert register.count() == 180  # from the kept summaries
    page = Paginator(register, 50).page(3)
    assert len(page.object_list) == 50
    # the page's ids, as Register reads them
    found = plan(register.in_order.values_list("pk", flat=True)[100:150])
    assert "application_register_order" in found, found
    assert "Scan Backward" in found, found
    assert "Sort" not in found, found
    assert "SubPlan" not in found, found  # nothing worked out per row
