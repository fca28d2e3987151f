"""/api/v1/bank-reconciliations/: prepare at a day, read what was stored, checked by another
finance officer (403 for the preparer, 409 for an unexplained difference), and the downloads.
The books are those of tests/finance/test_bank_reconciliation.py."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from finance.models import BankReconciliation
from tests.finance.test_bank_reconciliation import after, books, day, finance2, media

__all__ = ["books", "finance2", "media"]
pytestmark = pytest.mark.django_db
URL = "/api/v1/bank-reconciliations/"


def prepare(client, by, explanation: str = ""):
    with after(day(30)):
        client.logout()
        client.force_login(by)
        return client.post(
            URL,
            {"as_at": "2026-11-30", "explanation": explanation},
            content_type="application/json",
        )


def test_preparing_answers_the_stored_figures_and_lists(client, books, finance):
    response = prepare(client, finance, "A bank fee.")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["as_at"] == "2026-11-30" and body["locked"] is False
    assert (body["statement_balance"], body["unpresented_total"]) == ("14552.50", "250.00")
    assert (body["adjusted_balance"], body["cash_book_balance"]) == ("14317.50", "14325.00")
    assert body["difference"] == "-7.50" and body["checked_by"] is None
    assert body["lists"]["unpresented"][0]["reference"] == "CCIF26-000102/1"
    assert body["lists"]["unexplained"][0]["amount"] == "-7.50"
    listed = client.get(URL).json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]


def test_the_preparer_is_refused_and_another_officer_checks(client, books, finance, finance2):
    rec = prepare(client, finance, "A bank fee.").json()
    refused = client.post(f"{URL}{rec['id']}/check/")
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "You prepared this reconciliation, so another finance officer must check it."
    )
    client.force_login(finance2)
    checked = client.post(f"{URL}{rec['id']}/check/")
    assert checked.status_code == 200
    assert checked.json()["locked"] is True and checked.json()["checked_by"] == str(finance2)
    assert client.post(f"{URL}{rec['id']}/check/").status_code == 409
    assert prepare(client, finance2).status_code == 409


def test_an_unexplained_difference_is_a_conflict(client, books, finance, finance2):
    rec = prepare(client, finance).json()
    client.force_login(finance2)
    response = client.post(f"{URL}{rec['id']}/check/")
    assert response.status_code == 409
    assert "The difference of -£7.50 is not explained" in response.json()["detail"]
    assert not BankReconciliation.objects.get().locked


def test_bad_input_is_a_400(client, books, finance):
    client.force_login(finance)
    assert client.post(URL, {"as_at": "30/11"}, content_type="application/json").status_code == 400
    with after(day(30)):
        client.logout()
        client.force_login(finance)
        late = client.post(URL, {"as_at": "2026-12-25"}, content_type="application/json")
    assert late.status_code == 400 and "a day that has ended" in late.json()["detail"]


def test_the_downloads(client, books, finance):
    rec = prepare(client, finance, "A bank fee.").json()
    xlsx = client.get(f"{URL}{rec['id']}/xlsx/")
    assert xlsx.status_code == 200
    rows = {
        r[0]: r[1]
        for r in load_workbook(io.BytesIO(xlsx.content))["Reconciliation"].iter_rows(
            values_only=True
        )
        if r[0]
    }
    assert rows["Difference"] == -7.5
    pdf = client.get(f"{URL}{rec['id']}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf["X-Content-SHA256"]


def test_an_auditor_reads_and_changes_nothing(client, books, finance):
    from tests.factories import UserFactory

    rec = prepare(client, finance, "A bank fee.").json()
    client.force_login(UserFactory(username="auditor", roles=["Auditor"]))
    assert client.get(f"{URL}{rec['id']}/").status_code == 200
    assert client.post(f"{URL}{rec['id']}/check/").status_code == 403
    assert not BankReconciliation.objects.get().locked
