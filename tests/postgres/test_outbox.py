"""The outbox on PostgreSQL with senders really at once: two threads (as two workers, or a
worker and the `send_notifications` timer) sending the same outbox through GOV.UK Notify (the
fake on loopback) send every message exactly once between them."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from fundmgr.models import Notification
from fundmgr.notifications import send_pending
from tests.fake_notify import FakeNotify

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_two_senders_at_once_send_each_message_once(settings):
    assert connection.vendor == "postgresql"
    Notification.objects.bulk_create(
        Notification(to=f"member{n}@example.org", subject="Hello", body="Hi.") for n in range(30)
    )
    with FakeNotify() as fake:
        fake.configure(settings)
        fake.delay = 0.02  # each message takes a moment: the two senders overlap throughout
        start = threading.Barrier(2)
        sent: list[int] = []
        errors: list[BaseException] = []

        def sender() -> None:
            try:
                start.wait()
                sent.append(send_pending())
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert sum(sent) == 30
    assert all(n > 0 for n in sent), sent  # both really sent: they ran at the same time
    received = Counter(m["reference"] for m in fake.received)
    rows = list(Notification.objects.all())
    assert received == Counter({f"fundmgr-{row.pk}": 1 for row in rows})
    assert all(row.sent_at and row.attempts == 1 and row.claimed_until is None for row in rows)
