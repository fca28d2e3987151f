"""The services the outbox's messages leave through: SMTP (Django's EMAIL_BACKEND) or GOV.UK
Notify (FUNDMGR_MAIL=notify), behind one small interface that `fundmgr.notifications` uses.

    service = mail_service()               # the one settings.MAIL_SERVICE names
    provider_id = service.send(note)       # hands the message over, or raises
    service.already_has(note)              # its id if the service has this message, else None

Exactly once, or at least once: a sender that dies after the service took a message and before
the outbox row is marked sent leaves the row to be sent again.
- GOV.UK Notify is asked first: every message goes with `reference="fundmgr-<pk>"`, and a row
  sent again (its earlier try may have got through) is looked up by that reference; if Notify
  has it, the row is marked sent with Notify's id and nothing is sent twice. Exactly once.
- SMTP cannot be asked. Every message carries a stable Message-ID made from the row and the site
  (`<fundmgr-42@grants.example.gov.uk>`), so a repeat is recognisable and most mail programs show
  it once, but in that window (server accepted, row not yet marked) it is at least once.

Text messages go through Notify only. `notifications_python_client` is imported when a message
is sent, never at start-up.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage

if TYPE_CHECKING:
    from fundmgr.models import Notification


class MailService(Protocol):
    name: str

    def send(self, note: Notification) -> str:
        """Hand the message over; return the service's id for it. Raises when it is refused."""
        ...

    def already_has(self, note: Notification) -> str | None:
        """The service's id for this message if it already has it; None when it has not, or
        cannot tell."""
        ...


def mail_service() -> MailService:
    if settings.MAIL_SERVICE == "notify":
        return NotifyService()
    return SmtpService()


def reference(note: Notification) -> str:
    """The reference a message is sent, and looked up, with at the mail service."""
    return f"fundmgr-{note.pk}"


# --- mobile numbers -------------------------------------------------------------------------

UK_MOBILE = re.compile(r"^\+447\d{9}$")


def uk_mobile(number: str | None) -> str | None:
    """A UK mobile number as +447..., from the ways people write one (07700 900123,
    +44 (0)7700 900 123, 00447700900123, 447700900123); None if it is not one (a landline,
    a number abroad, a typing slip)."""
    if not number:
        return None
    digits = re.sub(r"[\s\-().]", "", number.strip())
    if digits.startswith("+440"):  # +44 (0)7700 ...
        digits = "+44" + digits[4:]
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("07"):
        digits = "+44" + digits[1:]
    elif digits.startswith("447"):
        digits = "+" + digits
    return digits if UK_MOBILE.match(digits) else None


# --- SMTP -----------------------------------------------------------------------------------


def message_id(note: Notification) -> str:
    """The message's Message-ID: the same every time the row is sent, so a repeat after a crash
    is recognisable as the same message."""
    return f"<{reference(note)}@{message_id_host()}>"


def message_id_host() -> str:
    """The host part of every Message-ID this service makes."""
    host = urlsplit(getattr(settings, "SITE_URL", "")).hostname
    return host or settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "fundmgr.invalid"


class SmtpService:
    """E-mail through Django's EMAIL_BACKEND (an SMTP relay in production). At least once."""

    name = "smtp"

    def send(self, note: Notification) -> str:
        if note.channel != note.Channel.EMAIL:
            raise ImproperlyConfigured(
                "Text messages go through GOV.UK Notify only: set FUNDMGR_MAIL=notify."
            )
        identity = message_id(note)
        message = EmailMessage(
            note.subject,
            note.body,
            settings.DEFAULT_FROM_EMAIL,
            [note.to],
            headers={"Message-ID": identity},
        )
        if note.attachment is not None:
            from fundmgr.documents import stored_content

            document = note.attachment
            content_type = "application/pdf" if document.filename.endswith(".pdf") else None
            message.attach(document.filename, stored_content(document), content_type)
        message.send(fail_silently=False)
        return identity

    def already_has(self, note: Notification) -> str | None:
        return None  # SMTP cannot be asked


# --- GOV.UK Notify --------------------------------------------------------------------------


def template_for(note: Notification) -> str:
    """The Notify template for a message: NOTIFY_TEMPLATES[kind] for an e-mail (an e-mail with a
    file: its kind, then "email_file", a template with a ((link_to_file)) placeholder), then
    "email"; for a text message "sms:<kind>", then "sms". E-mail templates have the
    placeholders ((subject)) and ((body)); text message templates ((body))."""
    templates = settings.NOTIFY_TEMPLATES
    if note.channel == note.Channel.SMS:
        names = [f"sms:{note.kind}", "sms"]
    else:
        names = [note.kind, *(["email_file"] if note.attachment_id else []), "email"]
    for name in names:
        if name and templates.get(name):
            return templates[name]
    raise ImproperlyConfigured(
        f"NOTIFY_TEMPLATES has no template for this message: give one for {names[-1]!r}."
    )


class NotifyService:
    """E-mail and text messages through GOV.UK Notify. Exactly once (see the module's note)."""

    name = "notify"

    def __init__(self) -> None:
        from notifications_python_client import NotificationsAPIClient

        self.client = NotificationsAPIClient(
            settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL, timeout=30
        )

    def send(self, note: Notification) -> str:
        template = template_for(note)
        if note.channel == note.Channel.SMS:
            answer = self.client.send_sms_notification(
                note.to, template, personalisation={"body": note.body}, reference=reference(note)
            )
        else:
            personalisation: dict[str, Any] = {"subject": note.subject, "body": note.body}
            if note.attachment is not None:
                from notifications_python_client import prepare_upload

                from fundmgr.documents import stored_content

                document = note.attachment
                personalisation["link_to_file"] = prepare_upload(
                    io.BytesIO(stored_content(document)), filename=document.filename
                )
            answer = self.client.send_email_notification(
                note.to, template, personalisation=personalisation, reference=reference(note)
            )
        return str(answer["id"])

    def already_has(self, note: Notification) -> str | None:
        found = self.client.get_all_notifications(reference=reference(note))
        for notification in found.get("notifications") or []:
            if notification.get("reference") == reference(note):
                return str(notification["id"])
        return None
