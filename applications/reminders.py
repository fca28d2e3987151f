"""Reminders that go out by e-mail once, from the daily `manage.py send_reminders` (or its
background task, `daily_reminders`).

Each kind of reminder is a small function that reads what is waiting on a given day and returns
the e-mails it calls for; `send_reminders` queues them in the outbox. Every e-mail carries a key
(`<kind>:<reference>[:<days>]`, or `<kind>:<date>` for the finance officers' daily digest), and
the outbox sends a message with a key to an address once only, ever: running the command twice
in a day, or on every day, cannot send a reminder twice.

A reminder is due from its day until the next one takes over, not only on the day itself, so a
day the command did not run is caught up the next day (the e-mail gives the real dates and the
days left, never "in 7 days" when it is 6).

With FUNDMGR_SMS on and GOV.UK Notify as the mail service (FUNDMGR_MAIL=notify), the reminders
of an offer about to lapse and of an overdue report also go by text message to the group's phone
number when it is a UK mobile number, once per key like the e-mails.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from applications import deadlines, rules
from applications.models import (
    Application,
    BankAccount,
    InterestDeclaration,
    Pledge,
    TransitionLog,
)
from applications.visibility import organisations_here
from applications.workflow import Status
from budgets.models import Councillor, ElectionPeriod
from fundmgr import councils
from fundmgr.mail_services import uk_mobile
from fundmgr.models import Notification
from fundmgr.money import pounds
from fundmgr.notifications import notify
from fundmgr.roles import Role, holders
from fundmgr.tasks import background

# The days before an offer's last day that its group is reminded to accept it.
OFFER_DAYS = (7, 1)
# The days before an end-of-grant report is due that the group is reminded, and the days after
# it that an overdue report is asked for again (once the day after, once more four weeks on).
REPORT_DUE_DAYS = 14
REPORT_OVERDUE_DAYS = (1, 28)
# Working days (Monday to Friday) bank details may wait before finance officers are reminded.
BANK_DETAILS_WORKING_DAYS = 2
# Days a bid waits for councillor support before the ward's councillors are reminded.
SUPPORT_WAITING_DAYS = 5

# The kinds, by the first part of their key, with the words people read.
OFFER_LAPSING = "offer-lapsing"
REPORT_DUE = "report-due"
REPORT_OVERDUE = "report-overdue"
BANK_DETAILS = "bank-details"
SUPPORT_WAITING = "support-waiting"
LABELS = {
    OFFER_LAPSING: "offers about to lapse",
    REPORT_DUE: "end-of-grant reports due",
    REPORT_OVERDUE: "end-of-grant reports overdue",
    BANK_DETAILS: "bank details waiting for verification",
    SUPPORT_WAITING: "bids waiting for councillor support",
}


@dataclass(frozen=True)
class Reminder:
    """One e-mail to go to each of `to`, once per address and `key`; and with a `phone` (a UK
    mobile number, +447...), the text message `text` to it, once per number and `key`."""

    kind: str
    to: tuple[str, ...]
    subject: str
    body: str
    key: str
    reference: str = ""
    phone: str = ""
    text: str = ""
    # Whose help contact the e-mail ends with: the application's council (a timer's command
    # works across the service).
    council: int | None = None

    @property
    def label(self) -> str:
        return LABELS[self.kind]


def site_link(path: str) -> str:
    """The address of a page of the council in scope, for an e-mail: its address
    (fundmgr.councils.base_url: its host, or SITE_URL and its path prefix) and the path. The
    command refuses to send when SITE_URL is not set, so no e-mail carries a bare path."""
    council = councils.current()
    if council is None or get_script_prefix() != "/":  # a request's reverse() has the prefix
        return getattr(settings, "SITE_URL", "").rstrip("/") + path
    return councils.base_url(council) + path


def _addresses(emails: Iterable[str | None]) -> tuple[str, ...]:
    """As the outbox keeps them: trimmed, lower case, each once, blanks dropped."""
    return tuple(sorted({e.strip().lower() for e in emails if e and e.strip()}))


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _when(left: int) -> str:
    """A day `left` days from now, as a person says it: today, tomorrow, in 6 days."""
    return {0: "today", 1: "tomorrow"}.get(left, f"in {_days(left)}")


def _mobile(app: Application) -> str:
    """The group's phone number as +447... when reminders go by text message too (FUNDMGR_SMS,
    through GOV.UK Notify) and it is a UK mobile number; otherwise ""."""
    if not (settings.FUNDMGR_SMS and settings.MAIL_SERVICE == "notify"):
        return ""
    return uk_mobile(app.organisation.phone) or ""


def _short(title: str) -> str:
    """A title short enough for a text message."""
    return title if len(title) <= 60 else title[:57].rstrip() + "..."


def _members(app: Application) -> tuple[str, ...]:
    """The group's members with an account in use: they can sign in and act on the bid."""
    return _addresses(
        app.organisation.members.filter(is_active=True).values_list("email", flat=True)
    )


