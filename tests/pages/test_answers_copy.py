"""A copy of the answers a group sent: a PDF on the confirmation and status pages and with the
confirmation e-mail, for the group's members and the officers who read every application."""

import io

import pytest
from django.core import mail
from django.core.management import call_command

from applications.models import BudgetLine, MatchFunding
from fundmgr.documents import stored_content
from fundmgr.models import Document
from fundmgr.notifications import send_pending
from tests import journeys
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def answers(draft):
    """The usual £500 draft with two costs, some other funding and a long description."""
    draft.budget_lines.all().delete()
    BudgetLine.objects.create(application=draft, item="Three oak benches", cost="420.00")
    BudgetLine.objects.create(application=draft, item="Delivery & fixing", cost="80.00")
    MatchFunding.objects.create(
        application=draft, source="Parish council", amount="150.00", secured=False
    )
    draft.purpose = "Benches along the riverside walk, where older residents stop. " * 8
    draft.save()
    return draft


def submit(client, app, treasurer):
    client.force_login(treasurer)
    return client.post(f"/apply/applications/{app.pk}/check/", follow=True)


def test_the_confirmation_page_links_to_a_copy_of_the_answers_that_downloads(
    client, answers, treasurer
):
    page = submit(client, answers, treasurer)
    assert page.redirect_chain[-1][0] == f"/apply/applications/{answers.pk}/done/submitted/"
    link = f'href="/apply/applications/{answers.pk}/answers.pdf"'
    assert link in page.text
    assert "Download a copy of your answers (PDF, " in page.text

    download = client.get(f"/apply/applications/{answers.pk}/answers.pdf")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    text = pdf_text(b"".join(download.streaming_content))
    for expected in (
        "A copy of your answers",
        answers.reference,
        "Friends of Abbey Park",
        "New benches for the park",
        "10 January 2027",
        "20 March 2027",
        "Three oak benches",
        "Delivery & fixing",
        "£420.00",
        "£500.00",
        "Parish council",
        "£150.00",
        "Declaration",
        "23 November 2026 at",
    ):
        assert expected in text, expected
    assert link in client.get(f"/apply/applications/{answers.pk}/").text


def test_the_confirmation_e_mail_carries_the_copy(client, answers, treasurer):
    submit(client, answers, treasurer)
    send_pending()
    to_group = [m for m in mail.outbox if treasurer.email in m.to]
    (message,) = to_group
    assert "A copy of your answers is attached." in message.body
    ((filename, content, content_type),) = message.attachments
    assert content_type == "application/pdf"
    assert filename.startswith(f"answers-{answers.reference}")
    assert answers.reference in pdf_text(content)


def test_the_copy_downloaded_later_is_the_one_sent(client, answers, treasurer):
    submit(client, answers, treasurer)
    sent = Document.objects.get(kind="answers")
    download = client.get(f"/apply/applications/{answers.pk}/answers.pdf")
    assert b"".join(download.streaming_content) == stored_content(sent)
    assert Document.objects.filter(kind="answers").count() == 1


def test_a_grants_officer_may_download_the_copy(client, answers, treasurer, officer):
    journeys.submitted(answers, treasurer=treasurer)
    client.force_login(officer)
    assert client.get(f"/apply/applications/{answers.pk}/answers.pdf").status_code == 200


def test_someone_outside_the_group_gets_no_copy(client, answers, treasurer, shaw):
    journeys.submitted(answers, treasurer=treasurer)
    outsider = UserFactory(username="someone@example.org", roles=["Applicant"])
    for person in (outsider, shaw.user):
        client.force_login(person)
        assert client.get(f"/apply/applications/{answers.pk}/answers.pdf").status_code == 404
    client.logout()
    signed_out = client.get(f"/apply/applications/{answers.pk}/answers.pdf")
    assert signed_out.status_code == 302 and "/sign-in/" in signed_out["Location"]


def test_a_draft_never_sent_has_no_copy(client, answers, treasurer):
    client.force_login(treasurer)
    assert client.get(f"/apply/applications/{answers.pk}/answers.pdf").status_code == 404
    assert "answers.pdf" not in client.get(f"/apply/applications/{answers.pk}/").text


def test_the_document_command_writes_the_copy(answers, treasurer, tmp_path):
    journeys.submitted(answers, treasurer=treasurer)
    out = tmp_path / "copy.pdf"
    call_command("document", "answers", answers.reference, "--out", str(out))
    assert answers.reference in pdf_text(out.read_bytes())


def test_a_copy_that_cannot_be_made_does_not_stop_the_submission(
    client, answers, treasurer, monkeypatch
):
    from applications import answers_copy

    def broken(app):
        raise OSError("no fonts")

    monkeypatch.setattr(answers_copy, "answers_copy_pdf", broken)
    page = submit(client, answers, treasurer)
    assert page.redirect_chain[-1][0] == f"/apply/applications/{answers.pk}/done/submitted/"
    answers.refresh_from_db()
    assert answers.status == "submitted"
    send_pending()
    (message,) = [m for m in mail.outbox if treasurer.email in m.to]
    assert message.attachments == []
    assert "attached" not in message.body
