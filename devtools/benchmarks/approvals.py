"""`manage.py benchmark approvals`: grants officers approving bids at once, approvals a second.

It seeds its own throwaway database (never the one in use): bids waiting for a decision, each
pledged in full by one councillor, then has officers approve them from 2, 8 and 32 threads at
once (`--threads N` instead: that number only). Each thread is one officer with their own
database connection (closed when the thread ends), signed in with Django's test client, and
POSTs the decide page (`/officer/applications/<ref>/decide/`) for each of its bids: the whole
request as Django serves it (middleware, the session, the view, `decision_record`, the ledger's
commitment, the outbox's e-mails and the documents' task queued, the redirect), only the HTTP
server left out (and the page it redirects to, which shows the step's message: the benchmark
takes the message off as that page would). That is what an officer waits for, bar the network,
with DEBUG off as a council runs it. As gunicorn runs the application (deploy/gunicorn.conf.py:
2 x cores + 1 worker processes, each of threads), the threads are dealt over as many forked
worker processes, so Python's lock does not hold the run to one core while the other waits.

- Distinct allocations: one councillor a thread, each with allocation enough for every bid, so
  the threads never want the same allocation (they do share the fund's rows and the tables).
  Target: at least 100 approvals a second with 8 threads; 0 overspend.
- Same allocation: every bid pledged by one councillor whose allocation pays for half of them,
  so the threads queue for one account and the allocation runs out part-way. Target: 0
  overspend, and exactly the bids it cannot pay refused (in words, on the page), no more.

Reported for each run: approvals a second, refusals, retries after a deadlock or serialisation
failure (`fundmgr.contention`), requests given up, the CPU time a decision took in the officers'
processes and (when the server runs on this machine) in their PostgreSQL server processes, which
shows what the machine's cores were spent on whatever else was running; queries per approval
(one request counted on its own); then the ledger checked (`check_ledger`'s invariants; no
account below zero; no councillor committed beyond their allocation). Threads only make sense on
PostgreSQL: on SQLite (one writer at a time) it runs one thread and says so.

    python manage.py benchmark approvals --postgres               # the real figures, fsync on
    python manage.py benchmark approvals --approvals 200 --threads 2
    python manage.py benchmark approvals --same-allocation        # only the shared allocation
"""

from __future__ import annotations

import datetime
import gc
import multiprocessing
import os
import runpy
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import DEFAULT_DB_ALIAS, connection, connections, reset_queries, transaction
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from applications.models import Application, Organisation, Pledge, TransitionLog
from applications.workflow import Status
from budgets import ledger
from budgets.integrity import ledger_violations
from budgets.models import Account, Council, Councillor, FinancialYear, Fund, FundYear, Ward
from devtools.benchmarks.ledger import durability
from devtools.benchmarks.targets import Targets
from fundmgr import contention
from fundmgr.models import StaffRole, User
from fundmgr.roles import Role
from transparency import summaries

AMOUNT = Decimal("100.00")  # every bid asks for this, and is awarded it
THREADS = (2, 8, 32)
COMMAND_DEFAULT_THREADS = 4  # benchmark.py's --threads default: not asked for by the person
TARGET_PER_S = 100  # with 8 threads on distinct allocations
TARGET_THREADS = 8


@dataclass
class World:
    fund_year: FundYear
    council: Council
    organisation: Organisation
    assessor: User
    officers: list[User]
    wards: list[Ward]
    runs: int = 0


def _fund_year(council: Council, year: FinancialYear, code: str, allocation: Decimal) -> FundYear:
    fund = Fund.objects.create(council=council, kind="ccif", name=f"Fund {code}", code=code)
    fund_year = FundYear.objects.create(
        fund=fund,
        year=year,
        allocation_per_councillor=allocation,
        max_award=Decimal("1000.00"),
        funded_from="allocations",
        delegated_limit=Decimal("1000.00"),
        opens_on=year.start,
        closes_on=year.end,
        cost_code=code,
    )
    return fund_year


