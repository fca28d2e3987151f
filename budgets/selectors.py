"""Reads for pages, documents and the API. A fixed number of queries each, whatever the rows."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Greatest

from budgets.models import (
    Account,
    Councillor,
    Entry,
    FinancialYear,
    FundYear,
    KindTotal,
    LedgerTransaction,
)
from fundmgr.errors import InvalidInput

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=12, decimal_places=2)
Kind = LedgerTransaction.Kind


# --- what a councillor can still pledge -----------------------------------------------------
#
# A pledge to a bid waiting for a decision holds the councillor's money until approval commits
# it (or the bid ends), but the ledger does not see it. Pledges, and which bids still wait,
# belong to `applications`, which budgets never imports: at start-up it hands over the subquery
# that sums them (`pending_pledges_counted_by`, called in applications.apps). The figure is
# computed here and nowhere else: pages, documents, the API and the services all read it.

PendingPledges = Callable[..., Subquery]  # (*, fund_year: OuterRef, councillor: OuterRef)
PendingByCouncillor = Callable[..., dict[int, Decimal]]  # (*, fund_year: FundYear)
_pending_pledges: list[PendingPledges] = []
_pending_by_councillor: list[PendingByCouncillor] = []


def pending_pledges_counted_by(
    subquery: PendingPledges, by_councillor: PendingByCouncillor | None = None
) -> None:
    """Called once, by applications: `subquery(fund_year=..., councillor=...)` is the sum of
    the councillor's pledges to bids in the fund year still waiting for a decision, and
    `by_councillor(fund_year=...)` the same sums for every councillor at once (one grouped
    query, for the overview: a subquery per councillor there cost 1.3 s at 100k bids)."""
    _pending_pledges[:] = [subquery]
    _pending_by_councillor[:] = [by_councillor] if by_councillor is not None else []


def _pledged() -> Expression:
    if not _pending_pledges:
        raise ImproperlyConfigured("applications has not said how to count pending pledges.")
    (pending,) = _pending_pledges
    pledged = pending(fund_year=OuterRef("fund_year"), councillor=OuterRef("councillor"))
    return Coalesce(pledged, Value(ZERO), output_field=MONEY)


class _Pledgeable(TypedDict):
    pledged: Decimal
    pledgeable: Decimal


def with_pledgeable(
    accounts: QuerySet[Account],
) -> QuerySet[WithAnnotations[Account, _Pledgeable]]:
    """Allocation accounts, each with `pledged` (to bids waiting for a decision) and `pledgeable`
    (what the councillor can still pledge or transfer: the balance less `pledged`, never below
    zero: a correction or the year end can leave pledges above the balance, and then nothing is
    left, not less than nothing). Subqueries in the same query: a list of any length is one
    query."""
    return accounts.annotate(pledged=_pledged()).annotate(
        pledgeable=Greatest(F("balance") - F("pledged"), Value(ZERO), output_field=MONEY)
    )


@dataclass(frozen=True)
class Pledgeable:
    balance: Decimal  # the allocation account: allocated and transferred, not committed
    pledged: Decimal  # pledged to bids waiting for a decision
    pledgeable: Decimal  # left to pledge: balance less pledged, never below zero


def pledgeable(*, fund_year: FundYear, councillor: Councillor) -> Pledgeable:
    """What one councillor can still pledge from their allocation in a fund year: one query."""
    account = with_pledgeable(
        Account.objects.filter(
            fund_year=fund_year, kind=Account.Kind.ALLOCATION, councillor=councillor
        )
    ).first()
    if account is None:
        return Pledgeable(ZERO, ZERO, ZERO)
    return Pledgeable(account.balance, account.pledged, account.pledgeable)


def pledgeable_by_councillor(*, fund_year: FundYear) -> dict[int, Pledgeable]:
    """Every councillor's figure in a fund year, by councillor id: two queries (the accounts,
    and every councillor's pending pledges grouped in one), the figures `with_pledgeable`
    gives."""
    allocations = Account.objects.filter(
        fund_year=fund_year, kind=Account.Kind.ALLOCATION, councillor__isnull=False
    )
    if not _pending_by_councillor:
        return {
            a.councillor_id: Pledgeable(a.balance, a.pledged, a.pledgeable)
            for a in with_pledgeable(allocations)
            if a.councillor_id is not None
        }
    (by_councillor,) = _pending_by_councillor
    pledged = by_councillor(fund_year=fund_year)
    result = {}
    for account in allocations:
        if account.councillor_id is None:
            continue
        mine = pledged.get(account.councillor_id) or ZERO
        result[account.councillor_id] = Pledgeable(
            account.balance, mine, max(account.balance - mine, ZERO)
        )
    return result


@dataclass
class StatementRow:
    entry_id: int
    posted_at: datetime.datetime
    kind: str
    kind_label: str
    memo: str
    reference: str
    amount: Decimal
    balance: Decimal


@dataclass
class Statement:
    """A councillor's allocation account for one fund year, line by line."""

    fund_year: FundYear
    councillor: Councillor
    rows: list[StatementRow] = field(default_factory=list)
    totals: dict[str, Decimal] = field(default_factory=dict)
    committed: Decimal = ZERO
    paid: Decimal = ZERO
    pledged: Decimal = ZERO  # to bids waiting for a decision: see `with_pledgeable`
    pledgeable: Decimal = ZERO  # left to pledge
    closing: Decimal = ZERO  # the allocation account's stored balance (the sum of its entries)
    page: Page | None = None  # when paged: `rows` are this page's, the totals the whole account's

    def total(self, kind: str, sign: int = 0) -> Decimal:
        return self.totals.get(f"{kind}{'+' if sign > 0 else '-' if sign < 0 else ''}", ZERO)

    @property
    def allocated(self) -> Decimal:
        # An opening position (budgets.opening) puts the allocation in as "opening" too.
        return (
            self.total(Kind.ALLOCATION)
            + self.total(Kind.CARRY_FORWARD, +1)
            + self.total(Kind.OPENING, +1)
        )

    @property
    def transfers_in(self) -> Decimal:
        return self.total(Kind.TRANSFER, +1)

    @property
    def transfers_out(self) -> Decimal:
        return -self.total(Kind.TRANSFER, -1)

    @property
    def commitments(self) -> Decimal:
        return -self.total(Kind.COMMITMENT) - self.total(Kind.OPENING, -1)

    @property
    def releases(self) -> Decimal:
        return self.total(Kind.RELEASE) + self.total(Kind.REFUND)

    @property
    def year_end(self) -> Decimal:
        return -(self.total(Kind.LAPSE) + self.total(Kind.CARRY_FORWARD, -1))

    @property
    def corrections(self) -> Decimal:
        return self.total(Kind.REVERSAL)

    @property
    def balance(self) -> Decimal:
        """The allocation account's balance: what is neither committed nor paid."""
        return self.closing


