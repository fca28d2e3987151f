"""Downloads of a list a page shows: "Download this list: CSV, XLSX".

A page describes its list once, as `Column`s (a heading and how to read the cell from a row), and
hands the same rows it shows, every page of them, to `download`:

    if fmt := exports.requested_format(request):
        return exports.download(rows, COLUMNS, name="workbench", format=fmt)

What a cell's value may be, and how each format writes it:

- `str`: text. Text that a spreadsheet would run as a formula (it begins with = + - @, a tab
  or a carriage return: a group could call itself "=HYPERLINK(...)") gets a leading apostrophe
  in the CSV and is written as plain text, never a formula, in the XLSX (OWASP's advice on CSV
  injection);
- `Decimal`: money. The CSV writes it plainly with two places ("1234.50"), the XLSX as a number
  shown as pounds ("£1,234.50"), so that it adds up;
- `int`: a number; `datetime.date`: a date, ISO ("2026-12-04") in the CSV and a real date in the
  XLSX (sortable, shown day first); `None`: an empty cell.

The CSV starts with a byte order mark, so that Excel reads it as UTF-8 (a ward called "Ynys Môn"
stays so). The XLSX has a bold, frozen heading row and columns widened to their content.

Rows are read once, as they come (pass `queryset.iterator()` for a long list), and the XLSX is
written with openpyxl's write-only sheets: 10,000 rows take well under a second and memory stays
flat. openpyxl is imported inside `download`: start-up stays light (tests/fundmgr/test_startup).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MONEY_FORMAT = '"£"#,##0.00'
DATE_FORMAT = "dd/mm/yyyy"
# What a spreadsheet reads as the start of a formula (or, for tab and CR, as a way to hide one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# How many rows are read before the XLSX is begun, to widen its columns to their content (a
# write-only sheet takes its widths before its first row).
WIDTH_SAMPLE = 200
MIN_WIDTH, MAX_WIDTH = 8, 60


@dataclass(frozen=True)
class Column:
    """One column of a download: its heading, and how to read its cell from a row."""

    heading: str
    value: Callable[[Any], Any]  # returns str | int | Decimal | datetime.date | None


def requested_format(request) -> str | None:
    """ "csv" or "xlsx" when the page was asked for a download (`?download=csv`), else None."""
    wanted = request.GET.get("download")
    return wanted if wanted in FORMATS else None


def download(
    rows: Iterable[Any], columns: Sequence[Column], *, name: str, format: str
) -> HttpResponse:
    """The rows as a file to save: `<name>-<YYYY-MM-DD>.csv` or `.xlsx`, today's date."""
    if format not in FORMATS:
        raise ValueError(f"A download is CSV or XLSX, not {format!r}.")
    values = ([column.value(row) for column in columns] for row in rows)
    headings = [column.heading for column in columns]
    body = _csv(headings, values) if format == "csv" else _xlsx(headings, values)
    response = HttpResponse(body, content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = f'attachment; filename="{filename(name, format)}"'
    return response


def filename(name: str, format: str) -> str:
    """`workbench-2026-12-04.xlsx`: the list's name made safe for a header, and today's date."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "list"
    return f"{safe}-{timezone.localdate():%Y-%m-%d}.{format}"


def defused(text: str) -> str:
    """Text that a spreadsheet would run as a formula, with an apostrophe in front (CSV)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _date(value: datetime.date) -> datetime.date:
    """A moment is written as the council's day it fell on (openpyxl takes no time zone)."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime.date):
        return _date(value).isoformat()
    if isinstance(value, int):
        return str(value)
    return defused(str(value))


def _csv(headings: list[str], values: Iterable[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([defused(h) for h in headings])
    for row in values:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _shown(value: Any) -> str:
    """Roughly what a cell shows, to widen its column."""
    if isinstance(value, Decimal):
        return f"£{value:,.2f}"
    if isinstance(value, datetime.date):
        return "00/00/0000"
    return "" if value is None else str(value)


def _xlsx(headings: list[str], values: Iterable[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    values = iter(values)
    sample = list(islice(values, WIDTH_SAMPLE))
    book = Workbook(write_only=True)
    sheet = book.create_sheet("List")
    for n, heading in enumerate(headings):
        longest = max([len(heading), *(len(_shown(row[n])) for row in sample)])
        sheet.column_dimensions[get_column_letter(n + 1)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, longest + 2)
        )
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value: Any, *, font=None):
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        elif isinstance(value, datetime.date):
            value = _date(value)
        elif value is not None and not isinstance(value, int | Decimal):
            value = str(value)
        c = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            c.data_type = "s"  # text, even when it begins with "=": never a formula
        elif isinstance(value, Decimal):
            c.number_format = MONEY_FORMAT
        elif isinstance(value, datetime.date):
            c.number_format = DATE_FORMAT
        if font is not None:
            c.font = font
        return c

    sheet.append([cell(h, font=bold) for h in headings])
    for row in sample:
        sheet.append([cell(v) for v in row])
    for row in values:
        sheet.append([cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
