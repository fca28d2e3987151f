"""`manage.py benchmark ledger`: stored balances against summing entries, and postings a second.

It seeds its own throwaway database (never the one in use): 1,000,000 entries across 100
councillors, written in bulk exactly as the services would have written them (balanced
transactions; stored balances equal to the entries), then times the real services on top:
commitments and transfers from one thread, then transfers from `threads` threads at once, each
pair of threads sending money both ways between the same two ward colleagues, the race that
deadlocked before issue 12. Every transfer runs through `fundmgr.contention`, so a deadlock or
serialisation failure is retried; the figures count those retries (and any transfer refused
after the last attempt), and the ledger is checked afterwards.

Each figure issue 17 sets a target for is printed beside it, MET or MISSED (`Targets`): postings
through `ledger.post` (one 2-leg posting a commit, one thread) at least 600 a second,
commitments through `commitment_make` at least 400, every councillor's stored balance read in
a few milliseconds, check_ledger clean. Rates are the median of three rounds of `commits`.

`--compare-hordak` times django-hordak's `transfer_to` (one 2-leg transfer a commit) in the same
run on the same PostgreSQL server, in a child process with its own settings
(devtools.hordak_settings) and a second scratch database, and prints it beside ours with the
ratio. Hordak is an optional extra, never installed with the application: without it the run
says how to install it (`pip install -e '.[hordak]' -c constraints.txt`) and goes on.

On PostgreSQL it says whether the server syncs to disk (`fsync`, `synchronous_commit`): the
suite's throwaway server does not, for speed; for figures that mean something, run it on one
that does:

    python tests/with_postgres.py --durable -- \
        sh -c 'python manage.py benchmark ledger --database-url "$DATABASE_URL"'
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, reset_queries, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from budgets import ledger
from budgets.integrity import ledger_violations
from budgets.models import (
    Account,
    Council,
    Councillor,
    Entry,
    FinancialYear,
    Fund,
    FundYear,
    LedgerTransaction,
    Ward,
)
from devtools.benchmarks.targets import Targets
from fundmgr import contention
from fundmgr.errors import SimultaneousChange
from fundmgr.models import User


def _timed(fn, repeat: int = 5) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def seed(*, entries: int, councillors: int, out) -> FundYear:
    council = Council.objects.create(name="Benchmark District", gss_code="E07000997")
    year = FinancialYear.objects.create(start=datetime.date(2026, 4, 1))
    fund = Fund.objects.create(council=council, kind="ccif", name="Benchmark fund", code="BENCH")
    fund_year = FundYear.objects.create(
        fund=fund,
        year=year,
        allocation_per_councillor=Decimal("100000.00"),
        max_award=Decimal("1000.00"),
        funded_from="allocations",
        delegated_limit=Decimal("1000.00"),
        opens_on=year.start,
        closes_on=year.end,
        cost_code="BENCH",
    )
    wards = Ward.objects.bulk_create(
        Ward(council=council, name=f"Ward {i}", gss_code=f"E0570{i:04d}")
        for i in range(councillors // 2 + 1)
    )
    users = User.objects.bulk_create(User(username=f"bench{i}") for i in range(councillors))
    members = Councillor.objects.bulk_create(
        Councillor(user=u, ward=wards[i // 2], name=f"Member {i}", term_start=year.start)
        for i, u in enumerate(users)
    )
    ledger.budget_set(fund_year=fund_year, total=Decimal("100000.00") * councillors, by=None)
    ledger.allocate_year(fund_year=fund_year, by=None)
    allocations = {a.councillor_id: a for a in Account.objects.filter(kind="allocation")}
    grants_each = 20
    commitments = Account.objects.bulk_create(
        Account(fund_year=fund_year, kind="commitment", councillor=m, reference=f"BENCH-{i:06d}")
        for m in members
        for i in [m.pk * 100 + g for g in range(grants_each)]
    )
    balances = {a.pk: a.balance for a in allocations.values()}
    balances.update({c.pk: Decimal("0.00") for c in commitments})

    postings = (entries - Entry.objects.count()) // 2
    next_txn = (LedgerTransaction.objects.order_by("-pk").values_list("pk", flat=True).first()) + 1
    batch = 20_000
    written = 0
    started = time.perf_counter()
    while written < postings:
        size = min(batch, postings - written)
        txns, lines = [], []
        for n in range(written, written + size):
            commitment = commitments[(n // 2) % len(commitments)]
            allocation = allocations[commitment.councillor_id]
            # Commit £10.00 on even postings and release £5.00 on odd ones: every balance grows.
            amount = Decimal("10.00") if n % 2 == 0 else Decimal("-5.00")
            pk = next_txn + n
            txns.append(
                LedgerTransaction(
                    pk=pk,
                    kind="commitment" if amount > 0 else "release",
                    idempotency_key=f"bench:{n}",
                    reference=commitment.reference,
                    memo="benchmark",
                )
            )
            lines.append(Entry(transaction_id=pk, account_id=allocation.pk, amount=-amount))
            lines.append(Entry(transaction_id=pk, account_id=commitment.pk, amount=amount))
            balances[allocation.pk] -= amount
            balances[commitment.pk] += amount
        with transaction.atomic():
            LedgerTransaction.objects.bulk_create(txns)
            Entry.objects.bulk_create(lines, batch_size=5000)
        written += size
        out(f"  seeded {Entry.objects.count():,} entries ({time.perf_counter() - started:.0f} s)")
    with transaction.atomic(), connection.cursor() as cursor:
        for pk, value in balances.items():
            cursor.execute("UPDATE budgets_account SET balance = %s WHERE id = %s", [value, pk])
        for sql in connection.ops.sequence_reset_sql(
            no_style(), [LedgerTransaction, Entry, Account]
        ):
            cursor.execute(sql)
    return fund_year


def durability() -> str:
    """How the database keeps a commit: PostgreSQL's fsync and synchronous_commit settings."""
    if connection.vendor != "postgresql":
        return f"{connection.vendor}"
    with connection.cursor() as cursor:
        settings = {}
        for name in ("fsync", "synchronous_commit", "full_page_writes"):
            cursor.execute(f"SHOW {name}")
            settings[name] = cursor.fetchone()[0]
    return "PostgreSQL, " + ", ".join(f"{k}={v}" for k, v in settings.items())


