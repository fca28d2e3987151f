"""On PostgreSQL: a bid's rows in decisions.models.WardListing, kept by the triggers of
decisions/migrations/0008_ward_listings.py, follow its wards, state and submission through any
mix of changes; the workbench filtered by a ward lists the same bids in the same order as the
join of the bids' wards does; and a page of it is read from the listing's index in order."""

from __future__ import annotations

import random

import pytest
from django.db import connection, transaction

from applications import services as s
from applications.models import Application
from applications.workflow import Status
from decisions.models import WardListing
from decisions.selectors import PRIORITY, workbench_applications

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
pytest_plugins = ["tests.transparency_fixtures"]


def expected() -> set[tuple]:
    return {
        (app_id, ward_id, None if status == Status.DRAFT else PRIORITY[status], submitted_at)
        for app_id, ward_id, status, submitted_at in Application.wards.through.objects.values_list(
            "application_id", "ward_id", "application__status", "application__submitted_at"
        )
    }


def kept() -> set[tuple]:
    return set(
        WardListing.objects.values_list("application_id", "ward_id", "priority", "submitted_at")
    )


def by_join(ward, state=None) -> list[int]:
    """The ward's list as SQLite finds it: the bids' wards joined, then sorted."""
    apps = Application.objects.filter(wards=ward)
    apps = apps.filter(status=state) if state else apps.exclude(status=Status.DRAFT)
    rows = apps.values_list("pk", "status", "submitted_at")
    far = max((r[2] for r in rows if r[2]), default=None)
    return [
        pk
        for pk, status, submitted in sorted(
            rows, key=lambda r: (PRIORITY[r[1]], r[2] is None, r[2] or far, r[0])
        )
    ]


def test_the_listing_follows_wards_steps_and_deletes(on_postgres, town):
    rng = random.Random(8)
    third = type(town.abbey).objects.create(
        council=town.council, name="Castle Hill", gss_code="E05800003"
    )
    wards = [town.abbey, town.brook, third]
    group = town.group("Friends of Abbey Park")
    apps: list[Application] = []
    for _ in range(100):
        roll = rng.random()
        if roll < 0.3 or not apps:
            apps.append(town.bid(group, wards=rng.sample(wards, rng.randint(0, 2))))
            continue
        app = rng.choice(apps)
        app.refresh_from_db()
        if roll < 0.6 and app.status == Status.DRAFT and app.wards.exists():
            s.application_submit(application=app, by=town.treasurer)
        elif roll < 0.7 and app.status == Status.SUBMITTED:
            s.application_mark_eligible(application=app, by=town.officer)
        elif roll < 0.8:
            app.wards.add(rng.choice(wards))
        elif roll < 0.88:
            app.wards.remove(rng.choice(wards))
        elif roll < 0.92:
            app.wards.set(rng.sample(wards, 2))
        elif roll < 0.96 and app.status == Status.DRAFT:
            apps.remove(app)
            app.delete()
    assert kept() == expected()
    assert WardListing.objects.filter(priority__isnull=True).exists()  # drafts kept, unordered

    for ward in wards:
        for state in (None, Status.SUBMITTED, Status.UNDER_ASSESSMENT, Status.DRAFT):
            filters = {"ward": ward, "state": state}
            listed = [a.pk for a in workbench_applications(filters)]
            if state == Status.DRAFT:  # drafts are in the list's order within their state
                assert sorted(listed) == sorted(by_join(ward, state)), (ward, state)
            else:
                assert listed == by_join(ward, state), (ward, state)


@pytest.mark.parametrize("state", [None, Status.SUBMITTED])
def test_a_wards_page_is_read_from_the_listings_index_in_order(on_postgres, town, state):
    group = town.group("Friends of Abbey Park")
    for n in range(6):
        app = town.bid(group, wards=[town.abbey, town.brook][: 1 + n % 2])
        if n % 3:
            s.application_submit(application=app, by=town.treasurer)
    sql, params = workbench_applications({"ward": town.abbey, "state": state})[
        50:100
    ].query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        found = "\n".join(row[0] for row in cursor.fetchall())
    assert "ward_listing_order" in found, found
    sorted_by = [line for line in found.splitlines() if "Sort Key" in line]
    assert not any("decisions_wardlisting." in key for key in sorted_by), found
    assert not any("applications_application." in key for key in sorted_by), found
