"""The bank reconciliation of the grant account at the end of a day (a month end by default):
the balance per bank statement, brought to the balance per cash book by what is on its way.

    balance per bank statement
  - payments sent, not yet on a statement (unpresented)
  + refunds recorded, not yet on a statement (uncleared receipts)
  = adjusted bank balance
  - balance per cash book
  = difference (zero, or explained by the officer who prepares it)

**The cash book.** fundmgr holds no general cash book of the council's bank account: it knows
the grant payments it sent, the clawback refunds officers recorded, and the bank's statements.
So the cash book here is the one those records make, and starts where the bank's records do:

- opening balance: the bank's balance before the first line of the earliest statement imported
  for the account that shows one (its opening balance, or the running balance of its first
  day); everything the bank had already done by then is in it, and the earliest day that can
  be reconciled is the day before that first line;
- less the payments sent: payment run lines sent with a pay date on or before the day (those
  later returned included: the return is a receipt), except any the bank had already taken
  before the opening date;
- plus the clawback refunds recorded as received on or before the day (from the opening date);
- plus the payments returned by the payee's bank: the statement lines matched as returns;
- plus or minus other items: statement lines a finance officer set aside as not grant payments
  (bank charges, money moved into the account to fund the grants), entered from the statement
  once someone has said what they are.

A statement line nobody has matched or explained is therefore in the bank's balance and not in
the cash book: those lines are the difference, and are listed so that the officer can match
them or say what they are. Refunds asked for and not yet received (`expected_refunds`) are in
neither balance: they are listed for information.

The grant account is the one the council's payment runs pay from (its own settings: the sort
code and account number paid from, fundmgr.models.Council). A statement is taken to be of it
when the account it names ends with that account number, or when it names none (CSV files often
do not).

Preparing stores the figures and the lists (`finance.models.BankReconciliation`); the pages,
the spreadsheet and the PDF read what was stored, never the live figures, so a month signed off
reads the same after later imports. It can be prepared again (figures afresh) until it is
checked. Checking is by a finance officer other than the one who prepared it, and is refused
while there is a difference that the preparer has not explained; it locks the reconciliation,
which is never reopened (an auditor reads it): a later correction is the next month's.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from budgets.models import (
    Clawback,
    ClawbackRefund,
    Match,
    PaymentRunLine,
    Statement,
    StatementLine,
)
from budgets.payments import long_date, require_finance_officer
from budgets.statement_files import bank_account
from finance.models import BankReconciliation
from fundmgr.documents import document_store
from fundmgr.errors import InvalidInput, NotPermitted, Refused
from fundmgr.models import Document, User
from fundmgr.money import pounds

ZERO = Decimal("0.00")
LISTS = ("unpresented", "uncleared_receipts", "expected_refunds", "unexplained")
SENT = [
    PaymentRunLine.Status.SENT,
    PaymentRunLine.Status.CLEARED,
    PaymentRunLine.Status.RETURNED,
]


def grant_account() -> str:
    """The grant account of the council the work is for, as statements and reconciliations name
    it: 30-99-50 10203040."""
    from fundmgr.council_settings import council_for

    council = council_for()
    if council is None:
        raise Refused("A bank reconciliation is of one council's account: this work is for none.")
    given = f"{council.bacs_sort_code} {council.bacs_account_number}".strip()
    return bank_account(given) or given


def last_month_end(today: datetime.date | None = None) -> datetime.date:
    """The last day of the month before this one: the date a reconciliation is usually at."""
    today = today or timezone.localdate()
    return today.replace(day=1) - datetime.timedelta(days=1)


@dataclass(frozen=True)
class Item:
    """One line of a list on the reconciliation: a payment, a refund or a statement line."""

    date: datetime.date
    reference: str
    description: str
    amount: Decimal

    @classmethod
    def stored(cls, row: dict) -> Item:
        return cls(
            date=datetime.date.fromisoformat(row["date"]),
            reference=row["reference"],
            description=row["description"],
            amount=Decimal(row["amount"]),
        )

    def stored_form(self) -> dict[str, str]:
        """As JSON keeps it: the date in ISO form and the amount as a string, never a float."""
        return {
            "date": self.date.isoformat(),
            "reference": self.reference,
            "description": self.description,
            "amount": str(self.amount),
        }


@dataclass
class Figures:
    """The reconciliation at the end of `as_at`, worked out from what the database holds now."""

    account: str
    as_at: datetime.date
    opening_date: datetime.date
    opening_balance: Decimal
    statement_balance: Decimal
    statement_balance_source: str
    payments_total: Decimal = ZERO
    refunds_total: Decimal = ZERO
    returns_total: Decimal = ZERO
    other_items_total: Decimal = ZERO
    unpresented: list[Item] = field(default_factory=list)
    uncleared_receipts: list[Item] = field(default_factory=list)
    expected_refunds: list[Item] = field(default_factory=list)
    unexplained: list[Item] = field(default_factory=list)

    @staticmethod
    def total(items: Iterable[Item]) -> Decimal:
        return sum((item.amount for item in items), ZERO)

    @property
    def cash_book_balance(self) -> Decimal:
        return (
            self.opening_balance
            - self.payments_total
            + self.refunds_total
            + self.returns_total
            + self.other_items_total
        )

    @property
    def adjusted_balance(self) -> Decimal:
        return (
            self.statement_balance
            - self.total(self.unpresented)
            + self.total(self.uncleared_receipts)
        )

    @property
    def difference(self) -> Decimal:
        return self.adjusted_balance - self.cash_book_balance


# --- working out the figures ------------------------------------------------------------------


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def statements_of(account: str) -> list[Statement]:
    """The statements of `account`, earliest first: those naming it (ending with its account
    number, as an IBAN or sort code and number does) and those naming no account."""
    number = _digits(account)[-8:]
    found = [
        s
        for s in Statement.objects.filter(first_date__isnull=False).order_by("first_date", "pk")
        if not s.account.strip() or (number and _digits(s.account).endswith(number))
    ]
    return found


def _day_start(lines: list[StatementLine]) -> Decimal | None:
    """The balance before the first of one day's lines, from their running balances, whatever
    order the bank listed them in; None when the lines print no balance."""
    moved = sum((line.amount for line in lines), ZERO)
    ends = {line.balance for line in lines if line.balance is not None}
    for line in lines:
        if line.balance is not None and line.balance - line.amount + moved in ends:
            return line.balance - line.amount
    return None


def _opening(statements: list[Statement]) -> tuple[Statement, Decimal]:
    for statement in statements:
        if statement.opening_balance is not None:
            return statement, statement.opening_balance
        first_day = statement.lines.order_by("date").values_list("date", flat=True).first()
        start = _day_start(list(statement.lines.filter(date=first_day))) if first_day else None
        if start is not None:
            return statement, start
    raise Refused(
        "The bank's balance is not known: import a statement that shows an opening balance or a "
        "running balance, then prepare the reconciliation."
    )


def _statement_balance(lines: list[StatementLine], worked_out: Decimal) -> tuple[Decimal, str]:
    """The bank's balance at the end of the last day of `lines` (one day's lines), as the bank
    printed it when it did; otherwise worked out from the opening balance and the lines."""
    if lines:
        start = _day_start(lines)
        if start is not None:
            end = start + sum((line.amount for line in lines), ZERO)
            last = next(line for line in reversed(lines) if line.balance == end)
            return end, (
                f"The bank's balance after line {last.number} of statement {last.statement_id}, "
                f"{last.date:%d/%m/%Y}."
            )
    return worked_out, (
        "Worked out from the opening balance and the statement lines: the statement prints no "
        "balance for that day."
    )


def figures(*, as_at: datetime.date, account: str | None = None) -> Figures:
    """The reconciliation of `account` (by default the grant account) at the end of `as_at`,
    from what the database holds now. Refused when no statement shows a balance, or when the
    day ends before the bank's first known balance."""
    account = account or grant_account()
    statements = statements_of(account)
    if not statements:
        raise Refused(f"No bank statement of account {account} has been imported yet.")
    first, opening = _opening(statements)
    start: datetime.date = first.first_date  # type: ignore[assignment]
    earliest = start - datetime.timedelta(days=1)  # the opening balance is that day's close
    if as_at < earliest:
        raise InvalidInput(
            f"The bank's first known balance of account {account} is at the start of "
            f"{long_date(start)}: choose {long_date(earliest)} or a later day."
        )
    lines = StatementLine.objects.filter(statement__in=statements, date__gte=start, date__lte=as_at)
    moved = lines.aggregate(total=Sum("amount"))["total"] or ZERO
    last_day = lines.order_by("-date").values_list("date", flat=True).first()
    day_lines = (
        list(lines.filter(date=last_day).order_by("statement_id", "number")) if last_day else []
    )
    if day_lines:
        balance, source = _statement_balance(day_lines, opening + moved)
    else:
        balance, source = (
            opening,
            (
                f"The bank's opening balance of statement {first.pk}, before its first line on "
                f"{start:%d/%m/%Y}."
            ),
        )
    result = Figures(
        account=account,
        as_at=as_at,
        opening_date=start,
        opening_balance=opening,
        statement_balance=balance,
        statement_balance_source=source,
    )

    # Payments: every line sent by the day, less those the bank took before the opening date.
    on_statement = Q(
        matches__kind=Match.Kind.CLEARED,
        matches__undone_at__isnull=True,
        matches__line__date__lte=as_at,
    ) | Q(cleared_on__lte=as_at)
    before_opening = Q(
        matches__kind=Match.Kind.CLEARED,
        matches__undone_at__isnull=True,
        matches__line__date__lt=start,
    ) | Q(cleared_on__lt=start)
    sent = PaymentRunLine.objects.filter(status__in=SENT, run__pay_date__lte=as_at)
    in_book = sent.exclude(pk__in=sent.filter(before_opening).values("pk"))
    result.payments_total = in_book.aggregate(total=Sum("amount"))["total"] or ZERO
    result.unpresented = [
        Item(
            date=line.run.pay_date,
            reference=line.reference,
            description=f"{line.payee}, payment run {line.run.number}",
            amount=line.amount,
        )
        for line in in_book.exclude(pk__in=sent.filter(on_statement).values("pk"))
        .select_related("run")
        .order_by("run__pay_date", "reference")
    ]

    # Refunds recorded: in the cash book from their day; uncleared until on a statement.
    refunds = (
        ClawbackRefund.objects.filter(received_on__gte=start, received_on__lte=as_at)
        .exclude(statement_line__date__lt=start)
        .select_related("clawback", "statement_line")
        .order_by("received_on", "pk")
    )
    result.refunds_total = sum((r.amount for r in refunds), ZERO)
    result.uncleared_receipts = [
        Item(
            date=r.received_on,
            reference=r.clawback.reference,
            description=f"{r.clawback.payee}, refund of {r.clawback.number}",
            amount=r.amount,
        )
        for r in refunds
        if r.statement_line is None or r.statement_line.date > as_at
    ]

    # Entered from the statement: returns, and the lines an officer said are not grant money.
    def lines_total(status: str) -> Decimal:
        return lines.filter(status=status).aggregate(total=Sum("amount"))["total"] or ZERO

    result.returns_total = lines_total(StatementLine.Status.RETURNED)
    result.other_items_total = lines_total(StatementLine.Status.SET_ASIDE)
    result.unexplained = [
        Item(
            date=line.date,
            reference=f"Statement {line.statement_id}, line {line.number}",
            description=line.description,
            amount=line.amount,
        )
        for line in lines.filter(status=StatementLine.Status.UNMATCHED).order_by(
            "date", "statement_id", "number"
        )
    ]

    # Refunds asked for and not yet received by the day: for information only.
    received = {
        row["clawback"]: row["total"]
        for row in ClawbackRefund.objects.filter(received_on__lte=as_at)
        .values("clawback")
        .annotate(total=Sum("amount"))
    }
    for claim in (
        Clawback.objects.exclude(status=Clawback.Status.CANCELLED)
        .filter(raised_at__date__lte=as_at)
        .order_by("raised_at", "pk")
    ):
        owed = claim.amount - received.get(claim.pk, ZERO)
        if owed > 0:
            result.expected_refunds.append(
                Item(
                    date=timezone.localtime(claim.raised_at).date(),
                    reference=claim.reference,
                    description=f"{claim.payee}, {claim.number}: {claim.reason}",
                    amount=owed,
                )
            )
    return result


def stored_items(reconciliation: BankReconciliation) -> dict[str, list[Item]]:
    """The lists as they were when the reconciliation was prepared."""
    return {
        name: [Item.stored(row) for row in reconciliation.items.get(name, [])] for name in LISTS
    }


# --- the services -----------------------------------------------------------------------------


def reconciliation_prepare(
    *, as_at: datetime.date, by: User, explanation: str = "", account: str | None = None
) -> BankReconciliation:
    """Work out and store the reconciliation at the end of `as_at`. Preparing a day again
    replaces its figures until someone has checked it; once checked it is locked. A
    difference may be left at this step, with or without an explanation: checking refuses an
    unexplained one."""
    require_finance_officer(by, "prepare a bank reconciliation")
    if as_at >= timezone.localdate():
        raise InvalidInput(
            "A reconciliation is of a day that has ended: choose yesterday or an earlier day."
        )
    with transaction.atomic():
        found = figures(as_at=as_at, account=account)
        values = {
            "opening_date": found.opening_date,
            "opening_balance": found.opening_balance,
            "statement_balance": found.statement_balance,
            "statement_balance_source": found.statement_balance_source[:255],
            "unpresented_total": found.total(found.unpresented),
            "uncleared_receipts_total": found.total(found.uncleared_receipts),
            "expected_refunds_total": found.total(found.expected_refunds),
            "unexplained_total": found.total(found.unexplained),
            "payments_total": found.payments_total,
            "refunds_total": found.refunds_total,
            "returns_total": found.returns_total,
            "other_items_total": found.other_items_total,
            "cash_book_balance": found.cash_book_balance,
            "difference": found.difference,
            "items": {
                name: [item.stored_form() for item in getattr(found, name)] for name in LISTS
            },
            "explanation": explanation.strip(),
            "prepared_by": by,
            "prepared_at": timezone.now(),
        }
        earlier = (
            BankReconciliation.objects.select_for_update()
            .filter(account=found.account, as_at=as_at)
            .first()
        )
        if earlier is not None and earlier.locked:
            raise Refused(_locked(earlier))
        if earlier is not None:
            moved = BankReconciliation.objects.filter(pk=earlier.pk, locked=False).update(**values)
            if moved != 1:
                raise Refused("Another officer checked this reconciliation a moment ago.")
            earlier.refresh_from_db()
            return earlier
        try:
            with transaction.atomic():
                return BankReconciliation.objects.create(
                    account=found.account, as_at=as_at, **values
                )
        except IntegrityError:
            raise Refused(
                f"Another officer prepared the reconciliation at {long_date(as_at)} a moment "
                "ago: look at it again."
            ) from None


