"""General-ledger reconciliation: the council's finance system (its GL export, CSV) against the
budget ledger, per cost code and accounting period, listing every difference.

The budget ledger's side is what it records as paid out of each fund year (whose cost code the
finance system charges): payments less refunds, on the day the money was paid (a payment run's
payment date; otherwise the day it was posted). Periods are the council's: P01 is April, P12 is
March, within a financial year.
"""

from __future__ import annotations

import datetime
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from budgets.models import Entry, GLImport, GLLine, LedgerTransaction, PaymentRunLine
from budgets.payments import require_finance_officer
from budgets.statement_files import StatementError, csv_error, decode, pence_column
from fundmgr.errors import InvalidInput, Refused
from fundmgr.models import User

if TYPE_CHECKING:
    import pandas as pd

# The usual headings of each column; a council whose finance system heads them otherwise names
# its own in its settings (Council.gl_columns), looked for first.
COLUMNS = {
    "cost_code": ("cost code", "cost centre", "cost center", "account", "account code"),
    "date": ("date", "posting date", "transaction date"),
    "amount": ("amount", "value", "net amount"),
    "reference": ("reference", "ref", "document reference"),
    "description": ("description", "narrative", "details"),
}
REQUIRED = ("cost_code", "date", "amount")


def period_of(day: datetime.date) -> tuple[int, int]:
    """(the financial year's first calendar year, period 1 to 12): 14 July 2026 -> (2026, 4)."""
    year = day.year if day.month >= 4 else day.year - 1
    return year, (day.month - 4) % 12 + 1


def period_label(year: int, period: int) -> str:
    month = datetime.date(year + (1 if period >= 10 else 0), (period + 2) % 12 + 1, 1)
    return f"{year}/{str(year + 1)[-2:]} P{period:02d} ({month:%B %Y})"


# --- reading the GL export ------------------------------------------------------------------


def gl_headings(own: dict[str, str] | None = None) -> dict[str, tuple[str, ...]]:
    """Each column's headings, lower case: the council's own (`own`) first, then the usual."""
    found = {}
    for key, names in COLUMNS.items():
        mine = str((own or {}).get(key) or "").strip().lower()
        found[key] = ((mine,) if mine else ()) + tuple(n for n in names if n != mine)
    return found


def council_headings() -> dict[str, str]:
    """The GL export headings of the council the import is for (its settings), if it has any."""
    from fundmgr.council_settings import council_for

    council = council_for()
    return dict(council.gl_columns or {}) if council is not None else {}


def read_gl(content: bytes, headings: dict[str, str] | None = None) -> pd.DataFrame:
    """number, cost_code, date, pence, reference, description; or StatementError naming the
    line. Dates dd/mm/yyyy or yyyy-mm-dd; amounts signed, with £ and commas allowed. `headings`
    are the council's own column headings ({"cost_code": "Cost Centre"}), looked for first."""
    import numpy as np
    import pandas as pd

    text = decode(content)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            header=None,
            skip_blank_lines=False,
            on_bad_lines="error",
        )
    except pd.errors.EmptyDataError:
        raise StatementError("The file has no heading and no lines.") from None
    except pd.errors.ParserError as error:
        raise csv_error(error) from None
    frame = frame.fillna("")
    heading = [str(name).strip().lower() for name in frame.iloc[0]]
    frame = frame.iloc[1:].reset_index(drop=True)
    numbers = np.arange(2, 2 + len(frame), dtype=np.int64)
    blank = (frame == "").all(axis=1).to_numpy()
    frame, numbers = frame[~blank], numbers[~blank]
    if frame.empty:
        raise StatementError("The file has a heading but no lines.")
    # A column the file leaves out that is not required reads as empty text on every line.
    empty_text = pd.Series([""] * len(frame), index=frame.index)
    found: dict[str, pd.Series] = {}
    for key, names in gl_headings(headings).items():
        at = next((heading.index(n) for n in names if n in heading), None)
        if at is None and key in REQUIRED:
            raise StatementError(
                f"The file has no {names[0]} column. A GL export needs columns for the cost "
                f"code, date and amount; its columns are: {', '.join(heading)}."
            )
        found[key] = frame.iloc[:, at].astype(str).str.strip() if at is not None else empty_text
    codes = found["cost_code"]
    if (missing := (codes == "").to_numpy()).any():
        raise StatementError(f"Line {numbers[int(np.argmax(missing))]} has no cost code.")
    dates_text = found["date"]
    dates = pd.to_datetime(dates_text, format="%d/%m/%Y", errors="coerce")
    iso = pd.to_datetime(dates_text, format="%Y-%m-%d", errors="coerce")
    dates = dates.fillna(iso)
    if (bad := dates.isna().to_numpy()).any():
        i = int(np.argmax(bad))
        raise StatementError(
            f"Line {numbers[i]}: '{dates_text.iloc[i]}' is not a real date (dd/mm/yyyy)."
        )
    amount_text = found["amount"]
    if (empty := (amount_text == "").to_numpy()).any():
        raise StatementError(f"Line {numbers[int(np.argmax(empty))]} has no amount.")
    pence = pence_column(amount_text, numbers, "amount", signed=True)
    return pd.DataFrame(
        {
            "number": numbers,
            "cost_code": codes.str.slice(0, 30).to_numpy(),
            "date": dates.to_numpy(),
            "pence": pence.to_numpy(np.int64),
            "reference": found["reference"].str.upper().str.slice(0, 40).to_numpy(),
            "description": found["description"].str.slice(0, 255).to_numpy(),
        }
    )


