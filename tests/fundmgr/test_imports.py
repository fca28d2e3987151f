"""The shared import framework (fundmgr/imports.py): files as people make them, the per-row
report, all or nothing, the ImportRun kept, and the command base through call_command.

`TinyWardsImporter` is a small importer of wards used by these tests and the page and browser
tests of the import page, so they depend on no app's real importer."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from budgets.models import Ward
from fundmgr import councils, imports
from fundmgr.errors import InvalidInput, Refused
from fundmgr.imports import Column, ImportCommand, parse_date, parse_money, read_table
from fundmgr.models import ImportRun
from tests.factories import CouncilFactory

GSS = re.compile(r"E05\d{6}")


class TinyWardsImporter(imports.Importer):
    kind = "tiny_wards"
    title = "Tiny wards"
    description = "A test importer of wards: name and GSS code."
    columns = (
        Column("name", aliases=("Ward name", "WD23NM")),
        Column("gss_code", aliases=("GSS code", "WD23CD", "Ward code"), help="E05 and 6 digits"),
        Column("reviewed_on", required=False, help="a date"),
    )
    sample = ({"name": "Abbey", "gss_code": "E05000001", "reviewed_on": "1/10/2026"},)

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--refuse-at", help="Refuse while importing the ward of this code.")
        parser.add_argument("--upper", action="store_true", help="Names in capitals.")
        parser.add_argument("--lookup", metavar="FILE", help="A file on the server.")

    def plan(self, table, report):
        plan, seen = [], set()
        existing = {w.gss_code: w for w in Ward.objects.all()}
        for row in table.rows:
            name, code = row.values["name"], row.values["gss_code"]
            if self.options.get("upper"):
                name = name.upper()
            record = f"Ward {name} ({code})"
            if not GSS.fullmatch(code):
                report.add(
                    row.number,
                    "refuse",
                    column="gss_code",
                    value=code,
                    reason="A ward's GSS code is E05 then 6 digits.",
                    record=record,
                )
                continue
            if code in seen:
                report.add(
                    row.number,
                    "refuse",
                    column="gss_code",
                    value=code,
                    reason="This code is on an earlier row too.",
                    record=record,
                )
                continue
            seen.add(code)
            if row.values.get("reviewed_on"):
                try:
                    parse_date(row.values["reviewed_on"])
                except ValueError as error:
                    report.add(
                        row.number,
                        "refuse",
                        column="reviewed_on",
                        value=row.values["reviewed_on"],
                        reason=str(error),
                    )
                    continue
            ward = existing.get(code)
            if ward is None:
                report.add(row.number, "create", record=record)
                plan.append((None, name, code))
            elif ward.name != name:
                report.add(
                    row.number,
                    "change",
                    column="name",
                    value=name,
                    reason=f"Was {ward.name}.",
                    record=record,
                )
                plan.append((ward, name, code))
            else:
                report.add(row.number, "unchanged", record=record)
        return plan

    def apply(self, plan, report):
        for ward, name, code in plan:
            if ward is None:
                Ward.objects.create(council=self.council, name=name, gss_code=code)
            else:
                ward.name = name
                ward.save(update_fields=["name"])
            if self.options.get("explode") == code:
                raise RuntimeError("boom")
            if self.options.get("refuse_at") == code:
                raise Refused("Another import changed the wards meanwhile.")


class TinyWardsCommand(ImportCommand):
    importer = TinyWardsImporter


@pytest.fixture
def tiny_importer():
    """TinyWardsImporter registered for the length of a test."""
    imports.importers()
    imports._registry[TinyWardsImporter.kind] = TinyWardsImporter
    yield TinyWardsImporter
    imports._registry.pop(TinyWardsImporter.kind, None)


COLUMNS = TinyWardsImporter.columns


def values(table):
    return [row.values for row in table.rows]


# --- reading CSV as people save it ------------------------------------------------------------


def test_csv_saved_by_excel_as_csv_utf8_has_its_bom_dropped():
    data = "\ufeffName,GSS code\r\nAbbey,E05000001\r\n".encode()
    table = read_table(data, "wards.csv", COLUMNS)
    assert table.columns == ["name", "gss_code"]
    assert values(table) == [{"name": "Abbey", "gss_code": "E05000001"}]
    assert table.rows[0].number == 2
    assert list(table.rows[0].raw) == ["Name", "GSS code"]
    assert table.notes == []


def test_plain_utf8_keeps_accents():
    data = "name,gss_code\nSaint-Étienne Ward,E05000001\n".encode()
    assert values(read_table(data, "w.csv", COLUMNS))[0]["name"] == "Saint-Étienne Ward"


def test_windows_1252_is_read_with_a_note():
    data = "name,gss_code,reviewed_on\nCafé £ Ward,E05000001,1/10/2026\n".encode("cp1252")
    assert b"\xa3" in data and b"\xe9" in data
    table = read_table(data, "w.csv", COLUMNS)
    assert values(table)[0]["name"] == "Café £ Ward"
    assert [n.action for n in table.notes] == ["warn"]
    assert "Windows-1252" in table.notes[0].reason


def test_semicolon_and_tab_separated_files_are_read():
    semi = b"name;gss_code\nAbbey, North;E05000001\n"
    assert values(read_table(semi, "w.csv", COLUMNS)) == [
        {"name": "Abbey, North", "gss_code": "E05000001"}
    ]
    tab = "name\tgss_code\nAbbey\tE05000001\n".encode("utf-16")
    assert values(read_table(tab, "w.csv", COLUMNS))[0]["gss_code"] == "E05000001"


def test_headings_with_stray_spaces_and_odd_case_and_values_tidied():
    data = b"  GSS Code ,WARD_name  , Notes\n E05000001 ,  Abbey    Meadow \n"
    table = read_table(data, "w.csv", COLUMNS)
    assert values(table) == [{"gss_code": "E05000001", "name": "Abbey Meadow"}]
    assert table.rows[0].raw == {
        "  GSS Code ": " E05000001 ",
        "WARD_name  ": "  Abbey    Meadow ",
        " Notes": "",
    }
    (note,) = table.notes
    assert note.value == "Notes" and "ignored" in note.reason


def test_blank_rows_are_skipped_and_rows_keep_the_number_people_see():
    data = b"\n,\nname,gss_code\nAbbey,E05000001\n,,\n\nBrook,E05000002\n"
    table = read_table(data, "w.csv", COLUMNS)
    assert [(r.number, r.values["name"]) for r in table.rows] == [(4, "Abbey"), (7, "Brook")]


def test_a_missing_required_column_names_it_and_the_headings_found():
    with pytest.raises(InvalidInput) as error:
        read_table(b"Ward,Code\nAbbey,E05000001\n", "w.csv", COLUMNS)
    message = error.value.message
    assert "no column for name" in message and "gss_code" in message
    assert "'Ward', 'Code'" in message
    # An optional column may be missing.
    assert read_table(b"name,gss_code\nA,E05000001\n", "w.csv", COLUMNS).columns == [
        "name",
        "gss_code",
    ]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (b"\n\n , \n", "no rows"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old Excel file"),
        (b"PK\x03\x04not really a zip", "not an Excel workbook"),
    ],
)
def test_files_that_cannot_be_read_are_refused_with_a_message(data, says):
    with pytest.raises(InvalidInput, match=says):
        read_table(data, "w.csv", COLUMNS)


# --- reading XLSX ------------------------------------------------------------------------------


def xlsx(rows, *, merge=(), sheet_title=None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    if sheet_title:
        ws.title = sheet_title
    for row in rows:
        ws.append(row)
    for cells in merge:
        ws.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused_before_it_is_read(monkeypatch):
    data = xlsx([["Ward name", "GSS code"], ["Abbey", "E05000001"]])
    monkeypatch.setattr(imports, "MAX_UNPACKED", 2048)  # a real bomb: kilobytes to gigabytes
    monkeypatch.setattr(imports, "_sheet_grid", lambda *a: pytest.fail("the sheet was read"))
    with pytest.raises(InvalidInput, match="unpacks to 0 MB, more than an import reads"):
        read_table(data, "wards.xlsx", COLUMNS)


def _claiming_everything(data: bytes) -> bytes:
    """The workbook with, written into its sheet's XML as a hostile file would be (openpyxl
    would make a cell object for each cell of such a merge): 200 empty formatted rows, a cell
    at the last row and column, a merge over the rest of the sheet, and a size that says so."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for item in old.infolist():
            part = old.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                part = re.sub(
                    rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:XFD1048576"/>', part
                )
                part = part.replace(
                    b"</sheetData>",
                    b"".join(
                        b'<row r="%d"><c r="A%d" s="0"/></row>' % (r, r) for r in range(3, 203)
                    )
                    + b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far away</t></is>'
                    b'</c></row></sheetData><mergeCells count="1">'
                    b'<mergeCell ref="C5:XFD1048576"/></mergeCells>',
                )
            new.writestr(item, part)
    return out.getvalue()


