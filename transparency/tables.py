"""A table of figures as the dashboards show it, and as their spreadsheets hold it.

Money is held in integer pence (as pandas holds it) and turned into pounds only when shown or
written; counts are integers; days may carry a decimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

MONEY = "money"  # integer pence
POUNDS = "pounds"  # Decimal pounds, for figures that are not sums of money (per head)
COUNT = "count"
DAYS = "days"
TEXT = "text"


@dataclass(frozen=True)
class Column:
    heading: str
    kind: str = TEXT

    @property
    def numeric(self) -> bool:
        return self.kind != TEXT


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    totals: list | None = None
    sheet: str = ""  # the spreadsheet tab's name (at most 31 characters); the title if blank
    per_page: int | None = None  # a long list: the page shows this many rows at a time
    page: Any = None  # the django Page of rows shown, once the view has paged a long list

    @property
    def sheet_name(self) -> str:
        name = self.sheet or self.title
        for bad in "[]:*?/\\":
            name = name.replace(bad, " ")
        return name[:31]

    def cells(self, row: list) -> list[tuple[Column, object]]:
        return list(zip(self.columns, row, strict=True))


def pounds_of(pence: int | None) -> Decimal | None:
    """Integer pence to Decimal pounds: 123456 -> Decimal('1234.56')."""
    if pence is None:
        return None
    return (Decimal(int(pence)) / 100).quantize(Decimal("0.01"))