STATEMENT_PAGE_SIZE = 50


def _row(entry: Entry) -> StatementRow:
    posting = entry.transaction
    return StatementRow(
        entry_id=entry.pk,
        posted_at=posting.created_at,
        kind=posting.kind,
        kind_label=posting.get_kind_display(),
        memo=posting.memo,
        reference=posting.reference,
        amount=entry.amount,
        balance=entry.running,  # type: ignore[attr-defined]
    )


def _summed(account: Account) -> list[dict]:
    """Each kind's entries in and out, and how many: an aggregate over every entry."""
    return [
        dict(row)
        for row in Entry.objects.filter(account=account)
        .values(kind=F("transaction__kind"))
        .annotate(
            n=Count("pk"),
            plus=Sum("amount", filter=Q(amount__gt=0)),
            minus=Sum("amount", filter=Q(amount__lt=0)),
        )
        .order_by()
    ]


def _kept(account: Account) -> list[dict]:
    """The same from the totals PostgreSQL keeps (migration 0012): a row a kind."""
    return [
        {
            "kind": row.kind,
            "n": row.n,
            "plus": row.plus if row.plus else None,
            "minus": row.minus if row.minus else None,
        }
        for row in KindTotal.objects.filter(account=account)
    ]


def _totals(account: Account) -> tuple[dict[str, Decimal], int]:
    """Each kind's total, in and out, and the number of entries: one query (the kept totals
    of an allocation account on PostgreSQL; every entry summed otherwise)."""
    kept = connection.vendor == "postgresql" and account.kind == Account.Kind.ALLOCATION
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    count = 0
    for row in _kept(account) if kept else _summed(account):
        kind, plus, minus = row["kind"], row["plus"], row["minus"]
        count += row["n"]
        totals[kind] = (plus or ZERO) + (minus or ZERO)
        if plus is not None:
            totals[f"{kind}+"] = plus
        if minus is not None:
            totals[f"{kind}-"] = minus
    return dict(totals), count


