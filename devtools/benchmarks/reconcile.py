"""`manage.py benchmark reconcile --lines 100000`: reading a bank statement and matching it to the
payments and runs sent, with pandas, next to a straightforward plain-Python reader and matcher
that must give exactly the same lines and the same matches; then the real path a finance officer
waits for: the same statement file imported through `budgets.reconcile.statement_import` (read
and checked, its lines saved, matched against the payments sent, the matches and the payments'
clearing saved, in one transaction) on the benchmark's throwaway database, seeded first with the
same payments as a council's database holds them (schedules, payments, authorised runs and their
lines, sent), which must find exactly the matches the in-memory matcher found.

It makes its own data: about `lines` payments and a statement of `lines` lines, as
a council's statement has them. A fifth of the payments go in BACS runs of 2 to 20, and each run
is one debit for its total (the contra), a day or two after its pay date. Each other payment is
a line of its own (Faster Payments): about 90% carry its reference printed as banks print it
(with or without hyphen, instalment or spaces, any case, in a memo with the payee's name and a
bank code, cut at 18 characters), 8% only its amount and a date a few days off; the rest of the
statement matches nothing. One grant in ten is paid in two instalments, so a reference printed
without its instalment can name two payments. Amounts are drawn as real grants are, many at
round sums (£250, £500, £1,000), so matching by amount is often ambiguous and must be settled by
the rules of `budgets.reconcile`.
"""

from __future__ import annotations

import csv
import datetime
import gc
import io
import random
import resource
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pandas as pd

from budgets.bank_references import find
from budgets.reconcile import EPOCH, WINDOW_DAYS, match_frames, match_plain
from budgets.statement_files import PRESETS, read_csv
from devtools.benchmarks.targets import Targets

LAYOUT = PRESETS["hsbc"]
# The targets: matching and parsing in memory, and the process's memory, as before; the import
# end to end within the time a request may take in production (deploy/gunicorn.conf.py's
# `timeout`, 60 s: the import runs in the officer's request, and a longer one is stopped).
MATCH_SECONDS, PARSE_MATCH_SECONDS, MB, IMPORT_SECONDS = 0.1, 0.5, 400, 60
ROUND = [250, 500, 1000, 300, 750, 1500, 2000, 200, 100, 5000]
CODES = ["CCIF", "CB", "CAF"]
PAYEES = [
    "FRIENDS OF ABBEY PARK",
    "KINGSMOOR RFC",
    "LARKRISE SINGERS",
    "IVY BRIDGE CANAL TRUST",
    "ST AIDANS SCHOOL",
    "FOXLEY MENS SHED",
]
START = datetime.date(2026, 4, 1)
RUN_SHARE = 0.2  # of the payments, paid in BACS runs (one contra debit per run)


def printed(reference: str, payee: str, rng: random.Random) -> str:
    """A payment's reference as one bank or another prints it in a line's text."""
    grant, _, instalment = reference.partition("/")
    code_year, _, number = grant.partition("-")
    forms = (
        f"BACS {reference} {payee}",  # as sent
        f"{payee} REF {grant} GRANT",  # the instalment left out
        f"{payee} {code_year}{number} BGC",  # no hyphen, no instalment, a bank code after
        f"FP {code_year}{number}/{instalment}",  # no hyphen
        f"GRANT PAYMENT {payee} {code_year.lower()} {number}",  # lower case, a space
        f"{reference[:-1]} {payee}"[:18],  # cut at 18 characters: CCIF26-000101/
        f"{payee[:4]} {code_year}{number}{'/' + instalment}"[:18],
    )
    return forms[rng.randrange(len(forms))]


