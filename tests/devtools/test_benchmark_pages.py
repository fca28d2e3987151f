"""`manage.py benchmark pages`: a small run of the real benchmark, on a throwaway copy of a
database migrated for the tests (tests/devtools/conftest.py), through gunicorn."""

import re

import pytest

pytestmark = pytest.mark.slow

KINDS = [
    "officer workbench",
    "officer decide page",
    "councillor home",
    "budget statement \\(councillor\\)",
    "finance payments",
    "dashboard timing",
    "public grants",
]


@pytest.fixture(scope="module")
def output(migrated_database) -> str:
    result = migrated_database.benchmark("pages", "--bids", "200", "--runs", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_it_seeds_bids_with_a_sound_ledger(output):
    assert "Pages on " in output and "200 bids" in output
    entries = re.search(r"check_ledger: clean \(([\d,]+) entries", output)
    assert entries, output
    # About ten ledger entries a bid: the history the pages are measured on.
    assert int(entries.group(1).replace(",", "")) >= 1_500


@pytest.mark.parametrize("kind", KINDS)
def test_each_page_kind_is_timed_through_the_server_with_its_queries(output, kind):
    line = re.search(
        rf"  {kind} \((/[^)]*)\): 200, median [\d.]+ ms, p95 [\d.]+ ms over 2 runs, (\d+) queries",
        output,
    )
    assert line, output
    assert 0 < int(line.group(2)) < 40


def test_every_figure_is_printed_beside_its_target(output):
    assert re.search(
        r"officer workbench at 200: median: [\d.,]+ ms \(target ≤ 150 ms\): (MET|MISSED)", output
    )
    assert re.search(
        r"public grants at 200: p95: [\d.,]+ ms \(target ≤ 300 ms\): (MET|MISSED)", output
    )
    assert re.search(r"Targets: \d+ of \d+ MET", output)
