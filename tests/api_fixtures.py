"""What the application-side API tests share: a client per person (by API token), the people of
the permission matrix, and applications written in bulk for the query-count tests."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applications.models import Application
from tests.factories import (
    ApplicationFactory,
    CouncillorFactory,
    OrganisationFactory,
    UserFactory,
    WardFactory,
)

API = "/api/v1"
PROBLEM = "application/problem+json"

# The columns of every permission matrix, in this order.
ROLES = [
    "anonymous",
    "applicant",
    "other applicant",
    "ward councillor",
    "other councillor",
    "grants officer",
    "finance officer",
    "auditor",
    "panel member",
]


def client_for(user) -> APIClient:
    """A program calling with the person's API token (or with none)."""
    client = APIClient()
    client.default_format = "json"  # the API reads JSON bodies only
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def other_group(fund_year):
    """Another group, in another ward, with its own draft and its own member."""
    member = UserFactory(username="other.treasurer", roles=["Applicant"])
    group = OrganisationFactory(ward=WardFactory(name="Brook Hill"), members=[member])
    app = ApplicationFactory(fund_year=fund_year, organisation=group, created_by=member)
    return member, group, app


@pytest.fixture
def people(draft, shaw, treasurer, officer, finance, other_group):
    return {
        "anonymous": None,
        "applicant": treasurer,
        "other applicant": other_group[0],
        "ward councillor": shaw.user,
        "other councillor": CouncillorFactory(
            ward=other_group[1].ward, name="Lee Other", user__username="cllr.other"
        ).user,
        "grants officer": officer,
        "finance officer": finance,
        "auditor": UserFactory(username="auditor", roles=["Auditor"]),
        "panel member": UserFactory(username="panellist", roles=["Panel member"]),
    }


def many(n: int, *, like: Application, prefix: str, status: str = "submitted") -> None:
    """`n` applications like `like` (same year, group and wards), written in bulk."""
    now = timezone.now()
    apps = Application.objects.bulk_create(
        Application(
            fund_year_id=like.fund_year_id,
            organisation_id=like.organisation_id,
            reference=f"{prefix}-{i:06d}",
            status=status,
            title=f"Project {i}",
            amount_requested=Decimal("500.00"),
            total_cost=Decimal("500.00"),
            created_by_id=like.created_by_id,
            submitted_at=now,
        )
        for i in range(n)
    )
    Through = Application.wards.through
    wards = list(like.wards.all())
    Through.objects.bulk_create(Through(application=a, ward=w) for a in apps for w in wards)


def queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)
