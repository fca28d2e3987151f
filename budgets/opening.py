"""A council's opening position: switching to fundmgr in the middle of a financial year.

`manage.py import_opening_position FILE` (and the administrator's "Import from a file" page)
posts, for each councillor, the year's allocation and what was already committed and paid from
it before the switch, as ledger postings of their own kind ("opening", shown on statements as
"Opening position"). Every posting goes through `budgets.ledger.post`, so the ledger's
guarantees hold: each posting balances, no allocation or pot goes below zero, and each carries
an idempotency key taken from the file's rows, so importing the same file again posts nothing.

The file (read row by row in budgets/opening_file.py): one row for a councillor's allocation,
and one row for each grant already committed from it; a grant row may carry the allocation as
well (the same amount on each of the councillor's rows is read once), so an export with a row
per grant imports as it is.

    councillor      name as fundmgr has it ("Sam Shaw", "Cllr Sam Shaw") or e-mail address
    ward            name or GSS code: needed only when two councillors share a name
    fund            the fund's code (CCIF); blank: the council's one fund paid from allocations
    financial_year  2026/27, 2026-27 or 2026/2027; blank: the year of the switch date
    allocation      the councillor's allocation for the year, in pounds
    reference       the grant's reference in the council's own records (kept as it is)
    title, organisation   what the grant is for and to whom (kept in the posting's memo)
    committed       the whole amount awarded (committed) to the grant from this allocation
    paid            how much of that was paid before the switch (blank: nothing)
    date            when it was committed (optional; in the year and not after the switch)

fixtures/imports/opening-position.csv is a sample. The switch date is `--switch-date`: it
names the year when the file does not, no grant may be dated after it, and the memos say it.
Without it (as on the page) today stands for it and the memos name no date.

What it posts, per councillor and fund year: the allocation, pot to allocation, under the key
`allocate:<fund year>:<councillor>`, the key `allocate_year` uses, so running `allocate_year`
later (for a by-election winner, say) never allocates to them twice; and per grant one posting,
allocation to the grant's commitment account (what is not yet paid) and to the councillor's
paid account (what is), under `opening:<fund year>:<reference>`. A councillor's grants may not
commit more than their allocation: the row where the money runs out is refused, by name.

Postings are never edited. Importing a file again with a different amount for an allocation or
a grant already imported is refused, saying what was imported. To correct it, import the
corrected file with `--correct`: each changed posting is reversed (a Reversal posting naming
it) and the file's amount posted afresh, both kept in the ledger for the auditors.

Why committed grants are not made into applications: an application in fundmgr is a group's
request with its answers, bank details, councillors' pledges, a decision and its letters; none
of that was made here, and inventing it would put decisions fundmgr never took into the
transparency data and the 360Giving export. What the budgets need is the money: the
commitment and the payments, kept traceable by the council's own reference, the group and the
title in the memo. Past grants for history and publication come in through `import_360giving`.
The part of a grant not yet paid at the switch stays committed on the statement; it is paid
from the council's finance system as before, not through fundmgr's payment runs. When it has
been, the grant's row imported again with the new paid amount and `--correct` records it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from budgets import ledger, selectors
from budgets.models import Account, Councillor, Entry, FundYear, LedgerTransaction
from budgets.opening_file import COLUMNS, SAMPLE, ZERO, Grant, Position, Reader, long_date
from fundmgr.errors import Refused
from fundmgr.imports import Importer, Report, Table, parse_date, register
from fundmgr.money import pounds

Kind = LedgerTransaction.Kind


@dataclass
class Posting:
    """One opening posting to make: the accounts' changes, and its key and memo."""

    fund_year: FundYear
    key: str
    memo: str
    lines: list[tuple[str, Councillor | None, str, Decimal]]  # account kind, whose, reference
    reference: str = ""
    purpose: str = "this"


@dataclass
class Plan:
    reverse_first: list[LedgerTransaction] = field(default_factory=list)  # grants corrected
    allocations: list[Posting] = field(default_factory=list)
    reverse_then: list[LedgerTransaction] = field(default_factory=list)  # allocations corrected
    grants: list[Posting] = field(default_factory=list)


def allocation_key(fund_year: FundYear, councillor: Councillor) -> str:
    return f"allocate:{fund_year.pk}:{councillor.pk}"  # ledger.allocate_year's own key


def grant_key(fund_year: FundYear, reference: str) -> str:
    return f"opening:{fund_year.pk}:{reference}"


