"""transparency 0007 on PostgreSQL, with rows there: the spend figures and the summaries' stamp
of a database from before they had a council become the first council's, nothing lost, and
both tables are sealed by row-level security from then on."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fundmgr import councils
from tests.factories import CouncilFactory
from transparency.models import SpendFigure, SummaryStamp

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]

BEFORE = [("transparency", "0006_council")]
AFTER = [("transparency", "0007_summaries_per_council")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_rows_from_before_become_the_first_councils(on_postgres):
    first = CouncilFactory(name="First", gss_code="E07000201")
    CouncilFactory(name="Second", gss_code="E07000202")
    migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO transparency_spendfigure (year, fund, within, by, key, grants, "
                "paid, committed) VALUES (0, 0, 0, 'fund', 7, 2, 1000, 500), "
                "(0, 0, 0, 'ward', 3, 1, 250, 0)"
            )
            cursor.execute(
                "INSERT INTO transparency_summarystamp (name, built_at, marks, queued) "
                "VALUES ('money', now(), '5,6,7', '')"
            )
    finally:
        migrate(AFTER)
    with councils.acting_for(first):
        assert sorted(SpendFigure.objects.values_list("by", "key", "paid", "committed")) == [
            ("fund", 7, 1000, 500),
            ("ward", 3, 250, 0),
        ]
        stamp = SummaryStamp.objects.get()
        assert (stamp.name, stamp.marks, stamp.council_id) == ("money", "5,6,7", first.pk)
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
