"""The e-mail outbox: a message with a key goes once only; an attachment goes with the e-mail."""

import pytest
from django.core import mail

from fundmgr.documents import document_store
from fundmgr.models import Notification
from fundmgr.notifications import notify, send_pending

pytestmark = pytest.mark.django_db

# Inside a test's transaction nothing commits, so each test sends what is waiting itself, as
# `manage.py send_notifications` would.


def test_a_keyed_message_goes_to_each_address_once_however_often_it_is_asked_for():
    first = notify(
        to=["Treasurer@Example.org", "chair@example.org"],
        subject="Your offer lapses in 7 days",
        body="Accept it by 11 December 2026.",
        key="offer-lapsing-7:CCIF26-000001",
    )
    again = notify(
        to=["treasurer@example.org", "secretary@example.org"],
        subject="Your offer lapses in 7 days",
        body="Accept it by 11 December 2026.",
        key="offer-lapsing-7:CCIF26-000001",
    )
    send_pending()
    assert (first, again) == (2, 1)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "chair@example.org",
        "secretary@example.org",
        "treasurer@example.org",
    ]
    assert Notification.objects.filter(key="offer-lapsing-7:CCIF26-000001").count() == 3


def test_messages_without_a_key_are_never_held_back_as_repeats():
    for _ in range(2):
        notify(to=["treasurer@example.org"], subject="Bid received", body="Thank you.")
    assert send_pending() == 2
    assert len(mail.outbox) == 2


def test_an_attached_document_goes_with_the_e_mail_byte_for_byte():
    pdf = b"%PDF-1.4\n% a copy of the answers\n"
    document = document_store(
        kind="answers",
        reference="CCIF26-000001",
        key="application:1",
        description="Your answers",
        content=pdf,
    )
    notify(
        to=["treasurer@example.org"],
        subject="We have your bid",
        body="A copy of your answers is attached.",
        attachment=document,
    )
    send_pending()
    (message,) = mail.outbox
    assert message.attachments == [(document.filename, pdf, "application/pdf")]
