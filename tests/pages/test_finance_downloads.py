"""The finance lists download as CSV and XLSX from their own pages ("Download this list"), each
holding what the table shows, every page of it, with bank accounts masked as on the page."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from applications import organisations as o
from budgets import reconcile
from budgets.models import PaymentRun
from budgets.payments import Instalment
from budgets.statement_files import PRESETS
from finance import payments as pay
from tests.factories import UserFactory
from tests.payments_fixtures import accepted, finance2, next_weekday, paid_run, prepared_run

__all__ = ["accepted", "finance2"]
D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def finance_client(client, finance):
    client.force_login(finance)
    return client


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    return list(book.active.iter_rows(values_only=True))


def links_on(page: str, url: str, list_name: str | None = None) -> None:
    """The page offers both downloads of the list, at its own address (`url`): the links are
    the page's query string, so they keep whatever the page was asked for."""
    extra = f"&amp;list={list_name}" if list_name else ""
    assert f'href="?download=csv{extra}"' in page, url
    assert f'href="?download=xlsx{extra}"' in page, url


def test_the_payments_due_and_held_download_from_the_payments_page(
    finance_client, accepted, finance, treasurer
):
    today = timezone.localdate()
    pay.instalments_set(
        application=accepted,
        by=finance,
        instalments=[
            Instalment(D("300.00"), today),
            Instalment(D("200.00"), today, "Photographs of the benches"),
        ],
    )
    page = finance_client.get("/finance/payments/").text
    links_on(page, "/finance/payments/", "due")
    links_on(page, "/finance/payments/", "waiting")

    rows = csv_rows(finance_client.get("/finance/payments/?download=csv&list=due"))
    assert rows[0][:3] == ["Payment", "Grant", "Fund"]
    assert rows[1][0] == f"{accepted.reference}/1"
    assert rows[1][6] == "300.00" and rows[1][7] == "20-**-** ****5678"
    assert "12345678" not in str(rows)

    rows = xlsx_rows(finance_client.get("/finance/payments/?download=xlsx&list=waiting"))
    assert rows[1][0] == f"{accepted.reference}/2"
    assert rows[1][6] == 200 and rows[1][8] == "Photographs of the benches"

    # Changed bank details hold the payment: it moves to the held list, with why.
    o.bank_account_change(
        organisation=accepted.organisation,
        by=treasurer,
        account_name="Abbey Park Friends",
        sort_code="309634",
        account_number="11112222",
    )
    rows = xlsx_rows(finance_client.get("/finance/payments/?download=xlsx&list=held"))
    assert [r[0] for r in rows[1:]] == [f"{accepted.reference}/1"]
    assert "not yet verified" in rows[1][8]


def test_a_list_the_payments_page_does_not_have_is_not_found(finance_client, accepted):
    assert finance_client.get("/finance/payments/?download=csv&list=secret").status_code == 404


def test_the_runs_download_every_page_with_what_is_true_of_each(
    finance_client, accepted, finance, finance2
):
    run = paid_run(finance, finance2)
    for _ in range(3):
        PaymentRun.objects.create(pay_date=next_weekday(), prepared_by=finance2)
    page = finance_client.get("/finance/runs/").text
    links_on(page, "/finance/runs/")
    rows = csv_rows(finance_client.get("/finance/runs/?download=csv&page=2"))
    assert rows[0][:5] == ["Run", "Pays on", "Payments", "Total", "Status"]
    assert len(rows) == 1 + 4  # every run, whatever page the list was on
    mine = next(r for r in rows if r[0] == run.number)
    assert mine[3] == "500.00" and mine[4] == "Authorised: BACS file ready"
    assert mine[1] == run.pay_date.isoformat()

    rows = xlsx_rows(finance_client.get("/finance/runs/?download=xlsx"))
    mine = next(r for r in rows if r[0] == run.number)
    assert mine[1].date() == run.pay_date and mine[3] == 500


