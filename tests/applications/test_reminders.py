"""applications.reminders: who each reminder goes to, what it says, and the counts the officers'
workbench shows. The days on which they go, run after run, are in
test_send_reminders_command.py.

The cast is the conftest's: a £500 bid from Friends of Abbey Park (treasurer Tess), in Abbey
Meadow (Cllr Shaw, Cllr Okafor); the tests live on Monday 23 November 2026.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from applications import organisations, reminders, support
from applications.models import Application, Membership
from budgets.models import ElectionPeriod
from fundmgr.notifications import send_pending
from tests import journeys
from tests.factories import CouncillorFactory, OrganisationFactory, UserFactory

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://grants.example.gov.uk"


def day(month: int, d: int, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, d)


def sent_on(on: datetime.date) -> list:
    """Send what `on` calls for, with the clock at 7:15 that day; the e-mails that went."""
    send_pending()
    mail.outbox.clear()
    with time_machine.travel(datetime.datetime.combine(on, datetime.time(7, 15), LONDON)):
        reminders.send_reminders(on)
        send_pending()
    sent = list(mail.outbox)
    mail.outbox.clear()
    return sent


@pytest.fixture
def offer(draft, treasurer, officer, officer2, shaw, okafor) -> Application:
    """Approved on 23 November 2026: its last day to accept is 21 December."""
    return journeys.approved(
        draft, treasurer=treasurer, officer=officer, officer2=officer2, shaw=shaw, okafor=okafor
    )


# --- offers ---------------------------------------------------------------------------------


def test_an_offer_reminder_goes_to_the_members_who_can_accept_it_not_to_former_ones(
    offer, treasurer
):
    secretary = UserFactory(username="secretary")
    gone = UserFactory(username="gone", is_active=False)
    for user in (secretary, gone):
        Membership.objects.create(organisation=offer.organisation, user=user, role="secretary")
    sent = sent_on(day(12, 14))
    assert sorted(m.to[0] for m in sent) == sorted([treasurer.email, secretary.email])


def test_someone_who_joins_the_group_after_a_reminder_gets_it_once_the_others_not_again(
    offer, treasurer
):
    assert [m.to for m in sent_on(day(12, 14))] == [[treasurer.email]]
    newcomer = UserFactory(username="newcomer")
    Membership.objects.create(organisation=offer.organisation, user=newcomer, role="member")
    assert [m.to for m in sent_on(day(12, 15))] == [[newcomer.email]]
    assert sent_on(day(12, 16)) == []


def test_no_offer_reminder_the_day_before_the_7_day_one_nor_after_the_last_day(offer):
    assert sent_on(day(12, 13)) == []
    assert sent_on(day(12, 22)) == []


def test_the_last_day_itself_still_gets_the_1_day_reminder_if_the_day_before_was_missed(offer):
    (reminder,) = sent_on(day(12, 21))
    assert "ends today, on 21 December 2026" in reminder.body


# --- end-of-grant reports -------------------------------------------------------------------


@pytest.fixture
def grant(draft, treasurer, officer, officer2, finance, shaw, okafor) -> Application:
    """Paid on 23 November 2026; its report is due on 18 June 2027."""
    return journeys.paid(
        draft,
        treasurer=treasurer,
        officer=officer,
        officer2=officer2,
        finance=finance,
        shaw=shaw,
        okafor=okafor,
    )


def test_a_fund_that_asks_for_no_report_sends_no_report_reminders(grant):
    assert len(reminders.reports_due(day(6, 4, 2027))) == 1
    fund_year = grant.fund_year
    fund_year.monitoring_required = False
    fund_year.save(update_fields=["monitoring_required"])
    assert reminders.reports_due(day(6, 4, 2027)) == []
    assert reminders.reports_due(day(6, 19, 2027)) == []


def test_a_report_due_reminder_missed_until_the_day_before_says_tomorrow(grant):
    sent = sent_on(day(6, 17, 2027))
    assert len(sent) == 2  # the group's address and the treasurer's
    assert "report for New benches for the park is due tomorrow, on 18 June 2027." in sent[0].body
    assert sent_on(day(6, 18, 2027)) == []


def test_a_grant_paid_before_its_due_day_was_kept_is_reminded_by_the_funds_rule(grant):
    """The project ended in July, before the offer of 23 November 2026: the report is due 90
    days after the offer letter (applications.deadlines), on 21 February 2027, not in the past."""
    Application.objects.filter(pk=grant.pk).update(
        project_start=day(6, 1), project_end=day(7, 1), monitoring_due_on=None
    )
    assert sent_on(day(2, 6, 2027)) == []
    (reminder, _) = sent_on(day(2, 7, 2027))
    assert "is due in 14 days, on 21 February 2027." in reminder.body
    assert len(sent_on(day(2, 22, 2027))) == 2  # overdue


def test_a_report_first_found_long_overdue_gets_the_last_reminder_only(grant, treasurer):
    (_, last) = sent_on(day(8, 20, 2027))  # to the group's address and the treasurer
    assert "was due on 18 June 2027, 63 days ago" in last.body
    assert sent_on(day(8, 21, 2027)) == []


# --- bank details ---------------------------------------------------------------------------


@pytest.fixture
def waiting_details(treasurer, finance):
    """Friends of Abbey Park's bank details, entered on Monday 23 November, not yet verified."""
    group = OrganisationFactory(members=[treasurer], name="Friends of Abbey Park")
    return organisations.bank_account_change(
        organisation=group,
        by=treasurer,
        account_name="FRIENDS ABBEY PARK",
        sort_code="200000",
        account_number="12345678",
    )


