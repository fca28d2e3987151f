"""On PostgreSQL, as the production-like role (no superuser, row-level security on): one council
of two imports its opening position (`manage.py import_opening_position --council`). The
postings go through the ledger's one-statement path; check_ledger holds, each stored balance is
its entries summed, the kept totals by kind (migration 0012) agree with the entries, the
statement reads the opening balance from them, and the other council's ledger is untouched."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from budgets import selectors
from budgets.models import Account, Councillor, Entry, FundYear, LedgerTransaction
from fundmgr import councils
from tests import councils_fixtures
from tests.factories import CouncillorFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
D = Decimal

FILE = (
    "councillor,fund,allocation,reference,title,organisation,committed,paid,date\n"
    # Shaw was allocated £500 by fundmgr already: the same amount is unchanged.
    "Sam Shaw a,CCIFA,500.00,OLD-1,Bulbs,Friends of a,200.00,200.00,1/5/2026\n"
    "Sam Shaw a,CCIFA,500.00,OLD-2,Benches,Friends of a,150.00,40.00,1/9/2026\n"
    'Ola Reed,CCIFA,"£1,000.00",OLD-3,Mural,Arts a,600.00,,30 September 2026\n'
)


@pytest.fixture
def two(on_postgres):
    made = councils_fixtures.two_councils()
    with councils.acting_for(made["a"].council):
        ward = Councillor.objects.get(name="Sam Shaw a").ward
        CouncillorFactory(ward=ward, name="Ola Reed", user__username="reed-a")
    return made


def test_the_opening_position_of_one_council_on_postgresql(two, tmp_path):
    path = tmp_path / "opening.csv"
    path.write_text(FILE, encoding="utf-8")
    b_before = sorted(
        (a.balance for a in Account.objects.filter(council=two["b"].council)), key=str
    )
    out = io.StringIO()
    call_command(
        "import_opening_position",
        str(path),
        "--council",
        "council-a",
        "--switch-date",
        "2026-10-01",
        stdout=out,
    )
    assert "Imported opening.csv: 4 created, 1 unchanged." in out.getvalue(), out.getvalue()

    checked = io.StringIO()
    call_command("check_ledger", stdout=checked)
    assert "Ledger sound" in checked.getvalue()
    for account in Account.objects.all():
        summed = Entry.objects.filter(account=account).aggregate(t=Sum("amount"))["t"] or D(0)
        assert account.balance == summed, account
    with councils.acting_for(two["a"].council):
        fund_year = FundYear.objects.get()
        shaw = Councillor.objects.get(name="Sam Shaw a")
        reed = Councillor.objects.get(name="Ola Reed")
        for member, balance, committed, paid in (
            (shaw, D("150.00"), D("110.00"), D("240.00")),
            (reed, D("400.00"), D("600.00"), D("0.00")),
        ):
            account = Account.objects.get(kind="allocation", councillor=member)
            kept = sorted(selectors._kept(account), key=lambda r: r["kind"])
            assert kept == sorted(selectors._summed(account), key=lambda r: r["kind"])
            statement = selectors.statement(fund_year=fund_year, councillor=member, page=1)
            assert statement.balance == balance
            assert statement.committed == committed
            assert statement.paid == paid
            assert statement.allocated == (D("500.00") if member == shaw else D("1000.00"))
        assert LedgerTransaction.objects.filter(kind="opening").count() == 4
    assert (
        sorted((a.balance for a in Account.objects.filter(council=two["b"].council)), key=str)
        == b_before
    )

    again = io.StringIO()
    call_command(
        "import_opening_position",
        str(path),
        "--council",
        "council-a",
        "--switch-date",
        "2026-10-01",
        stdout=again,
    )
    assert "Imported opening.csv: 5 unchanged." in again.getvalue()
    assert LedgerTransaction.objects.filter(kind="opening").count() == 4


@pytest.mark.django_db(transaction=True)
def test_the_same_file_imported_twice_at_once_posts_once(on_postgres, fund_year, shaw, okafor):
    import threading

    from django.db import connection

    from budgets.integrity import ledger_violations
    from budgets.opening import OpeningPositionImporter
    from fundmgr.imports import run_import
    from fundmgr.models import Council
    from tests.budgets.test_opening_position import SAMPLE

    council, data = Council.objects.get(), SAMPLE.read_bytes()
    barrier = threading.Barrier(2)
    reports: list = [None, None]

    def work(i: int) -> None:
        try:
            barrier.wait()
            reports[i] = run_import(
                OpeningPositionImporter,
                data,
                "opening-position.csv",
                council=council,
                by=None,
                dry_run=False,
                options={"switch_date": "2026-10-01"},
            )
        except Exception as error:  # noqa: BLE001 - the test says what each thread met
            reports[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(not isinstance(r, Exception) for r in reports), reports
    assert LedgerTransaction.objects.filter(kind="opening").count() == 5
    assert Account.objects.get(kind="allocation", councillor=shaw).balance == D("450.00")
    assert Account.objects.get(kind="pot", fund_year=fund_year).balance == D("8000.00")
    assert ledger_violations() == []
