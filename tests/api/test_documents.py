"""The API's stored documents: an application's documents are listed and downloaded (the PDF as
stored, with its SHA-256 in a header) by whoever may download them on the pages, and by nobody
else (404, as on the pages)."""

from __future__ import annotations

import hashlib

import pytest

from decisions import documents
from fundmgr.documents import document_store
from fundmgr.models import Document
from tests.api_fixtures import API, PROBLEM, ROLES, client_for, other_group, people

__all__ = ["other_group", "people"]
pytestmark = pytest.mark.django_db

#            anon app  other cllr ocllr grants fin  audit panel
GROUP = [401, 200, 404, 404, 404, 200, 200, 200, 404]  # offer letters, notices
STAFF = [401, 404, 404, 404, 404, 200, 200, 200, 404]  # remittances, clawback requests

OFFER = b"%PDF-1.4 the offer letter"
REMITTANCE = b"%PDF-1.4 the remittance advice"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def stored(draft, officer):
    offer = document_store(
        kind=documents.OFFER,
        reference=draft.reference,
        key=f"application:{draft.pk}",
        description=f"Offer letter for {draft.reference}",
        content=OFFER,
        by=officer,
    )
    remittance = document_store(
        kind="remittance",
        reference=draft.reference,
        # A record of the draft's council (remittances name their run line: run-line:12); a
        # key that names no council's record is seen only service-wide.
        key=f"application:{draft.reference}",
        description=f"Remittance advice for {draft.reference}, payment 1",
        content=REMITTANCE,
        by=officer,
    )
    return offer, remittance


def test_who_may_list_an_applications_documents_and_what_they_see(people, draft, stored):
    offer, remittance = stored
    url = f"{API}/applications/{draft.pk}/documents/"
    for role, expected in zip(ROLES, GROUP, strict=True):
        response = client_for(people[role]).get(url)
        assert response.status_code == expected, (role, response.content)
        if expected != 200:
            assert response["Content-Type"] == PROBLEM
            continue
        ids = [row["id"] for row in response.json()]
        wanted = [offer.pk] if role == "applicant" else [remittance.pk, offer.pk]
        assert ids == wanted, role
    row = client_for(people["applicant"]).get(url).json()[0]
    assert row["sha256"] == hashlib.sha256(OFFER).hexdigest()
    assert (row["kind"], row["version"], row["size"]) == ("offer", 1, len(OFFER))


@pytest.mark.parametrize("which, matrix", [(0, GROUP), (1, STAFF)])
def test_who_may_download_a_document_as_stored_with_its_sha256(people, stored, which, matrix):
    document = stored[which]
    content = (OFFER, REMITTANCE)[which]
    for role, expected in zip(ROLES, matrix, strict=True):
        response = client_for(people[role]).get(f"{API}/documents/{document.pk}/")
        assert response.status_code == expected, (role, response.content)
        if expected == 200:
            assert response["Content-Type"] == "application/pdf"
            assert b"".join(response.streaming_content) == content
            assert response["X-Content-SHA256"] == hashlib.sha256(content).hexdigest()
        else:
            assert response["Content-Type"] == PROBLEM


def test_a_client_asking_for_a_pdf_gets_it_and_a_problem_is_still_json(people, stored):
    client = client_for(people["applicant"])
    got = client.get(f"{API}/documents/{stored[0].pk}/", HTTP_ACCEPT="application/pdf")
    assert got.status_code == 200 and b"".join(got.streaming_content) == OFFER
    missing = client.get(f"{API}/documents/{stored[1].pk}/", HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM
    assert "no such document" in missing.json()["detail"]


def test_unknown_and_huge_ids_are_404(people, draft, stored):
    client = client_for(people["grants officer"])
    for url in (
        f"{API}/documents/{Document.objects.count() + 100}/",
        f"{API}/documents/99999999999999999999999/",
        f"{API}/applications/99999999999999999999999/documents/",
        f"{API}/applications/{draft.pk + 1000}/documents/",
    ):
        response = client.get(url)
        assert response.status_code == 404, (url, response.content)
        assert response["Content-Type"] == PROBLEM
