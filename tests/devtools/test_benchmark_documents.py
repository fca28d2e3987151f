"""`manage.py benchmark documents`: a small run of the real benchmark, on a throwaway copy of a
database migrated for the tests (tests/devtools/conftest.py)."""

import re

import pytest


@pytest.mark.slow
def test_benchmark_documents_prints_letters_a_second_and_the_pack_time(migrated_database):
    result = migrated_database.benchmark(
        "documents", "--letters", "6", "--pack-items", "3", timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"Offer letters: [\d.]+ a second of one core \(6 letters .*; 2 pages each, font embedded",
        result.stdout,
    ), result.stdout
    assert re.search(r"Panel pack of 3 applications: [\d.]+ s \(\d+ pages", result.stdout)
