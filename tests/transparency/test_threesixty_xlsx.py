"""The XLSX spreadsheet written row by row as XML: openpyxl reads it back, cell for cell."""

from __future__ import annotations

from openpyxl import load_workbook

from transparency.spreadsheets import _letter, write_only_sheet


def test_the_sheet_reads_back_with_its_numbers_texts_and_money_format(tmp_path):
    path = tmp_path / "grants.xlsx"
    rows = [
        ["Identifier", "Amount Awarded", "Title"],
        ["360G-x-CF26-000001", 612.35, '=HYPERLINK("http://x")'],
        ["360G-x-CF26-000002", 1000, "  Benches & <bins>\x07 "],
        ["360G-x-CF26-000003", "", None],
    ]
    write_only_sheet(path, "grants", rows, numbers={"Amount Awarded"})
    book = load_workbook(path)
    assert book.sheetnames == ["grants"]
    cells = [[(c.value, c.data_type, c.number_format) for c in row] for row in book["grants"]]
    assert cells[0] == [
        ("Identifier", "s", "General"),
        ("Amount Awarded", "s", "General"),
        ("Title", "s", "General"),
    ]
    assert cells[1] == [
        ("360G-x-CF26-000001", "s", "General"),
        (612.35, "n", "0.00"),
        ('=HYPERLINK("http://x")', "s", "General"),  # text, never a formula
    ]
    assert cells[2][1:] == [(1000, "n", "0.00"), ("  Benches & <bins> ", "s", "General")]
    assert [value for value, _, _ in cells[3]] == ["360G-x-CF26-000003", None, None]


def test_columns_are_lettered_as_a_spreadsheet_letters_them():
    assert [_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]
