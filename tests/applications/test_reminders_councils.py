"""The daily reminders on a service of two councils: made council by council, each tells only
its own people of its own bids and groups, and links to its own address (its path prefix here,
as the timers' command has no request to take it from)."""

from __future__ import annotations

import pytest

from applications import organisations
from fundmgr import councils
from tests.applications.test_reminders import day, sent_on, site  # noqa: F401
from tests.councils_fixtures import two_councils
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def made():
    made = two_councils()
    for key, one in made.items():
        with councils.acting_for(one.council):
            one.finance = UserFactory(username=f"finance-{key}", roles=["Finance officer"])
    return made


def test_each_councils_councillors_are_asked_of_their_own_bids_at_their_own_address(made):
    sent = sent_on(day(11, 30))  # each bid has waited 7 days for support
    for key, other in (("a", "b"), ("b", "a")):
        mine = [m for m in sent if made[key].councillor.email in m.to]
        assert len(mine) == 1, [m.to for m in sent]
        body = mine[0].body
        link = f"https://grants.example.gov.uk/council-{key}/councillor/bids/{made[key].app.reference}/"
        assert link in body
        assert made[other].app.reference not in body


def test_bank_details_waiting_go_to_the_finance_officers_of_the_groups_council_only(made):
    group_a = made["a"].app.organisation
    organisations.bank_account_change(
        organisation=group_a,
        by=made["a"].treasurer,
        account_name="FRIENDS OF A",
        sort_code="200000",
        account_number="12345678",
    )
    sent = sent_on(day(11, 26))
    digests = [m for m in sent if "waiting for verification" in m.subject]
    assert [m.to for m in digests] == [[made["a"].finance.email]]
    assert "https://grants.example.gov.uk/council-a/finance/bank-details/" in digests[0].body
