"""The rules each transition checks, as small named functions that give a reason a person can read.

A `Condition` looks only at the application ("the fund is closed"); a `Permission` looks at the
application and the person ("you endorsed this bid, so you cannot decide it"). django-fsm-2 calls
them as booleans; the services call `refusal()` to say why.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.utils import timezone

from fundmgr import access
from fundmgr.money import pounds


def today() -> datetime.date:
    return timezone.localdate()


def long_date(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


class Condition:
    """`check(application)` returns None when the rule holds, else the reason it does not."""

    def __init__(self, check: Callable[..., str | None]):
        self.check = check
        self.__name__ = check.__name__
        self.__doc__ = check.__doc__

    def __call__(self, application) -> bool:
        return self.refusal(application) is None

    def refusal(self, application) -> str | None:
        asked = application.__dict__.get(REMEMBERED)
        if asked is None:
            return self.check(application)
        if self not in asked:
            asked[self] = self.check(application)
        return asked[self]


REMEMBERED = "_conditions_asked"


@contextmanager
def remembering(application) -> Iterator[None]:
    """Within it, each condition is asked of this application once: a step asks its rules for
    their words, then django-fsm asks them again as it takes the transition, and nothing they
    read changes in between (the application is locked). Nested: the outermost one keeps it."""
    if REMEMBERED in application.__dict__:
        yield
        return
    application.__dict__[REMEMBERED] = {}
    try:
        yield
    finally:
        application.__dict__.pop(REMEMBERED, None)


class Permission:
    """`check(application, user)` returns None when the person may act, else why not."""

    def __init__(self, check: Callable[..., str | None]):
        self.check = check
        self.__name__ = check.__name__

    def __call__(self, application, user) -> bool:
        return self.check(application, user) is None

    def refusal(self, application, user) -> str | None:
        return self.check(application, user)


def refusals(conditions, application) -> list[str]:
    return [reason for c in conditions if (reason := c.refusal(application))]


# --- conditions -----------------------------------------------------------------------------


@Condition
def answers_complete(app) -> str | None:
    missing = [
        label
        for label, value in (
            ("the project title", app.title),
            ("what the money is for", app.purpose),
            ("the amount you are asking for", app.amount_requested),
            ("the total cost of the project", app.total_cost),
            ("the project start date", app.project_start),
            ("the project end date", app.project_end),
        )
        if not value
    ]
    if app.pk and not app.wards.exists():
        missing.append("the wards that benefit")
    if app.pk and not app.budget_lines.exists():
        missing.append("at least one budget line")
    if missing:
        return "Before you submit, add " + _and(missing) + "."
    return None


@Condition
def budget_adds_up(app) -> str | None:
    if app.total_cost is None or not app.pk:
        return None
    lines = sum((line.cost for line in app.budget_lines.all()), Decimal("0.00"))
    if lines and lines != app.total_cost:
        return (
            f"The budget lines add up to {pounds(lines)}, but the total cost is "
            f"{pounds(app.total_cost)}: make them agree."
        )
    return None


@Condition
def amount_within_limits(app) -> str | None:
    rules, amount = app.fund_year, app.amount_requested
    if amount is None:
        return None
    if amount < rules.min_award or amount > rules.max_award:
        return (
            f"{rules.fund.name} awards between {pounds(rules.min_award)} and "
            f"{pounds(rules.max_award)}; you asked for {pounds(amount)}."
        )
    if app.total_cost is not None and amount > app.total_cost:
        return (
            f"You asked for {pounds(amount)}, more than the project's total cost of "
            f"{pounds(app.total_cost)}."
        )
    return None


@Condition
def match_funding_met(app) -> str | None:
    share = app.fund_year.match_funding_share
    if not share or app.total_cost is None or app.amount_requested is None:
        return None
    needed = (app.total_cost * share / 100).quantize(Decimal("0.01"))
    found = app.total_cost - app.amount_requested
    if found < needed:
        return (
            f"{app.fund_year.fund.name} needs at least {share.normalize():f}% of the cost from "
            f"elsewhere: {pounds(needed)} of {pounds(app.total_cost)}. Your other funding "
            f"comes to {pounds(found)}."
        )
    return None


@Condition
def fund_window_open(app) -> str | None:
    fy, day = app.fund_year, today()
    if not fy.opens_on <= day <= fy.closes_on:
        return (
            f"{fy.fund.name} {fy.year.label} takes applications from {long_date(fy.opens_on)} "
            f"to {long_date(fy.closes_on)}; today is {long_date(day)}."
        )
    return None


def _elections_today(app, day: datetime.date | None = None):
    from django.db.models import Q

    from budgets.models import ElectionPeriod

    day = day or today()
    wards = Q(ward__isnull=True)
    if app.pk:
        wards |= Q(ward__in=app.wards.all())
    return ElectionPeriod.objects.filter(
        wards,
        council_id=app.fund_year.fund.council_id,
        notice_date__lte=day,
        polling_day__gte=day,
    )


# The name a locked application carries `election_fact` under.
ELECTION_HELD = "election_held_today"


def election_fact(app, day: datetime.date | None = None) -> dict:
    """Whether a pre-election period holds this bid on `day` (today), as an annotation of its
    own row: a service that locks the row reads it in the same query (`lock_application(...,
    election=True)`), and when none does `election_today` asks nothing more."""
    from django.db.models import Exists

    return {ELECTION_HELD: Exists(_elections_today(app, day))}


def election_today(app):
    """The election whose pre-election period holds this bid today, if any: an election of the
    whole council (no ward), or a by-election in one of the wards the bid benefits. A
    whole-council election is named first."""
    from django.db.models import F

    if app.__dict__.get(ELECTION_HELD) is False:  # read with the locked row: none
        return None
    return (
        _elections_today(app)
        .select_related("ward")
        .order_by(F("ward").asc(nulls_first=True), "notice_date", "pk")
        .first()
    )


@Condition
def outside_pre_election_period(app) -> str | None:
    """No councillor-budget endorsement, pledge or approval between notice and polling day, in
    the wards the election covers: a by-election holds its own ward's bids, an election of the
    whole council every ward's."""
    if not app.fund_year.uses_allocations:
        return None
    period = election_today(app)
    return election_notice(period) if period is not None else None


