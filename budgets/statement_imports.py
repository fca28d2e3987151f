"""Importing a bank statement file, the one way the page, the API and `manage.py
import_statement` all take: read it whole (budgets.statement_files), check it is for one of the
council's accounts (its own settings: fundmgr.models.Council.bank_accounts), take out the lines
an earlier download already brought, then save what is new. Matching is budgets.reconcile's,
after saving.

A line is the same line in another download when its fingerprint is (the account with the
bank's id, or with date, amount, description and running balance: see
statement_files.fingerprints), so line endings, a trailing newline or an overlapping period
do not bring a line in twice.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from budgets.models import BankAccountLayout, Statement, StatementLine
from budgets.statement_files import (
    CUSTOM,
    Layout,
    ParsedStatement,
    StatementError,
    council_account,
    custom_layout,
    fingerprints,
    layout_named,
    read_statement,
)
from fundmgr.errors import InvalidInput, Refused

if TYPE_CHECKING:
    import pandas as pd

    from fundmgr.models import User

CHUNK = 5000  # fingerprints looked up per query
EPOCH = datetime.date(1970, 1, 1)


@dataclass
class StatementRead:
    """A file read and checked, not yet saved: `lines` are the new ones, `skipped` how many an
    earlier statement of the account holds already."""

    parsed: ParsedStatement
    account: str
    lines: pd.DataFrame
    skipped: int
    sha256: str

    def pence(self, sign: int) -> int:
        amounts = self.lines["pence"]
        return int(abs(amounts[amounts * sign > 0].sum()))

    def summary(self) -> dict:
        """What the file says, as `import_statement --json` prints it: pounds as strings with
        two places, money out and in positive, dates as yyyy-mm-dd."""
        dates = self.lines["date"]
        references = sorted({r for r in self.lines["reference"].tolist() if r})
        return {
            "lines": len(self.lines),
            "money_out": _pounds(self.pence(-1)),
            "money_in": _pounds(self.pence(1)),
            "first_date": f"{dates.min():%Y-%m-%d}" if len(dates) else None,
            "last_date": f"{dates.max():%Y-%m-%d}" if len(dates) else None,
            "opening_balance": _pounds(self.parsed.opening_pence),
            "closing_balance": _pounds(self.parsed.closing_pence),
            "account": self.account,
            "format": self.parsed.format,
            "layout": self.parsed.layout.split(" (")[0],
            "references": references,
            "skipped_duplicates": self.skipped,
        }


def _pounds(pence: int | None) -> str | None:
    return None if pence is None else f"{Decimal(pence) / 100:.2f}"


def council_accounts() -> list[str]:
    """The bank accounts of the council the import is for (its own settings). Refused when the
    work is for none of several councils: whose accounts a statement may be of is unknown."""
    from fundmgr import council_settings, councils

    council = council_settings.council_for()
    if council is None and councils.every_council():
        raise Refused(
            "This service has several councils: import a statement at its council's own "
            "address, for that council."
        )
    return council_settings.bank_accounts(council)


def layout_for(key: str, columns: dict | None = None) -> Layout | None:
    """The layout an officer chose by key ("" or "auto": found from the file), or their own
    column mapping for "custom". Raises InvalidInput for a key that is no layout."""
    if not key or key == "auto":
        return None
    if key == CUSTOM:
        try:
            return custom_layout(columns or {}, headerless=bool((columns or {}).get("headerless")))
        except StatementError as error:
            raise InvalidInput(str(error)) from None
    found = layout_named(key)
    if found is None:
        raise InvalidInput(f"There is no statement layout '{key}'.")
    return found


def remembered_layout() -> Layout | None:
    """The layout last used for the council's account, when there is one account to go by."""
    accounts = council_accounts()
    rows = BankAccountLayout.objects.all()
    if len(accounts) == 1:
        rows = rows.filter(account=council_account_name(accounts[0]))
    row = rows.order_by("-updated_at").first()
    if row is None or (len(accounts) != 1 and rows.count() != 1):
        return None
    if row.layout == CUSTOM:
        return custom_layout(row.columns, headerless=bool(row.columns.get("headerless")))
    return layout_named(row.layout)


