"""Reconciliation: statement lines matched to the payments that were sent, so that what the
ledger says was paid is proved, line by line, to have left the bank.

References are read as banks print them (`budgets.bank_references`): CCIF26-000123/1, or the
grant's CCIF26-000123 when the bank left the instalment out; only funds' codes count, so an
invoice number shaped like one (INV26-123456) is no reference.

The rules for money out, the same in the pandas matcher (`match_frames`) and the plain-Python
one (`match_plain`, which the benchmark checks it against):

1. By reference. A line whose free text carries a payment's reference and whose amount is that
   payment's is matched to it. A grant's reference without the instalment is matched to its one
   payment of that amount still open; two such payments are left for a person, both named in
   the line's note. Two lines carrying one reference: the earlier line (lower id) takes it.
2. By run total. A BACS run is on the council's statement as one debit for the run's total
   (the contra). A line without a reference of an authorised run's total (two or more
   payments, none cleared), on its pay date or up to `window` days after, nearest day first,
   clears each payment of the run: one match per payment, each naming the run.
3. By amount and date, for lines that carry no reference. For each distance in days, in the
   order 0, payment a day before the line, a day after, two days before, ... up to `window`,
   lines and payments of the same amount that far apart are paired, in order of id: the lowest
   line with the lowest payment. Among grants of the same round sum this settles every tie the
   same way each time.

A line carrying a reference that matches nothing is left for a person (it names a payment, so
it is never matched to another by amount). Money in carrying a reference is a payment the
payee's bank sent back (the same amount as a payment sent: it reopens as returned by the bank,
and its group's payments are held until new bank details are verified) or a refund of a
clawback the grant owes; what could be either is left for a person. Every match says how it was
made ("by run total", "by reference", "by amount and date", "by hand") and can be undone; a
run's matches are undone together.
"""

from __future__ import annotations

import datetime
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from budgets import statement_imports
from budgets.bank_references import candidates, grant_of, known_prefixes
from budgets.models import (
    Match,
    Payment,
    PaymentEvent,
    PaymentRun,
    PaymentRunLine,
    Statement,
    StatementLine,
)
from budgets.payments import require_finance_officer, run_line_mark_returned
from budgets.statement_files import Layout
from budgets.statement_imports import array_literal
from fundmgr.errors import InvalidInput, Refused
from fundmgr.faults import crash_point
from fundmgr.models import User
from fundmgr.money import pounds

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

WINDOW_DAYS = 5
EPOCH = datetime.date(1970, 1, 1)
# The matchers' methods, in the order of their codes (Match.Method's values).
METHODS = ["reference", "amount_date", "run_total"]


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


