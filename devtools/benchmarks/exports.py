"""`manage.py benchmark exports --grants 100000`: what a council waits for to publish its grants
in the 360Giving Data Standard, and the memory it takes: the command (`manage.py
export_360giving` as JSON, CSV and XLSX, and JSON `--validate`) and the public download of each
file (`/grants/360giving/<year>.<format>`, the streamed body read to its last byte).

Each is its own fresh process, started as a council starts it (`DEBUG` off), so its peak resident
memory is its own: the process's high-water mark (`VmHWM` of /proc/self/status, which the child
writes as it exits), interpreter, Django and all. Not `ru_maxrss` from `wait4`: Linux carries the
forking process's resident size into an exec'd child's `ru_maxrss`, so it would count the
seeded data this process holds. The
command's time is the process's wall time from start to exit (start-up included: it is what the
person running it waits for); the download's is the request's, from asking to the last byte,
through Django's test client in the child (the whole stack but the socket). Targets (issue 17):
each file under 10 s and 250 MB; `--validate` under 30 s (and 250 MB).

It seeds its own throwaway database (never the one in use) in bulk with awarded grants in every
published state: organisations on each kind of register and on none, wards, the award's time
(`Application.awarded_at`) and its `approve` step, and its ledger postings (the award from the pot
to the grant's commitment, and a payment from commitment to `paid` for the grants paid so far),
balanced as the ledger writes them. Stored balances are not kept in step: the export reads
entries, never balances.
"""

from __future__ import annotations

import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, Organisation, TransitionLog
from applications.workflow import Status
from budgets.models import (
    Account,
    Council,
    Entry,
    FinancialYear,
    Fund,
    FundYear,
    LedgerTransaction,
    Ward,
)
from devtools.benchmarks.targets import Targets
from fundmgr.models import User

S = Status
STATES = [S.APPROVED, S.OFFER_ACCEPTED, S.MONITORING, S.MONITORING, S.CLOSED, S.CLOSED, S.REVOKED]
PAID = {S.MONITORING, S.CLOSED, S.REVOKED}
BATCH = 5000


def _organisation(i: int, wards: list[Ward]) -> Organisation:
    kind, charity, company = [
        (Organisation.Kind.CONSTITUTED_GROUP, "", ""),
        (Organisation.Kind.CHARITY, f"{1_100_000 + i}", ""),
        (Organisation.Kind.CLG, "", f"{9_000_000 + i:08d}"),
        (Organisation.Kind.CIO, f"SC{i:06d}", ""),
    ][i % 4]
    return Organisation(
        name=f"Community group {i}",
        kind=kind,
        charity_number=charity,
        company_number=company,
        address="1 High Street",
        postcode="TV1 1AA",
        ward=wards[i % len(wards)],
        email=f"group{i}@example.org",
    )


