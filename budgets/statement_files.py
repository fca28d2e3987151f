"""Reading bank statement files: CSV as UK banks export it (a declared Layout per bank, found
from the file's heading when exactly one fits, or columns the officer maps), OFX (through
ofxtools) and ISO 20022 camt.053 (through defusedxml: statements are files from outside, so XML
entity tricks are refused).

Every reader returns the same table, one row per statement line, money as integer pence (money
out negative), with the running balance where the file gives one, and the statement's opening
and closing balances where the format has them (checked: opening + money in - money out must
be the closing balance). Or it raises StatementError with one message naming every bad line
(every row with the wrong number of fields, every bad date or amount). Nothing here touches the
database: a file that fails is refused whole, before anything is written
(budgets.statement_imports saves it).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from budgets import bank_references
from fundmgr.money import AMOUNT, MoneyError, to_money

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# A payment's reference, as budgets.payments makes it (CCIF26-000123/1), and as banks print it:
# with or without hyphen or instalment, spaces, any case, in a longer memo, cut at 18 characters.
# The expression (for upper-cased text) is budgets.bank_references'.
REFERENCE = bank_references.pattern()
COLUMNS = ["number", "date", "pence", "description", "reference", "bank_id", "balance"]
MAX_LINES = 1_000_000
MAX_NAMED = 20  # bad lines named in one message; the rest are counted
# Every date form UK banks export, tried in this order: none can be mistaken for another.
DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y", "%d %b %Y", "%d-%b-%Y")
DATE_EXAMPLES = {
    "%d/%m/%Y": "dd/mm/yyyy",
    "%d/%m/%y": "dd/mm/yy",
    "%Y-%m-%d": "yyyy-mm-dd",
    "%d-%m-%Y": "dd-mm-yyyy",
    "%d %b %Y": "01 Sep 2026",
    "%d-%b-%Y": "01-Sep-2026",
}
# A sort code and account number as a statement prints them: 30-99-50 10203040, 309950-10203040.
ACCOUNT = re.compile(r"(?<!\d)(\d{2})[- ]?(\d{2})[- ]?(\d{2})[ -]*(\d{8})(?!\d)")


class StatementError(ValueError):
    """A file that cannot be imported, with a message for a person that names the line."""


def refuse(problems: list[tuple[int, str]]) -> StatementError:
    """One error naming every bad line (the first MAX_NAMED, then how many more), in line
    order: an officer fixes the file once, not once per line."""
    problems = sorted(problems, key=lambda p: p[0])
    if len(problems) == 1:
        return StatementError(problems[0][1])
    named = " ".join(message for _, message in problems[:MAX_NAMED])
    more = len(problems) - MAX_NAMED
    tail = f" And {more} more." if more > 0 else ""
    return StatementError(f"{len(problems)} problems: {named}{tail}")


@dataclass(frozen=True)
class Layout:
    """How one bank's CSV export is laid out, declared rather than coded: the column names (or,
    for a file without a heading, the columns in order), the sign convention (one signed
    `amount` column, money out negative; or `money_out` and `money_in` columns of positive
    amounts), the running `balance`, where the account is, and what surrounds the lines.

    Column names are matched ignoring case and spaces at either end. Every line must have as
    many fields as the heading (a trailing comma aside). Dates are read in any of DATE_FORMATS;
    `date_format` is the bank's own, shown to a person. Text fields may start with an
    apostrophe (a spreadsheet's "keep as text"), which is dropped. UTF-8 (with or without a
    byte-order mark) and Windows-1252 are both read, whatever `encoding` says."""

    key: str
    name: str
    date: str
    description: tuple[str, ...]
    amount: str = ""
    money_out: str = ""
    money_in: str = ""
    balance: str = ""
    bank_id: str = ""  # the bank's own id of a line, where the export has one (Monzo)
    currency: str = ""  # a column that must say GBP on every line
    account: str = ""  # sort code and account number together
    sort_code: str = ""
    account_number: str = ""
    heading: tuple[str, ...] = ()  # every column the bank exports, to recognise its files
    headerless: bool = False  # the file has no heading: `heading` names its columns in order
    date_format: str = "%d/%m/%Y"
    out_signed: bool = False  # the money-out column may carry a minus sign (Monzo)
    skip_rows: int = 0  # lines before the heading that are never read
    trailer: tuple[str, ...] = ()  # lines after the transactions starting so are dropped
    encoding: str = "utf-8"
    note: str = ""  # where the layout comes from

    @property
    def date_example(self) -> str:
        return DATE_EXAMPLES.get(self.date_format, self.date_format)

    @property
    def label(self) -> str:
        """The layout's short name: "Nationwide", not the columns."""
        return self.name.split(" (")[0]

    def needs(self) -> list[str]:
        """The columns the layout reads."""
        named = [self.date, *self.description, self.amount, self.money_out, self.money_in]
        named += [self.balance, self.bank_id, self.currency]
        named += [self.account, self.sort_code, self.account_number]
        return [n for n in named if n]


def _layout(key: str, name: str, heading: str, **kwargs) -> Layout:
    return Layout(
        key=key, name=name, heading=tuple(h.strip() for h in heading.split(",")), **kwargs
    )


class Presets(dict[str, Layout]):
    """The presets by key; a former key (RENAMED) still finds its layout, though only the
    current keys are listed."""

    def __missing__(self, key: str) -> Layout:
        found = layout_named(key)
        if found is None:
            raise KeyError(key)
        return found

    def get(self, key, default=None):  # type: ignore[override]
        return self[key] if layout_named(key) is not None else default


