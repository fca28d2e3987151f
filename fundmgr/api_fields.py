"""The API's field for money, beside fundmgr.api (whose exception handler turns its refusals into
problem documents: `errors: {"amount": ["..."]}` and the same words in `detail`).

Money is a string of pounds and pence both ways. In, it is read by `fundmgr.money.read_money`, as
the pages' `fundmgr.forms.MoneyField` reads it, with the same messages. A JSON number is refused
with a message asking for a string: 1000.5 has become a float before any field sees it.
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fundmgr.money import EXAMPLE, PATTERN, MoneyError, MoneyRules, read_money, within


@extend_schema_field(
    {
        "type": "string",
        "pattern": PATTERN,
        "example": EXAMPLE,
        "description": 'Pounds and pence as a string, such as "250.00", "1,000" or '
        '"£1,000.50": at most two places after the point, no exponent; not a JSON number.',
    }
)
class MoneyField(serializers.DecimalField):
    """Pounds and pence: "250.00" out; in, what `read_money` accepts under this field's rules.

    `what` names the field in its messages ("the pledge"); without it, the field's own name is
    used ("amount_requested" is "the amount requested"). Zero and negative amounts are refused
    unless `allow_zero` or `allow_negative`."""

    def __init__(
        self,
        *,
        what: str = "",
        example: str = EXAMPLE,
        allow_zero: bool = False,
        allow_negative: bool = False,
        max_digits: int = 12,
        **kwargs,
    ):
        self.what, self.example = what, example
        self.allow_zero, self.allow_negative = allow_zero, allow_negative
        super().__init__(max_digits=max_digits, decimal_places=2, **kwargs)

    @property
    def rules(self) -> MoneyRules:
        what = self.what or f"the {(self.field_name or 'amount').replace('_', ' ')}"
        return MoneyRules(
            what=what,
            example=self.example,
            allow_zero=self.allow_zero,
            allow_negative=self.allow_negative,
            max_digits=self.max_digits,
        )

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        messages = self.rules.messages()
        self.error_messages.update(required=messages["required"], null=messages["required"])

    def to_internal_value(self, data) -> Decimal:
        rules = self.rules
        try:
            if isinstance(data, str):
                return read_money(data, rules)
            if (
                isinstance(data, Decimal)
                and data.is_finite()
                and data == data.quantize(Decimal("0.01"))
            ):  # from Python, not from JSON
                return within(data.quantize(Decimal("0.01")), rules)
            raise rules.refuse("not_text")
        except MoneyError as error:
            raise serializers.ValidationError(error.message, code=error.code) from None