def council_account_name(text: str) -> str:
    from budgets.statement_files import bank_account

    return bank_account(text) or text.strip()


def statement_read(content: bytes, *, layout: Layout | None = None) -> StatementRead:
    """Read and check a statement file without saving anything. Raises InvalidInput naming
    every problem, or Refused when the file (or every line of it) was imported already."""
    digest = hashlib.sha256(content).hexdigest()
    earlier = Statement.objects.filter(sha256=digest).select_related("imported_by").first()
    if earlier is not None:
        raise Refused(duplicate_message(earlier))
    try:
        parsed = read_statement(
            content, layout, remembered=remembered_layout() if layout is None else None
        )
        account = council_account(parsed, council_accounts())
    except StatementError as error:
        raise InvalidInput(f"{error} Nothing was imported.") from None
    frame = parsed.lines.copy()
    frame["fingerprint"] = fingerprints(frame, account)
    known = _known(frame["fingerprint"].tolist())
    ids = [b for b in frame["bank_id"].tolist() if b]
    if ids:  # lines imported before fingerprints were kept
        legacy = set(
            StatementLine.objects.filter(bank_id__in=ids, fingerprint="").values_list(
                "bank_id", flat=True
            )
        )
        known |= set(frame["fingerprint"][frame["bank_id"].isin(legacy)])
    keep = ~frame["fingerprint"].isin(known).to_numpy()
    skipped = int((~keep).sum())
    if not keep.any():
        earlier = (
            Statement.objects.filter(lines__fingerprint__in=list(known)[:CHUNK])
            .select_related("imported_by")
            .order_by("-pk")
            .first()
        )
        raise Refused(duplicate_message(earlier, every_line=True))
    return StatementRead(
        parsed=parsed, account=account, lines=frame[keep], skipped=skipped, sha256=digest
    )


def _known(prints: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(prints), CHUNK):
        found |= set(
            StatementLine.objects.filter(fingerprint__in=prints[start : start + CHUNK]).values_list(
                "fingerprint", flat=True
            )
        )
    return found


def statement_save(
    read: StatementRead, *, filename: str, by: User, layout: Layout | None
) -> Statement:
    """Save a statement read by statement_read, in the caller's transaction, and remember its
    layout for the account. Raises Refused when someone imported the same file or lines a
    moment ago."""
    frame, parsed = read.lines, read.parsed
    try:
        with transaction.atomic():
            statement = Statement.objects.create(
                sha256=read.sha256,
                filename=filename[:255],
                format=parsed.format,
                layout=parsed.layout.split(" (")[0][:60],
                account=(read.account or parsed.account)[:40],
                line_count=len(frame),
                first_date=frame["date"].min().date(),
                last_date=frame["date"].max().date(),
                money_out=Decimal(read.pence(-1)) / 100,
                money_in=Decimal(read.pence(1)) / 100,
                opening_balance=parsed.opening_balance,
                closing_balance=parsed.closing_balance,
                imported_by=by,
            )
            _save_lines(statement, frame)
    except IntegrityError:
        earlier = Statement.objects.filter(sha256=read.sha256).select_related("imported_by").first()
        raise Refused(duplicate_message(earlier)) from None
    if parsed.format == "csv" and parsed.layout_key and read.account:
        columns = _columns_of(layout) if parsed.layout_key == CUSTOM else {}
        BankAccountLayout.objects.update_or_create(
            account=read.account, defaults={"layout": parsed.layout_key, "columns": columns}
        )
    return statement


