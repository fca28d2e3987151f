"""Fixtures for the document tests: applications decided through the real services (with their
documents produced after the commit), a panel meeting, and readers of PDF text."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from applications.models import InterestDeclaration
from decisions import services as d
from tests import journeys
from tests.factories import OrganisationFactory, UserFactory

D = Decimal
CONDITIONS = "Credit the council on the benches\nSend photographs of the benches in place"


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page, as a person copying it from a PDF viewer would get it."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def pdf_text(content: bytes) -> str:
    return "\n".join(pdf_pages(content))


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces made single spaces (lines wrap in a PDF)."""
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Stored documents go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def awaiting(draft, treasurer, officer, shaw, okafor):
    """The £500 Friends of Abbey Park draft, supported, assessed and waiting for a decision,
    with a councillor's declared interest on record."""
    app = journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    InterestDeclaration.objects.create(
        application=app,
        user=okafor.user,
        kind=InterestDeclaration.Kind.NON_REGISTRABLE,
        details="A neighbour of the park.",
    )
    return app


@pytest.fixture
def approved(awaiting, officer2, django_capture_on_commit_callbacks):
    """Approved by a second officer with two conditions; its documents produced on commit."""
    with django_capture_on_commit_callbacks(execute=True):
        decision = d.decision_record(
            application=awaiting,
            by=officer2,
            outcome="approve",
            amount=D("450.00"),
            reasons="Good value for the ward.",
            conditions=CONDITIONS,
        )
    awaiting.refresh_from_db()
    return decision


@pytest.fixture
def panel_members(db):
    return [UserFactory(roles=["Panel member"]) for _ in range(3)]


@pytest.fixture
def meeting(awaiting, officer, panel_members, fund_year):
    """A panel meeting with the waiting application on its agenda."""
    meeting = d.panel_meeting_create(
        title="Abbey Meadow grants panel",
        fund=fund_year.fund,
        date=datetime.date(2027, 2, 1),
        quorum=2,
        members=panel_members,
        by=officer,
    )
    d.panel_item_add(meeting=meeting, application=awaiting, by=officer)
    return meeting


@pytest.fixture
def other_applicant(db):
    """An applicant who belongs to a different group."""
    person = UserFactory(username="someone-else", roles=["Applicant"])
    OrganisationFactory(members=[person], name="Another Group")
    return person
