"""On PostgreSQL: the spend and clawback summaries built by several first readers at once (one
build at a time, no duplicate rows), and refreshed when a page finds a newer posting (the task
runs on commit), equal a recount from the ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.postgres.test_ledger import run_together
from transparency import money_summaries, spend
from transparency.models import SummaryStamp
from transparency.scope import EVERYTHING, Filters

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
pytest_plugins = ["tests.transparency_fixtures"]
D = Decimal


def _shown(tables) -> list:
    return [(t.title, list(t.rows), t.totals) for t in tables.values()]


def test_first_readers_at_once_build_once_each_and_a_newer_posting_is_counted(on_postgres, town):
    group = town.group("Friends of Abbey Park")
    town.award(town.bid(group, amount="400.00"), pay="150.00")
    town.award(town.bid(group, amount="100.01", wards=[town.abbey, town.brook]), pay="100.01")

    def read(i):
        return _shown(spend.breakdowns(Filters(), EVERYTHING))

    results = run_together(4, read)
    recount = _shown(spend.recounted(Filters(), EVERYTHING))
    assert results == [recount] * 4, results
    assert money_summaries.differences() == []
    built = SummaryStamp.objects.get().built_at

    town.award(town.bid(group, amount="70.00"), pay="70.00")  # committed: the stamp is behind
    shown = _shown(spend.breakdowns(Filters(), EVERYTHING))  # queues the refresh; it runs now
    assert SummaryStamp.objects.get().built_at > built
    assert shown == _shown(spend.recounted(Filters(), EVERYTHING))
    assert money_summaries.differences() == []
