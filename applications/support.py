"""Councillor support: endorsements, pledges from allocations, declines and declarations."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction
from django.db.models import DecimalField, Subquery, Sum

from applications import rules
from applications.models import Application, InterestDeclaration, PendingPledges, Pledge
from applications.services import application_endorse_if_supported, lock_application
from applications.workflow import FINAL, Status
from budgets import ledger
from budgets import selectors as budget_selectors
from budgets.models import Councillor, FundYear, LedgerTransaction
from fundmgr import access, contention
from fundmgr.errors import InsufficientFunds, InvalidInput, NotPermitted, Refused
from fundmgr.models import User
from fundmgr.money import pounds

# Pledges that hold a councillor's money until approval commits it (or the bid ends).
PENDING = [
    Status.DRAFT,
    Status.SUBMITTED,
    Status.AWAITING_SUPPORT,
    Status.UNDER_ASSESSMENT,
    Status.AWAITING_DECISION,
]


def _councillor_may_support(app: Application, councillor: Councillor, by: User) -> None:
    if councillor.user_id != getattr(by, "pk", None):
        raise NotPermitted(f"Only {councillor} can pledge from their own allocation.")
    # From here on the councillor reads about themselves.
    if not councillor.in_term_on(rules.today()):
        raise NotPermitted("You are not in office today, so you cannot support bids.")
    if not app.wards.filter(pk=councillor.ward_id).exists():
        raise NotPermitted(
            f"{app.reference} does not benefit {councillor.ward}, the ward you represent."
        )
    declared = app.declarations.filter(user=by).exclude(kind="non_registrable").first()
    if declared is not None:
        raise NotPermitted(
            f"You declared {rules.interest(declared)} in {app.reference}, so you cannot support it."
        )
    if app.status != Status.AWAITING_SUPPORT:
        raise Refused(
            f"{app.reference} is {app.get_status_display().lower()}: it is not waiting for "
            "councillor support."
        )
    if reason := rules.outside_pre_election_period.refusal(app):
        raise Refused(reason)
    if app.pledges.filter(councillor=councillor, status__in=["pledged", "declined"]).exists():
        raise Refused(
            f"You have already responded to {app.reference}; withdraw that response to change it."
        )


def pending_pledges(*, fund_year, councillor) -> Subquery:
    """The sum of a councillor's pledges to bids in the fund year still waiting for a decision
    (promised, not yet committed), as a subquery: budgets.selectors.with_pledgeable takes it
    from the allocation's balance (applications.apps hands it over). On PostgreSQL the sum is
    kept by triggers (migration 0011): one row read, whatever the councillor's pledges."""
    if connection.vendor == "postgresql":
        return Subquery(
            PendingPledges.objects.filter(councillor=councillor, fund_year=fund_year).values(
                "total"
            )[:1],
            output_field=DecimalField(max_digits=12, decimal_places=2),
        )
    return Subquery(
        Pledge.objects.filter(
            councillor=councillor,
            status=Pledge.Status.PLEDGED,
            application__fund_year=fund_year,
            application__status__in=PENDING,
        )
        .order_by()
        .values("councillor")
        .annotate(total=Sum("amount"))
        .values("total"),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )


def pending_pledges_by_councillor(*, fund_year) -> dict[int, Decimal]:
    """The same sums as `pending_pledges` for every councillor in the fund year, by councillor
    id, in one grouped query: a fund year's overview reads them all at once (on PostgreSQL the
    kept totals, a row a councillor)."""
    if connection.vendor == "postgresql":
        return dict(
            PendingPledges.objects.filter(fund_year=fund_year).values_list("councillor_id", "total")
        )
    return {
        row["councillor"]: row["total"]
        for row in Pledge.objects.filter(
            status=Pledge.Status.PLEDGED,
            application__fund_year=fund_year,
            application__status__in=PENDING,
        )
        .order_by()
        .values("councillor")
        .annotate(total=Sum("amount"))
    }


def pledged_elsewhere(councillor: Councillor, fund_year) -> Decimal:
    """What the councillor has pledged to bids not yet approved: promised, not yet committed."""
    return budget_selectors.pledgeable(fund_year=fund_year, councillor=councillor).pledged


def pledgeable(councillor: Councillor, fund_year) -> Decimal:
    """Left to pledge: budgets.selectors.pledgeable, the figure every page and the API show."""
    return budget_selectors.pledgeable(fund_year=fund_year, councillor=councillor).pledgeable


