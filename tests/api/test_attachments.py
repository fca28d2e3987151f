"""The API's documents sent with a bid: who lists, adds, downloads and removes them, by the same
rules as the application pages; what is refused changes nothing; another group's documents are
404 and its application "does not exist"."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services as s
from applications.models import Attachment
from tests.api_fixtures import API, PROBLEM, ROLES, client_for, many, other_group, people, queries

__all__ = ["other_group", "people"]
pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4 constitution"

#            anon app  other cllr ocllr grants fin  audit panel
# The ward councillor and the finance officer see a draft's documents only once it is sent (to
# them) or awarded: a draft is the group's own.
READ_DRAFT = [401, 200, 404, 404, 404, 200, 404, 200, 404]
ADD_TO_DRAFT = [401, 201, 400, 400, 400, 201, 400, 403, 400]
REMOVE_FROM_DRAFT = [401, 204, 404, 404, 404, 403, 404, 403, 404]


def add(client, application_id: int, name: str = "constitution.pdf", content: bytes = PDF):
    return client.post(
        f"{API}/attachments/",
        {
            "application": application_id,
            "file": SimpleUploadedFile(name, content, content_type="application/pdf"),
            "description": "Our constitution",
        },
        format="multipart",
    )


@pytest.fixture
def document(draft, treasurer):
    return s.attachment_add(
        application=draft,
        by=treasurer,
        description="Quote from Benchcraft",
        file=SimpleUploadedFile("quote.pdf", PDF, content_type="application/pdf"),
    )


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_a_drafts_documents_and_download_them(people, document, role):
    client = client_for(people[role])
    expected = dict(zip(ROLES, READ_DRAFT, strict=True))[role]
    one = client.get(f"{API}/attachments/{document.pk}/")
    assert one.status_code == expected, one.content
    download = client.get(f"{API}/attachments/{document.pk}/download/")
    assert download.status_code == expected
    listed = client.get(f"{API}/attachments/", {"application": document.application_id})
    if expected == 200:
        assert one.json()["filename"] == "quote.pdf" and one.json()["size"] == len(PDF)
        assert one.json()["download"] == f"{API}/attachments/{document.pk}/download/"
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"] == 'attachment; filename="quote.pdf"'
        assert [a["id"] for a in listed.json()["results"]] == [document.pk]
    elif role != "anonymous":
        assert one["Content-Type"] == PROBLEM
        assert listed.status_code == 200 and listed.json()["results"] == []


@pytest.mark.parametrize("role", ROLES)
def test_who_may_add_a_document_to_a_draft_and_a_refusal_adds_nothing(people, draft, role):
    response = add(client_for(people[role]), draft.pk)
    assert response.status_code == dict(zip(ROLES, ADD_TO_DRAFT, strict=True))[role], (
        response.content
    )
    if response.status_code == 201:
        assert response.json()["description"] == "Our constitution"
        assert Attachment.objects.filter(application=draft).count() == 1
    else:
        assert Attachment.objects.count() == 0
        if response.status_code == 400:  # an application they may not see does not exist
            assert "application" in response.json()["errors"]


@pytest.mark.parametrize("role", ROLES)
def test_who_may_remove_a_document_from_a_draft(people, document, role):
    response = client_for(people[role]).delete(f"{API}/attachments/{document.pk}/")
    expected = dict(zip(ROLES, REMOVE_FROM_DRAFT, strict=True))[role]
    assert response.status_code == expected, response.content
    assert Attachment.objects.filter(pk=document.pk).exists() == (expected != 204)


def test_once_sent_the_council_keeps_what_it_was_sent(people, document, draft, treasurer, shaw):
    s.application_submit(application=draft, by=treasurer)
    group = client_for(treasurer)
    refused = group.delete(f"{API}/attachments/{document.pk}/")
    assert refused.status_code == 409 and refused["Content-Type"] == PROBLEM
    assert Attachment.objects.filter(pk=document.pk).exists()
    late = add(group, draft.pk)
    assert late.status_code == 409 and late["Content-Type"] == PROBLEM
    assert "send it to the grants team" in late.json()["detail"]
    assert Attachment.objects.count() == 1
    # The grants team adds what the group sends them.
    assert add(client_for(people["grants officer"]), draft.pk).status_code == 201
    # Sent to the ward's councillors, the bid's documents are theirs to read.
    councillor = client_for(shaw.user)
    assert councillor.get(f"{API}/attachments/{document.pk}/download/").status_code == 200


def test_a_bad_file_is_a_400_naming_it_and_adds_nothing(people, draft):
    group = client_for(people["applicant"])
    script = add(group, draft.pk, name="run.exe", content=b"MZ")
    assert script.status_code == 400 and script["Content-Type"] == PROBLEM, script.content
    empty = group.post(f"{API}/attachments/", {"application": draft.pk}, format="multipart")
    assert empty.status_code == 400 and "file" in empty.json()["errors"]
    assert Attachment.objects.count() == 0


def test_listing_takes_the_same_queries_for_ten_documents_as_for_one(people, draft, document):
    officer = client_for(people["grants officer"])
    url = f"{API}/attachments/?page_size=500"
    one = queries(officer, url)
    many(1, like=draft, prefix="X")  # another application, with nothing attached
    for i in range(9):
        Attachment.objects.create(
            application=draft,
            description=f"Photo {i}",
            file=document.file.name,
            size=3,
            content_type="image/png",
            uploaded_by=document.uploaded_by,
        )
    assert queries(officer, url) == one


# --- a budget line's quote --------------------------------------------------------------------


def test_a_budget_line_is_added_with_its_quote_and_the_quote_downloaded(people, draft):
    group = client_for(people["applicant"])
    url = f"{API}/applications/{draft.pk}/budget-lines/"
    added = group.post(
        url,
        {"item": "Paint", "cost": "20.00", "quote": SimpleUploadedFile("paint.pdf", PDF)},
        format="multipart",
    )
    assert added.status_code == 201, added.content
    link = added.json()["quote_download"]
    assert link == f"{url}{added.json()['id']}/quote/" and "quote" not in added.json()
    for role, expected in (("applicant", 200), ("grants officer", 200), ("other applicant", 404)):
        response = client_for(people[role]).get(link)
        assert response.status_code == expected, role
        if expected == 200:
            assert b"".join(response.streaming_content) == PDF
            assert response["Content-Disposition"].startswith('attachment; filename="paint')
    # As JSON, without a quote, as before: no link.
    plain = group.post(url, {"item": "Brushes", "cost": "5.00"}, format="json")
    assert plain.status_code == 201 and plain.json()["quote_download"] is None
    assert group.get(f"{url}{plain.json()['id']}/quote/").status_code == 404


def test_a_quote_that_is_not_an_allowed_file_is_a_400_and_adds_no_line(people, draft):
    group = client_for(people["applicant"])
    before = draft.budget_lines.count()
    response = group.post(
        f"{API}/applications/{draft.pk}/budget-lines/",
        {"item": "Paint", "cost": "20.00", "quote": SimpleUploadedFile("run.exe", b"MZ")},
        format="multipart",
    )
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert draft.budget_lines.count() == before