@transaction.atomic
def gl_import(*, content: bytes, filename: str, by: User) -> GLImport:
    """Import a GL export whole or not at all; the same file twice changes nothing."""
    require_finance_officer(by, "import the general ledger")
    digest = hashlib.sha256(content).hexdigest()
    earlier = GLImport.objects.filter(sha256=digest).select_related("imported_by").first()
    if earlier is not None:
        raise Refused(_duplicate(earlier))
    try:
        frame = read_gl(content, council_headings())
    except StatementError as error:
        raise InvalidInput(f"{error} Nothing was imported.") from None
    try:
        # The import row and its lines together, or neither.
        with transaction.atomic():
            imported = GLImport.objects.create(
                sha256=digest,
                filename=filename[:255],
                line_count=len(frame),
                first_date=frame["date"].min().date(),
                last_date=frame["date"].max().date(),
                imported_by=by,
            )
            GLLine.objects.bulk_create(
                (
                    GLLine(
                        gl_import=imported,
                        number=int(row.number),
                        cost_code=row.cost_code,
                        date=row.date.date(),
                        amount=Decimal(int(row.pence)) / 100,
                        reference=row.reference,
                        description=row.description,
                    )
                    for row in frame.itertuples(index=False)
                ),
                batch_size=2000,
            )
    except IntegrityError:
        raise Refused(_duplicate(GLImport.objects.filter(sha256=digest).first())) from None
    return imported


def _duplicate(earlier: GLImport | None) -> str:
    if earlier is None:
        return "This file is being imported by someone else right now: nothing was imported."
    return (
        f"This file was imported already, as GL import {earlier.pk} on "
        f"{timezone.localtime(earlier.imported_at):%d %B %Y at %H:%M}. Nothing was imported again."
    )


# --- comparing ------------------------------------------------------------------------------