CUSTOM = "custom"
# The banks councils bank with, as their online banking exports CSV. Where a layout was checked
# against public parsers of real exports, `note` says so; the others follow the bank's printed
# statement columns and are the officer's to confirm (or to map as a custom layout).
PRESETS = Presets(
    (layout.key, layout)
    for layout in [
        _layout(
            "lloyds",
            "Lloyds Bank (Transaction Date, Sort Code, Account Number, Debit and Credit Amount)",
            "Transaction Date,Transaction Type,Sort Code,Account Number,Transaction Description,"
            "Debit Amount,Credit Amount,Balance",
            date="Transaction Date",
            description=("Transaction Description",),
            money_out="Debit Amount",
            money_in="Credit Amount",
            balance="Balance",
            sort_code="Sort Code",
            account_number="Account Number",
            note="Newest line first; the sort code '30-99-50 with an apostrophe. Also Halifax "
            "and Bank of Scotland (Lloyds Banking Group).",
        ),
        _layout(
            "barclays",
            "Barclays (Number, Date, Account, Amount, Subcategory, Memo)",
            "Number,Date,Account,Amount,Subcategory,Memo",
            date="Date",
            description=("Memo", "Subcategory"),
            amount="Amount",
            account="Account",
            note="One signed amount; no running balance; the account as '20-32-06 13152170'.",
        ),
        _layout(
            "hsbc",
            "HSBC UK business (Date, Type, Description, Paid out, Paid in, Balance)",
            "Date,Type,Description,Paid out,Paid in,Balance",
            date="Date",
            description=("Type", "Description"),
            money_out="Paid out",
            money_in="Paid in",
            balance="Balance",
            encoding="cp1252",
            note="Pound signs in Windows-1252.",
        ),
        _layout(
            "hsbc-headerless",
            "HSBC UK, no heading (date, description, signed amount)",
            "Date,Description,Amount",
            headerless=True,
            date="Date",
            description=("Description",),
            amount="Amount",
            note='No heading line; amounts quoted and signed: "-22,750.00".',
        ),
        _layout(
            "natwest",
            "NatWest / RBS / Ulster (Date, Type, Description, Value, Balance, Account Name, "
            "Account Number)",
            "Date,Type,Description,Value,Balance,Account Name,Account Number",
            date="Date",
            description=("Type", "Description"),
            amount="Value",
            balance="Balance",
            account="Account Number",
            encoding="cp1252",
            note="A blank first line, text fields with a leading apostrophe, a comma at the end "
            "of every line, the account as '606060-12345678.",
        ),
        _layout(
            "santander",
            "Santander (Date, Description, Money in, Money out, Balance)",
            "Date,Description,Money in,Money out,Balance",
            date="Date",
            description=("Description",),
            money_out="Money out",
            money_in="Money in",
            balance="Balance",
            note="Santander's online banking exports text (TXT), Excel or Quicken, not CSV: "
            "this is a CSV saved with its statement's columns, or from Santander Connect.",
        ),
        _layout(
            "nationwide",
            "Nationwide (Date, Transaction type, Description, Paid out, Paid in, Balance)",
            "Date,Transaction type,Description,Paid out,Paid in,Balance",
            date="Date",
            description=("Transaction type", "Description"),
            money_out="Paid out",
            money_in="Paid in",
            balance="Balance",
            date_format="%d %b %Y",
            encoding="cp1252",
            note="Lines naming the account and its balance before the heading; dates as "
            '"01 Sep 2026"; amounts with £ in Windows-1252.',
        ),
        _layout(
            "coop",
            "Co-operative Bank (Date, Description, Money In, Money Out, Balance)",
            "Date,Description,Money In,Money Out,Balance",
            date="Date",
            description=("Description",),
            money_out="Money Out",
            money_in="Money In",
            balance="Balance",
            note="The same columns as Santander's: the officer chooses which.",
        ),
        _layout(
            "unity",
            "Unity Trust Bank (Date, Transaction Type, Narrative, Debit, Credit, Balance)",
            "Date,Transaction Type,Narrative,Debit,Credit,Balance",
            date="Date",
            description=("Transaction Type", "Narrative"),
            money_out="Debit",
            money_in="Credit",
            balance="Balance",
        ),
        _layout(
            "metro",
            "Metro Bank (Date, Transaction type, Description, Money out, Money in, Balance)",
            "Date,Transaction type,Description,Money out,Money in,Balance",
            date="Date",
            description=("Transaction type", "Description"),
            money_out="Money out",
            money_in="Money in",
            balance="Balance",
        ),
        _layout(
            "starling",
            "Starling Bank (Date, Counter Party, Reference, Type, Amount (GBP), Balance (GBP))",
            "Date,Counter Party,Reference,Type,Amount (GBP),Balance (GBP),Spending Category,Notes",
            date="Date",
            description=("Counter Party", "Reference", "Type"),
            amount="Amount (GBP)",
            balance="Balance (GBP)",
        ),
        _layout(
            "monzo",
            "Monzo Business (Transaction ID, Date, Time, Type, Name, ..., Amount, Currency)",
            "Transaction ID,Date,Time,Type,Name,Emoji,Category,Amount,Currency,Local amount,"
            "Local currency,Notes and #tags,Address,Receipt,Description,Category split,"
            "Money Out,Money In",
            date="Date",
            description=("Name", "Description", "Notes and #tags"),
            amount="Amount",
            bank_id="Transaction ID",
            currency="Currency",
            note="Each line has Monzo's own id (tx_...), kept as the bank's id; no balance.",
        ),
    ]
)
# Layouts renamed when the made-up banks were replaced by real ones: files and callers that
# name the old keys still read.
RENAMED = {
    "albion": "hsbc",
    "northgate": "lloyds",
    "crown": "signed-with-preamble",
}
FORMER = {
    "signed-with-preamble": _layout(
        "signed-with-preamble",
        "A custom layout (Posted, Narrative, Reference, Amount, Balance; three lines first)",
        "Posted,Narrative,Reference,Amount,Balance",
        date="Posted",
        description=("Narrative", "Reference"),
        amount="Amount",
        balance="Balance",
        date_format="%Y-%m-%d",
        skip_rows=3,
    )
}


def layout_named(key: str) -> Layout | None:
    """The preset for `key` (or a former key), or None."""
    key = RENAMED.get(key, key)
    return dict.get(PRESETS, key) or FORMER.get(key)


def layout_choices() -> list[tuple[str, str]]:
    """(key, name) of every preset, for a form's choice of layout."""
    return [(key, layout.name) for key, layout in PRESETS.items()]


def custom_layout(columns: dict[str, str], *, headerless: bool = False) -> Layout:
    """The officer's own column mapping. `columns` names the heading's columns for date,
    description (several separated by commas), amount or money_out and money_in, and
    optionally balance; for a file without a heading, each is a column number from 1."""

    def one(name: str) -> str:
        return (columns.get(name) or "").strip()

    description = tuple(d.strip() for d in one("description").split(",") if d.strip())
    heading: tuple[str, ...] = ()
    if headerless:
        numbers = [one(n) for n in ("date", "amount", "money_out", "money_in", "balance")]
        numbers += list(description)
        try:
            width = max(int(n) for n in numbers if n)
        except ValueError:
            raise StatementError(
                "In a file without a heading, give each column by its number: 1, 2, 3..."
            ) from None
        heading = tuple(str(n) for n in range(1, width + 1))
    return Layout(
        key=CUSTOM,
        name="Your own layout",
        date=one("date"),
        description=description,
        amount=one("amount"),
        money_out=one("money_out"),
        money_in=one("money_in"),
        balance=one("balance"),
        heading=heading,
        headerless=headerless,
        date_format=one("date_format") or "%d/%m/%Y",
    )


