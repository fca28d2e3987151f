"""General-ledger reconciliation: the finance system's export against the budget ledger, per
cost code and period, with every difference listed."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from budgets import gl
from budgets.models import GLImport, GLLine
from budgets.statement_files import StatementError
from fundmgr.errors import InvalidInput, Refused
from tests.payments_fixtures import accepted, finance2, paid_run

__all__ = ["accepted", "finance2"]
D = Decimal
DATA = Path(__file__).parents[1] / "data" / "gl"


def test_periods_are_the_councils_p01_april_to_p12_march():
    assert gl.period_of(datetime.date(2026, 4, 1)) == (2026, 1)
    assert gl.period_of(datetime.date(2027, 3, 31)) == (2026, 12)
    assert gl.period_label(2026, 4) == "2026/27 P04 (July 2026)"
    assert gl.period_label(2026, 10) == "2026/27 P10 (January 2027)"


def test_a_gl_export_is_read_with_either_date_form_and_signed_amounts():
    frame = gl.read_gl((DATA / "gl-export.csv").read_bytes())
    assert frame["pence"].tolist() == [50000, 123456, -12500]
    assert [d.date().isoformat() for d in frame["date"]] == [
        "2027-03-02",
        "2027-04-01",
        "2027-04-15",
    ]
    assert frame["reference"].tolist()[0] == "CCIF26-000001/1"


def test_a_gl_line_without_a_cost_code_is_refused_naming_it():
    with pytest.raises(StatementError, match="Line 3 has no cost code"):
        gl.read_gl((DATA / "no-cost-code.csv").read_bytes())


def test_a_gl_export_without_an_amount_column_names_what_it_needs():
    with pytest.raises(StatementError, match="needs columns for the cost code, date and amount"):
        gl.read_gl(b"Cost code,Date\r\nR1,01/04/2027\r\n")


@pytest.fixture
def paid(accepted, finance, finance2):
    """The £500 payment, sent in a run; its run line."""
    return paid_run(finance, finance2).lines.get()


def export(*rows: str) -> bytes:
    return ("Cost code,Date,Reference,Amount\r\n" + "".join(r + "\r\n" for r in rows)).encode()


@pytest.mark.django_db
def test_a_gl_export_that_records_every_payment_agrees_with_the_ledger(paid, finance):
    day = paid.run.pay_date.strftime("%d/%m/%Y")
    imported = gl.gl_import(
        content=export(f"R4410-7310,{day},{paid.reference},500.00"), filename="p08.csv", by=finance
    )
    comparison = gl.compare(imported)
    assert comparison.agrees
    assert comparison.summary[0]["ledger"] == comparison.summary[0]["gl"] == D("500.00")


@pytest.mark.django_db
def test_every_difference_is_listed_with_what_is_wrong(paid, finance):
    day = paid.run.pay_date.strftime("%d/%m/%Y")
    imported = gl.gl_import(
        content=export(
            f"R4410-7310,{day},{paid.reference},450.00",
            f"R4410-7310,{day},CCIF26-999999/1,75.00",
        ),
        filename="p08.csv",
        by=finance,
    )
    comparison = gl.compare(imported)
    got = {(d["reference"], d["ledger"], d["gl"], d["why"]) for d in comparison.differences}
    assert got == {
        ("CCIF26-999999/1", D("0.00"), D("75.00"), "In the finance system only"),
        (paid.reference, D("500.00"), D("450.00"), "The amounts differ"),
    }
    assert comparison.summary[0]["difference"] == D("25.00")


@pytest.mark.django_db
def test_a_payment_missing_from_the_gl_is_listed(paid, finance):
    day = paid.run.pay_date.strftime("%d/%m/%Y")
    imported = gl.gl_import(
        content=export(f"R9999-0000,{day},OTHER,10.00"), filename="p08.csv", by=finance
    )
    missing = [d for d in gl.compare(imported).differences if d["reference"] == paid.reference]
    assert missing[0]["why"] == "In the budget ledger only"


@pytest.mark.django_db
def test_the_same_gl_export_twice_changes_nothing_and_a_bad_one_imports_nothing(finance):
    content = (DATA / "gl-export.csv").read_bytes()
    gl.gl_import(content=content, filename="a.csv", by=finance)
    with pytest.raises(Refused, match="imported already"):
        gl.gl_import(content=content, filename="b.csv", by=finance)
    with pytest.raises(InvalidInput, match="Nothing was imported"):
        gl.gl_import(content=(DATA / "no-cost-code.csv").read_bytes(), filename="c", by=finance)
    assert (GLImport.objects.count(), GLLine.objects.count()) == (1, 3)


@pytest.mark.django_db
def test_the_gl_pages_import_and_show_the_comparison(client, paid, finance):
    client.force_login(finance)
    day = paid.run.pay_date.strftime("%d/%m/%Y")
    upload = SimpleUploadedFile("p08.csv", export(f"R4410-7310,{day},{paid.reference},450.00"))
    response = client.post("/finance/general-ledger/", {"file": upload}, follow=True)
    assert "1 difference to explain." in response.text
    assert "The amounts differ" in response.text
    bad = SimpleUploadedFile("bad.csv", (DATA / "no-cost-code.csv").read_bytes())
    refused = client.post("/finance/general-ledger/", {"file": bad})
    assert refused.status_code == 400
    assert "Line 3 has no cost code. Nothing was imported." in refused.text
