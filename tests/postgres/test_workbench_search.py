"""On PostgreSQL: a workbench search's counts by state and its page of ids are asked of the bids
found (by reference, by group through an index on the bids' group: decisions 0006 and 0009),
not of every bid joined to them; then the page's rows by their ids."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from decisions import selectors
from tests.factories import OrganisationFactory, WardFactory
from tests.pages.test_workbench import many


def unsided(sql: str) -> str:
    """The SQL without the reference side's read of its own index."""
    return sql.replace(
        '"applications_application"."id" IN (SELECT application_id FROM decisions_reference_search',
        "",
    )


pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def plans(queries) -> list[str]:
    found = []
    with transaction.atomic(), connection.cursor() as cursor:
        # Few bids: left to itself the planner would read them all, which costs as little.
        cursor.execute("SET LOCAL enable_seqscan = off")
        for query in queries:
            cursor.execute("EXPLAIN " + query["sql"])
            found.append("\n".join(row[0] for row in cursor.fetchall()))
    return found


def test_a_searchs_page_and_counts_read_only_the_bids_found(on_postgres, fund_year):
    ward = WardFactory()
    for n in range(60):
        group = OrganisationFactory(name=f"Group {n}")
        many(5, fund_year=fund_year, organisation=group, ward=ward, prefix=f"G{n}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    filters = {"q": "group 17"}
    with CaptureQueriesContext(connection) as queries:
        counts = {q.status: q.count for q in selectors.queues(filters) if q.count}
        rows = selectors.workbench_list(
            filters, selectors.workbench_applications(filters), sort=None
        )[0:50]
    assert counts == {"submitted": 5} and len(rows) == 5
    assert [r.organisation.name for r in rows] == ["Group 17"] * 5
    count, ids, page = queries.captured_queries[:3]
    for query in (count, ids):
        # The two sides' ids as one set, each side asked of its own index, not every bid joined
        # to the bids found (`id IN (...)`, a hash join over all of them at 100k bids).
        # (The reference side reads its ids from the references' own trigram index, decisions
        # 0011: `id IN (SELECT application_id FROM decisions_reference_search ...)`.)
        assert " UNION " in query["sql"], query["sql"]
        assert '"applications_application"."id" IN (' not in unsided(query["sql"]), query["sql"]
    count_plan, ids_plan, page_plan = plans([count, ids, page])
    for plan in (count_plan, ids_plan):
        assert "Index Cond: (organisation_id = " in plan, plan
    assert "applications_application_pkey" in page_plan, page_plan  # the page's 50 ids

    # As the workbench asks: the counts and the page's ids in one statement, then the rows.
    listing = selectors.workbench_list(
        filters, selectors.workbench_applications(filters), sort=None
    )
    with CaptureQueriesContext(connection) as queries:
        counts = {q.status: q.count for q in listing.queues(slice(0, 50)) if q.count}
        rows = listing[0:5]
    assert counts == {"submitted": 5}
    assert [r.reference for r in rows] == [f"G17-{i:06d}" for i in (4, 3, 2, 1, 0)]  # oldest first
    both = queries.captured_queries[0]["sql"]
    assert " UNION " in both and '"applications_application"."id" IN (' not in unsided(both), both
    assert len(queries) == 2  # that statement and the page's rows (the page reads their wards)
    (plan,) = plans(queries.captured_queries[:1])
    assert "Index Cond: (organisation_id = " in plan, plan
