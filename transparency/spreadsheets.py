"""XLSX files: the dashboards' tables (a sheet each), and long exports written row by row.

openpyxl writes numbers as floats: that is how a spreadsheet holds every number. Money is turned
from pence into Decimal pounds first and only then into the cell's number, so the cell shows the
exact amount with two places.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from transparency.tables import COUNT, DAYS, MONEY, POUNDS, Table, pounds_of

MONEY_FORMAT = '"£"#,##0.00'
FORMATS = {MONEY: MONEY_FORMAT, POUNDS: MONEY_FORMAT, COUNT: "#,##0", DAYS: "0.0"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _value(kind: str, value):
    if value is None:
        return None
    if kind == MONEY:
        return float(pounds_of(value))
    if kind == POUNDS:
        return float(value)
    return value


def tables_workbook(tables: Iterable[Table]) -> bytes:
    """One sheet per table: a bold heading row, the rows, then the totals; widths to fit."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(table.sheet_name)
        sheet.append([c.heading for c in table.columns])
        for cell in sheet[1]:
            cell.font = bold
        body = [*table.rows, *([table.totals] if table.totals else [])]
        for row in body:
            sheet.append([_value(c.kind, v) for c, v in table.cells(row)])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, even when it begins with "=": never a formula
        if table.totals:
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        for n, column in enumerate(table.columns, start=1):
            letter = get_column_letter(n)
            if column.kind in FORMATS:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=n, max_col=n):
                    cell.number_format = FORMATS[column.kind]
            longest = max([len(column.heading), *(len(str(r[n - 1] or "")) for r in body)])
            sheet.column_dimensions[letter].width = min(60, max(10, longest + 4))
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_only_sheet(path_or_file, title: str, rows: Iterable[list], numbers=()) -> None:
    """A long sheet written as it is read (openpyxl's write-only mode keeps memory flat): the
    first row is the heading; columns whose heading is in `numbers` hold money."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    money: set[int] = set()
    for n, row in enumerate(rows):
        if n == 0:
            money = {i for i, heading in enumerate(row) if heading in numbers}
            sheet.append(row)
            continue
        cells = []
        for i, value in enumerate(row):
            if i in money and value != "":
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "0.00"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    book.save(path_or_file)
