"""Reconciliation: statement lines matched to the payments that were sent, so that what the
ledger says was paid is proved, line by line, to have left the bank.

The rules, the same in the pandas matcher (`match_frames`) and the plain-Python one
(`match_plain`, which the benchmark checks it against):

1. By reference. A line of money out whose free text carries a payment's reference
   (CCIF26-000123/1) and whose amount is that payment's is matched to it. Two lines carrying one
   reference: the earlier line (lower id) takes it.
2. By amount and date, for lines that carry no reference. For each distance in days, in the
   order 0, payment a day before the line, a day after, two days before, ... up to `window`,
   lines and payments of the same amount that far apart are paired, in order of id: the lowest
   line with the lowest payment. Among grants of the same round sum this settles every tie the
   same way each time.

A line carrying a reference that matches nothing is left for a person (it names a payment, so
it is never matched to another by amount); so is money in (a return, a refund).
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from budgets.models import (
    Match,
    Payment,
    PaymentEvent,
    PaymentRunLine,
    Statement,
    StatementLine,
)
from budgets.payments import require_finance_officer, run_line_mark_returned
from budgets.statement_files import Layout, StatementError, read_statement
from fundmgr.errors import InvalidInput, Refused
from fundmgr.models import User
from fundmgr.money import pounds

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

WINDOW_DAYS = 5
EPOCH = datetime.date(1970, 1, 1)


def offsets(window: int) -> list[int]:
    """Payment date minus line date, in the order tried: 0, -1, 1, -2, 2, ..."""
    order = [0]
    for days in range(1, window + 1):
        order += [-days, days]
    return order


def day_numbers(dates) -> np.ndarray:
    import numpy as np

    return np.asarray(dates, dtype="datetime64[D]").astype(np.int64)


# --- the matchers ---------------------------------------------------------------------------


def _ranks(keys: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Each row's place among the rows with the same key, in order of id (0, 1, 2, ...)."""
    import numpy as np

    order = np.lexsort((ids, keys))
    sorted_keys = keys[order]
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = sorted_keys[1:] != sorted_keys[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(keys)), 0))
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[order] = np.arange(len(keys)) - first
    return ranks


def match_frames(payments: pd.DataFrame, lines: pd.DataFrame, window: int = WINDOW_DAYS):
    """payments: id, reference, pence, day; lines: id, reference, pence (money out, positive),
    day. Days are integers (days since 1970). Returns a frame of line, payment, method, sorted
    by line. Vectorised: a hash lookup of references, then per date distance one sort and one
    sorted intersection of (amount, day, rank) keys, whatever the number of rows."""
    import numpy as np
    import pandas as pd

    if payments.empty or lines.empty:
        return pd.DataFrame(
            {"line": pd.Series(dtype="int64"), "payment": pd.Series(dtype="int64"), "method": []}
        )
    pay_ids = payments["id"].to_numpy(np.int64)
    pay_pence = payments["pence"].to_numpy(np.int64)
    pay_days = payments["day"].to_numpy(np.int64)
    line_ids = lines["id"].to_numpy(np.int64)
    line_pence = lines["pence"].to_numpy(np.int64)
    line_days = lines["day"].to_numpy(np.int64)
    has_reference = (lines["reference"] != "").to_numpy(bool)

    # 1. By reference (payment references are unique), amounts equal; the earlier line wins.
    # References become integer codes, shared by both sides, so the lookup is an array index.
    codes, uniques = pd.factorize(
        pd.concat([payments["reference"], lines["reference"]], ignore_index=True)
    )
    pay_codes, line_codes = codes[: len(pay_ids)], codes[len(pay_ids) :]
    if len(pay_codes) and np.bincount(pay_codes).max() > 1:
        raise ValueError("payment references must be unique")
    payment_at = np.full(len(uniques), -1, dtype=np.int64)
    payment_at[pay_codes] = np.arange(len(pay_codes))
    at = payment_at[line_codes]
    hit = (at >= 0) & has_reference
    hit[hit] = pay_pence[at[hit]] == line_pence[hit]
    hit_lines, hit_payments = line_ids[hit], pay_ids[at[hit]]
    order = np.argsort(hit_lines, kind="stable")
    hit_lines, hit_payments = hit_lines[order], hit_payments[order]
    _, first = np.unique(hit_payments, return_index=True)
    found_lines, found_payments = [hit_lines[first]], [hit_payments[first]]
    methods = [np.zeros(len(first), dtype=np.int8)]

    # 2. By amount and date, lines without a reference, nearest day first.
    open_line = ~has_reference
    open_payment = ~np.isin(pay_ids, hit_payments[first])
    # Small integers for amounts and days, so that the combined keys below cannot overflow.
    _, codes = np.unique(np.concatenate([line_pence, pay_pence]), return_inverse=True)
    line_code, pay_code = codes[: len(line_pence)], codes[len(line_pence) :]
    day0 = int(min(line_days.min(), pay_days.min())) - window
    span = int(max(line_days.max(), pay_days.max())) + window - day0 + 1
    for offset in offsets(window):
        lines_left, payments_left = np.flatnonzero(open_line), np.flatnonzero(open_payment)
        if not len(lines_left) or not len(payments_left):
            break
        line_keys = line_code[lines_left] * span + line_days[lines_left] - day0 + offset
        pay_keys = pay_code[payments_left] * span + pay_days[payments_left] - day0
        # (amount, day, rank) as one integer: the k-th line of a cell meets its k-th payment.
        scale = max(len(lines_left), len(payments_left))
        line_cells = line_keys * scale + _ranks(line_keys, line_ids[lines_left])
        pay_cells = pay_keys * scale + _ranks(pay_keys, pay_ids[payments_left])
        _, li, pi = np.intersect1d(line_cells, pay_cells, assume_unique=True, return_indices=True)
        if not len(li):
            continue
        found_lines.append(line_ids[lines_left[li]])
        found_payments.append(pay_ids[payments_left[pi]])
        methods.append(np.ones(len(li), dtype=np.int8))
        open_line[lines_left[li]] = False
        open_payment[payments_left[pi]] = False

    matched_lines, matched_payments = np.concatenate(found_lines), np.concatenate(found_payments)
    order = np.argsort(matched_lines, kind="stable")
    return pd.DataFrame(
        {
            "line": matched_lines[order],
            "payment": matched_payments[order],
            "method": pd.Categorical.from_codes(
                np.concatenate(methods)[order], categories=["reference", "amount_date"]
            ),
        }
    )


