"""`manage.py benchmark approvals`: a small run of the real benchmark, through its command, on a
copy of a database migrated for the tests (tests/devtools/conftest.py)."""

import re

import pytest

VERDICT = re.compile(r"^  (.+): (\S+)(?: \S+)? \(target (?:≥|≤|=) .+\): (MET|MISSED)$")


@pytest.mark.slow
def test_benchmark_approvals_approves_refuses_what_it_cannot_pay_and_prints_its_targets(
    migrated_database,
):
    result = migrated_database.benchmark("approvals", "--approvals", "20", "--threads", "2")
    assert result.returncode == 0, result.stderr
    said = result.stdout
    lines = said.splitlines()
    database = next(line for line in lines if line.startswith("Database: "))
    threads = 2 if "PostgreSQL" in database else 1
    if threads == 1:
        assert "SQLite takes one writer at a time: one thread only" in said
    # Every bid approved through the decide page, on distinct allocations; then one allocation
    # that pays for half: the other half refused, each in words on the page.
    assert re.search(
        rf"distinct, {threads} threads in {threads} processes: 20 approved in [\d.]+ s "
        r"\([\d.]+/s\), 0 refused, 0 failed, \d+ retried, 0 given up",
        said,
    ), said
    assert re.search(
        rf"same allocation, {threads} threads in {threads} processes: 10 approved .*, "
        r"10 refused, 0 failed",
        said,
    ), said
    assert re.search(r"queries per approval \(the decide page's POST\): \d+", said)
    verdicts = {m[1]: m[3] for line in lines if (m := VERDICT.match(line))}
    # What must hold at any size: nothing failed, nothing overspent, the ledger sound, the
    # refusals exactly those the allocation could not pay.
    for label in (
        f"failed requests, {threads} threads, distinct",
        f"refusals, {threads} threads, distinct",
        "overspend, distinct allocations (£)",
        "ledger problems, distinct allocations",
        f"approved, {threads} threads, same allocation",
        f"refused, {threads} threads, same allocation",
        "overspend, same allocation (£)",
        "ledger problems, same allocation",
    ):
        assert verdicts.get(label) == "MET", (label, said)
    assert "queries per approval" in verdicts
    summary = re.search(r"^Targets: (\d+) of (\d+) MET$", said, re.M)
    assert summary and int(summary[2]) == len(verdicts), said
    assert int(summary[1]) == sum(v == "MET" for v in verdicts.values())
