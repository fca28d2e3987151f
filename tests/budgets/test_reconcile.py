"""Reading bank statements (CSV layouts, OFX, camt.053) and the matching rules, without the
database (each sample file in tests/data/statements was written for these tests); then, in the
database, a run cleared by its total, a grant's reference without its instalment, and a payment
the bank returned."""

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgets.reconcile import match_frames, match_plain
from budgets.statement_files import PRESETS, Layout, StatementError, read_statement
from tests.payments_fixtures import accepted, finance2, paid_run

__all__ = ["accepted", "finance2"]
D = Decimal

DATA = Path(__file__).parents[1] / "data" / "statements"


def read(name: str, layout: str | None = None):
    return read_statement((DATA / name).read_bytes(), PRESETS[layout] if layout else None)


def rows(parsed) -> list[tuple]:
    frame = parsed.lines
    return [
        (int(r.number), r.date.date().isoformat(), int(r.pence), r.reference)
        for r in frame.itertuples(index=False)
    ]


# --- each format ----------------------------------------------------------------------------


def test_a_windows_1252_csv_with_pounds_thousands_and_paid_out_and_in_columns():
    parsed = read("albion.csv", "albion")
    assert rows(parsed) == [
        (2, "2027-03-02", -50000, "CCIF26-000001/1"),
        (3, "2027-03-03", -123456, "CB26-000014/2"),
        (4, "2027-03-03", -25000, ""),
        (5, "2027-03-05", -750, ""),
        (6, "2027-03-08", 30000, "CCIF26-000009/1"),
    ]
    assert parsed.lines["description"][3] == "CHG Account fee – March"  # the en dash, from 1252


def test_a_utf8_csv_with_a_byte_order_mark_and_debit_and_credit_columns():
    parsed = read("northgate.csv", "northgate")
    assert rows(parsed) == [
        (2, "2027-04-14", -400000, "CAF26-000003/1"),
        (3, "2027-04-15", -50000, ""),
        (4, "2027-04-16", 12500, ""),
    ]


def test_a_csv_with_lines_before_its_heading_and_one_signed_amount_column():
    parsed = read("crown.csv", "crown")
    assert rows(parsed) == [
        (5, "2027-05-10", -65000, "CCIF26-000021/1"),
        (6, "2027-05-11", -180000, "CB26-000005/1"),  # found in lower case
        (7, "2027-05-12", 42, ""),
    ]


def test_a_custom_layout_maps_the_columns():
    layout = Layout(
        key="custom",
        name="My layout",
        date="date",
        description=("description",),
        money_out="paid out",
        money_in="PAID IN",
    )
    assert len(read_statement((DATA / "albion.csv").read_bytes(), layout).lines) == 5


def test_an_ofx_statement_keeps_the_banks_ids_and_the_account():
    parsed = read("statement.ofx")
    assert parsed.format == "ofx" and parsed.account == "10203040"
    assert rows(parsed) == [
        (33, "2027-03-02", -50000, "CCIF26-000001/1"),
        (41, "2027-03-03", -123456, "CB26-000014/2"),
        (49, "2027-03-08", 30000, "CCIF26-000009/1"),
    ]
    assert list(parsed.lines["bank_id"]) == ["2027030200001", "2027030300002", "2027030800003"]


def test_a_camt053_statement_reads_debits_credits_and_remittance_text():
    parsed = read("camt053.xml")
    assert parsed.format == "camt053" and parsed.account == "GB33ALBN30995010203040"
    assert rows(parsed) == [
        (15, "2027-04-14", -400000, "CAF26-000003/1"),
        (29, "2027-04-15", -50000, ""),
        (37, "2027-04-16", 12500, ""),
    ]
    assert "NOTPROVIDED" not in parsed.lines["description"][2]


