"""Notifications through an outbox: written inside the caller's transaction, sent after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from fundmgr.faults import crash_point
from fundmgr.models import Document, Notification
from fundmgr.tasks import background, enqueue_once

log = logging.getLogger(__name__)


def help_footer() -> str:
    """The line every e-mail ends with: who to contact for help, how and when (settings'
    HELP_CONTACT). Plain text, without a trailing newline."""
    contact = settings.HELP_CONTACT
    parts = [contact.get(field, "").strip() for field in ("name", "email", "phone", "hours")]
    return "Need help? " + ", ".join(part for part in parts if part)


def with_help_footer(body: str) -> str:
    """`body` ending with the help contact, once: a body that already ends with it is kept."""
    footer = help_footer()
    if footer in body:
        return body
    return f"{body.rstrip()}\n\n{footer}\n"


def notify(
    *,
    to: Iterable[str],
    subject: str,
    body: str,
    reference: str = "",
    key: str = "",
    attachment: Document | None = None,
) -> int:
    """Queue one e-mail per address (blank and repeated addresses skipped); send after commit.
    Every body ends with the help contact (help_footer), added here if the caller has not.

    With a `key` the message goes to each address once only, ever: an address that already has
    a message with that key is skipped (and the database's unique constraint holds if two runs
    race). Returns how many were queued."""
    addresses = sorted({a.strip().lower() for a in to if a and a.strip()})
    if key:
        already = set(
            Notification.objects.filter(key=key, to__in=addresses).values_list("to", flat=True)
        )
        addresses = [a for a in addresses if a not in already]
    if not addresses:
        return 0
    body = with_help_footer(body)
    Notification.objects.bulk_create(
        (
            Notification(
                to=a,
                subject=subject[:200],
                body=body,
                reference=reference,
                key=key,
                attachment=attachment,
            )
            for a in addresses
        ),
        ignore_conflicts=bool(key),
    )
    _send_after_commit()
    return len(addresses)


def _send_after_commit() -> None:
    """Once per transaction, however many steps in it queue e-mails: a background task sends
    what is waiting once the transaction commits."""
    enqueue_once(send_notifications)


@background()
def send_notifications() -> int:
    """The task that sends the outbox (`send_pending`); `manage.py send_notifications` does the
    same from a timer, for anything a task did not send."""
    return send_pending()


def send_pending(limit: int = 200) -> int:
    """Send what is waiting. A failure is recorded on the row and retried next time."""
    sent = 0
    pending = (
        Notification.objects.filter(sent_at__isnull=True, attempts__lt=5)
        .select_related("attachment")
        .order_by("pk")
    )
    for note in pending[:limit]:
        try:
            _message(note).send(fail_silently=False)
            crash_point("notification:sent")  # the message has gone, the outbox not yet told
        except Exception as error:  # noqa: BLE001 - any mail failure is retried later
            log.warning("Could not send notification %s: %s", note.pk, error)
            Notification.objects.filter(pk=note.pk).update(
                attempts=note.attempts + 1, last_error=str(error)[:255]
            )
            continue
        Notification.objects.filter(pk=note.pk).update(
            sent_at=timezone.now(), attempts=note.attempts + 1
        )
        sent += 1
    return sent


def _message(note: Notification) -> EmailMessage:
    message = EmailMessage(note.subject, note.body, settings.DEFAULT_FROM_EMAIL, [note.to])
    if note.attachment is not None:
        from fundmgr.documents import stored_content

        document = note.attachment
        content_type = "application/pdf" if document.filename.endswith(".pdf") else None
        message.attach(document.filename, stored_content(document), content_type)
    return message
