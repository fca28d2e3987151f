"""`manage.py benchmark reconcile`: a small run of the real benchmark, and its data checked."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from budgets.statement_files import PRESETS, read_csv
from devtools.benchmarks.reconcile import make, read_plain


def test_the_benchmarks_statement_has_references_amount_only_lines_and_strays():
    payments, content = make(1000)
    lines = read_csv(content, PRESETS["albion"]).lines
    assert len(payments) == len(lines) == 1000
    with_reference = (lines["reference"] != "").mean()
    assert 0.85 < with_reference < 0.95
    round_sums = sum(1 for *_, pence, _ in payments if pence % 25000 == 0) / 1000
    assert round_sums > 0.3  # many at £250, £500, £1,000: amounts alone are ambiguous
    assert len(read_plain(content)) == 1000


@pytest.mark.slow
def test_benchmark_reconcile_prints_both_matchers_and_the_targets():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fundmgr.settings"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "benchmark", "reconcile", "--lines", "3000"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "the two matchers agree line for line" in result.stdout
    for row in ("parse CSV", "match", "parse + match", "process peak resident memory"):
        assert row in result.stdout
    assert "targets: matching under 0.2 s:" in result.stdout
