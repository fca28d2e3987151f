"""`manage.py benchmark ledger`: a small run of the real benchmark, on its own throwaway
database."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from budgets.models import LedgerTransaction

pytestmark = pytest.mark.slow


@pytest.mark.django_db
def test_benchmark_ledger_runs_on_its_own_throwaway_database(fund_year):
    """A small run of the real benchmark; it must not touch the database in use."""
    before = LedgerTransaction.objects.count()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fundmgr.settings"}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "benchmark",
            "ledger",
            "--entries",
            "4000",
            "--councillors",
            "4",
            "--commits",
            "5",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Ledger: 4,000 entries" in result.stdout
    assert "ratio" in result.stdout and "a second" in result.stdout
    assert "transfers both ways between ward colleagues, 4 threads at once" in result.stdout
    assert "retried after a deadlock" in result.stdout
    assert "check_ledger: no violations" in result.stdout
    assert LedgerTransaction.objects.count() == before