def _locked(reconciliation: BankReconciliation) -> str:
    when = timezone.localtime(reconciliation.checked_at) if reconciliation.checked_at else None
    on = f" on {long_date(when.date())}" if when else ""
    return (
        f"The reconciliation at {long_date(reconciliation.as_at)} was checked by "
        f"{reconciliation.checked_by}{on} and is locked: it cannot be changed."
    )


@transaction.atomic
def reconciliation_check(*, reconciliation: BankReconciliation, by: User) -> BankReconciliation:
    """Another finance officer checks the reconciliation and signs it off, which locks it.
    Refused to the officer who prepared it, and while a difference is not explained."""
    require_finance_officer(by, "check a bank reconciliation")
    current = BankReconciliation.objects.select_for_update().get(pk=reconciliation.pk)
    if current.locked:
        raise Refused(_locked(current))
    if current.prepared_by_id == by.pk:
        raise NotPermitted(
            "You prepared this reconciliation, so another finance officer must check it."
        )
    if current.difference != ZERO and not current.explanation.strip():
        raise Refused(
            f"The difference of {pounds(current.difference)} is not explained: match the lines "
            "or prepare the reconciliation again saying what the difference is."
        )
    moved = BankReconciliation.objects.filter(pk=current.pk, locked=False).update(
        checked_by=by, checked_at=timezone.now(), locked=True
    )
    if moved != 1:
        raise Refused("Another officer checked this reconciliation a moment ago.")
    current.refresh_from_db()
    return current