def _first_per_target(lines: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Of (line, target) pairs, the earliest line of each target."""
    import numpy as np

    order = np.argsort(lines, kind="stable")
    lines, targets = lines[order], targets[order]
    _, first = np.unique(targets, return_index=True)
    return lines[first], targets[first]


def _pair_by_amount_and_day(
    line_ids, line_code, line_days, open_line, ids, code, days, open_other, tries, span, day0
):
    """For each day offset in `tries` (other's day minus the line's), the k-th open line of an
    (amount, day) cell meets the k-th open other row of it, in order of id. Marks what it pairs
    as no longer open; returns (lines, others) in the order found."""
    import numpy as np

    found_lines, found_others = [], []
    for offset in tries:
        lines_left, others_left = np.flatnonzero(open_line), np.flatnonzero(open_other)
        if not len(lines_left) or not len(others_left):
            break
        line_keys = line_code[lines_left] * span + line_days[lines_left] - day0 + offset
        other_keys = code[others_left] * span + days[others_left] - day0
        # (amount, day, rank) as one integer: the k-th line of a cell meets its k-th other row.
        scale = max(len(lines_left), len(others_left))
        line_cells = line_keys * scale + _ranks(line_keys, line_ids[lines_left])
        other_cells = other_keys * scale + _ranks(other_keys, ids[others_left])
        _, li, oi = np.intersect1d(line_cells, other_cells, assume_unique=True, return_indices=True)
        if not len(li):
            continue
        found_lines.append(line_ids[lines_left[li]])
        found_others.append(ids[others_left[oi]])
        open_line[lines_left[li]] = False
        open_other[others_left[oi]] = False
    empty = np.zeros(0, dtype=np.int64)
    return (
        np.concatenate(found_lines) if found_lines else empty,
        np.concatenate(found_others) if found_others else empty,
    )


def _empty_runs() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype="int64") for c in ("id", "pence", "day")})


def match_frames(
    payments: pd.DataFrame,
    lines: pd.DataFrame,
    window: int = WINDOW_DAYS,
    runs: pd.DataFrame | None = None,
):
    """payments: id, reference, pence, day, and run (the run each is in, for `runs`); lines: id,
    reference, pence (money out, positive), day; runs: id, pence (the run's total), day (its pay
    date). Days are integers (days since 1970). Returns a frame of line, target (a payment, or
    a run when the method is run_total), method, sorted by line. Vectorised: references become
    integer codes looked up by array index, then per date distance one sort and one sorted
    intersection of (amount, day, rank) keys, whatever the number of rows."""
    import numpy as np
    import pandas as pd

    if runs is None:
        runs = _empty_runs()
    if lines.empty or (payments.empty and runs.empty):
        return pd.DataFrame(
            {
                "line": pd.Series(dtype="int64"),
                "target": pd.Series(dtype="int64"),
                "method": pd.Categorical([], categories=METHODS),
            }
        )
    pay_ids = payments["id"].to_numpy(np.int64)
    pay_pence = payments["pence"].to_numpy(np.int64)
    pay_days = payments["day"].to_numpy(np.int64)
    pay_runs = (
        payments["run"].to_numpy(np.int64)
        if "run" in payments
        else np.zeros(len(pay_ids), np.int64)
    )
    line_ids = lines["id"].to_numpy(np.int64)
    line_pence = lines["pence"].to_numpy(np.int64)
    line_days = lines["day"].to_numpy(np.int64)
    has_reference = (lines["reference"] != "").to_numpy(bool)
    n_pay = len(pay_ids)

    # Amounts as small integers shared by every side, so that combined keys cannot overflow.
    run_ids = runs["id"].to_numpy(np.int64)
    run_pence = runs["pence"].to_numpy(np.int64)
    run_days = runs["day"].to_numpy(np.int64)
    amount_codes = pd.factorize(np.concatenate([line_pence, pay_pence, run_pence]))[0]
    line_amount = amount_codes[: len(line_ids)]
    pay_amount = amount_codes[len(line_ids) : len(line_ids) + n_pay]
    run_amount = amount_codes[len(line_ids) + n_pay :]
    n_amounts = int(amount_codes.max()) + 1 if len(amount_codes) else 1

    # 1. By reference. The payment's own reference (unique), amounts equal; or the grant's
    # reference alone (the bank left the instalment out), when one payment of that grant and
    # amount is open. References become integer codes shared by both sides, so the lookup is
    # an array index.
    line_refs = lines["reference"]
    # Strings stay in the frames' own (Arrow) arrays: hashing them there is the fast way.
    codes, uniques = pd.factorize(pd.concat([payments["reference"], line_refs], ignore_index=True))
    pay_codes, line_codes = codes[:n_pay], codes[n_pay:]
    if n_pay and np.bincount(pay_codes).max() > 1:
        raise ValueError("payment references must be unique")
    payment_at = np.full(len(uniques), -1, dtype=np.int64)
    payment_at[pay_codes] = np.arange(n_pay)
    at = payment_at[line_codes]
    hit = (at >= 0) & has_reference
    hit[hit] = pay_pence[at[hit]] == line_pence[hit]
    direct_lines, direct_payments = _first_per_target(line_ids[hit], pay_ids[at[hit]])
    open_payment = ~np.isin(pay_ids, direct_payments)

    # A grant's reference: the one open payment of that grant and amount, if only one. A
    # payment's reference is its grant's, "/" and the instalment (budgets.payments).
    grant_line = has_reference & (at < 0)
    grant_lines, grant_payments = np.zeros(0, np.int64), np.zeros(0, np.int64)
    if grant_line.any() and open_payment.any():
        where = np.flatnonzero(open_payment)
        open_refs = payments["reference"].iloc[where]
        open_grants = open_refs.str.slice(0, -2).where(
            open_refs.str.slice(-2, -1) == "/", open_refs
        )
        asked = np.flatnonzero(grant_line)
        codes, _ = pd.factorize(pd.concat([open_grants, line_refs.iloc[asked]], ignore_index=True))
        grant_keys = codes[: len(where)].astype(np.int64) * n_amounts + pay_amount[where]
        line_keys = codes[len(where) :].astype(np.int64) * n_amounts + line_amount[asked]
        keys, counts = np.unique(grant_keys, return_counts=True)
        ok = np.isin(line_keys, keys[counts == 1])
        order = np.argsort(grant_keys, kind="stable")
        targets = pay_ids[where][order][np.searchsorted(grant_keys[order], line_keys[ok])]
        grant_lines, grant_payments = _first_per_target(line_ids[asked][ok], targets)
        open_payment &= ~np.isin(pay_ids, grant_payments)
    found_lines = [direct_lines, grant_lines]
    found_targets = [direct_payments, grant_payments]
    methods = [np.zeros(len(direct_lines) + len(grant_lines), dtype=np.int8)]

    open_line = ~has_reference
    day0 = int(min(line_days.min(), *(d.min() for d in (pay_days, run_days) if len(d)))) - window
    span = (
        int(max(line_days.max(), *(d.max() for d in (pay_days, run_days) if len(d))))
        + window
        - day0
        + 1
    )

    # 2. By run total: a line of money out without a reference, of a run's total, on its pay
    # date or up to `window` days after, clears each payment of the run. A run none of whose
    # payments was matched above; the nearest day first.
    if len(run_ids):
        open_run = ~np.isin(run_ids, pay_runs[~open_payment])
        # Only lines of some run's total can be one: few, so the passes below are short.
        open_line = open_line & np.isin(line_amount, run_amount)
        run_lines_found, runs_found = _pair_by_amount_and_day(
            line_ids,
            line_amount,
            line_days,
            open_line,
            run_ids,
            run_amount,
            run_days,
            open_run,
            [-days for days in range(window + 1)],
            span,
            day0,
        )
        found_lines.append(run_lines_found)
        found_targets.append(runs_found)
        methods.append(np.full(len(run_lines_found), 2, dtype=np.int8))
        open_payment &= ~np.isin(pay_runs, runs_found)
        open_line = ~has_reference & ~np.isin(line_ids, run_lines_found)

    # 3. By amount and date, lines without a reference, nearest day first: only lines of an
    # amount some open payment has.
    open_line &= np.isin(line_amount, pay_amount[open_payment])
    if n_pay:
        date_lines, date_payments = _pair_by_amount_and_day(
            line_ids,
            line_amount,
            line_days,
            open_line,
            pay_ids,
            pay_amount,
            pay_days,
            open_payment,
            offsets(window),
            span,
            day0,
        )
        found_lines.append(date_lines)
        found_targets.append(date_payments)
        methods.append(np.ones(len(date_lines), dtype=np.int8))

    matched_lines, matched_targets = np.concatenate(found_lines), np.concatenate(found_targets)
    order = np.argsort(matched_lines, kind="stable")
    return pd.DataFrame(
        {
            "line": matched_lines[order],
            "target": matched_targets[order],
            "method": pd.Categorical.from_codes(np.concatenate(methods)[order], categories=METHODS),
        }
    )


def match_plain(
    payments: Iterable[tuple[int, str, int, int]],
    lines: Iterable[tuple[int, str, int, int]],
    window: int = WINDOW_DAYS,
    runs: Iterable[tuple[int, int, int]] = (),
    payment_runs: dict[int, int] | None = None,
) -> list[tuple[int, int, str]]:
    """The same rules in plain Python, for (id, reference, pence, day) tuples of payments and
    lines, (id, pence, day) of runs and each payment's run: what the pandas matcher must agree
    with. Returns (line, payment or run, method), sorted by line."""
    payments = sorted(payments)
    lines = sorted(lines)
    payment_runs = payment_runs or {}
    by_reference = {(reference, pence): pid for pid, reference, pence, _ in payments}
    used: set[int] = set()
    result: list[tuple[int, int, str]] = []
    waiting = []
    by_grant = []
    for lid, reference, pence, day in lines:
        if not reference:
            waiting.append((lid, pence, day))
            continue
        pid = by_reference.get((reference, pence))
        if pid is not None:
            if pid not in used:
                used.add(pid)
                result.append((lid, pid, "reference"))
        elif "/" not in reference:
            by_grant.append((lid, reference, pence))
    grants: dict[tuple[str, int], list[int]] = defaultdict(list)
    for pid, reference, pence, _ in payments:
        if pid not in used:
            grants[(grant_of(reference), pence)].append(pid)
    for lid, reference, pence in by_grant:
        fits = grants.get((reference, pence), [])
        if len(fits) == 1 and fits[0] not in used:
            used.add(fits[0])
            result.append((lid, fits[0], "reference"))
    taken_runs = {payment_runs[pid] for pid in used if pid in payment_runs}
    run_cells: dict[tuple[int, int], deque] = defaultdict(deque)
    for rid, pence, day in sorted(runs):
        if rid not in taken_runs:
            run_cells[(pence, day)].append(rid)
    cleared_runs: set[int] = set()
    for offset in range(window + 1):
        still: list[tuple[int, int, int]] = []
        for lid, pence, day in waiting:
            cell = run_cells.get((pence, day - offset))
            if cell:
                rid = cell.popleft()
                cleared_runs.add(rid)
                result.append((lid, rid, "run_total"))
            else:
                still.append((lid, pence, day))
        waiting = still
    cells: dict[tuple[int, int], deque] = defaultdict(deque)
    for pid, _, pence, day in payments:
        if pid not in used and payment_runs.get(pid) not in cleared_runs:
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
    """Every payment sent and not yet cleared: id (the run line's), reference, pence, day (the
    run's pay date), run and payment."""
    import numpy as np
    import pandas as pd

    rows = list(
        PaymentRunLine.objects.filter(status=PaymentRunLine.Status.SENT).values_list(
            "id", "reference", "amount", "run__pay_date", "run_id", "payment_id"
        )
    )
    return pd.DataFrame(
        {
            "id": np.array([r[0] for r in rows], dtype=np.int64),
            "reference": [r[1] for r in rows],
            "pence": np.array([int(r[2] * 100) for r in rows], dtype=np.int64),
            "day": day_numbers([r[3] for r in rows]),
            "run": np.array([r[4] for r in rows], dtype=np.int64),
            "payment": np.array([r[5] for r in rows], dtype=np.int64),
        }
    )


def sent_runs() -> pd.DataFrame:
    """Runs of two or more payments, authorised, none of whose payments is cleared: each
    could be one debit for its total on the statement. (A run of one payment is that
    payment's line, matched by amount and date like any other.) A payment the bank has sent
    back already left in the run's total too, so it does not stop the run being offered."""
    import numpy as np
    import pandas as pd

    done = PaymentRunLine.objects.exclude(
        status__in=[
            PaymentRunLine.Status.SENT,
            PaymentRunLine.Status.RETURNED,
            PaymentRunLine.Status.CANCELLED,
        ]
    ).values("run_id")
    rows = list(
        PaymentRun.objects.filter(status=PaymentRun.Status.AUTHORISED, count__gte=2)
        .exclude(pk__in=done)
        .values_list("id", "total", "pay_date")
    )
    return pd.DataFrame(
        {
            "id": np.array([r[0] for r in rows], dtype=np.int64),
            "pence": np.array([int(r[1] * 100) for r in rows], dtype=np.int64),
            "day": day_numbers([r[2] for r in rows]),
        }
    )


def _known(reference: str, prefixes: set[str]) -> str:
    """The reference if it starts with a fund's code (CCIF26-...), else "": what merely has the
    shape of a grant's reference (an invoice number, INV26-123456) is no reference."""
    code = reference.split("-", 1)[0].rstrip("0123456789")
    return reference if code in prefixes else ""


def unmatched_money_out() -> pd.DataFrame:
    """Every unmatched line of money out: id, reference (a fund's, else ""), pence (positive),
    day, statement and number."""
    import numpy as np
    import pandas as pd

    prefixes = set(known_prefixes())
    rows = list(
        StatementLine.objects.filter(
            status=StatementLine.Status.UNMATCHED, amount__lt=0
        ).values_list("id", "reference", "amount", "date", "statement_id", "number")
    )
    return pd.DataFrame(
        {
            "id": np.array([r[0] for r in rows], dtype=np.int64),
            "reference": [_known(r[1], prefixes) for r in rows],
            "pence": np.array([int(-r[2] * 100) for r in rows], dtype=np.int64),
            "day": day_numbers([r[3] for r in rows]),
            "statement": np.array([r[4] for r in rows], dtype=np.int64),
            "number": np.array([r[5] for r in rows], dtype=np.int64),
        }
    )


# --- services -------------------------------------------------------------------------------


@dataclass
class Imported:
    statement: Statement
    matched: int
    skipped: int


class Clearing(NamedTuple):
    """A statement line (id, statement, number, date) clearing a run line (id, payment, run),
    by `method`; `run` is the run whose total the line is, or None."""

    line: int
    statement: int
    number: int
    date: datetime.date
    run_line: int
    payment: int
    run_line_run: int
    method: str
    run: int | None

    @property
    def note(self) -> str:
        return f"Statement {self.statement}, line {self.number}, {self.date:%d/%m/%Y}" + (
            f", the total of run {self.run:06d}" if self.run else ""
        )


def _clear(pairs: list[Clearing], by: User) -> None:
    """Mark each run line cleared by its statement line, in the caller's transaction. A run line
    someone else cleared a moment ago refuses the whole step. On PostgreSQL five statements
    whatever the number of pairs (each column goes as one array); elsewhere the ORM."""
    if not pairs:
        return
    who = by if getattr(by, "pk", None) else None
    if connection.vendor == "postgresql":
        _clear_set_based(pairs, who.pk if who else None)
        return
    run_ids = [pair.run_line for pair in pairs]
    moved = PaymentRunLine.objects.filter(pk__in=run_ids, status=PaymentRunLine.Status.SENT).update(
        status=PaymentRunLine.Status.CLEARED
    )
    if moved != len(run_ids):
        raise Refused(OTHER_OFFICER)
    by_date: dict[datetime.date, list[int]] = defaultdict(list)
    for pair in pairs:
        by_date[pair.date].append(pair.run_line)
    for day, ids in by_date.items():
        PaymentRunLine.objects.filter(pk__in=ids).update(cleared_on=day)
    StatementLine.objects.filter(pk__in={pair.line for pair in pairs}).update(
        status=StatementLine.Status.MATCHED
    )
    Payment.objects.filter(run_lines__pk__in=run_ids).update(status=Payment.Status.CLEARED)
    try:
        with transaction.atomic():
            Match.objects.bulk_create(
                Match(
                    line_id=pair.line,
                    run_line_id=pair.run_line,
                    method=pair.method,
                    run_id=pair.run,
                    matched_by=who,
                )
                for pair in pairs
            )
    except IntegrityError:
        raise Refused(TWICE) from None
    PaymentEvent.objects.bulk_create(
        PaymentEvent(
            payment_id=pair.payment,
            kind=PaymentEvent.Kind.CLEARED,
            run_id=pair.run_line_run,
            by=who,
            note=pair.note,
        )
        for pair in pairs
    )


OTHER_OFFICER = "Another officer matched some of these payments a moment ago: look again."
TWICE = "A payment would be cleared twice: nothing was matched."


def _clear_set_based(pairs: list[Clearing], who: int | None) -> None:
    """`_clear` on PostgreSQL: the run lines (in order of id, the order a concurrent import
    locks them in too) cleared on their lines' dates in one UPDATE FROM unnest() that only
    moves those still sent; then the lines, the payments, the matches and the events (in the
    order of `pairs`, as bulk_create wrote them), one statement each."""
    in_order = sorted(pairs, key=lambda pair: pair.run_line)
    table = {model: connection.ops.quote_name(model._meta.db_table) for model in MODELS}
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table[PaymentRunLine]} AS r SET status = %s, cleared_on = v.day "
            "FROM (SELECT v.id, DATE '1970-01-01' + v.day AS day "
            "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, day)) AS v "
            "WHERE r.id = v.id AND r.status = %s",
            [
                PaymentRunLine.Status.CLEARED,
                array_literal([pair.run_line for pair in in_order]),
                array_literal([(pair.date - EPOCH).days for pair in in_order]),
                PaymentRunLine.Status.SENT,
            ],
        )
        if cursor.rowcount != len(pairs):
            raise Refused(OTHER_OFFICER)
        cursor.execute(
            f"UPDATE {table[StatementLine]} SET status = %s WHERE id = ANY(%s::bigint[])",
            [StatementLine.Status.MATCHED, array_literal(sorted({pair.line for pair in pairs}))],
        )
        cursor.execute(
            f"UPDATE {table[Payment]} SET status = %s WHERE id = ANY(%s::bigint[])",
            [Payment.Status.CLEARED, array_literal(sorted({pair.payment for pair in pairs}))],
        )
        try:
            with transaction.atomic():
                cursor.execute(
                    f"INSERT INTO {table[Match]} (line_id, run_line_id, run_id, kind, method, "
                    "matched_at, matched_by_id, undone_at, undone_by_id, undo_reason, "
                    "council_id) "
                    "SELECT v.line, v.run_line, v.run, %s, v.method, %s, %s, NULL, NULL, '', "
                    f"(SELECT l.council_id FROM {table[StatementLine]} l WHERE l.id = v.line) "
                    "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::text[]) "
                    "AS v(line, run_line, run, method)",
                    [
                        Match.Kind.CLEARED,
                        now,
                        who,
                        array_literal([pair.line for pair in pairs]),
                        array_literal([pair.run_line for pair in pairs]),
                        array_literal([pair.run for pair in pairs]),
                        array_literal([str(pair.method) for pair in pairs], text=True),
                    ],
                )
        except IntegrityError:
            raise Refused(TWICE) from None
        cursor.execute(
            f"INSERT INTO {table[PaymentEvent]} "
            "(payment_id, kind, run_id, note, at, by_id, council_id) "
            "SELECT v.payment, %s, v.run, v.note, %s, %s, "
            f"(SELECT p.council_id FROM {table[Payment]} p WHERE p.id = v.payment) "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS v(payment, run, note)",
            [
                PaymentEvent.Kind.CLEARED,
                now,
                who,
                array_literal([pair.payment for pair in pairs]),
                array_literal([pair.run_line_run for pair in pairs]),
                array_literal([pair.note for pair in pairs], text=True),
            ],
        )


