"""The finance officer's pages: payments due and held, instalments, payment runs."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications import organisations as o
from budgets.models import Payment, PaymentRun
from finance import payments as pay
from tests.factories import ApplicationFactory, OrganisationFactory, UserFactory
from tests.payments_fixtures import accepted, finance2, next_weekday, paid_run, prepared_run

__all__ = ["accepted", "finance2"]
D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def finance_client(client, finance):
    client.force_login(finance)
    return client


def count_queries(client, url) -> int:
    # A page as it is asked for again: the first request after signing in also writes the
    # time of the request into the session (fundmgr.sign_in.StaffIdleSignOut).
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def day_fields(prefix: str, day: datetime.date) -> dict:
    return {f"{prefix}_0": day.day, f"{prefix}_1": day.month, f"{prefix}_2": day.year}


# --- who may see what -----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/finance/", "/finance/payments/", "/finance/runs/"])
def test_grants_officers_and_groups_cannot_see_the_finance_pages(client, officer, treasurer, url):
    for user in (officer, treasurer):
        client.force_login(user)
        assert client.get(url).status_code == 403


def test_an_auditor_reads_the_finance_pages_but_is_offered_no_action(client, accepted):
    client.force_login(UserFactory(roles=["Auditor"]))
    page = client.get("/finance/payments/").text
    assert f"{accepted.reference}/1" in page
    assert "Prepare a payment run" not in page
    assert client.get("/finance/runs/new/").status_code == 403


def test_finance_officers_and_auditors_see_finance_in_the_header(client, finance):
    client.force_login(finance)
    assert 'href="/finance/"' in client.get("/budgets/").text


# --- payments due and held ------------------------------------------------------------------


def test_the_payments_page_lists_what_is_due_and_what_is_held_with_why(
    finance_client, accepted, fund_year, treasurer
):
    held_group = OrganisationFactory(ward=accepted.organisation.ward, name="Unchecked Club")
    held_app = ApplicationFactory(
        fund_year=fund_year, organisation=held_group, reference="CCIF26-000900", status="approved"
    )
    held_app.amount_awarded = D("300.00")
    held_app.awarded_at = held_app.created_at
    held_app.save()
    pay.schedule_for_offer(held_app, by=None)
    from applications.models import Application

    Application.objects.filter(pk=held_app.pk).update(status="offer_accepted")
    o.bank_account_change(
        organisation=held_group,
        by=UserFactory(roles=["Finance officer"]),
        account_name="Unchecked Club",
        sort_code="309634",
        account_number="11112222",
    )
    page = finance_client.get("/finance/payments/").text
    due, held = page.split('id="held"')[0], page.split('id="held"')[1]
    assert f"{accepted.reference}/1" in due and "20-**-** ****5678" in due
    assert "CCIF26-000900/1" in held
    assert "not yet verified" in held


def test_the_payments_page_makes_the_same_queries_for_few_or_many_payments(
    finance_client, accepted, fund_year
):
    few = count_queries(finance_client, "/finance/payments/")
    for _ in range(8):
        # the factory's own sequence: a fixed reference collided with one it had already made
        app = ApplicationFactory(fund_year=fund_year, organisation=accepted.organisation)
        app.amount_awarded = D("100.00")
        app.save()
        pay.schedule_for_offer(app, by=None)
    assert count_queries(finance_client, "/finance/payments/") == few


# --- instalments ----------------------------------------------------------------------------


def test_an_officer_splits_a_grant_into_a_conditional_second_instalment(client, accepted, officer):
    client.force_login(officer)
    later = timezone.localdate() + datetime.timedelta(days=45)
    url = f"/finance/grants/{accepted.reference}/instalments/"
    data = {
        "amount_0": "200.00",
        **day_fields("due_0", timezone.localdate()),
        "amount_1": "250.00",
        **day_fields("due_1", later),
        "condition_1": "Receipts for the first bench",
    }
    refused = client.post(url, data)
    assert "they must add up to £500.00" in refused.text
    assert 'class="govuk-error-summary"' in refused.text
    data["amount_1"] = "300.00"
    response = client.post(url, data, follow=True)
    assert f"The instalments of {accepted.reference} are saved." in response.text
    assert "Receipts for the first bench" in response.text
    second = Payment.objects.get(reference=f"{accepted.reference}/2")
    client.post(f"/finance/payments/{second.pk}/condition/", {"note": "Receipts seen"})
    second.refresh_from_db()
    assert second.condition_met_at is not None


def test_an_instalment_without_its_date_is_explained(client, accepted, officer):
    client.force_login(officer)
    response = client.post(
        f"/finance/grants/{accepted.reference}/instalments/", {"amount_0": "500.00"}
    )
    assert "Enter the date instalment 1 is due" in response.text


# --- runs -----------------------------------------------------------------------------------


def test_a_finance_officer_prepares_a_run_and_is_told_someone_else_must_authorise(
    finance_client, accepted
):
    response = finance_client.post(
        "/finance/runs/new/", day_fields("pay_date", next_weekday()), follow=True
    )
    run = PaymentRun.objects.get()
    assert f"Run {run.number} is prepared: 1 payment, £500.00" in response.text
    assert "You prepared this run, so another finance officer must authorise it." in response.text
    assert "Authorise 1 payment" not in response.text
    refused = finance_client.post(f"/finance/runs/{run.pk}/authorise/")
    assert refused.status_code == 400
    assert "another finance officer must authorise it" in refused.text
    run.refresh_from_db()
    assert run.status == "prepared"


def test_a_payment_date_in_the_past_is_explained(finance_client, accepted):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = finance_client.post("/finance/runs/new/", day_fields("pay_date", yesterday))
    assert "The payment date must be today or later" in response.text
    assert not PaymentRun.objects.exists()


def test_a_second_officer_authorises_and_downloads_the_files(client, accepted, finance, finance2):
    run = prepared_run(finance)
    client.force_login(finance2)
    page = client.get(f"/finance/runs/{run.pk}/").text
    assert "Check and authorise this run" in page
    check = client.get(f"/finance/runs/{run.pk}/check/").context["check"]
    response = client.post(f"/finance/runs/{run.pk}/authorise/", {"check": check}, follow=True)
    assert f"Payment run {run.number} authorised" in response.text
    assert "BACS file ready" in response.text
    assert "SHA-256" in client.get(f"/finance/runs/{run.pk}/").text
    bacs_file = client.get(f"/finance/runs/{run.pk}/files/bacs/")
    assert bacs_file["Content-Disposition"] == f'attachment; filename="bacs-run-{run.number}.txt"'
    assert bacs_file.content.startswith(b"VOL1")
    csv_file = client.get(f"/finance/runs/{run.pk}/files/finance_csv/")
    assert b"R4410-7310" in csv_file.content


def test_only_finance_officers_download_payment_files(client, accepted, finance, finance2):
    run = paid_run(finance, finance2)
    client.force_login(UserFactory(roles=["Auditor"]))
    assert client.get(f"/finance/runs/{run.pk}/files/bacs/").status_code == 403
    assert "bacs-run-" in client.get(f"/finance/runs/{run.pk}/").text  # named, not linked


def test_cancelling_a_run_needs_a_reason(client, accepted, finance, finance2):
    run = prepared_run(finance)
    client.force_login(finance2)
    response = client.post(f"/finance/runs/{run.pk}/cancel/", {"reason": ""})
    assert "Say why the run is cancelled" in response.text
    client.post(f"/finance/runs/{run.pk}/cancel/", {"reason": "Wrong date"})
    run.refresh_from_db()
    assert run.status == "cancelled"


def test_the_runs_page_makes_the_same_queries_for_few_or_many_runs(
    finance_client, accepted, finance, finance2
):
    paid_run(finance, finance2)
    few = count_queries(finance_client, "/finance/runs/")
    for _ in range(5):
        PaymentRun.objects.create(pay_date=next_weekday(), prepared_by=finance2)
    assert count_queries(finance_client, "/finance/runs/") == few


# --- bank details: verification and history -------------------------------------------------


@pytest.fixture
def changed(accepted, treasurer):
    """The group changed its verified bank details: waiting for a finance officer."""
    return o.bank_account_change(
        organisation=accepted.organisation,
        by=treasurer,
        account_name="Abbey Park Friends",
        sort_code="309634",
        account_number="11112222",
    )


def test_changed_bank_details_wait_with_the_payments_they_hold(finance_client, changed):
    page = finance_client.get("/finance/bank-details/").text
    assert "Friends of Abbey Park" in page
    assert "Changed" in page
    assert "1, £500.00" in page  # the grant's payment, held


def test_a_finance_officer_verifies_changed_details_and_the_payment_is_due(
    finance_client, changed, accepted
):
    page = finance_client.get(f"/finance/bank-details/{changed.pk}/").text
    assert "11112222" in page and "30-96-34" in page  # in full, to check them
    assert "These replace details verified on" in page
    response = finance_client.post(
        f"/finance/bank-details/{changed.pk}/",
        {"outcome": "verify", "note": "Called the treasurer on the number on file"},
        follow=True,
    )
    assert "The bank details of Friends of Abbey Park are verified" in response.text
    changed.refresh_from_db()
    assert changed.status == "verified"
    assert [r.payment.reference for r in pay.payable(timezone.localdate()).due] == [
        f"{accepted.reference}/1"
    ]


def test_the_person_who_entered_bank_details_is_told_another_must_verify_them(
    client, accepted, finance
):
    account = o.bank_account_change(
        organisation=accepted.organisation,
        by=finance,
        account_name="Abbey Park Friends",
        sort_code="309634",
        account_number="11112222",
    )
    client.force_login(finance)
    page = client.get(f"/finance/bank-details/{account.pk}/").text
    assert "You entered these bank details, so another finance officer must verify them." in page
    assert "Save the check" not in page
    client.post(f"/finance/bank-details/{account.pk}/", {"outcome": "verify", "note": "me"})
    account.refresh_from_db()
    assert account.status == "unverified"


def test_rejecting_needs_a_reason_and_keeps_the_payments_held(finance_client, changed):
    response = finance_client.post(
        f"/finance/bank-details/{changed.pk}/", {"outcome": "reject", "note": ""}
    )
    assert "Say how you checked the bank details" in response.text
    finance_client.post(
        f"/finance/bank-details/{changed.pk}/",
        {"outcome": "reject", "note": "The treasurer knows nothing of this change"},
    )
    changed.refresh_from_db()
    assert changed.status == "rejected"
    held = pay.payable(timezone.localdate()).held
    assert held[0].reason.startswith("Bank details rejected on")


def test_the_history_shows_every_change_and_who_verified_it(finance_client, changed, finance):
    group = changed.organisation
    page = finance_client.get(f"/finance/organisations/{group.pk}/bank-details/").text
    assert page.count("govuk-table__row") == 3  # header, the new details, the replaced ones
    assert "Replaced" in page and "Waiting for verification" in page
    assert "20-**-** ****5678" in page and "30-**-** ****2222" in page


def test_a_finance_officer_enters_details_for_a_group_and_another_must_verify(
    finance_client, accepted, finance
):
    group = accepted.organisation
    response = finance_client.post(
        f"/finance/organisations/{group.pk}/bank-details/",
        {"account_name": "Abbey Park Friends", "sort_code": "30-96-34", "account_number": "1"},
    )
    assert "Enter a valid account number like 00733445" in response.text
    response = finance_client.post(
        f"/finance/organisations/{group.pk}/bank-details/",
        {
            "account_name": "Abbey Park Friends",
            "sort_code": "30-96-34",
            "account_number": "11112222",
        },
        follow=True,
    )
    assert "Another finance officer must verify them" in response.text
    assert group.bank_accounts.get(status="unverified").entered_by == finance


def test_the_waiting_list_makes_the_same_queries_for_few_or_many(finance_client, changed, ward):
    few = count_queries(finance_client, "/finance/bank-details/")
    for n in range(6):
        group = OrganisationFactory(ward=ward)
        o.bank_account_change(
            organisation=group,
            by=UserFactory(roles=["Finance officer"]),
            account_name=f"Group {n}",
            sort_code="309634",
            account_number=f"1111222{n}",
        )
    assert count_queries(finance_client, "/finance/bank-details/") == few
