"""The only code that writes ledger rows and balances.

Every service runs in one database transaction and posts one balanced LedgerTransaction.
Balances change with a conditional UPDATE (`... WHERE balance >= x`; zero rows means not enough
money); the CHECK constraint on Account.balance is the backstop. Every posting carries an
idempotency key, unique in the database: a retried request finds its first posting and posts
nothing.

Lock order, so that two services never wait for each other in a circle: the application first
(applications.services.lock_application), then every account the service will touch, all in one
step, in primary-key order (`lock_accounts`). A caller that must hold an account before it
posts (a pledge or transfer checks what is pledged elsewhere under the lock) takes every account
it will post to through `lock_accounts` too, never one early and the rest later: A→B and B→A
each holding one and waiting for the other was issue 12's deadlock. `post` takes the same locks
again (a no-op for a row already held) and updates in the same order.

On PostgreSQL a posting is one statement (`budgets.ledger_sql.post`: the accounts locked in
primary-key order, the posting's row on its idempotency key, every balance and every entry, or
nothing and the account that was short); a commitment or a transfer names its accounts by kind,
councillor and reference and is one statement with them too, creating any used for the first
time (`_post_to`, `ledger_sql.post_by_keys`). SQLite takes the ORM path, in the same order, with
the same results.

Services are `fundmgr.contention.atomic`: a deadlock or serialisation failure that happens all
the same runs the whole transaction again, a bounded number of times, then is refused in words
(409), never a 500.

The ledger checks no permission: its callers do. `by` is the person acting, kept on the posting,
or None when the system posts (a management command such as allocate_year or close_year).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Round
from django.utils import timezone

from budgets import ledger_sql
from budgets.models import (
    Account,
    Council,
    Councillor,
    Entry,
    FinancialYear,
    FundYear,
    LedgerTransaction,
    YearEnd,
)
from fundmgr import contention, councils
from fundmgr.errors import ClosedYear, InsufficientFunds, InvalidInput, OutsideTerm, Refused
from fundmgr.models import User
from fundmgr.money import PENNY, pounds

Kind = LedgerTransaction.Kind
AccountKind = Account.Kind


# --- accounts -------------------------------------------------------------------------------


def account_for(
    *,
    fund_year: FundYear,
    kind: str,
    councillor: Councillor | None = None,
    reference: str = "",
) -> Account:
    """The account, created on first use. Safe under concurrency: the unique constraints decide."""
    return accounts_for(fund_year, [(kind, councillor, reference)])[0]


def accounts_for(
    fund_year: FundYear, wanted: Sequence[tuple[str, Councillor | None, str]]
) -> list[Account]:
    """The accounts (kind, councillor, reference) of the fund year, each created on first use,
    in the order asked. On PostgreSQL one statement for them all (`ledger_sql.accounts`); each
    comes with `fund_year` and `councillor` attached, so naming it reads nothing more."""
    found: dict[tuple[str, int | None, str], Account] = {}
    if connection.vendor == "postgresql":
        rows = ledger_sql.accounts(
            fund_year.pk, [(str(k), getattr(c, "pk", None), r) for k, c, r in wanted]
        )
        for kind, councillor, reference in wanted:
            row = rows.get((str(kind), getattr(councillor, "pk", None), reference))
            if row is not None:
                account = Account(
                    id=row["id"],
                    fund_year=fund_year,
                    kind=row["kind"],
                    councillor=councillor,
                    reference=row["reference"],
                    balance=row["balance"],
                    council_id=fund_year.council_id,
                )
                account._state.adding = False
                account._state.db = connection.alias
                found[(str(kind), getattr(councillor, "pk", None), reference)] = account
    result = []
    for kind, councillor, reference in wanted:
        known = found.get((str(kind), getattr(councillor, "pk", None), reference))
        if known is None:  # SQLite, or a race lost to a concurrent creator
            known = _account_orm(
                fund_year=fund_year, kind=kind, councillor=councillor, reference=reference
            )
        result.append(known)
    return result


def _account_orm(
    *, fund_year: FundYear, kind: str, councillor: Councillor | None, reference: str
) -> Account:
    lookup = {
        "fund_year": fund_year,
        "kind": kind,
        "councillor": councillor,
        "reference": reference,
    }
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup)
    except IntegrityError:
        return Account.objects.get(**lookup)


def source_account(fund_year: FundYear) -> Account:
    return account_for(fund_year=fund_year, kind=AccountKind.SOURCE)


def pot_account(fund_year: FundYear) -> Account:
    return account_for(fund_year=fund_year, kind=AccountKind.POT)


def allocation_account(fund_year: FundYear, councillor: Councillor) -> Account:
    return account_for(fund_year=fund_year, kind=AccountKind.ALLOCATION, councillor=councillor)


def paid_account(fund_year: FundYear, councillor: Councillor | None) -> Account:
    return account_for(fund_year=fund_year, kind=AccountKind.PAID, councillor=councillor)


def commitment_account(
    fund_year: FundYear, reference: str, councillor: Councillor | None
) -> Account:
    return account_for(
        fund_year=fund_year,
        kind=AccountKind.COMMITMENT,
        councillor=councillor,
        reference=reference,
    )


def origin_account(commitment_or_paid: Account) -> Account:
    """Where a commitment's money came from: the councillor's allocation, or the pot."""
    councillor = commitment_or_paid.councillor
    if councillor is not None:
        return allocation_account(commitment_or_paid.fund_year, councillor)
    return pot_account(commitment_or_paid.fund_year)


# --- locks ---------------------------------------------------------------------------------


def lock_accounts(accounts: Iterable[Account]) -> dict[int, Account]:
    """Lock every one of `accounts` in one step, in primary-key order (the order every posting
    takes its locks in), and return them re-read under the lock, by primary key: their balances
    are ones no other transaction can change until this one ends.

    FOR NO KEY UPDATE, the lock an UPDATE of the balance takes anyway: it does not hold up
    another transaction inserting a row that refers to the account (an Entry, a Pledge)."""
    pks = sorted({account.pk for account in accounts})
    locked = Account.objects.select_for_update(no_key=True).filter(pk__in=pks).order_by("pk")
    return {account.pk: account for account in locked}


def lock_allocations(fund_year: FundYear, councillors: Iterable[Councillor]) -> dict[int, Account]:
    """The councillors' allocation accounts in the fund year, locked in one step as
    `lock_accounts` does, by councillor's primary key; a councillor never allocated has none."""
    locked = (
        Account.objects.select_for_update(no_key=True)
        .filter(
            fund_year=fund_year,
            kind=AccountKind.ALLOCATION,
            councillor__in=[councillor.pk for councillor in councillors],
        )
        .order_by("pk")
    )
    return {account.councillor_id: account for account in locked if account.councillor_id}