def test_bank_details_waiting_two_working_days_send_no_digest_three_do(waiting_details, finance):
    assert sent_on(day(11, 25)) == []  # Wednesday: 2 working days
    (digest,) = sent_on(day(11, 26))  # Thursday: 3
    assert digest.to == [finance.email]
    assert digest.subject == "1 set of bank details is waiting for verification"
    assert (
        "- Friends of Abbey Park: entered on 23 November 2026, waiting 3 working days"
        in digest.body
    )
    assert "Verify bank details: https://grants.example.gov.uk/finance/bank-details/" in (
        digest.body
    )
    # The account number is not in an e-mail.
    assert "12345678" not in digest.body


def test_the_digest_lists_every_set_waiting_once_one_has_waited_long_enough(
    waiting_details, finance, treasurer
):
    with time_machine.travel(datetime.datetime(2026, 11, 25, 11, 0, tzinfo=LONDON)):
        newer = OrganisationFactory(members=[treasurer], name="Abbey Youth Club")
        organisations.bank_account_change(
            organisation=newer,
            by=treasurer,
            account_name="ABBEY YOUTH CLUB",
            sort_code="200000",
            account_number="87654321",
        )
    (digest,) = sent_on(day(11, 26))
    assert digest.subject == "2 sets of bank details are waiting for verification"
    assert "- Abbey Youth Club: entered on 25 November 2026, waiting 1 working day" in digest.body


def test_working_days_skip_the_weekend():
    friday, monday = day(11, 27), day(11, 30)
    assert reminders.working_days_between(friday, monday) == 1
    assert reminders.working_days_between(day(11, 23), day(11, 26)) == 3
    assert reminders.working_days_between(monday, monday) == 0


# --- councillors ----------------------------------------------------------------------------


@pytest.fixture
def waiting_bid(draft, treasurer, officer) -> Application:
    """Found eligible on Monday 23 November: waiting for Cllr Shaw and Cllr Okafor."""
    return journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)


def test_a_councillor_who_declined_is_not_reminded(waiting_bid, shaw, okafor):
    support.pledge_decline(
        application=waiting_bid, councillor=okafor, reason="Not my area", by=okafor.user
    )
    assert [m.to for m in sent_on(day(11, 27))] == []
    assert [m.to for m in sent_on(day(11, 28))] == [[shaw.user.email]]


def test_a_councillor_with_an_interest_that_bars_them_is_not_reminded(waiting_bid, shaw, okafor):
    support.interest_declare(
        application=waiting_bid, by=okafor.user, kind="pecuniary", details="I chair the group."
    )
    assert [m.to for m in sent_on(day(11, 28))] == [[shaw.user.email]]


def test_a_councillor_out_of_office_or_of_another_ward_is_not_reminded(waiting_bid, shaw, okafor):
    okafor.term_end = day(11, 25)
    okafor.save(update_fields=["term_end"])
    CouncillorFactory(name="Other Ward", user__username="cllr.other")
    assert [m.to for m in sent_on(day(11, 28))] == [[shaw.user.email]]


def test_councillors_are_not_asked_for_support_a_pre_election_period_holds_then_are(
    waiting_bid, shaw, okafor
):
    ElectionPeriod.objects.create(
        council=shaw.ward.council,
        ward=shaw.ward,
        name="Abbey Meadow by-election",
        notice_date=day(11, 20),
        polling_day=day(12, 3),
    )
    assert sent_on(day(11, 28)) == []
    assert sent_on(day(12, 3)) == []
    assert sorted(m.to[0] for m in sent_on(day(12, 4))) == sorted(
        [shaw.user.email, okafor.user.email]
    )


def test_the_reminder_tells_the_councillor_what_and_how_long(waiting_bid, shaw):
    reminder = next(m for m in sent_on(day(11, 30)) if m.to == [shaw.user.email])
    assert (
        "Friends of Abbey Park asked for £500.00 for New benches for the park, which benefits "
        "Abbey Meadow, the ward you represent. It has been waiting for councillor support since "
        "23 November 2026 (7 days)" in reminder.body
    )


# --- the counts on the officers' workbench --------------------------------------------------


def test_sent_counts_are_reminders_sent_since_a_day_by_kind(offer):
    sent_on(day(12, 14))
    sent_on(day(12, 20))
    none = {label: 0 for label in reminders.LABELS.values()}
    assert reminders.sent_counts(day(12, 14)) == {**none, "offers about to lapse": 2}
    assert reminders.sent_counts(day(12, 15)) == {**none, "offers about to lapse": 1}
    assert reminders.sent_counts(day(12, 21)) == none
    assert list(reminders.sent_counts(day(12, 1))) == [
        "offers about to lapse",
        "end-of-grant reports due",
        "end-of-grant reports overdue",
        "bank details waiting for verification",
        "bids waiting for councillor support",
    ]
