"""`manage.py benchmark pages`: server time of the officer workbench and the councillor dashboard.

It seeds its own throwaway database (never the one in use) with a council's worth of bids in
every state, written in bulk (valid rows: organisations, fund years, wards, councillors, pledges
and a log row per step), then requests each page through Django's test client, signed in, and
prints the median time and the number of queries of each.
"""

from __future__ import annotations

import datetime
import statistics
import time
import warnings
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from applications.models import Application, Organisation, Pledge, TransitionLog
from applications.workflow import Status
from budgets import ledger
from budgets.models import Council, Councillor, FinancialYear, Fund, FundYear, Ward
from fundmgr.models import User
from fundmgr.roles import Role

S = Status
# How a year's bids are spread over the states: (state, share), the shares adding to 100.
SPREAD = [
    (S.DRAFT, 6),
    (S.SUBMITTED, 8),
    (S.INELIGIBLE, 4),
    (S.AWAITING_SUPPORT, 10),
    (S.UNDER_ASSESSMENT, 8),
    (S.AWAITING_DECISION, 8),
    (S.APPROVED, 6),
    (S.REJECTED, 8),
    (S.OFFER_ACCEPTED, 6),
    (S.MONITORING, 10),
    (S.CLOSED, 16),
    (S.LAPSED, 3),
    (S.WITHDRAWN, 5),
    (S.REVOKED, 2),
]
AWARDED = {S.APPROVED, S.OFFER_ACCEPTED, S.MONITORING, S.CLOSED, S.LAPSED, S.REVOKED}
PAID = {S.MONITORING, S.CLOSED, S.REVOKED}
SUPPORTED = {
    S.UNDER_ASSESSMENT,
    S.AWAITING_DECISION,
    S.REJECTED,
    *AWARDED,
}


def _states(n: int) -> list[str]:
    cycle = [state for state, share in SPREAD for _ in range(share)]
    return [cycle[i % len(cycle)] for i in range(n)]