def _transfer(fund_year: FundYear, sender: Councillor, recipient: Councillor, key: str) -> None:
    ledger.allocation_transfer(
        fund_year=fund_year,
        from_councillor=sender,
        to_councillor=recipient,
        amount=Decimal("1.00"),
        by=None,
        key=key,
    )


def transfers_at_once(
    fund_year: FundYear, pairs: list[tuple[Councillor, Councillor]], *, threads: int, each: int
) -> dict[str, float]:
    """`threads` threads, each making `each` transfers of £1.00: thread t sends along pair
    t // 2 % len(pairs), in one direction for even t and the other for odd t. Each thread has its
    own database connection, closed when it ends. Postings a second, with retries counted."""
    contention.counts_reset()
    barrier = threading.Barrier(threads)
    failures: list[BaseException] = []

    def work(t: int) -> None:
        a, b = pairs[t // 2 % len(pairs)]
        sender, recipient = (a, b) if t % 2 == 0 else (b, a)
        try:
            barrier.wait()
            for i in range(each):
                try:
                    _transfer(fund_year, sender, recipient, f"bench:at-once:{t}:{i}")
                except SimultaneousChange:
                    pass  # counted by fundmgr.contention as given up
        except BaseException as error:  # noqa: BLE001 - reported below, and the run fails
            failures.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise failures[0]
    counts = contention.counts()
    made = threads * each - counts["gave_up"]
    return {
        "postings": made,
        "per_s": made / elapsed,
        "retried": counts["retried"],
        "gave_up": counts["gave_up"],
    }


def _median_rate(count: int, rounds: int, one) -> float:
    """Calls a second of `one(round, i)`, `count` calls a round, the median of `rounds` rounds."""
    rates = []
    for r in range(rounds):
        start = time.perf_counter()
        for i in range(count):
            one(r, i)
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def _statements(fn) -> int:
    """Statements `fn()` sends, as Django records them (BEGIN and COMMIT included). The log is
    emptied first: CaptureQueriesContext counts by the log's length, which stops growing once it
    holds its limit (9,000 queries, soon reached by seeding), and would count 0."""
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)


