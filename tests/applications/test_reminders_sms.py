"""Reminders by text message too (FUNDMGR_SMS, through GOV.UK Notify: the fake on loopback): an
offer about to lapse and an overdue report, to the group's mobile number, once per key like the
e-mails; and the reminders as a background task.

The cast is the conftest's: a £500 bid from Friends of Abbey Park (treasurer Tess), approved on
Monday 23 November 2026 (its last day to accept is 21 December).
"""

from __future__ import annotations

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from applications import reminders
from applications.models import Application
from fundmgr.models import Notification
from fundmgr.notifications import send_pending
from tests import journeys
from tests.fake_notify import TEMPLATES, FakeNotify

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def notify_service(settings):
    settings.SITE_URL = "https://grants.example.gov.uk"
    settings.FUNDMGR_SMS = True
    with FakeNotify() as fake:
        fake.configure(settings)
        yield fake


def day(month: int, d: int, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, d)


def texts_on(fake: FakeNotify, on: datetime.date) -> list[dict]:
    """Send what `on` calls for, at 7:15 that day; the text messages Notify received."""
    send_pending()  # what the journey to this day left in the outbox
    before = len(fake.received)
    with time_machine.travel(datetime.datetime.combine(on, datetime.time(7, 15), LONDON)):
        reminders.send_reminders(on)
        send_pending()
    return [m for m in fake.received[before:] if m["type"] == "sms"]


def with_phone(app: Application, phone: str) -> Application:
    app.organisation.phone = phone
    app.organisation.save(update_fields=["phone"])
    return app


@pytest.fixture
def offer(draft, treasurer, officer, officer2, shaw, okafor) -> Application:
    app = journeys.approved(
        draft, treasurer=treasurer, officer=officer, officer2=officer2, shaw=shaw, okafor=okafor
    )
    return with_phone(app, "07700 900123")


@pytest.fixture
def grant(draft, treasurer, officer, officer2, finance, shaw, okafor) -> Application:
    """Paid on 23 November 2026; its report is due on 18 June 2027."""
    app = journeys.paid(
        draft,
        treasurer=treasurer,
        officer=officer,
        officer2=officer2,
        finance=finance,
        shaw=shaw,
        okafor=okafor,
    )
    return with_phone(app, "+44 7700 900123")


def test_an_offer_about_to_lapse_is_texted_once_per_reminder_to_the_groups_mobile(
    notify_service, offer
):
    (text,) = texts_on(notify_service, day(12, 14))
    assert text["phone_number"] == "+447700900123"
    assert text["template_id"] == TEMPLATES["sms:offer-lapsing"]
    body = text["personalisation"]["body"]
    assert body.startswith(f"{offer.reference}: your offer of £500.00 for ")
    assert "ends in 7 days, on 21 December 2026" in body
    assert body.endswith(f"https://grants.example.gov.uk/apply/applications/{offer.pk}/accept/")
    assert len(body) <= 306  # two text message parts at most
    assert texts_on(notify_service, day(12, 15)) == []  # the 7-day reminder went already
    (last,) = texts_on(notify_service, day(12, 20))
    assert "ends tomorrow, on 21 December 2026" in last["personalisation"]["body"]
    # The e-mails went as before, beside the texts.
    emails = [
        m["email_address"]
        for m in notify_service.received
        if "accept your offer" in m["personalisation"].get("subject", "")
    ]
    assert emails == [offer.organisation.members.get().email] * 2


def test_an_overdue_report_is_texted_a_report_due_is_not(notify_service, grant):
    assert texts_on(notify_service, day(6, 10, 2027)) == []  # due in 8 days: e-mail only
    (text,) = texts_on(notify_service, day(6, 19, 2027))
    assert (
        "end-of-grant report for New benches for the park was due on 18 June 2027"
        in (text["personalisation"]["body"])
    )
    assert text["template_id"] == TEMPLATES["sms"]  # no template of its own: the fallback
    assert texts_on(notify_service, day(6, 20, 2027)) == []


@pytest.mark.parametrize(
    "setting",
    ["sms off", "smtp", "landline", "no phone"],
)
def test_no_text_without_sms_on_notify_and_a_mobile_number(
    notify_service, offer, settings, setting, mailoutbox
):
    if setting == "sms off":
        settings.FUNDMGR_SMS = False
    elif setting == "smtp":
        settings.MAIL_SERVICE = "smtp"
    elif setting == "landline":
        with_phone(offer, "01632 960000")
    else:
        with_phone(offer, "")
    assert texts_on(notify_service, day(12, 14)) == []
    assert not Notification.objects.filter(channel="sms").exists()
    emails = Notification.objects.filter(channel="email", key__startswith="offer-lapsing:")
    assert emails.count() == 1 and emails.get().sent_at  # the e-mail all the same


def test_the_dry_run_lists_the_text_and_writes_nothing(notify_service, offer):
    out = io.StringIO()
    call_command("send_reminders", "--on", "2026-12-14", "--dry-run", stdout=out)
    assert "text to +447700900123" in out.getvalue()
    assert "Text messages: 1" in out.getvalue()
    assert not Notification.objects.filter(key__startswith="offer-lapsing:").exists()


def test_the_reminders_as_a_background_task_send_once_however_often_they_run(
    notify_service, offer, django_capture_on_commit_callbacks
):
    send_pending()  # what the journey to this day left in the outbox
    notify_service.received.clear()
    with time_machine.travel(datetime.datetime(2026, 12, 14, 7, 15, tzinfo=LONDON)):
        for _ in range(2):
            out = io.StringIO()
            with django_capture_on_commit_callbacks(execute=True):
                call_command("send_reminders", "--on", "2026-12-14", "--queue", stdout=out)
            assert "Queued the reminders for 14 December 2026" in out.getvalue()
    queued = Notification.objects.filter(key__startswith="offer-lapsing:")
    assert sorted(queued.values_list("channel", "to")) == [
        ("email", offer.organisation.members.get().email),
        ("sms", "+447700900123"),
    ]
    send_pending()  # the outbox's task, had the test's transaction committed
    assert sorted(m["type"] for m in notify_service.received) == ["email", "sms"]
