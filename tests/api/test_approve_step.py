"""The API's approve step answers with the application as its decision left it (not read again),
and a grants officer's permission is asked by the decision's service under the lock: it refuses
in the same words as before, and a person who may not act still learns nothing of the rules of
the body they sent."""

from __future__ import annotations

import pytest

from applications.models import Application, TransitionLog
from tests import journeys
from tests.api_fixtures import API, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(draft, treasurer, officer, shaw, okafor) -> Application:
    return journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )


def test_the_approval_answers_the_application_as_it_now_is(waiting, officer2):
    api = client_for(officer2)
    approved = api.post(
        f"{API}/applications/{waiting.pk}/approve/",
        {"amount": "500", "reasons": "Good value.", "conditions": "Photos"},
    )
    assert approved.status_code == 200, approved.content
    read = api.get(f"{API}/applications/{waiting.pk}/")
    assert approved.json() == read.json()
    assert approved["ETag"] == read["ETag"]
    assert approved.json()["status"] == "approved"
    assert approved.json()["amount_awarded"] == "500.00"
    assert approved.json()["wards"] and approved.json()["budget_lines"]


def test_the_rejection_answers_the_application_as_it_now_is(waiting, officer2):
    # (Read again: the rejection's service locks a row of its own.)
    api = client_for(officer2)
    rejected = api.post(f"{API}/applications/{waiting.pk}/reject/", {"reasons": "Not now."})
    assert rejected.status_code == 200, rejected.content
    assert rejected.json() == api.get(f"{API}/applications/{waiting.pk}/").json()
    assert rejected.json()["status"] == "rejected"


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "500.00", "reasons": "Mine to decide?"},  # one the service would take
        {"amount": "-1", "reasons": ""},  # one it would not: still refused for who asks first
    ],
)
def test_the_assessor_is_refused_before_anything_of_the_body(waiting, officer, body):
    before = TransitionLog.objects.count()
    refused = client_for(officer).post(f"{API}/applications/{waiting.pk}/approve/", body)
    assert refused.status_code == 403, refused.content
    assert (
        refused.json()["detail"] == "You assessed this application, so someone else must decide it."
    )
    assert TransitionLog.objects.count() == before
    waiting.refresh_from_db()
    assert waiting.status == "awaiting_decision"


def test_a_grants_officers_invalid_body_is_answered_400(waiting, officer2):
    refused = client_for(officer2).post(
        f"{API}/applications/{waiting.pk}/approve/", {"amount": "500.00", "reasons": ""}
    )
    assert refused.status_code == 400, refused.content
