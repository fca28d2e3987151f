"""`manage.py benchmark councils --quick`: many councils seeded on PostgreSQL with set-based SQL,
then a balance read and each council's pages through gunicorn at its own address; a tiny run on
the suite's PostgreSQL database (its figures are the benchmark's business, not the test's: the
test holds only what does not depend on the machine)."""

import re

import pytest

from tests.processes import database_url, manage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]

PAGES = ["officer workbench", "councillor home", "public grants"]


@pytest.fixture(scope="module")
def output(django_db_setup, django_db_blocker) -> str:
    with django_db_blocker.unblock():
        url = database_url()
    done = manage("benchmark", "councils", "--quick", "--database-url", url, timeout=600)
    return done.stdout


def test_it_seeds_councils_with_their_history_and_a_sound_ledger(output):
    assert "Councils on postgresql: 4 councils x 4 councillors x 2 years" in output
    sizes = re.search(
        r"sizes: 4 councils, 16 councillors, 8 fund years, ([\d,]+) applications, "
        r"([\d,]+) ledger entries",
        output,
    )
    assert sizes, output
    applications, entries = (int(g.replace(",", "")) for g in sizes.groups())
    assert applications >= 4 * 2 * 10  # at least ten bids a council a year
    assert entries > 2 * applications  # allocations, commitments, payments and transfers
    assert re.search(rf"check_ledger: clean \({entries:,} entries", output), output
    assert "seeding took" in output


@pytest.mark.parametrize("page", PAGES)
def test_each_page_of_each_council_is_timed_at_its_address_with_its_queries(output, page):
    lines = re.findall(
        rf"  {page} \(/(council-\d{{3}})/[a-z]*/\): 200, median [\d.]+ ms, p95 [\d.]+ ms "
        r"over \d+ runs, (\d+) queries",
        output,
    )
    assert [slug for slug, _ in lines] == [f"council-00{n}" for n in (1, 2, 3, 4)], output
    assert all(0 < int(queries) < 40 for _, queries in lines)
    # The number of queries is a property of the code, not the machine: the same for the
    # smallest council and the largest.
    assert re.search(
        rf"  {page}: queries at council-004 \(largest\) = at council-001 \(smallest\): "
        r"(\d+) \(target = \1\): MET",
        output,
    ), output
    assert re.search(rf"  {page} at council-004: p95: [\d.]+ ms \(target ≤ 200 ms\)", output)


def test_a_balance_is_one_indexed_row_at_one_council_and_at_all(output):
    assert re.search(r"balance read at 1 council: \d+ µs, 1 query", output), output
    assert "balance read: queries: 1 (target = 1): MET" in output
    assert re.search(r"balance read: 4 councils / 1 council: [\d.]+x \(target ≤ 1.50x\)", output)
    assert re.search(r"^Targets: \d+ of \d+ MET$", output, re.M), output