def election_notice(period) -> str:
    """What a pre-election period holds, in words, naming its ward or every ward."""
    held = f"for bids in {period.ward} " if period.ward_id else ""
    return (
        f"It is the pre-election period for {period.name} ({period.area}, until "
        f"{long_date(period.polling_day)}): councillors' budgets cannot be pledged or "
        f"approved {held}until then."
    )


def elections_holding(wards) -> list[str]:
    """Today's pre-election periods that hold bids in any of `wards`, each in words: elections
    of the whole council of those wards, and by-elections in them."""
    from django.db.models import Q

    from budgets.models import ElectionPeriod

    wards = list(wards)
    if not wards:
        return []
    day = today()
    periods = (
        ElectionPeriod.objects.filter(
            Q(ward__isnull=True, council_id__in={w.council_id for w in wards}) | Q(ward__in=wards),
            notice_date__lte=day,
            polling_day__gte=day,
        )
        .select_related("ward")
        .order_by("notice_date", "pk")
    )
    return [election_notice(period) for period in periods]


@Condition
def support_complete(app) -> str | None:
    pledges = [p for p in app.pledges.all() if p.status == "pledged"]
    if not pledges:
        return "No councillor has supported this bid yet."
    if app.fund_year.uses_allocations:
        pledged = sum((p.amount for p in pledges), Decimal("0.00"))
        if pledged < app.amount_requested:
            return (
                f"Councillors have pledged {pounds(pledged)} of the {pounds(app.amount_requested)} "
                f"asked for; {pounds(app.amount_requested - pledged)} more is needed."
            )
    return None


# An offer can be accepted up to the end of `offer_expires_on`, the last day of the fund year's
# acceptance window (the approval day plus `offer_acceptance_days`), and lapses the day after,
# when the daily `lapse_offers` finds it. The letter, the group's pages and the refusal say so
# in these words.


def accept_by_sentence(day: datetime.date) -> str:
    return (
        f"Accept this offer by {long_date(day)}. If you have not accepted by the end of that day, "
        "the offer lapses."
    )


def offer_lapsed_sentence(day: datetime.date) -> str:
    return (
        f"The last day to accept this offer was {long_date(day)}. It has lapsed and can no "
        "longer be accepted."
    )