def test_a_sheet_that_claims_every_row_and_column_reads_as_what_it_holds(monkeypatch):
    """Read as the rows that hold something (not 1,048,576 x 16,384 cells), with a note."""
    monkeypatch.setattr(imports, "BLANK_RUN", 50)
    data = _claiming_everything(xlsx([["Ward name", "GSS code"], ["Abbey", "E05000001"]]))
    table = read_table(data, "wards.xlsx", COLUMNS)
    assert values(table) == [{"name": "Abbey", "gss_code": "E05000001"}]
    assert [n.value for n in table.notes if "taken as empty" in n.reason] == ["row 53"]


def test_a_sheet_whose_stated_size_is_too_small_is_read_whole():
    """A workbook written by a program that left a stale <dimension>: every row is read."""
    import zipfile

    data = xlsx([["Ward name", "GSS code"], ["Abbey", "E05000001"], ["Brook", "E05000002"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for item in old.infolist():
            part = old.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                part = re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:B1"/>', part)
            new.writestr(item, part)
    table = read_table(out.getvalue(), "wards.xlsx", COLUMNS)
    assert [v["name"] for v in values(table)] == ["Abbey", "Brook"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_of_more_rows_than_an_import_takes_is_refused(kind, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    rows = [["Ward name", "GSS code"], *([f"W{i}", f"E0500000{i}"] for i in range(4))]
    data = xlsx(rows) if kind == "xlsx" else "\n".join(",".join(r) for r in rows).encode()
    with pytest.raises(InvalidInput, match="more than 3 rows: split it"):
        read_table(data, f"wards.{kind}", COLUMNS)
    monkeypatch.setattr(imports, "MAX_ROWS", 4)
    assert len(read_table(data, f"wards.{kind}", COLUMNS).rows) == 4


def test_xlsx_with_merged_cells_dates_numbers_and_an_extra_column():
    data = xlsx(
        [
            ["Ward name", "WD23CD", "Reviewed on", "Population", "Spend"],
            ["Abbey", "E05000001", datetime.datetime(2026, 10, 1), 12000.0, 1234.5],
            [None, "E05000002", datetime.date(2026, 4, 6), 7, 0.1],
            [None, None, None, None, None],
            ["Brook", "E05000003", "1 Oct 2026", 3.0, None],
        ],
        merge=["A2:A3"],
    )
    cols = (*COLUMNS, Column("population", required=False), Column("spend", required=False))
    table = read_table(data, "wards.xlsx", cols)
    assert values(table) == [
        {
            "name": "Abbey",
            "gss_code": "E05000001",
            "reviewed_on": "2026-10-01",
            "population": "12000",
            "spend": "1234.5",
        },
        {
            "name": "Abbey",
            "gss_code": "E05000002",
            "reviewed_on": "2026-04-06",
            "population": "7",
            "spend": "0.1",
        },
        {
            "name": "Brook",
            "gss_code": "E05000003",
            "reviewed_on": "1 Oct 2026",
            "population": "3",
            "spend": "",
        },
    ]
    assert [r.number for r in table.rows] == [2, 3, 5]
    assert parse_money(table.rows[0].values["spend"]) == Decimal("1234.50")
    (note,) = table.notes
    assert "Merged" in note.reason and note.value == "A2:A3"


def test_xlsx_extra_column_is_noted_and_a_named_sheet_is_read():
    data = xlsx(
        [["name", "gss_code", "Councillor"], ["Abbey", "E05000001", "Ann"]],
        sheet_title="Wards 2026",
    )
    table = read_table(data, "w.xlsx", COLUMNS, sheet="Wards 2026")
    assert values(table) == [{"name": "Abbey", "gss_code": "E05000001"}]
    assert table.notes[0].value == "Councillor"
    with pytest.raises(InvalidInput, match="no sheet called 'Other'.*Wards 2026"):
        read_table(data, "w.xlsx", COLUMNS, sheet="Other")


# --- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026-10-01",
        "01/10/2026",
        "1/10/2026",
        "1/10/26",
        "1 October 2026",
        " 1  October 2026 ",
        "1st October 2026",
        "1 Oct 2026",
        "1-Oct-2026",
        "01-Oct-26",
        "01.10.2026",
        "1.10.26",
        "01-10-2026",
        "1-10-26",
        "Thursday 1 October 2026",
        "2026-10-01T00:00:00",
        "2026-10-01 00:00:00",
        "1 Sept 2026",
    ],
)
def test_dates_in_uk_forms(text):
    expected = datetime.date(2026, 9 if "Sept" in text else 10, 1)
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["10/31/2026", "31/02/2026", "next Tuesday", "", "2026-13-01"])
def test_dates_that_cannot_be_read_say_how_to_write_them(text):
    with pytest.raises(ValueError, match="day first"):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("£1,234.50", "1234.50"),
        ("1234.5", "1234.50"),
        ("12", "12.00"),
        ("(12.00)", "-12.00"),
        ("-£12.34", "-12.34"),
        ("£-12.34", "-12.34"),
        (" £ 1 000 ", "1000.00"),
        ("12.500", "12.50"),
        ("GBP 5", "5.00"),
    ],
)
def test_money_as_people_write_it(text, amount):
    value = parse_money(text)
    assert value == Decimal(amount) and isinstance(value, Decimal)
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize("text", ["12.345", "£1.001"])
def test_money_beyond_two_places_is_refused(text):
    with pytest.raises(ValueError, match="more than two places"):
        parse_money(text)


