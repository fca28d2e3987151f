"""A group's uploads (documents with a bid, quotes, its governing document and safeguarding
policy) reach those who may read the application, from the pages' own links, and nobody else:
they are never public files under /media/."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services as s
from applications.models import BudgetLine
from tests.api_fixtures import other_group
from tests.factories import UserFactory

__all__ = ["other_group"]

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4 the group's quote"


@pytest.fixture
def uploads(draft, treasurer):
    """The draft with a document, a quote on a budget line and the group's governing document."""
    attachment = s.attachment_add(
        application=draft,
        by=treasurer,
        description="Quote from Benchcraft",
        file=SimpleUploadedFile("benchcraft.pdf", PDF, content_type="application/pdf"),
    )
    line = draft.budget_lines.first()
    line.quote.save("benches.pdf", ContentFile(b"%PDF-1.4 benches"))
    org = draft.organisation
    org.governing_document.save("constitution.pdf", ContentFile(b"%PDF-1.4 constitution"))
    return {
        "attachment": f"/files/attachments/{attachment.pk}/",
        "quote": f"/files/quotes/{line.pk}/",
        "governing": f"/files/organisations/{org.pk}/governing-document/",
    }


def download(client, user, url):
    client.force_login(user)
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    client.logout()
    return response, body


def test_the_group_and_the_officers_download_them_and_others_get_404(
    client, uploads, treasurer, officer, other_group
):
    auditor = UserFactory(username="auditor", roles=["Auditor"])
    for user in (treasurer, officer, auditor):
        response, body = download(client, user, uploads["attachment"])
        assert response.status_code == 200, user
        assert body == PDF
        assert response["Content-Disposition"] == 'attachment; filename="benchcraft.pdf"'
        assert response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"
        for name in ("quote", "governing"):
            assert download(client, user, uploads[name])[0].status_code == 200, (user, name)

    stranger = other_group[0]  # a member of another group
    for url in uploads.values():
        assert download(client, stranger, url)[0].status_code == 404, url
        signed_out = client.get(url)
        assert signed_out.status_code == 302 and "/sign-in/" in signed_out["Location"]


def test_a_ward_councillor_sees_the_documents_of_a_bid_sent_to_them(
    client, uploads, draft, treasurer, shaw
):
    assert download(client, shaw.user, uploads["attachment"])[0].status_code == 404  # a draft
    s.application_submit(application=draft, by=treasurer)
    response, body = download(client, shaw.user, uploads["attachment"])
    assert response.status_code == 200 and body == PDF


def test_the_officers_page_links_each_upload_to_its_download(client, uploads, draft, officer):
    client.force_login(officer)
    html = client.get(f"/officer/applications/{draft.reference}/").text
    for url in uploads.values():
        assert f'href="{url}"' in html
    assert "/media/" not in html
    assert client.get(uploads["quote"]).status_code == 200


def test_the_group_sees_a_link_to_each_document_it_added(client, uploads, draft, treasurer):
    client.force_login(treasurer)
    page = client.get(f"/apply/applications/{draft.pk}/documents/")
    assert page.status_code == 200
    assert f'href="{uploads["attachment"]}"' in page.text


def test_uploads_are_not_served_as_public_files(client, uploads, officer):
    line = BudgetLine.objects.exclude(quote="").get()
    client.force_login(officer)
    assert client.get(f"/media/{line.quote.name}").status_code == 404
    assert client.get(f"/{line.quote.name}").status_code == 404


def test_an_unknown_document_kind_or_a_missing_file_is_404(client, uploads, draft, officer):
    client.force_login(officer)
    org = draft.organisation
    assert client.get(f"/files/organisations/{org.pk}/bank-statement/").status_code == 404
    assert client.get(f"/files/organisations/{org.pk}/safeguarding-policy/").status_code == 404
    line = s.budget_line_add(
        application=draft, by=draft.created_by, item="Paint", cost=Decimal("20.00")
    )
    assert client.get(f"/files/quotes/{line.pk}/").status_code == 404
