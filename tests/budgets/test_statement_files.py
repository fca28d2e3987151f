"""Importing bank statements and reconciling them with the payments sent: all or nothing, the same
file twice changes nothing, nothing is cleared twice, returned payments go back to be reissued."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from budgets import reconcile
from budgets.models import (
    BankAccountLayout,
    Match,
    Payment,
    PaymentEvent,
    PaymentRunLine,
    Statement,
    StatementLine,
)
from budgets.payments import payment_reissue
from budgets.statement_files import (
    PRESETS,
    StatementError,
    custom_layout,
    detect_layouts,
    layout_named,
    read_statement,
)
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


# --- statements as UK banks export them -----------------------------------------------------
#
# One file per layout in tests/data/statements/<layout>.csv, each with its bank's quirks (see
# SOURCES.md); all for the council's account (its bank_accounts: 30-99-50 10203040).

DATA = Path(__file__).parents[1] / "data" / "statements"
# layout: (lines, money out, money in, first date, last date, opening, closing, references)
BANKS = {
    "lloyds": (
        3,
        "3000.00",
        "125.00",
        "2026-09-02",
        "2026-09-04",
        "100000.00",
        "97125.00",
        ["CCIF26-000101/1"],
    ),
    "barclays": (
        3,
        "1325.50",
        "300.00",
        "2026-09-01",
        "2026-09-03",
        None,
        None,
        ["CCIF26-000102/1", "CCIF26-000103/1"],
    ),
    "hsbc": (
        3,
        "1350.00",
        "0.00",
        "2026-09-01",
        "2026-09-03",
        "24000.00",
        "22650.00",
        ["CCIF26-000104/1"],
    ),
    "hsbc-headerless": (
        3,
        "23000.00",
        "12.34",
        "2026-09-01",
        "2026-09-03",
        None,
        None,
        ["CCIF26-000105/1"],
    ),
    "natwest": (
        3,
        "407.50",
        "150.00",
        "2026-09-01",
        "2026-09-03",
        "10000.00",
        "9742.50",
        ["CCIF26-000106/1"],
    ),
    "santander": (
        2,
        "600.00",
        "50.00",
        "2026-09-01",
        "2026-09-02",
        "5000.00",
        "4450.00",
        ["CCIF26-000107/1"],
    ),
    "nationwide": (
        3,
        "1500.00",
        "250.00",
        "2026-09-01",
        "2026-09-03",
        "10000.00",
        "8750.00",
        ["CCIF26-000108/1"],
    ),
    "coop": (
        2,
        "800.00",
        "1.25",
        "2026-09-01",
        "2026-09-02",
        "2000.00",
        "1201.25",
        ["CCIF26-000109/1"],
    ),
    "unity": (
        2,
        "450.00",
        "20.00",
        "2026-09-01",
        "2026-09-02",
        "6000.00",
        "5570.00",
        ["CCIF26-000110/1"],
    ),
    "metro": (
        2,
        "900.00",
        "100.00",
        "2026-09-01",
        "2026-09-02",
        "4000.00",
        "3200.00",
        ["CCIF26-000111/1"],
    ),
    "starling": (
        2,
        "650.00",
        "500.00",
        "2026-09-01",
        "2026-09-02",
        "2000.00",
        "1850.00",
        ["CCIF26-000112/1"],
    ),
    "monzo": (2, "275.00", "40.00", "2026-09-01", "2026-09-02", None, None, ["CCIF26-000113/1"]),
}
# Santander's and the Co-operative Bank's exports have the same heading: the officer chooses.
AMBIGUOUS = {"santander", "coop"}


def bank_file(key: str) -> bytes:
    return (DATA / f"{key}.csv").read_bytes()


def read_summary(content: bytes, layout=None) -> dict:
    from budgets.statement_imports import statement_read
    from tests.factories import CouncilFactory

    CouncilFactory()  # whose account the statements are of: 30-99-50 10203040
    return statement_read(content, layout=layout).summary()


@pytest.mark.parametrize("key", list(BANKS))
def test_each_banks_export_is_read_with_its_totals_dates_balances_and_references(key):
    lines, out, in_, first, last, opening, closing, references = BANKS[key]
    layout = layout_named(key) if key in AMBIGUOUS else None
    summary = read_summary(bank_file(key), layout)
    assert summary["lines"] == lines
    assert (summary["money_out"], summary["money_in"]) == (out, in_)
    assert (summary["first_date"], summary["last_date"]) == (first, last)
    assert (summary["opening_balance"], summary["closing_balance"]) == (opening, closing)
    assert summary["references"] == references
    assert summary["account"] == "30-99-50 10203040"
    assert summary["skipped_duplicates"] == 0


@pytest.mark.parametrize("key", list(BANKS))
def test_a_banks_layout_is_found_from_its_heading_unless_two_banks_share_it(key):
    found = [layout.key for layout in detect_layouts(bank_file(key))]
    assert found == (sorted(AMBIGUOUS, reverse=True) if key in AMBIGUOUS else [key])


def test_a_heading_two_banks_share_asks_the_officer_naming_both():
    with pytest.raises(StatementError, match="its heading fits Santander or Co-operative Bank"):
        read_statement(bank_file("coop"))


def test_lloyds_newest_line_first_gives_the_balances_in_time_order():
    parsed = read_statement(bank_file("lloyds"))
    assert parsed.lines["date"].iloc[0] > parsed.lines["date"].iloc[-1]  # as the bank exports
    assert (parsed.opening_pence, parsed.closing_pence) == (10_000_000, 9_712_500)
    assert parsed.lines["balance"].tolist() == [9_712_500, 9_700_000, 9_750_000]


def test_natwest_quirks_blank_first_line_apostrophes_trailing_comma_and_pound_in_1252():
    content = bank_file("natwest")
    assert content.startswith(b"\r\n") and b"\xa3" in content and b'",\r\n' in content
    parsed = read_statement(content)
    assert parsed.lines["description"].tolist() == [
        "BAC CCIF26-000106/1 ABBEY PARK FRIENDS",
        "CHG CHARGES £7.50 SEPT",
        "BAC RETURN LARKRISE",
    ]
    assert parsed.bank_account == "30-99-50 10203040"  # from '309950-10203040
    assert [int(n) for n in parsed.lines["number"]] == [3, 4, 5]


def test_hsbc_without_a_heading_reads_quoted_signed_amounts():
    parsed = read_statement(bank_file("hsbc-headerless"))
    assert parsed.lines["pence"].tolist() == [-2_275_000, 1_234, -25_000]
    assert [int(n) for n in parsed.lines["number"]] == [1, 2, 3]


def test_nationwide_preamble_is_skipped_and_its_dates_are_read():
    parsed = read_statement(bank_file("nationwide"))
    assert parsed.lines["date"].iloc[0].date() == datetime.date(2026, 9, 1)
    assert [int(n) for n in parsed.lines["number"]] == [6, 7, 8]


def test_monzo_keeps_its_own_transaction_ids_as_the_banks_ids():
    parsed = read_statement(bank_file("monzo"))
    assert parsed.lines["bank_id"].tolist() == ["tx_0000A1", "tx_0000A2"]


def test_a_custom_layout_reads_a_file_without_a_heading_by_column_number():
    layout = custom_layout({"date": "1", "description": "2", "amount": "3"}, headerless=True)
    parsed = read_statement(bank_file("hsbc-headerless"), layout)
    assert parsed.lines["pence"].tolist() == [-2_275_000, 1_234, -25_000]


def test_every_date_form_banks_use_is_read():
    rows = ["01/09/2026", "01/09/26", "2026-09-01", "01-09-2026", "01 Sep 2026", "01-Sep-2026"]
    content = "".join(f'{d},"X","-1.00"\r\n' for d in rows).encode()
    parsed = read_statement(content, layout_named("hsbc-headerless"))
    assert {d.date() for d in parsed.lines["date"]} == {datetime.date(2026, 9, 1)}


# --- broken files: refused whole, every problem named ---------------------------------------


def test_a_short_row_that_pandas_would_pad_is_refused_naming_it():
    content = bank_file("lloyds").replace(
        b"BAC,'30-99-50,10203040,GRANT LARKRISE SINGERS,500.00,,97000.00",
        b"BAC,'30-99-50,10203040,GRANT LARKRISE SINGERS,500.00,97000.00",
    )
    with pytest.raises(StatementError, match="Line 3 has 7 columns where the heading has 8"):
        read_statement(content)


def test_every_bad_row_is_named_in_one_message():
    good = "01/09/2026,BACS,GRANT,£1.00,,\r\n"
    rows = [good] * 3 + ["01/09/2026,BACS,SHORT,£1.00\r\n"] + [good] + ["31/02/2026,X,Y,£1,,\r\n"]
    rows += ["01/09/2026,BACS,LONG,£1.00,,,EXTRA\r\n"] * 25
    content = ("Date,Type,Description,Paid out,Paid in,Balance\r\n" + "".join(rows)).encode()
    with pytest.raises(StatementError) as refused:
        read_statement(content, layout_named("hsbc"))
    message = str(refused.value)
    assert message.startswith("26 problems:")  # the short row and 25 long ones: counted first
    assert "Line 5 has 4 columns where the heading has 6" in message
    assert "Line 8 has 7 columns where the heading has 6" in message
    assert "And 6 more." in message


def test_bad_dates_and_amounts_are_all_named_together():
    content = (
        "Date,Type,Description,Paid out,Paid in,Balance\r\n"
        "31/02/2026,BACS,A,£1.00,,\r\n"
        "01/09/2026,BACS,B,£1.2x,,\r\n"
        "01/09/2026,BACS,C,,,\r\n"
    ).encode()
    with pytest.raises(StatementError) as refused:
        read_statement(content, layout_named("hsbc"))
    message = str(refused.value)
    assert "Line 2: '31/02/2026' is not a real date" in message
    assert "Line 3: '£1.2x' in the Paid out column is not an amount" in message
    assert "Line 4 has no amount" in message


def test_balances_that_do_not_add_up_are_refused_with_both_figures():
    content = bank_file("hsbc").replace(b'"\xa322,650.00"', b'"\xa322,600.00"')
    with pytest.raises(StatementError) as refused:
        read_statement(content)
    assert (
        "the opening balance £24,000.00 plus money in £0.00 less money out £1,350.00 is "
        "£22,650.00, but the closing balance is £22,600.00" in str(refused.value)
    )


def test_an_ofx_in_another_currency_is_refused_naming_it():
    content = (DATA / "statement.ofx").read_bytes().replace(b"<CURDEF>GBP", b"<CURDEF>CAD")
    with pytest.raises(StatementError, match="The OFX statement is in CAD; only sterling"):
        read_statement(content)


def test_a_malformed_ofx_header_is_said_plainly():
    content = b"OFXHEADER:100\nDATA:NONSENSE\n\n<OFX></OFX>\n"
    with pytest.raises(StatementError) as refused:
        read_statement(content)
    assert "header is not valid" in str(refused.value)
    assert "BytesIO" not in str(refused.value) and "NONSENSE" not in str(refused.value)


def test_one_fitid_on_two_different_transactions_is_refused():
    content = (DATA / "statement.ofx").read_bytes().replace(b"2027030300002", b"2027030200001")
    with pytest.raises(
        StatementError, match="the bank's id \\(FITID\\) 2027030200001 is also line 33"
    ):
        read_statement(content)


def test_the_ofx_ledger_balance_is_the_closing_balance():
    content = (
        (DATA / "statement.ofx")
        .read_bytes()
        .replace(
            b"</BANKTRANLIST>",
            b"</BANKTRANLIST><LEDGERBAL><BALAMT>10000.00<DTASOF>20270331</LEDGERBAL>",
        )
    )
    parsed = read_statement(content)
    assert parsed.closing_pence == 1_000_000
    assert parsed.opening_pence == 1_000_000 - int(parsed.lines["pence"].sum())
    assert parsed.bank_account == "30-99-50 10203040"  # BANKID and ACCTID


# --- real public samples (see SOURCES.md) ---------------------------------------------------


def test_a_real_ofx_sample_is_read_and_its_currency_refused_for_the_council():
    content = (DATA / "ofxparse-checking.ofx").read_bytes()
    with pytest.raises(StatementError, match="The OFX statement is in USD"):
        read_statement(content)
    parsed = read_statement(content, currency="USD")
    lines = parsed.lines
    assert len(lines) == 3
    assert lines["pence"].tolist() == [1, -3451, -2500]
    assert [d.date().isoformat() for d in lines["date"]] == [
        "2011-03-31",
        "2011-04-05",
        "2011-04-07",
    ]
    assert lines["bank_id"].tolist() == ["0000486", "0000487", "0000488"]
    assert (parsed.opening_pence, parsed.closing_pence) == (10_099 + 5_950, 10_099)


def test_a_real_camt053_sample_is_read_with_its_opening_and_closing_balances():
    parsed = read_statement((DATA / "genkgo-camt053-multi.xml").read_bytes(), currency="EUR")
    assert parsed.lines["pence"].tolist() == [885, -700]
    assert (parsed.opening_pence, parsed.closing_pence) == (1815, 2000)
    assert parsed.account == "NL26VAYB8060476890"


def test_a_real_camt053_file_of_two_accounts_is_refused_naming_both():
    with pytest.raises(StatementError) as refused:
        read_statement((DATA / "rabobank-camt053.xml").read_bytes(), currency="EUR")
    assert "2 accounts (NL17RABO0310029597, NL59RABO3181240869)" in str(refused.value)


# --- the council's account, and the same lines in another download -------------------------


def test_a_statement_for_another_account_is_refused_naming_it(finance):
    content = bank_file("lloyds").replace(b"10203040", b"99887766")
    with pytest.raises(InvalidInput, match="account 30-99-50 99887766, which is not one of"):
        reconcile.statement_import(content=content, filename="x.csv", by=finance)
    assert not Statement.objects.exists()


def test_a_redownload_with_other_line_endings_imports_nothing_new(finance, finance2):
    first = reconcile.statement_import(
        content=bank_file("natwest"), filename="natwest.csv", by=finance
    )
    again = bank_file("natwest").replace(b"\r\n", b"\n") + b"\n"
    with pytest.raises(Refused, match=f"imported already, as statement {first.statement.pk}"):
        reconcile.statement_import(content=again, filename="natwest (1).csv", by=finance2)
    assert StatementLine.objects.count() == 3


def test_an_overlapping_download_imports_only_the_new_lines(finance):
    reconcile.statement_import(content=bank_file("lloyds"), filename="a.csv", by=finance)
    newer = bank_file("lloyds").replace(
        b"Balance\r\n",
        b"Balance\r\n05/09/2026,FPO,'30-99-50,10203040,CCIF26-000120/1 SCOUTS,25.00,,97100.00\r\n",
    )
    result = reconcile.statement_import(content=newer, filename="b.csv", by=finance)
    assert (result.statement.line_count, result.skipped) == (1, 3)
    assert result.statement.closing_balance == Decimal("97100.00")
    assert StatementLine.objects.count() == 4


def test_identical_lines_within_one_file_are_both_imported(finance):
    content = b'01/09/2026,"FEE","-1.00"\r\n01/09/2026,"FEE","-1.00"\r\n'
    result = reconcile.statement_import(
        content=content, filename="fees.csv", by=finance, layout=layout_named("hsbc-headerless")
    )
    assert result.statement.line_count == 2
    with pytest.raises(Refused, match="Every line of this file was imported already"):
        reconcile.statement_import(
            content=content + b"\r\n",
            filename="again.csv",
            by=finance,
            layout=layout_named("hsbc-headerless"),
        )


def test_the_layout_chosen_is_remembered_for_the_account(finance):
    reconcile.statement_import(
        content=bank_file("coop"), filename="coop.csv", by=finance, layout=layout_named("coop")
    )
    assert BankAccountLayout.objects.get().layout == "coop"
    later = bank_file("coop").replace(b"02/09/2026,INTEREST,1.25,,1201.25", b"")
    later += b"03/09/2026,FEE,,1.25,1198.75\r\n"
    result = reconcile.statement_import(content=later, filename="coop2.csv", by=finance)
    assert result.statement.layout == "Co-operative Bank"
    assert (result.statement.line_count, result.skipped) == (1, 1)