class Posted:
    """What is already in the ledger for one fund year, read once in a few queries: the
    postings under the allocation and opening keys (and their corrections, `key#2`...), with
    the amounts of those not reversed, the allocation and pot balances, and the pledges to bids
    waiting for a decision."""

    def __init__(self, fund_year: FundYear):
        self.used: dict[str, int] = defaultdict(int)  # key -> postings made under it
        self.live: dict[str, LedgerTransaction] = {}  # key -> the one not reversed
        postings = (
            LedgerTransaction.objects.filter(
                Q(idempotency_key__startswith=f"allocate:{fund_year.pk}:")
                | Q(idempotency_key__startswith=f"opening:{fund_year.pk}:")
            )
            .annotate(undone=Exists(LedgerTransaction.objects.filter(reverses=OuterRef("pk"))))
            .order_by("pk")
        )
        for posting in postings:
            key, _, number = posting.idempotency_key.rpartition("#")
            if not (key and number.isdigit()):
                key = posting.idempotency_key
            self.used[key] += 1
            if not posting.undone:  # type: ignore[attr-defined]
                self.live[key] = posting
        self.amounts: dict[int, dict[str, tuple[int | None, Decimal]]] = defaultdict(dict)
        entries = Entry.objects.filter(
            transaction__in=[p.pk for p in self.live.values()]
        ).values_list("transaction_id", "account__kind", "account__councillor_id", "amount")
        for posting_id, kind, councillor_id, amount in entries:
            self.amounts[posting_id][kind] = (councillor_id, amount)
        self.balances: dict[int | None, Decimal] = {}  # councillor id (None: the pot)
        for kind, councillor_id, balance in Account.objects.filter(
            fund_year=fund_year, kind__in=[Account.Kind.ALLOCATION, Account.Kind.POT]
        ).values_list("kind", "councillor_id", "balance"):
            self.balances[councillor_id if kind == Account.Kind.ALLOCATION else None] = balance
        self.pledges = selectors.pledgeable_by_councillor(fund_year=fund_year)

    def next_key(self, key: str) -> str:
        used = self.used[key]
        return key if used == 0 else f"{key}#{used + 1}"