def _opening(account: Account, rows: list[Entry], before: int, count: int) -> Decimal:
    """The balance before a page's first entry: the entries before it summed, or the stored
    balance less the entries from it on, whichever side is shorter (through the index on the
    account's entries in order). Asked on the first page too (it finds no entries before), so
    every page of a statement costs the same queries."""
    if not rows:
        return ZERO
    first = rows[0].pk
    if before <= count - before:
        earlier = Entry.objects.filter(account=account, pk__lt=first).aggregate(t=Sum("amount"))
        return earlier["t"] or ZERO
    later = Entry.objects.filter(account=account, pk__gte=first).aggregate(t=Sum("amount"))
    return account.balance - (later["t"] or ZERO)


def statement(
    *, fund_year: FundYear, councillor: Councillor, page: int | str | None = None
) -> Statement:
    """The allocation account line by line with its running balance, and its totals. `page`
    (a page number, as the address gives it): only that page's rows, STATEMENT_PAGE_SIZE of
    them, in a fixed number of queries; None: every row (the downloads and the PDF)."""
    result = Statement(fund_year=fund_year, councillor=councillor)
    account = with_pledgeable(
        Account.objects.filter(
            fund_year=fund_year, kind=Account.Kind.ALLOCATION, councillor=councillor
        )
    ).first()
    if account is None:
        return result
    result.pledged, result.pledgeable = account.pledged, account.pledgeable
    result.closing = account.balance
    result.totals, count = _totals(account)
    entries = Entry.objects.filter(account=account).select_related("transaction").order_by("id")
    if page is None:
        running = entries.annotate(running=Window(Sum("amount"), order_by="id"))
        result.rows = [_row(entry) for entry in running]
    else:
        paginator = Paginator(entries, STATEMENT_PAGE_SIZE)
        paginator.count = count  # type: ignore[misc]  # known from the totals' query
        result.page = paginator.get_page(page)
        rows = list(result.page.object_list)
        balance = _opening(account, rows, result.page.start_index() - 1, count)
        for entry in rows:
            balance += entry.amount
            entry.running = balance  # type: ignore[attr-defined]
        result.rows = [_row(entry) for entry in rows]
    held = (
        Account.objects.filter(
            fund_year=fund_year,
            councillor=councillor,
            kind__in=[Account.Kind.COMMITMENT, Account.Kind.PAID],
        )
        .values("kind")
        .annotate(total=Sum("balance"))
    )
    for row in held:
        if row["kind"] == Account.Kind.COMMITMENT:
            result.committed = row["total"]
        else:
            result.paid = row["total"]
    return result


@dataclass
class BalanceRow:
    councillor: Councillor
    balance: Decimal = ZERO  # the allocation account: neither committed nor paid
    committed: Decimal = ZERO
    paid: Decimal = ZERO
    pledged: Decimal = ZERO  # to bids waiting for a decision
    pledgeable: Decimal = ZERO  # left to pledge (`with_pledgeable`)

    @property
    def allocated(self) -> Decimal:
        """What the councillor holds in all: allocation and transfers, net of year end."""
        return self.balance + self.committed + self.paid


@dataclass
class Overview:
    fund_year: FundYear
    rows: list[BalanceRow]
    pot: Decimal
    pot_committed: Decimal
    pot_paid: Decimal

    @property
    def totals(self) -> BalanceRow:
        total = BalanceRow(councillor=None)  # type: ignore[arg-type]
        for row in self.rows:
            total.balance += row.balance
            total.committed += row.committed
            total.paid += row.paid
            total.pledged += row.pledged
            total.pledgeable += row.pledgeable
        return total


