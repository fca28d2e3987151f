"""`manage.py benchmark documents`: a small run of the real benchmark, on its own throwaway
SQLite file."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings


@pytest.mark.slow
def test_benchmark_documents_prints_letters_a_second_and_the_pack_time():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fundmgr.settings"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.pop("DATABASE_URL", None)  # its own throwaway SQLite file, whatever the tests run on
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "benchmark",
            "documents",
            "--letters",
            "6",
            "--pack-items",
            "3",
        ],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"Offer letters: [\d.]+ a second of one core \(6 letters .*; 2 pages each, font embedded",
        result.stdout,
    ), result.stdout
    assert re.search(r"Panel pack of 3 applications: [\d.]+ s \(\d+ pages", result.stdout)