def make(n: int, seed: int = 2026):
    """(payments, runs, csv bytes): payments as (id, reference, pence, day, run) tuples (run 0
    when paid on its own), runs as (id, pence, day) tuples."""
    rng = random.Random(seed)
    workdays = [START + datetime.timedelta(days=d) for d in range(365)]
    workdays = [d for d in workdays if d.weekday() < 5]
    references: list[str] = []
    amounts: list[int] = []
    days: list[int] = []
    run_of = [0] * n
    for pid in range(1, n + 1):
        if rng.random() < 0.6:
            pence = rng.choice(ROUND) * 100
        else:
            pence = rng.randrange(50_00, 25_000_00)
        # One grant in ten is paid in two instalments: payment pid is the second of pid - 1's.
        grant, instalment = (pid - 1, 2) if pid % 10 == 0 else (pid, 1)
        references.append(f"{CODES[grant % 3]}{26 + grant % 2}-{grant:06d}/{instalment}")
        amounts.append(pence)
        days.append((rng.choice(workdays) - EPOCH).days)
    # Runs: a fifth of the payments, in runs of 2 to 20 on one pay date.
    in_runs = rng.sample(range(n), int(n * RUN_SHARE))
    runs: list[tuple[int, int, int]] = []
    at = 0
    while at < len(in_runs):
        size = rng.randrange(2, 21)
        members = in_runs[at : at + size]
        at += size
        if len(members) < 2:
            break
        rid = len(runs) + 1
        pay_day = days[members[0]]
        for i in members:
            days[i], run_of[i] = pay_day, rid
        runs.append((rid, sum(amounts[i] for i in members), pay_day))
    rows: list[tuple[int, str, int]] = []
    for rid, pence, pay_day in runs:
        rows.append((pay_day + rng.randrange(0, 3), f"BACS GRANTS RUN {rid:06d}", pence))
    for i in range(n):
        if run_of[i]:
            continue
        pence, roll, payee = amounts[i], rng.random(), rng.choice(PAYEES)
        if roll < 0.90:
            text = printed(references[i], payee, rng)
            shift = rng.randrange(0, 3)
        elif roll < 0.98:
            text = f"FP {payee} GRANT"
            shift = rng.randrange(-3, 4)
        else:
            text = f"CARD PAYMENT SUPPLIER {rng.randrange(10_000)}"
            pence = rng.randrange(1_00, 99_99)
            shift = rng.randrange(0, 30)
        rows.append((days[i] + shift, text, pence))
    while len(rows) < n:  # the statement's other lines: nothing to do with grants
        other_day = (rng.choice(workdays) - EPOCH).days
        rows.append((other_day, f"DD UTILITY {rng.randrange(10_000)}", rng.randrange(1_00, 999_99)))
    payments = [(i + 1, references[i], amounts[i], days[i], run_of[i]) for i in range(n)]
    rows.sort(key=lambda r: r[0])
    out = io.StringIO()
    out.write("Date,Type,Description,Paid out,Paid in,Balance\r\n")
    for number, text, pence in rows:
        date = EPOCH + datetime.timedelta(days=number)
        amount = f"£{pence // 100:,}.{pence % 100:02d}"
        out.write(f'{date:%d/%m/%Y},BACS,{text},"{amount}",,\r\n')
    return payments, runs, out.getvalue().encode("cp1252")


# --- the plain-Python reader and matcher -----------------------------------------------------


def read_plain(content: bytes) -> list[tuple[int, str, int, int]]:
    """The CSV as (line number, reference, pence of money out, day), with the csv module and
    the plain reading of references (`budgets.bank_references.find`)."""
    text = content.decode("cp1252")
    reader = csv.reader(io.StringIO(text))
    heading = [h.strip().lower() for h in next(reader)]
    date_at, text_at = heading.index("date"), heading.index("description")
    type_at, out_at = heading.index("type"), heading.index("paid out")
    result = []
    for number, row in enumerate(reader, start=2):
        day = datetime.datetime.strptime(row[date_at].strip(), "%d/%m/%Y").date()
        amount = row[out_at].strip().replace("£", "").replace(",", "").replace(" ", "")
        whole, _, fraction = amount.lstrip("-").partition(".")
        if not whole.isdigit() or not (fraction.isdigit() or fraction == ""):
            raise ValueError(f"line {number}")
        pence = int(whole) * 100 + int(fraction.ljust(2, "0") or 0)
        description = f"{row[type_at].strip()} {row[text_at].strip()}".strip()
        result.append((number, find(description), pence, (day - EPOCH).days))
    return result


# --- measuring -------------------------------------------------------------------------------


