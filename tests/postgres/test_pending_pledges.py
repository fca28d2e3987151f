"""On PostgreSQL: what each councillor has pledged to bids still waiting for a decision is kept
per fund year by triggers (applications/migrations/0011_pending_pledges.py), and after any
mix of pledges made, changed, withdrawn and deleted, and bids stepped, moved to another fund
year and deleted, every kept total equals the pledges summed again. A budget reads that one
row (applications.support.pending_pledges)."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection

from applications import support
from applications.models import Application, PendingPledges, Pledge
from applications.workflow import Status
from budgets import selectors as budget_selectors
from tests.factories import ApplicationFactory, CouncillorFactory, FundYearFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
STATES = [s.value for s in Status]


def recount() -> dict[tuple[int, int], Decimal]:
    found: dict[tuple[int, int], Decimal] = defaultdict(lambda: Decimal("0.00"))
    for pledge in Pledge.objects.filter(
        status=Pledge.Status.PLEDGED, application__status__in=support.PENDING
    ).select_related("application"):
        found[(pledge.councillor_id, pledge.application.fund_year_id)] += pledge.amount
    return {k: v for k, v in found.items() if v}


def kept() -> dict[tuple[int, int], Decimal]:
    return {
        (r.councillor_id, r.fund_year_id): r.total for r in PendingPledges.objects.all() if r.total
    }


def any_pledge(rng: random.Random) -> Pledge | None:
    """A pledge picked by the test's own seeded generator (the database's random order would
    make the run differ each time, and once leave no pledge waiting)."""
    pledges = list(Pledge.objects.order_by("pk"))
    return rng.choice(pledges) if pledges else None


def test_the_migration_counts_the_same_states_as_waiting_as_the_service():
    from importlib import import_module

    migration = import_module("applications.migrations.0011_pending_pledges")
    assert migration.PENDING == "(" + ", ".join(f"'{s}'" for s in support.PENDING) + ")"


def test_kept_totals_equal_a_recount_after_random_changes(on_postgres, ward):
    rng = random.Random(18)  # a run that leaves pledges waiting (checked at its end)
    years = [FundYearFactory(), FundYearFactory(year__start=datetime.date(2027, 4, 1))]
    members = [CouncillorFactory(ward=ward) for _ in range(3)]
    bids = [
        ApplicationFactory(fund_year=rng.choice(years), status=rng.choice(STATES)) for _ in range(8)
    ]
    for step in range(150):
        move = rng.choice(["pledge", "pledge", "change", "withdraw", "step", "step", "year"])
        if move == "pledge":
            app, member = rng.choice(bids), rng.choice(members)
            if not Pledge.objects.filter(
                application=app, councillor=member, status__in=["pledged", "declined"]
            ).exists():
                Pledge.objects.create(
                    application=app,
                    councillor=member,
                    amount=Decimal(rng.randint(0, 500)),
                    status=rng.choice(["pledged", "pledged", "declined"]),
                    statement="Yes",
                    created_by=member.user,
                )
        elif move == "change" and (pledge := any_pledge(rng)):
            pledge.amount = Decimal(rng.randint(0, 500)) + Decimal("0.25")
            pledge.save()
        elif move == "withdraw" and (pledge := any_pledge(rng)):
            Pledge.objects.filter(pk=pledge.pk).update(status=Pledge.Status.WITHDRAWN)
        elif move == "step":
            app = rng.choice(bids)
            Application.objects.filter(pk=app.pk).update(status=rng.choice(STATES))
        elif move == "year":
            app = rng.choice(bids)
            Application.objects.filter(pk=app.pk).update(fund_year=rng.choice(years))
        if step % 30 == 29:
            assert kept() == recount(), step
    assert recount(), "the run left no pledge waiting: it tested nothing"
    doomed = bids.pop()
    Pledge.objects.filter(application=doomed).delete()
    doomed.delete()
    assert kept() == recount()
    for year in years:
        by = support.pending_pledges_by_councillor(fund_year=year)
        assert {c: t for c, t in by.items() if t} == {
            c: t for (c, fy), t in recount().items() if fy == year.pk
        }


def test_a_budget_reads_the_kept_row(on_postgres, fund_year, shaw):
    from budgets.models import Account

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    sql, params = (
        budget_selectors.with_pledgeable(Account.objects.filter(councillor=shaw)).query
    ).sql_with_params()
    assert "applications_pendingpledges" in sql
    assert "applications_pledge" not in sql.replace("applications_pendingpledges", "")
