"""The bank reconciliation: the figures on a small made-up ledger, the difference, the two-person
rule, and a checked reconciliation that nothing changes.

The grant account opens on 2 November 2026 at £10,000.00 (the bank's statement). Two grants are
paid: £500.00 on Monday 23 November (on the statement on the 24th) and £250.00 on the 25th (not
on any statement yet). £5,000.00 came in from the council's general fund on 2 November (set
aside: not a grant payment), the bank took a £7.50 fee on the 26th (nobody has matched it), and
of a £100.00 clawback £60.00 came back on the statement on the 27th and £15.00 was recorded as
received on the 30th without being on a statement yet.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook
from pypdf import PdfReader

from budgets import clawback as claw
from budgets import payments, reconcile
from budgets.models import Statement, StatementLine
from finance import bank_reconciliation
from finance.models import BankReconciliation
from fundmgr.errors import InvalidInput, NotPermitted, Refused
from tests.factories import UserFactory

D = Decimal
pytestmark = pytest.mark.django_db
NOV = 11
LONDON = ZoneInfo("Europe/London")
REFERENCE = re.compile(r"CCIF26-\d{6}/\d")  # as the import finds it


def day(d: int, month: int = NOV) -> datetime.date:
    return datetime.date(2026, month, d)


@pytest.fixture
def finance2(db):
    return UserFactory(username="finance2", first_name="Fraser", roles=["Finance officer"])


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def statement(by, lines, *, opening=None, account="", name="s.csv") -> Statement:
    """A statement as the import leaves it: `lines` are (date, amount, description, balance)."""
    made = Statement.objects.create(
        sha256=hashlib.sha256(repr((name, lines)).encode()).hexdigest(),
        filename=name,
        format=Statement.Format.CSV,
        account=account,
        line_count=len(lines),
        first_date=min(d for d, *_ in lines),
        last_date=max(d for d, *_ in lines),
        opening_balance=opening,
        imported_by=by,
    )
    for number, (date, amount, description, balance) in enumerate(lines, start=2):
        StatementLine.objects.create(
            statement=made,
            number=number,
            date=date,
            amount=D(amount),
            description=description,
            reference=found.group() if (found := REFERENCE.search(description)) else "",
            balance=None if balance is None else D(balance),
        )
    return made


def sent_run(reference: str, amount: str, pay_date, fund_year, finance, finance2, *more):
    """A run paying `reference` `amount` (and each further (reference, amount) of `more`),
    prepared by `finance`, authorised and sent by `finance2`."""
    payee = payments.Payee(
        bank_account=1, account_name="GROUP", sort_code="401234", account_number="12345678"
    )
    paying = []
    for grant, pounds in [(reference, amount), *more]:
        schedule = payments.schedule_create(
            reference=grant,
            fund_year=fund_year,
            payee=f"Group {grant[-3:]}",
            award=D(pounds),
            instalments=[payments.Instalment(amount=D(pounds), due_on=day(23))],
            by=finance,
        )
        paying.append((schedule.payments.get(), schedule.payee, payee))
    run = payments.run_create(pay_date=pay_date, by=finance, payments=paying)
    run = payments.run_begin_authorising(run=run, by=finance2)
    return payments.run_export_and_send(run=run, lines=payments.run_lines(run), by=finance2)


def after(d: datetime.date):
    """Travel to the morning after `d` (with the clock ticking), to reconcile at `d`."""
    return time_machine.travel(
        datetime.datetime.combine(d + datetime.timedelta(days=1), datetime.time(9), LONDON)
    )


@pytest.fixture
def books(busy, finance, finance2):
    """The account as the module docstring tells it, seen on 1 December 2026."""
    first = sent_run("CCIF26-000101", "500.00", day(23), busy, finance, finance2)
    sent_run("CCIF26-000102", "250.00", day(25), busy, finance, finance2)
    clawback = claw.clawback_create(
        reference="CCIF26-000007",
        fund_year=busy,
        payee="Friends of the Lido",
        amount=D("100.00"),
        reason="Underspent",
        by=finance,
    )
    made = statement(
        finance,
        [
            (day(2), "5000.00", "TFR FROM GENERAL FUND", "15000.00"),
            (day(24), "-500.00", "BACS CCIF26-000101", "14500.00"),
            (day(26), "-7.50", "ACCOUNT FEE", "14492.50"),
            (day(27), "60.00", "LIDO FRIENDS CCIF26-000007", "14552.50"),
        ],
        opening=D("10000.00"),
    )
    line = made.lines.order_by("number")
    with after(day(30)):
        reconcile.line_set_aside(line=line[0], by=finance, note="Funding from the general fund")
        reconcile.match_by_hand(line=line[1], run_line=first.lines.get(), by=finance)
        claw.refund_record(
            clawback=clawback,
            amount=D("60.00"),
            received_on=day(27),
            by=finance,
            statement_line=line[3],
        )
        claw.refund_record(clawback=clawback, amount=D("15.00"), received_on=day(30), by=finance)
    return made


def test_the_figures_at_a_month_end(books):
    found = bank_reconciliation.figures(as_at=day(30))
    assert (found.opening_date, found.opening_balance) == (day(2), D("10000.00"))
    assert found.statement_balance == D("14552.50")
    assert "line 5 of statement" in found.statement_balance_source
    assert [(i.reference, i.amount) for i in found.unpresented] == [("CCIF26-000102/1", D("250"))]
    assert [i.amount for i in found.uncleared_receipts] == [D("15.00")]
    assert found.adjusted_balance == D("14317.50")  # 14,552.50 - 250.00 + 15.00
    # 10,000 - 750 paid + 75 refunds + 5,000 set aside
    assert (found.payments_total, found.refunds_total, found.other_items_total) == (
        D("750.00"),
        D("75.00"),
        D("5000.00"),
    )
    assert found.cash_book_balance == D("14325.00")
    assert found.difference == D("-7.50")
    assert [(i.description, i.amount) for i in found.unexplained] == [("ACCOUNT FEE", D("-7.50"))]
    assert [(i.reference, i.amount) for i in found.expected_refunds] == [
        ("CCIF26-000007", D("25.00"))
    ]


def test_an_earlier_day_counts_only_what_had_happened_by_then(books):
    found = bank_reconciliation.figures(as_at=day(24))
    assert found.statement_balance == D("14500.00")
    assert found.unpresented == [] and found.uncleared_receipts == []
    assert found.cash_book_balance == D("14500.00")
    assert found.difference == D("0.00")


def test_the_difference_goes_once_the_fee_is_explained(books, finance):
    fee = StatementLine.objects.get(description="ACCOUNT FEE")
    with after(day(30)):
        reconcile.line_set_aside(line=fee, by=finance, note="Bank charges")
    found = bank_reconciliation.figures(as_at=day(30))
    assert found.other_items_total == D("4992.50")
    assert found.difference == D("0.00")


def test_a_runs_one_debit_and_a_returned_payment_leave_no_difference(busy, finance, finance2):
    sent_run(
        "CCIF26-000201", "300.00", day(23), busy, finance, finance2, ("CCIF26-000202", "200.00")
    )
    statement(
        finance,
        [
            (day(24), "-500.00", "BACS CONTRA TVDC GRANTS", "9500.00"),
            (day(26), "200.00", "RETURNED CCIF26-000202/1 ACCOUNT CLOSED", "9700.00"),
        ],
        opening=D("10000.00"),
    )
    with after(day(30)):
        assert reconcile.reconcile(by=finance) == 2
    found = bank_reconciliation.figures(as_at=day(30))
    assert found.unpresented == [] and found.unexplained == []
    assert (found.payments_total, found.returns_total) == (D("500.00"), D("200.00"))
    assert found.statement_balance == found.cash_book_balance == D("9700.00")
    assert found.difference == D("0.00")
    # On the 23rd the run was sent and the bank had not yet taken it.
    before = bank_reconciliation.figures(as_at=day(23))
    assert [i.reference for i in before.unpresented] == ["CCIF26-000201/1", "CCIF26-000202/1"]
    assert before.statement_balance == D("10000.00") and before.difference == D("0.00")


def test_a_statement_without_balances_is_worked_out_from_its_opening_balance(busy, finance):
    statement(
        finance, [(day(3), "-20.00", "FEE", None), (day(4), "100.00", "IN", None)], opening=D("50")
    )
    found = bank_reconciliation.figures(as_at=day(30))
    assert found.statement_balance == D("130.00")
    assert found.statement_balance_source.startswith("Worked out")


def test_a_statement_listed_newest_first_still_gives_the_days_closing_balance(busy, finance):
    statement(
        finance,
        [
            (day(3), "-20.00", "SECOND", "80.00"),
            (day(3), "-5.00", "FIRST", "100.00"),
        ],
    )
    found = bank_reconciliation.figures(as_at=day(3))
    assert found.opening_balance == D("105.00")
    assert found.statement_balance == D("80.00")


def test_another_accounts_statement_is_not_counted(books, finance):
    statement(
        finance,
        [(day(28), "-999.00", "OTHER ACCOUNT", "1.00")],
        account="GB29NWBK60161331926819",
        name="other.csv",
    )
    assert bank_reconciliation.figures(as_at=day(30)).statement_balance == D("14552.50")


def test_no_balance_known_is_refused(busy, finance):
    statement(finance, [(day(3), "-20.00", "FEE", None)])
    with pytest.raises(Refused, match="The bank's balance is not known"):
        bank_reconciliation.figures(as_at=day(30))


def test_a_day_before_the_banks_records_is_refused(books):
    with pytest.raises(InvalidInput, match="choose 1 November 2026 or a later day"):
        bank_reconciliation.figures(as_at=datetime.date(2026, 10, 31))
    first = bank_reconciliation.figures(as_at=day(1))
    assert first.statement_balance == D("10000.00")
    assert first.statement_balance_source.startswith("The bank's opening balance of statement")


def test_the_default_day_is_the_last_month_end():
    assert bank_reconciliation.last_month_end(day(23)) == datetime.date(2026, 10, 31)
    assert bank_reconciliation.last_month_end(datetime.date(2027, 1, 5)) == datetime.date(
        2026, 12, 31
    )


# --- preparing, checking, locking ------------------------------------------------------------


def prepared(by, explanation=""):
    with after(day(30)):
        return bank_reconciliation.reconciliation_prepare(
            as_at=day(30), by=by, explanation=explanation
        )


def test_preparing_stores_the_figures_and_the_lists(books, finance):
    rec = prepared(finance)
    assert rec.account == "30-99-50 10203040"
    assert (rec.statement_balance, rec.unpresented_total, rec.cash_book_balance) == (
        D("14552.50"),
        D("250.00"),
        D("14325.00"),
    )
    assert (rec.uncleared_receipts_total, rec.expected_refunds_total) == (D("15.00"), D("25.00"))
    assert rec.difference == D("-7.50") and not rec.locked
    assert rec.items["unpresented"][0]["reference"] == "CCIF26-000102/1"
    assert bank_reconciliation.stored_items(rec)["unexplained"][0].amount == D("-7.50")


def test_a_later_import_does_not_change_what_was_prepared(books, finance):
    rec = prepared(finance)
    statement(finance, [(day(29), "-250.00", "BACS CCIF26-000102", "14302.50")], name="late.csv")
    rec.refresh_from_db()
    assert rec.statement_balance == D("14552.50") and rec.unpresented_total == D("250.00")


def test_the_officer_who_prepared_it_cannot_check_it(books, finance):
    rec = prepared(finance, explanation="A bank fee, to set aside next month.")
    with pytest.raises(NotPermitted, match="You prepared this reconciliation, so another"):
        bank_reconciliation.reconciliation_check(reconciliation=rec, by=finance)
    rec.refresh_from_db()
    assert not rec.locked and rec.checked_by is None


def test_an_unexplained_difference_cannot_be_checked(books, finance, finance2):
    rec = prepared(finance)
    with pytest.raises(Refused, match="The difference of -£7.50 is not explained"):
        bank_reconciliation.reconciliation_check(reconciliation=rec, by=finance2)
    rec.refresh_from_db()
    assert not rec.locked


def test_another_officer_checks_it_and_it_is_locked(books, finance, finance2):
    rec = prepared(finance, explanation="A bank fee, to set aside next month.")
    rec = bank_reconciliation.reconciliation_check(reconciliation=rec, by=finance2)
    assert rec.locked and rec.checked_by == finance2 and rec.checked_at is not None


def test_a_locked_reconciliation_cannot_be_prepared_again_checked_again_or_changed(
    books, finance, finance2
):
    rec = prepared(finance, explanation="A bank fee.")
    bank_reconciliation.reconciliation_check(reconciliation=rec, by=finance2)
    with pytest.raises(Refused, match="was checked by .* and is locked"):
        prepared(finance2)
    with pytest.raises(Refused, match="is locked"):
        bank_reconciliation.reconciliation_check(
            reconciliation=rec, by=UserFactory(roles=["Finance officer"])
        )
    rec.refresh_from_db()
    rec.explanation = "Something else"
    with pytest.raises(TypeError, match="locked"):
        rec.save()
    with pytest.raises(TypeError, match="locked"):
        BankReconciliation.objects.filter(pk=rec.pk).update(difference=D("0"))
    with pytest.raises(TypeError, match="locked"):
        rec.delete()
    rec.refresh_from_db()
    assert rec.explanation == "A bank fee." and rec.difference == D("-7.50")


def test_preparing_again_before_it_is_checked_takes_the_figures_afresh(books, finance, finance2):
    first = prepared(finance)
    fee = StatementLine.objects.get(description="ACCOUNT FEE")
    with after(day(30)):
        reconcile.line_set_aside(line=fee, by=finance, note="Bank charges")
    again = prepared(finance2)
    assert again.pk == first.pk
    assert again.difference == D("0.00") and again.prepared_by == finance2
    assert bank_reconciliation.reconciliation_check(reconciliation=again, by=finance).locked


def test_only_finance_officers_prepare_and_check(books, finance, officer):
    with pytest.raises(NotPermitted, match="Only a finance officer can prepare"):
        prepared(officer)
    rec = prepared(finance, explanation="Fee.")
    with pytest.raises(NotPermitted, match="Only a finance officer can check"):
        bank_reconciliation.reconciliation_check(reconciliation=rec, by=officer)


def test_a_day_not_yet_ended_is_refused(books, finance):
    with after(day(30)), pytest.raises(InvalidInput, match="a day that has ended"):
        bank_reconciliation.reconciliation_prepare(as_at=day(1, 12), by=finance)


def test_the_database_holds_the_two_person_rule(books, finance):
    from django.db import IntegrityError, transaction

    rec = prepared(finance)
    with pytest.raises(IntegrityError), transaction.atomic():
        BankReconciliation.objects.filter(pk=rec.pk).update(checked_by=finance)


# --- the spreadsheet and the PDF --------------------------------------------------------------


def test_the_spreadsheet_shows_the_statement_and_each_list(books, finance):
    rec = prepared(finance, explanation="A bank fee.")
    book = load_workbook(io.BytesIO(bank_reconciliation.xlsx(rec)))
    rows = {r[0]: r[1] for r in book["Reconciliation"].iter_rows(values_only=True) if r[0]}
    assert rows["Balance per bank statement"] == D("14552.50")
    assert rows["Adjusted bank balance"] == D("14317.50")
    assert rows["Balance per cash book"] == D("14325.00")
    assert rows["Difference"] == D("-7.50")
    assert rows["Explanation of the difference"] == "A bank fee."
    unpresented = list(book["Payments sent"].iter_rows(values_only=True))
    assert unpresented[2][1] == "CCIF26-000102/1" and unpresented[2][3] == 250
    assert unpresented[2][2].startswith("Group 102, payment run ")


def test_the_pdf_shows_the_statement_and_who_signed(books, finance, finance2):
    rec = prepared(finance, explanation="A bank fee.")
    rec = bank_reconciliation.reconciliation_check(reconciliation=rec, by=finance2)
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(bank_reconciliation.pdf(rec))).pages
    )
    assert "Bank reconciliation at 30 November 2026" in text
    assert "£14,552.50" in text and "£14,325.00" in text and "-£7.50" in text
    assert "CCIF26-000102/1" in text and "ACCOUNT FEE" in text
    assert "Checked and locked" in text and str(finance2) in text