# --- the spreadsheet and the PDF --------------------------------------------------------------

SECTIONS = (
    ("unpresented", "Payments sent, not yet on a statement"),
    ("uncleared_receipts", "Refunds recorded, not yet on a statement"),
    ("unexplained", "Statement lines not yet matched or explained"),
    ("expected_refunds", "Refunds asked for, not yet received (for information)"),
)


def summary(reconciliation: BankReconciliation) -> list[tuple[str, Decimal]]:
    """The statement of the reconciliation, top to bottom, as every format shows it."""
    r = reconciliation
    return [
        ("Balance per bank statement", r.statement_balance),
        ("Less payments sent, not yet on a statement", -r.unpresented_total),
        ("Add refunds recorded, not yet on a statement", r.uncleared_receipts_total),
        ("Adjusted bank balance", r.adjusted_balance),
        (f"Cash book: opening balance at {r.opening_date:%d/%m/%Y}", r.opening_balance),
        ("Cash book: less payments sent", -r.payments_total),
        ("Cash book: add refunds received", r.refunds_total),
        ("Cash book: add payments returned by the bank", r.returns_total),
        ("Cash book: other items entered from the statement", r.other_items_total),
        ("Balance per cash book", r.cash_book_balance),
        ("Difference", r.difference),
    ]


