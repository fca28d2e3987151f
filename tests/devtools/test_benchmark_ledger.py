"""`manage.py benchmark ledger`: a small run of the real benchmark, on its own throwaway
database, printing each figure beside its target."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

from budgets.models import LedgerTransaction

pytestmark = pytest.mark.slow

VERDICT = r"\(target [≤≥=] [\d,.]+ ?[^)]*\): (MET|MISSED)$"


def _benchmark(*options: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fundmgr.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", "benchmark", "ledger", *options],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _verdicts(stdout: str) -> dict[str, str]:
    found = {}
    for line in stdout.splitlines():
        match = re.search(VERDICT, line)
        if match:
            found[line.split(":")[0].strip()] = match.group(1)
    return found


@pytest.mark.django_db
def test_benchmark_ledger_runs_on_its_own_throwaway_database(fund_year):
    """A small run of the real benchmark; it must not touch the database in use."""
    before = LedgerTransaction.objects.count()
    result = _benchmark("--entries", "4000", "--councillors", "4", "--commits", "5")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Ledger: 4,000 entries" in out
    assert "ratio" in out and "a second" in out
    assert "transfers both ways between ward colleagues, 4 threads at once" in out
    assert "retried after a deadlock" in out
    assert "check_ledger: no violations" in out
    # Every figure with a target in issue 17, beside it, MET or MISSED; then the count.
    verdicts = _verdicts(out)
    assert set(verdicts) == {
        "every councillor's available balance, stored balances",
        "postings through ledger.post, one 2-leg posting a commit, one thread",
        "commitments through commitment_make, one thread",
        "check_ledger violations",
    }, out
    assert verdicts["check_ledger violations"] == "MET"
    assert re.search(r"^Targets: \d of 4 MET$", out, re.MULTILINE), out
    assert "statements sent (BEGIN and COMMIT included)" in out
    assert LedgerTransaction.objects.count() == before


@pytest.mark.postgres
@pytest.mark.django_db
def test_compare_hordak_times_transfer_to_on_the_same_server(on_postgres, migrated_database):
    """On DATABASE_URL's server (a copy of a migrated database for ours, tests/devtools/
    conftest.py; a second one for hordak's)."""
    result = migrated_database.benchmark(
        "ledger", "--entries", "2000", "--councillors", "2", "--commits", "5", "--compare-hordak"
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "on postgresql" in out
    assert "statements sent (BEGIN and COMMIT included): a posting 1, a commitment 3" in out
    assert re.search(
        r"django-hordak transfer_to, one 2-leg transfer a commit, one thread, same server: "
        r"[\d,]+/s \(\d+ statements a transfer\); ledger.post [\d.]+x of it, "
        r"commitment_make [\d.]+x",
        out,
    ), out
    assert "Targets:" in out


def test_without_hordak_installed_it_says_how_to_install_it_and_goes_on(monkeypatch):
    from devtools.benchmarks import ledger as benchmark

    monkeypatch.setattr(benchmark.importlib.util, "find_spec", lambda name: None)
    said: list[str] = []
    assert benchmark.compare_hordak_run(count=5, rounds=1, out=said.append) is None
    assert said == [
        "  django-hordak is not installed, so it was not compared: "
        "pip install -e '.[hordak]' -c constraints.txt"
    ]


@pytest.mark.django_db
def test_statements_are_counted_after_the_query_log_is_full():
    """At 1,000,000 entries the seeding fills Django's query log (9,000 queries), after which its
    length no longer grows: the run printed "a posting 0, a commitment 0"."""
    from django.db import connection

    from devtools.benchmarks.ledger import _statements
    from fundmgr.models import User

    connection.queries_log.extend([{"sql": "SELECT 1", "time": "0"}] * connection.queries_limit)
    assert _statements(lambda: list(User.objects.all()[:1])) == 1
