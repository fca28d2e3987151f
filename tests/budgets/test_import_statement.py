"""`manage.py import_statement FILE`: the file drop's import, the same as the page's and the API's
(budgets.reconcile.statement_import); --json prints what it read, --dry-run saves nothing, a
refused file exits non-zero naming every problem."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from budgets.models import Statement, StatementLine

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parents[1] / "data" / "statements"


def run(*args: str) -> dict:
    out = StringIO()
    call_command("import_statement", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_json_says_what_was_read_and_saved(finance):
    got = run(str(DATA / "nationwide.csv"), "--by", "finance")
    statement = Statement.objects.get()
    assert got == {
        "statement": statement.pk,
        "lines": 3,
        "money_out": "1500.00",
        "money_in": "250.00",
        "first_date": "2026-09-01",
        "last_date": "2026-09-03",
        "opening_balance": "10000.00",
        "closing_balance": "8750.00",
        "account": "30-99-50 10203040",
        "format": "csv",
        "layout": "Nationwide",
        "references": ["CCIF26-000108/1"],
        "skipped_duplicates": 0,
        "saved": True,
        "matched": 0,
    }
    assert statement.imported_by.username == "finance"
    assert StatementLine.objects.count() == 3


def test_a_dry_run_reads_the_same_and_saves_nothing():
    got = run(str(DATA / "lloyds.csv"), "--dry-run")
    assert (got["lines"], got["money_out"], got["money_in"]) == (3, "3000.00", "125.00")
    assert (got["opening_balance"], got["closing_balance"]) == ("100000.00", "97125.00")
    assert (got["references"], got["saved"]) == (["CCIF26-000101/1"], False)
    assert not Statement.objects.exists()


def test_the_layout_is_chosen_by_name_where_the_heading_fits_two_banks(finance):
    with pytest.raises(CommandError, match="its heading fits Santander or Co-operative Bank"):
        run(str(DATA / "coop.csv"), "--by", "finance")
    got = run(str(DATA / "coop.csv"), "--by", "finance", "--layout", "coop")
    assert (got["layout"], got["lines"]) == ("Co-operative Bank", 2)


def test_a_broken_file_exits_non_zero_naming_every_problem_and_saves_nothing(finance, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_bytes(
        (DATA / "hsbc.csv")
        .read_bytes()
        .replace(b',"\xa323,000.00"', b"")  # line 2 loses its balance field
        .replace(b"\xa37.50,,", b"\xa37.50,,,,")  # line 3 gains two
    )
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_statement", str(broken), "--by", "finance", "--json", stdout=out)
    message = str(refused.value)
    assert "Line 2 has 5 columns where the heading has 6" in message
    assert "Line 3 has 8 columns where the heading has 6" in message
    assert json.loads(out.getvalue()) == {"refused": message, "saved": False}
    assert not Statement.objects.exists()


def test_the_same_statement_again_is_skipped_whatever_its_bytes(finance, tmp_path):
    run(str(DATA / "starling.csv"), "--by", "finance")
    again = tmp_path / "again.csv"
    again.write_bytes((DATA / "starling.csv").read_bytes().replace(b"\r\n", b"\n") + b"\n")
    with pytest.raises(CommandError, match="Every line of this file was imported already"):
        run(str(again), "--by", "finance")
    assert StatementLine.objects.count() == 2


def test_an_import_needs_a_finance_officer(officer):
    with pytest.raises(CommandError, match="--by USERNAME"):
        run(str(DATA / "monzo.csv"))
    with pytest.raises(CommandError, match="There is no user nobody"):
        run(str(DATA / "monzo.csv"), "--by", "nobody")
    with pytest.raises(CommandError):
        run(str(DATA / "monzo.csv"), "--by", officer.username)  # a grants officer
    assert not Statement.objects.exists()


def test_an_unknown_layout_or_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="There is no statement layout 'albany'"):
        run(str(DATA / "monzo.csv"), "--dry-run", "--layout", "albany")
    with pytest.raises(CommandError, match="cannot be read"):
        run(str(tmp_path / "missing.csv"), "--dry-run")


def test_the_command_prints_a_line_without_json(finance):
    out = StringIO()
    call_command("import_statement", str(DATA / "metro.csv"), "--dry-run", stdout=out)
    assert "Read (nothing saved): 2 lines from 2026-09-01 to 2026-09-02" in out.getvalue()


def test_the_printed_line_writes_money_as_the_council_does():
    out = StringIO()
    call_command("import_statement", str(DATA / "hsbc-headerless.csv"), "--dry-run", stdout=out)
    assert "money out £23,000.00, money in £12.34; 0 already imported." in out.getvalue()