@pytest.mark.parametrize("text", ["", "twelve", "NaN", "Infinity", "1e3", "£", "1,2.3.4"])
def test_what_is_not_money_is_refused(text):
    with pytest.raises(ValueError, match="not an amount of money"):
        parse_money(text)


# --- the report --------------------------------------------------------------------------------


def test_report_lines_counts_and_csv():
    report = imports.Report("tiny_wards", "w.csv", dry_run=True)
    report.add(2, "create", record="Ward Abbey (E05000001)")
    report.add(
        3,
        "refuse",
        column="gss_code",
        value="E0501234",
        reason="A ward's GSS code is E05 then 6 digits.",
    )
    report.add(4, "warn", column="name", value="=HYPERLINK(1)", reason="Odd.")
    assert report.refused
    assert report.counts() == {
        "create": 1,
        "change": 0,
        "unchanged": 0,
        "skip": 0,
        "warn": 1,
        "refuse": 1,
    }
    lines = report.lines()
    assert lines[0] == "Row 2: would create Ward Abbey (E05000001)"
    assert lines[1] == (
        "Row 3, column gss_code ('E0501234'): refused: A ward's GSS code is E05 then 6 digits."
    )
    assert lines[-1].startswith("Checked w.csv: 1 to create, 1 with a warning, 1 refused.")
    assert "Nothing was imported" in lines[-1]
    data = report.as_csv()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["row", "action", "column", "value", "reason", "record"]
    assert rows[2] == [
        "3",
        "refuse",
        "gss_code",
        "E0501234",
        "A ward's GSS code is E05 then 6 digits.",
        "",
    ]
    assert rows[3][3] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    with pytest.raises(ValueError):
        report.add(5, "delete")