@dataclass
class ParsedStatement:
    """What a file says: its lines (COLUMNS; `balance` is pence or None) and, where the file
    gives them, the balances before and after them (pence) and the account."""

    format: str
    lines: pd.DataFrame  # COLUMNS
    account: str = ""  # as the file names it
    layout: str = ""
    skipped: list[str] = field(default_factory=list)
    layout_key: str = ""
    bank_account: str = ""  # sort code and account number, "30-99-50 10203040", where known
    opening_pence: int | None = None
    closing_pence: int | None = None

    @property
    def opening_balance(self) -> Decimal | None:
        return None if self.opening_pence is None else Decimal(self.opening_pence) / 100

    @property
    def closing_balance(self) -> Decimal | None:
        return None if self.closing_pence is None else Decimal(self.closing_pence) / 100


# --- accounts ---------------------------------------------------------------------------------


def bank_account(text: str) -> str:
    """A sort code and account number written any way a bank writes them, as
    "30-99-50 10203040"; "" when `text` holds no such pair."""
    digits = re.sub(r"[^\d]", "", text or "")
    if len(digits) == 14:
        return f"{digits[0:2]}-{digits[2:4]}-{digits[4:6]} {digits[6:]}"
    if m := ACCOUNT.search(text or ""):
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)} {m.group(4)}"
    return ""


def from_iban(iban: str) -> str:
    """A UK IBAN's sort code and account number (GBkk BANK SSSSSS AAAAAAAA)."""
    iban = re.sub(r"\s", "", iban or "").upper()
    if len(iban) == 22 and iban.startswith("GB"):
        return bank_account(iban[8:22])
    return ""


def council_account(parsed: ParsedStatement, accounts: list[str]) -> str:
    """The council's account the statement is for, "30-99-50 10203040". A file that names no
    account (some CSV exports) is taken as the council's first. Raises naming the account
    when the file is another's. With no accounts configured, any account is taken."""
    known = [bank_account(a) or a.strip() for a in accounts]
    named = parsed.bank_account or parsed.account.strip()
    if not named:
        return known[0] if known else ""
    if not known:
        return named
    for account in known:
        if named == account or (
            len(named) == 8 and named.isdigit() and account.endswith(" " + named)
        ):
            return account
    raise StatementError(
        f"The statement is for account {named}, which is not one of the council's bank "
        f"accounts ({', '.join(known)}): nothing was read from it."
    )


# --- detecting the format -------------------------------------------------------------------


def detect_format(content: bytes) -> str:
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    upper = head.upper()
    if not head:
        raise StatementError("The file is empty.")
    if head.startswith(b"%PDF"):
        raise StatementError(
            "This is a PDF, which cannot be read line by line: export the statement from online "
            "banking as CSV, OFX or camt.053 instead."
        )
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise StatementError(
            "This is a spreadsheet (Excel) file: save it as CSV, or export the statement as CSV, "
            "OFX or camt.053."
        )
    if upper.startswith(b"OFXHEADER") or b"<OFX>" in upper:
        return "ofx"
    if head.startswith(b"<"):
        if b"camt.053" in head:
            return "camt053"
        raise StatementError(
            "This is an XML file, but not an ISO 20022 camt.053 bank statement or OFX."
        )
    return "csv"


def read_statement(
    content: bytes,
    layout: Layout | None = None,
    *,
    remembered: Layout | None = None,
    currency: str = "GBP",
) -> ParsedStatement:
    """Any statement file. A CSV file is read in `layout`; without one, in the layout its
    heading shows when exactly one fits, else in `remembered` (the account's last), else it
    is refused asking the officer to choose. OFX and camt.053 files say their currency, which
    must be `currency` (the council's accounts are in sterling; tests read others' samples)."""
    kind = detect_format(content)
    if kind == "ofx":
        return read_ofx(content, currency=currency)
    if kind == "camt053":
        return read_camt053(content, currency=currency)
    if layout is None:
        found = detect_layouts(content)
        if len(found) == 1:
            layout = found[0]
        elif remembered is not None:
            layout = remembered
        elif found:
            names = " or ".join(f.label for f in found)
            raise StatementError(f"Choose the layout of this CSV file: its heading fits {names}.")
        else:
            raise StatementError("Choose the layout of this CSV file: your bank's, or your own.")
    return read_csv(content, layout)


# --- CSV ------------------------------------------------------------------------------------


def line_of(content: bytes | str, offset: int) -> int:
    if isinstance(content, bytes):
        return content.count(b"\n", 0, offset) + 1
    return content.count("\n", 0, offset) + 1


def decode(content: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252, as UK banks export."""
    if b"\x00" in content[:4096]:
        raise StatementError(
            "The file is in UTF-16 or is not text: save it as CSV in UTF-8 or Windows-1252."
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError as error:
        raise StatementError(
            f"Line {line_of(content, error.start)} has a character that is neither UTF-8 nor "
            f"Windows-1252 (byte 0x{content[error.start]:02X}): save the file as CSV in UTF-8."
        ) from None


def csv_error(error: Exception) -> StatementError:
    """pandas' CSV error, said for a person (budgets.gl reads its files with pandas)."""
    text = str(error)
    if m := re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text):
        expected, line, saw = (int(x) for x in m.groups())
        return StatementError(
            f"Line {line} has {saw} columns where the heading has {expected}: "
            "the file may be damaged or not in the layout chosen."
        )
    if m := re.search(r"EOF inside string starting at row (\d+)", text):
        return StatementError(
            f"Line {int(m.group(1)) + 1} opens a quotation mark that is never closed: "
            "the file may be cut short."
        )
    return StatementError(f"The file cannot be read as CSV: {text}")


