"""On PostgreSQL, with real threads: applications started at the same instant in one fund year
each get their own reference, one after another, with no gap."""

import time

import pytest
from django.db import transaction

from applications.models import ReferenceCounter, next_reference
from tests.api_fixtures import API, client_for
from tests.factories import ApplicationFactory
from tests.postgres.test_ledger import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def start_together(count, clients, fund_year, organisation):
    def start(i):
        return clients[i].post(
            f"{API}/applications/",
            {"fund_year": fund_year.pk, "organisation": organisation.pk, "title": f"Bid {i}"},
            format="json",
        )

    return run_together(count, start)


def test_twenty_applications_at_once_get_twenty_consecutive_references(
    on_postgres, draft, treasurer
):
    ReferenceCounter.objects.update_or_create(
        fund_year=draft.fund_year, defaults={"last_number": 999_990}
    )
    clients = [client_for(treasurer) for _ in range(20)]

    responses = start_together(20, clients, draft.fund_year, draft.organisation)

    assert [r.status_code for r in responses] == [201] * 20, responses
    references = sorted(r.json()["reference"] for r in responses)
    numbers = sorted(int(ref.removeprefix("CCIF26-")) for ref in references)
    assert numbers == list(range(999_991, 1_000_011))
    assert all(len(ref) <= 16 for ref in references)


def test_the_first_applications_of_a_year_at_once_start_its_counter_once(
    on_postgres, draft, treasurer
):
    """No counter yet (a fund year made after the migration): every request finds none, and
    still they count on from the highest reference there is."""
    ApplicationFactory(
        fund_year=draft.fund_year, organisation=draft.organisation, reference="CCIF26-1000000"
    )
    ReferenceCounter.objects.filter(fund_year=draft.fund_year).delete()
    clients = [client_for(treasurer) for _ in range(20)]

    responses = start_together(20, clients, draft.fund_year, draft.organisation)

    assert [r.status_code for r in responses] == [201] * 20, responses
    numbers = sorted(int(r.json()["reference"].removeprefix("CCIF26-")) for r in responses)
    assert numbers == list(range(1_000_001, 1_000_021))
    assert ReferenceCounter.objects.get(fund_year=draft.fund_year).last_number == 1_000_020


def test_the_counter_holds_on_its_own_whatever_the_caller_locks(on_postgres, fund_year):
    """`application_create` also locks the fund year; the counter must not depend on it."""
    ReferenceCounter.objects.filter(fund_year=fund_year).delete()

    def take(i):
        with transaction.atomic():
            reference = next_reference(fund_year)
            time.sleep(0.01)  # hold the lock a moment, as a request would
            return reference

    references = run_together(20, take)

    assert sorted(references) == [f"CCIF26-{n:06d}" for n in range(1, 21)], references
