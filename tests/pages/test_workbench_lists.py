"""The workbench's list a page at a time: a search's later page is the same as that page of the
whole list (its ids found first, then its rows), its length and its queues are counted from the
bids found, and a page costs the same queries with few bids or many, searched, by ward or not."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.workflow import Status
from decisions.selectors import workbench_applications
from tests.factories import OrganisationFactory
from tests.pages.test_workbench import URL, many

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


def refs(response) -> list[str]:
    assert response.status_code == 200
    return [a.reference for a in response.context["rows"]]


@pytest.fixture
def found(draft, fund_year, ward):
    """Bids of 'Group 7' and 'GROUP 70' in three states, a bid whose reference holds 'group 7',
    and bids the search does not find ('Group 8', and drafts of 'Group 7')."""
    seven, seventy, eight = (
        OrganisationFactory(name=name, members=[draft.created_by])
        for name in ("Group 7", "GROUP 70 Friends", "Group 8")
    )
    kw = {"fund_year": fund_year, "ward": ward}
    many(40, organisation=seven, prefix="S7", **kw)
    many(30, organisation=seventy, status=Status.UNDER_ASSESSMENT, prefix="S70", **kw)
    many(25, organisation=seven, status=Status.AWAITING_DECISION, prefix="D7", **kw)
    many(1, organisation=eight, prefix="GROUP 7", **kw)  # found by its reference
    many(20, organisation=eight, prefix="S8", **kw)
    many(5, organisation=seven, status=Status.DRAFT, prefix="DR7", **kw)
    return 40 + 30 + 25 + 1


def test_a_searchs_later_page_is_that_page_of_the_whole_list(officer_client, found):
    whole = [a.reference for a in workbench_applications({"q": "group 7"})]
    assert len(whole) == found
    response = officer_client.get(URL, {"q": "group 7", "page": 2})
    assert refs(response) == whole[50:96]
    assert response.context["page"].paginator.count == found
    assert "51 to 96 of 96" in response.content.decode()
    queues = {q.status: q.count for q in response.context["officer_queues"]}
    assert queues[Status.SUBMITTED] == 41 and queues[Status.AWAITING_DECISION] == 25
    others = {q.status: q.count for q in response.context["other_queues"]}
    assert others[Status.DRAFT] == 5  # counted, not listed


def test_a_searched_queue_pages_in_its_own_order(officer_client, found):
    whole = [a.reference for a in workbench_applications({"q": "GROUP 7", "state": "submitted"})]
    assert len(whole) == 41
    assert refs(officer_client.get(URL, {"q": "GROUP 7", "state": "submitted"})) == whole
    drafts = refs(officer_client.get(URL, {"q": "group 7", "state": "draft"}))
    assert sorted(drafts) == [f"DR7-{i:06d}" for i in range(5)]


def test_a_search_sorted_by_a_column_is_the_whole_list_sorted(officer_client, found):
    whole = [a.reference for a in workbench_applications({"q": "group 7"}, sort="amount")]
    assert (
        refs(officer_client.get(URL, {"q": "group 7", "sort": "amount", "page": 2})) == (whole[50:])
    )


@pytest.mark.parametrize(
    "query",
    [{}, {"q": "group 7", "page": 2}, {"ward": "WARD"}, {"state": "submitted", "ward": "WARD"}],
)
def test_a_page_makes_as_many_queries_with_few_bids_as_with_many(
    officer_client, draft, fund_year, ward, query
):
    query = {k: (ward.pk if v == "WARD" else v) for k, v in query.items()}
    group = OrganisationFactory(name="Group 7", members=[draft.created_by])
    many(60, fund_year=fund_year, organisation=group, ward=ward, prefix="FEW")

    def count():
        officer_client.get(URL, query)  # the first request after signing in writes the session
        with CaptureQueriesContext(connection) as queries:
            assert officer_client.get(URL, query).status_code == 200
        return len(queries)

    few = count()
    many(300, fund_year=fund_year, organisation=group, ward=ward, prefix="MANY")
    assert count() == few


@pytest.mark.parametrize("page", ["99999999999999999999", "-3", "two"])
def test_a_page_number_out_of_all_reason_shows_a_page_not_an_error(officer_client, found, page):
    """Typed or tampered with in the address: the list's last or first page, as Django's
    paginator answers, never a 500 from an offset the database cannot hold."""
    response = officer_client.get("/officer/", {"q": "group", "page": page})
    assert response.status_code == 200
    assert refs(response)
