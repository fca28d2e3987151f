"""The API's general-ledger imports and reconciliation reports: what the finance pages do, for a
program. Finance officers and auditors read; only a finance officer imports; a bad or repeated
file changes nothing; the report's figures and files are the pages' own."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from budgets import reconciliation_report
from budgets.models import GLImport, GLLine
from fundmgr.api import PROBLEM
from fundmgr.models import Document
from tests.api.test_budgets import client_for
from tests.factories import UserFactory
from tests.payments_fixtures import accepted, finance2, paid_run

__all__ = ["accepted", "finance2"]
pytestmark = pytest.mark.django_db
API = "/api/v1"
DATA = Path(__file__).parents[1] / "data" / "gl"

ROLES = ["anonymous", "applicant", "councillor", "grants officer", "finance officer", "auditor"]
READERS = [401, 403, 403, 403, 200, 200]
WRITERS = [401, 403, 403, 403, 201, 403]


@pytest.fixture
def people(treasurer, shaw, officer, finance):
    return {
        "anonymous": None,
        "applicant": treasurer,
        "councillor": shaw.user,
        "grants officer": officer,
        "finance officer": finance,
        "auditor": UserFactory(username="auditor", roles=["Auditor"]),
    }


@pytest.fixture
def paid(accepted, finance, finance2):
    """The grant's £500 paid in an authorised run; its run line."""
    return paid_run(finance, finance2).lines.get()


def export(*rows: str) -> bytes:
    return ("Cost code,Date,Reference,Amount\r\n" + "".join(r + "\r\n" for r in rows)).encode()


def upload(client, name: str, content: bytes):
    return client.post(
        f"{API}/gl-imports/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )


def counts() -> tuple[int, int]:
    return GLImport.objects.count(), GLLine.objects.count()


@pytest.mark.parametrize("role", ROLES)
def test_who_may_import_the_general_ledger_and_a_refusal_imports_nothing(people, role):
    response = upload(client_for(people[role]), "p08.csv", (DATA / "gl-export.csv").read_bytes())
    assert response.status_code == dict(zip(ROLES, WRITERS, strict=True))[role], response.content
    if response.status_code == 201:
        assert response.json()["line_count"] == 3
        assert response.json()["imported_by"] == str(people[role])
        assert counts() == (1, 3)
    else:
        assert response["Content-Type"] == PROBLEM
        assert counts() == (0, 0)


def test_who_may_read_imports_comparisons_and_reports(people, finance, fund_year):
    content = (DATA / "gl-export.csv").read_bytes()
    assert upload(client_for(finance), "p08.csv", content).status_code == 201
    gl_id = GLImport.objects.get().pk
    for path in (
        "gl-imports/",
        f"gl-imports/{gl_id}/",
        f"gl-imports/{gl_id}/comparison/",
        "reconciliation-reports/",
        "reconciliation-reports/2026/",
        "reconciliation-reports/2026/xlsx/",
        "reconciliation-reports/2026/pdf/",
    ):
        got = {role: client_for(people[role]).get(f"{API}/{path}").status_code for role in ROLES}
        assert got == dict(zip(ROLES, READERS, strict=True)), path


def test_the_comparison_lists_what_differs_from_the_budget_ledger(paid, finance):
    client = client_for(finance)
    day = paid.run.pay_date.strftime("%d/%m/%Y")
    made = upload(client, "p08.csv", export(f"R4410-7310,{day},{paid.reference},450.00"))
    assert made.status_code == 201, made.content
    comparison = client.get(f"{API}/gl-imports/{made.json()['id']}/comparison/").json()
    assert comparison["agrees"] is False
    assert [
        (d["reference"], d["ledger"], d["gl"], d["difference"], d["why"])
        for d in comparison["differences"]
    ] == [(paid.reference, "500.00", "450.00", "-50.00", "The amounts differ")]
    assert sum(Decimal(row["gl"]) for row in comparison["summary"]) == Decimal("450.00")

    agreeing = upload(client, "p08b.csv", export(f"R4410-7310,{day},{paid.reference},500.00"))
    again = client.get(f"{API}/gl-imports/{agreeing.json()['id']}/comparison/").json()
    assert again["agrees"] is True and again["differences"] == []


def test_a_bad_or_repeated_gl_file_is_refused_and_changes_nothing(finance):
    client = client_for(finance)
    bad = upload(client, "bad.csv", (DATA / "no-cost-code.csv").read_bytes())
    assert bad.status_code == 400 and bad["Content-Type"] == PROBLEM
    assert "Line 3 has no cost code. Nothing was imported." in bad.json()["detail"]
    assert counts() == (0, 0)

    content = (DATA / "gl-export.csv").read_bytes()
    assert upload(client, "a.csv", content).status_code == 201
    twice = upload(client, "b.csv", content)
    assert twice.status_code == 409 and "imported already" in twice.json()["detail"]
    assert counts() == (1, 3)

    assert client.post(f"{API}/gl-imports/", {}, format="multipart").status_code == 400
    assert client.post(f"{API}/gl-imports/", {"file": "x"}, format="json").status_code == 415


def test_lines_that_fail_to_save_leave_no_import_behind(finance):
    with mock.patch.object(GLLine.objects, "bulk_create", side_effect=RuntimeError("disk full")):
        with pytest.raises(RuntimeError):
            upload(client_for(finance), "p08.csv", (DATA / "gl-export.csv").read_bytes())
    assert counts() == (0, 0)


def test_the_report_gives_the_years_figures_and_its_files(paid, finance, fund_year):
    client = client_for(finance)
    listed = client.get(f"{API}/reconciliation-reports/").json()
    assert {
        "year": "2026/27",
        "start": 2026,
        "xlsx": f"{API}/reconciliation-reports/2026/xlsx/",
        "pdf": f"{API}/reconciliation-reports/2026/pdf/",
    } in listed

    report = client.get(f"{API}/reconciliation-reports/2026/").json()
    built = reconciliation_report.build(fund_year.year)
    assert report["reconciled"] is False  # the payment is sent, not yet on a statement
    assert [(f["what"], f["count"], Decimal(f["amount"])) for f in report["figures"]] == [
        (what, count, amount) for what, count, amount in built.summary
    ]
    assert ("Sent, not yet on a statement", 1, "500.00") in [
        (f["what"], f["count"], f["amount"]) for f in report["figures"]
    ]

    sheet = client.get(report["xlsx"])
    assert sheet.status_code == 200
    assert sheet["Content-Disposition"] == 'attachment; filename="reconciliation-2026-27.xlsx"'
    book = load_workbook(io.BytesIO(sheet.content))
    assert "2026/27" in str([c.value for row in book.worksheets[0].iter_rows() for c in row])

    pdf = client.get(report["pdf"])
    content = b"".join(pdf.streaming_content)
    assert pdf.status_code == 200 and content.startswith(b"%PDF")
    stored = Document.objects.get(kind="reconciliation", reference="RECON-2026/27")
    assert pdf["X-Content-SHA256"] == stored.sha256 == hashlib.sha256(content).hexdigest()


def test_a_year_that_does_not_exist_is_a_404_problem(finance, fund_year):
    for path in ("1999/", "1999/xlsx/", "1999/pdf/", "0/", "123456789012/pdf/"):
        response = client_for(finance).get(f"{API}/reconciliation-reports/{path}")
        assert response.status_code == 404 and response["Content-Type"] == PROBLEM, path
