"""The outbox's sending through SMTP (Django's locmem backend here): each row claimed before it
is sent, a failure recorded and tried again, a stable Message-ID; and the outbox in /admin/."""

from __future__ import annotations

import datetime
import io
import os
import subprocess
import sys

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fundmgr import notifications
from fundmgr.mail_services import uk_mobile
from fundmgr.models import Notification
from fundmgr.notifications import MAX_ATTEMPTS, notify, send_pending

pytestmark = pytest.mark.django_db


class RefusingBackend(BaseEmailBackend):
    """An SMTP relay that refuses everything."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("Connection refused by the relay")


def queue(n: int = 1) -> list[Notification]:
    for i in range(n):
        notify(to=[f"member{i}@example.org"], subject="Hello", body="Hi.")
    return list(Notification.objects.order_by("pk"))


def test_a_sent_row_is_marked_with_its_stable_message_id_and_let_go(settings):
    settings.SITE_URL = "https://grants.example.gov.uk"
    (note,) = queue()
    assert send_pending() == 1
    (message,) = mail.outbox
    assert message.extra_headers["Message-ID"] == f"<fundmgr-{note.pk}@grants.example.gov.uk>"
    assert message.message()["Message-ID"] == f"<fundmgr-{note.pk}@grants.example.gov.uk>"
    note.refresh_from_db()
    assert note.sent_at and note.attempts == 1 and note.claimed_until is None
    assert note.provider_id == f"<fundmgr-{note.pk}@grants.example.gov.uk>"
    assert send_pending() == 0 and len(mail.outbox) == 1


def test_smtp_sends_again_after_a_crash_with_the_same_message_id(settings):
    """SMTP cannot be asked whether it took a message: at least once, recognisably."""
    (note,) = queue()
    send_pending()
    Notification.objects.filter(pk=note.pk).update(sent_at=None)  # as if it died before marking
    assert send_pending() == 1
    first, again = mail.outbox
    assert first.extra_headers["Message-ID"] == again.extra_headers["Message-ID"]


def test_a_row_another_sender_holds_waits_for_its_lease_to_run_out(settings):
    settings.NOTIFICATION_LEASE_SECONDS = 300
    (note,) = queue()
    held = notifications.claim(note.pk)
    assert held is not None and held.claimed_until > timezone.now()
    assert send_pending() == 0 and mail.outbox == []
    # The holder died: once its lease has run out the row is taken over.
    Notification.objects.filter(pk=note.pk).update(
        claimed_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert send_pending() == 1
    note.refresh_from_db()
    assert note.attempts == 2 and note.sent_at


def test_a_claim_that_loses_the_race_sends_nothing(monkeypatch):
    rows = queue(3)
    claim = notifications.claim

    def another_sender_claims_first(pk):
        for row in rows:
            claim(row.pk)  # another worker holds every row now
        monkeypatch.setattr(notifications, "claim", claim)
        return claim(pk)

    monkeypatch.setattr(notifications, "claim", another_sender_claims_first)
    assert send_pending() == 0 and mail.outbox == []
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def test_a_failure_is_recorded_let_go_tried_again_and_given_up_after_five_tries(settings):
    settings.EMAIL_BACKEND = "tests.fundmgr.test_outbox.RefusingBackend"
    (note,) = queue()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert send_pending() == 0
        note.refresh_from_db()
        assert note.attempts == attempt and note.claimed_until is None and note.sent_at is None
        assert note.last_error == "Connection refused by the relay"
    assert notifications.claim(note.pk) is None  # given up: an administrator sees it
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_pending() == 0 and mail.outbox == []


def test_the_command_sends_what_is_waiting(settings):
    queue(2)
    call_command("send_notifications", stdout=(out := io.StringIO()))
    assert "Sent 2 notification(s)." in out.getvalue()
    assert len(mail.outbox) == 2


def test_a_text_message_row_cannot_go_by_smtp_and_says_why(settings):
    Notification.objects.create(channel="sms", to="+447700900123", subject="Hi", body="Hi.")
    assert send_pending() == 0
    assert "FUNDMGR_MAIL=notify" in Notification.objects.get().last_error


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("07700 900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("+44 (0)7700-900-123", "+447700900123"),
        ("00447700900123", "+447700900123"),
        ("447700900123", "+447700900123"),
        ("01632 960000", None),  # a landline
        ("+33 6 12 34 56 78", None),  # abroad
        ("0770090012", None),  # a digit short
        ("", None),
    ],
)
def test_uk_mobile_numbers(written, kept):
    assert uk_mobile(written) == kept


# --- /admin/ --------------------------------------------------------------------------------


def test_the_admin_shows_failed_and_given_up_messages_apart(admin_client):
    now = timezone.now()
    make = Notification.objects.create
    make(to="sent@example.org", subject="Sent", body=".", sent_at=now, attempts=1)
    make(to="waiting@example.org", subject="Waiting", body=".")
    make(to="failing@example.org", subject="Failing", body=".", attempts=2, last_error="refused")
    make(to="lost@example.org", subject="Lost", body=".", attempts=5, last_error="Bad address")
    make(channel="sms", kind="offer-lapsing", to="+447700900123", subject="Text", body=".")
    url = reverse("admin:fundmgr_notification_changelist")

    def listed(query: str) -> set[str]:
        response = admin_client.get(f"{url}?{query}")
        assert response.status_code == 200
        return {n.to for n in response.context["cl"].result_list}

    assert listed("delivery=sent") == {"sent@example.org"}
    assert listed("delivery=waiting") == {"waiting@example.org", "+447700900123"}
    assert listed("delivery=failing") == {"failing@example.org"}
    assert listed("delivery=given-up") == {"lost@example.org"}
    assert listed("channel__exact=sms") == {"+447700900123"}
    assert listed("kind__exact=offer-lapsing") == {"+447700900123"}
    page = admin_client.get(f"{url}?delivery=given-up").content.decode()
    assert "Bad address" in page and "Given up after 5 tries" in page


def test_the_notify_client_is_not_imported_at_start_up():
    """Only a process that sends through Notify pays for its client (and `requests`)."""
    code = (
        "import sys, django; django.setup()\n"
        "from django.urls import get_resolver; get_resolver().url_patterns\n"
        "import fundmgr.admin, fundmgr.notifications, applications.reminders\n"
        "print('notifications_python_client' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fundmgr.settings", "FUNDMGR_MAIL": "notify"}
    env["NOTIFY_API_KEY"] = "k-00000000-0000-4000-8000-000000000000-00000000-0000-4000-8000-0000"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "False"
