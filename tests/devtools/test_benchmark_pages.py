"""`manage.py benchmark pages`: a small run of the real benchmark, on its own throwaway database."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow


def test_benchmark_pages_prints_time_and_queries_of_each_page():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fundmgr.settings"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "benchmark", "pages", "--applications", "200", "--runs", "2"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Pages: 200 applications" in result.stdout
    workbench = re.search(
        r"Officer workbench \(/officer/\): median [\d.]+ ms over 2 runs, (\d+) queries",
        result.stdout,
    )
    assert workbench, result.stdout
    assert 0 < int(workbench.group(1)) < 20
    # The councillor dashboard is timed once it exists, and said to be missing until then.
    assert re.search(r"Councillor dashboard.*(median [\d.]+ ms|not available)", result.stdout)
