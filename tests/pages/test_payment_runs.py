"""Payment runs through their pages: a run is authorised only through its check page, its
status says what is true (BACS file ready, sent to the bank, cleared), and a grant is paid on
the run's pay date, not the day the run was authorised."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from applications.models import Application
from budgets import reconcile
from budgets.models import LedgerTransaction, PaymentFile, PaymentRun, PaymentRunLine
from budgets.payments import Instalment
from budgets.statement_files import PRESETS
from finance import payments as pay
from tests.factories import UserFactory
from tests.payments_fixtures import accepted, finance2, next_weekday, paid_run, prepared_run

__all__ = ["accepted", "finance2"]
D = Decimal
pytestmark = pytest.mark.django_db


def long(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def check_of(client, run: PaymentRun) -> str:
    response = client.get(f"/finance/runs/{run.pk}/check/")
    assert response.status_code == 200
    return response.context["check"]


def nothing_paid(app: Application, run: PaymentRun) -> None:
    run.refresh_from_db()
    app.refresh_from_db()
    assert run.status == PaymentRun.Status.PREPARED and run.authorised_by is None
    assert not PaymentFile.objects.filter(run=run).exists()
    assert app.paid_to_date == 0
    assert not LedgerTransaction.objects.filter(kind="payment").exists()


@pytest.fixture
def split(accepted, finance):
    """The £500 grant in two instalments: £300 due now, £200 waiting for its condition."""
    today = timezone.localdate()
    pay.instalments_set(
        application=accepted,
        by=finance,
        instalments=[
            Instalment(D("300.00"), today),
            Instalment(D("200.00"), today, "Photographs of the benches in place"),
        ],
    )
    return accepted


# --- the check page -------------------------------------------------------------------------


def test_the_run_page_sends_the_authoriser_to_the_check_page_not_straight_to_authorise(
    client, accepted, finance, finance2
):
    run = prepared_run(finance)
    client.force_login(finance2)
    page = client.get(f"/finance/runs/{run.pk}/").text
    assert f'href="/finance/runs/{run.pk}/check/"' in page
    assert "Check and authorise this run" in page
    assert f'action="/finance/runs/{run.pk}/authorise/"' not in page


def test_the_check_page_shows_the_count_total_payees_accounts_held_payments_and_pay_date(
    client, split, finance, finance2
):
    run = prepared_run(finance)
    client.force_login(finance2)
    response = client.get(f"/finance/runs/{run.pk}/check/")
    page = response.text
    assert "Check the run before you authorise it" in page
    assert 'data-testid="check-count">1<' in page
    assert 'data-testid="check-total">£300.00<' in page
    assert run.pay_date.strftime("%A") in page and long(run.pay_date) in page
    assert f"{split.reference}/1" in page and "Friends of Abbey Park" in page
    assert "20-**-** ****5678" in page and "12345678" not in page  # masked as on the run page
    # Held out of the run, with why: the second instalment waits for its condition.
    assert f"{split.reference}/2" in page and "Photographs of the benches in place" in page
    assert "Authorise this payment run" in page
    assert 'name="check"' in page


def test_authorising_without_the_check_page_is_refused_and_changes_nothing(
    client, accepted, finance, finance2
):
    run = prepared_run(finance)
    client.force_login(finance2)
    response = client.post(f"/finance/runs/{run.pk}/authorise/")
    assert response.status_code == 400
    assert "Check the run before you authorise it" in response.text
    nothing_paid(accepted, run)


def test_a_stale_check_is_refused_and_the_run_shown_again_to_check(
    client, accepted, finance, finance2
):
    run = prepared_run(finance)
    client.force_login(finance2)
    check = check_of(client, run)
    # Something about a payee changes after the officer looked (a line of the run).
    PaymentRunLine.objects.filter(run=run).update(account_name="SOMEONE ELSE")
    response = client.post(f"/finance/runs/{run.pk}/authorise/", {"check": check})
    assert response.status_code == 400
    assert "The run has changed since you checked it: check it again." in response.text
    assert "SOMEONE ELSE" in response.text  # the page shows the run as it is now
    nothing_paid(accepted, run)
    fresh = response.context["check"]
    assert fresh != check
    done = client.post(f"/finance/runs/{run.pk}/authorise/", {"check": fresh})
    assert done.status_code == 302


def test_a_tampered_check_is_refused(client, accepted, finance, finance2):
    run = prepared_run(finance)
    client.force_login(finance2)
    check = check_of(client, run)
    response = client.post(f"/finance/runs/{run.pk}/authorise/", {"check": check[::-1]})
    assert "The run has changed since you checked it" in response.text
    nothing_paid(accepted, run)


def test_the_right_check_authorises_and_confirms_that_the_bacs_file_is_ready(
    client, accepted, finance, finance2
):
    run = prepared_run(finance)
    client.force_login(finance2)
    response = client.post(
        f"/finance/runs/{run.pk}/authorise/", {"check": check_of(client, run)}, follow=True
    )
    assert response.redirect_chain == [(f"/finance/runs/{run.pk}/authorised/", 302)]
    page = response.text
    assert f"Payment run {run.number} authorised" in page
    assert "BACS file ready" in page
    assert f'href="/finance/runs/{run.pk}/files/bacs/"' in page
    run.refresh_from_db()
    assert run.status == "authorised" and run.authorised_by == finance2
    accepted.refresh_from_db()
    assert accepted.paid_to_date == D("500.00")


def test_the_officer_who_prepared_the_run_cannot_authorise_it_even_with_its_check(
    client, accepted, finance
):
    run = prepared_run(finance)
    client.force_login(finance)
    page = client.get(f"/finance/runs/{run.pk}/check/").text
    assert "You prepared this run, so another finance officer must authorise it." in page
    assert "Authorise this payment run" not in page
    check = check_of(client, run)
    response = client.post(f"/finance/runs/{run.pk}/authorise/", {"check": check})
    assert response.status_code == 400
    assert "You prepared this payment run, so another finance officer must authorise it." in (
        response.text
    )
    nothing_paid(accepted, run)


def test_an_auditor_reads_the_run_but_cannot_check_or_authorise_it(client, accepted, finance):
    run = prepared_run(finance)
    auditor = UserFactory(roles=["Auditor"])
    client.force_login(auditor)
    assert client.get(f"/finance/runs/{run.pk}/").status_code == 200
    assert client.get(f"/finance/runs/{run.pk}/check/").status_code == 403
    assert client.post(f"/finance/runs/{run.pk}/authorise/", {"check": "x"}).status_code == 403
    nothing_paid(accepted, run)


def test_a_run_already_authorised_is_not_checked_again(client, accepted, finance, finance2):
    run = paid_run(finance, finance2)
    client.force_login(finance2)
    response = client.get(f"/finance/runs/{run.pk}/check/", follow=True)
    assert response.redirect_chain == [(f"/finance/runs/{run.pk}/", 302)]
    assert "authorised: bacs file ready" in response.text


# --- statuses that say what is true ---------------------------------------------------------


def test_an_authorised_run_says_its_bacs_file_is_ready_until_it_is_downloaded(
    client, accepted, finance, finance2
):
    run = paid_run(finance, finance2)
    client.force_login(finance)
    listing = client.get("/finance/runs/").text
    assert "Authorised: BACS file ready" in listing
    assert "Authorised and sent" not in listing
    page = client.get(f"/finance/runs/{run.pk}/").text
    assert "Not yet: the BACS file is ready to download" in page

    client.get(f"/finance/runs/{run.pk}/files/finance_csv/")  # not the file sent to the bank
    run.refresh_from_db()
    assert run.sent_at is None

    client.get(f"/finance/runs/{run.pk}/files/bacs/")
    run.refresh_from_db()
    assert run.sent_by == finance
    today = long(timezone.localdate())
    assert f"Sent to bank on {today}" in client.get("/finance/runs/").text
    assert "BACS file downloaded by" in client.get(f"/finance/runs/{run.pk}/").text

    # Who sent it first is kept: a later download by someone else changes nothing.
    client.force_login(finance2)
    client.get(f"/finance/runs/{run.pk}/files/bacs/")
    run.refresh_from_db()
    assert run.sent_by == finance


def test_an_auditor_cannot_take_the_bacs_file_so_cannot_mark_a_run_sent(
    client, accepted, finance, finance2
):
    run = paid_run(finance, finance2)
    client.force_login(UserFactory(roles=["Auditor"]))
    assert client.get(f"/finance/runs/{run.pk}/files/bacs/").status_code == 403
    run.refresh_from_db()
    assert run.sent_at is None


def test_a_run_the_bank_statement_cleared_says_cleared_on_that_day(
    client, accepted, finance, finance2
):
    run = paid_run(finance, finance2)
    client.force_login(finance)
    client.get(f"/finance/runs/{run.pk}/files/bacs/")
    reference = f"{accepted.reference}/1"
    cleared = run.pay_date + datetime.timedelta(days=1)
    content = (
        "Date,Type,Description,Paid out,Paid in,Balance\r\n"
        f"{cleared:%d/%m/%Y},BACS,{reference},£500.00,,\r\n"
    ).encode()
    reconcile.statement_import(
        content=content, filename="s.csv", by=finance, layout=PRESETS["albion"]
    )
    assert PaymentRunLine.objects.get(run=run).status == "cleared"
    assert f"Cleared on {long(cleared)}" in client.get("/finance/runs/").text
    page = client.get(f"/finance/runs/{run.pk}/").text
    assert f"Cleared on {long(cleared)}" in page


def test_the_api_keeps_the_status_values_and_labels_what_is_true(
    client, accepted, finance, finance2
):
    run = paid_run(finance, finance2)
    client.force_login(finance)
    body = client.get(f"/api/v1/payment-runs/{run.pk}/").json()
    assert (body["status"], body["status_label"]) == ("authorised", "Authorised: BACS file ready")
    assert client.get(f"/api/v1/payment-runs/{run.pk}/bacs/").status_code == 200
    body = client.get(f"/api/v1/payment-runs/{run.pk}/").json()
    today = long(timezone.localdate())
    assert (body["status"], body["status_label"]) == ("authorised", f"Sent to bank on {today}")
    listed = client.get("/api/v1/payment-runs/").json()["results"][0]
    assert listed["status_label"] == f"Sent to bank on {today}"


def test_the_runs_page_reads_every_runs_status_in_a_fixed_number_of_queries(
    client, accepted, finance, finance2
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    paid_run(finance, finance2)
    client.force_login(finance)

    def queries() -> int:
        client.get("/finance/runs/")  # the first request after signing in writes the session
        with CaptureQueriesContext(connection) as done:
            assert client.get("/finance/runs/").status_code == 200
        return len(done)

    few = queries()
    for _ in range(4):
        PaymentRun.objects.create(
            pay_date=next_weekday(),
            prepared_by=finance2,
            status="authorised",
            authorised_by=finance,
            authorised_at=timezone.now(),
        )
    assert queries() == few


# --- paid on the run's pay date -------------------------------------------------------------


def three_days_on() -> datetime.date:
    return next_weekday(timezone.localdate() + datetime.timedelta(days=3))


def test_a_grant_is_paid_on_the_runs_pay_date_not_the_day_it_was_authorised(
    client, accepted, finance, finance2, treasurer
):
    pay_day = three_days_on()
    today = timezone.localdate()
    assert pay_day > today
    run = paid_run(finance, finance2, pay_day)
    assert run.pay_date == pay_day

    # The finance officer's page of the grant.
    client.force_login(finance)
    grant = client.get(f"/finance/grants/{accepted.reference}/").text
    assert f"{long(pay_day)}, the pay date of" in grant
    assert f"Paid on {long(pay_day)}, the run&#x27;s pay date" in grant
    # The finance system's file and the BACS file carry the pay date.
    csv = client.get(f"/finance/runs/{run.pk}/files/finance_csv/").content.decode()
    assert pay_day.isoformat() in csv

    # The group's status page.
    client.force_login(treasurer)
    status = client.get(f"/apply/applications/{accepted.pk}/").text
    assert f"£500.00 paid; it reaches the bank account on {long(pay_day)}." in status

    # The ledger posts the payment on the day it was authorised, as every posting is dated
    # when it is made; the finance system's comparison reads the run's pay date.
    posted = LedgerTransaction.objects.get(kind="payment")
    assert timezone.localdate(posted.created_at) == today


def test_an_api_client_authorises_the_run_as_it_read_it(client, accepted, finance, finance2):
    run = prepared_run(finance)
    client.force_login(finance2)
    read = client.get(f"/api/v1/payment-runs/{run.pk}/").json()
    assert read["check"] and read["count"] == 1
    PaymentRunLine.objects.filter(run=run).update(account_name="SOMEONE ELSE")
    url = f"/api/v1/payment-runs/{run.pk}/authorise/"
    stale = client.post(url, {"check": read["check"]}, content_type="application/json")
    assert stale.status_code == 409
    assert "The run has changed since you checked it" in stale.json()["detail"]
    nothing_paid(accepted, run)
    again = client.get(f"/api/v1/payment-runs/{run.pk}/").json()["check"]
    done = client.post(url, {"check": again}, content_type="application/json")
    assert done.status_code == 200 and done.json()["check"] is None
    assert done.json()["status_label"] == "Authorised: BACS file ready"
