"""Which funds fit a project: the answers to four questions against each fund year open today.

The money limits (minimum and maximum award, match-funding share, opening and closing dates) are
each fund year's own rules. Who may apply and for what kind of project are the schemes' rules,
which do not change from year to year; they are in `SCHEMES` below until the fund year holds them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_UP, Decimal

from django.db.models import QuerySet

from applications.models import Organisation
from applications.rules import today
from budgets.models import Councillor, Fund, FundYear, Ward
from fundmgr.money import pounds

Kind = Organisation.Kind


@dataclass(frozen=True)
class Scheme:
    """The standing rules of a kind of fund."""

    summary: str
    capital: bool = True
    revenue: bool = True
    not_open_to: frozenset[str] = frozenset()


SCHEMES: dict[str, Scheme] = {
    Fund.Kind.CCIF: Scheme(
        summary="Small grants for community projects, supported by your ward councillors "
        "from their own allocations.",
    ),
    Fund.Kind.COUNCILLOR_BUDGET: Scheme(
        summary="Grants from your ward councillors' budgets for projects in their ward.",
    ),
    Fund.Kind.COMMUNITY_ASSET: Scheme(
        summary="Larger grants to buy, build or improve community buildings, land and "
        "equipment. You must find part of the cost elsewhere.",
        revenue=False,
        # Schools and parish or town councils have capital funding of their own.
        not_open_to=frozenset({Kind.SCHOOL, Kind.PARISH}),
    ),
}
ANY_SCHEME = Scheme(summary="")


def scheme(fund_year: FundYear) -> Scheme:
    return SCHEMES.get(fund_year.fund.kind, ANY_SCHEME)


@dataclass(frozen=True)
class Answers:
    kind: str
    ward: Ward
    amount: Decimal
    capital: bool


@dataclass
class Fit:
    """One open fund year against the answers: `reasons` say why it does not fit (none: it
    fits); `notes` say what the group should know before applying."""

    fund_year: FundYear
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return not self.reasons

    @property
    def summary(self) -> str:
        return scheme(self.fund_year).summary


@dataclass
class Result:
    fits: list[Fit]
    does_not_fit: list[Fit]
    opening_later: list[FundYear]


def open_fund_years(on: datetime.date | None = None) -> QuerySet[FundYear]:
    """Fund years taking applications on `on` (today): opens_on <= day <= closes_on."""
    day = on or today()
    return (
        FundYear.objects.filter(opens_on__lte=day, closes_on__gte=day, is_closed=False)
        .select_related("fund__council", "year")
        .order_by("fund__name", "year__start")
    )


def opening_later(on: datetime.date | None = None) -> QuerySet[FundYear]:
    day = on or today()
    return (
        FundYear.objects.filter(opens_on__gt=day, is_closed=False)
        .select_related("fund", "year")
        .order_by("opens_on", "fund__name")
    )


def other_funding_needed(amount: Decimal, share: Decimal) -> Decimal:
    """The least the group must find elsewhere so that `amount` is no more than (100 - share)%
    of the project's cost."""
    if not share:
        return Decimal("0.00")
    if share >= 100:
        return Decimal("0.00")
    total = (amount * 100 / (100 - share)).quantize(Decimal("0.01"), rounding=ROUND_UP)
    return total - amount


def ward_can_pledge(fund_year: FundYear, ward: Ward, on: datetime.date) -> tuple[int, Decimal]:
    """How many councillors are in office for the ward, and what they have left to pledge."""
    from applications.support import pledgeable

    councillors = list(Councillor.objects.in_term_on(on).filter(ward=ward))
    left = sum((max(pledgeable(c, fund_year), Decimal("0.00")) for c in councillors), Decimal(0))
    return len(councillors), left