def match_plain(
    payments: Iterable[tuple[int, str, int, int]],
    lines: Iterable[tuple[int, str, int, int]],
    window: int = WINDOW_DAYS,
) -> list[tuple[int, int, str]]:
    """The same rules in plain Python, for (id, reference, pence, day) tuples: what the pandas
    matcher must agree with. Returns (line, payment, method), sorted by line."""
    payments = sorted(payments)
    lines = sorted(lines)
    by_reference = {(reference, pence): pid for pid, reference, pence, _ in payments}
    used: set[int] = set()
    result: list[tuple[int, int, str]] = []
    waiting = []
    for lid, reference, pence, day in lines:
        if not reference:
            waiting.append((lid, pence, day))
            continue
        pid = by_reference.get((reference, pence))
        if pid is not None and pid not in used:
            used.add(pid)
            result.append((lid, pid, "reference"))
    cells: dict[tuple[int, int], deque] = defaultdict(deque)
    for pid, _, pence, day in payments:
        if pid not in used:
            cells[(pence, day)].append(pid)
    for offset in offsets(window):
        still = []
        for lid, pence, day in waiting:
            cell = cells.get((pence, day + offset))
            if cell:
                result.append((lid, cell.popleft(), "amount_date"))
            else:
                still.append((lid, pence, day))
        waiting = still
    return sorted(result)


# --- reading what is waiting ----------------------------------------------------------------


def sent_payments() -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    rows = list(
        PaymentRunLine.objects.filter(status=PaymentRunLine.Status.SENT).values_list(
            "id", "reference", "amount", "run__pay_date"
        )
    )
    return pd.DataFrame(
        {
            "id": np.array([r[0] for r in rows], dtype=np.int64),
            "reference": [r[1] for r in rows],
            "pence": np.array([int(r[2] * 100) for r in rows], dtype=np.int64),
            "day": day_numbers([r[3] for r in rows]),
        }
    )


def unmatched_money_out() -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    rows = list(
        StatementLine.objects.filter(
            status=StatementLine.Status.UNMATCHED, amount__lt=0
        ).values_list("id", "reference", "amount", "date")
    )
    return pd.DataFrame(
        {
            "id": np.array([r[0] for r in rows], dtype=np.int64),
            "reference": [r[1] for r in rows],
            "pence": np.array([int(-r[2] * 100) for r in rows], dtype=np.int64),
            "day": day_numbers([r[3] for r in rows]),
        }
    )