def _rows(text: str, limit: int | None = None) -> list[tuple[int, list[str]]]:
    """(line number, fields) of every row, with the csv module, which (unlike pandas) keeps
    each row's own number of fields. A quotation mark never closed is named by its line."""
    import csv

    if limit is None:
        # Fast: one row a line (no quoted line breaks), numbered by counting; else row by row.
        try:
            every = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        except csv.Error:
            every = []
        lines = text.count("\n") + (0 if text.endswith("\n") else 1)
        if every and len(every) == lines:
            return list(zip(range(1, lines + 1), every, strict=True))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for fields in reader:
            rows.append((start, fields))
            start = reader.line_num + 1
            if limit is not None and len(rows) >= limit:
                break
    except csv.Error as error:
        if "end of data" in str(error) or "EOF" in str(error):
            raise StatementError(
                f"Line {start} opens a quotation mark that is never closed: "
                "the file may be cut short."
            ) from None
        raise StatementError(f"Line {start} cannot be read as CSV: {error}.") from None
    return rows


def _clean(name: str) -> str:
    return name.strip().lstrip("'").strip().lower()


def _heading_at(rows: list[tuple[int, list[str]]], layout: Layout) -> int:
    """The index of the heading row: the first (after `skip_rows` lines) holding every column
    the layout reads; lines before it (an account's name, number and balance) are preamble."""
    wanted = {_clean(n) for n in layout.needs()}
    for i, (number, fields) in enumerate(rows[:40]):
        if number <= layout.skip_rows:
            continue
        if wanted <= {_clean(f) for f in fields}:
            return i
    first = next(
        (fields for number, fields in rows if number > layout.skip_rows and any(fields)), []
    )
    missing = next(n for n in layout.needs() if _clean(n) not in {_clean(f) for f in first})
    found = ", ".join(f.strip() for f in first if f.strip())
    raise StatementError(
        f"The file has no '{missing}' column, which the {layout.label} layout needs. Its "
        f"columns are: {found}. Choose the layout of your bank's export, or map the columns "
        "yourself."
    )


def detect_layouts(content: bytes) -> list[Layout]:
    """The presets whose heading the file's is: first those with exactly the bank's columns,
    else those whose columns the file has, else (no heading at all) those without a heading
    whose first line fits."""
    try:
        rows = _rows(decode(content), limit=40)
    except StatementError:
        return []
    headings = [{_clean(f) for f in fields if f.strip()} for _, fields in rows]
    exact, partial = [], []
    for layout in PRESETS.values():
        if layout.headerless:
            continue
        full = {_clean(h) for h in layout.heading}
        needs = {_clean(n) for n in layout.needs()}
        if full in headings:
            exact.append(layout)
        elif any(needs <= h for h in headings):
            partial.append(layout)
    if exact or partial:
        return exact or partial
    first = next((fields for _, fields in rows if any(f.strip() for f in fields)), [])
    fits = []
    for layout in PRESETS.values():
        if layout.headerless and _fields_fit(first, len(layout.heading)):
            date = first[layout.heading.index(layout.date)].strip()
            if any(_is_date(date, f) for f in DATE_FORMATS):
                fits.append(layout)
    return fits


def _is_date(text: str, form: str) -> bool:
    import datetime

    try:
        datetime.datetime.strptime(text, form)
    except ValueError:
        return False
    return True


def _fields_fit(fields: list[str], width: int) -> bool:
    return len(_trimmed(fields, width)) == width


def _trimmed(fields: list[str], width: int) -> list[str]:
    """A row without the empty fields past the heading's width (a trailing comma)."""
    end = len(fields)
    while end > width and not fields[end - 1].strip():
        end -= 1
    return fields[:end]


def _dates(text: pd.Series, numbers: np.ndarray, layout: Layout, problems: list) -> pd.Series:
    """Dates in any of DATE_FORMATS, the layout's own first; every bad one is a problem."""
    import numpy as np
    import pandas as pd

    forms = [layout.date_format, *(f for f in DATE_FORMATS if f != layout.date_format)]
    dates = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    todo = text != ""
    for form in forms:
        if not todo.any():
            break
        found = pd.to_datetime(text[todo], format=form, errors="coerce")
        dates[found.index] = dates[found.index].fillna(found)
        todo &= dates.isna()
    for i in np.flatnonzero((text == "").to_numpy()):
        problems.append((numbers[i], f"Line {numbers[i]} has no date: the file may be cut short."))
    for i in np.flatnonzero(todo.to_numpy()):
        problems.append(
            (
                numbers[i],
                f"Line {numbers[i]}: '{text.iloc[i]}' is not a real date in the form "
                f"{layout.date_example}.",
            )
        )
    return dates


def pence_column(
    text: pd.Series, numbers: np.ndarray, what: str, *, signed: bool, problems: list | None = None
) -> pd.Series:
    """Integer pence from text such as "£1,234.50" or "-12.5"; "" stays 0. An amount is read as
    a person's typed amount is (fundmgr.money.AMOUNT: a pound sign, commas or spaces between
    thousands, at most two places after the point, no exponent), a whole column at once, in
    Arrow's RE2 engine. Every line that is not an amount (or, in a column of positive amounts,
    is negative) is added to `problems`; without a list, the first is raised."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    result = np.zeros(len(text), dtype=np.int64)
    where = np.flatnonzero((text != "").to_numpy())
    if not len(where):
        return pd.Series(result, index=text.index)
    values = text.to_numpy(dtype=object)[where]
    shape = pc.extract_regex(pa.array(values, type=pa.string()), f"^(?:{AMOUNT.pattern})$")
    matched = pc.is_valid(shape).to_numpy(zero_copy_only=False)
    shape = pc.fill_null(
        shape, pa.scalar({"sign": "", "inner_sign": "", "whole": "", "pence": ""}, shape.type)
    )

    def part(name: str) -> pa.Array:
        return pc.struct_field(shape, [shape.type.get_field_index(name)])

    sign, inner, whole, pence = (part(n) for n in ("sign", "inner_sign", "whole", "pence"))
    has_sign = pc.equal(sign, "-").to_numpy(zero_copy_only=False)
    has_inner = pc.equal(inner, "-").to_numpy(zero_copy_only=False)
    has_whole = pc.not_equal(whole, "").to_numpy(zero_copy_only=False)
    pence_len = pc.utf8_length(pence).to_numpy(zero_copy_only=False)
    valid = matched & (has_whole | (pence_len > 0)) & (pence_len <= 2) & ~(has_sign & has_inner)
    negative = valid & (has_sign | has_inner)
    found: list[tuple[int, str]] = []
    for i in np.flatnonzero(~valid).tolist():
        line = int(numbers[where[i]])
        found.append(
            (
                line,
                f"Line {line}: '{values[i]}' in the {what} column is not an amount of money, "
                "such as 1,234.50.",
            )
        )
    if not signed:
        for i in np.flatnonzero(negative).tolist():
            line = int(numbers[where[i]])
            found.append(
                (
                    line,
                    f"Line {line}: the {what} column holds a negative amount ({values[i]}); "
                    "money in and money out are each given as positive amounts.",
                )
            )
    if found:
        if problems is None:
            raise StatementError(found[0][1])
        problems.extend(found)
    digits = pc.replace_substring(pc.replace_substring(whole, ",", ""), " ", "")
    digits = pc.if_else(pa.array(valid & has_whole), digits, "0")
    fraction = pc.if_else(pa.array(valid), pc.utf8_rpad(pence, 2, "0"), "00")
    amounts = (
        pc.cast(digits, pa.int64()).to_numpy() * 100 + pc.cast(fraction, pa.int64()).to_numpy()
    )
    result[where] = np.where(negative, -amounts, amounts)
    return pd.Series(result, index=text.index)


def _regular_rows(text: str, skip: int, width: int) -> tuple[np.ndarray, list] | None:
    """(line numbers, columns) of the lines after the first `skip`, read by Arrow's CSV reader
    when every line is regular: `width` fields, one line per row. None otherwise (a row too
    short or too long, a trailing comma, a quoted line break, a stray quotation mark), for
    _checked_rows to read line by line and name what is wrong."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    irregular: list[int] = []

    def invalid(row) -> str:
        irregular.append(row.number)
        return "skip"

    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(skip_rows=skip, column_names=names, use_threads=False),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
            memory_pool=pa.system_memory_pool(),  # gives memory back when done
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if irregular or skip + table.num_rows != lines:
        return None
    columns = [table.column(i).to_numpy(zero_copy_only=False) for i in range(width)]
    numbers = np.arange(skip + 1, skip + 1 + table.num_rows, dtype=np.int64)
    # Blank lines (or only commas and spaces) are dropped, as _checked_rows drops them.
    blank = np.array([not v.strip() for v in columns[0]], dtype=bool)
    for i in np.flatnonzero(blank).tolist():
        blank[i] = not "".join(values[i] for values in columns).strip()
    if blank.any():
        keep = ~blank
        numbers = numbers[keep]
        columns = [values[keep] for values in columns]
    return numbers, columns


