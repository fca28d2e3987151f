"""The management commands, run as an administrator would run them."""

import datetime
import io
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from budgets import ledger
from budgets.models import (
    FinancialYear,
)
from tests.factories import FundYearFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def test_allocate_year_allocates_and_reports(fund_year, shaw, okafor):
    output = run("allocate_year", "ccif", "2026/27")
    assert "allocated £2,000.00 to 2 councillors; 0 already had theirs" in output
    assert ledger.allocation_account(fund_year, shaw).balance == Decimal("1000.00")
    assert "already had theirs" in run("allocate_year", "CCIF", "2026")
    assert ledger.allocation_account(fund_year, shaw).balance == Decimal("1000.00")


@pytest.mark.parametrize(
    ("fund", "year", "message"),
    [
        ("NOPE", "2026/27", "There is no fund 'NOPE' in 2026/27; the funds that year are CCIF."),
        ("CCIF", "2031/32", "There is no 2031/32 financial year set up."),
        ("CCIF", "26/27", "'26/27' is not a financial year: write it as 2026/27."),
        ("CCIF", "2026/28", "'2026/28' is not a financial year: 2026/27?"),
    ],
)
def test_allocate_year_explains_bad_arguments(fund_year, fund, year, message):
    with pytest.raises(CommandError) as error:
        call_command("allocate_year", fund, year)
    assert str(error.value) == message


def test_close_year_prints_what_was_carried_forward_and_what_lapsed(fund_year, shaw, okafor):
    ledger.allocate_year(fund_year=fund_year, by=None)
    FundYearFactory(
        fund=fund_year.fund, year=FinancialYear.objects.create(start=datetime.date(2027, 4, 1))
    )
    output = run("close_year", "2026/27")
    assert "Cllr Sam Shaw" in output and "lapsed" in output
    assert "2026/27 closed: £0.00 carried forward, £2,000.00 lapsed." in output


def test_close_year_refuses_a_closed_year(fund_year):
    run("close_year", "2026/27")
    with pytest.raises(CommandError, match="2026/27 is already closed."):
        call_command("close_year", "2026/27")


def test_check_ledger_passes_a_sound_ledger(fund_year, shaw):
    ledger.allocate_year(fund_year=fund_year, by=None)
    assert "every invariant holds" in run("check_ledger")


def test_check_ledger_exits_1_and_lists_each_violation(fund_year, shaw, okafor):
    from django.db import connection

    ledger.allocate_year(fund_year=fund_year, by=None)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE budgets_account SET balance = balance + 1 WHERE kind = 'allocation'")
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("check_ledger", stdout=io.StringIO(), stderr=err)
    assert exit_.value.code == 1
    assert err.getvalue().count("stores a balance of £1,001.00 but its entries sum to") == 2
    assert "2 ledger violation(s)." in err.getvalue()


def test_production_profile_passes_check_deploy():
    # The browser tests' plugin sets DJANGO_ALLOW_ASYNC_UNSAFE in this process while it needs it;
    # a real deployment never has it.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "FUNDMGR_PROFILE": "production",
        "SECRET_KEY": "x" * 64 + "production-grade-secret-key-for-the-deploy-check",
        "ALLOWED_HOSTS": "grants.example.gov.uk",
        "DATABASE_URL": "sqlite:////tmp/fundmgr-deploy-check.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "FUNDMGR_PROFILE": "production", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr
