"""`manage.py send_reminders` run day after day, as cron runs it: each reminder goes once.

The cast is the conftest's: a £500 bid from Friends of Abbey Park (treasurer Tess), in Abbey
Meadow (Cllr Shaw, Cllr Okafor). The tests live on Monday 23 November 2026; an offer made that
day has 28 days to be accepted, so its last day is Monday 21 December 2026.
"""

from __future__ import annotations

import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from applications import services
from applications.models import Application
from fundmgr.models import Notification
from fundmgr.notifications import send_pending
from tests import journeys

LONDON = ZoneInfo("Europe/London")
SITE = "https://grants.example.gov.uk"
LAST_DAY = datetime.date(2026, 12, 21)


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE


def day(month: int, d: int, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, d)


def days(first: datetime.date, last: datetime.date):
    while first <= last:
        yield first
        first += datetime.timedelta(days=1)


def outbox_cleared() -> None:
    """Send what earlier steps queued (their own e-mails) and forget it."""
    send_pending()
    mail.outbox.clear()


def run(*args: str) -> tuple[str, list]:
    """Run the command as cron does; what it printed, and the e-mails that then went."""
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    send_pending()
    sent = list(mail.outbox)
    mail.outbox.clear()
    return out.getvalue(), sent


def run_at_quarter_past_seven(on: datetime.date, *args: str) -> tuple[str, list]:
    """The clock moved to 7:15 on `on` (the cron line in the README), no --on."""
    with time_machine.travel(datetime.datetime.combine(on, datetime.time(7, 15), LONDON)):
        return run(*args)


@pytest.fixture
def offer(draft, treasurer, officer, officer2, shaw, okafor) -> Application:
    app = journeys.approved(
        draft, treasurer=treasurer, officer=officer, officer2=officer2, shaw=shaw, okafor=okafor
    )
    assert app.offer_expires_on == LAST_DAY
    outbox_cleared()
    return app


# --- offers about to lapse ------------------------------------------------------------------


def test_an_offer_is_reminded_once_7_days_and_once_1_day_before_its_last_day(offer, treasurer):
    """A fortnight around the last day, the clock moving a day at a time: the 7-day reminder on
    14 December, the 1-day one on 20 December, nothing on any other day."""
    by_day = {}
    for on in days(day(12, 10), day(12, 24)):
        printed, sent = run_at_quarter_past_seven(on)
        by_day[on] = sent
        if sent:
            assert "Offers about to lapse: 1 e-mail\n" in printed
            assert "Sent 1 reminder for" in printed
    assert {on: len(sent) for on, sent in by_day.items() if sent} == {
        day(12, 14): 1,
        day(12, 20): 1,
    }
    seven, one = by_day[day(12, 14)][0], by_day[day(12, 20)][0]
    assert seven.to == one.to == [treasurer.email]
    assert seven.subject == f"{offer.reference}: accept your offer of £500.00 by 21 December 2026"
    assert (
        "Your offer of £500.00 for New benches for the park ends in 7 days, on 21 December 2026. "
        "Accept it by the end of 21 December 2026 or it will lapse" in seven.body
    )
    accept = f"Accept the offer: {SITE}/apply/applications/{offer.pk}/accept/"
    assert accept in seven.body and accept in one.body
    assert "ends tomorrow, on 21 December 2026" in one.body
    assert Notification.objects.filter(key__startswith="offer-lapsing:").count() == 2


def test_running_twice_in_a_day_sends_the_reminder_once(offer):
    _, first = run("--on", "2026-12-14")
    printed, again = run("--on", "2026-12-14")
    assert len(first) == 1
    assert again == []
    assert "Offers about to lapse: 0 e-mails\n" in printed
    assert "Sent 0 reminders for 14 December 2026." in printed


def test_a_day_the_command_did_not_run_is_caught_up_the_next_day(offer):
    assert run("--on", "2026-12-13")[1] == []
    # No run on 14 December: the 7-day reminder goes on the 15th, with the days truly left.
    _, sent = run("--on", "2026-12-15")
    assert len(sent) == 1
    assert "ends in 6 days, on 21 December 2026" in sent[0].body
    assert run("--on", "2026-12-16")[1] == []


@pytest.mark.parametrize("what", ["accepted", "withdrawn"])
def test_an_offer_accepted_or_withdrawn_gets_no_reminder(offer, treasurer, what):
    assert run("--dry-run", "--on", "2026-12-14")[0].count("accept your offer") == 1
    if what == "accepted":
        services.application_accept_offer(application=offer, by=treasurer)
    else:
        services.application_withdraw(application=offer, by=treasurer, reason="Project cancelled")
    outbox_cleared()
    for on in days(day(12, 10), day(12, 22)):
        assert run_at_quarter_past_seven(on)[1] == []


# --- --dry-run and bad input ----------------------------------------------------------------


def test_a_dry_run_says_what_it_would_send_and_sends_and_writes_nothing(offer, treasurer):
    queued = Notification.objects.count()
    printed, sent = run("--dry-run", "--on", "2026-12-14")
    assert sent == []
    assert Notification.objects.count() == queued
    assert f"accept your offer of £500.00 by 21 December 2026 (to {treasurer.email})" in printed
    assert "Offers about to lapse: 1 e-mail\n" in printed
    assert "Would send 1 reminder for 14 December 2026: nothing was sent or written." in printed
    # The reminder was not spent by the dry run: the real run sends it.
    assert len(run("--on", "2026-12-14")[1]) == 1