def signatures(reconciliation: BankReconciliation) -> list[tuple[str, str]]:
    r = reconciliation

    def who(user, at) -> str:
        return f"{user} on {timezone.localtime(at):%d/%m/%Y %H:%M}" if user else "Not yet"

    return [
        ("Prepared by", who(r.prepared_by, r.prepared_at)),
        ("Checked by", who(r.checked_by, r.checked_at)),
        ("Status", "Checked and locked" if r.locked else "Waiting to be checked"),
    ]


def title(reconciliation: BankReconciliation) -> str:
    return f"Bank reconciliation at {long_date(reconciliation.as_at)}"


def reference(reconciliation: BankReconciliation) -> str:
    return f"BANKREC-{reconciliation.as_at:%Y-%m-%d}"


def xlsx(reconciliation: BankReconciliation) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    money = '"£"#,##0.00;-"£"#,##0.00'
    r = reconciliation
    book = Workbook()
    sheet = book.active
    sheet.title = "Reconciliation"
    sheet.append([title(r)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"Account {r.account}"])
    sheet.append([r.statement_balance_source])
    sheet.append([])
    for label, amount in summary(r):
        sheet.append([label, amount])
        sheet.cell(row=sheet.max_row, column=2).number_format = money
        if not label.startswith(("Less", "Add", "Cash book:")):
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    sheet.append(["Explanation of the difference", r.explanation])
    sheet.append([])
    for label, value in signatures(r):
        sheet.append([label, value])
    sheet.column_dimensions["A"].width = 52
    sheet.column_dimensions["B"].width = 34
    lists = stored_items(r)
    for name, heading in SECTIONS:
        ws = book.create_sheet(heading.split(",")[0][:31])
        ws.append([heading])
        ws["A1"].font = Font(bold=True)
        ws.append(["Date", "Reference", "Description", "Amount"])
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for item in lists[name]:
            ws.append([item.date, item.reference, item.description, item.amount])
            ws.cell(row=ws.max_row, column=1).number_format = "dd/mm/yyyy"
            ws.cell(row=ws.max_row, column=4).number_format = money
        ws.append(["Total", "", "", Figures.total(lists[name])])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
        ws.cell(row=ws.max_row, column=4).number_format = money
        ws.freeze_panes = "A3"
        for i, width in enumerate((12, 34, 52, 14), start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf(reconciliation: BankReconciliation) -> bytes:
    from fundmgr import letterhead as lh

    r = reconciliation
    story = [
        lh.heading(title(r)),
        lh.paragraph(
            f"Account {r.account}, at the end of {lh.long_date(r.as_at)}. "
            f"{r.statement_balance_source}"
        ),
        lh.key_values(summary(r), label_width=0.7, align_amounts=True),
    ]
    if r.difference != ZERO:
        story += [
            lh.space(),
            lh.paragraph(
                f"Explanation of the difference: {r.explanation}"
                if r.explanation
                else "The difference is not yet explained."
            ),
        ]
    story += [lh.space(), lh.key_values(signatures(r))]
    lists = stored_items(r)
    for name, heading in SECTIONS:
        if lists[name]:
            story += [
                lh.space(),
                lh.heading(heading, level=2),
                lh.amounts_table(
                    ["Date", "Reference", "Description", "Amount"],
                    [
                        [
                            item.date.strftime("%d/%m/%Y"),
                            item.reference,
                            item.description,
                            item.amount,
                        ]
                        for item in lists[name]
                    ],
                    widths=[0.13, 0.27, 0.4, 0.2],
                    amounts=[3],
                    total=Figures.total(lists[name]),
                ),
            ]
    return lh.render(story, title=title(r), reference=reference(r), council=r)


def stored_pdf(reconciliation: BankReconciliation, *, by: User) -> Document:
    """The PDF kept as a document with its SHA-256 (a new version when the reconciliation was
    prepared again or checked since), so any copy someone holds can be checked."""
    return document_store(
        kind="bank-reconciliation",
        reference=reference(reconciliation),
        key=f"bank-reconciliation:{reconciliation.pk}",
        description=title(reconciliation),
        content=pdf(reconciliation),
        by=by,
    )