class OpeningPositionImporter(Importer):
    kind = "opening_position"
    title = "Opening position (allocations, committed and paid)"
    description = (
        "For a council switching to fundmgr during a financial year: each councillor's "
        "allocation, and each grant already committed and paid from it, posted to the budgets "
        "as the opening position. A row for each allocation and a row for each grant."
    )
    columns = COLUMNS
    sample = SAMPLE

    @classmethod
    def add_arguments(cls, parser) -> None:
        parser.add_argument(
            "--switch-date",
            help="The day the council started using fundmgr, such as 2026-10-01 (default: "
            "today): it names the financial year when the file does not, and the memos say it.",
        )
        parser.add_argument(
            "--correct",
            action="store_true",
            help="Where the file's amount differs from what an earlier import posted, reverse "
            "that posting and post the file's amount (refused without this).",
        )

    # --- checking -----------------------------------------------------------------------------

    def plan(self, table: Table, report: Report) -> Plan:
        self.report = report
        self.correct = bool(self.options.get("correct"))
        switch = self.options.get("switch_date") or None
        if isinstance(switch, str):
            try:
                switch = parse_date(switch)
            except ValueError as error:
                report.add(None, "refuse", column="switch date", reason=str(error))
                return Plan()
        # The page has no switch date: the memos then name none, and today stands for it.
        self.switch: datetime.date = switch or timezone.localdate()
        self.switched = f"the switch to fundmgr on {long_date(switch)}" if switch else "the switch"
        self.before = f"Before the switch on {long_date(switch)}" if switch else "Before the switch"
        self.posted: dict[int, Posted] = {}
        first = len(report.outcomes)
        plan = Plan()
        for position in Reader(table, report, switch=self.switch).positions():
            self._position(position, plan)
        self._pots(plan)
        # In the file's order (the councillors' checks come after every row is read).
        report.outcomes[first:] = sorted(
            report.outcomes[first:], key=lambda o: (o.row is not None, o.row or 0)
        )
        return plan

    def _posted(self, fund_year: FundYear) -> Posted:
        if fund_year.pk not in self.posted:
            self.posted[fund_year.pk] = Posted(fund_year)
        return self.posted[fund_year.pk]

    # --- each councillor's position -----------------------------------------------------------

    def _position(self, position: Position, plan: Plan) -> None:
        fund_year, councillor = position.fund_year, position.councillor
        record = f"{councillor}, {fund_year}"
        row = position.allocation_row or position.first_row
        if fund_year.is_closed:
            self.report.add(
                row, "refuse", reason=f"{fund_year} is closed: nothing more can be posted to it."
            )
            return
        if not fund_year.uses_allocations:
            self.report.add(
                row,
                "refuse",
                column="fund",
                value=fund_year.fund.code,
                reason=f"{fund_year} is paid from the central pot: it has no allocations.",
            )
            return
        ledgered = self._posted(fund_year)
        balance = ledgered.balances.get(councillor.pk, ZERO)  # after every posting so far
        posted = ledgered.live.get(allocation_key(fund_year, councillor))
        before = ledgered.amounts[posted.pk][Account.Kind.ALLOCATION][1] if posted else None
        allocation = position.allocation
        if allocation is None:
            if before is None:
                self.report.add(
                    position.first_row,
                    "refuse",
                    column="allocation",
                    reason=f"{councillor} has no {fund_year} allocation in the file or in "
                    "fundmgr: give it on one of their rows.",
                    record=record,
                )
                return
            allocation = before
        elif before is None:
            plan.allocations.append(self._allocation(fund_year, councillor, allocation))
            balance += allocation
            self.report.add(
                row,
                "create",
                column="allocation",
                value=str(allocation),
                reason=f"allocation of {pounds(allocation)}",
                record=record,
            )
        elif before == allocation:
            self.report.add(
                row,
                "unchanged",
                column="allocation",
                value=str(allocation),
                reason=f"allocation of {pounds(allocation)} already posted (#{posted.pk})",
                record=record,
            )
        elif not self.correct:
            assert posted is not None
            self.report.add(
                row,
                "refuse",
                column="allocation",
                value=str(allocation),
                reason=f"{councillor}'s {fund_year} allocation was posted as {pounds(before)} "
                f"(#{posted.pk}, {long_date(timezone.localdate(posted.created_at))}). A posting is "
                "never edited: to put it right, import this file again with --correct, which "
                "reverses it and posts the amount in the file.",
                record=record,
            )
            return
        else:
            assert posted is not None
            plan.allocations.append(self._allocation(fund_year, councillor, allocation))
            plan.reverse_then.append(posted)
            balance += allocation - before
            self.report.add(
                row,
                "change",
                column="allocation",
                value=str(allocation),
                reason=f"allocation {pounds(before)} reversed (#{posted.pk}) and "
                f"{pounds(allocation)} posted",
                record=record,
            )
        for grant in position.grants:
            balance = self._grant(position, grant, balance, plan)
        pledges = ledgered.pledges.get(councillor.pk)
        pledged = pledges.pledged if pledges else ZERO
        if pledged > balance:
            self.report.add(
                row,
                "warn",
                record=record,
                reason=f"{councillor} has pledged {pounds(pledged)} to bids waiting for a "
                f"decision, more than the {pounds(max(balance, ZERO))} the allocation will hold: "
                "not all of those bids can be approved from it.",
            )

    def _allocation(self, fund_year: FundYear, councillor: Councillor, amount: Decimal) -> Posting:
        return Posting(
            fund_year,
            self._posted(fund_year).next_key(allocation_key(fund_year, councillor)),
            f"{fund_year.year.label} allocation of {pounds(amount)} to {councillor}: the "
            f"opening position at {self.switched}",
            [
                (Account.Kind.POT, None, "", -amount),
                (Account.Kind.ALLOCATION, councillor, "", amount),
            ],
            purpose=f"an allocation of {pounds(amount)} to {councillor}",
        )

    def _grant(self, position: Position, grant: Grant, balance: Decimal, plan: Plan) -> Decimal:
        fund_year, councillor = position.fund_year, position.councillor
        record = f"Grant {grant.reference} ({councillor})"
        what = f"{pounds(grant.committed)} committed, {pounds(grant.paid)} paid"
        ledgered = self._posted(fund_year)
        posted = ledgered.live.get(grant_key(fund_year, grant.reference))
        if posted is not None:
            amounts = ledgered.amounts[posted.pk]
            whose, taken = amounts.get(Account.Kind.ALLOCATION, (None, ZERO))
            paid = amounts.get(Account.Kind.PAID, (None, ZERO))[1]
            before = f"{pounds(-taken)} committed, {pounds(paid)} paid"
            if whose == councillor.pk and -taken == grant.committed and paid == grant.paid:
                self.report.add(
                    grant.row,
                    "unchanged",
                    column="committed",
                    value=str(grant.committed),
                    reason=f"{what}, already posted (#{posted.pk})",
                    record=record,
                )
                return balance
            if not self.correct:
                self.report.add(
                    grant.row,
                    "refuse",
                    column="committed",
                    value=str(grant.committed),
                    reason=f"{grant.reference} was posted as {before} (#{posted.pk}); the file "
                    f"says {what}"
                    + ("" if whose == councillor.pk else f" from {councillor}'s allocation")
                    + ". A posting is never edited: to put it right, import this file again "
                    "with --correct, which reverses it and posts what the file says.",
                    record=record,
                )
                return balance
            plan.reverse_first.append(posted)
            if whose == councillor.pk:
                balance -= taken  # comes back to this allocation first
        left = balance - grant.committed
        if left < 0:
            self.report.add(
                grant.row,
                "refuse",
                column="committed",
                value=str(grant.committed),
                reason=f"{councillor} has {pounds(max(balance, ZERO))} of the {fund_year} "
                f"allocation left by this row, and this grant commits {pounds(grant.committed)}: "
                f"what is committed cannot be more than the allocation (row "
                f"{position.allocation_row or position.first_row}).",
                record=record,
            )
            return balance
        plan.grants.append(self._grant_posting(fund_year, councillor, grant))
        self.report.add(
            grant.row,
            "change" if posted is not None else "create",
            column="committed",
            value=str(grant.committed),
            reason=(f"reversed #{posted.pk} and posted " if posted is not None else "") + what,
            record=record,
        )
        return left

    def _grant_posting(self, fund_year: FundYear, councillor: Councillor, grant: Grant) -> Posting:
        details = ", ".join(
            part
            for part in (
                grant.title,
                f"to {grant.organisation}" if grant.organisation else "",
                f"committed {long_date(grant.on)}" if grant.on else "",
            )
            if part
        )
        return Posting(
            fund_year,
            self._posted(fund_year).next_key(grant_key(fund_year, grant.reference)),
            f"{self.before}: {grant.reference}"
            + (f" {details}" if details else "")
            + f"; {pounds(grant.committed)} committed, {pounds(grant.paid)} paid",
            [
                (Account.Kind.ALLOCATION, councillor, "", -grant.committed),
                (
                    Account.Kind.COMMITMENT,
                    councillor,
                    grant.reference,
                    grant.committed - grant.paid,
                ),
                (Account.Kind.PAID, councillor, "", grant.paid),
            ],
            reference=grant.reference,
            purpose=f"the {pounds(grant.committed)} committed to {grant.reference}",
        )

    def _pots(self, plan: Plan) -> None:
        """Each pot must hold the allocations the file makes (they are posted before any
        corrected allocation goes back)."""
        needed: dict[int, Decimal] = defaultdict(lambda: ZERO)
        years = {}
        for posting in plan.allocations:
            needed[posting.fund_year.pk] += posting.lines[1][3]
            years[posting.fund_year.pk] = posting.fund_year
        for pk, amount in needed.items():
            fund_year = years[pk]
            has = self._posted(fund_year).balances.get(None, ZERO)
            if has < amount:
                self.report.add(
                    None,
                    "refuse",
                    column="allocation",
                    value=pounds(amount),
                    reason=f"The {fund_year} pot has {pounds(has)} unallocated, and the "
                    f"allocations in this file need {pounds(amount)}: set the fund year's budget "
                    "(in /admin/) first.",
                )

    # --- posting ------------------------------------------------------------------------------

    def apply(self, plan: object, report: Report) -> None:
        assert isinstance(plan, Plan)
        reason = "Corrected by an import of the opening position"
        for posting in plan.reverse_first:
            ledger.transaction_reverse(posting=posting, by=self.by, reason=reason)
        for step in plan.allocations:
            self._post(step)
        for posting in plan.reverse_then:
            ledger.transaction_reverse(posting=posting, by=self.by, reason=reason)
        for step in plan.grants:
            self._post(step)

    def _post(self, step: Posting) -> None:
        lines = [line for line in step.lines if line[3] != 0]  # a grant paid in full, nothing paid
        found = ledger.accounts_for(step.fund_year, [line[:3] for line in lines])
        posting = ledger.post(
            kind=Kind.OPENING,
            key=step.key,
            lines=[
                ledger.Line(account, line[3]) for account, line in zip(found, lines, strict=True)
            ],
            memo=step.memo,
            by=self.by,
            reference=step.reference,
            purpose=step.purpose,
        )
        # The key was free when the file was checked: a posting found under it now was made
        # since, by another import or allocate_year at the same moment. The same posting is
        # that file's doing and this one's alike; a different one means the two disagree.
        if posting.kind != Kind.OPENING or posting.memo != step.memo[:255]:
            raise Refused(
                f"While this file was being imported, something else posted to the ledger "
                f"under the same key ({step.key}): #{posting.pk}, {posting.memo}. Nothing from "
                "this file was imported: check it again to see where things stand."
            )


register(OpeningPositionImporter)
