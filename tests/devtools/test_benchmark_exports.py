"""`manage.py benchmark exports`: a small run of the real benchmark on a throwaway database."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow


def test_benchmark_exports_times_json_and_xlsx_and_keeps_memory_flat():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fundmgr.settings"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "benchmark", "exports", "--grants", "300"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Exports: 300 grants" in result.stdout
    for label in ("360Giving JSON", "360Giving XLSX"):
        line = re.search(
            rf"{label}: [\d.]+ s \([\d,]+ grants a second\), [\d.]+ MB file, "
            r"resident memory grew (\d+) MB",
            result.stdout,
        )
        assert line, result.stdout
        assert int(line.group(1)) < 100
    assert "the JSON file holds all 300 grants" in result.stdout