def timed(fn: Callable, repeat: int = 3):
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None  # one result alive at a time: the peak memory is one run's
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak(fn: Callable) -> int:
    """Peak bytes Python allocated while `fn` ran (tracemalloc sees numpy's buffers too)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MB"


# --- the database: the same payments as sent, and the statement imported ---------------------


def seed(payments: list[tuple], runs: list[tuple], out=print):
    """The payments as a council's database holds them once sent: a schedule per grant, a
    payment per instalment, each in an authorised run (a BACS run of 2 to 20 as `make` drew
    them; every other payment a run of its own, on its pay date), its run line sent. Returns
    the finance officer who imports the statement."""
    from decimal import Decimal

    from django.db import transaction

    from budgets.models import (
        Council,
        FinancialYear,
        Fund,
        FundYear,
        Payment,
        PaymentRun,
        PaymentRunLine,
        PaymentSchedule,
    )
    from fundmgr.models import User

    started = time.perf_counter()
    council = Council.objects.create(
        name="Benchmark District", gss_code="E07000994", org_id="GB-LAE-BEN"
    )
    year = FinancialYear.objects.create(start=START)
    fund_years = {}
    for code in CODES:
        fund_years[code] = FundYear.objects.create(
            fund=Fund.objects.create(council=council, kind="ccif", name=f"Fund {code}", code=code),
            year=year,
            max_award=Decimal("25000.00"),
            funded_from=FundYear.FundedFrom.CENTRAL_POT,
            councillor_support_required=False,
            delegated_limit=Decimal("25000.00"),
            opens_on=year.start,
            closes_on=year.end,
            cost_code=f"BENCH-{code}",
        )
    finance = User.objects.create(username="bench-finance", is_superuser=True)
    authoriser = User.objects.create(username="bench-authoriser", is_superuser=True)
    now = timezone_now()

    def day(number: int) -> datetime.date:
        return EPOCH + datetime.timedelta(days=number)

    def pounds(pence: int) -> Decimal:
        return Decimal(pence) / 100

    def run_of(pence: int, pay_day: int, count: int) -> PaymentRun:
        return PaymentRun(
            pay_date=day(pay_day),
            status=PaymentRun.Status.AUTHORISED,
            total=pounds(pence),
            count=count,
            prepared_by=finance,
            authorised_by=authoriser,
            authorised_at=now,
            sent_at=now,
            sent_by=authoriser,
        )

    batch = 5000
    with transaction.atomic():
        made = PaymentRun.objects.bulk_create(
            (run_of(pence, pay_day, 2) for _, pence, pay_day in runs), batch_size=batch
        )
        bacs = {rid: run for (rid, _, _), run in zip(runs, made, strict=True)}
        counts: dict[int, int] = {}
        for p in payments:
            if p[4]:
                counts[p[4]] = counts.get(p[4], 0) + 1
        for rid, run in bacs.items():
            run.count = counts[rid]
        PaymentRun.objects.bulk_update(bacs.values(), ["count"], batch_size=batch)
        singles = [p for p in payments if not p[4]]
        own = PaymentRun.objects.bulk_create(
            (run_of(p[2], p[3], 1) for p in singles), batch_size=batch
        )
        run_for = {p[0]: run for p, run in zip(singles, own, strict=True)}
        run_for.update({p[0]: bacs[p[4]] for p in payments if p[4]})
        schedules = PaymentSchedule.objects.bulk_create(
            (
                PaymentSchedule(
                    reference=reference.partition("/")[0],
                    fund_year=fund_years[reference.split("2", 1)[0]],
                    payee=PAYEES[pid % len(PAYEES)],
                    award=pounds(pence),
                )
                for pid, reference, pence, _, _ in payments
                if reference.endswith("/1")
            ),
            batch_size=batch,
        )
        schedule_of = {s.reference: s for s in schedules}
        sent = Payment.objects.bulk_create(
            (
                Payment(
                    schedule=schedule_of[reference.partition("/")[0]],
                    number=int(reference.rpartition("/")[2]),
                    reference=reference,
                    amount=pounds(pence),
                    due_on=day(number),
                    status=Payment.Status.SENT,
                    run=run_for[pid],
                )
                for pid, reference, pence, number, _ in payments
            ),
            batch_size=batch,
        )
        PaymentRunLine.objects.bulk_create(
            (
                PaymentRunLine(
                    run=payment.run,
                    payment=payment,
                    reference=payment.reference,
                    amount=payment.amount,
                    payee=payment.schedule.payee,
                    bank_account=1,
                    account_name="COMMUNITY GROUP",
                    sort_code="401276",
                    account_number="12345678",
                    status=PaymentRunLine.Status.SENT,
                )
                for payment in sent
            ),
            batch_size=batch,
        )
    _analyse()
    out(
        f"  seeded {len(payments):,} payments sent in {len(runs) + len(singles):,} runs "
        f"({time.perf_counter() - started:.0f} s)"
    )
    return finance


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def _analyse() -> None:
    """Planner statistics, as a database in use has them (one just filled in bulk has none)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _resident(field: str) -> int:
    """VmRSS (now) or VmHWM (the peak since the last reset) of this process, in kB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _peak_reset() -> tuple[int, bool]:
    """The resident memory now (kB), and whether the peak was reset to it (Linux: writing 5 to
    /proc/self/clear_refs), so the import's peak is measured apart from the seeding's."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return _resident("VmRSS"), False
    return _resident("VmRSS"), True


