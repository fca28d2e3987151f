"""On PostgreSQL an approval's queries are the same with one pledging councillor or three, and
with 10 bids or 200 in the system (the ledger posts a commitment of any number of shares in one
statement): through the officer's decide page 18, BEGIN and COMMIT counted; through the API's
approve step 20: the same approval, the API reading the application first as the page does,
and answering with the application as the service left it under its lock (not read again) with
its wards, budget lines and other funding (three). A grants officer's permission is asked once,
by the service under the lock, not by the API before it too. Exactly these: one query more and
the test fails."""

from __future__ import annotations

import pytest

from tests.api_fixtures import client_for
from tests.decisions.test_approval_queries import (
    FEWER_THAN,
    api_approval,
    at_10_and_200_bids,
    page_approval,
    queued_tasks,
)

__all__ = ["queued_tasks"]
# The session, the person with their roles, the application, the approval, BEGIN and COMMIT.
PAGE_QUERIES = 18
API_QUERIES = 20  # the page's approval less its session and sign-in, plus the API's answer
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_decide_page_approves_in_a_constant_small_number_of_queries(
    on_postgres, client, queued_tasks, draft, treasurer, officer, officer2
):
    client.force_login(officer2)
    counts = {}
    for pledges in (1, 3):
        counts[pledges] = at_10_and_200_bids(
            page_approval, client, pledges=pledges, draft=draft, treasurer=treasurer,
            officer=officer,
        )  # fmt: skip
        draft = _another(draft, treasurer)
    print(f"decide page: queries per approval {counts}")
    assert {n for pair in counts.values() for n in pair} == {PAGE_QUERIES}, counts
    assert PAGE_QUERIES < FEWER_THAN


def test_the_apis_approve_step_approves_in_a_constant_small_number_of_queries(
    on_postgres, queued_tasks, draft, treasurer, officer, officer2
):
    counts = {}
    for pledges in (1, 3):
        counts[pledges] = at_10_and_200_bids(
            api_approval, client_for(officer2), pledges=pledges, draft=draft,
            treasurer=treasurer, officer=officer,
        )  # fmt: skip
        draft = _another(draft, treasurer)
    print(f"API approve step: queries per approval {counts}")
    assert {n for pair in counts.values() for n in pair} == {API_QUERIES}, counts
    assert API_QUERIES <= FEWER_THAN


def _another(draft, treasurer):
    from tests.factories import ApplicationFactory

    return ApplicationFactory(
        fund_year=draft.fund_year, organisation=draft.organisation, created_by=treasurer
    )