def assess(fund_year: FundYear, answers: Answers, on: datetime.date) -> Fit:
    fit = Fit(fund_year=fund_year)
    rules, name = fund_year, fund_year.fund.name
    standing = scheme(fund_year)
    if answers.kind in standing.not_open_to:
        kind = Kind(answers.kind).label
        fit.reasons.append(f"{name} is not open to this type of organisation ({kind}).")
    if answers.capital and not standing.capital:
        fit.reasons.append(f"{name} does not pay for capital projects.")
    if not answers.capital and not standing.revenue:
        fit.reasons.append(
            f"{name} pays only for capital projects: buying, building or improving something "
            "that lasts."
        )
    if answers.ward.council_id != fund_year.fund.council_id:
        fit.reasons.append(f"{name} is only for projects in {fund_year.fund.council}.")
    if answers.amount < rules.min_award:
        fit.reasons.append(
            f"{name} gives at least {pounds(rules.min_award)}; you need {pounds(answers.amount)}."
        )
    elif answers.amount > rules.max_award:
        fit.reasons.append(
            f"{name} gives up to {pounds(rules.max_award)}; you need {pounds(answers.amount)}."
        )
    if fund_year.uses_allocations and not fit.reasons:
        count, left = ward_can_pledge(fund_year, answers.ward, on)
        if count == 0:
            fit.reasons.append(
                f"{answers.ward} has no councillor in office just now to support a bid to {name}."
            )
        elif left < answers.amount:
            fit.reasons.append(
                f"The councillors for {answers.ward} have {pounds(left)} left to give from "
                f"{name} {fund_year.year.label}; you need {pounds(answers.amount)}."
            )
    if fit.fits:
        if rules.match_funding_share:
            other = other_funding_needed(answers.amount, rules.match_funding_share)
            fit.notes.append(
                f"You must find at least {rules.match_funding_share.normalize():f}% of the "
                f"project's cost elsewhere: for {pounds(answers.amount)} from this fund, at "
                f"least {pounds(other)} from other sources."
            )
        if rules.councillor_support_required:
            fit.notes.append(f"A councillor for {answers.ward} must support your application.")
    return fit


def check(answers: Answers, on: datetime.date | None = None) -> Result:
    """Every fund year open on `on` (today), split into those that fit and those that do not
    (with the reasons), and the funds that open later."""
    day = on or today()
    fits: list[Fit] = []
    misses: list[Fit] = []
    for fund_year in open_fund_years(day):
        fit = assess(fund_year, answers, day)
        (fits if fit.fits else misses).append(fit)
    return Result(fits=fits, does_not_fit=misses, opening_later=list(opening_later(day)))


# --- carried into the application -----------------------------------------------------------

SESSION_KEY = "eligibility_answers"


def remember(session, answers: Answers) -> None:
    """Keep the checker's answers in the person's session, to fill in the application they go
    on to start: the ward that benefits and the amount they need."""
    session[SESSION_KEY] = {
        "kind": answers.kind,
        "ward": answers.ward.pk,
        "amount": str(answers.amount),
        "capital": answers.capital,
    }


def carried(session, fund_year: FundYear) -> dict:
    """The application's answers the checker already gave, for a draft of `fund_year`: the ward
    (if it is one of the fund's council's) and the amount. Empty if the person has not used it,
    or if what is kept is no longer good (a ward since removed, an amount tampered with)."""
    kept = session.get(SESSION_KEY)
    if not isinstance(kept, dict):
        return {}
    answers: dict = {}
    ward = (
        Ward.objects.current()
        .filter(
            pk=kept.get("ward") if isinstance(kept.get("ward"), int) else None,
            council_id=fund_year.fund.council_id,
        )
        .first()
    )
    if ward is not None:
        answers["wards"] = [ward]
    try:
        amount = Decimal(str(kept.get("amount"))).quantize(Decimal("0.01"))
    except (ArithmeticError, ValueError):
        amount = None
    if amount is not None and amount.is_finite() and Decimal("0") < amount < Decimal("1e10"):
        answers["amount_requested"] = amount
    return answers
