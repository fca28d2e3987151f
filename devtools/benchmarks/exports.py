"""`manage.py benchmark exports`: the time to export 100,000 grants as 360Giving JSON and XLSX
(and CSV), and how much memory each export takes while it runs (it should not grow with the
number of grants: every format is written a chunk at a time).

It seeds its own throwaway database (never the one in use) in bulk with awarded grants in every
published state: organisations on each kind of register and on none, wards, the `approve` step
of each grant, and its ledger postings (the award from the pot to the grant's commitment, and a
payment from commitment to `paid` for the grants paid so far), balanced as the ledger writes
them. Stored balances are not kept in step: the export reads entries, never balances.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from django.db import connection, connections, transaction
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
from fundmgr.models import User
from transparency import threesixty

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


def _resident_kb(field: str) -> int:
    """VmRSS (resident now) or VmHWM (the most resident so far) of this process, in kB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _measure(write, path: Path) -> tuple[float, float]:
    """Seconds to write the file, and how much the process's resident memory grew while it did
    (in MB). The export runs in a forked child: the child's high-water mark starts at what it
    shares with this process, so the growth is the export's own, whatever seeding left behind.
    Python's allocation tracing would count the same but makes openpyxl ten times slower."""
    connections.close_all()  # the child opens its own connection; this one is not shared
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child: export, report, and leave without running any cleanup
        os.close(reader)
        try:
            before = _resident_kb("VmRSS")
            start = time.perf_counter()
            write(path)
            seconds = time.perf_counter() - start
            grown = max(0, _resident_kb("VmHWM") - before) / 1024
            os.write(writer, json.dumps([seconds, grown]).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as report:
        said = report.read()
    os.waitpid(child, 0)
    if not said:
        raise RuntimeError(f"The export to {path.name} failed in its child process.")
    seconds, grown = json.loads(said)
    return seconds, grown


def _json(path: Path, year: FinancialYear) -> None:
    with path.open("w", encoding="utf-8") as handle:
        threesixty.write_json(handle, year)


def _csv(path: Path, year: FinancialYear) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        threesixty.write_csv(handle, year)


def run(*, grants: int = 100_000, out=print) -> dict:
    out(f"Seeding {grants:,} awarded grants ...")
    year = seed(grants=grants, out=out)
    out(f"Exports: {Application.objects.count():,} grants on {connection.vendor}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="fundmgr-exports-") as scratch:
        files = {
            "360Giving JSON": ("grants.json", lambda p: _json(p, year)),
            "360Giving XLSX": ("grants.xlsx", lambda p: threesixty.write_xlsx(p, year)),
            "360Giving CSV": ("grants.csv", lambda p: _csv(p, year)),
        }
        for label, (name, write) in files.items():
            path = Path(scratch) / name
            seconds, peak = _measure(write, path)
            size = os.path.getsize(path) / 1024 / 1024
            out(
                f"  {label}: {seconds:.1f} s ({grants / seconds:,.0f} grants a second), "
                f"{size:.1f} MB file, resident memory grew {peak:.0f} MB"
            )
            results[label] = {"seconds": seconds, "peak_mb": peak, "file_mb": size}
        with (Path(scratch) / "grants.json").open(encoding="utf-8") as handle:
            written = len(json.load(handle)["grants"])
        assert written == grants, f"the JSON file holds {written:,} grants, not {grants:,}"
        out(f"  the JSON file holds all {written:,} grants")
    return results