# --- services -------------------------------------------------------------------------------


@dataclass
class Imported:
    statement: Statement
    matched: int
    skipped: int


def _clear(pairs: list[tuple[StatementLine, PaymentRunLine, str]], by: User) -> None:
    """Mark each run line cleared by its statement line, in the caller's transaction. A run line
    someone else cleared a moment ago refuses the whole step."""
    if not pairs:
        return
    run_ids = [run_line.pk for _, run_line, _ in pairs]
    moved = PaymentRunLine.objects.filter(pk__in=run_ids, status=PaymentRunLine.Status.SENT).update(
        status=PaymentRunLine.Status.CLEARED
    )
    if moved != len(run_ids):
        raise Refused("Another officer matched some of these payments a moment ago: look again.")
    by_date: dict[datetime.date, list[int]] = defaultdict(list)
    for line, run_line, _ in pairs:
        by_date[line.date].append(run_line.pk)
    for day, ids in by_date.items():
        PaymentRunLine.objects.filter(pk__in=ids).update(cleared_on=day)
    StatementLine.objects.filter(pk__in=[line.pk for line, _, _ in pairs]).update(
        status=StatementLine.Status.MATCHED
    )
    Payment.objects.filter(run_lines__pk__in=run_ids).update(status=Payment.Status.CLEARED)
    who = by if getattr(by, "pk", None) else None
    try:
        with transaction.atomic():
            Match.objects.bulk_create(
                Match(line=line, run_line=run_line, method=method, matched_by=who)
                for line, run_line, method in pairs
            )
    except IntegrityError:
        raise Refused("A payment would be cleared twice: nothing was matched.") from None
    PaymentEvent.objects.bulk_create(
        PaymentEvent(
            payment_id=run_line.payment_id,
            kind=PaymentEvent.Kind.CLEARED,
            run_id=run_line.run_id,
            by=who,
            note=f"Statement {line.statement_id}, line {line.number}, {line.date:%d/%m/%Y}",
        )
        for line, run_line, _ in pairs
    )


def reconcile(*, by: User, window: int = WINDOW_DAYS) -> int:
    """Match every unmatched line of money out against every payment sent and not yet
    cleared. Safe to run again: what is matched is not looked at twice."""
    with transaction.atomic():
        found = match_frames(sent_payments(), unmatched_money_out(), window)
        if found.empty:
            return 0
        lines = StatementLine.objects.in_bulk(found["line"].tolist())
        run_lines = PaymentRunLine.objects.in_bulk(found["payment"].tolist())
        _clear(
            [
                (lines[int(row.line)], run_lines[int(row.payment)], row.method)
                for row in found.itertuples(index=False)
            ],
            by,
        )
        return len(found)


def statement_import(
    *, content: bytes, filename: str, by: User, layout: Layout | None = None
) -> Imported:
    """Import a bank statement whole, or nothing, then match it. The same file twice changes
    nothing; a line an earlier statement already holds (the same bank id) is skipped."""
    require_finance_officer(by, "import a bank statement")
    digest = hashlib.sha256(content).hexdigest()
    earlier = Statement.objects.filter(sha256=digest).select_related("imported_by").first()
    if earlier is not None:
        raise Refused(_duplicate(earlier))
    try:
        parsed = read_statement(content, layout)
    except StatementError as error:
        raise InvalidInput(f"{error} Nothing was imported.") from None
    frame = parsed.lines
    skipped = 0
    ids = [b for b in frame["bank_id"].tolist() if b]
    if ids:
        known = set(StatementLine.objects.filter(bank_id__in=ids).values_list("bank_id", flat=True))
        if known:
            keep = ~frame["bank_id"].isin(known).to_numpy()
            skipped = int((~keep).sum())
            frame = frame[keep]
        if frame.empty:
            raise Refused(
                f"Every line of {filename} is in an earlier statement already: nothing was "
                "imported."
            )
    amounts = frame["pence"]
    with transaction.atomic():
        try:
            with transaction.atomic():
                statement = Statement.objects.create(
                    sha256=digest,
                    filename=filename[:255],
                    format=parsed.format,
                    layout=parsed.layout.split(" (")[0][:60],
                    account=parsed.account,
                    line_count=len(frame),
                    first_date=frame["date"].min().date(),
                    last_date=frame["date"].max().date(),
                    money_out=Decimal(int(-amounts[amounts < 0].sum())) / 100,
                    money_in=Decimal(int(amounts[amounts > 0].sum())) / 100,
                    imported_by=by,
                )
        except IntegrityError:
            earlier = Statement.objects.filter(sha256=digest).select_related("imported_by").first()
            raise Refused(_duplicate(earlier)) from None
        StatementLine.objects.bulk_create(
            (
                StatementLine(
                    statement=statement,
                    number=int(row.number),
                    date=row.date.date(),
                    amount=Decimal(int(row.pence)) / 100,
                    description=row.description,
                    reference=row.reference,
                    bank_id=row.bank_id,
                )
                for row in frame.itertuples(index=False)
            ),
            batch_size=2000,
        )
        matched = reconcile(by=by)
    return Imported(statement=statement, matched=matched, skipped=skipped)