# --- bad input: a message that names the line -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad-amount.csv", "Line 4: '£1.2x.00' in the Paid out column is not an amount of money"),
        ("negative.csv", "Line 3: the Paid out column holds a negative amount (-£40.00)"),
        ("impossible-date.csv", "Line 5: '31/02/2027' is not a real date in the form dd/mm/yyyy"),
        ("truncated.csv", "Line 5 has no amount: the file may be cut short"),
        ("extra-column.csv", "Line 4 has 7 columns where the heading has 6"),
        ("unclosed-quote.csv", "Line 4 opens a quotation mark that is never closed"),
        ("bad-byte.csv", "Line 4 has a character that is neither UTF-8 nor Windows-1252"),
        ("utf16.csv", "The file is in UTF-16 or is not text"),
        ("truncated.ofx", "The OFX file stops at line 60 before its closing </OFX>"),
        ("bad-amount.ofx", "Line 41: '-12,34.56' is not an amount of money"),
        ("impossible-date.ofx", "Line 41: '20270230' is not a real OFX date"),
        ("truncated.xml", "Line 43 is not well-formed XML"),
        ("negative.xml", "Line 29: '-500.00' is not a positive amount"),
        ("entities.xml", "uses XML entities or a document type definition"),
        ("not-a-statement.xml", "not an ISO 20022 camt.053 bank statement"),
        ("spreadsheet.xlsx", "This is a spreadsheet (Excel) file"),
    ],
)
def test_a_bad_file_is_refused_with_a_message_naming_the_line(name, message):
    with pytest.raises(StatementError) as refused:
        read(name, "albion")
    assert message in str(refused.value)


def test_a_csv_in_the_wrong_layout_names_the_missing_column_and_those_it_has():
    with pytest.raises(StatementError, match="has no 'Transaction Date' column") as refused:
        read("albion.csv", "northgate")
    assert "Its columns are: Date, Type, Description, Paid out, Paid in, Balance" in str(
        refused.value
    )


def test_a_csv_needs_a_layout():
    with pytest.raises(StatementError, match="Choose the layout of this CSV file"):
        read("crown.csv")  # a heading no bank's layout has


def test_a_line_with_money_both_out_and_in_is_refused():
    content = (DATA / "albion.csv").read_bytes().replace(b"\xa3500.00,,", b"\xa3500.00,\xa31.00,")
    with pytest.raises(StatementError, match="Line 2 has money both out and in"):
        read_statement(content, PRESETS["albion"])


# --- matching rules -------------------------------------------------------------------------

DAY = 20_000  # a day number (days since 1970)


def frames(payments, lines, in_runs=None):
    columns = ["id", "reference", "pence", "day"]
    pay = pd.DataFrame(payments, columns=columns)
    pay["run"] = [(in_runs or {}).get(p[0], 0) for p in payments]
    return pay, pd.DataFrame(lines, columns=columns)


def matched(payments, lines, window=5, runs=(), in_runs=None) -> list[tuple]:
    """Both matchers, which must agree; (line, payment or run, method) sorted by line."""
    run_frame = pd.DataFrame(list(runs), columns=["id", "pence", "day"]).astype("int64")
    frame = match_frames(*frames(payments, lines, in_runs), window, run_frame)
    pandas_result = [(int(r.line), int(r.target), r.method) for r in frame.itertuples()]
    assert pandas_result == match_plain(payments, lines, window, runs, in_runs)
    return pandas_result


def test_a_line_carrying_a_payments_reference_and_amount_matches_it_whatever_the_date():
    payments = [(1, "CCIF26-000001/1", 50000, DAY), (2, "CCIF26-000002/1", 50000, DAY)]
    lines = [(10, "CCIF26-000002/1", 50000, DAY + 30)]
    assert matched(payments, lines) == [(10, 2, "reference")]


def test_a_reference_with_another_amount_is_left_for_a_person_not_matched_by_amount():
    payments = [(1, "CCIF26-000001/1", 50000, DAY), (2, "CCIF26-000002/1", 45000, DAY)]
    lines = [(10, "CCIF26-000002/1", 50000, DAY)]
    assert matched(payments, lines) == []


def test_two_lines_with_one_reference_the_earlier_line_takes_it():
    payments = [(1, "CCIF26-000001/1", 50000, DAY)]
    lines = [(11, "CCIF26-000001/1", 50000, DAY), (10, "CCIF26-000001/1", 50000, DAY + 1)]
    assert matched(payments, lines) == [(10, 1, "reference")]


def test_without_a_reference_the_same_amount_on_the_nearest_day_matches():
    payments = [(1, "A", 50000, DAY - 2), (2, "B", 50000, DAY), (3, "C", 50000, DAY + 1)]
    lines = [(10, "", 50000, DAY)]
    assert matched(payments, lines) == [(10, 2, "amount_date")]


