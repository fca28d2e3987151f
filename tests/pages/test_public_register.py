"""The public register's cost does not grow with history: the same queries at 10 bids and 200,
newest award first by the stored award time, ward figures from the kept summaries."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications import services as s
from applications.models import Application
from applications.workflow import Status
from transparency import summaries

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.transparency_fixtures"]
D = Decimal
# a state of every kind: most published, some never awarded, one award that came to nothing
STATES = [Status.CLOSED, Status.MONITORING, Status.DRAFT, Status.APPROVED, Status.LAPSED]
START = datetime.datetime(2026, 5, 1, 9, 0, tzinfo=datetime.UTC)


def bids(town, n: int, prefix: str) -> list[Application]:
    """`n` bids written in bulk over both wards (every third benefits both), the awarded ones
    dated an hour apart; then the summaries counted again, as a seed does."""
    group = town.group(f"{prefix} Community Group")
    made = Application.objects.bulk_create(
        Application(
            fund_year=town.asset,
            organisation=group,
            reference=f"{prefix}-{i:06d}",
            status=STATES[i % len(STATES)],
            title=f"Project {prefix} {i}",
            amount_requested=D("100.01"),
            total_cost=D("100.01"),
            amount_awarded=None if STATES[i % len(STATES)] == Status.DRAFT else D("100.01"),
            awarded_at=(
                None
                if STATES[i % len(STATES)] == Status.DRAFT
                else START + datetime.timedelta(hours=i)
            ),
            created_by=town.treasurer,
            submitted_at=timezone.now(),
        )
        for i in range(n)
    )
    Through = Application.wards.through
    Through.objects.bulk_create(
        Through(application=a, ward=ward)
        for i, a in enumerate(made)
        for ward in ([town.abbey, town.brook] if i % 3 == 0 else [town.abbey])
    )
    summaries.rebuild()
    return made


def count_queries(client, url) -> int:
    client.get(url)  # as asked for again (see tests/pages/test_transparency.py)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


PAGES = [
    "/grants/",
    "/grants/?page=2",
    "/grants/?page=3",
    "/grants/?year=2026/27&fund=CAF",
    "/grants/?ward=E05800002",
    "/grants/wards/",
    "/grants/wards/?year=2026/27",
    "/grants/wards/E05800001/",
    "/grants/wards/E05800001/?page=2",
    "/grants/360giving/",
]


def test_every_public_page_takes_the_same_queries_at_10_bids_and_at_200(client, town):
    bids(town, 10, "FEW")
    few = {url: count_queries(client, url) for url in PAGES}
    bids(town, 190, "MANY")
    assert Application.objects.count() == 200
    assert {url: count_queries(client, url) for url in PAGES} == few


def visible(response) -> str:
    text = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def test_the_register_lists_the_newest_award_first_page_by_page(client, town):
    made = bids(town, 75, "REG")  # 45 published: 15 closed, 15 monitoring, 15 approved
    listed = [a for a in made if a.status not in (Status.DRAFT, Status.LAPSED)]
    newest_first = sorted(listed, key=lambda a: a.awarded_at, reverse=True)
    first = client.get("/grants/").context["page"]
    assert [a.pk for a in first.object_list] == [a.pk for a in newest_first[:50]][:45]
    assert first.paginator.count == 45
    assert "1 to 45 of 45" in visible(client.get("/grants/"))


def test_a_later_page_holds_the_older_awards(client, town, monkeypatch):
    from transparency import views

    monkeypatch.setattr(views, "PAGE_SIZE", 10)
    made = bids(town, 30, "OLD")
    listed = sorted(
        (a for a in made if a.status not in (Status.DRAFT, Status.LAPSED)),
        key=lambda a: a.awarded_at,
        reverse=True,
    )
    second = client.get("/grants/", {"page": 2}).context["page"]
    assert [a.pk for a in second.object_list] == [a.pk for a in listed[10:18]]
    assert client.get("/grants/", {"page": 2}).content.decode().count("govuk-table__row") == 9


def test_a_grant_approved_later_comes_before_one_approved_earlier(client, town):
    early = town.award(town.bid(town.group("Early Birds")), accept=False)
    later = town.award(town.bid(town.group("Late Risers")), accept=False)
    Application.objects.filter(pk=early.pk).update(awarded_at=START + datetime.timedelta(days=9))
    Application.objects.filter(pk=later.pk).update(awarded_at=START)
    words = visible(client.get("/grants/"))
    assert words.index("Early Birds") < words.index("Late Risers")
    assert "10 May 2026" in words  # the stored award time is the date shown


def test_ward_figures_share_a_grant_between_its_wards_to_the_penny(client, town):
    both = town.bid(town.group("Two Wards Trust"), amount="100.01", wards=[town.brook, town.abbey])
    town.award(both, accept=False)
    words = visible(client.get("/grants/wards/", {"year": "2026/27"}))
    assert re.search(r"Abbey Meadow 1 £50\.01", words)  # the odd penny: first in name order
    assert re.search(r"Brookfield 1 £50\.00", words)
    profile = visible(client.get("/grants/wards/E05800002/"))
    assert "1 grant, £50.00 in all" in profile
    assert re.search(r"Two Wards Trust 1 £50\.00", profile)
    assert "Two Wards Trust" in profile and "£100.01" in profile  # the grant, whole, listed


def test_an_award_withdrawn_drops_out_of_the_ward_figures_at_once(client, town):
    offer = town.award(town.bid(town.group("Friends of Abbey Park")), accept=False)
    assert re.search(
        r"Abbey Meadow 1 £500\.00", visible(client.get("/grants/wards/", {"year": "2026/27"}))
    )
    s.application_withdraw(application=offer, by=town.treasurer, reason="No longer needed.")
    words = visible(client.get("/grants/wards/", {"year": "2026/27"}))
    assert re.search(r"Abbey Meadow 0 £0\.00", words)
    assert "1 grant" not in visible(client.get("/grants/wards/E05800001/"))