def _duplicate(earlier: Statement | None) -> str:
    if earlier is None:
        return "This file is being imported by someone else right now: nothing was imported."
    return (
        f"This file was imported already, as statement {earlier.pk} on "
        f"{timezone.localtime(earlier.imported_at):%d %B %Y at %H:%M} by {earlier.imported_by}. "
        "Nothing was imported again."
    )


def _line_for_update(line: StatementLine) -> StatementLine:
    return StatementLine.objects.select_for_update().get(pk=line.pk)


@transaction.atomic
def match_by_hand(*, line: StatementLine, run_line: PaymentRunLine, by: User) -> Match:
    require_finance_officer(by, "match a statement line")
    line = _line_for_update(line)
    run_line = PaymentRunLine.objects.select_for_update().get(pk=run_line.pk)
    if line.status != StatementLine.Status.UNMATCHED:
        raise Refused(f"Line {line.number} is {line.get_status_display().lower()} already.")
    if line.amount >= 0:
        raise Refused(f"Line {line.number} is money in: only money out can clear a payment.")
    if run_line.status != PaymentRunLine.Status.SENT:
        raise Refused(
            f"{run_line.reference} is {run_line.get_status_display().lower()}: only a payment "
            "sent and not yet cleared can be matched."
        )
    if -line.amount != run_line.amount:
        raise Refused(
            f"Line {line.number} is {pounds(-line.amount)} out, but {run_line.reference} paid "
            f"{pounds(run_line.amount)}: the amounts must agree."
        )
    _clear([(line, run_line, Match.Method.MANUAL)], by)
    return Match.objects.get(line=line, undone_at__isnull=True)


@transaction.atomic
def match_undo(*, match: Match, by: User, reason: str) -> Match:
    """Undo a match: the line is unmatched again and the payment no longer cleared (or, for a
    return, sent again). A payment already reissued after its return cannot be undone."""
    require_finance_officer(by, "undo a match")
    if not reason.strip():
        raise InvalidInput("Say why the match is wrong.")
    match = Match.objects.select_for_update().select_related("line", "run_line").get(pk=match.pk)
    if match.undone_at is not None:
        raise Refused("This match has been undone already.")
    run_line = PaymentRunLine.objects.select_for_update().get(pk=match.run_line_id)
    payment = Payment.objects.select_for_update().get(pk=run_line.payment_id)
    if match.kind == Match.Kind.RETURNED:
        if payment.status != Payment.Status.RETURNED:
            raise Refused(
                f"{payment.reference} has been reissued since it came back: the return stands."
            )
        cleared = run_line.matches.filter(kind=Match.Kind.CLEARED, undone_at__isnull=True)
        status = PaymentRunLine.Status.CLEARED if cleared.exists() else PaymentRunLine.Status.SENT
        PaymentRunLine.objects.filter(pk=run_line.pk).update(status=status)
        Payment.objects.filter(pk=payment.pk).update(status=status)
    else:
        if run_line.status != PaymentRunLine.Status.CLEARED:
            raise Refused(
                f"{run_line.reference} is {run_line.get_status_display().lower()}: undo that first."
            )
        PaymentRunLine.objects.filter(pk=run_line.pk).update(
            status=PaymentRunLine.Status.SENT, cleared_on=None
        )
        Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.SENT)
    StatementLine.objects.filter(pk=match.line_id).update(status=StatementLine.Status.UNMATCHED)
    Match.objects.filter(pk=match.pk).update(
        undone_at=timezone.now(), undone_by=by, undo_reason=reason.strip()[:255]
    )
    PaymentEvent.objects.create(
        payment=payment,
        kind=PaymentEvent.Kind.UNCLEARED,
        run_id=run_line.run_id,
        by=by,
        note=f"Statement line {match.line.number}: {reason.strip()}"[:255],
    )
    match.refresh_from_db()
    return match