def _checked_rows(
    text: str, skip: int, names: list[str], layout: Layout
) -> tuple[np.ndarray, list]:
    """(line numbers, columns) of the lines after the first `skip`, read line by line with the
    csv module: every row with the wrong number of fields (a trailing comma's empty field
    aside) is named in one error."""
    import numpy as np

    width = len(names)
    body = [(n, f) for n, f in _rows(text) if n > skip and "".join(f).strip()]
    while body and layout.trailer and body[-1][1][0].strip().lower().startswith(layout.trailer):
        body.pop()
    problems: list[tuple[int, str]] = []
    money = {_clean(m) for m in _money(layout)}
    money_at = max((i for i, n in enumerate(names) if _clean(n) in money), default=0)
    fields_of = []
    last = len(body) - 1
    for i, (number, fields) in enumerate(body):
        if len(fields) == width:
            fields_of.append(fields)
            continue
        fields = _trimmed(fields, width)
        if len(fields) != width:
            if len(fields) < width and i == last and len(fields) <= money_at:
                message = (
                    f"Line {number} has no amount: the file may be cut short ({len(fields)} of "
                    f"the heading's {width} columns)."
                )
            else:
                message = (
                    f"Line {number} has {len(fields)} columns where the heading has {width}: "
                    "the file may be damaged or not in the layout chosen."
                )
            problems.append((number, message))
        fields_of.append(fields)
    if problems:
        raise refuse(problems)
    numbers = np.fromiter((n for n, _ in body), dtype=np.int64, count=len(body))
    columns = [list(c) for c in zip(*fields_of, strict=True)] if fields_of else []
    return numbers, columns


def read_csv(content: bytes, layout: Layout) -> ParsedStatement:
    """A CSV export in `layout`, all or nothing: every line with the wrong number of fields,
    a bad date or a bad amount is named in one error."""
    import numpy as np
    import pandas as pd

    text = decode(content)
    head = _rows(text, limit=60)
    if not any("".join(fields).strip() for _, fields in head):
        raise StatementError("The file has no heading and no lines.")
    preamble: list[list[str]] = []
    if layout.headerless:
        names = list(layout.heading)
        skip = layout.skip_rows
    else:
        at = _heading_at(head, layout)
        preamble = [fields for _, fields in head[:at]]
        names = [h.strip().lstrip("'").strip() for h in _trimmed(head[at][1], 0)]
        skip = head[at][0]  # the lines up to and including the heading
    width = len(names)
    fast = None if layout.trailer else _regular_rows(text, skip, width)
    if fast is not None:
        numbers, columns = fast
    else:
        numbers, columns = _checked_rows(text, skip, names, layout)
    if not len(numbers):
        raise StatementError("The file has a heading but no lines.")
    if len(numbers) > MAX_LINES:
        raise StatementError(f"The file has more than {MAX_LINES:,} lines: split it by month.")
    problems: list[tuple[int, str]] = []
    at = numbers.tolist()  # line numbers as Python ints, for messages
    lookup = {_clean(n): i for i, n in enumerate(names)}

    def column(wanted: str) -> pd.Series:
        key = _clean(wanted)
        if key not in lookup:
            found = ", ".join(names)
            raise StatementError(
                f"The file has no '{wanted}' column, which the {layout.label} layout needs. Its "
                f"columns are: {found}. Choose the layout of your bank's export, or map the "
                "columns yourself."
            )
        values = [v.strip() for v in columns[lookup[key]]]
        values = [v[1:].strip() if v[:1] == "'" else v for v in values]
        return pd.Series(values, dtype=object)

    dates = _dates(column(layout.date), numbers, layout, problems)
    if layout.amount:
        amount_text = column(layout.amount)
        pence = pence_column(amount_text, numbers, layout.amount, signed=True, problems=problems)
        empty = (amount_text == "").to_numpy()
    else:
        out_text = column(layout.money_out)
        in_text = column(layout.money_in)
        out = pence_column(
            out_text, numbers, layout.money_out, signed=layout.out_signed, problems=problems
        ).abs()
        money_in = pence_column(in_text, numbers, layout.money_in, signed=False, problems=problems)
        for i in np.flatnonzero(((out != 0) & (money_in != 0)).to_numpy()).tolist():
            problems.append(
                (
                    at[i],
                    f"Line {at[i]} has money both out and in: a line is one or the other.",
                )
            )
        pence = money_in - out
        empty = ((out_text == "") & (in_text == "")).to_numpy()
    for i in np.flatnonzero(empty).tolist():
        problems.append((at[i], f"Line {at[i]} has no amount: the file may be cut short."))
    for i in np.flatnonzero(((pence == 0).to_numpy()) & ~empty).tolist():
        problems.append((at[i], f"Line {at[i]} has an amount of £0.00."))
    if layout.currency:
        currency = column(layout.currency).str.upper()
        for i in np.flatnonzero(((currency != "GBP") & (currency != "")).to_numpy()).tolist():
            problems.append(
                (
                    at[i],
                    f"Line {at[i]} is in {currency.iloc[i]}; only sterling statements are read.",
                )
            )
    balance = None
    if layout.balance:
        balance_text = column(layout.balance)
        balance = pence_column(
            balance_text, numbers, layout.balance, signed=True, problems=problems
        )
        balance = balance.astype(object).where(balance_text != "", None)
    if problems:
        raise refuse(problems)

    parts = [column(name).tolist() for name in layout.description]
    description = pd.Series([" ".join(" ".join(p).split()) for p in zip(*parts, strict=True)])
    account = _csv_account(layout, column, preamble)
    lines = pd.DataFrame(
        {
            "number": numbers,
            "date": dates.to_numpy(),
            "pence": pence.to_numpy(dtype=np.int64),
            "description": description.str.slice(0, 255).to_numpy(),
            "reference": _references(description),
            "bank_id": column(layout.bank_id).str.slice(0, 80).to_numpy() if layout.bank_id else "",
            "balance": balance.to_numpy() if balance is not None else None,
        }
    )
    opening, closing = csv_balances(lines)
    return ParsedStatement(
        format="csv",
        lines=lines,
        layout=layout.name,
        layout_key=layout.key,
        account=account,
        bank_account=bank_account(account),
        opening_pence=opening,
        closing_pence=closing,
    )


