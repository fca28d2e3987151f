"""The ledger's invariants, checked against the database (manage.py check_ledger)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round

from budgets.models import Account, Entry, FundYear, LedgerTransaction, YearEnd
from fundmgr.money import pounds

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))


def ledger_violations() -> list[str]:
    """Every broken invariant, one sentence each. Empty when the ledger is sound."""
    problems: list[str] = []

    unbalanced = (
        LedgerTransaction.objects.annotate(
            total=Round(Coalesce(Sum("entries__amount"), ZERO), 2), lines=Count("entries")
        )
        .filter(~Q(total=0) | Q(lines__lt=2))
        .order_by("pk")
    )
    for posting in unbalanced:
        problems.append(
            f"Transaction #{posting.pk} ({posting.idempotency_key}) has {posting.lines} entries "
            f"summing to {pounds(posting.total)}; a transaction needs two or more summing to £0.00."
        )

    negative = Account.objects.filter(balance__lt=0).exclude(kind=Account.Kind.SOURCE)
    for account in negative.select_related("fund_year__fund", "fund_year__year", "councillor"):
        problems.append(
            f"Account #{account.pk}, {account.describe()}, is overdrawn at "
            f"{pounds(account.balance)}."
        )

    entry_sum = (
        Entry.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    drifted = (
        Account.objects.annotate(entries_total=Round(Coalesce(Subquery(entry_sum), ZERO), 2))
        .exclude(balance=F("entries_total"))
        .select_related("fund_year__fund", "fund_year__year", "councillor")
    )
    for account in drifted:
        problems.append(
            f"Account #{account.pk}, {account.describe()}, stores a balance of "
            f"{pounds(account.balance)} but its entries sum to {pounds(account.entries_total)}."
        )

    flows = (
        Entry.objects.filter(account__kind=Account.Kind.COMMITMENT)
        .values("account__reference")
        .annotate(
            committed=Coalesce(
                Sum("amount", filter=Q(transaction__kind=LedgerTransaction.Kind.COMMITMENT)), ZERO
            ),
            paid=Coalesce(
                Sum("amount", filter=Q(transaction__kind=LedgerTransaction.Kind.PAYMENT)), ZERO
            ),
        )
        .order_by("account__reference")
    )
    for row in flows:
        if -row["paid"] > row["committed"]:
            problems.append(
                f"{row['account__reference']} has been paid {pounds(-row['paid'])} but only "
                f"{pounds(row['committed'])} was awarded."
            )

    # A fund year is closed exactly when its council has closed its year (budgets.ledger.
    # year_close writes both in one transaction; nothing else writes either).
    ended = YearEnd.objects.filter(council_id=OuterRef("council_id"), year_id=OuterRef("year_id"))
    disagree = (
        FundYear.objects.annotate(ended=Exists(ended))
        .exclude(is_closed=F("ended"))
        .select_related("fund", "year")
        .order_by("pk")
    )
    for fund_year in disagree:
        problems.append(
            f"{fund_year.fund.code} {fund_year.year.label} is marked "
            f"{'closed' if fund_year.is_closed else 'open'}, but its council has "
            f"{'' if fund_year.ended else 'not '}closed {fund_year.year.label}."
        )
    return problems
