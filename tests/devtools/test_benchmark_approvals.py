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


def test_a_thread_whose_server_process_ended_is_said_not_counted_not_a_crash():
    """The 32-thread run once stopped with a TypeError: a thread's PostgreSQL server process had
    ended (its connection closed and opened again), and its CPU could not be read."""
    from devtools.benchmarks import approvals

    said: list[str] = []
    run = {
        "processes": 5,
        "approved": 10,
        "refused": 10,
        "failed": 0,
        "retried": 0,
        "gave_up": 0,
        "seconds": 1.0,
        "per_s": 10.0,
        "python_cpu": 0.2,
        "database_cpu": 0.1,
        "uncounted": 3,
    }
    approvals._say_run(said.append, "same allocation", 32, run)
    assert said[1] == (
        "    CPU a decision: 10.0 ms in the officers' processes (Python: Django, the view, the "
        "test client), 5.0 ms in their PostgreSQL server processes (not counted: 3 threads' "
        "server processes, which ended first)"
    )


def test_an_officer_thread_counts_a_server_process_that_ended_as_uncounted(monkeypatch):
    """The thread itself: its server process read at the start, gone at the end."""
    import queue
    import threading

    from django.db import connections

    from devtools.benchmarks import approvals

    reads = iter([(4242, 1.5), None])
    monkeypatch.setattr(approvals, "_backend_cpu", lambda pid=None: next(reads))
    # _officer_threads sets the worker process's connections to last as production's do; here
    # it runs in the test's own process, so the setting is put back after.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    results: queue.Queue = queue.Queue()
    approvals._officer_threads([None], [[]], threading.Barrier(1), results)
    report = results.get_nowait()
    assert report["errors"] == []
    assert report["uncounted"] == 1
    assert report["database_cpu"] == 0.0
    assert connections.settings["default"]["CONN_MAX_AGE"] == 60  # as production; put back after
