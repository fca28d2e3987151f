"""Importing bank statements and reconciling them with the payments sent: all or nothing, the same
file twice changes nothing, nothing is cleared twice, returned payments go back to be reissued."""

from decimal import Decimal

import pytest

from budgets import reconcile
from budgets.models import Match, Payment, PaymentEvent, PaymentRunLine, Statement, StatementLine
from budgets.payments import payment_reissue
from budgets.statement_files import PRESETS
from finance import payments as pay
from fundmgr.errors import InvalidInput, NotPermitted, Refused
from tests.payments_fixtures import accepted, finance2, paid_run

__all__ = ["accepted", "finance2"]
D = Decimal
pytestmark = pytest.mark.django_db
ALBION = PRESETS["albion"]
HEADING = "Date,Type,Description,Paid out,Paid in,Balance\r\n"


def statement(*lines: str) -> bytes:
    return (HEADING + "".join(line + "\r\n" for line in lines)).encode("cp1252")


def day(run, offset=0) -> str:
    import datetime

    return (run.pay_date + datetime.timedelta(days=offset)).strftime("%d/%m/%Y")


@pytest.fixture
def sent(accepted, finance, finance2):
    """The grant's £500 payment, sent in a run; its run line."""
    run = paid_run(finance, finance2)
    return run.lines.get()


def import_(content: bytes, by, name="statement.csv"):
    return reconcile.statement_import(content=content, filename=name, by=by, layout=ALBION)


def test_a_statement_line_with_the_payments_reference_clears_it(sent, finance):
    content = statement(f"{day(sent.run)},BACS,{sent.reference} FRIENDS OF ABBEY PARK,£500.00,,")
    result = import_(content, finance)
    assert (result.statement.line_count, result.matched) == (1, 1)
    sent.refresh_from_db()
    assert (sent.status, sent.cleared_on) == ("cleared", sent.run.pay_date)
    assert Payment.objects.get(pk=sent.payment_id).status == Payment.Status.CLEARED
    match = Match.objects.get()
    assert (match.method, match.kind) == ("reference", "cleared")
    assert PaymentEvent.objects.filter(kind="cleared", payment_id=sent.payment_id).exists()


def test_without_a_reference_the_amount_within_a_few_days_clears_it(sent, finance):
    import_(statement(f"{day(sent.run, 2)},BACS,GRANT FRIENDS ABBEY,£500.00,,"), finance)
    sent.refresh_from_db()
    assert sent.status == "cleared"
    assert Match.objects.get().method == "amount_date"


def test_importing_the_same_file_twice_changes_nothing(sent, finance, finance2):
    content = statement(f"{day(sent.run)},BACS,{sent.reference},£500.00,,")
    first = import_(content, finance)
    with pytest.raises(Refused, match=f"imported already, as statement {first.statement.pk}"):
        import_(content, finance2, name="renamed.csv")
    assert Statement.objects.count() == 1
    assert StatementLine.objects.count() == 1
    assert Match.objects.count() == 1


def test_a_bad_file_imports_nothing_and_says_which_line(sent, finance):
    content = statement(
        f"{day(sent.run)},BACS,{sent.reference},£500.00,,",
        "31/02/2027,BACS,OTHER,£10.00,,",
    )
    with pytest.raises(InvalidInput, match="Line 3: '31/02/2027' is not a real date") as refused:
        import_(content, finance)
    assert "Nothing was imported." in refused.value.message
    assert not Statement.objects.exists() and not StatementLine.objects.exists()
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_a_line_an_earlier_statement_holds_is_skipped(sent, finance):
    ofx = (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
        "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX><BANKMSGSRSV1>"
        "<STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>GBP"
        "<BANKACCTFROM><BANKID>309950<ACCTID>10203040<ACCTTYPE>CHECKING</BANKACCTFROM>"
        "<BANKTRANLIST><DTSTART>20270301<DTEND>20270331{}</BANKTRANLIST></STMTRS></STMTTRNRS>"
        "</BANKMSGSRSV1></OFX>\n"
    )
    pay_date = sent.run.pay_date.strftime("%Y%m%d")
    one = (
        f"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>{pay_date}<TRNAMT>-500.00<FITID>A1<NAME>X"
        f"<MEMO>{sent.reference}</STMTTRN>"
    )
    two = "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20270305<TRNAMT>-7.50<FITID>A2<NAME>FEE</STMTTRN>"
    reconcile.statement_import(content=ofx.format(one).encode(), filename="a.ofx", by=finance)
    result = reconcile.statement_import(
        content=ofx.format(one + two).encode(), filename="b.ofx", by=finance
    )
    assert (result.skipped, result.statement.line_count) == (1, 1)
    assert StatementLine.objects.filter(bank_id="A1").count() == 1