def test_a_payment_a_day_before_the_line_is_preferred_to_one_a_day_after():
    payments = [(1, "A", 50000, DAY + 1), (2, "B", 50000, DAY - 1)]
    lines = [(10, "", 50000, DAY)]
    assert matched(payments, lines) == [(10, 2, "amount_date")]


def test_equal_round_sums_pair_lowest_line_with_lowest_payment():
    payments = [(3, "C", 25000, DAY), (1, "A", 25000, DAY), (2, "B", 25000, DAY)]
    lines = [(12, "", 25000, DAY), (10, "", 25000, DAY)]
    assert matched(payments, lines) == [(10, 1, "amount_date"), (12, 2, "amount_date")]


def test_outside_the_date_window_nothing_matches():
    payments = [(1, "A", 50000, DAY)]
    lines = [(10, "", 50000, DAY + 6)]
    assert matched(payments, lines, window=5) == []


def test_a_payment_matched_by_reference_is_not_matched_again_by_amount():
    payments = [(1, "CCIF26-000001/1", 50000, DAY)]
    lines = [(10, "CCIF26-000001/1", 50000, DAY), (11, "", 50000, DAY)]
    assert matched(payments, lines) == [(10, 1, "reference")]


# --- a grant's reference without its instalment ---------------------------------------------


def test_a_grants_reference_without_the_instalment_matches_its_one_payment_of_that_amount():
    payments = [(1, "CCIF26-000101/1", 50000, DAY), (2, "CCIF26-000101/2", 25000, DAY)]
    lines = [(10, "CCIF26-000101", 25000, DAY + 20)]
    assert matched(payments, lines) == [(10, 2, "reference")]


def test_a_grants_reference_that_could_be_two_payments_is_left_for_a_person():
    payments = [(1, "CCIF26-000101/1", 50000, DAY), (2, "CCIF26-000101/2", 50000, DAY)]
    lines = [(10, "CCIF26-000101", 50000, DAY), (11, "", 50000, DAY)]
    # Line 10 names the grant, so it is not matched by amount either; line 11 takes one.
    assert matched(payments, lines) == [(11, 1, "amount_date")]


def test_once_one_instalment_is_matched_by_its_own_reference_the_grants_names_the_other():
    payments = [(1, "CCIF26-000101/1", 50000, DAY), (2, "CCIF26-000101/2", 50000, DAY)]
    lines = [(10, "CCIF26-000101/1", 50000, DAY), (11, "CCIF26-000101", 50000, DAY)]
    assert matched(payments, lines) == [(10, 1, "reference"), (11, 2, "reference")]


# --- a run's total --------------------------------------------------------------------------

RUN = [(7, 175000, DAY)]  # run 7 pays payments 1, 2 and 3 on DAY
IN_RUN = {1: 7, 2: 7, 3: 7}
RUN_PAYMENTS = [
    (1, "CCIF26-000001/1", 50000, DAY),
    (2, "CCIF26-000002/1", 25000, DAY),
    (3, "CB26-000003/1", 100000, DAY),
]


def test_a_debit_of_a_runs_total_on_its_pay_date_clears_the_run():
    lines = [(10, "", 175000, DAY)]
    assert matched(RUN_PAYMENTS, lines, runs=RUN, in_runs=IN_RUN) == [(10, 7, "run_total")]


def test_a_runs_total_a_few_days_after_its_pay_date_clears_it_but_not_before():
    assert matched(RUN_PAYMENTS, [(10, "", 175000, DAY + 3)], runs=RUN, in_runs=IN_RUN) == [
        (10, 7, "run_total")
    ]
    assert matched(RUN_PAYMENTS, [(10, "", 175000, DAY - 1)], runs=RUN, in_runs=IN_RUN) == []
    assert matched(RUN_PAYMENTS, [(10, "", 175000, DAY + 6)], runs=RUN, in_runs=IN_RUN) == []


def test_the_payments_of_a_run_cleared_by_its_total_are_not_matched_again_by_amount():
    lines = [(10, "", 175000, DAY + 1), (11, "", 50000, DAY)]
    assert matched(RUN_PAYMENTS, lines, runs=RUN, in_runs=IN_RUN) == [(10, 7, "run_total")]


def test_a_run_one_of_whose_payments_was_matched_by_reference_is_not_cleared_by_total():
    lines = [(10, "CCIF26-000001/1", 50000, DAY), (11, "", 175000, DAY)]
    assert matched(RUN_PAYMENTS, lines, runs=RUN, in_runs=IN_RUN) == [(10, 1, "reference")]