def seed_world(*, officers: int, allocation: Decimal, code: str) -> World:
    """The council, one fund year whose councillors each hold `allocation`, a group, the
    assessing officer and `officers` deciding officers (each a grants officer)."""
    today = datetime.date.today()
    start = datetime.date(today.year if today.month >= 4 else today.year - 1, 4, 1)
    year, _ = FinancialYear.objects.get_or_create(start=start)
    council, _ = Council.objects.get_or_create(
        gss_code="E07000998", defaults={"name": "Approvals District"}
    )
    fund_year = _fund_year(council, year, code, allocation)
    ward = Ward.objects.create(council=council, name=f"Ward {code}", gss_code=f"E05{code[-6:]:0>6}")
    organisation = Organisation.objects.create(
        name=f"Group {code}",
        kind=Organisation.Kind.CONSTITUTED_GROUP,
        address="1 High Street",
        postcode="TV1 1AA",
        ward=ward,
        email=f"group-{code.lower()}@example.org",
    )
    people = User.objects.bulk_create(
        User(username=f"{code.lower()}-officer{i}", email=f"{code.lower()}-o{i}@example.org")
        for i in range(officers + 1)
    )
    StaffRole.objects.bulk_create(
        StaffRole(user=u, council=council, role=str(Role.GRANTS_OFFICER)) for u in people
    )
    return World(
        fund_year=fund_year,
        council=council,
        organisation=organisation,
        assessor=people[0],
        officers=people[1:],
        wards=[ward],
    )


def councillors(world: World, n: int, name: str) -> list[Councillor]:
    """`n` councillors, each of a ward of their own (the bids they pledge are for it), each
    given the fund year's allocation."""
    first = Ward.objects.filter(council=world.council).count()
    wards = Ward.objects.bulk_create(
        Ward(council=world.council, name=f"Ward {first + i}", gss_code=f"E06{first + i:06d}")
        for i in range(n)
    )
    users = User.objects.bulk_create(
        User(username=f"{name}{i}", email=f"{name}{i}@example.org") for i in range(n)
    )
    made = Councillor.objects.bulk_create(
        Councillor(
            user=u,
            ward=wards[i],
            name=f"Member {name}{i}",
            term_start=world.fund_year.year.start,
        )
        for i, u in enumerate(users)
    )
    fy = world.fund_year
    ledger.budget_set(
        fund_year=fy,
        total=fy.allocation_per_councillor * Councillor.objects.in_term_during(fy.year).count(),
        by=None,
    )
    ledger.allocate_year(fund_year=fy, by=None)
    return made


def seed_bids(world: World, pledgers: list[Councillor], n: int) -> list[list[str]]:
    """`n` bids waiting for a decision, recommended by the assessor, bid i pledged in full by
    pledgers[i % len(pledgers)]. Their references, one list for each pledger."""
    world.runs += 1
    prefix = f"{world.fund_year.fund.code[:6]}R{world.runs}"
    now = datetime.datetime.now(datetime.UTC)
    with transaction.atomic():
        apps = Application.objects.bulk_create(
            Application(
                fund_year=world.fund_year,
                organisation=world.organisation,
                reference=f"{prefix}-{i:06d}",
                status=Status.AWAITING_DECISION,
                title=f"Project {i}",
                purpose="Benches for the park.",
                amount_requested=AMOUNT,
                total_cost=AMOUNT,
                created_by=world.assessor,
                submitted_at=now - datetime.timedelta(days=14),
            )
            for i in range(n)
        )
        through = Application.wards.through
        through.objects.bulk_create(
            through(application=a, ward_id=pledgers[i % len(pledgers)].ward_id)
            for i, a in enumerate(apps)
        )
        Pledge.objects.bulk_create(
            Pledge(
                application=a,
                councillor=pledgers[i % len(pledgers)],
                amount=AMOUNT,
                statement="Supported.",
                created_by=pledgers[i % len(pledgers)].user,
            )
            for i, a in enumerate(apps)
        )
        # Submitted a fortnight ago, as a bid is: its approval times the decision from that
        # (the dashboards' time to decision), as every real approval does.
        TransitionLog.objects.bulk_create(
            TransitionLog(
                application=a,
                transition=transition,
                from_state=source,
                to_state=target,
                by=world.assessor if transition == "recommend" else None,
                at=at,
                note="Recommended: approve" if transition == "recommend" else "",
            )
            for a in apps
            for transition, source, target, at in (
                ("submit", Status.DRAFT, Status.SUBMITTED, now - datetime.timedelta(days=14)),
                ("recommend", Status.UNDER_ASSESSMENT, Status.AWAITING_DECISION, now),
            )
        )
    # Written in bulk, the bids have no place in the dashboards' kept summaries yet: count them
    # in, as the steps that brought them here would have (else every approval would move the
    # same "no wards" summary row, and wait for the others to commit).
    summaries.rebuild()
    queues: list[list[str]] = [[] for _ in pledgers]
    for i, a in enumerate(apps):
        queues[i % len(pledgers)].append(a.reference)
    return queues