# --- the one writer -------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    account: Account
    amount: Decimal


def _require_positive(amount: Decimal, what: str = "The amount") -> Decimal:
    if not isinstance(amount, Decimal):
        raise InvalidInput(f"{what} must be an amount in pounds and pence.")
    if not amount.is_finite() or amount != amount.quantize(PENNY):
        raise InvalidInput(f"{what} must be in pounds and pence, such as 250.00.")
    if amount <= 0:
        raise InvalidInput(f"{what} must be more than £0.00; {pounds(amount)} was given.")
    return amount


def _require_open(fund_year: FundYear) -> None:
    if fund_year.is_closed:
        raise ClosedYear(
            f"The {fund_year.year.label} financial year is closed: nothing more can be posted to "
            f"{fund_year.fund.code} {fund_year.year.label}."
        )


def _merge(lines: Iterable[Line]) -> dict[int, tuple[Account, Decimal]]:
    merged: dict[int, tuple[Account, Decimal]] = {}
    for line in lines:
        account, total = merged.get(line.account.pk, (line.account, Decimal("0")))
        merged[line.account.pk] = (account, total + line.amount)
    return {pk: pair for pk, pair in merged.items() if pair[1] != 0}


def _shortfall_message(
    account: Account, needed: Decimal, purpose: str, available: Decimal | None = None
) -> str:
    if available is None:
        available = Account.objects.values_list("balance", flat=True).get(pk=account.pk)
    if account.kind == AccountKind.ALLOCATION and account.councillor is not None:
        who = account.councillor.surname_title
        fy = account.fund_year
        return (
            f"{who} has {pounds(available)} left in the {fy.year.label} {fy.fund.code} "
            f"allocation; {purpose} needs {pounds(needed)}."
        )
    if account.kind == AccountKind.POT:
        fy = account.fund_year
        return (
            f"The {fy.year.label} {fy.fund.code} pot has {pounds(available)} unallocated; "
            f"{purpose} needs {pounds(needed)}."
        )
    return (
        f"{_sentence(account.describe())} holds {pounds(available)}; "
        f"{purpose} needs {pounds(needed)}."
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def post(
    *,
    kind: str,
    key: str,
    lines: Sequence[Line],
    memo: str,
    by: User | None,
    reference: str = "",
    purpose: str = "this",
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction, or nothing. Returns the earlier posting for a reused key.

    On PostgreSQL in one statement (`ledger_sql.post`): the posting's row, every account locked
    in primary-key order, every balance and every entry, or nothing and the account that was
    short. Elsewhere (SQLite) through the ORM, in the same order."""
    merged = _merge(lines)
    problem = None
    if len(merged) < 2:
        problem = "A posting needs at least two accounts."
    elif sum(amount for _, amount in merged.values()) != 0:
        problem = "A posting's entries must sum to zero."
    if problem is not None:
        existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        raise InvalidInput(problem)
    posting = LedgerTransaction(
        kind=kind,
        idempotency_key=key,
        reference=reference,
        memo=memo[:255],
        created_by=by if getattr(by, "pk", None) else None,
        reverses=reverses,
        council_id=next(iter(merged.values()))[0].council_id,  # the accounts' council
    )
    if connection.vendor == "postgresql":
        # One statement, all or nothing by itself: outside a transaction it is its own commit.
        return _post_sql(posting, merged, purpose)
    # No savepoint of its own: a failure must undo the caller's whole transaction anyway.
    with transaction.atomic(savepoint=False):
        return _post_orm(posting, merged, purpose)


def _post_sql(
    posting: LedgerTransaction, merged: dict[int, tuple[Account, Decimal]], purpose: str
) -> LedgerTransaction:
    posting.created_at = timezone.now()
    row = {
        "kind": posting.kind,
        "idempotency_key": posting.idempotency_key,
        "reference": posting.reference,
        "memo": posting.memo,
        "created_at": posting.created_at,
        "created_by_id": posting.created_by_id,
        "reverses_id": posting.reverses_id,
        "council_id": posting.council_id,
    }
    posted = ledger_sql.post(row=row, changes=[(pk, amount) for pk, (_, amount) in merged.items()])
    if posted.transaction_id is None:
        # Nothing posted. If the key was used, by an earlier posting or by a concurrent one this
        # statement waited for, that posting is the answer, even when the accounts now hold too
        # little to post it again; otherwise an account was short.
        existing = LedgerTransaction.objects.filter(idempotency_key=posting.idempotency_key).first()
        if existing is not None:
            return existing
        if posted.short_account_id is None:
            raise RuntimeError(f"Posting {posting.idempotency_key!r} posted nothing.")
        account, amount = merged[posted.short_account_id]
        raise InsufficientFunds(
            _shortfall_message(account, -amount, purpose, available=posted.short_balance)
        )
    posting.pk = posted.transaction_id
    posting._state.adding = False
    posting._state.db = connection.alias
    return posting


def _post_orm(
    posting: LedgerTransaction, merged: dict[int, tuple[Account, Decimal]], purpose: str
) -> LedgerTransaction:
    try:
        # Inserting the transaction row first makes a concurrent retry of the same key wait
        # here for this one, then fail the unique check instead of posting twice.
        with transaction.atomic():
            posting.save()
    except IntegrityError:
        existing = LedgerTransaction.objects.filter(idempotency_key=posting.idempotency_key).first()
        if existing is None:
            raise
        return existing

    # Every account in one step, in primary-key order; the updates then go in that order.
    lock_accounts(account for account, _ in merged.values())
    for pk in sorted(merged):
        account, amount = merged[pk]
        rows = Account.objects.filter(pk=pk)
        if amount < 0 and account.kind != AccountKind.SOURCE:
            rows = rows.filter(balance__gte=-amount)
        # Round keeps SQLite's stored value exact to the penny (it holds decimals as REAL).
        if rows.update(balance=Round(F("balance") + amount, 2)) != 1:
            raise InsufficientFunds(_shortfall_message(account, -amount, purpose))
    Entry.objects.bulk_create(
        Entry(transaction=posting, account=account, amount=amount)
        for account, amount in (merged[pk] for pk in sorted(merged))
    )
    return posting


def _post_to(
    fund_year: FundYear,
    changes: Sequence[tuple[str, Councillor | None, str, Decimal]],
    *,
    kind: str,
    key: str,
    memo: str,
    by: User | None,
    reference: str = "",
    purpose: str = "this",
) -> LedgerTransaction:
    """`post` to the fund year's accounts named by (kind, councillor, reference), each created on
    first use. On PostgreSQL the accounts, the locks, the posting, the balances and the entries
    are one statement (`ledger_sql.post_by_keys`); elsewhere, and when an account that does not
    exist yet would have to give money (refused, by name, the longer way), `accounts_for` and
    then `post`."""

    def longer_way() -> LedgerTransaction:
        found = accounts_for(fund_year, [(k, c, r) for k, c, r, _ in changes])
        lines = [
            Line(account, amount) for account, (*_, amount) in zip(found, changes, strict=True)
        ]
        return post(
            kind=kind, key=key, lines=lines, memo=memo, by=by, reference=reference, purpose=purpose
        )

    merged: dict[tuple[str, int | None, str], Decimal] = {}
    for account_kind, councillor, account_reference, amount in changes:
        name = (str(account_kind), getattr(councillor, "pk", None), account_reference)
        merged[name] = merged.get(name, Decimal("0")) + amount
    merged = {name: amount for name, amount in merged.items() if amount != 0}
    if (
        connection.vendor != "postgresql"
        or len(merged) < 2
        or sum(merged.values(), Decimal("0")) != 0
    ):
        return longer_way()  # post's own checks refuse what is not a balanced posting
    created_by = by if getattr(by, "pk", None) else None
    posting = LedgerTransaction(
        kind=kind,
        idempotency_key=key,
        reference=reference,
        memo=memo[:255],
        created_by=created_by,
        created_at=timezone.now(),
        council_id=fund_year.council_id,
    )
    row = {
        "kind": posting.kind,
        "idempotency_key": key,
        "reference": reference,
        "memo": posting.memo,
        "created_at": posting.created_at,
        "created_by_id": posting.created_by_id,
        "reverses_id": None,
        "council_id": posting.council_id,
    }
    posted = ledger_sql.post_by_keys(
        row=row, fund_year_id=fund_year.pk, changes=list(merged.items())
    )
    if posted.transaction_id is not None:
        posting.pk = posted.transaction_id
        posting._state.adding = False
        posting._state.db = connection.alias
        return posting
    existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    if posted.unfit:
        return longer_way()
    if posted.short_account_id is None or posted.short_amount is None:
        raise RuntimeError(f"Posting {key!r} posted nothing.")
    short = Account.objects.select_related("fund_year__year", "fund_year__fund", "councillor").get(
        pk=posted.short_account_id
    )
    raise InsufficientFunds(
        _shortfall_message(short, -posted.short_amount, purpose, available=posted.short_balance)
    )


# --- budgets and allocations ----------------------------------------------------------------


@contention.atomic
def budget_set(*, fund_year: FundYear, total: Decimal, by: User | None) -> LedgerTransaction | None:
    """Set the fund year's total budget, posting the difference between source and pot."""
    if not isinstance(total, Decimal) or total < 0 or total != total.quantize(PENNY):
        raise InvalidInput("The budget must be an amount in pounds and pence, £0.00 or more.")
    with transaction.atomic():
        fund_year = (
            FundYear.objects.select_for_update().select_related("fund", "year").get(pk=fund_year.pk)
        )
        _require_open(fund_year)
        delta = total - fund_year.total_budget
        if delta == 0:
            return None
        revision = LedgerTransaction.objects.filter(
            kind=Kind.BUDGET, idempotency_key__startswith=f"budget:{fund_year.pk}:"
        ).count()
        source, pot = source_account(fund_year), pot_account(fund_year)
        posting = post(
            kind=Kind.BUDGET,
            key=f"budget:{fund_year.pk}:{revision + 1}",
            lines=[Line(source, -delta), Line(pot, delta)],
            memo=f"{fund_year} budget set to {pounds(total)}",
            by=by,
            purpose=f"reducing the budget by {pounds(-delta)}",
        )
        FundYear.objects.filter(pk=fund_year.pk).update(total_budget=total)
        return posting


@contention.atomic
def allocation_make(
    *,
    fund_year: FundYear,
    councillor: Councillor,
    by: User | None,
    amount: Decimal | None = None,
    memo: str = "",
) -> LedgerTransaction:
    """A councillor's yearly allocation: pot to allocation. Once per councillor per fund year."""
    amount = _require_positive(
        fund_year.allocation_per_councillor if amount is None else amount, "The allocation"
    )
    _require_open(fund_year)
    if not fund_year.uses_allocations:
        raise Refused(f"{fund_year} is paid from the central pot; it has no allocations.")
    if not councillor.in_term_during(fund_year.year):
        raise OutsideTerm(
            f"{councillor} is not in office at any time in {fund_year.year.label}, "
            "so cannot receive an allocation."
        )
    return post(
        kind=Kind.ALLOCATION,
        key=f"allocate:{fund_year.pk}:{councillor.pk}",
        lines=[
            Line(pot_account(fund_year), -amount),
            Line(allocation_account(fund_year, councillor), amount),
        ],
        memo=memo or f"{fund_year.year.label} allocation to {councillor}",
        by=by,
        purpose=f"an allocation of {pounds(amount)} to {councillor}",
    )


@dataclass
class AllocationSummary:
    fund_year: FundYear
    allocated: list[tuple[Councillor, Decimal]] = field(default_factory=list)
    already: list[Councillor] = field(default_factory=list)
    # Councillors in office during the year given nothing this time, and why, in words.
    not_allocated: list[tuple[Councillor, str]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((amount for _, amount in self.allocated), Decimal("0.00"))


def _allocation_key(fund_year: FundYear, councillor: Councillor) -> str:
    return f"allocate:{fund_year.pk}:{councillor.pk}"


def _term_end_key(fund_year: FundYear, councillor: Councillor) -> str:
    return f"term-end:{fund_year.pk}:{councillor.pk}"


def _long(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def left_mid_year(councillor: Councillor, year: FinancialYear) -> bool:
    """Their term ends inside the year, before its last day: a seat someone may succeed to."""
    end = councillor.term_end
    return end is not None and year.start <= end < year.end


def successions(year: FinancialYear, councillors: Sequence[Councillor]) -> dict[int, Councillor]:
    """Who succeeds whom during the year, ward by ward: each councillor who left mid-year is
    succeeded by the ward's earliest councillor not yet paired whose term started after theirs
    ended (a by-election winner, or the same person re-elected to a new term). By successor id."""
    by_ward: dict[int, list[Councillor]] = {}
    for councillor in councillors:
        by_ward.setdefault(councillor.ward_id, []).append(councillor)
    found: dict[int, Councillor] = {}
    for members in by_ward.values():
        left = sorted(
            (c for c in members if left_mid_year(c, year)), key=lambda c: (c.term_end, c.pk)
        )
        arrived = sorted(
            (c for c in members if year.start < c.term_start <= year.end),
            key=lambda c: (c.term_start, c.pk),
        )
        for departed in left:
            assert departed.term_end is not None
            successor = next(
                (
                    c
                    for c in arrived
                    if c.pk not in found
                    and c.pk != departed.pk
                    and c.term_start > departed.term_end
                ),
                None,
            )
            if successor is not None:
                found[successor.pk] = departed
    return found


def pro_rata_days(year: FinancialYear, first_day: datetime.date) -> tuple[int, int]:
    """(days left in the year from `first_day`, counting it and 31 March; days in the year)."""
    days = (year.end - year.start).days + 1
    return (year.end - max(first_day, year.start)).days + 1, days


def successor_share(
    fund_year: FundYear, departed: Councillor, successor: Councillor, *, allocated: set[str]
) -> tuple[Decimal | None, str]:
    """What the successor is allocated from the seat the departed councillor left, as the fund
    year's term-end policy says, and how that was worked out. None: not yet known."""
    Policy = FundYear.TermEnd
    assert departed.term_end is not None
    ended = _long(departed.term_end)
    if _allocation_key(fund_year, departed) in allocated:
        returned = LedgerTransaction.objects.filter(
            idempotency_key=_term_end_key(fund_year, departed)
        ).first()
        if returned is not None:
            base = returned.entries.filter(amount__gt=0).get().amount
            what = f"the {pounds(base)} {departed} left unspent"
        elif allocation_account(fund_year, departed).balance == 0:
            base, what = Decimal("0.00"), f"nothing: {departed} left no allocation unspent"
        else:
            return None, (
                f"{departed}'s term ended on {ended}, but their allocation has not been returned: "
                f"end their term with “End this term…” first, then allocate again."
            )
    elif departed.term_end >= timezone.localdate():
        return None, f"{departed} is in office until {ended}; allocate again once they have left."
    else:
        base = fund_year.allocation_per_councillor
        what = f"the {pounds(base)} allocation of the seat {departed} left on {ended}"
    policy = fund_year.term_end_policy
    if policy == Policy.POT:
        return Decimal("0.00"), (
            f"{fund_year} returns a departing councillor's allocation to the pot, so {successor} "
            f"is given none of {what}."
        )
    if policy == Policy.SUCCESSOR_WHOLE:
        return base, f"{successor} succeeds {departed} and is given the whole of {what}."
    left, days = pro_rata_days(fund_year.year, successor.term_start)
    share = (base * left / days).quantize(PENNY, rounding=ROUND_DOWN)
    return share, (
        f"{successor} succeeds {departed} from {_long(successor.term_start)} and is given "
        f"{left}/{days} of {what}: {pounds(share)}."
    )


@contention.atomic
def allocate_year(*, fund_year: FundYear, by: User | None) -> AllocationSummary:
    """Allocate to every councillor in office during the year, all or none: the allocation per
    councillor, or, to a councillor who succeeded one who left mid-year, their share of what the
    departed councillor left (the fund year's term-end policy). Each councillor is allocated
    once (the posting's idempotency key), so it is safe to run again: run it when a successor
    arrives. A councillor whose term ended before they were allocated gets nothing; their
    seat's allocation passes to their successor in the same way."""
    _require_open(fund_year)
    if not fund_year.uses_allocations:
        raise Refused(f"{fund_year} is paid from the central pot; it has no allocations.")
    amount = _require_positive(fund_year.allocation_per_councillor, "The allocation per councillor")
    year = fund_year.year
    councillors = list(
        Councillor.objects.in_term_during(year).order_by("pk").select_related("ward")
    )
    keys = {_allocation_key(fund_year, c): c for c in councillors}
    done = set(
        LedgerTransaction.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    summary = AllocationSummary(fund_year)
    summary.already = [c for key, c in keys.items() if key in done]
    succeeds = successions(year, councillors)
    today = timezone.localdate()
    todo: list[tuple[Councillor, Decimal, str]] = []
    for key, councillor in keys.items():
        if key in done:
            continue
        if councillor.pk in succeeds:
            departed = succeeds[councillor.pk]
            share, why = successor_share(fund_year, departed, councillor, allocated=done)
            if not share:
                summary.not_allocated.append((councillor, why))
                continue
            todo.append((councillor, share, f"{year.label} allocation to {councillor}: {why}"))
        elif left_mid_year(councillor, year) and councillor.term_end < today:  # type: ignore[operator]
            summary.not_allocated.append(
                (
                    councillor,
                    f"{councillor}'s term ended on {_long(councillor.term_end)} "  # type: ignore[arg-type]
                    "before they were allocated; their successor is allocated instead.",
                )
            )
        else:
            todo.append((councillor, amount, ""))
    needed = sum((share for _, share, _ in todo), Decimal("0.00"))
    with transaction.atomic():
        pot = pot_account(fund_year)
        if todo and pot.balance < needed:
            each = (
                f"allocating {pounds(amount)} to each of {len(todo)} councillors"
                if all(share == amount for _, share, _ in todo)
                else f"allocating {pounds(needed)} to {len(todo)} councillors"
            )
            raise InsufficientFunds(
                f"The {fund_year.year.label} {fund_year.fund.code} pot has {pounds(pot.balance)} "
                f"unallocated; {each} needs {pounds(needed)}."
            )
        for councillor, share, memo in todo:
            allocation_make(
                fund_year=fund_year, councillor=councillor, amount=share, by=by, memo=memo[:255]
            )
            summary.allocated.append((councillor, share))
    return summary


@dataclass
class TermEndReturn:
    fund_year: FundYear
    amount: Decimal
    posting: LedgerTransaction


def term_end_return(*, councillor: Councillor, by: User | None) -> list[TermEndReturn]:
    """A councillor's term has ended (their Councillor.term_end is set): what is left in each of
    their allocations in an open year returns to that fund year's pot at once, one balanced
    posting each (`term-end:<fund year>:<councillor>`), reversing nothing. Money committed to
    approved grants stays with them. Their successor's share is then made by `allocate_year`."""
    if councillor.term_end is None:
        raise Refused(f"{councillor}'s term has not ended: set the day it ends first.")
    ended = _long(councillor.term_end)
    returned: list[TermEndReturn] = []
    with transaction.atomic():
        allocations = (
            Account.objects.filter(
                kind=AccountKind.ALLOCATION,
                councillor=councillor,
                fund_year__is_closed=False,
            )
            .select_related("fund_year__fund", "fund_year__year")
            .order_by("pk")
        )
        for allocation in allocations:
            fund_year = allocation.fund_year
            key = _term_end_key(fund_year, councillor)
            existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
            pot = pot_account(fund_year)
            # Both rows locked in one step, in primary-key order; the balance read under it.
            unspent = lock_accounts([pot, allocation])[allocation.pk].balance
            if existing is not None or unspent <= 0:
                continue
            posting = post(
                kind=Kind.LAPSE,
                key=key,
                lines=[Line(allocation, -unspent), Line(pot, unspent)],
                memo=(
                    f"Unspent allocation returned to the pot: {councillor}'s term ended on {ended}"
                ),
                by=by,
                purpose=f"returning {councillor}'s allocation to the pot",
            )
            returned.append(TermEndReturn(fund_year, unspent, posting))
    return returned


@contention.atomic
def allocation_transfer(
    *,
    fund_year: FundYear,
    from_councillor: Councillor,
    to_councillor: Councillor,
    amount: Decimal,
    by: User | None,
    key: str,
    on: datetime.date | None = None,
) -> LedgerTransaction:
    """Move part of one councillor's allocation to a colleague in the same ward (pooling)."""
    _require_positive(amount, "The transfer")
    _require_open(fund_year)
    on = on or timezone.localdate()
    if from_councillor.pk == to_councillor.pk:
        raise InvalidInput("Choose a different councillor to transfer to.")
    if from_councillor.ward_id != to_councillor.ward_id:
        raise Refused(
            f"{to_councillor} represents {to_councillor.ward}, not {from_councillor.ward}: "
            "allocations can only be transferred between councillors of the same ward."
        )
    for councillor in (from_councillor, to_councillor):
        if not councillor.in_term_on(on):
            raise OutsideTerm(f"{councillor} is not in office on {on:%d %B %Y}.")
    return _post_to(
        fund_year,
        [
            (AccountKind.ALLOCATION, from_councillor, "", -amount),
            (AccountKind.ALLOCATION, to_councillor, "", amount),
        ],
        kind=Kind.TRANSFER,
        key=key,
        memo=f"Transfer from {from_councillor} to {to_councillor}",
        by=by,
        purpose="this transfer",
    )


# --- grants: commit, release, pay, refund ---------------------------------------------------


@contention.atomic
def commitment_make(
    *,
    fund_year: FundYear,
    reference: str,
    shares: Sequence[tuple[Councillor | None, Decimal]],
    by: User | None,
    key: str | None = None,
    memo: str = "",
) -> LedgerTransaction:
    """Commit money to a grant: from each pledging councillor's allocation (councillor given), or
    from the pot (councillor None). All shares or none."""
    return commitment_in(
        fund_year=fund_year, reference=reference, shares=shares, by=by, key=key, memo=memo
    )


def commitment_in(
    *,
    fund_year: FundYear,
    reference: str,
    shares: Sequence[tuple[Councillor | None, Decimal]],
    by: User | None,
    key: str | None = None,
    memo: str = "",
) -> LedgerTransaction:
    """`commitment_make` for a service that is itself in a transaction and is undone whole if
    the commitment is refused (an approval): without a savepoint of its own, two round trips
    fewer. Refused, it leaves the caller's transaction to be rolled back, not continued."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("commitment_in is called inside its caller's transaction.")
    if not reference or len(reference) > 18:
        raise InvalidInput("A grant reference is 1 to 18 characters.")
    if not shares:
        raise InvalidInput("A commitment needs at least one source of money.")
    _require_open(fund_year)
    for _, amount in shares:
        _require_positive(amount, "Each share of the commitment")
    # From each origin to the grant's commitment account of the same councillor (or the pot's),
    # created on first use: on PostgreSQL all in one statement with the posting.
    changes: list[tuple[str, Councillor | None, str, Decimal]] = []
    for councillor, amount in shares:
        origin = AccountKind.POT if councillor is None else AccountKind.ALLOCATION
        changes += [
            (origin, councillor, "", -amount),
            (AccountKind.COMMITMENT, councillor, reference, amount),
        ]
    total = sum((amount for _, amount in shares), Decimal("0"))
    return _post_to(
        fund_year,
        changes,
        kind=Kind.COMMITMENT,
        key=key or f"commit:{reference}",
        memo=memo or f"{pounds(total)} committed to {reference}",
        by=by,
        reference=reference,
        purpose=f"committing {pounds(total)} to {reference}",
    )


def _commitments(reference: str) -> list[Account]:
    return list(
        Account.objects.filter(kind=AccountKind.COMMITMENT, reference=reference)
        .select_related("fund_year__year", "fund_year__fund", "councillor")
        .order_by("pk")
    )


def committed_balance(reference: str) -> Decimal:
    return sum((a.balance for a in _commitments(reference)), Decimal("0.00"))


def _open_pot_for(fund_year: FundYear) -> Account:
    """Money returning to a closed year goes to the fund's pot in the latest open year."""
    target = (
        FundYear.objects.filter(fund_id=fund_year.fund_id, is_closed=False)
        .select_related("fund", "year")
        .order_by("-year__start")
        .first()
    )
    if target is None:
        raise ClosedYear(
            f"{fund_year.year.label} is closed and {fund_year.fund.code} has no open year to "
            "receive the money: set up the next fund year first."
        )
    return pot_account(target)


def _return_to(account: Account) -> Account:
    if account.fund_year.is_closed:
        return _open_pot_for(account.fund_year)
    return origin_account(account)


def split_pro_rata(amount: Decimal, balances: Sequence[Decimal]) -> list[Decimal]:
    """Split `amount` across accounts in proportion to their balances, to the penny, never more
    than any balance; leftover pennies go to the largest remainders, earliest first."""
    total = sum(balances, Decimal("0"))
    if amount > total:
        raise ValueError("amount exceeds the balances")
    if amount == total:
        return list(balances)
    exact = [amount * b / total for b in balances]
    shares = [e.quantize(PENNY, rounding=ROUND_DOWN) for e in exact]
    leftover = int((amount - sum(shares)) / PENNY)
    order = sorted(range(len(balances)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order:
        if leftover == 0:
            break
        if shares[i] + PENNY <= balances[i]:
            shares[i] += PENNY
            leftover -= 1
    return shares


def _spread(amount: Decimal, sources: Sequence[tuple[Account, Decimal]], destination) -> list[Line]:
    """Lines moving `amount` out of `sources` (account, what it can give) pro rata, each share
    to `destination(account)`."""
    lines: list[Line] = []
    shares = split_pro_rata(amount, [available for _, available in sources])
    for (account, _), share in zip(sources, shares, strict=True):
        if share:
            lines += [Line(account, -share), Line(destination(account), share)]
    return lines


def _paid_for(commitment: Account) -> Account:
    return paid_account(commitment.fund_year, commitment.councillor)


def _locked_with(accounts: Sequence[Account], destination) -> list[Account]:
    """`accounts` and where each one's money goes, all locked in one step; `accounts` as they
    are under the lock (their balances read after it was taken), in the same order."""
    locked = lock_accounts([*accounts, *(destination(a) for a in accounts)])
    for account in accounts:
        locked[account.pk].fund_year = account.fund_year  # keep what was select_related
        locked[account.pk].councillor = account.councillor
    return [locked[a.pk] for a in accounts]


@contention.atomic
def payment_post(
    *, reference: str, amount: Decimal, by: User | None, key: str
) -> LedgerTransaction:
    """A payment made: commitment to paid, drawn from the grant's commitments pro rata."""
    _require_positive(amount, "The payment")
    with transaction.atomic():
        commitments = _commitments(reference)
        if not commitments:
            raise Refused(f"Nothing is committed to {reference}, so nothing can be paid.")
        commitments = _locked_with(commitments, _paid_for)
        available = sum((a.balance for a in commitments), Decimal("0"))
        if amount > available:
            raise InsufficientFunds(
                f"{reference} has {pounds(available)} committed and unpaid; this payment needs "
                f"{pounds(amount)}. A grant is never paid more than was awarded."
            )
        lines = _spread(amount, [(a, a.balance) for a in commitments], _paid_for)
        return post(
            kind=Kind.PAYMENT,
            key=key,
            lines=lines,
            memo=f"Payment of {pounds(amount)} for {reference}",
            by=by,
            reference=reference,
            purpose=f"a payment of {pounds(amount)}",
        )


@contention.atomic
def commitment_release(
    *, reference: str, by: User | None, key: str, amount: Decimal | None = None, memo: str = ""
) -> LedgerTransaction | None:
    """Release what is still committed (all of it, or `amount`) back where it came from: the
    allocation or pot it came from, or the fund's open pot once that year is closed."""
    with transaction.atomic():
        commitments = _locked_with(_commitments(reference), _return_to)
        available = sum((a.balance for a in commitments), Decimal("0"))
        if amount is None:
            amount = available
            if amount == 0:
                return None
        _require_positive(amount, "The amount released")
        if amount > available:
            raise InsufficientFunds(
                f"{reference} has {pounds(available)} committed and unpaid; "
                f"releasing {pounds(amount)} is more than that."
            )
        lines = _spread(amount, [(a, a.balance) for a in commitments], _return_to)
        return post(
            kind=Kind.RELEASE,
            key=key,
            lines=lines,
            memo=memo or f"{pounds(amount)} released from {reference}",
            by=by,
            reference=reference,
            purpose=f"releasing {pounds(amount)}",
        )


@contention.atomic
def refund_post(*, reference: str, amount: Decimal, by: User | None, key: str) -> LedgerTransaction:
    """Money paid back by a group (clawback received): from paid to where it came from."""
    _require_positive(amount, "The refund")
    with transaction.atomic():
        payments = list(
            Entry.objects.filter(transaction__reference=reference, transaction__kind=Kind.PAYMENT)
            .select_related(
                "account__fund_year__year", "account__fund_year__fund", "account__councillor"
            )
            .filter(account__kind=AccountKind.PAID)
        )
        if not payments:
            raise Refused(f"Nothing has been paid for {reference}, so nothing can be refunded.")
        # Paid out per funding councillor for this grant, less refunds already received.
        paid_by_account: dict[int, tuple[Account, Decimal]] = {}
        for entry in payments:
            account, total = paid_by_account.get(entry.account_id, (entry.account, Decimal("0")))
            paid_by_account[entry.account_id] = (account, total + entry.amount)
        for entry in Entry.objects.filter(
            transaction__reference=reference, transaction__kind=Kind.REFUND, amount__lt=0
        ):
            account, total = paid_by_account[entry.account_id]
            paid_by_account[entry.account_id] = (account, total + entry.amount)
        accounts = [pair for _, pair in sorted(paid_by_account.items())]
        _locked_with([account for account, _ in accounts], _return_to)
        refundable = sum((total for _, total in accounts), Decimal("0"))
        if amount > refundable:
            raise InvalidInput(
                f"{reference} has had {pounds(refundable)} paid and not yet refunded; a refund of "
                f"{pounds(amount)} is more than that."
            )
        lines = _spread(amount, accounts, _return_to)
        return post(
            kind=Kind.REFUND,
            key=key,
            lines=lines,
            memo=f"Refund of {pounds(amount)} received for {reference}",
            by=by,
            reference=reference,
            purpose=f"a refund of {pounds(amount)}",
        )


@contention.atomic
def transaction_reverse(
    *, posting: LedgerTransaction, by: User | None, reason: str
) -> LedgerTransaction:
    """Put a mistake right: a new transaction with every entry negated, naming the original."""
    if not reason.strip():
        raise InvalidInput("Say why the posting is being reversed.")
    if posting.kind == Kind.REVERSAL:
        raise Refused("A reversal cannot itself be reversed; post the correction instead.")
    if LedgerTransaction.objects.filter(reverses=posting).exists():
        raise Refused(f"Posting #{posting.pk} has already been reversed.")
    entries = list(
        posting.entries.select_related("account__fund_year__year", "account__fund_year__fund")
    )
    for entry in entries:
        _require_open(entry.account.fund_year)
    return post(
        kind=Kind.REVERSAL,
        key=f"reverse:{posting.pk}",
        lines=[Line(e.account, -e.amount) for e in entries],
        memo=f"Reversal of #{posting.pk}: {reason.strip()}",
        by=by,
        reference=posting.reference,
        reverses=posting,
        purpose=f"reversing posting #{posting.pk}",
    )


# --- year end -------------------------------------------------------------------------------


@dataclass
class YearEndLine:
    fund_year: FundYear
    councillor: Councillor
    amount: Decimal
    carried_forward: bool


@dataclass
class YearEndSummary:
    year: FinancialYear
    lines: list[YearEndLine] = field(default_factory=list)

    @property
    def carried_forward(self) -> Decimal:
        return sum((x.amount for x in self.lines if x.carried_forward), Decimal("0.00"))

    @property
    def lapsed(self) -> Decimal:
        return sum((x.amount for x in self.lines if not x.carried_forward), Decimal("0.00"))


@contention.atomic
def year_close(
    *, year: FinancialYear, by: User | None, council: Council | None = None
) -> YearEndSummary:
    """Close a financial year for one council (the one given, else the council in scope, else
    the service's only council): each unspent allocation is carried forward to the councillor's
    allocation next year, or lapses to the pot, as the fund year's rule says. A councillor
    whose term ends before next year's allocation lapses whatever the rule. Another council's
    year stays open."""
    council = _closing_council(council)
    with transaction.atomic(), councils.acting_for(council):
        # One close at a time for the council: the second waits, then finds the year closed.
        Council.objects.select_for_update().get(pk=council.pk)
        if YearEnd.objects.filter(council=council, year=year).exists():
            raise ClosedYear(f"{year.label} is already closed for {council.name}.")
        summary = YearEndSummary(year)
        next_start = datetime.date(year.start.year + 1, 4, 1)
        next_fund_years = {
            fy.fund_id: fy
            for fy in FundYear.objects.filter(year__start=next_start).select_related("fund", "year")
        }
        allocations = (
            Account.objects.filter(fund_year__year=year, kind=AccountKind.ALLOCATION, balance__gt=0)
            .select_related("fund_year__fund", "fund_year__year", "councillor")
            .order_by("pk")
        )
        plan: list[tuple[Account, Account, bool]] = []
        for account in allocations:
            fund_year = account.fund_year
            councillor = account.councillor
            assert councillor is not None  # an allocation always has one (CHECK constraint)
            carry = fund_year.year_end == FundYear.YearEnd.CARRY_FORWARD
            next_fy = next_fund_years.get(fund_year.fund_id)
            if carry and next_fy is None:
                raise Refused(
                    f"{fund_year.fund.code} carries allocations forward, but has no "
                    f"{next_start.year}/{str(next_start.year + 1)[-2:]} fund year to carry them "
                    "into: set that up first."
                )
            if carry and councillor.term_end and councillor.term_end < next_start:
                carry = False
            target = (
                allocation_account(next_fy, councillor)
                if carry and next_fy is not None
                else pot_account(fund_year)
            )
            plan.append((account, target, carry))
        locked = lock_accounts(a for account, target, _ in plan for a in (account, target))
        for account, target, carry in plan:
            fund_year, councillor = account.fund_year, account.councillor
            assert councillor is not None
            amount = locked[account.pk].balance
            if amount <= 0:
                continue
            post(
                kind=Kind.CARRY_FORWARD if carry else Kind.LAPSE,
                key=f"yearend:{account.pk}",
                lines=[Line(account, -amount), Line(target, amount)],
                memo=(
                    f"{year.label} allocation carried forward"
                    if carry
                    else f"{year.label} allocation lapsed to the pot"
                ),
                by=by,
            )
            summary.lines.append(YearEndLine(fund_year, councillor, amount, carry))
        YearEnd.objects.create(
            council=council, year=year, closed_by=by if getattr(by, "pk", None) else None
        )
        FundYear.objects.filter(council=council, year=year).update(is_closed=True)
    return summary


def _closing_council(council: Council | None) -> Council:
    if council is not None:
        return council
    if (in_scope := councils.current()) is not None:
        return in_scope
    every = councils.every_council()
    if len(every) == 1:
        return every[0]
    raise Refused("Say which council's year to close: the service has several councils.")