def ledger_frame(first: datetime.date, last: datetime.date) -> pd.DataFrame:
    """What the budget ledger paid out (payments less refunds) between two days: cost_code,
    date, pence, reference. Three queries."""
    import pandas as pd

    slack = datetime.timedelta(days=40)  # a run pays up to 31 days after it is authorised
    entries = list(
        Entry.objects.filter(
            account__kind="paid",
            transaction__kind__in=[LedgerTransaction.Kind.PAYMENT, LedgerTransaction.Kind.REFUND],
            transaction__created_at__date__gte=first - slack,
            transaction__created_at__date__lte=last + slack,
        ).values_list(
            "amount",
            "account__fund_year__cost_code",
            "transaction__created_at",
            "transaction__idempotency_key",
            "transaction__reference",
        )
    )
    payment_ids = {
        int(key.split(":")[1])
        for _, _, _, key, _ in entries
        if key.startswith("payment:") and key.split(":")[1].isdigit()
    }
    paid_on: dict[int, tuple[str, datetime.date]] = {}
    for payment_id, reference, day in (
        PaymentRunLine.objects.filter(payment_id__in=payment_ids)
        .exclude(status__in=["prepared", "cancelled"])
        .order_by("-run__pay_date")
        .values_list("payment_id", "reference", "run__pay_date")
    ):
        paid_on[payment_id] = (reference, day)  # the earliest sending wins (ordered last)
    rows = []
    for amount, cost_code, created, key, reference in entries:
        day = timezone.localtime(created).date()
        if key.startswith("payment:") and key.split(":")[1].isdigit():
            reference, day = paid_on.get(int(key.split(":")[1]), (reference, day))
        if first <= day <= last:
            rows.append((cost_code, day, int(amount * 100), reference))
    return pd.DataFrame(rows, columns=["cost_code", "date", "pence", "reference"])


@dataclass
class Comparison:
    summary: list[dict]  # per cost code and period: ledger, gl, difference (pounds)
    differences: list[dict]  # per cost code, period and reference where the two disagree
    first: datetime.date
    last: datetime.date

    @property
    def agrees(self) -> bool:
        return not self.differences


def _with_period(frame: pd.DataFrame) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    dates = pd.to_datetime(frame["date"])
    fy = np.where(dates.dt.month >= 4, dates.dt.year, dates.dt.year - 1)
    return frame.assign(year=fy, period=(dates.dt.month - 4) % 12 + 1)


def compare(gl: GLImport) -> Comparison:
    """Every cost code and period the GL export covers, or the ledger paid in its dates."""
    import pandas as pd

    lines = list(gl.lines.values_list("cost_code", "date", "amount", "reference"))
    gl_frame = pd.DataFrame(
        [(c, d, int(a * 100), r) for c, d, a, r in lines],
        columns=["cost_code", "date", "pence", "reference"],
    )
    ledger = ledger_frame(gl.first_date, gl.last_date)
    keys = ["cost_code", "year", "period"]
    both = []
    for side, frame in (("ledger", ledger), ("gl", gl_frame)):
        frame = _with_period(frame) if not frame.empty else frame.assign(year=[], period=[])
        both.append(
            frame.groupby([*keys, "reference"], as_index=False)["pence"]
            .sum()
            .rename(columns={"pence": side})
        )
    merged = (
        both[0].merge(both[1], on=[*keys, "reference"], how="outer").fillna({"ledger": 0, "gl": 0})
    )
    merged[["ledger", "gl"]] = merged[["ledger", "gl"]].astype("int64")
    merged["difference"] = merged["gl"] - merged["ledger"]
    summary = (
        merged.groupby(keys, as_index=False)[["ledger", "gl", "difference"]].sum().sort_values(keys)
    )
    differences = merged[merged["difference"] != 0].sort_values([*keys, "reference"])

    def pounds_of(pence) -> Decimal:
        return Decimal(int(pence)) / 100

    def why(row) -> str:
        if row.ledger == 0:
            return "In the finance system only"
        if row.gl == 0:
            return "In the budget ledger only"
        return "The amounts differ"

    return Comparison(
        summary=[
            {
                "cost_code": row.cost_code,
                "period": period_label(int(row.year), int(row.period)),
                "ledger": pounds_of(row.ledger),
                "gl": pounds_of(row.gl),
                "difference": pounds_of(row.difference),
            }
            for row in summary.itertuples(index=False)
        ],
        differences=[
            {
                "cost_code": row.cost_code,
                "period": period_label(int(row.year), int(row.period)),
                "reference": row.reference or "(none)",
                "ledger": pounds_of(row.ledger),
                "gl": pounds_of(row.gl),
                "difference": pounds_of(row.difference),
                "why": why(row),
            }
            for row in differences.itertuples(index=False)
        ],
        first=gl.first_date,
        last=gl.last_date,
    )