# --- offers about to lapse ------------------------------------------------------------------


def offers_about_to_lapse(on: datetime.date) -> list[Reminder]:
    """An offer not yet accepted: its group's members (who can accept it) are reminded 7 days
    before its last day to accept, and again 1 day before. The 7-day reminder goes on any day
    from 7 to 2 days before, the 1-day one on the day before or the last day itself, so a day
    missed is caught up. An offer accepted, withdrawn or lapsed is no longer `approved` and gets
    nothing."""
    latest = on + datetime.timedelta(days=max(OFFER_DAYS))
    offers = (
        Application.objects.filter(
            status=Status.APPROVED, offer_expires_on__gte=on, offer_expires_on__lte=latest
        )
        .select_related("organisation")
        .order_by("offer_expires_on", "pk")
    )
    reminders = []
    for app in offers:
        assert app.offer_expires_on is not None  # the filter above
        left = (app.offer_expires_on - on).days
        days = 1 if left <= 1 else 7
        reminders.append(_offer_reminder(app, left=left, days=days))
    return reminders


def _offer_reminder(app: Application, *, left: int, days: int) -> Reminder:
    assert app.offer_expires_on is not None and app.amount_awarded is not None
    last_day = rules.long_date(app.offer_expires_on)
    link = site_link(reverse("applications:accept_offer", args=[app.pk]))
    body = (
        f"{app.reference}: {app.title}\n\n"
        f"Your offer of {pounds(app.amount_awarded)} for {app.title} ends {_when(left)}, on "
        f"{last_day}. Accept it by the end of {last_day} or it will lapse, and the money will "
        "go back to the fund for other groups.\n\n"
        f"Accept the offer: {link}\n"
    )
    return Reminder(
        council=app.council_id,
        kind=OFFER_LAPSING,
        to=_members(app),
        subject=f"{app.reference}: accept your offer of {pounds(app.amount_awarded)} by {last_day}",
        body=body,
        key=f"{OFFER_LAPSING}:{app.reference}:{days}",
        reference=app.reference,
        phone=_mobile(app),
        text=f"{app.reference}: your offer of {pounds(app.amount_awarded)} for "
        f"{_short(app.title)} ends {_when(left)}, on {last_day}. Accept it by then or it will "
        f"lapse: {link}",
    )


# --- end-of-grant reports -------------------------------------------------------------------


def report_due_on(app: Application) -> datetime.date:
    """The day the group's end-of-grant report is due: the day kept when the grant was paid in
    full, which the group's pages state, worked out by `applications.deadlines.report_due_on`
    (the fund's days after the project ends, never before the same days after the offer
    letter); for a grant paid before that day was kept, the same rule now."""
    return app.monitoring_due_on or deadlines.report_due_on(app)


def reports_due(on: datetime.date) -> list[Reminder]:
    """A paid grant whose fund asks for an end-of-grant report, with no report yet: the group
    is reminded 14 days before the report is due (on any day from then to the day it is due),
    then told it is overdue the day after it was due, and once more 28 days after it was due;
    never again after that (the grants team follows it up). A grant whose report has arrived,
    or that is closed or revoked, gets nothing."""
    grants = (
        Application.objects.filter(
            status=Status.MONITORING,
            fund_year__monitoring_required=True,
            monitoring_reports__isnull=True,
        )
        .filter(
            Q(monitoring_due_on__isnull=True)
            | Q(monitoring_due_on__lte=on + datetime.timedelta(days=REPORT_DUE_DAYS))
        )
        .select_related("organisation", "fund_year")
        .order_by("monitoring_due_on", "pk")
    )
    reminders = []
    for app in grants:
        due = report_due_on(app)
        late = (on - due).days
        if late < -REPORT_DUE_DAYS:
            continue
        if late <= 0:
            reminders.append(_report_due_reminder(app, due=due, left=-late))
        else:
            days = max(d for d in REPORT_OVERDUE_DAYS if d <= late)
            reminders.append(_report_overdue_reminder(app, due=due, late=late, days=days))
    return reminders