def _money(layout: Layout) -> list[str]:
    return [n for n in (layout.amount, layout.money_out, layout.money_in) if n]


def _csv_account(layout: Layout, column, preamble: list[list[str]]) -> str:
    """The account the file is for: from its own columns (the first line's), or from the lines
    before its heading; "" when it does not say."""
    if layout.account:
        return column(layout.account).iloc[0]
    if layout.sort_code and layout.account_number:
        return f"{column(layout.sort_code).iloc[0]} {column(layout.account_number).iloc[0]}"
    for fields in preamble:
        if found := bank_account(" ".join(fields)):
            return found
    return ""


def csv_balances(lines: pd.DataFrame) -> tuple[int | None, int | None]:
    """(opening, closing) in pence from a running balance column, taking the lines in time order
    (many banks export the newest first): opening is the first line's balance less its amount,
    closing the last line's balance. (None, None) when the file has no balances. Raises when
    opening + credits - debits is not the closing balance: a line is missing or damaged."""
    balances = lines["balance"].tolist()
    if not balances or balances[0] is None and balances[-1] is None:
        return None, None
    order = list(range(len(lines)))
    dates = lines["date"]
    if dates.iloc[0] > dates.iloc[-1] or (
        dates.iloc[0] == dates.iloc[-1] and _runs_backwards(lines)
    ):
        order.reverse()
    first, last = order[0], order[-1]
    if balances[first] is None or balances[last] is None:
        return None, None
    opening = int(balances[first]) - int(lines["pence"].iloc[first])
    closing = int(balances[last])
    pence = lines["pence"]
    money_in, money_out = int(pence[pence > 0].sum()), int(-pence[pence < 0].sum())
    if opening + money_in - money_out != closing:
        raise StatementError(
            f"The balances do not add up: the opening balance {_pounds(opening)} plus money in "
            f"{_pounds(money_in)} less money out {_pounds(money_out)} is "
            f"{_pounds(opening + money_in - money_out)}, but the closing balance is "
            f"{_pounds(closing)}. A line is missing or damaged."
        )
    return opening, closing


def _runs_backwards(lines: pd.DataFrame) -> bool:
    """Whether the running balance reads newest line first (for a file all of one day)."""
    pence, balances = lines["pence"].tolist(), lines["balance"].tolist()
    for i in range(1, len(balances)):
        if balances[i] is None or balances[i - 1] is None:
            continue
        if balances[i - 1] + pence[i] == balances[i]:
            return False
        if balances[i] + pence[i - 1] == balances[i - 1]:
            return True
    return False


def _pounds(pence: int) -> str:
    sign = "-" if pence < 0 else ""
    return f"{sign}£{abs(pence) // 100:,}.{abs(pence) % 100:02d}"


def fingerprints(lines: pd.DataFrame, account: str) -> list[str]:
    """Each line's identity across downloads of the same account's statements: the bank's id
    where it gives one, else date, amount, description (spacing and case aside) and running
    balance, with a count for identical lines within the file. The bytes of the file (line
    endings, a trailing newline) and the line's place in it play no part."""
    import hashlib

    seen: dict[str, int] = {}
    result = []
    for date, pence, description, bank_id, balance in zip(
        lines["date"],
        lines["pence"],
        lines["description"],
        lines["bank_id"],
        lines["balance"],
        strict=True,
    ):
        if bank_id:
            key = f"{account}|id|{bank_id}"
        else:
            text = " ".join(str(description).upper().split())
            key = f"{account}|{date:%Y-%m-%d}|{int(pence)}|{text}|{balance}"
            seen[key] = seen.get(key, -1) + 1
            key = f"{key}|{seen[key]}"
        result.append(hashlib.sha256(key.encode()).hexdigest())
    return result


def _references(description: pd.Series) -> np.ndarray:
    """The payment reference in each description as the council writes it (CCIF26-000123/1, or
    CCIF26-000123 when the bank left the instalment out), or "". One call into Arrow's RE2
    engine for the whole column: see budgets.bank_references."""
    return bank_references.find_all(description)


# --- OFX ------------------------------------------------------------------------------------


def _nth_line(text: str, pattern: str, n: int) -> int:
    """The file line of the n-th (from 0) match of `pattern`: to name a transaction's line."""
    for i, match in enumerate(re.finditer(pattern, text, flags=re.IGNORECASE)):
        if i == n:
            return line_of(text, match.start())
    return 0


