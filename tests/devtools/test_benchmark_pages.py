"""`manage.py benchmark pages`: a small run of the real benchmark, on a throwaway copy of a
database migrated for the tests (tests/devtools/conftest.py), through gunicorn: 120 bids, a
copy of them kept, grown to 240, and both scales' pages requested side by side."""

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
    result = migrated_database.benchmark("pages", "--bids", "240", "--base", "120", "--runs", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_it_seeds_bids_with_a_sound_ledger(output):
    assert "Pages on " in output and "120 bids then 240" in output
    entries = re.findall(r"check_ledger: clean \(([\d,]+) entries", output)
    assert len(entries) == 2, output
    # About ten ledger entries a bid: the history the pages are measured on, at each scale.
    small, large = (int(n.replace(",", "")) for n in entries)
    assert small >= 900 and large >= small + 900


@pytest.mark.parametrize("kind", KINDS)
def test_each_page_kind_is_timed_through_the_server_with_its_queries_at_both_scales(output, kind):
    small, large = output.split("Pages at 240 bids")
    assert "Pages at 120 bids" in small, output
    assert "side by side with the other scale's server" in large.splitlines()[0]
    for block in (small, large):
        line = re.search(
            rf"  {kind} \((/[^)]*)\): 200, median [\d.]+ ms, p95 [\d.]+ ms over 2 runs, "
            r"(\d+) queries",
            block,
        )
        assert line, output
        assert 0 < int(line.group(2)) < 40


def test_every_figure_is_printed_beside_its_target(output):
    for bids in (120, 240):
        assert re.search(
            rf"officer workbench at {bids}: median: [\d.,]+ ms \(target ≤ 150 ms\): (MET|MISSED)",
            output,
        )
        assert re.search(
            rf"public grants at {bids}: p95: [\d.,]+ ms \(target ≤ 300 ms\): (MET|MISSED)", output
        )
    assert re.search(
        r"officer workbench: median 240 / 120: [\d.]+x \(target ≤ 1.50x\): (MET|MISSED)", output
    )
    assert re.search(r"Targets: \d+ of \d+ MET", output)


def test_the_copy_of_the_smaller_scale_is_removed_afterwards(output, migrated_database):
    said = re.search(r"The copy at 120 bids \((\S+pages_small\S*)\) (dropped|removed)", output)
    assert said, output
    if migrated_database.server_url:
        import psycopg

        with psycopg.connect(migrated_database.server_url) as conn:
            left = conn.execute(
                "SELECT datname FROM pg_database WHERE datname = %s", [said.group(1)]
            ).fetchall()
        assert left == []


def test_growth_is_held_to_its_target_but_a_broad_searchs_is_only_printed():
    """A page's growth from 1,000 bids is a target; a broad search's (what it finds grows with
    the data: pages.BROADER) is printed beside them and not counted."""
    from devtools.benchmarks import pages
    from devtools.benchmarks.targets import Targets

    said: list[str] = []
    targets = Targets(said.append)
    small = {
        "officer workbench": {"status": 200, "median": 40.0},
        "finance home": {"status": 200, "median": 10.0},
        "officer workbench, a broad search": {"status": 200, "median": 40.0},
    }
    large = {
        "officer workbench": {"status": 200, "median": 44.0},
        "finance home": {"status": 200, "median": 16.0},
        "officer workbench, a broad search": {"status": 200, "median": 90.0},
    }
    pages.growth(small, large, 1_000, 100_000, targets, said.append)
    text = "\n".join(said)
    assert "officer workbench: median 100,000 / 1,000: 1.10x (target ≤ 1.50x): MET" in text
    assert "finance home: median 100,000 / 1,000: 1.60x (target ≤ 1.50x): MISSED" in text
    assert "a broad search: median 100,000 / 1,000: 2.25x (not a target" in text
    assert not targets.all_met
    assert targets.summary() is False
    assert "Targets: 1 of 2 MET" in "\n".join(said)


@pytest.mark.parametrize("options", [["--base", "0"], ["--bids", "0"]])
def test_a_scale_of_no_bids_is_refused_in_words(options):
    import subprocess
    import sys

    from django.conf import settings

    done = subprocess.run(
        [sys.executable, "manage.py", "benchmark", "pages", *options],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "--bids and --base must be 1 or more" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
