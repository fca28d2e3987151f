"""Notifications through an outbox: written inside the caller's transaction, sent after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from fundmgr.models import Notification

log = logging.getLogger(__name__)


def notify(*, to: Iterable[str], subject: str, body: str, reference: str = "") -> int:
    """Queue one e-mail per address (blank and repeated addresses skipped); send after commit."""
    addresses = sorted({a.strip().lower() for a in to if a and a.strip()})
    if not addresses:
        return 0
    Notification.objects.bulk_create(
        Notification(to=a, subject=subject[:200], body=body, reference=reference) for a in addresses
    )
    _send_after_commit()
    return len(addresses)


def _send_after_commit() -> None:
    """Once per transaction, however many steps in it queue e-mails."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        send_pending()
        return
    if not any(hook[1] is send_pending for hook in connection.run_on_commit):
        transaction.on_commit(send_pending)


def send_pending(limit: int = 200) -> int:
    """Send what is waiting. A failure is recorded on the row and retried next time."""
    sent = 0
    pending = Notification.objects.filter(sent_at__isnull=True, attempts__lt=5).order_by("pk")
    for note in pending[:limit]:
        try:
            send_mail(note.subject, note.body, settings.DEFAULT_FROM_EMAIL, [note.to])
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