HORDAK_INSTALL = "pip install -e '.[hordak]' -c constraints.txt"


def hordak_child(count: int, rounds: int) -> None:
    """In the child process `--compare-hordak` starts (settings devtools.hordak_settings, its own
    scratch database): migrate hordak, then time `transfer_to`, one 2-leg transfer a commit,
    between two asset accounts, both ways in turn. Prints one JSON line."""
    from django.core.management import call_command
    from hordak.models import Account as HordakAccount
    from moneyed import Money

    call_command("migrate", "hordak", verbosity=0)
    first, second = (
        HordakAccount.objects.create(
            name=name, code=code, type=HordakAccount.TYPES.asset, currencies=["GBP"]
        )
        for name, code in (("Bench A", "1"), ("Bench B", "2"))
    )

    def transfer(r: int, i: int) -> None:
        sender, recipient = (first, second) if i % 2 == 0 else (second, first)
        # transfer_to is its own transaction (@atomic): BEGIN, three INSERTs, COMMIT.
        sender.transfer_to(recipient, Money(Decimal("1.00"), "GBP"), description=f"{r}:{i}")

    statements = _statements(lambda: transfer(-1, 0))
    per_s = _median_rate(count, rounds, transfer)
    print(json.dumps({"per_s": per_s, "statements": statements}))  # noqa: T201 - to the parent