MODELS = (PaymentRunLine, StatementLine, Payment, Match, PaymentEvent)


def reconcile(*, by: User, window: int = WINDOW_DAYS) -> int:
    """Match every unmatched line against what it could be: money out against every run sent
    (by its total) and every payment sent and not yet cleared; money in carrying a reference
    against the payment it returns or the clawback it repays. Safe to run again: what is
    matched is not looked at twice. Returns the number of lines matched."""
    with transaction.atomic():
        payments, lines = sent_payments(), unmatched_money_out()
        found = match_frames(payments, lines, window, sent_runs())
        matched = len(found)
        if matched:
            _clear(_clearings(found, payments, lines), by)
        matched += _money_in(by)
        _explain_open_references(window)
        return matched


def _clearings(found: pd.DataFrame, payments: pd.DataFrame, lines: pd.DataFrame) -> list[Clearing]:
    """What `match_frames` found, as the rows `_clear` writes: the lines and payments as read
    for matching (no second query), a run's total as one clearing per payment of the run still
    sent, in order of id."""
    import numpy as np

    line_at = {line: at for at, line in enumerate(lines["id"].tolist())}
    pay_at = {pay: at for at, pay in enumerate(payments["id"].tolist())}
    line_statement = lines["statement"].tolist()
    line_number = lines["number"].tolist()
    line_day = lines["day"].tolist()
    pay_payment = payments["payment"].tolist()
    pay_run = payments["run"].tolist()
    dates: dict[int, datetime.date] = {}

    def clearing(line: int, run_line: int, method: str, run: int | None) -> Clearing:
        at, pay = line_at[line], pay_at[run_line]
        day = line_day[at]
        if day not in dates:
            dates[day] = EPOCH + datetime.timedelta(days=day)
        return Clearing(
            line,
            line_statement[at],
            line_number[at],
            dates[day],
            run_line,
            pay_payment[pay],
            pay_run[pay],
            method,
            run,
        )

    is_run = (found["method"] == Match.Method.RUN_TOTAL).to_numpy()
    single = found[~is_run]
    pairs = [
        clearing(line, target, str(method), None)
        for line, target, method in zip(
            single["line"].tolist(),
            single["target"].tolist(),
            single["method"].astype(str).tolist(),
            strict=True,
        )
    ]
    contra = dict(
        zip(found["target"][is_run].tolist(), found["line"][is_run].tolist(), strict=True)
    )
    if contra:
        in_runs = payments[np.isin(payments["run"].to_numpy(), list(contra))].sort_values("id")
        for run_line, run in zip(in_runs["id"].tolist(), in_runs["run"].tolist(), strict=True):
            pairs.append(clearing(contra[run], run_line, Match.Method.RUN_TOTAL, run))
    return pairs


