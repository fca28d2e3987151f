"""On PostgreSQL an approval's queries are the same with one pledging councillor or three, and
with 10 bids or 200 in the system (the ledger posts a commitment of any number of shares in one
statement): through the officer's decide page fewer than 25, BEGIN and COMMIT counted; through
the API's approve step the same approval, with the API's own asking before it (may this person
act: one query) and its answer after it (the application read again: four)."""

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
API_MOST = 27  # the page's approval less its session and sign-in, plus the API's own five
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
    assert len({n for pair in counts.values() for n in pair}) == 1, counts
    assert counts[3][1] < FEWER_THAN, counts


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
    assert len({n for pair in counts.values() for n in pair}) == 1, counts
    assert counts[3][1] <= API_MOST, counts


def _another(draft, treasurer):
    from tests.factories import ApplicationFactory

    return ApplicationFactory(
        fund_year=draft.fund_year, organisation=draft.organisation, created_by=treasurer
    )
