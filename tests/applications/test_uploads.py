"""Uploads are checked by their content, not their name or the browser's Content-Type, through
the pages and the API alike; what is stored and served is the type the server decided.
(applications/uploads.py)"""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from reportlab.pdfgen import canvas

from applications import organisations
from applications import services as s
from applications.models import UPLOAD_EXTENSIONS, Attachment
from applications.uploads import ACCEPTED, DOCX, ODT, PDF, XLSX, detect, validate_upload_content
from fundmgr.errors import InvalidInput
from tests.api_fixtures import API, PROBLEM, client_for, other_group, people

__all__ = ["other_group", "people"]
pytestmark = pytest.mark.django_db

# A Windows program: what a renamed .exe starts with.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def a_pdf() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Quote for two benches: £480.00")
    page.save()
    return out.getvalue()


def an_image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (29, 112, 184)).save(out, kind)
    return out.getvalue()


def entry(name: str, compress: int = zipfile.ZIP_STORED) -> zipfile.ZipInfo:
    """A member dated once for all: the bytes are the same on every run (they name the tests'
    cases, which pytest-xdist's workers must collect alike, whatever second each starts in)."""
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = compress
    return info


def a_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as docx:
        docx.writestr(
            entry("[Content_Types].xml", zipfile.ZIP_DEFLATED),
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        docx.writestr(entry("_rels/.rels", zipfile.ZIP_DEFLATED), "<Relationships/>")
        docx.writestr(entry("word/document.xml", zipfile.ZIP_DEFLATED), "<w:document/>")
    return out.getvalue()


def an_xlsx() -> bytes:
    out = io.BytesIO()
    book = openpyxl.Workbook()
    book.active["A1"] = "Benches"
    book.save(out)
    return out.getvalue()


def an_odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as odt:
        odt.writestr(entry("mimetype"), ODT)  # first and stored, as ODF requires
        odt.writestr(entry("content.xml"), "<office:document-content/>")
    return out.getvalue()


def a_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(entry("setup.exe"), EXE)
    return out.getvalue()


GOOD = {
    "quote.pdf": (a_pdf, PDF),
    "photo.png": (lambda: an_image("PNG"), "image/png"),
    "photo.jpg": (lambda: an_image("JPEG"), "image/jpeg"),
    "plan.docx": (a_docx, DOCX),
    "budget.xlsx": (an_xlsx, XLSX),
    "plan.odt": (an_odt, ODT),
}


def upload(name: str, content: bytes, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_every_extension_we_accept_has_a_content_type_to_match():
    assert set(ACCEPTED) == set(UPLOAD_EXTENSIONS)


@pytest.mark.parametrize("name", GOOD)
def test_real_files_are_recognised_by_their_content(name):
    make, expected = GOOD[name]
    assert detect(io.BytesIO(make()))[0] == expected


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", EXE, "report.pdf is not a PDF: its content is a program."),
        (
            "photo.jpg",
            an_image("PNG"),
            "photo.jpg is not a JPEG image: its content is a PNG image.",
        ),
        ("plan.pdf", b"<!DOCTYPE html><p>Hi", "plan.pdf is not a PDF: its content is a web page."),
        ("plan.docx", a_zip(), "plan.docx is not a Word document: its content is a ZIP archive."),
        (
            "sums.xlsx",
            a_docx(),
            "sums.xlsx is not an Excel workbook: its content is a Word document.",
        ),
        ("empty.png", b"", "empty.png is not a PNG image: its content is empty."),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_refused_saying_what_it_is(name, content, message):
    with pytest.raises(ValidationError) as refused:
        validate_upload_content(upload(name, content))
    assert refused.value.messages[0].startswith(message)


# --- through the pages -----------------------------------------------------------------------


@pytest.fixture
def group_client(client, treasurer):
    client.force_login(treasurer)
    return client


def test_a_program_renamed_pdf_is_refused_on_the_page_naming_the_file(group_client, draft):
    url = f"/apply/applications/{draft.pk}/documents/"
    before = Attachment.objects.count()
    response = group_client.post(url, {"description": "Report", "file": upload("report.pdf", EXE)})
    assert response.status_code == 200
    text = response.content.decode()
    assert "govuk-error-summary" in text
    assert "report.pdf is not a PDF: its content is a program" in text
    assert Attachment.objects.count() == before


def test_a_quote_that_is_not_what_it_says_is_refused_on_the_costs_page(group_client, draft):
    lines = draft.budget_lines.count()
    response = group_client.post(
        f"/apply/applications/{draft.pk}/costs/add/",
        {"item": "Paint", "cost": "20", "quote": upload("paint.docx", a_zip())},
    )
    assert "paint.docx is not a Word document: its content is a ZIP archive" in (
        response.content.decode()
    )
    assert draft.budget_lines.count() == lines


@pytest.mark.parametrize("name", GOOD)
def test_real_documents_are_accepted_on_the_page_and_stored_as_what_they_are(
    group_client, draft, name
):
    make, expected = GOOD[name]
    response = group_client.post(
        f"/apply/applications/{draft.pk}/documents/",
        # The browser's word for it is ignored: text/html here.
        {"description": name, "file": upload(name, make(), "text/html")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert draft.attachments.get(description=name).content_type == expected


# --- through the API -------------------------------------------------------------------------


def test_a_program_renamed_pdf_is_a_400_in_the_api_and_nothing_is_stored(people, draft):
    group = client_for(people["applicant"])
    before = Attachment.objects.count()
    response = group.post(
        f"{API}/attachments/",
        {"application": draft.pk, "file": upload("report.pdf", EXE), "description": "Report"},
        format="multipart",
    )
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert "report.pdf is not a PDF" in response.json()["detail"]
    assert Attachment.objects.count() == before

    lines = draft.budget_lines.count()
    quote = group.post(
        f"{API}/applications/{draft.pk}/budget-lines/",
        {"item": "Paint", "cost": "20.00", "quote": upload("quote.pdf", EXE)},
        format="multipart",
    )
    assert quote.status_code == 400 and quote["Content-Type"] == PROBLEM
    assert "quote.pdf is not a PDF" in str(quote.json())
    assert draft.budget_lines.count() == lines


@pytest.mark.parametrize("name", GOOD)
def test_real_documents_are_accepted_by_the_api_with_the_servers_content_type(people, draft, name):
    make, expected = GOOD[name]
    content = make()
    group = client_for(people["applicant"])
    response = group.post(
        f"{API}/attachments/",
        {"application": draft.pk, "file": upload(name, content, "text/html")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == expected
    download = group.get(response.json()["download"])
    assert download["Content-Type"] == expected
    assert b"".join(download.streaming_content) == content


# --- what is served --------------------------------------------------------------------------


@pytest.fixture
def stored_as_html(draft, treasurer):
    """A PDF stored before the server decided types: the browser said it was text/html."""
    return Attachment.objects.create(
        application=draft,
        description="Old upload",
        file=ContentFile(a_pdf(), name="minutes.pdf"),
        size=100,
        content_type="text/html",
        uploaded_by=treasurer,
    )


def test_a_stored_file_is_served_as_the_type_of_its_content_never_the_browsers(
    client, people, stored_as_html, treasurer
):
    client.force_login(treasurer)
    for response in (
        client.get(f"/files/attachments/{stored_as_html.pk}/"),
        client_for(people["applicant"]).get(f"{API}/attachments/{stored_as_html.pk}/download/"),
    ):
        assert response.status_code == 200
        assert response["Content-Type"] == PDF
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == 'attachment; filename="minutes.pdf"'


def test_a_stored_file_that_is_not_what_it_says_is_served_as_bytes_to_download(
    client, draft, treasurer
):
    line = draft.budget_lines.first()
    line.quote.save("quote.pdf", ContentFile(b"<!DOCTYPE html><script>alert(1)</script>"))
    client.force_login(treasurer)
    response = client.get(f"/files/quotes/{line.pk}/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    api = client_for(treasurer).get(f"{API}/applications/{draft.pk}/budget-lines/{line.pk}/quote/")
    assert api["Content-Type"] == "application/octet-stream"


# --- a group's own documents -----------------------------------------------------------------


def test_a_governing_document_is_checked_by_its_content_too(draft, treasurer):
    with pytest.raises(InvalidInput, match="constitution.pdf is not a PDF"):
        organisations.organisation_update(
            organisation=draft.organisation,
            by=treasurer,
            governing_document=upload("constitution.pdf", EXE),
        )
    draft.organisation.refresh_from_db()
    assert not draft.organisation.governing_document
    organisations.organisation_update(
        organisation=draft.organisation,
        by=treasurer,
        safeguarding_policy=upload("policy.docx", a_docx()),
    )
    draft.organisation.refresh_from_db()
    assert draft.organisation.safeguarding_policy.name.endswith(".docx")


def test_a_program_is_refused_by_the_service_whatever_page_or_api_sent_it(draft, treasurer):
    with pytest.raises(InvalidInput, match="report.pdf is not a PDF"):
        s.attachment_add(
            application=draft, by=treasurer, description="Report", file=upload("report.pdf", EXE)
        )