def _open_lines_with_reference(money_in: bool) -> list[StatementLine]:
    prefixes = set(known_prefixes())
    lines = StatementLine.objects.filter(status=StatementLine.Status.UNMATCHED).exclude(
        reference=""
    )
    lines = lines.filter(amount__gt=0) if money_in else lines.filter(amount__lt=0)
    return [line for line in lines.order_by("pk") if _known(line.reference, prefixes)]


def _payments_by_grant(
    references: Iterable[str], statuses: Iterable[str]
) -> dict[str, list[PaymentRunLine]]:
    """The run lines of the grants `references` name, in `statuses`, by grant reference."""
    grants = {grant_of(r) for r in references}
    query = Q()
    for grant in grants:
        query |= Q(reference__startswith=f"{grant}/")
    result: dict[str, list[PaymentRunLine]] = defaultdict(list)
    if not grants:
        return result
    for run_line in (
        PaymentRunLine.objects.filter(query, status__in=list(statuses))
        .select_related("run")
        .order_by("reference", "pk")
    ):
        result[grant_of(run_line.reference)].append(run_line)
    return result


def _fits(line: StatementLine, run_lines: list[PaymentRunLine], amount: Decimal):
    """Of a grant's run lines, those of `amount` the line's reference could name."""
    same = [r for r in run_lines if r.amount == amount]
    names = set(candidates(line.reference, {grant_of(line.reference): [r.reference for r in same]}))
    return [r for r in same if r.reference in names]