@contention.atomic
def pledge_make(
    *, application: Application, councillor: Councillor, amount: Decimal, statement: str, by: User
) -> Pledge:
    """Support a bid. Where the fund is paid from allocations, pledge `amount` from the
    councillor's own allocation, up to what they have not already committed or pledged."""
    app = lock_application(application)
    _councillor_may_support(app, councillor, by)
    if not statement.strip():
        raise InvalidInput(
            "Say why you support this bid: the panel and the public will read it.",
            field="statement",
        )
    fund_year = app.fund_year
    if fund_year.uses_allocations:
        if not isinstance(amount, Decimal) or amount <= 0:
            raise InvalidInput(
                "Enter the amount you pledge from your allocation, such as 250.00.", field="amount"
            )
        # Lock the allocation so two pledges by the same councillor cannot both pass the check.
        account = ledger.lock_allocations(fund_year, [councillor]).get(councillor.pk)
        balance = account.balance if account else Decimal("0.00")
        elsewhere = pledged_elsewhere(councillor, fund_year)
        if amount > balance - elsewhere:
            # Only the councillor pledges (see above), so they read this about themselves.
            left = pounds(max(balance - elsewhere, Decimal("0.00")))
            held = f" ({pounds(elsewhere)} is pledged to other bids)" if elsewhere else ""
            raise InsufficientFunds(
                f"You have {left} left to pledge this year{held}. Enter {left} or less",
                field="amount",
            )
    else:
        amount = Decimal("0.00")  # an endorsement of need: the money comes from the central pot
    pledge = Pledge.objects.create(
        application=app,
        councillor=councillor,
        amount=amount,
        statement=statement.strip(),
        created_by=by,
    )
    application_endorse_if_supported(app, by=by)
    return pledge


@transaction.atomic
def pledge_decline(
    *, application: Application, councillor: Councillor, reason: str, by: User
) -> Pledge:
    app = lock_application(application)
    if councillor.user_id != getattr(by, "pk", None):
        raise NotPermitted(f"Only {councillor} can decline on their own behalf.")
    if not reason.strip():
        raise InvalidInput(
            "Say why you do not support this bid: the group will be told.", field="reason"
        )
    if app.status not in PENDING:
        raise Refused(f"{app.reference} is {app.get_status_display().lower()} already.")
    if app.pledges.filter(councillor=councillor, status__in=["pledged", "declined"]).exists():
        raise Refused(f"You have already responded to {app.reference}.")
    return Pledge.objects.create(
        application=app,
        councillor=councillor,
        amount=Decimal("0.00"),
        statement=reason.strip(),
        status=Pledge.Status.DECLINED,
        created_by=by,
    )


@contention.atomic
def pledge_withdraw(*, pledge: Pledge, by: User) -> Pledge:
    app = lock_application(pledge.application)
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    if pledge.councillor.user_id != getattr(by, "pk", None):
        raise NotPermitted("Only the councillor who made a pledge can withdraw it.")
    if app.status not in (Status.DRAFT, Status.SUBMITTED, Status.AWAITING_SUPPORT):
        raise Refused(
            f"{app.reference} is {app.get_status_display().lower()}: support can no longer be "
            "withdrawn."
        )
    pledge.status = Pledge.Status.WITHDRAWN
    pledge.save(update_fields=["status"])
    return pledge


@transaction.atomic
def interest_declare(
    *, application: Application, by: User, kind: str, details: str, panel_meeting=None
) -> InterestDeclaration:
    """Declare an interest. A pecuniary or other registrable interest withdraws the person's
    pending support and bars them from endorsing, pledging and deciding."""
    app = lock_application(application)
    access.require(access.declares_interests, by)
    if app.status in FINAL:
        raise Refused(f"{app.reference} is {app.get_status_display().lower()}: it is finished.")
    if kind not in InterestDeclaration.Kind.values:
        raise InvalidInput("Choose the kind of interest.", field="kind")
    if not details.strip():
        raise InvalidInput(
            "Describe the interest: it is published with the decision.", field="details"
        )
    declaration = InterestDeclaration.objects.create(
        application=app, user=by, kind=kind, details=details.strip(), panel_meeting=panel_meeting
    )
    if declaration.blocks_involvement and app.status in PENDING:
        app.pledges.filter(councillor__user=by, status="pledged").update(status="withdrawn")
    return declaration


def councillor_available(councillor: Councillor, fund_year) -> Decimal:
    """The figure shown beside the pledge box."""
    return max(pledgeable(councillor, fund_year), Decimal("0.00"))


@contention.atomic
def councillor_transfer(
    *,
    fund_year: FundYear,
    from_councillor: Councillor,
    to_councillor: Councillor,
    amount: Decimal,
    by: User,
    key: str,
) -> LedgerTransaction:
    """A councillor gives part of their allocation to a ward colleague: only their own, and only
    what is not already pledged to bids still waiting for a decision."""
    if from_councillor.user_id != getattr(by, "pk", None):
        raise NotPermitted(f"Only {from_councillor} can transfer from their own allocation.")
    # Both allocations, locked in one step in the ledger's order before anything is read: a
    # pledge cannot slip in between, and A→B cannot wait for B→A while holding what it wants.
    ledger.lock_allocations(fund_year, [from_councillor, to_councillor])
    elsewhere = pledged_elsewhere(from_councillor, fund_year)
    free = pledgeable(from_councillor, fund_year)
    if isinstance(amount, Decimal) and elsewhere and amount > free:
        # Only the councillor transfers their own allocation, so they read this about themselves.
        left = pounds(max(free, Decimal("0")))
        raise InsufficientFunds(
            f"You have {left} free to transfer: {pounds(elsewhere)} of your "
            f"{fund_year.year.label} {fund_year.fund.code} allocation is pledged to bids still "
            f"waiting for a decision. Enter {left} or less",
            field="amount",
        )
    return ledger.allocation_transfer(
        fund_year=fund_year,
        from_councillor=from_councillor,
        to_councillor=to_councillor,
        amount=amount,
        by=by,
        key=key,
    )
