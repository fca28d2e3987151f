"""The groups funded in a ward (transparency.models.GroupShare), kept as grants change: equal
to each group's grants of the ward summed again after any run of steps, shared to the penny
as before, read a page at a time, most money first, and moved when a ward is renamed."""

from __future__ import annotations

import datetime
import random
import re
from collections import defaultdict
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q

from applications.models import Application
from budgets.models import Ward
from fundmgr.errors import DomainError
from tests.factories import ApplicationFactory
from tests.pages.test_dashboards import Clock, _step
from tests.pages.test_transparency import count_queries, text
from transparency import summaries, wards
from transparency.models import GroupShare
from transparency.published import published

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.transparency_fixtures"]
D = Decimal


def summed(ward: Ward) -> list[list]:
    """The groups funded in `ward` summed from its grants, as the page did before they were
    kept: each grant's award shared among its wards, the odd pennies to the first by name."""
    rows = (
        published()
        .filter(pk__in=Application.wards.through.objects.filter(ward=ward).values("application"))
        .annotate(
            k=Count("wards"),
            place=Count(
                "wards",
                filter=Q(wards__name__lt=ward.name) | Q(wards__name=ward.name, wards__lt=ward.pk),
            ),
        )
        .order_by()
        .values_list("organisation__name", "amount_awarded", "k", "place")
    )
    grants: dict[str, int] = defaultdict(int)
    pence: dict[str, int] = defaultdict(int)
    for name, awarded, k, place in rows:
        whole, odd = divmod(int(awarded * 100), k)
        grants[name] += 1
        pence[name] += whole + (1 if place < odd else 0)
    return sorted(([n, grants[n], pence[n]] for n in grants), key=lambda r: (-r[2], r[0]))


def kept(ward: Ward) -> list[list]:
    found = []
    page = wards.groups_funded(ward, 1)
    while True:
        found += page.object_list
        if not page.has_next():
            return found
        page = wards.groups_funded(ward, page.next_page_number())


def awarded(town, group, amount: str, ward_list, status="closed") -> Application:
    app = ApplicationFactory(
        fund_year=town.asset,
        organisation=group,
        status=status,
        amount_requested=D(amount),
        total_cost=D(amount),
        amount_awarded=D(amount),
        created_by=town.treasurer,
    )
    app.wards.set(ward_list)
    return app


@pytest.mark.slow
def test_the_kept_groups_equal_the_grants_summed_after_any_run_of_steps(town):
    rng = random.Random(17)
    clock = Clock()
    groups = [
        town.group("Friends of Abbey Park"),
        town.group("Brook FC", ward=town.brook),
        town.group("Abbey Allotments"),
    ]
    apps = []
    with mock.patch("django.utils.timezone.now", clock):
        for n in range(120):
            clock.now += datetime.timedelta(hours=rng.randrange(1, 48))
            if not apps or rng.random() < 0.2:
                wards_ = rng.choice([[town.abbey], [town.brook], [town.abbey, town.brook]])
                app = town.bid(rng.choice(groups), amount=rng.choice(["300.00", "100.01"]))
                app.wards.set(wards_)
                apps.append(app)
                continue
            try:
                _step(town, rng.choice(apps), rng, n)
            except (DomainError, AttributeError, TypeError):
                pass
    assert summaries.differences() == []
    assert GroupShare.objects.filter(n__gt=0).exists(), "no grant was published: nothing tested"
    for ward in (town.abbey, town.brook):
        assert kept(ward) == summed(ward)


def test_a_grant_of_two_wards_is_shared_to_the_penny_and_follows_its_steps(town):
    group = town.group("Friends of Abbey Park")
    app = awarded(town, group, "100.01", [town.abbey, town.brook])
    assert kept(town.abbey) == [["Friends of Abbey Park", 1, 5001]]  # Abbey first by name
    assert kept(town.brook) == [["Friends of Abbey Park", 1, 5000]]
    Application.objects.filter(pk=app.pk).update(status="withdrawn")
    summaries.resync([app.pk])
    assert kept(town.abbey) == kept(town.brook) == []
    assert summaries.differences() == []


def test_a_renamed_ward_takes_the_odd_penny_where_its_name_now_falls(town):
    group = town.group("Friends of Abbey Park")
    awarded(town, group, "100.01", [town.abbey, town.brook])
    town.brook.name = "Aardvark Fields"  # now first by name
    town.brook.save()
    assert kept(town.brook) == [["Friends of Abbey Park", 1, 5001]]
    assert kept(town.abbey) == [["Friends of Abbey Park", 1, 5000]]
    assert summaries.differences() == []


def test_the_groups_are_read_a_page_at_a_time_most_money_first(client, town):
    for i in range(23):
        group = town.group(f"Group {i:02d}")
        awarded(town, group, f"{100 + i}.00", [town.brook])
    first = wards.groups_funded(town.brook, 1)
    assert [row[0] for row in first.object_list][:2] == ["Group 22", "Group 21"]
    assert len(first.object_list) == wards.GROUPS_PAGE_SIZE
    assert first.paginator.count == 23
    html = text(client.get("/grants/wards/E05800002/", {"groups": 2}))
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('id="grants"')[0]))
    assert "21 to 23 of 23 groups" in page
    assert 'href="?groups=1#groups"' in html
    assert "Group 02" in page and "Group 00" in page and "Group 03" not in page
    assert kept(town.brook) == summed(town.brook)


def test_a_ward_page_takes_the_same_queries_for_few_groups_and_many(client, town):
    for i in range(3):
        awarded(town, town.group(f"Few {i}"), "100.00", [town.abbey])
    few = count_queries(client, "/grants/wards/E05800001/")
    for i in range(45):
        awarded(town, town.group(f"Many {i}"), "100.00", [town.abbey])
    assert count_queries(client, "/grants/wards/E05800001/") == few


def test_the_check_finds_a_wrong_group_share_and_a_rebuild_mends_it(town):
    awarded(town, town.group("Friends of Abbey Park"), "250.00", [town.abbey])
    call_command("check_summaries")
    GroupShare.objects.update(pence=1)
    with pytest.raises(CommandError, match="differences"):
        call_command("check_summaries")
    call_command("rebuild_summaries")
    call_command("check_summaries")
    assert kept(town.abbey) == [["Friends of Abbey Park", 1, 25000]]


def test_the_ward_pages_grants_show_group_project_fund_year_and_amount(client, town):
    awarded(town, town.group("Brook FC"), "321.00", [town.brook])
    html = text(client.get("/grants/wards/E05800002/"))
    grants = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('id="grants"')[1]))
    assert "Brook FC" in grants and "New benches for the park" in grants
    assert f"{town.asset.fund.name} {town.asset.year.label}" in grants
    assert "£321.00" in grants