# --- run_import --------------------------------------------------------------------------------

WARDS = b"name,gss_code\nAbbey,E05000001\nBrook,E05000002\n"


@pytest.fixture
def council(db):
    return CouncilFactory()


def run(council, data=WARDS, *, dry_run=False, filename="wards.csv", **options):
    return imports.run_import(
        TinyWardsImporter,
        data,
        filename,
        council=council,
        by=None,
        dry_run=dry_run,
        options=options or None,
    )


def test_a_dry_run_writes_nothing_but_its_record_and_keeps_the_file(council):
    report = run(council, dry_run=True)
    assert report.counts()["create"] == 2 and not report.refused
    assert Ward.objects.count() == 0
    kept = ImportRun.objects.get()
    assert (kept.kind, kept.dry_run, kept.refused, kept.council) == (
        "tiny_wards",
        True,
        False,
        council,
    )
    assert bytes(kept.data) == WARDS and kept.counts["create"] == 2
    assert "Abbey" in kept.report and report.run == kept


def test_an_import_writes_then_the_same_file_again_is_all_unchanged(council):
    report = run(council)
    assert report.lines()[-1] == "Imported wards.csv: 2 created."
    assert set(Ward.objects.values_list("name", flat=True)) == {"Abbey", "Brook"}
    assert ImportRun.objects.get().data is None
    again = run(council)
    assert again.counts() == {**dict.fromkeys(imports.ACTIONS, 0), "unchanged": 2}
    assert Ward.objects.count() == 2
    renamed = run(council, b"GSS code;Ward name\nE05000001;Abbey Meadow\n")
    assert renamed.counts()["change"] == 1
    assert Ward.objects.get(gss_code="E05000001").name == "Abbey Meadow"


