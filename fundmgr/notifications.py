"""Notifications through an outbox: written inside the caller's transaction, sent after commit.

`notify()` writes one row per recipient (an e-mail address, or a UK mobile number for a text
message); `send_pending()` sends what is waiting, from the `send_notifications` task queued when
the transaction commits and from `manage.py send_notifications`, which a timer runs every few
minutes for anything a task did not send (and for the retries).

Several senders at once (workers, the timer) never send the same row twice: each row is claimed
first, by one UPDATE that only takes a row nobody holds (`claimed_until` empty or past), which
sets a lease of NOTIFICATION_LEASE_SECONDS and counts the attempt, and is committed before the
message is handed over. A sender that dies holding a row leaves it to be taken over once the
lease has passed. A failure is written on the row (`last_error`), the claim is let go, and the
row is tried again later, MAX_ATTEMPTS times in all.

Exactly once with GOV.UK Notify, at least once with SMTP: a sender can die after the service took
a message and before the row is marked sent. A row tried again after that (attempts above 1) is
first looked up at Notify by its reference (`fundmgr-<pk>`); if Notify has it the row is marked
sent and nothing goes twice. An SMTP server cannot be asked: the message may go twice in that
window, with the same Message-ID both times (`fundmgr.mail_services`).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from fundmgr.faults import crash_point
from fundmgr.mail_services import MailService, mail_service, uk_mobile
from fundmgr.models import Document, Notification
from fundmgr.tasks import background, enqueue_once

log = logging.getLogger(__name__)


def help_footer(council: object = None) -> str:
    """The line every e-mail ends with: who to contact for help, how and when: the help contact
    of `council` (a council, its id or a row it owns), else of the council the work is for
    (fundmgr.council_settings). Plain text, without a trailing newline; empty when there is no
    contact to give."""
    from fundmgr import council_settings

    contact = council_settings.help_contact(council_settings.council_for(council))
    parts = [contact.get(field, "").strip() for field in ("name", "email", "phone", "hours")]
    if not any(parts[1:]):
        return ""
    name = parts[0][:1].upper() + parts[0][1:]
    return "Need help? " + ", ".join(part for part in (name, *parts[1:]) if part)


def with_help_footer(body: str, council: object = None) -> str:
    """`body` ending with the help contact, once: a body that already ends with it is kept."""
    footer = help_footer(council)
    if not footer or footer in body:
        return body
    return f"{body.rstrip()}\n\n{footer}\n"


MAX_ATTEMPTS = 5


def notify(
    *,
    to: Iterable[str],
    subject: str,
    body: str,
    reference: str = "",
    key: str = "",
    attachment: Document | None = None,
    kind: str = "",
    channel: str = Notification.Channel.EMAIL,
    council: object = None,
) -> int:
    """Queue one message per recipient (blank and repeated ones skipped); send after commit.

    An e-mail (the default) goes to each address in `to`, and its body ends with the help
    contact (help_footer: of `council`, a council or a row it owns, else of the council the
    work is for), added here if the caller has not. A text message
    (`channel="sms"`, through GOV.UK Notify only) goes to each UK mobile number in `to`, kept as
    +447...; a number that is not one is skipped with a log line, and so is every text message
    when the mail service is SMTP. `kind` says what kind of message it is and picks its Notify
    template (settings.NOTIFY_TEMPLATES).

    With a `key` the message goes to each recipient once only, ever: one that already has a
    message with that key is skipped (and the database's unique constraint holds if two runs
    race). Returns how many were queued."""
    if channel == Notification.Channel.SMS:
        recipients = _mobiles(to)
    else:
        recipients = sorted({a.strip().lower() for a in to if a and a.strip()})
        body = with_help_footer(body, council)
    if key:
        already = set(
            Notification.objects.filter(key=key, to__in=recipients).values_list("to", flat=True)
        )
        recipients = [a for a in recipients if a not in already]
    if not recipients:
        return 0
    Notification.objects.bulk_create(
        (
            Notification(
                channel=channel,
                to=a,
                kind=kind[:40],
                subject=subject[:200],
                body=body,
                reference=reference,
                key=key,
                attachment=attachment,
            )
            for a in recipients
        ),
        ignore_conflicts=bool(key),
    )
    _send_after_commit()
    return len(recipients)


def _mobiles(numbers: Iterable[str]) -> list[str]:
    """The UK mobile numbers among `numbers`, as +447...; text messages need GOV.UK Notify."""
    if settings.MAIL_SERVICE != "notify":
        log.warning("Text message not queued: text messages need FUNDMGR_MAIL=notify.")
        return []
    kept = set()
    for number in numbers:
        mobile = uk_mobile(number)
        if mobile is None:
            log.warning("Text message not queued: %r is not a UK mobile number.", number)
        else:
            kept.add(mobile)
    return sorted(kept)


def _send_after_commit() -> None:
    """Once per transaction, however many steps in it queue messages: a background task sends
    what is waiting once the transaction commits."""
    enqueue_once(send_notifications)


@background()
def send_notifications() -> int:
    """The task that sends the outbox (`send_pending`); `manage.py send_notifications` does the
    same from a timer, for anything a task did not send."""
    return send_pending()


def _free(now: datetime.datetime) -> Q:
    """Rows waiting to be sent that nobody is sending now."""
    return Q(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def claim(pk: int) -> Notification | None:
    """Take the row for this sender for NOTIFICATION_LEASE_SECONDS, counting the attempt; None
    if another sender has it (or it has gone, or been given up). Outside a transaction (as the
    task and the command run) the claim is committed before anything is sent."""
    now = timezone.now()
    lease = datetime.timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
    taken = Notification.objects.filter(_free(now), pk=pk).update(
        claimed_until=now + lease, attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return Notification.objects.select_related("attachment").get(pk=pk)


def send_pending(limit: int = 200) -> int:
    """Send what is waiting, each row claimed first; returns how many went. A failure is
    recorded on the row and retried next time."""
    waiting = list(
        Notification.objects.filter(_free(timezone.now()))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not waiting:
        return 0
    service = mail_service()
    sent = 0
    for pk in waiting:
        note = claim(pk)
        if note is not None and _send(service, note):
            sent += 1
    return sent


def _send(service: MailService, note: Notification) -> bool:
    try:
        provider_id = service.already_has(note) if note.attempts > 1 else None
        if provider_id:
            log.warning(
                "Notification %s had already reached %s (%s): marked sent, not sent again",
                note.pk,
                service.name,
                provider_id,
            )
        else:
            provider_id = service.send(note)
            crash_point("notification:sent")  # the message has gone, the outbox not yet told
    except Exception as error:  # noqa: BLE001 - any mail failure is retried later
        log.warning(
            "Could not send notification %s (try %s of %s): %s",
            note.pk,
            note.attempts,
            MAX_ATTEMPTS,
            error,
        )
        Notification.objects.filter(pk=note.pk).update(
            last_error=str(error)[:255], claimed_until=None
        )
        return False
    Notification.objects.filter(pk=note.pk).update(
        sent_at=timezone.now(), provider_id=str(provider_id)[:100], claimed_until=None
    )
    return True