def compare_hordak_run(*, count: int, rounds: int, out) -> dict | None:
    """django-hordak's transfer_to a second, on a second scratch database on this run's server,
    timed in a child process with hordak installed; None (and how to install it) without it."""
    if importlib.util.find_spec("hordak") is None:
        out(f"  django-hordak is not installed, so it was not compared: {HORDAK_INSTALL}")
        return None
    if connection.vendor != "postgresql":
        out("  django-hordak runs on PostgreSQL only: run with --postgres to compare it")
        return None
    from devtools.management.commands.benchmark import scratch_database

    with scratch_database(os.environ["DATABASE_URL"], out=lambda _: None) as url:
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": HORDAK_SETTINGS}
        code = (
            "import django; django.setup(); "
            "from devtools.benchmarks.ledger import hordak_child; "
            f"hordak_child({count}, {rounds})"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"hordak's benchmark failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


HORDAK_SETTINGS = "devtools.hordak_settings"
POSTINGS_TARGET = 600  # a second, one 2-leg posting a commit, one thread (issue 17)
COMMITMENTS_TARGET = 400
STORED_BALANCES_TARGET_MS = 5  # every councillor's balance read: 2.0 ms at 1M entries before


def run(
    *,
    entries: int = 1_000_000,
    councillors: int = 100,
    commits: int = 500,
    threads: int = 4,
    compare_hordak: bool = False,
    out=print,
):
    targets = Targets(out)
    rounds = 3
    out(f"Seeding {entries:,} ledger entries across {councillors} councillors ...")
    fund_year = seed(entries=entries, councillors=councillors, out=out)
    fund_year = FundYear.objects.select_related("year", "fund").get(pk=fund_year.pk)

    def stored():
        return dict(
            Account.objects.filter(fund_year=fund_year, kind="allocation").values_list(
                "councillor_id", "balance"
            )
        )

    def summed():
        return dict(
            Entry.objects.filter(account__fund_year=fund_year, account__kind="allocation")
            .values_list("account__councillor_id")
            .annotate(total=Sum("amount"))
            .order_by()
        )

    stored_s, stored_result = _timed(stored)
    summed_s, summed_result = _timed(summed, repeat=3)
    assert stored_result == summed_result, "stored balances disagree with the entries"
    out(f"Ledger: {Entry.objects.count():,} entries on {connection.vendor}")
    out(f"  database: {durability()}")
    targets.at_most(
        "every councillor's available balance, stored balances",
        stored_s * 1000,
        STORED_BALANCES_TARGET_MS,
        "ms",
    )
    out(
        f"  the same by summing entries: {summed_s * 1000:.1f} ms; "
        f"ratio {summed_s / stored_s:,.0f}x"
    )

    # Ward colleagues, two to a ward as seeded: the first two wards' pairs.
    ordered = list(Councillor.objects.order_by("pk")[:4])
    pairs = [(ordered[i], ordered[i + 1]) for i in range(0, len(ordered) - 1, 2)]
    a, b = (ledger.allocation_account(fund_year, c) for c in pairs[0])

    def posting(r: int, i: int) -> None:
        sender, recipient = (a, b) if i % 2 == 0 else (b, a)
        ledger.post(
            kind="transfer",
            key=f"bench:post:{r}:{i}",
            lines=[ledger.Line(sender, Decimal("-1.00")), ledger.Line(recipient, Decimal("1.00"))],
            memo="benchmark posting",
            by=None,
        )

    def commitment(r: int, i: int) -> None:
        ledger.commitment_make(
            fund_year=fund_year,
            reference=f"B-{r}-{i:06d}",
            shares=[(ordered[0], Decimal("1.00"))],
            by=None,
        )

    def transfer(r: int, i: int) -> None:
        sender, recipient = pairs[0] if i % 2 == 0 else pairs[0][::-1]
        _transfer(fund_year, sender, recipient, f"bench:one:{r}:{i}")

    post_statements = _statements(lambda: posting(-1, 0))
    commit_statements = _statements(lambda: commitment(-1, 0))
    out(
        f"  statements sent (BEGIN and COMMIT included): a posting {post_statements}, "
        f"a commitment {commit_statements}"
    )
    post_per_s = _median_rate(commits, rounds, posting)
    targets.at_least(
        "postings through ledger.post, one 2-leg posting a commit, one thread",
        post_per_s,
        POSTINGS_TARGET,
        "/s",
    )
    commits_per_s = _median_rate(commits, rounds, commitment)
    targets.at_least(
        "commitments through commitment_make, one thread",
        commits_per_s,
        COMMITMENTS_TARGET,
        "/s",
    )
    transfers_per_s = _median_rate(commits, rounds, transfer)
    out(f"  transfers through allocation_transfer, one thread: {transfers_per_s:,.0f}/s")

    hordak = None
    if compare_hordak:
        hordak = compare_hordak_run(count=commits, rounds=rounds, out=out)
        if hordak is not None:
            out(
                f"  django-hordak transfer_to, one 2-leg transfer a commit, one thread, same "
                f"server: {hordak['per_s']:,.0f}/s ({hordak['statements']} statements a "
                f"transfer); ledger.post {post_per_s / hordak['per_s']:.2f}x of it, "
                f"commitment_make {commits_per_s / hordak['per_s']:.2f}x"
            )

    each = max(1, commits // threads)
    at_once = transfers_at_once(fund_year, pairs, threads=threads, each=each)
    out(
        f"  transfers both ways between ward colleagues, {threads} threads at once: "
        f"{at_once['per_s']:,.0f} postings a second ({at_once['postings']:,} postings; "
        f"{at_once['retried']} retried after a deadlock or serialisation failure, "
        f"{at_once['gave_up']} refused after {contention.ATTEMPTS} attempts)"
    )
    problems = ledger_violations()
    targets.exactly("check_ledger violations", len(problems), 0)
    assert not problems, problems
    out("  check_ledger: no violations")
    targets.summary()
    return {
        "stored_s": stored_s,
        "summed_s": summed_s,
        "post_per_s": post_per_s,
        "commits_per_s": commits_per_s,
        "transfers_per_s": transfers_per_s,
        "hordak_per_s": hordak["per_s"] if hordak else None,
        "post_statements": post_statements,
        "commit_statements": commit_statements,
        "at_once_per_s": at_once["per_s"],
        "retried": at_once["retried"],
        "gave_up": at_once["gave_up"],
        "all_met": targets.all_met,
    }
