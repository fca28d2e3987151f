"""On PostgreSQL: a ward's links to bids waiting for councillor support are flagged by triggers
(applications/migrations/0012_ward_waiting.py) as bids step and their wards change, so the
councillor home's list of bids waiting for them reads a partial index of their wards' queue
and finds exactly the bids the plain query (SQLite's) finds."""

from __future__ import annotations

import random

import pytest
from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from applications import councillor_selectors as selectors
from applications.models import Application, Pledge
from applications.workflow import Status
from tests.api_fixtures import many
from tests.factories import ApplicationFactory, CouncillorFactory, WardFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def plainly(terms) -> set[int]:
    """Waiting bids of the terms' wards by their state and links, as SQLite asks."""
    linked = Application.wards.through.objects.filter(
        application=OuterRef("pk"), ward_id__in=[t.ward_id for t in terms]
    )
    answered = Pledge.objects.filter(
        application=OuterRef("pk"), councillor__in=terms, status__in=["pledged", "declined"]
    )
    return set(
        Application.objects.filter(Exists(linked), status=Status.AWAITING_SUPPORT)
        .exclude(Exists(answered))
        .values_list("pk", flat=True)
    )


def test_the_waiting_links_follow_steps_and_ward_changes(on_postgres, ward, fund_year):
    rng = random.Random(17)
    other = WardFactory(name="Brookfield")
    shaw = CouncillorFactory(ward=ward)
    states = [Status.AWAITING_SUPPORT, Status.SUBMITTED, Status.UNDER_ASSESSMENT, Status.DRAFT]
    bids = [ApplicationFactory(status=rng.choice(states), fund_year=fund_year) for _ in range(12)]
    for bid in bids:
        bid.wards.set(rng.sample([ward, other], rng.randint(1, 2)))
    for step in range(80):
        bid = rng.choice(bids)
        if step % 3 == 0:
            bid.wards.set(rng.sample([ward, other], rng.randint(0, 2)))
        else:
            Application.objects.filter(pk=bid.pk).update(status=rng.choice(states))
        found = {a.pk for a in selectors.bids_waiting(shaw.user, [shaw])}
        assert found == plainly([shaw]), step
    assert plainly([shaw]), "no bid of the ward was left waiting: the run tested nothing"
    assert selectors.bids_waiting(shaw.user, [shaw]).count() == len(plainly([shaw]))


def test_the_list_reads_the_wards_queue_from_its_index(on_postgres, ward, fund_year):
    shaw = CouncillorFactory(ward=ward)
    for _ in range(3):
        ApplicationFactory(status=Status.AWAITING_SUPPORT, fund_year=fund_year).wards.set([ward])
    # The ward's history: bids long past waiting, so that its index of waiting bids is the one
    # to read whatever else the database holds (at 3 links, any index of the ward would do).
    done = ApplicationFactory(status=Status.CLOSED, fund_year=fund_year)
    done.wards.set([ward])
    many(500, like=done, prefix="DONE", status=Status.CLOSED)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    sql, params = selectors.bids_waiting(shaw.user, [shaw])[:20].query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ward_link_awaiting_support" in plan, plan