def test_two_runs_of_the_same_total_pair_by_nearest_day_then_order():
    runs = [(8, 175000, DAY + 1), (7, 175000, DAY)]
    lines = [(11, "", 175000, DAY + 1), (10, "", 175000, DAY + 2)]
    # Line 11 is on run 8's pay date; line 10 is two days after run 7's (one after run 8's,
    # but run 8 is taken at distance 0 first).
    assert matched([], lines, runs=runs) == [(10, 7, "run_total"), (11, 8, "run_total")]


references = st.sampled_from(["", "", "R1/1", "R2/1", "R3/1", "R4/2", "R1", "R4"])
amounts = st.sampled_from([25000, 50000, 100000, 12345])


@settings(max_examples=80, deadline=None)
@given(
    payments=st.lists(st.tuples(amounts, st.integers(0, 12), st.integers(0, 3)), max_size=25),
    lines=st.lists(st.tuples(references, amounts, st.integers(0, 12)), max_size=25),
    runs=st.lists(st.tuples(st.sampled_from([75000, 150000, 50000]), st.integers(0, 12))),
    window=st.integers(0, 4),
)
def test_the_pandas_matcher_agrees_with_the_plain_python_one(payments, lines, runs, window):
    # Payments R1/1, R2/1, ...; every fourth is a second instalment of the one before.
    pay = [
        (i + 1, f"R{i}/2" if i % 4 == 3 else f"R{i + 1}/1", pence, DAY + d)
        for i, (pence, d, _) in enumerate(payments)
    ]
    in_runs = {i + 1: 500 + r for i, (_, _, r) in enumerate(payments) if r}
    run_rows = [(500 + i + 1, pence, DAY + d) for i, (pence, d) in enumerate(runs[:3])]
    stm = [(100 + i, ref, pence, DAY + d) for i, (ref, pence, d) in enumerate(lines)]
    result = matched(pay, stm, window, run_rows, in_runs)
    payments_matched = [p for _, p, m in result if m != "run_total"]
    assert len(set(payments_matched)) == len(payments_matched)  # no payment matched twice
    runs_matched = [r for _, r, m in result if m == "run_total"]
    assert len(set(runs_matched)) == len(runs_matched)


# --- in the database: runs, grants' references, returns -------------------------------------


def _statement_lines(by, *rows):
    """A statement of (date, signed amount, description) rows, read for references as the
    import reads them (the import itself is tested in test_statement_files and the pages)."""
    import hashlib

    from budgets.bank_references import find
    from budgets.models import Statement, StatementLine

    statement = Statement.objects.create(
        sha256=hashlib.sha256(repr(rows).encode()).hexdigest(),
        filename="statement.csv",
        format="csv",
        imported_by=by,
    )
    return [
        StatementLine.objects.create(
            statement=statement,
            number=i + 2,
            date=day,
            amount=amount,
            description=text,
            reference=find(text),
        )
        for i, (day, amount, text) in enumerate(rows)
    ]


@pytest.fixture
def two_instalments(accepted, finance):
    """The £500 grant paid in two £250 instalments, both due now."""
    from django.utils import timezone

    from budgets.payments import Instalment
    from finance import payments as pay

    today = timezone.localdate()
    pay.instalments_set(
        application=accepted,
        by=finance,
        instalments=[Instalment(D("250.00"), today), Instalment(D("250.00"), today)],
    )
    return accepted