@transaction.atomic
def match_returned_payment(*, line: StatementLine, run_line: PaymentRunLine, by: User) -> Match:
    """Money in that is a payment sent back by the payee's bank: the payment waits to be
    reissued (see budgets.payments.run_line_mark_returned)."""
    require_finance_officer(by, "record a returned payment")
    line = _line_for_update(line)
    if line.status != StatementLine.Status.UNMATCHED:
        raise Refused(f"Line {line.number} is {line.get_status_display().lower()} already.")
    if line.amount <= 0:
        raise Refused(f"Line {line.number} is money out: a returned payment comes back in.")
    if line.amount != run_line.amount:
        raise Refused(
            f"Line {line.number} brought {pounds(line.amount)} in, but {run_line.reference} paid "
            f"{pounds(run_line.amount)}: the amounts must agree."
        )
    run_line_mark_returned(
        line=run_line, by=by, note=f"Statement {line.statement_id}, line {line.number}"
    )
    StatementLine.objects.filter(pk=line.pk).update(status=StatementLine.Status.RETURNED)
    return Match.objects.create(
        line=line,
        run_line=run_line,
        kind=Match.Kind.RETURNED,
        method=Match.Method.MANUAL,
        matched_by=by,
    )


@transaction.atomic
def line_set_aside(*, line: StatementLine, by: User, note: str) -> StatementLine:
    """A line that is not a grant payment (a bank charge, another service's payment)."""
    require_finance_officer(by, "set a statement line aside")
    if not note.strip():
        raise InvalidInput("Say what the line is, since it is not a grant payment.")
    moved = StatementLine.objects.filter(pk=line.pk, status=StatementLine.Status.UNMATCHED).update(
        status=StatementLine.Status.SET_ASIDE, note=note.strip()[:255]
    )
    line.refresh_from_db()
    if moved != 1:
        raise Refused(f"Line {line.number} is {line.get_status_display().lower()} already.")
    return line


@transaction.atomic
def line_restore(*, line: StatementLine, by: User) -> StatementLine:
    require_finance_officer(by, "put a statement line back")
    moved = StatementLine.objects.filter(pk=line.pk, status=StatementLine.Status.SET_ASIDE).update(
        status=StatementLine.Status.UNMATCHED, note=""
    )
    line.refresh_from_db()
    if moved != 1:
        raise Refused(f"Line {line.number} was not set aside.")
    return line


def suggestions(lines: list[StatementLine]) -> dict[int, list[PaymentRunLine]]:
    """For each unmatched line, the payments a person might match it to: for money out, sent
    payments of the same amount; for money in, the payment its reference names. Two queries."""
    out = {-line.amount for line in lines if line.amount < 0}
    references = {line.reference for line in lines if line.amount > 0 and line.reference}
    candidates = list(
        PaymentRunLine.objects.filter(
            Q(status=PaymentRunLine.Status.SENT, amount__in=out)
            | Q(
                status__in=[PaymentRunLine.Status.SENT, PaymentRunLine.Status.CLEARED],
                reference__in=references,
            )
        )
        .select_related("run")
        .order_by("run__pay_date", "pk")
    )
    by_amount: dict[Decimal, list[PaymentRunLine]] = defaultdict(list)
    by_reference: dict[str, list[PaymentRunLine]] = defaultdict(list)
    for candidate in candidates:
        if candidate.status == PaymentRunLine.Status.SENT:
            by_amount[candidate.amount].append(candidate)
        by_reference[candidate.reference].append(candidate)
    result: dict[int, list[PaymentRunLine]] = {}
    for line in lines:
        if line.amount < 0:
            options = by_amount.get(-line.amount, [])
            result[line.pk] = sorted(
                options, key=lambda c: (abs((c.run.pay_date - line.date).days), c.pk)
            )[:10]
        else:
            result[line.pk] = [
                c for c in by_reference.get(line.reference, []) if c.amount == line.amount
            ]
    return result
