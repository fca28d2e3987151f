"""On PostgreSQL, with real threads: steps on many bids of the same fund year and wards at once
(so the same summary rows) never deadlock, and the dashboards' summaries still equal a recount."""

from __future__ import annotations

from decimal import Decimal

import pytest

from applications import services as s
from applications.workflow import Status
from tests.postgres.test_ledger import run_together
from transparency import summaries
from transparency.models import StateCount

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
pytest_plugins = ["tests.transparency_fixtures"]
D = Decimal


def test_steps_at_once_on_the_same_summary_rows_all_count(on_postgres, town):
    group = town.group("Friends of Abbey Park")
    apps = [town.bid(group, amount="100.00", wards=[town.abbey, town.brook]) for _ in range(12)]
    for app in apps[:6]:
        s.application_submit(application=app, by=town.treasurer)

    def step(i):
        app = apps[i]
        if i < 6:  # submitted -> eligible, while the others are submitted
            s.application_mark_eligible(application=app, by=town.officer)
        else:
            s.application_submit(application=app, by=town.treasurer)
        return "ok"

    results = run_together(12, step)
    assert results == ["ok"] * 12, results
    assert summaries.differences() == []
    counts = dict(
        StateCount.objects.filter(fund_year=town.asset, n__gt=0).values_list("status", "n")
    )
    assert counts == {Status.UNDER_ASSESSMENT: 6, Status.SUBMITTED: 6}