def _money_in(by: User) -> int:
    """Money in that carries a grant's reference: a payment the payee's bank sent back (the
    same amount as a payment sent) reopens it as returned by the bank; otherwise a refund of a
    clawback the grant owes (no more than is owed) is posted. Anything that could be two
    things is left for a person (`_explain_open_references` names them)."""
    from budgets.clawback import refund_record
    from budgets.models import Clawback

    lines = _open_lines_with_reference(money_in=True)
    if not lines:
        return 0
    sent = [PaymentRunLine.Status.SENT, PaymentRunLine.Status.CLEARED]
    by_grant = _payments_by_grant([line.reference for line in lines], sent)
    clawbacks = {
        c.reference: c
        for c in Clawback.objects.filter(
            reference__in={grant_of(line.reference) for line in lines},
            status=Clawback.Status.REQUESTED,
        )
    }
    done = 0
    for line in lines:
        fits = _fits(line, by_grant.get(grant_of(line.reference), []), line.amount)
        clawback = clawbacks.get(grant_of(line.reference))
        refund = clawback is not None and line.amount <= clawback.outstanding
        if len(fits) == 1 and not refund and fits[0].status in sent:
            match_returned_payment(
                line=line, run_line=fits[0], by=by, method=Match.Method.REFERENCE
            )
            fits[0].status = PaymentRunLine.Status.RETURNED
            done += 1
        elif refund and not fits and clawback is not None:
            refund_record(
                clawback=clawback,
                amount=line.amount,
                received_on=min(line.date, timezone.localdate()),
                by=by,
                statement_line=line,
            )
            clawback.refresh_from_db()
            done += 1
    return done