def _group(app: Application) -> tuple[str, ...]:
    """The group's own address and its members'."""
    return _addresses([app.organisation.email, *_members(app)])


def _report_due_reminder(app: Application, *, due: datetime.date, left: int) -> Reminder:
    link = site_link(reverse("applications:monitoring", args=[app.pk]))
    body = (
        f"{app.reference}: {app.title}\n\n"
        f"Your end-of-grant report for {app.title} is due {_when(left)}, on {rules.long_date(due)}."
        "\n\n"
        f"Tell us what you spent the {pounds(app.amount_awarded)} grant on, what it achieved "
        "and how many people it reached.\n\n"
        f"Send your report: {link}\n"
    )
    return Reminder(
        council=app.council_id,
        kind=REPORT_DUE,
        to=_group(app),
        subject=f"{app.reference}: your end-of-grant report is due on {rules.long_date(due)}",
        body=body,
        key=f"{REPORT_DUE}:{app.reference}:{REPORT_DUE_DAYS}",
        reference=app.reference,
    )


def _report_overdue_reminder(
    app: Application, *, due: datetime.date, late: int, days: int
) -> Reminder:
    link = site_link(reverse("applications:monitoring", args=[app.pk]))
    body = (
        f"{app.reference}: {app.title}\n\n"
        f"Your end-of-grant report for {app.title} was due on {rules.long_date(due)}, "
        f"{_days(late)} ago. We have not received it.\n\n"
        f"Send it now: {link}\n\n"
        "If something is stopping you, contact the grants team and tell us when you can send "
        "it.\n"
    )
    key = f"{REPORT_OVERDUE}:{app.reference}"
    return Reminder(
        council=app.council_id,
        kind=REPORT_OVERDUE,
        to=_group(app),
        subject=f"{app.reference}: your end-of-grant report is overdue",
        body=body,
        key=key if days == REPORT_OVERDUE_DAYS[0] else f"{key}:{days}",
        reference=app.reference,
        phone=_mobile(app),
        text=f"{app.reference}: your end-of-grant report for {_short(app.title)} was due on "
        f"{rules.long_date(due)}. Send it now: {link}",
    )


# --- bank details waiting for verification --------------------------------------------------


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """The Mondays to Fridays after `start`, up to and including `end`. Bank holidays count as
    working days: the service keeps no calendar of them."""
    days = 0
    day = start
    while day < end:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return days


def bank_details_waiting(on: datetime.date) -> list[Reminder]:
    """Bank details waiting for a finance officer to verify them (payments to the group are
    held until then): one digest a working day to every finance officer, listing all that are
    waiting and for how long, sent only when some have waited more than 2 working days. Keyed
    by the day, so it goes once a day at most; nothing at weekends."""
    if on.weekday() >= 5:
        return []
    waiting = []
    for account in (
        BankAccount.objects.filter(
            status=BankAccount.Status.UNVERIFIED, organisation__in=organisations_here()
        )
        .select_related("organisation")
        .order_by("entered_at", "pk")
    ):
        entered = timezone.localtime(account.entered_at).date()
        if entered <= on:
            waiting.append((account, entered, working_days_between(entered, on)))
    if not any(days > BANK_DETAILS_WORKING_DAYS for _, _, days in waiting):
        return []
    officers = _addresses(holders(Role.FINANCE_OFFICER).values_list("email", flat=True))
    count = len(waiting)
    sets = "1 set of bank details is" if count == 1 else f"{count} sets of bank details are"
    lines = "\n".join(
        f"- {account.organisation}: entered on {rules.long_date(entered)}, waiting "
        f"{days} working day{'' if days == 1 else 's'}"
        for account, entered, days in waiting
    )
    body = (
        f"{sets} waiting for you to verify them. Payments to these groups are held until "
        "their details are verified.\n\n"
        f"{lines}\n\n"
        f"Verify bank details: {site_link(reverse('finance:bank_waiting'))}\n"
    )
    return [
        Reminder(
            kind=BANK_DETAILS,
            to=officers,
            subject=f"{sets} waiting for verification",
            body=body,
            key=f"{BANK_DETAILS}:{on.isoformat()}:{councils.current_id()}",
        )
    ]


