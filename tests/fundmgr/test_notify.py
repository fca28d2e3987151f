"""GOV.UK Notify beside SMTP: the real notifications-python-client against the fake Notify on
loopback (tests/fake_notify.py)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone
from notifications_python_client import NotificationsAPIClient, prepare_upload
from notifications_python_client.errors import HTTPError

from fundmgr import notifications
from fundmgr.documents import document_store
from fundmgr.models import Document, Notification
from fundmgr.notifications import help_footer, notify, send_pending
from tests.fake_notify import TEMPLATES, FakeNotify


@pytest.fixture
def fake():
    with FakeNotify() as server:
        yield server


def test_the_fake_answers_the_real_client_as_notify_does(fake):
    client = NotificationsAPIClient(fake.api_key, base_url=fake.url)
    answer = client.send_email_notification(
        "someone@example.org",
        TEMPLATES["email"],
        personalisation={
            "subject": "Hello",
            "body": "Text",
            "file": prepare_upload(io.BytesIO(b"%PDF")),
        },
        reference="fundmgr-1",
    )
    assert answer["reference"] == "fundmgr-1" and answer["id"]
    assert fake.received[0]["files"]["file"]["content"] == b"%PDF"
    sms = client.send_sms_notification(
        "+447700900123", TEMPLATES["sms"], {"body": "Hi"}, "fundmgr-2"
    )
    listed = client.get_all_notifications(reference="fundmgr-1")["notifications"]
    assert [n["id"] for n in listed] == [answer["id"]]
    assert (
        client.get_all_notifications(reference="fundmgr-2")["notifications"][0]["id"] == sms["id"]
    )
    assert client.get_all_notifications(reference="fundmgr-3")["notifications"] == []


def test_the_fake_refuses_another_services_key_and_bad_messages(fake):
    other = FakeNotify()  # never started: only its key
    with pytest.raises(HTTPError) as refused:
        NotificationsAPIClient(other.api_key, base_url=fake.url).send_sms_notification(
            "+447700900123", TEMPLATES["sms"], {"body": "Hi"}
        )
    assert refused.value.status_code == 403
    forged = f"x-{fake.service_id}-{other.secret}"  # the right service, the wrong secret
    with pytest.raises(HTTPError) as refused:
        NotificationsAPIClient(forged, base_url=fake.url).get_all_notifications()
    assert refused.value.status_code == 403
    client = NotificationsAPIClient(fake.api_key, base_url=fake.url)
    with pytest.raises(HTTPError) as bad:
        client.send_email_notification("someone@example.org", TEMPLATES["email"], {"body": "x"})
    assert bad.value.status_code == 400
    assert "Missing personalisation: subject" in str(bad.value)
    fake.fail(500, keep=True)
    with pytest.raises(HTTPError) as failed:
        client.send_sms_notification("+447700900123", TEMPLATES["sms"], {"body": "Hi"}, "r-1")
    assert failed.value.status_code == 500
    assert len(fake.by_reference("r-1")) == 1  # kept all the same: the answer was lost
    assert fake.received and all(n["reference"] == "r-1" for n in fake.received)


# --- the outbox through Notify --------------------------------------------------------------


@pytest.fixture
def notify_service(settings, fake):
    fake.configure(settings)
    return fake


def _pdf() -> Document:
    return document_store(
        kind="answers",
        reference="CCIF26-000001",
        key="application:1",
        description="Your answers",
        content=PDF,
    )


PDF = b"%PDF-1.4\n% a copy of the answers\n"


@pytest.mark.django_db
def test_an_e_mail_goes_with_its_kinds_template_its_subject_and_body_and_its_reference(
    notify_service,
):
    notify(to=["Treasurer@Example.org"], subject="Reminder", body="Accept it.", kind="reminder")
    notify(to=["chair@example.org"], subject="Bid received", body="Thank you.")
    assert send_pending() == 2
    reminder, receipt = Notification.objects.order_by("pk")
    first, second = notify_service.received
    assert (first["email_address"], first["template_id"]) == (
        "treasurer@example.org",
        TEMPLATES["reminder"],
    )
    assert first["personalisation"] == {"subject": "Reminder", "body": reminder.body}
    assert reminder.body.startswith("Accept it.") and help_footer() in reminder.body
    assert first["reference"] == f"fundmgr-{reminder.pk}"
    assert second["template_id"] == TEMPLATES["email"]  # a kind without its own: the fallback
    reminder.refresh_from_db()
    assert reminder.sent_at and reminder.claimed_until is None and reminder.attempts == 1
    assert reminder.provider_id == first["id"]


@pytest.mark.django_db
def test_an_attachment_goes_as_a_file_to_download(notify_service):
    notify(to=["treasurer@example.org"], subject="Your answers", body="Here.", attachment=_pdf())
    assert send_pending() == 1
    (message,) = notify_service.received
    assert message["template_id"] == TEMPLATES["email_file"]
    assert message["files"]["link_to_file"]["content"] == PDF
    assert message["files"]["link_to_file"]["filename"].endswith(".pdf")


@pytest.mark.django_db
def test_a_text_message_goes_to_a_uk_mobile_number_and_other_numbers_are_skipped(
    notify_service, caplog
):
    queued = notify(
        to=["07700 900123", "+44 (0)7700 900123", "01632 960000", "call me"],
        subject="Offer lapsing",
        body="Accept your offer by Friday.",
        kind="offer-lapsing",
        channel="sms",
    )
    assert queued == 1
    assert "'01632 960000' is not a UK mobile number" in caplog.text
    assert "'call me' is not a UK mobile number" in caplog.text
    notify(to=["07700900124"], subject="Hello", body="Hi.", channel="sms")
    assert send_pending() == 2
    lapsing, hello = notify_service.received
    assert lapsing["phone_number"] == "+447700900123"
    assert lapsing["template_id"] == TEMPLATES["sms:offer-lapsing"]
    assert lapsing["personalisation"] == {"body": "Accept your offer by Friday."}  # no footer
    assert hello["template_id"] == TEMPLATES["sms"]


@pytest.mark.django_db
def test_text_messages_are_not_queued_when_the_mail_service_is_smtp(settings, caplog):
    settings.MAIL_SERVICE = "smtp"
    assert notify(to=["07700900123"], subject="Hi", body="Hi.", channel="sms") == 0
    assert not Notification.objects.exists()
    assert "text messages need FUNDMGR_MAIL=notify" in caplog.text


@pytest.mark.django_db
def test_a_refused_api_key_is_recorded_on_the_message_and_nothing_crashes(settings, fake):
    fake.configure(settings)
    settings.NOTIFY_API_KEY = FakeNotify().api_key  # another service's key
    notify(to=["treasurer@example.org"], subject="Hello", body="Hi.")
    assert send_pending() == 0
    note = Notification.objects.get()
    assert note.sent_at is None and note.claimed_until is None and note.attempts == 1
    assert "403" in note.last_error and "Invalid token" in note.last_error
    assert fake.received == []


@pytest.mark.django_db
def test_a_server_error_is_tried_again_later(notify_service):
    notify(to=["treasurer@example.org"], subject="Hello", body="Hi.")
    notify_service.fail(500)
    assert send_pending() == 0
    note = Notification.objects.get()
    assert (note.sent_at, note.attempts) == (None, 1) and "500" in note.last_error
    assert send_pending() == 1  # the timer's next run
    note.refresh_from_db()
    assert note.sent_at and note.attempts == 2
    assert [m["reference"] for m in notify_service.received] == [f"fundmgr-{note.pk}"]


@pytest.mark.django_db
def test_a_message_notify_took_whose_answer_was_lost_is_not_sent_again(notify_service):
    notify(to=["treasurer@example.org"], subject="Hello", body="Hi.")
    notify_service.fail(500, keep=True)
    assert send_pending() == 0
    assert send_pending() == 1
    note = Notification.objects.get()
    (message,) = notify_service.received
    assert note.sent_at and note.provider_id == message["id"]


@pytest.mark.django_db
def test_a_message_sent_before_a_crash_is_found_by_its_reference_and_not_sent_again(
    notify_service,
):
    notify(to=["treasurer@example.org"], subject="Hello", body="Hi.")
    note = Notification.objects.get()
    # The sender claimed it, handed it to Notify and died before marking it sent.
    Notification.objects.filter(pk=note.pk).update(
        attempts=1, claimed_until=timezone.now() + datetime.timedelta(minutes=5)
    )
    client = NotificationsAPIClient(notify_service.api_key, base_url=notify_service.url)
    got = client.send_email_notification(
        note.to, TEMPLATES["email"], {"subject": "Hello", "body": "Hi."}, f"fundmgr-{note.pk}"
    )
    assert send_pending() == 0  # still held: its lease has not run out
    Notification.objects.filter(pk=note.pk).update(
        claimed_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert send_pending() == 1
    note.refresh_from_db()
    assert note.sent_at and note.provider_id == got["id"] and note.attempts == 2
    assert len(notify_service.received) == 1
    assert [r for r in notify_service.requests if r[0] == "GET"]  # it asked


@pytest.mark.django_db
def test_two_senders_at_once_send_each_message_once(notify_service, monkeypatch):
    for n in range(3):
        notify(to=[f"member{n}@example.org"], subject="Hello", body="Hi.")
    claim = notifications.claim
    other_sent = []

    def claim_after_another_sender(pk):
        # The second sender starts between the first one's listing and its first claim.
        if not other_sent:
            monkeypatch.setattr(notifications, "claim", claim)
            other_sent.append(send_pending())
            monkeypatch.setattr(notifications, "claim", claim_after_another_sender)
        return claim(pk)

    monkeypatch.setattr(notifications, "claim", claim_after_another_sender)
    assert send_pending() == 0
    assert other_sent == [3]
    references = sorted(m["reference"] for m in notify_service.received)
    assert references == sorted(f"fundmgr-{n.pk}" for n in Notification.objects.all())


@pytest.mark.django_db
def test_a_message_another_sender_holds_is_left_to_it(notify_service):
    notify(to=["treasurer@example.org"], subject="Hello", body="Hi.")
    held = notifications.claim(Notification.objects.get().pk)  # another worker, sending now
    assert held is not None and held.attempts == 1
    assert send_pending() == 0 and notify_service.received == []
    assert notifications.claim(held.pk) is None