def _explain_open_references(window: int) -> None:
    """A line left unmatched although it carries a reference says why, naming the payments it
    could be: a person chooses (`match_by_hand`, `match_returned_payment`)."""
    from budgets.models import Clawback

    lines = _open_lines_with_reference(money_in=False) + _open_lines_with_reference(money_in=True)
    if not lines:
        return
    statuses = [PaymentRunLine.Status.SENT, PaymentRunLine.Status.CLEARED]
    by_grant = _payments_by_grant([line.reference for line in lines], statuses)
    clawbacks = {
        c.reference: c
        for c in Clawback.objects.filter(
            reference__in={grant_of(line.reference) for line in lines},
            status=Clawback.Status.REQUESTED,
        )
    }
    for line in lines:
        amount = abs(line.amount)
        mine = by_grant.get(grant_of(line.reference), [])
        if line.amount < 0:
            mine = [r for r in mine if r.status == PaymentRunLine.Status.SENT]
        fits = _fits(line, mine, amount)
        clawback = clawbacks.get(grant_of(line.reference)) if line.amount > 0 else None
        if clawback is not None and amount <= clawback.outstanding and fits:
            note = (
                f"{line.reference} could be {fits[0].reference} returned by the bank or a refund "
                f"of {clawback.number}: match it by hand."
            )
        elif len(fits) > 1:
            names = " or ".join(r.reference for r in fits)
            note = f"{line.reference} could be {names} ({pounds(amount)} each): match it by hand."
        elif not fits and mine:
            note = (
                f"{line.reference}: no payment of it is {pounds(amount)} "
                f"({', '.join(f'{r.reference} {pounds(r.amount)}' for r in mine)})."
            )
        elif not fits:
            note = f"{line.reference}: no payment of it is waiting to clear."
        else:
            note = ""
        if note and note[:255] != line.note:
            StatementLine.objects.filter(pk=line.pk).update(note=note[:255])


