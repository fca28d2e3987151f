"""The bank reconciliation pages: prepare at a day (the last month end unless told), check by a
second finance officer, the preparer refused with the rule's words, and the spreadsheet and the
PDF downloaded and read back. The books are those of tests/finance/test_bank_reconciliation.py:
at the end of 30 November 2026 the bank shows £14,552.50, £250.00 is sent and not yet on a
statement, £15.00 of refunds is not yet on one, the cash book is £14,325.00, and a £7.50 bank
fee nobody has matched is the difference."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from finance.models import BankReconciliation
from tests.factories import UserFactory
from tests.finance.test_bank_reconciliation import after, books, day, finance2, media

__all__ = ["books", "finance2", "media"]
D = Decimal
pytestmark = pytest.mark.django_db
NEW = "/finance/bank-reconciliations/new/"


def date_fields(prefix, d) -> dict:
    return {f"{prefix}_0": d.day, f"{prefix}_1": d.month, f"{prefix}_2": d.year}


def prepare(client, by, explanation: str = ""):
    """Prepare at 30 November on the morning of 1 December, signed in afresh then (a week on,
    the earlier sign-in has lapsed)."""
    with after(day(30)):
        client.logout()
        client.force_login(by)
        return client.post(NEW, {**date_fields("as_at", day(30)), "explanation": explanation})


@pytest.fixture
def prepared(client, books, finance):
    """Prepared by `finance`, the fee explained."""
    response = prepare(client, finance, "A bank fee of £7.50, to be set aside in December.")
    assert response.status_code == 302, response.content.decode()[:2000]
    return BankReconciliation.objects.get()


def test_the_new_page_offers_the_last_month_end(client, books, finance):
    client.force_login(finance)
    page = client.get(NEW).content.decode()
    assert 'name="as_at_0" value="31"' in page and 'name="as_at_1" value="10"' in page
    assert "What the cash book is here" in page


def test_preparing_shows_the_figures_and_waits_for_another_officer(client, prepared, finance):
    page = client.get(f"/finance/bank-reconciliations/{prepared.pk}/").content.decode()
    assert "Bank reconciliation at 30 November 2026" in page
    for figure in ("£14,552.50", "-£250.00", "£15.00", "£14,317.50", "£14,325.00", "-£7.50"):
        assert figure in page
    assert "CCIF26-000102/1" in page and "ACCOUNT FEE" in page
    assert "You prepared this reconciliation, so another finance officer must check it." in page
    assert "Check and lock the reconciliation" not in page
    listing = client.get("/finance/bank-reconciliations/").content.decode()
    assert "30 November 2026" in listing and "Waiting to be checked" in listing


def test_the_officer_who_prepared_it_is_refused_with_the_rule(client, prepared):
    response = client.post(f"/finance/bank-reconciliations/{prepared.pk}/check/")
    assert response.status_code == 400
    assert (
        "You prepared this reconciliation, so another finance officer must check it."
        in response.content.decode()
    )
    prepared.refresh_from_db()
    assert not prepared.locked


def test_another_officer_checks_it_and_it_is_locked(client, prepared, finance2):
    client.force_login(finance2)
    page = client.get(f"/finance/bank-reconciliations/{prepared.pk}/").content.decode()
    assert "Check and lock the reconciliation" in page
    response = client.post(f"/finance/bank-reconciliations/{prepared.pk}/check/", follow=True)
    page = response.content.decode()
    assert "is checked and locked: it can no longer change" in page
    assert "Checked and locked" in page and "Prepare it again" not in page
    prepared.refresh_from_db()
    assert prepared.locked and prepared.checked_by == finance2
    again = prepare(client, finance2)
    assert again.status_code == 400 and "is locked: it cannot be changed" in again.content.decode()


def test_an_unexplained_difference_cannot_be_checked(client, books, finance, finance2):
    prepare(client, finance)
    rec = BankReconciliation.objects.get()
    client.force_login(finance2)
    response = client.post(f"/finance/bank-reconciliations/{rec.pk}/check/")
    assert response.status_code == 400
    assert "The difference of -£7.50 is not explained" in response.content.decode()


def test_a_day_not_yet_ended_is_refused_on_the_form(client, books, finance):
    client.force_login(finance)
    with after(day(30)):
        response = client.post(NEW, date_fields("as_at", day(1, 12)))
    assert response.status_code == 400
    assert "A reconciliation is of a day that has ended" in response.content.decode()
    assert not BankReconciliation.objects.exists()


def test_the_spreadsheet_downloads_with_the_figures(client, prepared):
    response = client.get(f"/finance/bank-reconciliations/{prepared.pk}/reconciliation.xlsx")
    assert response["Content-Disposition"] == (
        'attachment; filename="bank-reconciliation-2026-11-30.xlsx"'
    )
    book = load_workbook(io.BytesIO(response.content))
    rows = {r[0]: r[1] for r in book["Reconciliation"].iter_rows(values_only=True) if r[0]}
    assert rows["Balance per bank statement"] == D("14552.50")
    assert rows["Less payments sent, not yet on a statement"] == D("-250.00")
    assert rows["Balance per cash book"] == D("14325.00")
    assert rows["Difference"] == D("-7.50")
    assert rows["Checked by"] == "Not yet"


def test_the_pdf_downloads_with_the_figures_and_who_signed(client, prepared, finance2):
    client.force_login(finance2)
    client.post(f"/finance/bank-reconciliations/{prepared.pk}/check/")
    response = client.get(f"/finance/bank-reconciliations/{prepared.pk}/reconciliation.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages
    )
    assert "Bank reconciliation at 30 November 2026" in text
    assert "£14,552.50" in text and "£14,325.00" in text and "-£7.50" in text
    assert "A bank fee of £7.50" in text
    assert "Checked and locked" in text and str(finance2) in text


def test_an_auditor_reads_and_cannot_check(client, prepared):
    auditor = UserFactory(username="auditor", roles=["Auditor"])
    client.force_login(auditor)
    page = client.get(f"/finance/bank-reconciliations/{prepared.pk}/").content.decode()
    assert "£14,552.50" in page and "Check and lock" not in page
    assert client.post(f"/finance/bank-reconciliations/{prepared.pk}/check/").status_code == 403
    prepared.refresh_from_db()
    assert not prepared.locked