def seed(*, grants: int, out) -> FinancialYear:
    council = Council.objects.create(
        name="Benchmark District", gss_code="E07000995", org_id="GB-LAE-BEN"
    )
    year = FinancialYear.objects.create(start=datetime.date(2026, 4, 1))
    fund_year = FundYear.objects.create(
        fund=Fund.objects.create(council=council, kind="ccif", name="Community fund", code="CF"),
        year=year,
        max_award=Decimal("25000.00"),
        funded_from=FundYear.FundedFrom.CENTRAL_POT,
        councillor_support_required=False,
        delegated_limit=Decimal("5000.00"),
        opens_on=year.start,
        closes_on=year.end,
        cost_code="BENCH-3",
    )
    wards = Ward.objects.bulk_create(
        Ward(council=council, name=f"Ward {i}", gss_code=f"E0550{i:04d}") for i in range(20)
    )
    groups = Organisation.objects.bulk_create(
        (_organisation(i, wards) for i in range(max(1, grants // 4))), batch_size=BATCH
    )
    applicant = User.objects.create(username="bench-applicant")
    pot = Account.objects.create(fund_year=fund_year, kind=Account.Kind.POT)
    paid = Account.objects.create(fund_year=fund_year, kind=Account.Kind.PAID)
    now = timezone.now()
    first_award = now - datetime.timedelta(days=200)
    started = time.perf_counter()
    for first in range(0, grants, BATCH):
        size = min(BATCH, grants - first)
        rows = []
        for n in range(first, first + size):
            state = STATES[n % len(STATES)]
            amount = Decimal(500 + (n % 40) * 25)
            rows.append(
                Application(
                    fund_year=fund_year,
                    organisation=groups[n % len(groups)],
                    reference=f"CF26-{n:06d}",
                    status=state,
                    title=f"Project {n}",
                    purpose="A community project, benchmarked.",
                    project_start=datetime.date(2026, 5, 1),
                    project_end=datetime.date(2027, 2, 28),
                    amount_requested=amount,
                    total_cost=amount,
                    amount_awarded=amount,
                    paid_to_date=amount if state in PAID else Decimal("0.00"),
                    created_by=applicant,
                    submitted_at=now,
                    awarded_at=first_award + datetime.timedelta(minutes=2 * n),
                )
            )
        with transaction.atomic():
            apps = Application.objects.bulk_create(rows)
            Through = Application.wards.through
            Through.objects.bulk_create(
                Through(application_id=a.pk, ward_id=a.organisation.ward_id) for a in apps
            )
            TransitionLog.objects.bulk_create(
                TransitionLog(
                    application_id=a.pk,
                    at=a.awarded_at,
                    transition="approve",
                    from_state=S.AWAITING_DECISION,
                    to_state=S.APPROVED,
                )
                for a in apps
            )
            commitments = Account.objects.bulk_create(
                Account(fund_year=fund_year, kind=Account.Kind.COMMITMENT, reference=a.reference)
                for a in apps
            )
            postings, lines = [], []
            for app, commitment in zip(apps, commitments, strict=True):
                steps = [("commitment", pot, commitment)]
                if app.status in PAID:
                    steps.append(("payment", commitment, paid))
                for kind, source, target in steps:
                    posting = LedgerTransaction(
                        kind=kind,
                        idempotency_key=f"bench:{kind}:{app.reference}",
                        reference=app.reference,
                        memo="benchmark",
                    )
                    postings.append(posting)
                    lines.append((posting, source, -app.amount_awarded))
                    lines.append((posting, target, app.amount_awarded))
            LedgerTransaction.objects.bulk_create(postings)
            Entry.objects.bulk_create(
                (Entry(transaction=p, account=a, amount=x) for p, a, x in lines),
                batch_size=BATCH,
            )
        out(f"  seeded {first + size:,} grants ({time.perf_counter() - started:.0f} s)")
    # A database in use has planner statistics and settled rows; one just filled in bulk has
    # neither: without statistics PostgreSQL plans the export's lookups forty times slower, and
    # the first read of each new row writes to it (hint bits), which VACUUM does up front.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return year


FORMATS = ("json", "csv", "xlsx")
SECONDS, MB, VALIDATE_SECONDS = 10, 250, 30

# Run first in each child: at exit, write the process's own peak resident memory (kB) last.
PEAK = """
import atexit, os, sys
def _peak():
    with open("/proc/self/status") as status:
        kb = [line.split()[1] for line in status if line.startswith("VmHWM:")][0]
    sys.stderr.write(f"\\nPEAK_KB {kb}\\n")
atexit.register(_peak)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fundmgr.settings")
"""
# The command as manage.py runs it.
COMMAND = (
    PEAK
    + """
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", *sys.argv[1:]])
"""
)
# The download: Django set up, the file asked for, its stream read to the end.
DOWNLOAD = (
    PEAK
    + """
import json, time
import django
django.setup()
from django.test import Client
url, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
response = Client().get(url)
size = 0
with open(path, "wb") as out:
    for piece in response.streaming_content if response.streaming else [response.content]:
        out.write(piece)
        size += len(piece)
print(json.dumps({"seconds": time.perf_counter() - start, "status": response.status_code,
                  "streaming": response.streaming, "bytes": size}))
"""
)


def _child(argv: list[str]) -> tuple[float, float, str, float]:
    """Run a fresh process: (its wall seconds, its own peak resident memory in MB, its output,
    the CPU seconds it used: on a busy machine the wall time is also everyone else's)."""
    env = {**os.environ, "DEBUG": "false"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with tempfile.TemporaryFile() as said, tempfile.TemporaryFile() as errors:
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        child = subprocess.run(argv, env=env, stdout=said, stderr=errors, cwd=settings.BASE_DIR)
        seconds = time.perf_counter() - start
        now = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime
        said.seek(0)
        errors.seek(0)
        output, problem = said.read().decode(), errors.read().decode()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:4])} ... failed:\n{problem}{output}")
    peaks = [line for line in problem.splitlines() if line.startswith("PEAK_KB ")]
    problem = "\n".join(line for line in problem.splitlines() if line and line not in peaks)
    return seconds, int(peaks[-1].split()[1]) / 1024, output + problem, cpu


def command(year: FinancialYear, fmt: str, path: Path, validate: bool = False):
    argv = [sys.executable, "-c", COMMAND, "export_360giving"]
    argv += ["--year", year.label, "--format", fmt, "--out", str(path)]
    return _child(argv + (["--validate"] if validate else []))


def download(year: FinancialYear, fmt: str, path: Path):
    url = reverse("transparency:threesixty_file", args=[year.label.replace("/", "-"), fmt])
    _, peak, said, cpu = _child([sys.executable, "-c", DOWNLOAD, url, str(path)])
    # The child's report is its last line that is JSON (a warning on stderr may follow it).
    report = json.loads([line for line in said.splitlines() if line.startswith("{")][-1])
    report["cpu"] = cpu
    if report["status"] != 200:
        raise RuntimeError(f"{url} answered {report['status']}")
    return report["seconds"], peak, report


def run(*, grants: int = 100_000, out=print) -> dict:
    out(f"Seeding {grants:,} awarded grants ...")
    year = seed(grants=grants, out=out)
    connections.close_all()  # the children read the data; this process holds no transaction
    out(f"Exports: {Application.objects.count():,} grants on {connection.vendor}")
    targets = Targets(out)
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="fundmgr-exports-") as scratch:
        folder = Path(scratch)
        for fmt in FORMATS:
            path = folder / f"command.{fmt}"
            seconds, peak, _, cpu = command(year, fmt, path)
            size = path.stat().st_size / 1024 / 1024
            out(f"  export_360giving --format {fmt}: {size:.1f} MB file, {cpu:.1f} s of CPU")
            targets.at_most(f"command {fmt.upper()} time", seconds, SECONDS, "s")
            targets.at_most(f"command {fmt.upper()} peak memory", peak, MB, "MB")
            results[f"command {fmt}"] = {"seconds": seconds, "peak_mb": peak, "file_mb": size}
        with (folder / "command.json").open(encoding="utf-8") as handle:
            written = len(json.load(handle)["grants"])
        assert written == grants, f"the JSON file holds {written:,} grants, not {grants:,}"
        out(f"  the JSON file holds all {written:,} grants")

        path = folder / "validated.json"
        seconds, peak, said, cpu = command(year, "json", path, validate=True)
        assert "valid against the 360Giving schema" in said, said
        validated, plain = path.read_bytes(), (folder / "command.json").read_bytes()
        grants_part = validated.rindex(b"\n],\n")  # the metadata after it has the time written
        assert validated[:grants_part] == plain[: plain.rindex(b"\n],\n")], "not the same grants"
        del validated, plain
        out(f"  export_360giving --validate: {said.strip().splitlines()[0]} {cpu:.1f} s of CPU")
        targets.at_most("command JSON --validate time", seconds, VALIDATE_SECONDS, "s")
        targets.at_most("command JSON --validate peak memory", peak, MB, "MB")
        results["command json --validate"] = {"seconds": seconds, "peak_mb": peak}

        for fmt in FORMATS:
            path = folder / f"download.{fmt}"
            seconds, peak, report = download(year, fmt, path)
            how = "streamed" if report["streaming"] else "NOT streamed"
            out(
                f"  download {fmt}: {report['bytes'] / 1024 / 1024:.1f} MB, {how}; the process "
                f"(start-up included) {report['cpu']:.1f} s of CPU"
            )
            targets.at_most(f"download {fmt.upper()} time", seconds, SECONDS, "s")
            targets.at_most(f"download {fmt.upper()} peak memory", peak, MB, "MB")
            results[f"download {fmt}"] = {"seconds": seconds, "peak_mb": peak}
    results["all_met"] = targets.summary()
    return results