def statement_import(
    *,
    content: bytes,
    filename: str,
    by: User,
    layout: Layout | None = None,
) -> Imported:
    """Import a bank statement whole, or nothing, then match it (budgets.statement_imports reads
    and checks it: every problem named, the council's account, balances that add up). The same
    file twice changes nothing; lines an earlier download of the account brought are skipped
    and counted; a file with nothing new is refused naming the earlier import."""
    require_finance_officer(by, "import a bank statement")
    read = statement_imports.statement_read(content, layout=layout)
    with transaction.atomic():
        statement = statement_imports.statement_save(read, filename=filename, by=by, layout=layout)
        crash_point("statement-import:saved")  # the lines are in, nothing matched or committed
        matched = reconcile(by=by)
    return Imported(statement=statement, matched=matched, skipped=read.skipped)


def _duplicate(earlier: Statement | None) -> str:
    return statement_imports.duplicate_message(earlier)


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
    _clear(
        [
            Clearing(
                line.pk,
                line.statement_id,
                line.number,
                line.date,
                run_line.pk,
                run_line.payment_id,
                run_line.run_id,
                Match.Method.MANUAL,
                None,
            )
        ],
        by,
    )
    return Match.objects.get(line=line, undone_at__isnull=True)


@transaction.atomic
def match_undo(*, match: Match, by: User, reason: str) -> Match:
    """Undo a match: the line is unmatched again and the payment no longer cleared (or, for a
    return, sent again). A payment already reissued after its return cannot be undone. A match
    by a run's total is undone with every other match of that line to the run: each payment
    of the run is sent and not cleared again."""
    require_finance_officer(by, "undo a match")
    if not reason.strip():
        raise InvalidInput("Say why the match is wrong.")
    match = Match.objects.select_for_update().select_related("line", "run_line").get(pk=match.pk)
    if match.undone_at is not None:
        raise Refused("This match has been undone already.")
    together = [match]
    if match.run_id is not None:
        together = list(
            Match.objects.select_for_update()
            .filter(line_id=match.line_id, run_id=match.run_id, undone_at__isnull=True)
            .select_related("line", "run_line")
            .order_by("pk")
        )
    for each in together:
        _undo_one(each, by, reason.strip())
    match.refresh_from_db()
    return match