def _decide(client: Client, reference: str) -> str:
    """POST the decide page: 'approved', 'refused' (the page says why) or 'failed'."""
    response = client.post(
        f"/officer/applications/{reference}/decide/",
        {"outcome": "approve", "amount": str(AMOUNT), "reasons": "Good value."},
    )
    if response.status_code == 302:
        # The page it redirects to shows the officer the step's message and so takes it off;
        # that page is not timed here, so take it off as it would: else the messages of every
        # approval pile up in the cookie (and spill into the session), which no officer sees.
        client.cookies.pop(CookieStorage.cookie_name, None)
        return "approved"
    if response.status_code in (200, 409) and b"govuk-error-summary" in response.content:
        return "refused"
    return "failed"


def _client(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _officer_threads(clients: list[Client], work: list[list[str]], start, results) -> None:
    """In one worker process: a thread for each officer, each with its own connection (closed
    as it ends), approving its bids once every thread of every process is ready; the counts
    go back to the parent."""
    contention.counts_reset()
    # Each thread keeps its connection between requests, as production's do (CONN_MAX_AGE=60
    # in deploy/fundmgr.env.example). With 0 (the default), the test client's way of keeping a
    # connection open across a request, which unhooks and rehooks Django's closing of old
    # connections for the whole process, let one thread's request close another's connection
    # now and then: its server process ended, and with it the CPU it had used.
    connections.settings[DEFAULT_DB_ALIAS]["CONN_MAX_AGE"] = 60
    tally = {"approved": 0, "refused": 0, "failed": 0}
    database_cpu = [0.0]
    uncounted = [0]  # threads whose server process ended before their CPU was read
    lock = threading.Lock()
    errors: list[str] = []

    def officer(t: int) -> None:
        mine = dict.fromkeys(tally, 0)
        backend = None
        try:
            backend = _backend_cpu()  # connected before the start: its opening is not counted
            start.wait(timeout=300)
            for reference in work[t]:
                mine[_decide(clients[t], reference)] += 1
            after = _backend_cpu(backend[0]) if backend is not None else None
            if after is not None:
                database_cpu[0] += after[1] - backend[1]
            elif backend is not None:
                uncounted[0] += 1
        except BaseException as error:  # noqa: BLE001 - reported by the parent
            errors.append(repr(error))
        finally:
            connection.close()
            with lock:
                for k, v in mine.items():
                    tally[k] += v

    officers = [threading.Thread(target=officer, args=(t,)) for t in range(len(clients))]
    began = time.process_time()
    for thread in officers:
        thread.start()
    for thread in officers:
        thread.join()
    cpu = {
        "python_cpu": time.process_time() - began,
        "database_cpu": database_cpu[0],
        "uncounted": uncounted[0],
    }
    results.put({**tally, **contention.counts(), **cpu, "errors": errors})


def _backend_cpu(pid: int | None = None) -> tuple[int, float] | None:
    """This thread's PostgreSQL server process and the CPU seconds it has used, when the server
    runs on this machine (its /proc is readable), else None."""
    if connection.vendor != "postgresql":
        return None
    if pid is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _worker_processes() -> int:
    """The worker processes gunicorn runs on this machine: deploy/gunicorn.conf.py's own
    `workers` (2 x cores + 1, or WEB_CONCURRENCY), read from the file production starts with.
    `APPROVALS_PROCESSES` sets another number (1 process a core was this benchmark's layout
    until December 2026)."""
    if os.environ.get("APPROVALS_PROCESSES"):
        return int(os.environ["APPROVALS_PROCESSES"])
    conf = Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py"
    return int(runpy.run_path(str(conf))["workers"])


def approve_at_once(world: World, queues: list[list[str]], threads: int) -> dict:
    """`threads` officers at once, each approving its own bids in turn: queues[t] when there
    are as many queues as threads, else one queue dealt out like cards. As gunicorn serves
    them (deploy/gunicorn.conf.py: `workers` processes, 2 x cores + 1, of threads), the
    officers' threads are dealt over as many processes as gunicorn runs (no more than there
    are officers), so the run is not held to one core by Python's lock, nor are more threads
    put in one process than production puts there; each thread has its own connection."""
    clients = [_client(world.officers[t]) for t in range(threads)]
    work: list[list[str]] = [[] for _ in range(threads)]
    if len(queues) >= threads:
        work = [list(queues[t]) for t in range(threads)]
    else:
        for i, reference in enumerate(queues[0]):
            work[i % threads].append(reference)
    processes = max(1, min(threads, _worker_processes()))
    context = multiprocessing.get_context("fork")
    start = context.Barrier(threads + 1)  # every officer and this process
    results = context.Queue()
    connections.close_all()  # a forked process opens its own
    # As gunicorn's main process does before it forks a worker (deploy/gunicorn.conf.py,
    # pre_fork): what this process holds is frozen, so the workers' garbage collector does not
    # walk it (all the more here, where it holds the seeding and the runs before this one).
    gc.collect()
    gc.freeze()
    workers = []
    for p in range(processes):
        mine = list(range(p, threads, processes))
        workers.append(
            context.Process(
                target=_officer_threads,
                args=([clients[t] for t in mine], [work[t] for t in mine], start, results),
            )
        )
    for worker in workers:
        worker.start()
    start.wait(timeout=300)
    began = time.perf_counter()
    reports = [results.get(timeout=7200) for _ in workers]
    elapsed = time.perf_counter() - began
    for worker in workers:
        worker.join()
    gc.unfreeze()
    total = {k: sum(r[k] for r in reports) for k in ("approved", "refused", "failed")}
    errors = [e for r in reports for e in r["errors"]]
    if errors:
        raise RuntimeError(f"An officer's thread failed: {errors[0]}")
    return {
        **total,
        "per_s": total["approved"] / elapsed,
        "seconds": elapsed,
        "processes": processes,
        "retried": sum(r["retried"] for r in reports),
        "gave_up": sum(r["gave_up"] for r in reports),
        "python_cpu": sum(r["python_cpu"] for r in reports),
        "database_cpu": sum(r["database_cpu"] for r in reports),
        "uncounted": sum(r["uncounted"] for r in reports),
    }


def queries_per_approval(world: World, pledger: Councillor) -> int:
    """One approval through the page, on its own, its queries counted (a request first, to
    write the session's once-a-minute time)."""
    ((reference,),) = seed_bids(world, [pledger], 1)
    client = _client(world.officers[0])
    client.get(f"/officer/applications/{reference}/")
    reset_queries()  # a full log (9,000 queries) stops growing: CaptureQueriesContext counts 0
    with CaptureQueriesContext(connection) as queries:
        outcome = _decide(client, reference)
    if outcome != "approved":
        raise RuntimeError(f"The counted approval of {reference} was {outcome}.")
    return len(queries)


def overspend(world: World) -> Decimal:
    """What councillors committed beyond their allocation, over the fund year (0.00 when none)."""
    fy = world.fund_year
    committed = dict(
        Account.objects.filter(fund_year=fy, kind="commitment")
        .values_list("councillor_id")
        .annotate(total=Sum("balance"))
    )
    beyond = Decimal("0.00")
    for total in committed.values():
        if total > fy.allocation_per_councillor:
            beyond += total - fy.allocation_per_councillor
    return beyond


def ledger_problems() -> list[str]:
    return ledger_violations() + [
        f"Account #{a.pk} is below zero at {a.balance}."
        for a in Account.objects.filter(balance__lt=0).exclude(kind="source")
    ]


def _say_run(out, label: str, threads: int, r: dict) -> None:
    out(
        f"  {label}, {threads} threads in {r['processes']} processes: {r['approved']:,} approved "
        f"in {r['seconds']:.1f} s "
        f"({r['per_s']:.1f}/s), {r['refused']:,} refused, {r['failed']:,} failed, "
        f"{r['retried']} retried, {r['gave_up']} given up"
    )
    decided = r["approved"] + r["refused"]
    if decided:
        out(
            f"    CPU a decision: {1000 * r['python_cpu'] / decided:.1f} ms in the officers' "
            "processes (Python: Django, the view, the test client)"
            + (
                f", {1000 * r['database_cpu'] / decided:.1f} ms in their PostgreSQL server "
                "processes"
                if r["database_cpu"]
                else ""
            )
            + (
                f" (not counted: {r['uncounted']} threads' server processes, which ended first)"
                if r.get("uncounted")
                else ""
            )
        )


def distinct_runs(*, approvals: int, thread_counts: list[int], targets: Targets, out) -> None:
    most = max(thread_counts)
    # Enough for every bid of every run and the counted one: no councillor ever runs short.
    world = seed_world(officers=most, allocation=AMOUNT * (approvals + 1) * 2, code="APPRD1")
    pledgers = councillors(world, most, "cllr-d-")
    out(f"Distinct allocations: {approvals:,} bids a run, one councillor's allocation a thread")
    queries = queries_per_approval(world, pledgers[0])
    for threads in thread_counts:
        queues = seed_bids(world, pledgers[:threads], approvals)
        r = approve_at_once(world, queues, threads)
        _say_run(out, "distinct", threads, r)
        if threads == TARGET_THREADS:
            targets.at_least(
                f"approvals a second, {threads} threads, distinct allocations",
                r["per_s"],
                TARGET_PER_S,
                "/s",
            )
        targets.exactly(f"failed requests, {threads} threads, distinct", r["failed"], 0)
        targets.exactly(f"refusals, {threads} threads, distinct", r["refused"], 0)
    out(f"  queries per approval (the decide page's POST): {queries}")
    targets.at_most("queries per approval", queries, 24)
    targets.exactly("overspend, distinct allocations (£)", overspend(world), 0)
    problems = ledger_problems()
    for problem in problems[:5]:
        out(f"    {problem}")
    targets.exactly("ledger problems, distinct allocations", len(problems), 0)


def same_allocation_runs(*, approvals: int, thread_counts: list[int], targets: Targets, out):
    """Each run its own councillor, whose allocation pays for half the run's bids."""
    payable = approvals // 2
    world = seed_world(officers=max(thread_counts), allocation=AMOUNT * payable, code="APPRS1")
    out(
        f"Same allocation: {approvals:,} bids a run, all pledged by one councillor whose "
        f"allocation pays for {payable:,}"
    )
    for threads in thread_counts:
        (shared,) = councillors(world, 1, f"cllr-s{threads}-")
        queues = seed_bids(world, [shared], approvals)
        r = approve_at_once(world, queues, threads)
        _say_run(out, "same allocation", threads, r)
        targets.exactly(f"approved, {threads} threads, same allocation", r["approved"], payable)
        targets.exactly(
            f"refused, {threads} threads, same allocation", r["refused"], approvals - payable
        )
        targets.exactly(f"failed requests, {threads} threads, same", r["failed"], 0)
    targets.exactly("overspend, same allocation (£)", overspend(world), 0)
    problems = ledger_problems()
    for problem in problems[:5]:
        out(f"    {problem}")
    targets.exactly("ledger problems, same allocation", len(problems), 0)


def run(*, approvals: int, threads: int, same_allocation: bool, out) -> None:
    out(f"Database: {durability()}")
    if connection.vendor != "postgresql":
        thread_counts = [1]
        out("  SQLite takes one writer at a time: one thread only (use --postgres for threads)")
    elif threads != COMMAND_DEFAULT_THREADS:
        thread_counts = [threads]
    else:
        thread_counts = list(THREADS)
    targets = Targets(out)
    # The production queue (a task is a row in the step's transaction), no mail sent: e-mails
    # wait in the outbox for the worker, as they do for a council; no worker runs here.
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
        ALLOWED_HOSTS=["testserver", "localhost"],
        DEBUG=False,  # as a council runs it: no query kept in memory for the debug page
    ):
        if not same_allocation:
            distinct_runs(
                approvals=approvals, thread_counts=thread_counts, targets=targets, out=out
            )
        same_allocation_runs(
            approvals=approvals, thread_counts=thread_counts, targets=targets, out=out
        )
    targets.summary()