def test_one_refused_row_writes_nothing(council):
    report = run(council, WARDS + b"Bad,E0501234\n")
    assert report.refused
    assert Ward.objects.count() == 0
    assert ImportRun.objects.get().refused


def test_an_error_inside_apply_rolls_everything_back_and_is_raised(council):
    with pytest.raises(RuntimeError, match="boom"):
        run(council, explode="E05000002")
    assert Ward.objects.count() == 0


def test_a_refusal_while_applying_rolls_everything_back_and_is_reported(council):
    report = run(council, refuse_at="E05000002")
    assert report.refused and Ward.objects.count() == 0
    assert report.lines()[-2:] == [
        "The file: refused: Another import changed the wards meanwhile.",
        "Refused wards.csv: 2 to create, 1 refused. Nothing was imported: put the refused rows "
        "right and try again.",
    ]
    assert ImportRun.objects.get().refused


def test_a_file_of_the_wrong_type_or_too_large_is_refused_with_a_message(council, monkeypatch):
    report = run(council, filename="wards.pdf")
    assert report.refused and "from .csv or .xlsx files" in report.outcomes[0].reason
    monkeypatch.setattr(imports, "MAX_BYTES", 10)
    report = run(council)
    assert report.refused and "the largest file an import takes" in report.outcomes[0].reason
    assert Ward.objects.count() == 0


def test_the_run_works_for_its_council_only(council):
    other = CouncilFactory(gss_code="E07000997", slug="other", name="Other")
    run(council)
    with councils.acting_for(other):
        assert Ward.objects.count() == 0
        assert ImportRun.objects.count() == 0
    assert set(Ward.objects.values_list("council", flat=True)) == {council.pk}


def test_import_kept_applies_the_checked_file_once(council, tiny_importer):
    check = run(council, dry_run=True).run
    report = imports.import_kept(check, by=None)
    assert report.counts()["create"] == 2 and not report.dry_run
    check.refresh_from_db()
    assert check.data is None and check.imported_as == report.run.pk
    with pytest.raises(InvalidInput, match="already been imported"):
        imports.import_kept(check, by=None)