def test_a_date_that_is_not_one_is_refused_saying_how_to_write_it(offer):
    with pytest.raises(CommandError, match=r"--on '14/12/2026' is not a date: give it as year-"):
        run("--on", "14/12/2026")
    assert Notification.objects.filter(key__startswith="offer-lapsing:").count() == 0


def test_without_the_site_address_nothing_is_sent(offer, settings):
    settings.SITE_URL = ""
    with pytest.raises(CommandError, match="Set SITE_URL to the service's address"):
        run("--on", "2026-12-14")
    assert Notification.objects.filter(key__startswith="offer-lapsing:").count() == 0


# --- end-of-grant reports -------------------------------------------------------------------


@pytest.fixture
def grant(draft, treasurer, officer, officer2, finance, shaw, okafor) -> Application:
    """Paid in full on 23 November 2026; the project ends on 20 March 2027, and the report is
    due 90 days later, on 18 June 2027."""
    app = journeys.paid(
        draft,
        treasurer=treasurer,
        officer=officer,
        officer2=officer2,
        finance=finance,
        shaw=shaw,
        okafor=okafor,
    )
    assert app.monitoring_due_on == day(6, 18, 2027)
    outbox_cleared()
    return app


def test_a_report_is_reminded_14_days_before_due_then_overdue_the_day_after_and_28_days_after(
    grant, treasurer
):
    by_day = {}
    for on in days(day(6, 1, 2027), day(7, 31, 2027)):
        sent = run("--on", on.isoformat())[1]
        if sent:
            by_day[on] = sent
    assert sorted(by_day) == [day(6, 4, 2027), day(6, 19, 2027), day(7, 16, 2027)]
    due, overdue, last = (by_day[on] for on in sorted(by_day))
    group = sorted([grant.organisation.email, treasurer.email])
    assert sorted(m.to[0] for m in due) == sorted(m.to[0] for m in overdue) == group
    assert len(last) == 2
    assert due[0].subject == f"{grant.reference}: your end-of-grant report is due on 18 June 2027"
    assert "is due in 14 days, on 18 June 2027" in due[0].body
    assert f"Send your report: {SITE}/apply/applications/{grant.pk}/monitoring/" in due[0].body
    assert overdue[0].subject == f"{grant.reference}: your end-of-grant report is overdue"
    assert "was due on 18 June 2027, 1 day ago. We have not received it." in overdue[0].body
    assert "was due on 18 June 2027, 28 days ago." in last[0].body


def test_a_report_received_stops_the_reminders(grant, treasurer):
    assert len(run("--on", "2027-06-19")[1]) == 2
    services.monitoring_report_submit(
        application=grant,
        by=treasurer,
        amount_spent=grant.amount_awarded,
        outcomes="Three benches installed.",
        people_reached=120,
    )
    outbox_cleared()
    for on in ("2027-06-20", "2027-07-16", "2027-08-01"):
        assert run("--on", on)[1] == []


# --- bank details and councillors -----------------------------------------------------------


def test_bank_details_digest_goes_once_a_working_day_after_two_working_days_waiting(
    finance, treasurer
):
    from applications import organisations
    from tests.factories import OrganisationFactory, UserFactory

    finance2 = UserFactory(username="finance2", roles=["Finance officer"])
    group = OrganisationFactory(members=[treasurer], name="Friends of Abbey Park")
    # Entered on Monday 23 November.
    account = organisations.bank_account_change(
        organisation=group,
        by=treasurer,
        account_name="FRIENDS ABBEY PARK",
        sort_code="200000",
        account_number="12345678",
    )
    outbox_cleared()
    sent_on = {}
    for on in days(day(11, 23), day(12, 1)):
        _, first = run_at_quarter_past_seven(on)
        _, again = run_at_quarter_past_seven(on)
        assert again == []
        if first:
            sent_on[on] = sorted(m.to[0] for m in first)
    # Thursday (3 working days), Friday, not the weekend, Monday, Tuesday.
    assert sorted(sent_on) == [day(11, 26), day(11, 27), day(11, 30), day(12, 1)]
    assert all(to == sorted([finance.email, finance2.email]) for to in sent_on.values())

    organisations.bank_account_verify(bank_account=account, by=finance, approve=True)
    outbox_cleared()
    assert run_at_quarter_past_seven(day(12, 2))[1] == []


def test_councillors_are_reminded_once_only_if_they_have_not_yet_acted(
    draft, treasurer, officer, shaw, okafor
):
    from applications import support
    from tests.factories import CouncillorFactory

    CouncillorFactory(name="Other Ward", user__username="cllr.other")  # another ward
    app = journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    support.pledge_make(
        application=app,
        councillor=shaw,
        amount=journeys.SHAW_PLEDGES,
        statement="Yes",
        by=shaw.user,
    )
    outbox_cleared()
    sent = {on: run_at_quarter_past_seven(on)[1] for on in days(day(11, 24), day(12, 5))}
    assert {on: [m.to for m in s] for on, s in sent.items() if s} == {
        day(11, 28): [[okafor.user.email]]
    }
    reminder = sent[day(11, 28)][0]
    assert reminder.subject == f"{app.reference} is waiting for your support"
    assert "you have not yet supported or declined it" in reminder.body
    assert f"{SITE}/councillor/bids/{app.reference}/" in reminder.body