def _save_lines(statement: Statement, frame: pd.DataFrame) -> None:
    """The statement's lines: on PostgreSQL one INSERT ... SELECT FROM unnest() of each column
    as an array, whatever the number of lines; elsewhere the ORM's bulk_create."""
    import numpy as np

    days = frame["date"].to_numpy("datetime64[D]").astype(np.int64).tolist()
    balances = [None if b is None or b != b else int(b) for b in frame["balance"].tolist()]
    if connection.vendor != "postgresql":
        StatementLine.objects.bulk_create(
            (
                StatementLine(
                    statement=statement,
                    number=number,
                    date=EPOCH + datetime.timedelta(days=day),
                    amount=Decimal(pence) / 100,
                    description=text,
                    reference=ref,
                    bank_id=bank,
                    balance=None if balance is None else Decimal(balance) / 100,
                    fingerprint=mark,
                )
                for number, day, pence, text, ref, bank, balance, mark in zip(
                    frame["number"].astype(int).tolist(),
                    days,
                    frame["pence"].astype(int).tolist(),
                    frame["description"].tolist(),
                    frame["reference"].tolist(),
                    frame["bank_id"].tolist(),
                    balances,
                    frame["fingerprint"].tolist(),
                    strict=True,
                )
            ),
            batch_size=2000,
        )
        return
    meta = StatementLine._meta
    columns = (
        "statement_id, number, date, amount, description, reference, bank_id, balance, "
        "fingerprint, status, note, council_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "
            "SELECT %s, v.number, DATE '1970-01-01' + v.day, v.pence::numeric / 100, "
            "v.description, v.reference, v.bank_id, v.balance::numeric / 100, v.fingerprint, "
            "%s, '', %s FROM unnest(%s::integer[], %s::integer[], %s::bigint[], %s::text[], "
            "%s::text[], %s::text[], %s::bigint[], %s::text[]) "
            "AS v(number, day, pence, description, reference, bank_id, balance, fingerprint)",
            [
                statement.pk,
                StatementLine.Status.UNMATCHED,
                statement.council_id,
                array_literal(frame["number"].astype(int).tolist()),
                array_literal(days),
                array_literal(frame["pence"].astype(int).tolist()),
                array_literal(frame["description"].tolist(), text=True),
                array_literal(frame["reference"].tolist(), text=True),
                array_literal(frame["bank_id"].tolist(), text=True),
                array_literal(balances),
                array_literal(frame["fingerprint"].tolist(), text=True),
            ],
        )


def array_literal(values: list, *, text: bool = False) -> str:
    """A PostgreSQL array literal ('{1,2,NULL}', '{"a","b \\"c\\""}') of ints or (text=True)
    strings, None as NULL: passed as one string and cast in SQL (%s::bigint[]), it is quoted
    once rather than adapted element by element (2 s per 100k elements in psycopg's Python
    array dumper when Django binds parameters on the client)."""
    if text:
        items = (
            "NULL" if v is None else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
            for v in values
        )
    else:
        items = ("NULL" if v is None else str(int(v)) for v in values)
    return "{" + ",".join(items) + "}"


def _columns_of(layout: Layout | None) -> dict:
    if layout is None:
        return {}
    return {
        "date": layout.date,
        "description": ", ".join(layout.description),
        "amount": layout.amount,
        "money_out": layout.money_out,
        "money_in": layout.money_in,
        "balance": layout.balance,
        "headerless": layout.headerless,
        "date_format": layout.date_format,
    }


def duplicate_message(earlier: Statement | None, *, every_line: bool = False) -> str:
    """Why a file is refused as imported already, naming the earlier import."""
    if earlier is None:
        return "This file is being imported by someone else right now: nothing was imported."
    what = "Every line of this file was" if every_line else "This file was"
    return (
        f"{what} imported already, as statement {earlier.pk} ({earlier.filename}) on "
        f"{timezone.localtime(earlier.imported_at):%d %B %Y at %H:%M} by {earlier.imported_by}. "
        "Nothing was imported again."
    )