def seed(*, applications: int, councillors: int, out) -> tuple[User, Councillor]:
    council = Council.objects.create(name="Benchmark District", gss_code="E07000996")
    year = FinancialYear.objects.create(start=datetime.date(2026, 4, 1))
    ccif = FundYear.objects.create(
        fund=Fund.objects.create(council=council, kind="ccif", name="Community fund", code="CCIF"),
        year=year,
        allocation_per_councillor=Decimal("1000000.00"),
        min_award=Decimal("50.00"),
        max_award=Decimal("1500.00"),
        funded_from=FundYear.FundedFrom.ALLOCATIONS,
        delegated_limit=Decimal("1500.00"),
        opens_on=year.start,
        closes_on=year.end,
        cost_code="BENCH-1",
    )
    caf = FundYear.objects.create(
        fund=Fund.objects.create(
            council=council, kind="community_asset", name="Asset fund", code="CAF"
        ),
        year=year,
        min_award=Decimal("1000.00"),
        max_award=Decimal("25000.00"),
        funded_from=FundYear.FundedFrom.CENTRAL_POT,
        councillor_support_required=False,
        delegated_limit=Decimal("5000.00"),
        opens_on=year.start,
        closes_on=year.end,
        cost_code="BENCH-2",
    )
    wards = Ward.objects.bulk_create(
        Ward(council=council, name=f"Ward {i}", gss_code=f"E0560{i:04d}")
        for i in range(max(1, councillors // 2))
    )
    people = User.objects.bulk_create(
        User(username=f"cllr{i}", first_name="Member", last_name=str(i)) for i in range(councillors)
    )
    members = Councillor.objects.bulk_create(
        Councillor(user=u, ward=wards[i % len(wards)], name=f"Member {i}", term_start=year.start)
        for i, u in enumerate(people)
    )
    Group.objects.get_or_create(name=Role.COUNCILLOR)[0].user_set.add(*people)
    officer = User.objects.create(username="bench-officer", first_name="Olu", last_name="Bench")
    Group.objects.get_or_create(name=Role.GRANTS_OFFICER)[0].user_set.add(officer)
    applicant = User.objects.create(username="bench-applicant")
    ledger.budget_set(fund_year=ccif, total=Decimal("1000000.00") * councillors, by=None)
    ledger.allocate_year(fund_year=ccif, by=None)
    ledger.budget_set(fund_year=caf, total=Decimal("10000000.00"), by=None)

    groups = Organisation.objects.bulk_create(
        Organisation(
            name=f"Community group {i}",
            kind=Organisation.Kind.CONSTITUTED_GROUP,
            address="1 High Street",
            postcode="TV1 1AA",
            ward=wards[i % len(wards)],
            email=f"group{i}@example.org",
        )
        for i in range(max(1, applications // 5))
    )
    ward_councillors = {}
    for m in members:
        ward_councillors.setdefault(m.ward_id, m)

    started = time.perf_counter()
    now = timezone.now()
    batch = 2000
    for first in range(0, applications, batch):
        states = _states(applications)[first : first + batch]
        rows = []
        for n, state in enumerate(states, start=first):
            fund_year = caf if n % 4 == 3 else ccif
            amount = Decimal(fund_year.min_award + (n % 20) * 50)
            awarded = amount if state in AWARDED else None
            rows.append(
                Application(
                    fund_year=fund_year,
                    organisation=groups[n % len(groups)],
                    reference=f"{fund_year.fund.code}26-{n:06d}",
                    status=state,
                    title=f"Project {n}",
                    purpose="Benchmark bid.",
                    amount_requested=amount,
                    total_cost=amount,
                    amount_awarded=awarded,
                    paid_to_date=awarded if state in PAID else Decimal("0.00"),
                    created_by=applicant,
                    submitted_at=None if state == S.DRAFT else now,
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
                    transition="submit",
                    from_state=S.DRAFT,
                    to_state=S.SUBMITTED,
                    by=applicant,
                )
                for a in apps
                if a.status != S.DRAFT
            )
            Pledge.objects.bulk_create(
                Pledge(
                    application_id=a.pk,
                    councillor=ward_councillors[a.organisation.ward_id],
                    amount=a.amount_requested if a.fund_year_id == ccif.pk else Decimal("0"),
                    statement="Supported.",
                    created_by=ward_councillors[a.organisation.ward_id].user,
                )
                for a in apps
                if a.status in SUPPORTED and a.organisation.ward_id in ward_councillors
            )
        out(f"  seeded {first + len(rows):,} applications ({time.perf_counter() - started:.0f} s)")
    return officer, members[0]


def _measure(client: Client, url: str, runs: int) -> tuple[float, int, int]:
    """Median milliseconds over `runs` requests (after one to warm up), queries, status."""
    reset_queries()  # the log is bounded: seeding in DEBUG may have filled it
    with CaptureQueriesContext(connection) as queries:
        status = client.get(url).status_code
    count = len(queries)  # now: the next request empties the query log
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), count, status


def run(*, applications: int = 10_000, councillors: int = 100, runs: int = 5, out=print) -> dict:
    out(f"Seeding {applications:,} applications across {councillors} councillors ...")
    officer, councillor = seed(applications=applications, councillors=councillors, out=out)
    out(f"Pages: {Application.objects.count():,} applications on {connection.vendor}")
    results = {}
    # WhiteNoise looks for collectstatic's output, which only production builds.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        pages = [
            ("Officer workbench", officer, "decisions:workbench", ""),
            ("Officer workbench, a queue", officer, "decisions:workbench", "?state=submitted"),
            ("Officer workbench, searched", officer, "decisions:workbench", "?q=group+7&page=2"),
            ("Councillor dashboard", councillor.user, "councillor:dashboard", ""),
        ]
        for label, user, name, query in pages:
            try:
                url = reverse(name) + query
            except NoReverseMatch:
                out(f"  {label}: not available yet ({name} does not resolve)")
                continue
            client = Client()
            client.force_login(user)
            median, queries, status = _measure(client, url, runs)
            if status != 200:
                out(f"  {label} ({url}): answered {status}, not timed")
                continue
            out(f"  {label} ({url}): median {median:.1f} ms over {runs} runs, {queries} queries")
            results[label] = {"ms": median, "queries": queries}
    return results