# --- bids waiting for councillor support ----------------------------------------------------


def bids_waiting_for_support(on: datetime.date) -> list[Reminder]:
    """A bid waiting for councillor support for 5 days or more (counted from the day it last
    began waiting): each councillor in office for a ward it benefits who has neither supported
    nor declined it, nor declared an interest that bars them, is reminded once, and never
    again for that bid. Not while a pre-election period holds the bid's support: then after it."""
    since = (
        TransitionLog.objects.filter(application=OuterRef("pk"), to_state=Status.AWAITING_SUPPORT)
        .order_by()
        .values("application")
        .annotate(at=Max("at"))
        .values("at")
    )
    bids = (
        Application.objects.filter(status=Status.AWAITING_SUPPORT)
        .annotate(waiting_since=Subquery(since))
        .select_related("organisation", "fund_year__fund")
        .order_by("pk")
    )
    reminders = []
    for app in bids:
        if app.waiting_since is None:
            continue
        started = timezone.localtime(app.waiting_since).date()
        waited = (on - started).days
        if waited < SUPPORT_WAITING_DAYS or _held_by_an_election(app, on):
            continue
        for councillor in _councillors_yet_to_act(app, on):
            reminders.append(_support_reminder(app, councillor, started=started, waited=waited))
    return reminders


def _held_by_an_election(app: Application, on: datetime.date) -> bool:
    """Whether a pre-election period holds the bid's councillor-budget support on `on` (the
    rule of `applications.rules.outside_pre_election_period`, on that day): councillors are
    not asked for what they may not give, and are reminded once it has ended."""
    if not app.fund_year.uses_allocations:
        return False
    return ElectionPeriod.objects.filter(
        Q(ward__isnull=True) | Q(ward__in=app.wards.all()),
        council_id=app.fund_year.fund.council_id,
        notice_date__lte=on,
        polling_day__gte=on,
    ).exists()


def _councillors_yet_to_act(app: Application, on: datetime.date) -> list[Councillor]:
    acted = Pledge.objects.filter(
        application=app, status__in=[Pledge.Status.PLEDGED, Pledge.Status.DECLINED]
    ).values("councillor")
    barred = InterestDeclaration.objects.filter(
        application=app,
        kind__in=[InterestDeclaration.Kind.PECUNIARY, InterestDeclaration.Kind.OTHER_REGISTRABLE],
    ).values("user")
    return list(
        Councillor.objects.in_term_on(on)
        .filter(ward__in=app.wards.all(), user__is_active=True)
        .exclude(pk__in=acted)
        .exclude(user__in=barred)
        .select_related("user", "ward")
        .order_by("name", "pk")
    )


def _support_reminder(
    app: Application, councillor: Councillor, *, started: datetime.date, waited: int
) -> Reminder:
    link = site_link(reverse("councillor:bid", args=[app.reference]))
    asked = f" for {pounds(app.amount_requested)}" if app.amount_requested else ""
    body = (
        f"{app.reference}: {app.title}\n\n"
        f"{app.organisation} asked{asked} for {app.title}, which benefits {councillor.ward}, "
        f"the ward you represent. It has been waiting for councillor support since "
        f"{rules.long_date(started)} ({_days(waited)}), and you have not yet supported or "
        "declined it.\n\n"
        f"Support or decline the bid: {link}\n"
    )
    return Reminder(
        council=app.council_id,
        kind=SUPPORT_WAITING,
        to=_addresses([councillor.user.email]),
        subject=f"{app.reference} is waiting for your support",
        body=body,
        key=f"{SUPPORT_WAITING}:{app.reference}",
        reference=app.reference,
    )


# --- sending --------------------------------------------------------------------------------