def test_only_a_finance_officer_imports_statements(sent, officer):
    with pytest.raises(NotPermitted):
        import_(statement(f"{day(sent.run)},BACS,{sent.reference},£500.00,,"), officer)


def test_a_person_matches_what_is_left_and_the_amounts_must_agree(sent, finance):
    import_(
        statement(f"{day(sent.run, 20)},BACS,GRANT,£500.00,,", "01/01/2027,BACS,X,£1.00,,"), finance
    )
    far, small = StatementLine.objects.order_by("number")
    assert far.status == "unmatched"  # 20 days off: beyond the window
    with pytest.raises(Refused, match="the amounts must agree"):
        reconcile.match_by_hand(line=small, run_line=sent, by=finance)
    reconcile.match_by_hand(line=far, run_line=sent, by=finance)
    sent.refresh_from_db()
    assert sent.status == "cleared"
    assert Match.objects.get().method == "manual"


def test_nothing_is_cleared_twice(sent, finance):
    import_(
        statement(
            f"{day(sent.run)},BACS,{sent.reference},£500.00,,",
            f"{day(sent.run)},BACS,SAME AGAIN,£500.00,,",
        ),
        finance,
    )
    again = StatementLine.objects.get(status="unmatched")
    with pytest.raises(Refused, match="only a payment sent and not yet cleared can be matched"):
        reconcile.match_by_hand(line=again, run_line=sent, by=finance)
    assert Match.objects.count() == 1


def test_undoing_a_match_leaves_the_payment_sent_and_the_line_unmatched(sent, finance):
    import_(statement(f"{day(sent.run)},BACS,{sent.reference},£500.00,,"), finance)
    match = Match.objects.get()
    with pytest.raises(InvalidInput, match="Say why"):
        reconcile.match_undo(match=match, by=finance, reason="")
    reconcile.match_undo(match=match, by=finance, reason="Wrong line")
    sent.refresh_from_db()
    assert sent.status == "sent" and sent.cleared_on is None
    assert StatementLine.objects.get().status == "unmatched"
    assert reconcile.reconcile(by=finance) == 1  # and it can be matched again
    assert Match.objects.filter(undone_at__isnull=True).count() == 1


def test_a_returned_payment_goes_back_to_be_reissued(sent, finance, finance2):
    import_(
        statement(
            f"{day(sent.run)},BACS,{sent.reference},£500.00,,",
            f"{day(sent.run, 3)},BGC,RETURNED {sent.reference} ACCOUNT CLOSED,,£500.00,",
        ),
        finance,
    )
    credit = StatementLine.objects.get(amount__gt=0)
    # The credit carries the payment's reference: the import recorded the return itself.
    found = Match.objects.get(line=credit)
    assert (found.kind, found.method, found.run_line) == ("returned", "reference", sent)
    reconcile.match_undo(match=found, by=finance, reason="To record it by hand")
    assert reconcile.suggestions([credit])[credit.pk] == [sent]
    reconcile.match_returned_payment(line=credit, run_line=sent, by=finance)
    sent.refresh_from_db()
    payment = Payment.objects.get(pk=sent.payment_id)
    assert (sent.status, payment.status) == ("returned", "returned")
    assert [r.payment for r in pay.payable().returned] == [payment]
    payment_reissue(payment=payment, by=finance2)
    assert payment.run_lines.count() == 1  # until the next run
    payment.refresh_from_db()
    assert payment.status == "scheduled"


def test_a_line_that_is_not_a_grant_payment_is_set_aside_with_a_note(sent, finance):
    import_(statement("05/03/2027,CHG,Account fee,£7.50,,"), finance)
    fee = StatementLine.objects.get()
    with pytest.raises(InvalidInput, match="Say what the line is"):
        reconcile.line_set_aside(line=fee, by=finance, note=" ")
    reconcile.line_set_aside(line=fee, by=finance, note="Bank charge")
    fee.refresh_from_db()
    assert (fee.status, fee.note) == ("set_aside", "Bank charge")
    reconcile.line_restore(line=fee, by=finance)
    fee.refresh_from_db()
    assert fee.status == "unmatched"


def test_suggestions_for_money_out_are_sent_payments_of_the_same_amount(sent, finance):
    import_(statement(f"{day(sent.run, 20)},BACS,GRANT,£500.00,,"), finance)
    line = StatementLine.objects.get()
    assert reconcile.suggestions([line])[line.pk] == [sent]
    assert PaymentRunLine.objects.get().status == "sent"