def offer_window(app) -> str:
    """What the group reads about its offer's last day, today: by when to accept, or that the
    day has passed. Empty for an application with no offer."""
    if app.offer_expires_on is None:
        return ""
    if today() > app.offer_expires_on:
        return offer_lapsed_sentence(app.offer_expires_on)
    return accept_by_sentence(app.offer_expires_on)


@Condition
def offer_open(app) -> str | None:
    if app.offer_expires_on and today() > app.offer_expires_on:
        return offer_lapsed_sentence(app.offer_expires_on)
    return None


@Condition
def offer_expired(app) -> str | None:
    if app.offer_expires_on is None or today() <= app.offer_expires_on:
        return "The offer is still open."
    return None


@Condition
def nothing_paid(app) -> str | None:
    if app.paid_to_date > 0:
        return (
            f"{pounds(app.paid_to_date)} has already been paid, so the application cannot be "
            "withdrawn; a grants officer can revoke it instead."
        )
    return None


@Condition
def something_paid(app) -> str | None:
    if app.paid_to_date <= 0:
        return "Nothing has been paid yet: withdraw the application instead of revoking it."
    return None


@Condition
def monitoring_received(app) -> str | None:
    if app.fund_year.monitoring_required and not app.monitoring_reports.exists():
        return "The group has not yet sent its end-of-grant monitoring report."
    return None


def beyond_delegated_limit(app, amount: Decimal | None = None) -> str | None:
    """Why an officer may not decide this bid under delegated authority, or None: it asks for
    (or `amount` would award) more than the fund's delegated limit, so a grants panel decides it.
    The officer's pages offer the decision only when this is None, and the services refuse with
    it, so what is offered and what is allowed cannot disagree."""
    fund_year = app.fund_year
    limit, fund = fund_year.delegated_limit, fund_year.fund.name
    asked = app.amount_requested
    if asked is not None and asked > limit:
        return (
            f"{app.reference} asks for {pounds(asked)}, more than the {pounds(limit)} you may "
            f"decide from {fund} under delegated authority: a grants panel decides it. Add it to "
            "a panel agenda."
        )
    if amount is not None and amount > limit:
        return (
            f"You can award up to {pounds(limit)} from {fund} under delegated authority; "
            f"{pounds(amount)} must be decided by a panel. Enter {pounds(limit)} or less"
        )
    return None


# --- permissions ----------------------------------------------------------------------------
# Each is fundmgr.access's rule, in the (application, user) form django-fsm-2 calls.


def _from_access(a_rule: access.Rule, *, nobody: str | None = None) -> Permission:
    def check(app, user) -> str | None:
        if user is None:
            return nobody
        return a_rule.refusal(user, app)

    check.__name__ = a_rule.__name__
    return Permission(check)


group_member = _from_access(access.group_member, nobody="Only members of the group can do this.")
grants_officer = _from_access(access.grants_officer, nobody="Only a grants officer can do this.")
finance_officer = _from_access(access.finance_officer, nobody="Only a finance officer can do this.")
group_member_or_officer = _from_access(
    access.either(
        access.group_member,
        access.grants_officer,
        reason="Only members of the group or a grants officer can do this.",
    ),
    nobody="Only members of the group or a grants officer can do this.",
)
# The daily lapse_offers command acts as nobody.
system_or_officer = _from_access(access.grants_officer, nobody=None)
councillor_or_officer = _from_access(
    access.either(
        access.councillor,
        access.grants_officer,
        reason="Only a councillor or a grants officer can do this.",
    ),
    nobody="Only a councillor or a grants officer can do this.",
)
may_decide = _from_access(access.may_decide, nobody="A decision must be made by a person.")
may_check_eligibility = _from_access(
    access.may_check_eligibility, nobody="Only a grants officer can do this."
)
may_assess = _from_access(access.may_assess, nobody="Only a grants officer can do this.")


def conflict_of_interest(app, user) -> str | None:
    """Separation of duties: why this person may not decide this application, if they may not."""
    return access.conflict_of_interest(user, app)


def interest(declaration) -> str:
    """'a disclosable pecuniary interest', 'an other registrable interest'."""
    kind = declaration.get_kind_display().lower()
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
