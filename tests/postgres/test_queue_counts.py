"""On PostgreSQL: the workbench's queue counts (decisions.models.QueueCount), kept by the triggers
of decisions/migrations/0007_queue_counts.py, equal a count of the bids after any mix of
changes: steps, new bids, wards given and taken away, an edit outside the workflow, a bid
deleted; the workbench's queues and its list's length read them and agree with the bids; and
steps on bids of the same counts at once all count."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from applications import services as s
from applications.models import Application
from applications.workflow import Status
from decisions import selectors
from decisions.models import QueueCount
from tests.postgres.test_ledger import run_together

pytestmark = [pytest.mark.postgres]
pytest_plugins = ["tests.transparency_fixtures"]


def recount() -> dict[tuple, int]:
    wards: dict[int, list[int]] = {}
    for app_id, ward_id in Application.wards.through.objects.values_list(
        "application_id", "ward_id"
    ):
        wards.setdefault(app_id, []).append(ward_id)
    counted: Counter = Counter()
    for pk, fund_year_id, status in Application.objects.values_list("pk", "fund_year_id", "status"):
        key = ",".join(str(w) for w in sorted(wards.get(pk, [])))
        counted[(fund_year_id, key, status)] += 1
    return dict(counted)


def kept() -> dict[tuple, int]:
    return {
        (fy, wards, status): n
        for fy, wards, status, n in QueueCount.objects.values_list(
            "fund_year_id", "wards", "status", "n"
        )
        if n
    }


def counted_by_the_bids(filters) -> dict[str, int]:
    """The queues as SQLite counts them: an aggregate of the bids under the filters."""
    rows = (
        selectors._filtered(filters, with_state=False)
        .order_by()
        .values("status")
        .annotate(n=Sum(1))
        .values_list("status", "n")
    )
    return dict(rows)


@pytest.mark.django_db
def test_the_kept_counts_equal_a_recount_after_random_changes(on_postgres, town):
    rng = random.Random(17)
    third = type(town.abbey).objects.create(
        council=town.council, name="Castle Hill", gss_code="E05800003"
    )
    wards = [town.abbey, town.brook, third]
    group = town.group("Friends of Abbey Park")
    apps: list[Application] = []
    for n in range(120):
        roll = rng.random()
        if roll < 0.25 or not apps:
            fund_year = rng.choice([town.asset, town.ward_budget])
            apps.append(
                town.bid(group, fund_year=fund_year, wards=rng.sample(wards, rng.randint(0, 3)))
            )
            continue
        app = rng.choice(apps)
        app.refresh_from_db()
        if roll < 0.55 and app.status == Status.DRAFT:
            s.application_submit(application=app, by=town.treasurer)
        elif roll < 0.65 and app.status == Status.SUBMITTED:
            s.application_mark_eligible(application=app, by=town.officer)
        elif roll < 0.7 and app.status in (Status.SUBMITTED, Status.UNDER_ASSESSMENT):
            s.application_withdraw(application=app, by=town.treasurer, reason="Found funding.")
        elif roll < 0.78:
            app.wards.add(rng.choice(wards))
        elif roll < 0.84:
            app.wards.remove(rng.choice(wards))
        elif roll < 0.87:
            app.wards.clear()
        elif roll < 0.9:
            app.wards.set(rng.sample(wards, 2))
        elif roll < 0.94:  # an edit outside the workflow: counted as well
            Application.objects.filter(pk=app.pk).update(status=Status.CLOSED)
        elif roll < 0.97 and app.status == Status.DRAFT:
            apps.remove(app)
            app.delete()
        if n % 20 == 0:
            assert kept() == recount(), n
    assert kept() == recount()
    assert len({key[1] for key in kept()}) > 3  # several sets of wards were counted

    for filters in (
        {},
        {"ward": town.abbey},
        {"ward": third},
        {"fund": town.asset.fund},
        {"year": town.ward_budget.year, "ward": town.brook},
    ):
        queues = {q.status: q.count for q in selectors.queues(filters) if q.count}
        assert queues == counted_by_the_bids(filters), filters


@pytest.mark.django_db
def test_the_workbench_reads_its_counts_and_its_length_from_the_kept_rows(on_postgres, town):
    group = town.group("Friends of Abbey Park")
    for n in range(7):
        app = town.bid(group, wards=[town.abbey] if n % 2 else [town.brook])
        if n < 5:
            s.application_submit(application=app, by=town.treasurer)
    queues = selectors.queues({"ward": town.abbey})
    assert {q.status: q.count for q in queues if q.count} == {Status.SUBMITTED: 2, Status.DRAFT: 1}
    assert selectors.listed(queues, None) == 2
    with CaptureQueriesContext(connection) as queries:
        selectors.queues({"ward": town.abbey})
    assert len(queries) == 1
    assert "decisions_queuecount" in queries[0]["sql"]
    assert "applications_application" not in queries[0]["sql"]


@pytest.mark.django_db(transaction=True)
def test_steps_at_once_on_the_same_count_rows_all_count(on_postgres, town):
    group = town.group("Friends of Abbey Park")
    apps = [town.bid(group, wards=[town.abbey, town.brook]) for _ in range(12)]
    for app in apps[:6]:
        s.application_submit(application=app, by=town.treasurer)

    def step(i):
        if i < 6:
            s.application_mark_eligible(application=apps[i], by=town.officer)
        else:
            s.application_submit(application=apps[i], by=town.treasurer)
        return "ok"

    assert run_together(12, step) == ["ok"] * 12
    assert kept() == recount()
    counts = {q.status: q.count for q in selectors.queues({}) if q.count}
    assert counts == {Status.UNDER_ASSESSMENT: 6, Status.SUBMITTED: 6}


@pytest.mark.django_db
def test_wards_given_and_taken_from_many_bids_in_one_statement_keep_the_counts(on_postgres, town):
    """One statement of many links, as a bulk load or an import makes, some bids having wards
    already and some links of one bid in the same statement (decisions 0012)."""
    third = type(town.abbey).objects.create(
        council=town.council, name="Castle Hill", gss_code="E05800003"
    )
    group = town.group("Friends of Abbey Park")
    apps = [town.bid(group, wards=[town.abbey] if n % 2 else []) for n in range(40)]
    through = Application.wards.through
    through.objects.bulk_create(
        [through(application_id=a.pk, ward_id=w.pk) for a in apps for w in (town.brook, third)]
    )
    assert kept() == recount()
    through.objects.filter(application_id__in=[a.pk for a in apps[::3]], ward_id=third.pk).delete()
    assert kept() == recount()
    through.objects.filter(application_id__in=[a.pk for a in apps[1::4]]).delete()
    assert kept() == recount()
