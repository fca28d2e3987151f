"""A list downloaded as CSV or XLSX (fundmgr.exports): read back with the csv module and
openpyxl, as a spreadsheet user's program would read it."""

from __future__ import annotations

import csv
import datetime
import io
import time
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import RequestFactory

from fundmgr import exports
from fundmgr.exports import Column

COLUMNS = [
    Column("Reference", lambda r: r.reference),
    Column("Group", lambda r: r.group),
    Column("Received", lambda r: r.received),
    Column("Amount", lambda r: r.amount),
    Column("Days waiting", lambda r: r.days),
    Column("Ward", lambda r: r.ward),
]


def row(**changes):
    values = dict(
        reference="CCIF26-000001",
        group="Friends of Ynys Môn Park",
        received=datetime.date(2026, 11, 3),
        amount=Decimal("1234.5"),
        days=31,
        ward=None,
    )
    return SimpleNamespace(**{**values, **changes})


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def read_xlsx(response):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(response.content)).active


def test_requested_format_is_csv_or_xlsx_and_nothing_else():
    factory = RequestFactory()
    assert exports.requested_format(factory.get("/?download=csv")) == "csv"
    assert exports.requested_format(factory.get("/?download=xlsx")) == "xlsx"
    assert exports.requested_format(factory.get("/?download=pdf")) is None
    assert exports.requested_format(factory.get("/")) is None


def test_csv_is_utf8_with_a_byte_order_mark_iso_dates_and_plain_money():
    response = exports.download([row()], COLUMNS, name="workbench", format="csv")
    assert response.content.startswith("\ufeff".encode())
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert read_csv(response) == [
        ["Reference", "Group", "Received", "Amount", "Days waiting", "Ward"],
        ["CCIF26-000001", "Friends of Ynys Môn Park", "2026-11-03", "1234.50", "31", ""],
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_file_is_an_attachment_named_by_the_list_and_todays_date(fmt):
    response = exports.download([], COLUMNS, name="panel agenda", format=fmt)
    today = datetime.date.today()  # the tests' clock is frozen in 2026/27
    assert response["Content-Disposition"] == (
        f'attachment; filename="panel-agenda-{today:%Y-%m-%d}.{fmt}"'
    )


def test_xlsx_has_money_as_pounds_real_dates_and_a_bold_frozen_heading():
    response = exports.download([row()], COLUMNS, name="workbench", format="xlsx")
    sheet = read_xlsx(response)
    assert [c.value for c in sheet[1]] == [c.heading for c in COLUMNS]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    reference, group, received, amount, days, ward = sheet[2]
    assert group.value == "Friends of Ynys Môn Park"
    assert received.value == datetime.datetime(2026, 11, 3)  # a date cell, read back
    assert received.is_date
    assert amount.value == 1234.5 and amount.data_type == "n"
    assert amount.number_format == '"£"#,##0.00'
    assert days.value == 31
    assert ward.value is None


def test_xlsx_columns_are_widened_to_their_content():
    long = "The Very Long Named Community Allotment Association"
    response = exports.download([row(group=long)], COLUMNS, name="w", format="xlsx")
    sheet = read_xlsx(response)
    assert sheet.column_dimensions["B"].width >= len(long)
    assert sheet.column_dimensions["A"].width >= len("CCIF26-000001")


FORMULAS = ['=HYPERLINK("http://evil.example","Click")', "+1", "-2+3", "@SUM(A1)", "\tx"]


@pytest.mark.parametrize("text", FORMULAS)
def test_text_that_looks_like_a_formula_gets_an_apostrophe_in_the_csv(text):
    response = exports.download([row(group=text)], COLUMNS, name="w", format="csv")
    assert read_csv(response)[1][1] == "'" + text


@pytest.mark.parametrize("text", FORMULAS)
def test_text_that_looks_like_a_formula_is_plain_text_in_the_xlsx(text):
    response = exports.download([row(group=text)], COLUMNS, name="w", format="xlsx")
    cell = read_xlsx(response)["B2"]
    assert cell.value == text
    assert cell.data_type == "s"  # text, not "f" (a formula)


def test_negative_money_is_a_number_not_defused_text():
    response = exports.download([row(amount=Decimal("-12.00"))], COLUMNS, name="w", format="csv")
    assert read_csv(response)[1][3] == "-12.00"


def test_ten_thousand_rows_are_written_quickly_and_all_of_them():
    rows = (row(reference=f"CCIF26-{n:06d}") for n in range(10_000))  # read once, as they come
    started = time.monotonic()
    response = exports.download(rows, COLUMNS, name="w", format="xlsx")
    assert time.monotonic() - started < 10
    sheet = read_xlsx(response)
    assert sheet.max_row == 10_001
    assert sheet["A10001"].value == "CCIF26-009999"


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="CSV or XLSX"):
        exports.download([], COLUMNS, name="w", format="pdf")
