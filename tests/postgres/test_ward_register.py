"""On PostgreSQL: a ward's page of the public register is read from the ward's own index of
listed links (applications/migrations/0013_ward_register.py), kept by triggers as grants step,
are dated and change wards, and shows exactly the grants, in exactly the order, that the
council's register filtered to the ward shows."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from applications.models import REGISTER_STATES, Application
from applications.workflow import Status
from tests.factories import ApplicationFactory, WardFactory
from transparency import published, wards

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_migration_lists_the_registers_states():
    from importlib import import_module

    migration = import_module("applications.migrations.0013_ward_register")
    assert migration.LISTED == "(" + ", ".join(f"'{s}'" for s in REGISTER_STATES) + ")"


def test_a_wards_pages_are_the_registers_after_steps_dates_and_ward_changes(
    on_postgres, ward, fund_year
):
    rng = random.Random(17)
    other = WardFactory(name="Brookfield")
    states = [*REGISTER_STATES, Status.WITHDRAWN, Status.AWAITING_DECISION, Status.LAPSED]
    base = timezone.now()
    bids = []
    for _ in range(30):
        bid = ApplicationFactory(
            fund_year=fund_year,
            status=rng.choice(states),
            amount_awarded=Decimal("100.00"),
            awarded_at=base - datetime.timedelta(hours=rng.randrange(5)),  # ties too
        )
        bid.wards.set(rng.sample([ward, other], rng.randint(1, 2)))
        bids.append(bid)
    for step in range(60):
        bid = rng.choice(bids)
        move = step % 3
        if move == 0:
            Application.objects.filter(pk=bid.pk).update(status=rng.choice(states))
        elif move == 1:
            when = base - datetime.timedelta(hours=rng.randrange(5))
            Application.objects.filter(pk=bid.pk).update(awarded_at=when)
        else:
            bid.wards.set(rng.sample([ward, other], rng.randint(0, 2)))
        for page in (slice(0, 7), slice(7, 14), slice(14, 40)):
            mine = [a["reference"] for a in wards.WardRegister(ward)[page]]
            theirs = [a.reference for a in published.Register({"ward": ward})[page]]
            assert mine == theirs, step
    assert [a["reference"] for a in wards.WardRegister(ward)[0:40]], (
        "nothing listed: nothing tested"
    )


def test_a_wards_page_is_read_from_its_index(on_postgres, ward, fund_year):
    for _ in range(3):
        ApplicationFactory(
            fund_year=fund_year,
            status=Status.CLOSED,
            amount_awarded=Decimal("100.00"),
            awarded_at=timezone.now(),
        ).wards.set([ward])
    register = wards.WardRegister(ward)
    with CaptureSql() as sql:
        register[0:50]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SET LOCAL enable_sort = off")  # a plan that sorts would still sort
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql.first)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ward_link_register" in plan, plan
    assert "Sort" not in plan, plan


class CaptureSql:
    """The first statement run inside the block."""

    def __enter__(self):
        from django.test.utils import CaptureQueriesContext

        self.context = CaptureQueriesContext(connection)
        self.context.__enter__()
        return self

    def __exit__(self, *exc):
        self.context.__exit__(*exc)
        self.first = self.context.captured_queries[0]["sql"]
