"""Reads for the councillor's pages: their terms, their budgets, the bids of their ward.

A fixed number of queries each, whatever the number of bids, pledges or postings: balances are
read from the stored account balances (O(1) each), lists are annotated and paginated.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from applications.models import Application, InterestDeclaration, Pledge
from applications.workflow import Status
from budgets.models import Account, Councillor, Entry, FundYear, LedgerTransaction
from budgets.selectors import with_pledgeable
from fundmgr.roles import Role, has_role

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=12, decimal_places=2)
BLOCKING_INTERESTS = [
    InterestDeclaration.Kind.PECUNIARY,
    InterestDeclaration.Kind.OTHER_REGISTRABLE,
]


# --- who ------------------------------------------------------------------------------------


def is_councillor(user) -> bool:
    """Holds the councillor role, or has ever held a ward (the role may lag an election)."""
    if not user.is_authenticated:
        return False
    return has_role(user, Role.COUNCILLOR) or terms_of(user) != []


def terms_of(user) -> list[Councillor]:
    """Every term the person has served or serves, newest first; cached for the request."""
    cached = getattr(user, "_councillor_terms", None)
    if cached is None:
        cached = list(
            Councillor.objects.filter(user=user)
            .select_related("ward")
            .order_by("-term_start", "-pk")
        )
        user._councillor_terms = cached
    return cached


def current_terms(user, today) -> list[Councillor]:
    return [term for term in terms_of(user) if term.in_term_on(today)]


def term_for(user, app: Application, today) -> Councillor | None:
    """The term the person acts in on this bid: a current term in one of the bid's wards, else
    any current term (the service then says why it cannot), else the latest term."""
    terms = terms_of(user)
    if not terms:
        return None
    ward_ids = {ward.pk for ward in app.wards.all()}
    current = [t for t in terms if t.in_term_on(today)]
    for term in current:
        if term.ward_id in ward_ids:
            return term
    return (current or terms)[0]


# --- budgets --------------------------------------------------------------------------------


@dataclass
class Budget:
    """One allocation (a councillor's term in one fund year), as the dashboard shows it."""

    fund_year: FundYear
    councillor: Councillor
    balance: Decimal = ZERO  # the allocation account's balance: not committed, not paid
    committed: Decimal = ZERO  # committed to approved grants, not yet paid
    paid: Decimal = ZERO
    pledged: Decimal = ZERO  # pledged to bids not yet decided
    pledgeable: Decimal = ZERO  # left to pledge: budgets.selectors.with_pledgeable

    @property
    def allocated(self) -> Decimal:
        """All the councillor has held this year: allocation and transfers, net of year end."""
        return self.balance + self.committed + self.paid


def budgets(terms: list[Councillor], *, open_only: bool = True) -> list[Budget]:
    """The allocations the person holds in fund years paid from allocations: two queries."""
    if not terms:
        return []
    by_id = {term.pk: term for term in terms}
    accounts = Account.objects.filter(
        kind=Account.Kind.ALLOCATION,
        councillor_id__in=by_id,
        fund_year__funded_from=FundYear.FundedFrom.ALLOCATIONS,
    ).select_related("fund_year__fund", "fund_year__year")
    if open_only:
        accounts = accounts.filter(fund_year__is_closed=False)
    found = {
        (a.fund_year_id, a.councillor_id): Budget(
            fund_year=a.fund_year,
            councillor=by_id[a.councillor_id],
            balance=a.balance,
            pledged=a.pledged,
            pledgeable=a.pledgeable,
        )
        for a in with_pledgeable(accounts)
        if a.councillor_id is not None  # always, by the filter; the field itself is nullable
    }
    if not found:
        return []
    fund_year_ids = {fy for fy, _ in found}
    held = (
        Account.objects.filter(
            councillor_id__in=by_id,
            fund_year_id__in=fund_year_ids,
            kind__in=[Account.Kind.COMMITMENT, Account.Kind.PAID],
        )
        .values("fund_year_id", "councillor_id", "kind")
        .annotate(total=Sum("balance"))
        .order_by()
    )
    for row in held:
        budget = found.get((row["fund_year_id"], row["councillor_id"]))
        if budget is None:
            continue
        if row["kind"] == Account.Kind.COMMITMENT:
            budget.committed = row["total"]
        else:
            budget.paid = row["total"]
    return sorted(
        found.values(),
        key=lambda b: (-b.fund_year.year.start.toordinal(), b.fund_year.fund.name, b.councillor.pk),
    )


def closed_years(terms: list[Councillor]) -> QuerySet[Account]:
    """Allocation accounts of closed years, for links to their statements."""
    return (
        Account.objects.filter(
            kind=Account.Kind.ALLOCATION,
            councillor__in=terms,
            fund_year__is_closed=True,
        )
        .select_related("fund_year__fund", "fund_year__year")
        .order_by("-fund_year__year__start", "fund_year__fund__name")
    )


# --- bids -----------------------------------------------------------------------------------


def _pledged_by_others(councillor_ids) -> Subquery:
    return Subquery(
        Pledge.objects.filter(application=OuterRef("pk"), status=Pledge.Status.PLEDGED)
        .exclude(councillor_id__in=councillor_ids)
        .order_by()
        .values("application")
        .annotate(total=Sum("amount"))
        .values("total"),
        output_field=MONEY,
    )


def _supporters_by_others(councillor_ids) -> Subquery:
    return Subquery(
        Pledge.objects.filter(application=OuterRef("pk"), status=Pledge.Status.PLEDGED)
        .exclude(councillor_id__in=councillor_ids)
        .order_by()
        .values("application")
        .annotate(n=Count("pk"))
        .values("n")
    )


def bids_waiting(user, terms: list[Councillor]) -> QuerySet[Application]:
    """Bids waiting for councillor support in the person's wards that they have not answered:
    not supported, not declined, no interest declared that bars them."""
    ids = [t.pk for t in terms]
    wards = [t.ward_id for t in terms]
    if connection.vendor == "postgresql":
        # The links of the person's wards to bids waiting for support, from their partial
        # index (applications/migrations/0012_ward_waiting.py): the ward's queue, not every
        # bid of the council waiting for support.
        waiting = Application.wards.through.objects.filter(
            RawSQL("awaiting_support", (), output_field=BooleanField()), ward_id__in=wards
        ).values("application_id")
        in_my_ward = Q(pk__in=waiting)
    else:
        in_my_ward = Q(
            Exists(
                Application.wards.through.objects.filter(
                    application=OuterRef("pk"), ward_id__in=wards
                )
            )
        )
    answered = Pledge.objects.filter(
        application=OuterRef("pk"),
        councillor_id__in=ids,
        status__in=[Pledge.Status.PLEDGED, Pledge.Status.DECLINED],
    )
    barred = InterestDeclaration.objects.filter(
        application=OuterRef("pk"), user=user, kind__in=BLOCKING_INTERESTS
    )
    return (
        Application.objects.filter(in_my_ward, status=Status.AWAITING_SUPPORT)
        .exclude(Exists(answered))
        .exclude(Exists(barred))
        .select_related("organisation", "fund_year__fund", "fund_year__year")
        .annotate(
            pledged_by_others=Coalesce(_pledged_by_others(ids), Value(ZERO), output_field=MONEY),
            supporters_by_others=Coalesce(_supporters_by_others(ids), Value(0)),
        )
        .order_by("submitted_at", "pk")
    )


def my_responses(terms: list[Councillor], *, status: str) -> QuerySet[Pledge]:
    """The person's live pledges (or declines), newest first, with the bid each concerns."""
    return (
        Pledge.objects.filter(councillor__in=terms, status=status)
        .select_related(
            "application__organisation",
            "application__fund_year__fund",
            "application__fund_year__year",
        )
        .order_by("-created_at", "-pk")
    )


def visible_bids(user, terms: list[Councillor]) -> QuerySet[Application]:
    """The bids the person may open: submitted bids benefiting a ward they represent now, and
    any bid they have pledged to, declined or declared an interest in."""
    today_wards = [t.ward_id for t in terms]
    in_my_ward = Application.wards.through.objects.filter(
        application=OuterRef("pk"), ward_id__in=today_wards
    )
    named = Pledge.objects.filter(application=OuterRef("pk"), councillor__user=user)
    declared = InterestDeclaration.objects.filter(application=OuterRef("pk"), user=user)
    return Application.objects.filter(
        (Exists(in_my_ward) & ~Q(status=Status.DRAFT)) | Exists(named) | Exists(declared)
    )


def bid(user, terms: list[Councillor], reference: str) -> Application:
    """One bid with everything its page shows; Application.DoesNotExist if not theirs to see."""
    return (
        visible_bids(user, terms)
        .select_related("organisation__ward", "fund_year__fund", "fund_year__year")
        .prefetch_related(
            "wards",
            "budget_lines",
            "match_funding_sources",
            Prefetch(
                "pledges",
                queryset=Pledge.objects.select_related("councillor").order_by("pk"),
            ),
            Prefetch(
                "declarations",
                queryset=InterestDeclaration.objects.filter(user=user).order_by("pk"),
                to_attr="my_declarations",
            ),
        )
        .get(reference=reference)
    )


@dataclass
class Support:
    """Where a bid's councillor support stands, from its prefetched pledges."""

    pledged: Decimal
    supporters: list[Pledge]
    declined: list[Pledge]
    mine: Pledge | None  # the person's own live answer: supported or declined


def support_of(app: Application, user) -> Support:
    live = [p for p in app.pledges.all() if p.status == Pledge.Status.PLEDGED]
    declined = [p for p in app.pledges.all() if p.status == Pledge.Status.DECLINED]
    mine = next(
        (
            p
            for p in app.pledges.all()
            if p.councillor.user_id == user.pk
            and p.status in (Pledge.Status.PLEDGED, Pledge.Status.DECLINED)
        ),
        None,
    )
    return Support(
        pledged=sum((p.amount for p in live), ZERO),
        supporters=live,
        declined=declined,
        mine=mine,
    )


# --- transfers ------------------------------------------------------------------------------


def colleagues(term: Councillor, today) -> QuerySet[Councillor]:
    """The other councillors of the same ward in office today: who a transfer may go to."""
    return (
        Councillor.objects.in_term_on(today)
        .filter(ward_id=term.ward_id)
        .exclude(user_id=term.user_id)
        .select_related("ward")
        .order_by("name")
    )


def transfer_posting(user, key: str) -> LedgerTransaction:
    """The transfer the person made with this idempotency key; DoesNotExist otherwise."""
    return (
        LedgerTransaction.objects.filter(
            kind=LedgerTransaction.Kind.TRANSFER, idempotency_key=key, created_by=user
        )
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=Entry.objects.select_related(
                    "account__councillor", "account__fund_year__fund", "account__fund_year__year"
                ),
            )
        )
        .get()
    )
