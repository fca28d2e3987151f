"""Money is Decimal pounds with two places, never float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PENNY = Decimal("0.01")


def to_money(value: object) -> Decimal:
    """Parse a user- or file-supplied amount into pounds; raises ValueError with a plain message."""
    if isinstance(value, float):
        raise ValueError("Amounts must not be floating point numbers.")
    text = str(value).strip().replace("£", "").replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{value}' is not an amount of money.") from None
    if not amount.is_finite():
        raise ValueError(f"'{value}' is not an amount of money.")
    if amount != amount.quantize(PENNY):
        raise ValueError(f"'{value}' has more than two decimal places.")
    return amount.quantize(PENNY)


def pounds(amount: Decimal | int | None) -> str:
    """£1,234.50; negative amounts as -£12.00."""
    if amount is None:
        return ""
    value = Decimal(amount).quantize(PENNY, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"
