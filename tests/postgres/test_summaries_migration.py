"""transparency 0007 on PostgreSQL, with rows there: the spend figures and the summaries' stamp
of a database from before they had a council become the first council's, nothing lost, and
both tables are sealed by row-level security from then on."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fundmgr import councils
from fundmgr.models import Council
from tests.factories import CouncilFactory
from transparency.models import SpendFigure, SummaryStamp

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]

BEFORE = [("transparency", "0006_council")]
AFTER = [("transparency", "0007_summaries_per_council")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture(autouse=True)
def back_to_the_latest():
    """After the test, every app's latest migration again: going back to 0006 reversed any later
    transparency migration too, and the tests after this one expect its tables."""
    yield
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


def test_rows_from_before_become_the_first_councils(on_postgres):
    CouncilFactory(name="First", gss_code="E07000201")
    CouncilFactory(name="Second", gss_code="E07000202")
    first = Council.objects.order_by("pk").first()  # the rows' council: the first there is
    migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO transparency_spendfigure (year, fund, within, by, key, grants, "
                "paid, committed) VALUES (0, 0, 0, 'fund', 70707, 2, 1000, 500), "
                "(0, 0, 0, 'ward', 30303, 1, 250, 0)"
            )
            cursor.execute(
                "INSERT INTO transparency_summarystamp (name, built_at, marks, queued) "
                "VALUES ('migrated', now(), '5,6,7', '')"
            )
    finally:
        migrate(AFTER)
    with councils.acting_for(first):
        mine = SpendFigure.objects.filter(key__in=[70707, 30303])
        assert sorted(mine.values_list("by", "key", "paid", "committed")) == [
            ("fund", 70707, 1000, 500),
            ("ward", 30303, 250, 0),
        ]
        stamp = SummaryStamp.objects.get(name="migrated")
        assert (stamp.marks, stamp.council_id) == ("5,6,7", first.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname IN ('transparency_spendfigure', 'transparency_summarystamp') "
            "ORDER BY relname"
        )
        assert cursor.fetchall() == [
            ("transparency_spendfigure", True, True),
            ("transparency_summarystamp", True, True),
        ]