KINDS: list[Callable[[datetime.date], list[Reminder]]] = [
    offers_about_to_lapse,
    reports_due,
    bank_details_waiting,
    bids_waiting_for_support,
]


def due_reminders(on: datetime.date) -> list[Reminder]:
    """Every reminder the day calls for, of every kind, each with only the addresses that have
    not had it yet (those that have are dropped, and a reminder left with none). Each council's
    are made in its own scope, so each tells only its own people of its own bids and groups, and
    links to its own address; service-wide, every council's in turn."""
    here = councils.current()
    reminders = []
    for council in [here] if here is not None else councils.every_council():
        with councils.acting_for(council):
            for kind in KINDS:
                reminders += [
                    r if r.council is not None else dataclasses.replace(r, council=council.pk)
                    for r in kind(on)
                ]
    already = set(
        Notification.objects.filter(key__in={r.key for r in reminders}).values_list("key", "to")
    )
    unsent = []
    for reminder in reminders:
        to = tuple(a for a in reminder.to if (reminder.key, a) not in already)
        phone = reminder.phone if (reminder.key, reminder.phone) not in already else ""
        if to or phone:
            unsent.append(dataclasses.replace(reminder, to=to, phone=phone))
    return unsent


@transaction.atomic
def send_reminders(on: datetime.date, *, dry_run: bool = False) -> list[Reminder]:
    """Queue in the outbox every reminder `on` calls for that has not gone yet, and return
    them (with `dry_run`, return them and write nothing). One transaction: the e-mails go
    after it commits, and a run that fails part way queues none, for the next run to send."""
    reminders = due_reminders(on)
    if dry_run:
        return reminders
    for reminder in reminders:
        notify(
            to=reminder.to,
            subject=reminder.subject,
            body=reminder.body,
            reference=reminder.reference,
            key=reminder.key,
            kind=reminder.kind,
            council=reminder.council,
        )
        if reminder.phone:
            notify(
                to=[reminder.phone],
                subject=reminder.subject,
                body=reminder.text,
                reference=reminder.reference,
                key=reminder.key,
                kind=reminder.kind,
                channel=Notification.Channel.SMS,
            )
    return reminders


def check_site_url() -> None:
    """Every reminder links to a page of the service: refuse to send without its address."""
    if not getattr(settings, "SITE_URL", "").startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            "Set SITE_URL to the service's address, like https://grants.example.gov.uk: "
            "every reminder links to a page on it. Nothing was sent."
        )


@background()
def daily_reminders(on: str = "") -> int:
    """The daily reminders as a background task (`manage.py send_reminders --queue` hands them
    to the worker): the same work as the command, for the day `on` (ISO, default today in the
    UK). Safe to run twice: each reminder goes once per recipient and key. Returns how many
    messages were queued."""
    check_site_url()
    day = datetime.date.fromisoformat(on) if on else rules.today()
    return sum(len(r.to) + bool(r.phone) for r in send_reminders(day))


def texts(reminders: Iterable[Reminder]) -> int:
    """Text messages among `reminders` (one per phone number)."""
    return sum(1 for r in reminders if r.phone)


def counts(reminders: Iterable[Reminder]) -> dict[str, int]:
    """E-mails by kind (one per address), every kind present, in the order of LABELS."""
    by_kind = dict.fromkeys(LABELS.values(), 0)
    for reminder in reminders:
        by_kind[reminder.label] += len(reminder.to)
    return by_kind


def sent_counts(since: datetime.date) -> dict[str, int]:
    """Reminders e-mailed since the start of `since` (UK time), by kind: one per address, as
    queued in the outbox, whether or not the mail server has taken them yet. Keys are the
    labels people read ("offers about to lapse"), every kind present, zeros included."""
    start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    recent = Notification.objects.filter(created_at__gte=start, channel=Notification.Channel.EMAIL)
    # One query, whatever the number of kinds: the workbench shows these on every visit.
    sent = recent.aggregate(
        **{
            f"n{n}": Count("pk", filter=Q(key__startswith=f"{kind}:"))
            for n, kind in enumerate(LABELS)
        }
    )
    return {label: sent[f"n{n}"] for n, label in enumerate(LABELS.values())}
