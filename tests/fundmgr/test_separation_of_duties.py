"""Separation of duties beyond the decision (DESIGN.md): nobody checks the eligibility of, or
assesses, an application of a group they belong to, that they supported, or in which they
declared an interest; through the officer's pages and the API, with the rule's own words, and
the application left as it was."""

from __future__ import annotations

import pytest

from applications import services as s
from applications import support
from applications.models import Membership
from fundmgr import access
from fundmgr.roles import Role, give_role
from tests import journeys

pytestmark = pytest.mark.django_db


def _join(group, user):
    Membership.objects.create(organisation=group, user=user)


@pytest.fixture
def submitted(draft, treasurer):
    return s.application_submit(application=draft, by=treasurer)


def test_an_officer_in_the_group_cannot_check_its_eligibility_on_the_page(
    client, submitted, officer
):
    _join(submitted.organisation, officer)
    client.force_login(officer)
    response = client.post(
        f"/officer/applications/{submitted.reference}/eligibility/",
        {"outcome": "mark_eligible", "note": "Fine."},
    )
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    assert (
        f"You are a member of {submitted.organisation}, so you cannot check the eligibility of "
        "its application."
    ) in response.content.decode()


def test_an_officer_in_the_group_cannot_mark_it_eligible_through_the_api(
    client, submitted, officer
):
    _join(submitted.organisation, officer)
    client.force_login(officer)
    response = client.post(
        f"/api/v1/applications/{submitted.pk}/mark_eligible/", {}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        f"You are a member of {submitted.organisation}, so you cannot check the eligibility of "
        "its application."
    )
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_an_officer_who_declared_an_interest_cannot_assess(
    client, draft, treasurer, officer, shaw, okafor
):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    journeys.supported(draft, shaw=shaw, okafor=okafor)
    draft.refresh_from_db()
    assert draft.status == "under_assessment"
    support.interest_declare(
        application=draft, by=officer, kind="other_registrable", details="My sister chairs it."
    )
    client.force_login(officer)
    response = client.post(
        "/api/v1/assessments/",
        {
            "application": draft.pk,
            "recommendation": "approve",
            "notes": "Good.",
            "recommended_amount": "500.00",
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "You declared an other registrable interest in this application, so you cannot assess it."
    )
    draft.refresh_from_db()
    assert draft.status == "under_assessment"
    assert not draft.assessments.exists()


def test_a_councillor_who_supported_a_bid_cannot_assess_it_as_an_officer(
    draft, treasurer, officer, shaw, okafor
):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    journeys.supported(draft, shaw=shaw, okafor=okafor)
    assert access.may_assess.refusal(shaw.user, draft) == "Only a grants officer can do this."
    give_role(shaw.user, Role.GRANTS_OFFICER, shaw.council)  # also an officer (a small council)
    assert access.may_assess.refusal(shaw.user, draft) == (
        "You supported this application, so you cannot assess it."
    )


def test_another_officer_may_check_and_assess(client, submitted, officer, officer2):
    _join(submitted.organisation, officer)
    assert access.may_check_eligibility(officer2, submitted)
    client.force_login(officer2)
    response = client.post(
        f"/api/v1/applications/{submitted.pk}/mark_eligible/", {}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    submitted.refresh_from_db()
    assert submitted.status == "awaiting_support"