def import_statement(content: bytes, finance) -> tuple[float, dict, object]:
    """Import the statement through the service, timing it whole and each of its steps (read
    and check; save the lines; match and save the matches)."""
    from budgets import reconcile, statement_imports

    steps: dict[str, float] = {}

    def timed_step(name, fn):
        def step(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                steps[name] = steps.get(name, 0.0) + time.perf_counter() - start

        return step

    originals = (
        statement_imports.statement_read,
        statement_imports.statement_save,
        reconcile.reconcile,
    )
    statement_imports.statement_read = timed_step("read and check", originals[0])
    statement_imports.statement_save = timed_step("save the lines", originals[1])
    reconcile.reconcile = timed_step("match and save the matches", originals[2])
    try:
        start = time.perf_counter()
        result = reconcile.statement_import(
            content=content, filename="statement.csv", by=finance, layout=LAYOUT
        )
        seconds = time.perf_counter() - start
    finally:
        (
            statement_imports.statement_read,
            statement_imports.statement_save,
            reconcile.reconcile,
        ) = originals
    return seconds, steps, result


def run(*, lines: int = 100_000, out=print) -> dict:
    out(f"Making {lines:,} payments and a {lines:,}-line CSV statement ...")
    payments, runs, content = make(lines)
    in_runs = sum(1 for p in payments if p[4])
    out(
        f"  statement: {mb(len(content))}, {LAYOUT.name.split(' (')[0]} layout, Windows-1252; "
        f"{len(runs):,} runs of {in_runs:,} payments, each one debit for its total"
    )

    def parse_pandas():
        return read_csv(content, LAYOUT).lines

    def parse_python():
        return read_plain(content)

    parse_pd_s, frame = timed(parse_pandas)
    parse_py_s, plain_rows = timed(parse_python)
    pandas_rows = list(
        zip(
            frame["number"].tolist(),
            frame["reference"].tolist(),
            (-frame["pence"]).tolist(),
            (frame["date"].to_numpy().astype("datetime64[D]").astype(np.int64)).tolist(),
            strict=True,
        )
    )
    assert pandas_rows == plain_rows, "the two readers disagree"
    del pandas_rows  # what is not needed goes, so the peak below is the runs' own

    payments_frame = pd.DataFrame(payments, columns=["id", "reference", "pence", "day", "run"])
    runs_frame = pd.DataFrame(runs, columns=["id", "pence", "day"])
    lines_frame = pd.DataFrame(
        {
            "id": frame["number"].to_numpy(),
            "reference": frame["reference"].to_numpy(),
            "pence": -frame["pence"].to_numpy(),
            "day": frame["date"].to_numpy().astype("datetime64[D]").astype(np.int64),
        }
    )
    del frame
    plain_payments = [p[:4] for p in payments]
    payment_runs = {p[0]: p[4] for p in payments if p[4]}

    def match_pandas():
        return match_frames(payments_frame, lines_frame, WINDOW_DAYS, runs_frame)

    def match_python():
        return match_plain(plain_payments, plain_rows, WINDOW_DAYS, runs, payment_runs)

    match_pd_s, found = timed(match_pandas, repeat=5)
    match_py_s, plain_found = timed(match_python, repeat=5)
    pandas_found = [(int(r.line), int(r.target), r.method) for r in found.itertuples(index=False)]
    assert pandas_found == plain_found, "the two matchers disagree"
    del pandas_found, plain_found
    by_method = found["method"].value_counts().to_dict()
    cleared = len(found) - by_method.get("run_total", 0)
    cleared += sum(
        1 for p in payments if p[4] in set(found["target"][found["method"] == "run_total"])
    )

    # The process's peak resident memory, before tracemalloc (whose own records take room).
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    mem = {
        "parse_pandas": peak(parse_pandas),
        "parse_python": peak(parse_python),
        "match_pandas": peak(match_pandas),
        "match_python": peak(match_python),
    }

    out(
        f"Matched {len(found):,} of {lines:,} lines: {by_method.get('run_total', 0):,} by run "
        f"total, {by_method.get('reference', 0):,} by reference, "
        f"{by_method.get('amount_date', 0):,} by amount and date ({cleared:,} of "
        f"{len(payments):,} payments cleared); the two matchers agree line for line."
    )
    rows = [
        ("parse CSV", parse_pd_s, parse_py_s, mem["parse_pandas"], mem["parse_python"]),
        ("match", match_pd_s, match_py_s, mem["match_pandas"], mem["match_python"]),
        (
            "parse + match",
            parse_pd_s + match_pd_s,
            parse_py_s + match_py_s,
            max(mem["parse_pandas"], mem["match_pandas"]),
            max(mem["parse_python"], mem["match_python"]),
        ),
    ]
    out(
        f"  {'':<14}{'pandas':>12}{'plain Python':>14}{'ratio':>8}"
        f"{'pandas peak':>14}{'Python peak':>14}"
    )
    for name, pd_s, py_s, pd_mem, py_mem in rows:
        out(
            f"  {name:<14}{pd_s * 1000:>10.1f} ms{py_s * 1000:>11.1f} ms"
            f"{py_s / pd_s:>7.1f}x{mb(pd_mem):>14}{mb(py_mem):>14}"
        )
    out(f"  process peak resident memory (Django, pandas and both runs): {mb(rss)}")
    targets = Targets(out)
    targets.at_most("matching in memory", match_pd_s, MATCH_SECONDS, "s")
    targets.at_most(
        "parsing and matching in memory", parse_pd_s + match_pd_s, PARSE_MATCH_SECONDS, "s"
    )
    targets.at_most("process peak memory, in memory", rss / 1024 / 1024, MB, "MB")
    targets.at_least("pandas matching against plain Python", match_py_s / match_pd_s, 1, "x")

    from django.db import connection

    from budgets.models import Match, PaymentRunLine

    out(f"Importing the statement into the database ({connection.vendor}) ...")
    finance = seed(payments, runs, out=out)
    gc.collect()
    before, reset = _peak_reset()
    import_s, steps, imported = import_statement(content, finance)
    import_rss = _resident("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    import_rss *= 1024
    saved = Match.objects.count()
    cleared_in_db = PaymentRunLine.objects.filter(status=PaymentRunLine.Status.CLEARED).count()
    assert imported.statement.line_count == lines, "not every line was saved"
    assert imported.matched == len(found), f"{imported.matched:,} lines matched, not {len(found):,}"
    assert saved == cleared_in_db == cleared, f"{saved:,} matches, {cleared_in_db:,} cleared"
    out(
        f"  statement_import: {lines:,} lines saved, {imported.matched:,} matched "
        f"({saved:,} payments cleared, a match saved for each): the same as in memory"
    )
    for name, seconds in steps.items():
        out(f"    {name}: {seconds:.2f} s")
    targets.at_most("statement import, end to end", import_s, IMPORT_SECONDS, "s")
    out(
        f"  resident memory before the import: {before / 1024:,.0f} MB (Django, pandas, the data "
        "made and seeded); "
        + (
            "the peak below is the process's during the import, from there"
            if reset
            else "the peak below is the process's whole run (no /proc/self/clear_refs)"
        )
    )
    if reset:
        # What the import itself needs: a gunicorn worker does not hold the benchmark's own
        # 100,000 payments made in Python and its seeding's frames before a statement comes.
        out(f"  process peak memory, with the import: {import_rss / 1024 / 1024:,.0f} MB")
        grown = max(import_rss / 1024 - before, 0) / 1024
        targets.at_most("memory the import adds to its process", grown, MB, "MB")
    else:
        targets.at_most("process peak memory, with the import", import_rss / 1024 / 1024, MB, "MB")
    all_met = targets.summary()
    return {
        "import_s": import_s,
        "import_steps": steps,
        "import_rss": import_rss,
        "all_met": all_met,
        "parse_s": parse_pd_s,
        "parse_python_s": parse_py_s,
        "match_s": match_pd_s,
        "match_python_s": match_py_s,
        "matched": len(found),
        "by_method": by_method,
        "rss": rss,
        "peaks": mem,
    }
