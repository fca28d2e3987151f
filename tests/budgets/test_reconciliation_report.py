"""The reconciliation report: a spreadsheet and a PDF of what was paid, cleared and left."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from budgets import reconcile, reconciliation_report
from budgets.statement_files import PRESETS
from tests.payments_fixtures import accepted, finance2, paid_run

__all__ = ["accepted", "finance2"]
D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def half_reconciled(accepted, finance, finance2):
    """A £500 payment sent and not yet on a statement; a statement with a stray £7.50 fee."""
    run = paid_run(finance, finance2)
    content = (
        "Date,Type,Description,Paid out,Paid in,Balance\r\n"
        f"{run.pay_date:%d/%m/%Y},CHG,Account fee,£7.50,,\r\n"
    ).encode()
    reconcile.statement_import(
        content=content, filename="s.csv", by=finance, layout=PRESETS["albion"]
    )
    return run


def test_the_report_summarises_what_is_paid_cleared_and_left(half_reconciled, fund_year):
    report = reconciliation_report.build(fund_year.year)
    summary = {label: (count, amount) for label, count, amount in report.summary}
    assert summary["Payments sent"] == (1, D("500.00"))
    assert summary["Sent, not yet on a statement"] == (1, D("500.00"))
    assert summary["Statement lines of money out not matched"] == (1, D("7.50"))
    assert not report.reconciled


def test_the_spreadsheet_has_a_summary_and_a_sheet_per_list(half_reconciled, fund_year):
    book = load_workbook(
        io.BytesIO(reconciliation_report.xlsx(reconciliation_report.build(fund_year.year)))
    )
    assert book.sheetnames == [
        "Summary",
        "Payments",
        "Not yet cleared",
        "Returned",
        "Unmatched lines",
        "Clawback",
    ]
    rows = list(book["Payments"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Payment", "Grant", "Payee")
    line = half_reconciled.lines.get()
    assert rows[1][0] == line.reference and rows[1][6] == 500 and rows[1][7] == "Sent"
    summary = {r[0]: r[1:] for r in book["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["Payments sent"] == (1, 500)


def test_the_pdf_lists_what_is_left_to_resolve(half_reconciled, fund_year):
    pdf = reconciliation_report.pdf(reconciliation_report.build(fund_year.year))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Reconciliation report 2026/27" in text
    assert "Not yet reconciled" in text
    assert half_reconciled.lines.get().reference in text
    assert "Account fee" in text


def test_the_reports_page_offers_both_and_they_download(client, half_reconciled, finance):
    client.force_login(finance)
    page = client.get("/finance/reports/").text
    assert "/finance/reports/2026/reconciliation.xlsx" in page
    xlsx = client.get("/finance/reports/2026/reconciliation.xlsx")
    assert xlsx["Content-Disposition"] == 'attachment; filename="reconciliation-2026-27.xlsx"'
    pdf = client.get("/finance/reports/2026/reconciliation.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert client.get("/finance/reports/1999/reconciliation.pdf").status_code == 404
