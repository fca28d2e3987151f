"""Monitoring and clawback: underspend above the fund's threshold is asked back (with a letter),
revoked grants owe what was paid, refunds are posted to the ledger."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from applications import services as s
from budgets import ledger
from budgets.clawback import refund_record
from budgets.integrity import ledger_violations
from budgets.models import Clawback, LedgerTransaction, StatementLine
from finance import clawbacks
from finance.documents import clawback_pdf
from fundmgr.errors import InvalidInput, Refused
from fundmgr.models import Notification
from tests.payments_fixtures import accepted, finance2, paid_run

__all__ = ["accepted", "finance2"]
D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Letters are stored as documents: in a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def reported(accepted, finance, finance2, treasurer):
    """The £500 grant paid, and the group reports spending £400: £100 unspent (threshold £50)."""
    paid_run(finance, finance2)
    accepted.refresh_from_db()
    s.monitoring_report_submit(
        application=accepted,
        by=treasurer,
        amount_spent=D("400.00"),
        outcomes="Two benches, not three",
        people_reached=80,
    )
    return accepted


def test_an_underspend_above_the_threshold_is_due_back(reported):
    row = next(r for r in clawbacks.underspends() if r.application == reported)
    assert (row.paid, row.spent, row.owed, row.due) == (D("500"), D("400"), D("100"), True)
    assert "£100.00 unspent, above the £50.00 threshold" in row.reason


def test_an_underspend_within_the_threshold_is_not(accepted, finance, finance2, treasurer):
    paid_run(finance, finance2)
    accepted.refresh_from_db()
    s.monitoring_report_submit(
        application=accepted, by=treasurer, amount_spent=D("460.00"), outcomes="x", people_reached=1
    )
    row = next(r for r in clawbacks.underspends() if r.application == accepted)
    assert not row.due
    with pytest.raises(Refused, match="owes nothing back"):
        clawbacks.clawback_raise(application=accepted, by=finance)


def test_raising_a_clawback_tells_the_group_and_cannot_be_raised_twice(reported, finance):
    clawback = clawbacks.clawback_raise(application=reported, by=finance)
    assert (clawback.amount, clawback.status) == (D("100.00"), "requested")
    assert Notification.objects.filter(
        subject=f"{reported.reference}: please repay £100.00"
    ).exists()
    with pytest.raises(Refused, match="already has a clawback request"):
        clawbacks.clawback_raise(application=reported, by=finance)


def test_a_refund_is_posted_to_the_ledger_back_to_the_councillors(reported, finance, shaw, okafor):
    clawback = clawbacks.clawback_raise(application=reported, by=finance)
    fund_year = reported.fund_year
    before = sum(ledger.allocation_account(fund_year, c).balance for c in (shaw, okafor))
    refund_record(
        clawback=clawback, amount=D("60.00"), received_on=timezone.localdate(), by=finance
    )
    refund_record(
        clawback=clawback, amount=D("40.00"), received_on=timezone.localdate(), by=finance
    )
    clawback.refresh_from_db()
    assert (clawback.received, clawback.status) == (D("100.00"), "repaid")
    after = sum(ledger.allocation_account(fund_year, c).balance for c in (shaw, okafor))
    assert after - before == D("100.00")
    assert LedgerTransaction.objects.filter(kind="refund").count() == 2
    assert ledger_violations() == []


def test_a_refund_larger_than_what_is_owed_is_refused_and_posts_nothing(reported, finance):
    clawback = clawbacks.clawback_raise(application=reported, by=finance)
    with pytest.raises(InvalidInput, match="£100.00 still to repay"):
        refund_record(
            clawback=clawback, amount=D("100.01"), received_on=timezone.localdate(), by=finance
        )
    with pytest.raises(InvalidInput, match="cannot be in the future"):
        refund_record(
            clawback=clawback,
            amount=D("1.00"),
            received_on=timezone.localdate() + datetime.timedelta(days=1),
            by=finance,
        )
    assert not LedgerTransaction.objects.filter(kind="refund").exists()


def test_a_refund_on_the_bank_statement_is_matched_to_it(reported, finance):
    from budgets import reconcile
    from budgets.statement_files import PRESETS

    clawback = clawbacks.clawback_raise(application=reported, by=finance)
    content = (
        "Date,Type,Description,Paid out,Paid in,Balance\r\n"
        f"02/03/2027,BGC,FRIENDS OF ABBEY PARK {clawback.number},,£100.00,\r\n"
    ).encode()
    reconcile.statement_import(
        content=content, filename="s.csv", by=finance, layout=PRESETS["albion"]
    )
    line = StatementLine.objects.get()
    refund_record(
        clawback=clawback,
        amount=D("100.00"),
        received_on=line.date if line.date <= timezone.localdate() else timezone.localdate(),
        by=finance,
        statement_line=line,
    )
    line.refresh_from_db()
    assert line.status == "refund"


def test_a_revoked_grant_owes_everything_paid(accepted, finance, finance2, officer):
    from budgets.payments import Instalment
    from finance import payments as pay

    pay.instalments_set(
        application=accepted,
        by=officer,
        instalments=[
            Instalment(D("200.00"), timezone.localdate()),
            Instalment(D("300.00"), timezone.localdate(), "Receipts"),
        ],
    )
    paid_run(finance, finance2)
    s.application_revoke(application=accepted, by=officer, reason="The group dissolved.")
    row = next(r for r in clawbacks.underspends() if r.application == accepted)
    assert (row.owed, row.due) == (D("200.00"), True)
    assert row.reason == "Revoked: £200.00 paid is to be repaid."


def test_the_clawback_letter_asks_for_the_amount_with_the_reference_to_quote(reported, finance):
    clawback = clawbacks.clawback_raise(application=reported, by=finance)
    pdf = clawback_pdf(clawback, clawbacks.application_for(clawback))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Request to repay grant money" in text
    assert "£100.00" in text and clawback.number in text
    assert "Friends of Abbey Park" in text


def test_the_clawback_pages_raise_a_request_and_record_a_refund(client, reported, finance):
    client.force_login(finance)
    page = client.get("/finance/clawback/").text
    assert reported.reference in page.split('id="due"')[1].split('id="raised"')[0]
    response = client.post(f"/finance/clawback/raise/{reported.reference}/", follow=True)
    clawback = Clawback.objects.get()
    assert f"{clawback.number} raised" in response.text
    letter = client.get(f"/finance/clawback/{clawback.pk}/letter/")
    assert letter["Content-Type"] == "application/pdf"
    refused = client.post(f"/finance/clawback/{clawback.pk}/", {"amount": "500.00"})
    assert "Enter the date the refund arrived" in refused.text
    day = timezone.localdate()
    client.post(
        f"/finance/clawback/{clawback.pk}/",
        {
            "amount": "100.00",
            "received_on_0": day.day,
            "received_on_1": day.month,
            "received_on_2": day.year,
        },
    )
    clawback.refresh_from_db()
    assert clawback.status == "repaid"
