"""Remittance advice: authorising a run e-mails each group a PDF of what was paid; `manage.py
document remittance` and `manage.py document clawback` write the letters again."""

import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from applications import services as s
from finance import clawbacks
from fundmgr.models import Document, Notification
from fundmgr.notifications import help_footer, send_pending
from tests.payments_fixtures import accepted, finance2, paid_run, prepared_run

__all__ = ["accepted", "finance2"]
D = Decimal
pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_authorising_a_run_emails_the_group_its_remittance_advice_as_a_pdf(
    client, accepted, finance, finance2, django_capture_on_commit_callbacks
):
    run = prepared_run(finance)
    client.force_login(finance2)
    check = client.get(f"/finance/runs/{run.pk}/check/").context["check"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/finance/runs/{run.pk}/authorise/", {"check": check}, follow=True)
    assert f"Payment run {run.number} authorised" in response.text
    # the remittance task queued each e-mail in the outbox (its send task is deduplicated
    # against the authorisation's own, which the test's outer transaction still lists)
    send_pending()
    reference = f"{accepted.reference}/1"
    [message] = [
        m
        for m in mail.outbox
        if m.subject.startswith(reference) and m.to == [accepted.organisation.email]
    ]  # one e-mail to each of the group's addresses
    assert message.subject == f"{reference}: £500.00 paid to Friends of Abbey Park"
    assert message.body.rstrip().endswith(help_footer())  # the council's help contact, last
    assert "should reach the account on" in message.body
    [(name, pdf, kind)] = message.attachments
    assert (name, kind) == (f"remittance-{accepted.reference}-v1.pdf", "application/pdf")
    text = text_of(pdf)
    assert "Remittance advice" in text
    assert "We have paid £500.00 of your grant" in text
    assert reference in text
    assert "****" in text  # the account number is masked
    stored = Document.objects.get(kind="remittance", reference=accepted.reference)
    assert stored.sha256 and stored.size == len(pdf)
    assert Notification.objects.filter(subject=message.subject, sent_at__isnull=False).exists()


def test_a_run_that_is_not_committed_sends_no_remittance(accepted, finance, finance2):
    paid_run(finance, finance2)  # inside the test's transaction, which is rolled back
    assert not [m for m in mail.outbox if "Remittance" in str(m.attachments)]
    assert not Document.objects.filter(kind="remittance").exists()


def test_document_remittance_writes_the_payments_advice(accepted, finance, finance2, tmp_path):
    paid_run(finance, finance2)
    out = tmp_path / "remittance.pdf"
    call_command("document", "remittance", f"{accepted.reference}/1", "--out", str(out))
    text = text_of(out.read_bytes())
    assert "Remittance advice" in text and f"{accepted.reference}/1" in text
    again = tmp_path / "again.pdf"
    call_command("document", "remittance", accepted.reference.lower(), "--out", str(again))
    assert again.read_bytes() == out.read_bytes()  # the stored version, not a new one
    assert Document.objects.filter(kind="remittance").count() == 1


def test_document_remittance_of_a_grant_not_paid_says_so(accepted, tmp_path):
    with pytest.raises(CommandError, match="Nothing has been paid on"):
        call_command("document", "remittance", accepted.reference, "--out", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="There is no grant CCIF26-999999"):
        call_command("document", "remittance", "CCIF26-999999/1", "--out", str(tmp_path / "x.pdf"))


def test_document_clawback_writes_the_request_to_repay(
    accepted, finance, finance2, treasurer, tmp_path
):
    paid_run(finance, finance2)
    accepted.refresh_from_db()
    s.monitoring_report_submit(
        application=accepted,
        by=treasurer,
        amount_spent=D("400.00"),
        outcomes="Two benches, not three",
        people_reached=80,
    )
    clawback = clawbacks.clawback_raise(application=accepted, by=finance)
    out = tmp_path / "clawback.pdf"
    call_command("document", "clawback", clawback.number, "--out", str(out))
    text = text_of(out.read_bytes())
    assert "Request to repay grant money" in text
    assert clawback.number in text and "£100.00" in text
    by_grant = tmp_path / "by-grant.pdf"
    call_command("document", "clawback", accepted.reference, "--out", str(by_grant))
    assert by_grant.read_bytes() == out.read_bytes()
    with pytest.raises(CommandError, match="There is no clawback request CLAW-09999"):
        call_command("document", "clawback", "CLAW-09999", "--out", str(tmp_path / "x.pdf"))