def _undo_one(match: Match, by: User, reason: str) -> None:
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
        undone_at=timezone.now(), undone_by=by, undo_reason=reason[:255]
    )
    PaymentEvent.objects.create(
        payment=payment,
        kind=PaymentEvent.Kind.UNCLEARED,
        run_id=run_line.run_id,
        by=by,
        note=f"Statement line {match.line.number}: {reason}"[:255],
    )


@transaction.atomic
def match_returned_payment(
    *, line: StatementLine, run_line: PaymentRunLine, by: User, method: str = Match.Method.MANUAL
) -> Match:
    """Money in that is a payment sent back by the payee's bank: the payment waits to be
    reissued (see budgets.payments.run_line_mark_returned), and the group's payments are held
    until bank details other than the ones it came back from are verified
    (budgets.payments.returned_from). `reconcile` calls it for a line carrying the payment's
    reference (method "by reference"); a person, for any other line."""
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
        method=method,
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
    payments of the same amount, those of the grant its reference names first; for money in,
    the payments its reference names (with or without the instalment) of the same amount.
    Two queries."""
    out = {-line.amount for line in lines if line.amount < 0}
    named = [line.reference for line in lines if line.reference]
    by_amount: dict[Decimal, list[PaymentRunLine]] = defaultdict(list)
    for option in (
        PaymentRunLine.objects.filter(status=PaymentRunLine.Status.SENT, amount__in=out)
        .select_related("run")
        .order_by("run__pay_date", "pk")
    ):
        by_amount[option.amount].append(option)
    by_grant = _payments_by_grant(
        named, [PaymentRunLine.Status.SENT, PaymentRunLine.Status.CLEARED]
    )
    result: dict[int, list[PaymentRunLine]] = {}
    for line in lines:
        if line.amount < 0:
            named_here = (
                {
                    r.pk
                    for r in _fits(line, by_grant.get(grant_of(line.reference), []), -line.amount)
                }
                if line.reference
                else set()
            )
            options = by_amount.get(-line.amount, [])
            result[line.pk] = sorted(
                options,
                key=lambda c: (
                    c.pk not in named_here,
                    abs((c.run.pay_date - line.date).days),
                    c.pk,
                ),
            )[:10]
        else:
            result[line.pk] = (
                _fits(line, by_grant.get(grant_of(line.reference), []), line.amount)
                if line.reference
                else []
            )
    return result
