"""On PostgreSQL: a page of the officer workbench, in its default order, one queue's or sorted by
a column, is read from an index in order (decisions/migrations/0004_workbench_order.py, 0005,
0006), with no sort of every bid, so a page costs the same however many bids there are; a search
is answered from trigram indexes; and the time a bid came into its state, which sorts it by days
waiting, is kept by the trigger of applications/migrations/0009_state_since.py."""

import datetime

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from applications import services as s
from applications.models import Application
from decisions.selectors import workbench_applications
from fundmgr import councils
from tests.factories import ApplicationFactory, OrganisationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
pytest_plugins = ["tests.transparency_fixtures"]


def plan(queryset, *, off: tuple[str, ...] = ("sort",)) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # A plan that sorts costs so much that the planner takes any other: if the index could
        # not give the order, the plan would still sort, and the test would see it. (Likewise a
        # plan that reads every row, or every entry of an index, turned off.)
        for method in off:
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("filters", "sort", "index"),
    [
        ({}, {}, "workbench_priority_order"),
        ({"state": "submitted"}, {}, "workbench_state_order"),
        ({}, {"sort": "amount"}, "workbench_amount_asc"),
        ({}, {"sort": "amount", "descending": True}, "workbench_amount_desc"),
        ({}, {"sort": "received"}, "workbench_received_asc"),
        ({}, {"sort": "received", "descending": True}, "workbench_received_desc"),
        ({}, {"sort": "waiting"}, "workbench_waiting_asc"),
        ({}, {"sort": "waiting", "descending": True}, "workbench_waiting_desc"),
    ],
)
def test_a_page_of_the_workbench_is_read_in_order_from_an_index(
    on_postgres, fund_year, filters, sort, index
):
    for status in ("submitted", "awaiting_decision", "closed", "draft"):
        ApplicationFactory.create_batch(3, status=status, fund_year=fund_year)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    found = plan(workbench_applications(filters, **sort)[50:100])
    assert index in found, found
    sorted_by = [line for line in found.splitlines() if "Sort Key" in line]
    # No sort of the bids themselves (a subquery's sort of one bid's wards aside).
    assert not any("applications_application." in key for key in sorted_by), found


@pytest.mark.parametrize("in_a_council", [False, True])
def test_a_search_is_answered_from_the_trigram_indexes(on_postgres, fund_year, in_a_council):
    """As the service's role, subject to row-level security (tests/with_postgres.py), service
    wide and working for one council."""
    ApplicationFactory.create_batch(3, status="submitted", fund_year=fund_year)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    scope = fund_year.council_id if in_a_council else councils.SERVICE
    with councils.acting_for(scope):
        # A few bids: left to itself the planner would read them all, which costs as little.
        found = plan(workbench_applications({"q": "abbey"})[:50], off=("seqscan", "indexscan"))
    assert "Seq Scan" not in found, found
    if not in_a_council:
        assert "decisions_reference_search_trgm" in found, found
        assert "workbench_search_organisation" in found, found
    # For one council the planner may read that council's bids from their council's index
    # instead, and look each up: bounded by the council's bids, not the service's.


def test_a_search_by_reference_finds_only_the_council_in_scopes_bids(on_postgres):
    from tests.councils_fixtures import two_councils

    made = two_councils()
    for key, other in (("a", "b"), ("b", "a")):
        with councils.acting_for(made[key].council):
            found = {app.pk for app in workbench_applications({"q": "ccif"})}
        assert made[key].app.pk in found and made[other].app.pk not in found
    with councils.acting_for(councils.NOTHING):
        assert list(workbench_applications({"q": "ccif"})) == []


def test_a_search_finds_by_reference_or_group_name_in_any_case(on_postgres, fund_year):
    abbey = OrganisationFactory(name="Friends of Abbey Park")
    by_group = ApplicationFactory(status="submitted", fund_year=fund_year, organisation=abbey)
    by_reference = ApplicationFactory(status="submitted", fund_year=fund_year, reference="ABBEY-1")
    ApplicationFactory(status="submitted", fund_year=fund_year, title="Abbey benches")
    found = {a.pk for a in workbench_applications({"q": "aBBey"})}
    assert found == {by_group.pk, by_reference.pk}
    assert {a.pk for a in workbench_applications({"q": "abbey-1"})} == {by_reference.pk}


def test_a_step_stores_when_the_bid_came_into_its_state_and_other_saves_keep_it(on_postgres, town):
    group = town.group("Friends of Abbey Park")
    older, newer = town.bid(group), town.bid(group)
    start = timezone.now() - datetime.timedelta(days=30)
    with time_machine.travel(start, tick=False):
        s.application_submit(application=older, by=town.treasurer)
    with time_machine.travel(start + datetime.timedelta(days=5), tick=False):
        s.application_submit(application=newer, by=town.treasurer)
    with time_machine.travel(start + datetime.timedelta(days=10), tick=False):
        s.application_mark_eligible(application=older, by=town.officer)  # its wait begins again

    def since(app):
        return Application.objects.get(pk=app.pk).state_since

    assert since(older) == older.transitions.last().at == start + datetime.timedelta(days=10)
    assert since(newer) == start + datetime.timedelta(days=5)
    saved = Application.objects.get(pk=newer.pk)
    saved.state_since = None  # a save that does not change the state keeps the stored time
    saved.title = "Bigger benches"
    saved.save()
    assert since(newer) == start + datetime.timedelta(days=5)
    # Fewest days waiting first (the one stepped on last), and the other way round.
    assert list(workbench_applications({}, sort="waiting")) == [older, newer]
    assert list(workbench_applications({}, sort="waiting", descending=True)) == [newer, older]