def read_ofx(content: bytes, *, currency: str = "GBP") -> ParsedStatement:
    import numpy as np
    import pandas as pd
    from ofxtools import Types
    from ofxtools.header import OFXHeaderError
    from ofxtools.Parser import OFXTree, ParseError

    text = content.decode("cp1252", errors="replace")
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(content))
    except OFXHeaderError:
        # ofxtools' message quotes the file object or the file itself: say what is wrong.
        raise StatementError(
            "The OFX file's header is not valid: it must start with OFXHEADER:100 and its "
            "other header lines (OFX 1), or <?xml ...?> and <?OFX ...?> (OFX 2)."
        ) from None
    except (ParseError, SyntaxError, IndexError, ValueError, KeyError, TypeError) as error:
        where = re.search(r"position=\[(\d+):", str(error))
        place = f"Line {line_of(text, int(where.group(1)))}" if where else "The file"
        raise StatementError(
            f"{place} is not valid OFX (a tag is misspelt, out of place or not closed), or "
            "the file is cut short."
        ) from None
    except Exception:  # noqa: BLE001 - ofxtools raises many kinds; none is shown as it is
        raise StatementError(
            "The file is not valid OFX: export the statement from online banking again."
        ) from None
    if not text.rstrip().upper().endswith("</OFX>"):
        raise StatementError(
            f"The OFX file stops at line {line_of(text, len(text.rstrip()))} before its closing "
            "</OFX>: it is cut short."
        )
    root = tree.getroot()
    if root is None:
        raise StatementError("The OFX file has no transactions.")
    account = (root.findtext(".//BANKACCTFROM/ACCTID") or "").strip()
    sort_code = (root.findtext(".//BANKACCTFROM/BANKID") or "").strip()
    currencies = {(c or "").strip().upper() for c in _all_text(root, ".//STMTRS/CURDEF")}
    if not currencies:
        raise StatementError("The OFX file does not say its currency (CURDEF).")
    if currencies != {currency}:
        other = ", ".join(sorted(currencies - {currency}))
        raise StatementError(
            f"The OFX statement is in {other}; only {_money_name(currency)} statements are read."
        )
    datetime_type, decimal_type = Types.DateTime(), Types.Decimal()
    rows = []
    transactions = root.findall(".//STMTTRN")
    if not transactions:
        raise StatementError("The OFX file has no transactions.")
    for i, trn in enumerate(transactions):
        line = _nth_line(text, r"<STMTTRN>", i)
        posted, amount = trn.findtext("DTPOSTED"), trn.findtext("TRNAMT")
        try:
            when = datetime_type.convert(posted)
        except Exception:  # noqa: BLE001 - ofxtools raises several kinds for a bad date
            raise StatementError(f"Line {line}: '{posted}' is not a real OFX date.") from None
        try:
            value = decimal_type.convert(amount)
        except Exception:  # noqa: BLE001
            raise StatementError(f"Line {line}: '{amount}' is not an amount of money.") from None
        if value is None or when is None or amount is None:
            raise StatementError(f"Line {line}: a transaction needs a date and an amount.")
        try:
            # Read as any amount is: ofxtools alone would take "1E3" or "NaN" for a number.
            value = to_money(amount.strip())
        except MoneyError:
            value = Decimal(0)
        if value == 0:
            raise StatementError(f"Line {line}: '{amount}' is not an amount in pounds and pence.")
        description = " ".join(
            (trn.findtext(tag) or "").strip() for tag in ("NAME", "MEMO", "REFNUM", "CHECKNUM")
        )
        fitid = (trn.findtext("FITID") or "").strip()[:80]
        text_ = " ".join(description.split())[:255]
        rows.append((line, when.date(), int(value * 100), text_, fitid))
    rows = _one_per_fitid(rows)
    lines = pd.DataFrame(
        {
            "number": np.array([r[0] for r in rows], dtype=np.int64),
            "date": pd.to_datetime([r[1] for r in rows]),
            "pence": np.array([r[2] for r in rows], dtype=np.int64),
            "description": [r[3] for r in rows],
            "bank_id": [r[4] for r in rows],
        }
    )
    lines["reference"] = _references(lines["description"].astype(str))
    lines["balance"] = None
    closing = _ofx_balance(root, "LEDGERBAL") or _ofx_balance(root, "AVAILBAL")
    opening = None if closing is None else closing - int(lines["pence"].sum())
    both = bank_account(f"{sort_code}{account}") or bank_account(account)
    return ParsedStatement(
        format="ofx",
        lines=lines[COLUMNS],
        account=account[:40],
        bank_account=both,
        opening_pence=opening,
        closing_pence=closing,
    )


def _all_text(root, path: str) -> list[str]:
    return [el.text or "" for el in root.findall(path)]


def _one_per_fitid(rows: list[tuple]) -> list[tuple]:
    """Rows (line, date, pence, description, FITID) with one per FITID: the bank's id names one
    transaction, so the same id on two different transactions refuses the file; the same
    transaction given twice is kept once."""
    first: dict[str, tuple] = {}
    kept, problems = [], []
    for row in rows:
        fitid = row[4]
        if not fitid:
            kept.append(row)
        elif fitid not in first:
            first[fitid] = row
            kept.append(row)
        elif first[fitid][1:4] != row[1:4]:
            problems.append(
                (
                    row[0],
                    f"Line {row[0]}: the bank's id (FITID) {fitid} is also line "
                    f"{first[fitid][0]}'s, a different transaction.",
                )
            )
    if problems:
        raise refuse(problems)
    return kept


def _ofx_balance(root, tag: str) -> int | None:
    """LEDGERBAL or AVAILBAL's amount in pence, or None."""
    amount = root.findtext(f".//{tag}/BALAMT")
    if amount is None or not amount.strip():
        return None
    try:
        return int(to_money(amount.strip()) * 100)
    except MoneyError:
        raise StatementError(f"The OFX {tag} '{amount}' is not an amount of money.") from None


# --- ISO 20022 camt.053 ---------------------------------------------------------------------