@pytest.mark.django_db
def test_a_runs_one_contra_debit_clears_each_payment_and_is_undone_whole(
    two_instalments, finance, finance2
):
    import datetime

    from budgets import reconcile
    from budgets.models import Match, Payment, PaymentRunLine, StatementLine

    run = paid_run(finance, finance2)
    assert (run.count, run.total) == (2, D("500.00"))
    day = run.pay_date + datetime.timedelta(days=1)
    (contra,) = _statement_lines(finance, (day, D("-500.00"), "BACS GRANTS RUN 000001 CONTRA"))
    assert reconcile.reconcile(by=finance) == 1
    matches = list(Match.objects.filter(line=contra).order_by("run_line__reference"))
    assert [(m.method, m.run_id, m.kind) for m in matches] == [("run_total", run.pk, "cleared")] * 2
    assert [m.get_method_display() for m in matches] == ["By run total"] * 2
    assert {(r.status, r.cleared_on) for r in run.lines.all()} == {("cleared", day)}
    assert set(Payment.objects.values_list("status", flat=True)) == {"cleared"}
    contra.refresh_from_db()
    assert contra.status == StatementLine.Status.MATCHED

    # Undoing one of the run's matches undoes them all: the run is sent, not cleared.
    reconcile.match_undo(match=matches[1], by=finance, reason="Not this run")
    assert Match.objects.filter(undone_at__isnull=True).count() == 0
    assert set(run.lines.values_list("status", flat=True)) == {PaymentRunLine.Status.SENT}
    assert set(Payment.objects.values_list("status", flat=True)) == {"sent"}
    contra.refresh_from_db()
    assert contra.status == StatementLine.Status.UNMATCHED
    # And matching again clears it again.
    assert reconcile.reconcile(by=finance) == 1
    assert set(run.lines.values_list("status", flat=True)) == {PaymentRunLine.Status.CLEARED}