def overview(*, fund_year: FundYear) -> Overview:
    """Every councillor's balances in one fund year: four queries, whatever the size."""
    councillors = {
        c.pk: BalanceRow(councillor=c)
        for c in Councillor.objects.in_term_during(fund_year.year).select_related("ward")
    }
    sums = (
        Account.objects.filter(fund_year=fund_year)
        .values("councillor_id", "kind")
        .annotate(total=Sum("balance"))
        .order_by()
    )
    pot = pot_committed = pot_paid = ZERO
    missing: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for row in sums:
        cid, kind, total = row["councillor_id"], row["kind"], row["total"]
        if cid is None:
            if kind == Account.Kind.POT:
                pot = total
            elif kind == Account.Kind.COMMITMENT:
                pot_committed = total
            elif kind == Account.Kind.PAID:
                pot_paid = total
            continue
        if cid not in councillors:
            missing[cid].append((kind, total))
            continue
        _apply(councillors[cid], kind, total)
    if missing:  # councillors whose term ended but whose money is still on the books
        for c in Councillor.objects.filter(pk__in=missing).select_related("ward"):
            councillors[c.pk] = BalanceRow(councillor=c)
            for kind, total in missing[c.pk]:
                _apply(councillors[c.pk], kind, total)
    for cid, figure in pledgeable_by_councillor(fund_year=fund_year).items():
        if (held := councillors.get(cid)) is not None:
            held.pledged, held.pledgeable = figure.pledged, figure.pledgeable
    rows = sorted(councillors.values(), key=lambda r: (r.councillor.ward.name, r.councillor.name))
    return Overview(fund_year, rows, pot, pot_committed, pot_paid)


def _apply(row: BalanceRow, kind: str, total: Decimal) -> None:
    if kind == Account.Kind.ALLOCATION:
        row.balance = total
    elif kind == Account.Kind.COMMITMENT:
        row.committed = total
    elif kind == Account.Kind.PAID:
        row.paid = total


def fund_years_for(councillor: Councillor) -> QuerySet[FundYear]:
    """The fund years in which the councillor holds an allocation account."""
    return (
        FundYear.objects.filter(accounts__councillor=councillor, accounts__kind="allocation")
        .select_related("fund", "year")
        .distinct()
        .order_by("-year__start", "fund__name")
    )


def available_balances(*, fund_year: FundYear) -> dict[int, Decimal]:
    """Councillor id to available balance, read from the stored balances in one query."""
    return dict(
        Account.objects.filter(fund_year=fund_year, kind=Account.Kind.ALLOCATION).values_list(
            "councillor_id", "balance"
        )
    )


def financial_year(text: str) -> FinancialYear:
    """The financial year named `2026/27`, `2026-27` or `2026`; InvalidInput if there is none."""
    match = re.fullmatch(r"\s*(\d{4})(?:[/-](\d{2}))?\s*", text or "")
    if not match:
        raise InvalidInput(f"'{text}' is not a financial year: write it as 2026/27.")
    start = int(match.group(1))
    if match.group(2) and int(match.group(2)) != (start + 1) % 100:
        raise InvalidInput(f"'{text}' is not a financial year: {start}/{(start + 1) % 100:02d}?")
    year = FinancialYear.objects.filter(start__year=start).first()
    if year is None:
        raise InvalidInput(f"There is no {start}/{(start + 1) % 100:02d} financial year set up.")
    return year


def fund_year(fund_code: str, year_text: str) -> FundYear:
    year = financial_year(year_text)
    found = (
        FundYear.objects.filter(fund__code__iexact=fund_code.strip(), year=year)
        .select_related("fund", "year")
        .first()
    )
    if found is None:
        codes = ", ".join(FundYear.objects.filter(year=year).values_list("fund__code", flat=True))
        raise InvalidInput(
            f"There is no fund '{fund_code}' in {year.label}"
            + (f"; the funds that year are {codes}." if codes else ".")
        )
    return found