def read_camt053(content: bytes, *, currency: str = "GBP") -> ParsedStatement:
    from xml.etree.ElementTree import ParseError

    import pandas as pd
    from defusedxml import DefusedXmlException
    from defusedxml import ElementTree as SafeTree

    text = content.decode("utf-8", errors="replace")
    try:
        root = SafeTree.fromstring(content)
    except DefusedXmlException:
        raise StatementError(
            "The file uses XML entities or a document type definition, which a bank statement "
            "never needs; it is refused."
        ) from None
    except ParseError as error:
        line = error.position[0]
        raise StatementError(
            f"Line {line} is not well-formed XML: the file may be damaged or cut short."
        ) from None
    ns_match = re.match(r"\{([^}]*)\}", root.tag)
    ns = ns_match.group(1) if ns_match else ""
    if "camt.053" not in ns:
        raise StatementError("The file is XML, but not an ISO 20022 camt.053 bank statement.")
    q = f"{{{ns}}}"
    account = root.findtext(f".//{q}Stmt/{q}Acct/{q}Id/{q}IBAN") or root.findtext(
        f".//{q}Stmt/{q}Acct/{q}Id/{q}Othr/{q}Id", ""
    )
    accounts = {
        (
            st.findtext(f"{q}Acct/{q}Id/{q}IBAN")
            or st.findtext(f"{q}Acct/{q}Id/{q}Othr/{q}Id")
            or ""
        ).strip()
        for st in root.findall(f".//{q}Stmt")
    }
    if len(accounts) > 1:
        raise StatementError(
            f"The file holds statements of {len(accounts)} accounts "
            f"({', '.join(sorted(accounts))}): "
            "export each account's statement on its own."
        )
    account_currency = (root.findtext(f".//{q}Stmt/{q}Acct/{q}Ccy") or currency).strip()
    if account_currency != currency:
        raise StatementError(
            f"The statement's account is in {account_currency}; only "
            f"{_money_name(currency)} statements are read."
        )
    entries = root.findall(f".//{q}Stmt/{q}Ntry")
    if not entries:
        raise StatementError("The camt.053 statement has no entries.")
    rows = []
    for i, entry in enumerate(entries):
        line = _nth_line(text, r"<(?:\w+:)?Ntry[\s>]", i)
        amount_el = entry.find(f"{q}Amt")
        if amount_el is None or not (amount_el.text or "").strip():
            raise StatementError(f"Line {line}: the entry has no amount.")
        entry_currency = amount_el.get("Ccy", currency)
        if entry_currency != currency:
            raise StatementError(
                f"Line {line}: the entry is in {entry_currency}; only "
                f"{_money_name(currency)} statements are read."
            )
        try:
            value = to_money(amount_el.text.strip())
        except MoneyError:
            raise StatementError(
                f"Line {line}: '{amount_el.text.strip()}' is not an amount of money."
            ) from None
        if value <= 0:
            raise StatementError(
                f"Line {line}: '{amount_el.text.strip()}' is not a positive amount in pounds and "
                "pence (camt.053 gives the direction as CRDT or DBIT)."
            )
        direction = entry.findtext(f"{q}CdtDbtInd", "").strip()
        if direction not in ("CRDT", "DBIT"):
            raise StatementError(
                f"Line {line}: the entry is neither credit (CRDT) nor debit (DBIT)."
            )
        booked = (
            entry.findtext(f"{q}BookgDt/{q}Dt")
            or (entry.findtext(f"{q}BookgDt/{q}DtTm") or "")[:10]
        )
        date = pd.to_datetime(booked.strip(), format="%Y-%m-%d", errors="coerce")
        if pd.isna(date):
            raise StatementError(f"Line {line}: '{booked}' is not a real booking date.")
        texts = [entry.findtext(f"{q}AddtlNtryInf", "")]
        texts += [el.text or "" for el in entry.iter(f"{q}Ustrd")]
        texts += [el.text or "" for el in entry.iter(f"{q}EndToEndId") if el.text != "NOTPROVIDED"]
        pence = int(value * 100)
        rows.append(
            (
                line,
                date,
                -pence if direction == "DBIT" else pence,
                " ".join(" ".join(texts).split())[:255],
                (entry.findtext(f"{q}AcctSvcrRef") or "").strip()[:80],
            )
        )
    lines = pd.DataFrame(rows, columns=["number", "date", "pence", "description", "bank_id"])
    lines["number"] = lines["number"].astype("int64")
    lines["pence"] = lines["pence"].astype("int64")
    lines["reference"] = _references(lines["description"].astype(str))
    lines["balance"] = None
    balances = _camt_balances(root, q, currency)
    opening = balances.get("OPBD", balances.get("PRCD"))
    closing = balances.get("CLBD")
    if opening is not None and closing is not None:
        pence = lines["pence"]
        money_in, money_out = int(pence[pence > 0].sum()), int(-pence[pence < 0].sum())
        if opening + money_in - money_out != closing:
            raise StatementError(
                f"The balances do not add up: the opening balance {_pounds(opening)} plus money "
                f"in {_pounds(money_in)} less money out {_pounds(money_out)} is "
                f"{_pounds(opening + money_in - money_out)}, but the closing balance is "
                f"{_pounds(closing)}. An entry is missing or damaged."
            )
    elif closing is not None:
        opening = closing - int(lines["pence"].sum())
    return ParsedStatement(
        format="camt053",
        lines=lines[COLUMNS],
        account=account.strip()[:40],
        bank_account=from_iban(account) or bank_account(account),
        opening_pence=opening,
        closing_pence=closing,
    )


def _money_name(currency: str) -> str:
    return "sterling" if currency == "GBP" else currency


def _camt_balances(root, q: str, currency: str) -> dict[str, int]:
    """The statement's balances by type code (OPBD opening booked, CLBD closing booked, ...),
    in pence: a debit balance (overdrawn) is negative."""
    found: dict[str, int] = {}
    statements = root.findall(f".//{q}Stmt")
    # A file of several statements (a day each): the first one's opening, the last one's closing.
    balances = [(b, 0) for b in statements[0].findall(f"{q}Bal")] if statements else []
    balances += [(b, 1) for b in statements[-1].findall(f"{q}Bal")] if statements else []
    for bal, which in balances:
        code = (bal.findtext(f"{q}Tp/{q}CdOrPrtry/{q}Cd") or "").strip()
        amount = bal.find(f"{q}Amt")
        if not code or amount is None or code in found or (code == "CLBD") != bool(which):
            continue
        if amount.get("Ccy", currency) != currency:
            raise StatementError(
                f"The statement's {code} balance is in {amount.get('Ccy')}; only "
                f"{_money_name(currency)} statements are read."
            )
        try:
            pence = int(to_money((amount.text or "").strip()) * 100)
        except MoneyError:
            raise StatementError(
                f"The statement's {code} balance '{amount.text}' is not an amount of money."
            ) from None
        sign = -1 if (bal.findtext(f"{q}CdtDbtInd") or "").strip() == "DBIT" else 1
        found[code] = sign * pence
    return found