@pytest.mark.django_db
def test_a_debit_before_the_runs_pay_date_does_not_clear_it(two_instalments, finance, finance2):
    import datetime

    from budgets import reconcile

    run = paid_run(finance, finance2)
    _statement_lines(
        finance, (run.pay_date - datetime.timedelta(days=1), D("-500.00"), "BACS CONTRA")
    )
    assert reconcile.reconcile(by=finance) == 0
    assert set(run.lines.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_a_grants_reference_that_could_be_either_instalment_is_left_naming_both(
    two_instalments, finance, finance2
):
    from budgets import reconcile

    run = paid_run(finance, finance2)
    grant = two_instalments.reference
    printed = f"FRIENDS OF ABBEY {grant.replace('-', '')} BGC"
    (line,) = _statement_lines(finance, (run.pay_date, D("-250.00"), printed))
    assert line.reference == grant
    assert reconcile.reconcile(by=finance) == 0
    line.refresh_from_db()
    assert line.status == "unmatched"
    assert line.note == (
        f"{grant} could be {grant}/1 or {grant}/2 (£250.00 each): match it by hand."
    )
    options = reconcile.suggestions([line])[line.pk]
    assert [o.reference for o in options] == [f"{grant}/1", f"{grant}/2"]


@pytest.mark.django_db
def test_a_grants_reference_printed_without_its_one_instalment_clears_it(
    accepted, finance, finance2
):
    from budgets import reconcile
    from budgets.models import Match

    run = paid_run(finance, finance2)
    printed = f"{accepted.reference.lower().replace('-', ' ')}"  # ccif26 000001
    _statement_lines(finance, (run.pay_date, D("-500.00"), printed))
    assert reconcile.reconcile(by=finance) == 1
    assert Match.objects.get().method == "reference"


@pytest.mark.django_db
def test_a_returned_payment_reopens_it_and_holds_the_group_until_new_details_are_verified(
    accepted, finance, finance2, treasurer
):
    import datetime

    from applications import organisations
    from budgets import reconcile
    from budgets.models import Match, Payment
    from budgets.payments import payment_reissue
    from finance import payments as pay

    run = paid_run(finance, finance2)
    sent = run.lines.get()
    back = run.pay_date + datetime.timedelta(days=3)
    _statement_lines(
        finance,
        (run.pay_date, D("-500.00"), f"BACS {sent.reference}"),
        (back, D("500.00"), f"RETURNED {accepted.reference.replace('-', '')} ACCOUNT CLOSED"),
    )
    assert reconcile.reconcile(by=finance) == 2
    returned = Match.objects.get(kind="returned")
    assert (returned.method, returned.run_line_id) == ("reference", sent.pk)
    payment = Payment.objects.get(pk=sent.payment_id)
    assert payment.status == Payment.Status.RETURNED
    assert payment.get_status_display() == "Returned by the bank"

    # Reissued, it is held: the bank details it went to are the ones it came back from.
    payment_reissue(payment=payment, by=finance)
    due = pay.payable()
    assert [r.payment for r in due.held] == [payment] and due.due == []
    assert "returned by the bank" in due.held[0].reason
    assert "held until new bank details are entered and verified" in due.held[0].reason

    # New details entered: still held (not verified); verified by a finance officer: due.
    account = organisations.bank_account_change(
        organisation=accepted.organisation,
        by=treasurer,
        account_name="FRIENDS ABBEY PARK",
        sort_code="309950",
        account_number="87654321",
    )
    assert [r.payment for r in pay.payable().held] == [payment]
    organisations.bank_account_verify(bank_account=account, by=finance2, approve=True)
    assert [r.payment for r in pay.payable().due] == [payment]


@pytest.mark.django_db
def test_undoing_an_automatic_return_releases_the_hold(accepted, finance, finance2):
    import datetime

    from budgets import reconcile
    from budgets.models import Match, Payment
    from finance import payments as pay

    run = paid_run(finance, finance2)
    sent = run.lines.get()
    _statement_lines(
        finance,
        (run.pay_date + datetime.timedelta(days=2), D("500.00"), f"RTN {sent.reference}"),
    )
    assert reconcile.reconcile(by=finance) == 1
    assert Payment.objects.get(pk=sent.payment_id).status == "returned"
    reconcile.match_undo(match=Match.objects.get(), by=finance, reason="Not a return")
    assert Payment.objects.get(pk=sent.payment_id).status == "sent"
    assert pay.payable().held == []


@pytest.mark.django_db
def test_an_invoice_number_shaped_like_a_reference_does_not_stop_matching_by_amount(
    accepted, finance, finance2
):
    from budgets import reconcile
    from budgets.models import Match

    run = paid_run(finance, finance2)
    (line,) = _statement_lines(finance, (run.pay_date, D("-500.00"), "INV26-123456 GRANT"))
    assert line.reference == "INV26-123456"  # the shape of one; INV is no fund's code
    assert reconcile.reconcile(by=finance) == 1
    assert Match.objects.get().method == "amount_date"


@pytest.mark.django_db
def test_money_in_with_the_grants_reference_repays_its_clawback(accepted, finance, finance2):
    from budgets import reconcile
    from budgets.clawback import clawback_create
    from budgets.models import Clawback

    run = paid_run(finance, finance2)
    clawback_create(
        reference=accepted.reference,
        fund_year=accepted.fund_year,
        payee="Friends of Abbey Park",
        amount=D("100.00"),
        reason="Underspend",
        by=finance,
    )
    grant = accepted.reference.replace("-", "")
    _, refund = _statement_lines(
        finance,
        (run.pay_date, D("-500.00"), f"BACS {accepted.reference}/1"),
        (run.pay_date, D("60.00"), f"FRIENDS OF ABBEY {grant} REFUND"),
    )
    assert reconcile.reconcile(by=finance) == 2
    refund.refresh_from_db()
    assert refund.status == "refund"
    clawback = Clawback.objects.get()
    assert clawback.received == D("60.00") and clawback.refunds.get().statement_line == refund


@pytest.mark.django_db
def test_money_in_that_could_be_a_return_or_a_refund_is_left_naming_both(
    accepted, finance, finance2
):
    from budgets import reconcile
    from budgets.clawback import clawback_create

    run = paid_run(finance, finance2)
    clawback = clawback_create(
        reference=accepted.reference,
        fund_year=accepted.fund_year,
        payee="Friends of Abbey Park",
        amount=D("500.00"),
        reason="Grant revoked",
        by=finance,
    )
    (credit,) = _statement_lines(finance, (run.pay_date, D("500.00"), f"{accepted.reference}"))
    assert reconcile.reconcile(by=finance) == 0
    credit.refresh_from_db()
    assert credit.status == "unmatched"
    assert credit.note == (
        f"{accepted.reference} could be {accepted.reference}/1 returned by the bank or a refund "
        f"of {clawback.number}: match it by hand."
    )


@pytest.mark.django_db
def test_a_run_with_a_payment_returned_already_is_still_cleared_by_its_total(
    two_instalments, finance, finance2
):
    import datetime

    from budgets import reconcile
    from budgets.payments import run_line_mark_returned

    run = paid_run(finance, finance2)
    first, second = run.lines.order_by("reference")
    run_line_mark_returned(line=first, by=finance, note="Account closed")
    _statement_lines(
        finance, (run.pay_date + datetime.timedelta(days=1), D("-500.00"), "BACS CONTRA")
    )
    assert reconcile.reconcile(by=finance) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("returned", "cleared")
    assert second.matches.get().method == "run_total"
