"""Money is Decimal pounds with two places, never float.

`read_money` is the one reader of an amount a person typed or a program sent: every money box on
the pages (`fundmgr.forms.MoneyField`), every money field of the API (`fundmgr.api.MoneyField`)
and the amounts of an imported file go through it, so that they accept and refuse the same text
with the same words.

What it accepts (spaces at either end are ignored):

- digits, with pence after a point: `1000`, `1000.5`, `1000.50`, `.50`, `250.`;
- thousands marked by commas, or by spaces, in groups of three: `1,000.00`, `1 000.00`;
- a pound sign in front, with or without a space after it: `£1,000.00`, `£ 250`;
- a minus sign in front (`-12.00`, `-£12.00`, `£-12.00`), only where the field allows it.

What it refuses, each with a message that names the field and shows an example:

- anything else: exponents (`1e3`), `NaN`, `Infinity`, letters, other currencies, a decimal
  comma (`250,50`), a comma out of place (`1,00`, `10,00.00`), a plus sign, two signs;
- more than two places after the point (`1.505`, even `1.500`);
- zero, or less, where the field does not allow it ("The pledge must be more than £0.00");
- more than the field holds: 12 digits with 2 after the point is at most £9,999,999,999.99.

A JSON number is not text: `fundmgr.api.MoneyField` refuses it (1000.5 has already become a
float, and 0.1 + 0.2 is not 0.3), asking for the amount as a string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")
EXAMPLE = "250.00"

# One amount, once the spaces at either end are taken off. Digits are ASCII only: Python's \d
# (and Decimal) would read Arabic-Indic or full-width digits as numbers nobody meant.
_WHOLE = r"[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+"
AMOUNT = re.compile(
    rf"(?P<sign>-)?(?:£ *)?(?P<inner_sign>-)?(?P<whole>{_WHOLE})?(?:\.(?P<pence>[0-9]*))?"
)
ENDS = " \t\r\n"  # the spaces taken off either end (a set JSON Schema's patterns can say too)
_ENDS = r"[ \t\r\n]*"
# What the API's description says a money string is (ECMA-262 syntax, anchored): every text
# `read_money` accepts matches it, so a client (and schemathesis) can tell what to send. It
# admits a minus sign for every field; a field that refuses negatives says so in its message.
PATTERN = rf"^{_ENDS}-?(?:£ *)?-?(?:(?:{_WHOLE})(?:\.[0-9]{{0,2}})?|\.[0-9]{{1,2}}){_ENDS}$"
# Digits, commas and spaces with at most one point: an amount whose separators are out of place.
_SEPARATED = re.compile(r"-?(?:£ *)?-?[0-9][0-9, ]*(?:\.[0-9]*)?")


class MoneyError(ValueError):
    """An amount refused, with the message a person reads and a code (for forms and DRF)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class MoneyRules:
    """What one field accepts, and the words its messages use.

    `what` names the field as a sentence would ("the amount requested", "the pledge");
    `example` is shown in the messages. Zero and negative amounts are refused unless allowed.
    """

    what: str = "the amount"
    example: str = EXAMPLE
    allow_zero: bool = False
    allow_negative: bool = False
    max_digits: int = 12

    @property
    def largest(self) -> Decimal:
        return Decimal(10) ** (self.max_digits - 2) - PENNY

    @property
    def what_capitalised(self) -> str:
        return self.what[:1].upper() + self.what[1:]

    def messages(self) -> dict[str, str]:
        what, What, example = self.what, self.what_capitalised, self.example
        return {
            "required": f"Enter {what}, like {example}",
            "invalid": f"Enter {what} in pounds and pence, like {example}",
            "commas": f"Enter {what} with commas only between thousands, like 1,250.00",
            "decimal_places": f"Enter {what} with no more than 2 decimal places, like {example}",
            "more_than_zero": f"{What} must be more than £0.00",
            "zero_or_more": f"{What} must be £0.00 or more",
            "not_zero": f"{What} must not be £0.00",
            "max_value": f"{What} must be {pounds(self.largest)} or less",
            "min_value": f"{What} must be {pounds(-self.largest)} or more",
            "not_text": f'Send {what} as a string of pounds and pence, like "{example}": a JSON '
            "number can lose pence",
        }

    def refuse(self, code: str) -> MoneyError:
        return MoneyError(self.messages()[code], code)


def read_money(text: str, rules: MoneyRules = MoneyRules()) -> Decimal:
    """The amount `text` says, in pounds with two places; MoneyError when it is not one the
    rules accept. An empty text is refused as "required": callers that allow none check first."""
    if not isinstance(text, str):
        raise TypeError(f"read_money reads text, not {type(text).__name__}")
    text = text.strip(ENDS)
    if not text:
        raise rules.refuse("required")
    shape = AMOUNT.fullmatch(text)
    if shape is None or not (shape["whole"] or shape["pence"]):
        code = "commas" if "," in text and _SEPARATED.fullmatch(text) else "invalid"
        raise rules.refuse(code)
    if shape["sign"] and shape["inner_sign"]:
        raise rules.refuse("invalid")
    pence = shape["pence"] or ""
    if len(pence) > 2:
        raise rules.refuse("decimal_places")
    whole = (shape["whole"] or "0").replace(",", "").replace(" ", "")
    amount = Decimal(f"{whole}.{pence.ljust(2, '0')}")
    if shape["sign"] or shape["inner_sign"]:
        amount = -amount
    return within(amount, rules)


def within(amount: Decimal, rules: MoneyRules) -> Decimal:
    """`amount` if the rules allow its sign and size; MoneyError otherwise."""
    if amount == 0:
        if not rules.allow_zero:
            raise rules.refuse("not_zero" if rules.allow_negative else "more_than_zero")
        return Decimal("0.00")  # never -0.00
    if amount < 0 and not rules.allow_negative:
        raise rules.refuse("zero_or_more" if rules.allow_zero else "more_than_zero")
    if amount > rules.largest:
        raise rules.refuse("max_value")
    if amount < -rules.largest:
        raise rules.refuse("min_value")
    return amount


def to_money(value: object) -> Decimal:
    """Any amount of money, zero and negative ones too; raises ValueError (MoneyError) with a
    plain message. For an amount with its own rules, call `read_money` with them."""
    if isinstance(value, float | bool):
        raise ValueError("Amounts must not be floating point numbers.")
    if isinstance(value, Decimal) and value.is_finite():
        # A number already read (from a file format's own reader): whole pence however written.
        value = format(value.normalize(), "f")
    return read_money(str(value), MoneyRules(allow_zero=True, allow_negative=True))


def pounds(amount: Decimal | int | None) -> str:
    """£1,234.50; negative amounts as -£12.00."""
    if amount is None:
        return ""
    value = Decimal(amount).quantize(PENNY, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"