def test_a_runs_payments_download_from_the_run_page(client, accepted, finance, finance2):
    run = prepared_run(finance)
    client.force_login(finance2)
    links_on(client.get(f"/finance/runs/{run.pk}/").text, f"/finance/runs/{run.pk}/")
    rows = xlsx_rows(client.get(f"/finance/runs/{run.pk}/?download=xlsx"))
    assert rows[0][:5] == ("Payment", "Grant", "Payee", "Name on the account", "Account")
    assert rows[1][0] == f"{accepted.reference}/1"
    assert rows[1][4] == "20-**-** ****5678" and rows[1][6] == 500
    assert rows[1][7] == "Waiting for authorisation"
    # Downloading is reading: the run is not authorised by it.
    run.refresh_from_db()
    assert run.status == "prepared"


def test_bank_details_waiting_download_from_their_page(finance_client, accepted, treasurer):
    o.bank_account_change(
        organisation=accepted.organisation,
        by=treasurer,
        account_name="Abbey Park Friends",
        sort_code="309634",
        account_number="11112222",
    )
    links_on(finance_client.get("/finance/bank-details/").text, "/finance/bank-details/")
    rows = csv_rows(finance_client.get("/finance/bank-details/?download=csv"))
    assert rows[0][0] == "Organisation"
    assert rows[1][:4] == [
        "Friends of Abbey Park",
        "Changed",
        "ABBEY PARK FRIENDS",
        "30-**-** ****2222",
    ]
    assert rows[1][6:] == ["1", "500.00"]
    assert "11112222" not in str(rows)
    rows = xlsx_rows(finance_client.get("/finance/bank-details/?download=xlsx"))
    assert rows[1][7] == 500


def test_statements_download_from_the_statements_page(finance_client, accepted, finance, finance2):
    run = paid_run(finance, finance2)
    content = (
        "Date,Type,Description,Paid out,Paid in,Balance\r\n"
        f"{run.pay_date:%d/%m/%Y},CHG,Account fee,£7.50,,\r\n"
    ).encode()
    reconcile.statement_import(
        content=content, filename="march.csv", by=finance, layout=PRESETS["albion"]
    )
    links_on(finance_client.get("/finance/statements/").text, "/finance/statements/")
    rows = xlsx_rows(finance_client.get("/finance/statements/?download=xlsx"))
    assert rows[0][:3] == ("Statement", "File", "Format")
    assert rows[1][1] == "march.csv" and rows[1][5] == 1 and rows[1][6] == 1


def test_an_auditor_downloads_what_they_may_read(client, accepted, finance, finance2):
    paid_run(finance, finance2)
    client.force_login(UserFactory(roles=["Auditor"]))
    assert len(csv_rows(client.get("/finance/runs/?download=csv"))) == 2


def test_someone_who_may_not_read_finance_cannot_download_it(client, accepted, officer):
    client.force_login(officer)
    assert client.get("/finance/payments/?download=csv&list=due").status_code == 403
    assert client.get("/finance/runs/?download=xlsx").status_code == 403


def test_clawback_lists_download_from_the_clawback_page(
    finance_client, accepted, finance, finance2, treasurer
):
    from applications import services as s
    from finance import clawbacks

    paid_run(finance, finance2)
    accepted.refresh_from_db()
    s.monitoring_report_submit(
        application=accepted,
        by=treasurer,
        amount_spent=D("400.00"),
        outcomes="Two benches, not three",
        people_reached=80,
    )
    page = finance_client.get("/finance/clawback/").text
    links_on(page, "/finance/clawback/", "due")
    rows = csv_rows(finance_client.get("/finance/clawback/?download=csv&list=due"))
    assert rows[0] == ["Grant", "Organisation", "Paid", "Spent", "Owed", "Why"]
    assert rows[1][:5] == [
        accepted.reference,
        "Friends of Abbey Park",
        "500.00",
        "400.00",
        "100.00",
    ]

    clawback = clawbacks.clawback_raise(application=accepted, by=finance)
    page = finance_client.get("/finance/clawback/").text
    links_on(page, "/finance/clawback/", "requests")
    rows = xlsx_rows(finance_client.get("/finance/clawback/?download=xlsx&list=requests"))
    assert rows[1][0] == clawback.number and rows[1][2] == accepted.reference
    assert rows[1][5] == 100 and rows[1][7] == "Requested"
