"""Reading bank statement files: CSV as UK banks export it (a column layout per bank, or one the
officer maps), OFX (through ofxtools) and ISO 20022 camt.053 (through defusedxml: statements are
files from outside, so XML entity tricks are refused).

Every reader returns the same table, one row per statement line, money as integer pence (money
out negative), or raises StatementError with a message that names the line. Nothing here touches
the database: a file that fails is refused whole, before anything is written.
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
COLUMNS = ["number", "date", "pence", "description", "reference", "bank_id"]
MAX_LINES = 1_000_000


class StatementError(ValueError):
    """A file that cannot be imported, with a message for a person that names the line."""


@dataclass(frozen=True)
class Layout:
    """Where a bank's CSV export keeps each thing. Column names are matched ignoring case and
    spaces at either end. Money is either one signed column (`amount`, money out negative) or
    two columns of positive amounts (`money_out`, `money_in`)."""

    key: str
    name: str
    date: str
    description: tuple[str, ...]
    amount: str = ""
    money_out: str = ""
    money_in: str = ""
    date_format: str = "%d/%m/%Y"
    skip_rows: int = 0

    @property
    def date_example(self) -> str:
        return {"%d/%m/%Y": "dd/mm/yyyy", "%Y-%m-%d": "yyyy-mm-dd", "%d-%m-%Y": "dd-mm-yyyy"}.get(
            self.date_format, self.date_format
        )


# Fictional banks, laid out as the big UK banks' business exports are.
PRESETS = {
    layout.key: layout
    for layout in [
        Layout(
            key="albion",
            name="Albion Bank business banking (Date, Type, Description, Paid out, Paid in)",
            date="Date",
            description=("Type", "Description"),
            money_out="Paid out",
            money_in="Paid in",
        ),
        Layout(
            key="northgate",
            name="Northgate Bank (Transaction Date, Transaction Description, Debit Amount, "
            "Credit Amount)",
            date="Transaction Date",
            description=("Transaction Description",),
            money_out="Debit Amount",
            money_in="Credit Amount",
        ),
        Layout(
            key="crown",
            name="Crown & County Bank (Posted, Narrative, Reference, Amount; money out negative)",
            date="Posted",
            description=("Narrative", "Reference"),
            amount="Amount",
            date_format="%Y-%m-%d",
            skip_rows=3,  # the account name, number and a blank line come first
        ),
    ]
}


@dataclass
class ParsedStatement:
    format: str
    lines: pd.DataFrame  # COLUMNS
    account: str = ""
    layout: str = ""
    skipped: list[str] = field(default_factory=list)


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


def read_statement(content: bytes, layout: Layout | None = None) -> ParsedStatement:
    kind = detect_format(content)
    if kind == "ofx":
        return read_ofx(content)
    if kind == "camt053":
        return read_camt053(content)
    if layout is None:
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


def _column(frame: pd.DataFrame, wanted: str, layout: Layout) -> pd.Series:
    names = {str(c).strip().lower(): c for c in frame.columns}
    key = wanted.strip().lower()
    if key not in names:
        found = ", ".join(str(c).strip() for c in frame.columns)
        raise StatementError(
            f"The file has no '{wanted}' column, which the {layout.name.split(' (')[0]} layout "
            f"needs. Its columns are: {found}. Choose the layout of your bank's export, or map "
            "the columns yourself."
        )
    return frame[names[key]].astype(str).str.strip()


def pence_column(text: pd.Series, numbers: np.ndarray, what: str, *, signed: bool) -> pd.Series:
    """Integer pence from text such as "£1,234.50" or "-12.5"; "" stays 0. An amount is read as
    a person's typed amount is (fundmgr.money.AMOUNT: a pound sign, commas or spaces between
    thousands, at most two places after the point, no exponent), a whole column at once. Raises
    naming the first line that is not an amount (or, in a column of positive amounts, is
    negative)."""
    import numpy as np

    shape = text.str.extract(f"^(?:{AMOUNT.pattern})$")
    present = text != ""
    pence_text = shape["pence"].fillna("")
    valid = (shape["whole"].notna() | (pence_text != "")) & (pence_text.str.len() <= 2)
    valid &= ~(shape["sign"].notna() & shape["inner_sign"].notna())
    bad = present & ~valid
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise StatementError(
            f"Line {numbers[i]}: '{text.iloc[i]}' in the {what} column is not an amount of "
            "money, such as 1,234.50."
        )
    negative = present & (shape["sign"].notna() | shape["inner_sign"].notna())
    if not signed and negative.any():
        i = int(np.argmax(negative.to_numpy()))
        raise StatementError(
            f"Line {numbers[i]}: the {what} column holds a negative amount ({text.iloc[i]}); "
            "money in and money out are each given as positive amounts."
        )
    whole = shape["whole"].fillna("0").str.replace(r"[, ]", "", regex=True)
    whole = whole.where(present, "0").astype("int64")
    fraction = pence_text.str.ljust(2, "0").where(present, "00").astype("int64")
    pence = whole * 100 + fraction
    return pence.where(~negative, -pence)


def read_csv(content: bytes, layout: Layout) -> ParsedStatement:
    import numpy as np
    import pandas as pd

    text = decode(content)
    first_line = layout.skip_rows + 2  # the line after the heading
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            header=None,  # the heading is read as a row, so it fixes the number of columns
            skiprows=layout.skip_rows,
            skip_blank_lines=False,
            on_bad_lines="error",
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise StatementError("The file has no heading and no lines.") from None
    except pd.errors.ParserError as error:
        raise csv_error(error) from None
    frame = frame.fillna("")
    frame.columns = [str(name).strip() for name in frame.iloc[0]]
    frame = frame.iloc[1:].reset_index(drop=True)
    numbers = np.arange(first_line, first_line + len(frame), dtype=np.int64)
    blank = (frame == "").all(axis=1).to_numpy()
    if blank.any():
        frame, numbers = frame[~blank], numbers[~blank]
    if frame.empty:
        raise StatementError("The file has a heading but no lines.")
    if len(frame) > MAX_LINES:
        raise StatementError(f"The file has more than {MAX_LINES:,} lines: split it by month.")

    dates_text = _column(frame, layout.date, layout)
    if (missing := (dates_text == "").to_numpy()).any():
        line = numbers[int(np.argmax(missing))]
        raise StatementError(f"Line {line} has no date: the file may be cut short.")
    dates = pd.to_datetime(dates_text, format=layout.date_format, errors="coerce")
    if (bad := dates.isna().to_numpy()).any():
        i = int(np.argmax(bad))
        raise StatementError(
            f"Line {numbers[i]}: '{dates_text.iloc[i]}' is not a real date in the form "
            f"{layout.date_example}."
        )

    if layout.amount:
        amount_text = _column(frame, layout.amount, layout)
        pence = pence_column(amount_text, numbers, layout.amount, signed=True)
        empty = (amount_text == "").to_numpy()
    else:
        out_text = _column(frame, layout.money_out, layout)
        in_text = _column(frame, layout.money_in, layout)
        out = pence_column(out_text, numbers, layout.money_out, signed=False)
        money_in = pence_column(in_text, numbers, layout.money_in, signed=False)
        both = ((out != 0) & (money_in != 0)).to_numpy()
        if both.any():
            line = numbers[int(np.argmax(both))]
            raise StatementError(
                f"Line {line} has money both out and in: a line is one or the other."
            )
        pence = money_in - out
        empty = ((out_text == "") & (in_text == "")).to_numpy()
    if empty.any():
        line = numbers[int(np.argmax(empty))]
        raise StatementError(f"Line {line} has no amount: the file may be cut short.")
    if (zero := (pence == 0).to_numpy()).any():
        raise StatementError(f"Line {numbers[int(np.argmax(zero))]} has an amount of £0.00.")

    description = _column(frame, layout.description[0], layout)
    for name in layout.description[1:]:
        description = description.str.cat(_column(frame, name, layout), sep=" ").str.strip()
    lines = pd.DataFrame(
        {
            "number": numbers,
            "date": dates.to_numpy(),
            "pence": pence.to_numpy(dtype=np.int64),
            "description": description.str.slice(0, 255).to_numpy(),
            "reference": _references(description),
            "bank_id": "",
        }
    )
    return ParsedStatement(format="csv", lines=lines, layout=layout.name)


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


def read_ofx(content: bytes) -> ParsedStatement:
    import numpy as np
    import pandas as pd
    from ofxtools import Types
    from ofxtools.header import OFXHeaderError
    from ofxtools.Parser import OFXTree, ParseError

    text = content.decode("cp1252", errors="replace")
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(content))
    except OFXHeaderError as error:
        raise StatementError(f"The OFX file's header is not valid: {error}") from None
    except (ParseError, SyntaxError, IndexError, ValueError) as error:
        where = re.search(r"position=\[(\d+):", str(error))
        place = f"Line {line_of(text, int(where.group(1)))}" if where else "The file"
        raise StatementError(
            f"{place} is not valid OFX, or the file is cut short: {str(error)[:120]}"
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
        rows.append((line, when.date(), int(value * 100), " ".join(description.split())[:255], trn))
    lines = pd.DataFrame(
        {
            "number": np.array([r[0] for r in rows], dtype=np.int64),
            "date": pd.to_datetime([r[1] for r in rows]),
            "pence": np.array([r[2] for r in rows], dtype=np.int64),
            "description": [r[3] for r in rows],
            "bank_id": [(r[4].findtext("FITID") or "").strip()[:80] for r in rows],
        }
    )
    lines["reference"] = _references(lines["description"].astype(str))
    return ParsedStatement(format="ofx", lines=lines[COLUMNS], account=account[:40])


# --- ISO 20022 camt.053 ---------------------------------------------------------------------


def read_camt053(content: bytes) -> ParsedStatement:
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
    entries = root.findall(f".//{q}Stmt/{q}Ntry")
    if not entries:
        raise StatementError("The camt.053 statement has no entries.")
    rows = []
    for i, entry in enumerate(entries):
        line = _nth_line(text, r"<(?:\w+:)?Ntry[\s>]", i)
        amount_el = entry.find(f"{q}Amt")
        if amount_el is None or not (amount_el.text or "").strip():
            raise StatementError(f"Line {line}: the entry has no amount.")
        currency = amount_el.get("Ccy", "GBP")
        if currency != "GBP":
            raise StatementError(
                f"Line {line}: the entry is in {currency}; only sterling statements are read."
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
    return ParsedStatement(format="camt053", lines=lines[COLUMNS], account=account.strip()[:40])
