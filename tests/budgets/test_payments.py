"""Payment schedules and payment runs: the two-person rule, holds for bank details, the files a
run exports and the ledger after it."""

import csv
import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from applications import organisations as o
from applications import services as s
from applications.workflow import Status
from budgets import ledger
from budgets.integrity import ledger_violations
from budgets.models import (
    FundYear,
    LedgerTransaction,
    Payment,
    PaymentEvent,
    PaymentFile,
    PaymentRun,
    PaymentRunLine,
)
from budgets.payments import Instalment, payment_reissue, run_line_mark_returned
from finance import payments as pay
from fundmgr.errors import InvalidInput, NotPermitted, Refused
from tests.conftest import verified_bank_details
from tests.factories import (
    ApplicationFactory,
    FundFactory,
    FundYearFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.payments_fixtures import accepted, finance2, next_weekday, paid_run, prepared_run

__all__ = ["accepted", "finance2"]
D = Decimal
pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


# --- schedules ------------------------------------------------------------------------------


def test_accepting_an_offer_schedules_one_payment_of_the_award_due_at_once(accepted):
    payment = Payment.objects.get(schedule__reference=accepted.reference)
    assert (payment.reference, payment.amount, payment.due_on) == (
        f"{accepted.reference}/1",
        D("500.00"),
        today(),
    )
    assert payment.status == Payment.Status.SCHEDULED
    assert payment.schedule.payee == "Friends of Abbey Park"


@pytest.fixture
def caf_accepted(treasurer, officer, officer2, shaw, draft):
    """A £8,000 Community Asset Fund grant, above the officer's £5,000 limit."""
    from decisions import services as d

    fy = FundYearFactory(
        fund=FundFactory(code="CAF", kind="community_asset", name="Community Asset Fund"),
        funded_from=FundYear.FundedFrom.CENTRAL_POT,
        councillor_support_required=False,
        allocation_per_councillor=D("0.00"),
        max_award=D("25000.00"),
        delegated_limit=D("5000.00"),
    )
    ledger.budget_set(fund_year=fy, total=D("100000.00"), by=None)
    app = ApplicationFactory(
        fund_year=fy,
        organisation=draft.organisation,
        reference="CAF26-000001",
        amount_requested=D("8000.00"),
        total_cost=D("8000.00"),
        created_by=treasurer,
    )
    s.application_submit(application=app, by=treasurer)
    s.application_mark_eligible(application=app, by=officer)
    d.assessment_record(
        application=app,
        by=officer,
        recommendation="approve",
        recommended_amount=D("8000.00"),
        notes="ok",
    )
    # Above the delegated limit the panel decides; the service itself takes `authority`.
    s.application_approve(application=app, by=officer2, amount=D("8000.00"), authority="panel")
    s.application_accept_offer(application=app, by=treasurer)
    app.refresh_from_db()
    return app


def test_a_large_asset_grant_is_paid_in_two_halves_the_second_on_evidence(caf_accepted):
    first, second = Payment.objects.filter(schedule__reference="CAF26-000001").order_by("number")
    assert (first.amount, first.condition) == (D("4000.00"), "")
    assert second.amount == D("4000.00")
    assert second.condition == "Evidence that the first stage of the project is complete"


def test_a_conditional_instalment_is_not_due_until_an_officer_marks_it_met(caf_accepted, officer):
    second = Payment.objects.get(reference="CAF26-000001/2")
    Payment.objects.filter(pk=second.pk).update(due_on=today())
    waiting = pay.payable(today())
    assert [r.payment.reference for r in waiting.due] == ["CAF26-000001/1"]
    assert [r.payment.reference for r in waiting.waiting] == ["CAF26-000001/2"]
    pay.condition_met(payment=second, by=officer, note="Photographs of the finished ramp")
    assert {r.payment.reference for r in pay.payable(today()).due} == {
        "CAF26-000001/1",
        "CAF26-000001/2",
    }
    assert second.events.last().kind == PaymentEvent.Kind.CONDITION_MET


def test_an_officer_sets_instalments_that_must_add_up_to_the_award(accepted, officer):
    later = today() + datetime.timedelta(days=60)
    with pytest.raises(InvalidInput, match="add up to £450.00; they must add up to £500.00"):
        pay.instalments_set(
            application=accepted,
            by=officer,
            instalments=[Instalment(D("200.00"), today()), Instalment(D("250.00"), later)],
        )
    pay.instalments_set(
        application=accepted,
        by=officer,
        instalments=[
            Instalment(D("200.00"), today()),
            Instalment(D("300.00"), later, "Receipts for the first bench"),
        ],
    )
    got = list(
        Payment.objects.filter(schedule__reference=accepted.reference)
        .order_by("number")
        .values_list("reference", "amount", "condition", "status")
    )
    ref = accepted.reference
    assert got == [
        (f"{ref}/1", D("200.00"), "", "scheduled"),
        (f"{ref}/2", D("300.00"), "Receipts for the first bench", "scheduled"),
    ]


def test_instalments_already_sent_stay_and_the_rest_are_reset(accepted, officer, finance, finance2):
    pay.instalments_set(
        application=accepted,
        by=officer,
        instalments=[
            Instalment(D("200.00"), today()),
            Instalment(D("300.00"), today() + datetime.timedelta(days=30)),
        ],
    )
    paid_run(finance, finance2)
    pay.instalments_set(
        application=accepted, by=officer, instalments=[Instalment(D("300.00"), today())]
    )
    rows = Payment.objects.filter(schedule__reference=accepted.reference).order_by("number")
    assert [(p.number, p.amount, p.status) for p in rows] == [
        (1, D("200.00"), "sent"),
        (2, D("300.00"), "scheduled"),
    ]


def test_a_group_member_cannot_set_instalments(accepted, treasurer):
    with pytest.raises(NotPermitted, match="Only a grants or finance officer"):
        pay.instalments_set(
            application=accepted, by=treasurer, instalments=[Instalment(D("500.00"), today())]
        )


# --- preparing a run: what is due and what is held ------------------------------------------


def test_a_finance_officer_prepares_a_run_of_what_is_due(accepted, finance):
    run = prepared_run(finance)
    assert (run.status, run.count, run.total) == ("prepared", 1, D("500.00"))
    line = run.lines.get()
    assert (line.reference, line.sort_code, line.account_number) == (
        f"{accepted.reference}/1",
        "200000",
        "12345678",
    )
    assert line.account_name == "FRIENDS OF ABBEY P"
    assert Payment.objects.get(reference=line.reference).status == Payment.Status.IN_RUN
    assert not LedgerTransaction.objects.filter(kind="payment").exists()  # not yet paid


def test_a_payment_whose_bank_details_are_unverified_is_held_with_the_reason(
    accepted, treasurer, finance
):
    o.bank_account_change(
        organisation=accepted.organisation,
        by=treasurer,
        account_name="Abbey Park Friends",
        sort_code="309634",
        account_number="11112222",
    )
    due = pay.payable(today())
    assert due.due == []
    assert [r.payment.reference for r in due.held] == [f"{accepted.reference}/1"]
    assert "Bank details changed on" in due.held[0].reason
    assert "not yet verified" in due.held[0].reason
    with pytest.raises(Refused, match="No payment is due"):
        prepared_run(finance)


def test_a_group_without_bank_details_is_held(
    fund_year, treasurer, officer, officer2, shaw, okafor
):
    from tests import journeys

    group = OrganisationFactory(ward=shaw.ward, members=[treasurer], name="New Group")
    ledger.allocate_year(fund_year=fund_year, by=None)
    app = ApplicationFactory(fund_year=fund_year, organisation=group, created_by=treasurer)
    journeys.approved(
        app, treasurer=treasurer, officer=officer, officer2=officer2, shaw=shaw, okafor=okafor
    )
    s.application_accept_offer(application=app, by=treasurer)
    assert pay.payable(today()).held[0].reason == "No bank details: the group has not entered any."


def test_only_a_finance_officer_prepares_a_run(accepted, officer):
    with pytest.raises(NotPermitted, match="Only a finance officer can prepare a payment run"):
        prepared_run(officer)


def test_a_payment_date_on_a_weekend_or_in_the_past_is_refused(accepted, finance):
    saturday = today() + datetime.timedelta(days=(5 - today().weekday()) % 7)
    with pytest.raises(InvalidInput, match="is not a BACS processing day"):
        pay.payment_run_prepare(by=finance, pay_date=saturday)
    with pytest.raises(InvalidInput, match="has passed"):
        pay.payment_run_prepare(by=finance, pay_date=today() - datetime.timedelta(days=1))


def test_a_payment_cannot_be_in_two_runs(accepted, finance, finance2):
    prepared_run(finance)
    with pytest.raises(Refused, match="No payment is due"):
        prepared_run(finance2)


# --- authorising: the two-person rule -------------------------------------------------------


def test_the_officer_who_prepared_a_run_cannot_authorise_it(accepted, finance):
    run = prepared_run(finance)
    with pytest.raises(NotPermitted, match="another finance officer must authorise it"):
        pay.payment_run_authorise(run=run, by=finance)
    run.refresh_from_db()
    assert run.status == "prepared"
    assert not LedgerTransaction.objects.filter(kind="payment").exists()


def test_the_database_refuses_a_run_authorised_by_its_preparer(accepted, finance):
    run = prepared_run(finance)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentRun.objects.filter(pk=run.pk).update(
            status="authorised", authorised_by=finance, authorised_at=timezone.now()
        )


def test_a_grants_officer_cannot_authorise_a_run(accepted, finance, officer):
    run = prepared_run(finance)
    with pytest.raises(NotPermitted, match="Only a finance officer can authorise"):
        pay.payment_run_authorise(run=run, by=officer)


def test_authorising_sends_posts_the_ledger_and_moves_the_grant_on(accepted, finance, finance2):
    run = paid_run(finance, finance2)
    assert (run.status, run.authorised_by) == ("authorised", finance2)
    payment = Payment.objects.get(schedule__reference=accepted.reference)
    assert payment.status == Payment.Status.SENT
    accepted.refresh_from_db()
    assert (accepted.paid_to_date, accepted.status) == (D("500.00"), Status.MONITORING)
    posting = LedgerTransaction.objects.get(kind="payment")
    assert posting.idempotency_key == f"payment:{payment.pk}"
    assert ledger.committed_balance(accepted.reference) == D("0.00")
    assert ledger_violations() == []


def test_authorising_exports_a_bacs_file_and_a_finance_csv_with_hashes(accepted, finance, finance2):
    run = paid_run(finance, finance2)
    files = {f.kind: f for f in PaymentFile.objects.filter(run=run)}
    bacs_file = bytes(files["bacs"].content)
    assert files["bacs"].sha256 == hashlib.sha256(bacs_file).hexdigest()
    records = bacs_file.decode("ascii").split("\r\n")[:-1]
    assert [r[:4] for r in records[:4]] == ["VOL1", "HDR1", "HDR2", "UHL1"]
    assert records[4][64:82].strip() == f"{accepted.reference}/1"
    assert records[4][35:46] == "00000050000"
    rows = list(csv.reader(io.StringIO(bytes(files["finance_csv"].content).decode("utf-8"))))
    assert rows == [
        ["Cost code", "Reference", "Grant", "Payee", "Amount", "Payment date"],
        [
            "R4410-7310",
            f"{accepted.reference}/1",
            accepted.reference,
            "Friends of Abbey Park",
            "500.00",
            run.pay_date.isoformat(),
        ],
    ]


def test_a_run_authorised_twice_is_paid_once(accepted, finance, finance2):
    run = paid_run(finance, finance2)
    third = UserFactory(roles=["Finance officer"])
    with pytest.raises(Refused, match=f"Run {run.number} was authorised by"):
        pay.payment_run_authorise(run=run, by=third)
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1
    assert PaymentFile.objects.filter(run=run).count() == 2


def test_bank_details_changed_after_the_run_was_prepared_stop_its_authorisation(
    accepted, treasurer, finance, finance2
):
    run = prepared_run(finance)
    o.bank_account_change(
        organisation=accepted.organisation,
        by=treasurer,
        account_name="Somebody Else",
        sort_code="309634",
        account_number="99998888",
    )
    with pytest.raises(Refused, match="Cancel this run and prepare a new one"):
        pay.payment_run_authorise(run=run, by=finance2)
    run.refresh_from_db()
    assert run.status == "prepared"
    assert not LedgerTransaction.objects.filter(kind="payment").exists()
    assert not PaymentFile.objects.exists()


def test_a_cancelled_run_puts_its_payments_back_to_be_paid(accepted, finance, finance2):
    run = prepared_run(finance)
    with pytest.raises(InvalidInput, match="Say why"):
        pay.payment_run_cancel(run=run, by=finance2, reason=" ")
    pay.payment_run_cancel(run=run, by=finance2, reason="Wrong date")
    assert [r.payment.reference for r in pay.payable(next_weekday()).due] == [
        f"{accepted.reference}/1"
    ]
    assert run.lines.get().status == PaymentRunLine.Status.CANCELLED
    again = prepared_run(finance)
    assert again.pk != run.pk and again.count == 1


def test_a_returned_payment_is_reissued_in_a_later_run_without_posting_twice(
    accepted, finance, finance2
):
    first = paid_run(finance, finance2)
    line = first.lines.get()
    run_line_mark_returned(line=line, by=finance, note="Account closed")
    payment = Payment.objects.get(pk=line.payment_id)
    assert payment.status == Payment.Status.RETURNED
    assert [r.payment.reference for r in pay.payable(today()).returned] == [payment.reference]
    payment_reissue(payment=payment, by=finance2)
    # Held: the bank sent it back from the details it went to, until new ones are verified.
    assert [r.payment for r in pay.payable(today()).held] == [payment]
    verified_bank_details(accepted.organisation, accepted.organisation.members.first())
    second = paid_run(finance2, finance)
    assert second.lines.get().reference == payment.reference
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1
    accepted.refresh_from_db()
    assert accepted.paid_to_date == D("500.00")
    assert list(first.lines.values_list("status", flat=True)) == ["returned"]
    assert ledger_violations() == []