def test_registered_importers_are_listed(tiny_importer):
    assert imports.importers()["tiny_wards"] is TinyWardsImporter
    rows = list(csv.reader(io.StringIO(TinyWardsImporter.sample_csv().decode("utf-8-sig"))))
    assert rows == [["name", "gss_code", "reviewed_on"], ["Abbey", "E05000001", "1/10/2026"]]


# --- the command -------------------------------------------------------------------------------


def command(*args):
    out = io.StringIO()
    call_command(TinyWardsCommand(), *args, stdout=out)
    return out.getvalue()


def test_command_dry_run_then_import_with_a_report(council, tmp_path):
    path = tmp_path / "wards.csv"
    path.write_bytes(WARDS)
    out = command(str(path), "--dry-run")
    assert "Row 2: would create Ward Abbey (E05000001)" in out
    assert "This was a check only" in out and Ward.objects.count() == 0
    report_path = tmp_path / "report.csv"
    out = command(str(path), "--report", str(report_path))
    assert "Imported wards.csv: 2 created." in out and Ward.objects.count() == 2
    assert (
        report_path.read_bytes()
        .decode("utf-8-sig")
        .startswith("row,action,column,value,reason,record\r\n2,create,,,,Ward Abbey (E05000001)")
    )


def test_command_refusal_prints_the_rows_and_exits_1(council, tmp_path):
    path = tmp_path / "wards.csv"
    path.write_bytes(WARDS + b"Bad,E0501234\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported: 1 refused") as error:
        call_command(TinyWardsCommand(), str(path), stdout=out)
    assert error.value.returncode == 1
    assert "Row 4, column gss_code ('E0501234'): refused" in out.getvalue()
    assert Ward.objects.count() == 0


def test_command_needs_council_when_the_service_has_several(council, tmp_path):
    CouncilFactory(gss_code="E07000997", slug="other", name="Other")
    path = tmp_path / "wards.csv"
    path.write_bytes(WARDS)
    with pytest.raises(CommandError, match="2 councils: name one with --council SLUG"):
        command(str(path))
    with pytest.raises(CommandError, match="No council has the slug 'nowhere'"):
        command(str(path), "--council", "nowhere")
    command(str(path), "--council", "other")
    assert set(Ward.objects.values_list("council__slug", flat=True)) == {"other"}
    with pytest.raises(CommandError, match="cannot be read"):
        command(str(tmp_path / "missing.csv"), "--council", "other")


def test_command_passes_the_importers_own_options(council, tmp_path):
    path = tmp_path / "wards.csv"
    path.write_bytes(WARDS)
    out = command(str(path), "--upper")
    assert "Row 2: created Ward ABBEY (E05000001)" in out
    assert ImportRun.objects.get().options == {
        "refuse_at": None,
        "upper": True,
        "lookup": None,
        "sheet": None,
    }


def test_command_reads_the_sheet_named(council, tmp_path):
    path = tmp_path / "wards.xlsx"
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Notes"])
    sheet = book.create_sheet("Wards")
    sheet.append(["Ward name", "GSS code"])
    sheet.append(["Abbey", "E05000001"])
    book.save(path)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(TinyWardsCommand(), str(path), stdout=out)
    assert "no column for name" in out.getvalue()
    assert "Imported wards.xlsx: 1 created." in command(str(path), "--sheet", "Wards")
    assert Ward.objects.get().name == "Abbey"


def test_every_import_command_is_offered_on_the_page():
    """Each app's `import_*` command built on ImportCommand has its importer listed by
    importers(), the page's list, whether or not the app registered it."""
    from django.core.management import get_commands, load_command_class

    commands = [
        load_command_class(app, name)
        for name, app in get_commands().items()
        if name.startswith("import_")
    ]
    importers = [c.importer for c in commands if isinstance(c, ImportCommand)]
    assert importers, "no import command is built on ImportCommand"
    listed = imports.importers()
    assert all(listed.get(i.kind) is i for i in importers), [i.kind for i in importers]
