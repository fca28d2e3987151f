"""Statement files through the API (POST /api/v1/statements/), one per bank layout as the bank
exports it (tests/data/statements, see SOURCES.md): counts, totals, dates, balances, account and
references as saved; broken files answer 400 naming every problem; a re-download answers 409."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from budgets.models import BankAccountLayout, Statement, StatementLine
from tests.budgets.test_statement_files import AMBIGUOUS, BANKS
from tests.payments_fixtures import accepted, finance2, run_of_two

__all__ = ["accepted", "finance2", "run_of_two"]

pytestmark = pytest.mark.django_db
API = "/api/v1/statements/"
DATA = Path(__file__).parents[1] / "data" / "statements"


@pytest.fixture
def api(finance):
    client = APIClient()
    client.force_authenticate(finance)
    return client


def upload(api, name: str, content: bytes, **fields):
    return api.post(API, {"file": SimpleUploadedFile(name, content), **fields}, format="multipart")


@pytest.mark.parametrize("key", list(BANKS))
def test_each_banks_export_is_imported(api, key):
    lines, out, in_, first, last, opening, closing, references = BANKS[key]
    fields = {"layout": key} if key in AMBIGUOUS else {}  # else found from the heading
    response = upload(api, f"{key}.csv", (DATA / f"{key}.csv").read_bytes(), **fields)
    assert response.status_code == 201, response.content
    body = response.json()["statement"]
    assert (body["line_count"], body["money_out"], body["money_in"]) == (lines, out, in_)
    assert (body["first_date"], body["last_date"]) == (first, last)
    assert (body["opening_balance"], body["closing_balance"]) == (opening, closing)
    assert body["account"] == "30-99-50 10203040"
    saved = StatementLine.objects.filter(statement_id=body["id"]).exclude(reference="")
    assert sorted(saved.values_list("reference", flat=True)) == references
    assert BankAccountLayout.objects.get(account="30-99-50 10203040").layout == key


def test_a_real_ofx_sample_in_dollars_is_refused_naming_its_currency(api):
    content = (DATA / "ofxparse-checking.ofx").read_bytes()
    response = upload(api, "checking.ofx", content)
    assert response.status_code == 400
    assert "The OFX statement is in USD" in response.json()["detail"]
    assert not Statement.objects.exists()


def test_a_real_camt053_of_two_accounts_is_refused_naming_both(api):
    response = upload(api, "rabo.xml", (DATA / "rabobank-camt053.xml").read_bytes())
    assert response.status_code == 400
    assert "NL17RABO0310029597, NL59RABO3181240869" in response.json()["detail"]


def test_a_broken_file_answers_400_naming_every_bad_row(api):
    content = (DATA / "lloyds.csv").read_bytes()
    content = content.replace(b",,125.00,", b",125.00,").replace(b"2500.00,,", b"2500.00,")
    response = upload(api, "broken.csv", content)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("2 problems: Line 2 has 7 columns where the heading has 8")
    assert "Line 4 has 7 columns where the heading has 8" in detail
    assert detail.endswith("Nothing was imported.")
    assert not Statement.objects.exists()


def test_a_redownload_with_other_line_endings_answers_409_and_imports_nothing(api):
    first = upload(api, "nw.csv", (DATA / "nationwide.csv").read_bytes())
    assert first.status_code == 201
    again = (DATA / "nationwide.csv").read_bytes().replace(b"\r\n", b"\n") + b"\n"
    response = upload(api, "nw (1).csv", again)
    assert response.status_code == 409
    assert f"as statement {first.json()['statement']['id']}" in response.json()["detail"]
    assert StatementLine.objects.count() == 3


def test_an_overlapping_download_imports_only_new_lines_and_says_how_many_were_skipped(api):
    upload(api, "a.csv", (DATA / "metro.csv").read_bytes())
    later = (DATA / "metro.csv").read_bytes() + b"03/09/26,Faster Payment,FEE,5.00,,3195.00\r\n"
    response = upload(api, "b.csv", later)
    assert response.status_code == 201
    assert (response.json()["skipped"], response.json()["statement"]["line_count"]) == (2, 1)


def test_a_runs_contra_debit_clears_each_payment_and_the_matches_name_the_run(api, run_of_two):
    day = run_of_two.pay_date.strftime("%d/%m/%Y")
    content = (
        "Date,Type,Description,Paid out,Paid in,Balance\r\n"
        f"{day},BACS,GRANTS RUN {run_of_two.number} CONTRA,£500.00,,\r\n"
    ).encode("cp1252")
    response = upload(api, "contra.csv", content, layout="hsbc")
    assert response.status_code == 201, response.content
    statement = response.json()["statement"]["id"]
    matches = api.get("/api/v1/matches/", {"statement": statement}).json()["results"]
    assert sorted((m["method"], m["run"], m["amount"]) for m in matches) == [
        ("run_total", run_of_two.pk, "250.00"),
        ("run_total", run_of_two.pk, "250.00"),
    ]
    assert set(run_of_two.lines.values_list("status", flat=True)) == {"cleared"}
