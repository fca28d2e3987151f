"""`manage.py benchmark councils --postgres`: many councils on one service (issue 18).

It seeds a throwaway PostgreSQL database with `councils` councils (300), each with
`councillors` councillors (50, two to a ward), one fund and `years` financial years (5) of
history: each fund year's budget and allocations, bids spread over every state (about four a
councillor a year, the smallest council a tenth of that and the largest nearly twice),
councillors' pledges, and the ledger: for each awarded bid its commitment, its payments and the
release of what lapsed, and councillors' transfers to ward colleagues (`TRANSFERS` a ward a year),
every transaction balanced and every stored balance equal to its entries. 300 councils: 15,000
councillors, about 300,000 bids and 2 million ledger entries.

The seeding is set-based SQL (INSERT ... SELECT over generate_series), service-wide; only the
few thousand rows of structure (councils, wards, people, councillors, staff roles, funds and fund
years) go through the ORM. The rows are inserted through the tables' triggers, so the summaries
the triggers keep (the workbench's queue counts and ward listings, the ward links' flags,
pending pledges, the finance facts, the ledger's totals per kind) are kept true as they go; the
dashboards' summaries are rebuilt once at the end, and `check_ledger`'s invariants are checked.

It seeds the first council alone and reads a balance, then the rest, and measures:

- a balance read (one councillor's allocation, as the ledger reads it: one indexed row) at one
  council and at all of them: its median time may grow at most 1.5 times, one query;
- for the smallest council, the largest and a few between: the officers' workbench, the
  councillor's home and /grants/, each at its council's address (the path prefix
  /council-NNN/), signed in as that council's grants officer or councillor (the public signed
  out): the number of queries (in this process, CaptureQueriesContext) is the same for every
  council, and through gunicorn (deploy/gunicorn.conf.py, 2 workers, loopback) each page's p95
  is at most 200 ms at each council. gunicorn connects as a role as production's must be (no
  superuser, no BYPASSRLS: made for the run when the seeding's role is a superuser), so the
  row-level security policies are paid for as a council pays for them.

`--quick`: 4 councils of 4 councillors, 2 years, a handful of requests (the test's run).
"""

from __future__ import annotations

import contextlib
import datetime
import secrets
import statistics
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

from django.db import DatabaseError, connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from applications.models import Application
from applications.workflow import Status
from budgets.models import Account, Councillor, Entry, FinancialYear, Fund, FundYear, Ward
from devtools.benchmarks.load import _free_port, _wait_listening
from devtools.benchmarks.pages import CYCLE, _check, _get, _NoRedirect, gunicorn, stop
from devtools.benchmarks.targets import Targets
from fundmgr import councils as scope
from fundmgr.models import Council, StaffRole, User
from fundmgr.roles import Role

S = Status
P95_MS = 200
BALANCE_GROWTH = 1.5
BIDS_EACH = 4  # bids a councillor a year, on average over the councils
CHUNK = 25  # councils seeded in one transaction
TRANSFERS = 20  # transfers between the two councillors of a ward, a fund year
ALLOCATION = Decimal("100000.00")
AWARDED = [S.APPROVED, S.OFFER_ACCEPTED, S.MONITORING, S.CLOSED, S.LAPSED, S.REVOKED]
PAID = [S.MONITORING, S.CLOSED]
SUPPORTED = [S.UNDER_ASSESSMENT, S.AWAITING_DECISION, S.REJECTED, *AWARDED]
PAGES = [
    ("officer workbench", "officer", "/officer/"),
    ("councillor home", "councillor", "/councillor/"),
    ("public grants", "public", "/grants/"),
]


def _sql_list(values) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]::text[]"


# --- seeding -----------------------------------------------------------------------------------


class Service:
    """The councils seeded so far, and what the measuring needs of them."""

    def __init__(self, *, councils: int, councillors: int, years: int, out) -> None:
        self.total = councils
        self.per_council = max(2, councillors - councillors % 2)
        self.out = out
        last = datetime.date.today().year - (1 if datetime.date.today().month < 4 else 0)
        self.years = [
            FinancialYear.objects.get_or_create(start=datetime.date(start, 4, 1))[0]
            for start in range(last - years + 1, last + 1)
        ]
        self.applicant, _ = User.objects.get_or_create(username="bench-applicant")
        self.councils: list[Council] = []

    def bids_a_year(self, number: int) -> int:
        """A council's bids a fund year: the first council a tenth of the average, the last
        nearly twice it."""
        share = 0.1 + 1.9 * (number - 1) / max(1, self.total - 1)
        return max(10, round(share * self.per_council * BIDS_EACH))

    def grow(self, to: int) -> float:
        """Seed councils until there are `to`, `CHUNK` councils a transaction: the seconds."""
        started = time.perf_counter()
        while len(self.councils) < to:
            first = len(self.councils) + 1
            last = min(to, first + CHUNK - 1)
            self.out(f"  councils {first} to {last}:")
            with transaction.atomic():
                made = self._structure(range(first, last + 1))
                self._history(made)
            self.councils += made
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            self.out(f"  seeded {last} councils ({time.perf_counter() - started:.0f} s)")
        scope.refresh()
        return time.perf_counter() - started

    def _structure(self, numbers: range) -> list[Council]:
        """Councils, wards, people, councillors, roles, a fund and its years: the ORM."""
        made = Council.objects.bulk_create(
            Council(
                name=f"Benchmark Council {n:03d}",
                gss_code=f"E07{n:06d}",
                slug=f"council-{n:03d}",
                threesixty_prefix=f"360G-bench{n:03d}-",
                department="Community grants",
            )
            for n in numbers
        )
        half = self.per_council // 2
        wards = Ward.objects.bulk_create(
            Ward(council=c, name=f"Ward {w:02d}", gss_code=f"E05{n:03d}{w:03d}")
            for n, c in zip(numbers, made, strict=True)
            for w in range(half)
        )
        people = User.objects.bulk_create(
            User(username=f"c{n:03d}-cllr{i:02d}", first_name="Member", last_name=f"{n}-{i}")
            for n in numbers
            for i in range(self.per_council)
        )
        Councillor.objects.bulk_create(
            Councillor(
                council=ward.council,
                user=people[k],
                ward=ward,
                name=f"Member {people[k].last_name}",
                term_start=self.years[0].start,
            )
            for k, ward in ((k, wards[k // 2]) for k in range(len(people)))
        )
        officers = User.objects.bulk_create(
            User(username=f"c{n:03d}-officer", first_name="Olu", last_name=str(n)) for n in numbers
        )
        StaffRole.objects.bulk_create(
            [
                *(
                    StaffRole(
                        user=u, council=made[k // self.per_council], role=str(Role.COUNCILLOR)
                    )
                    for k, u in enumerate(people)
                ),
                *(
                    StaffRole(user=u, council=c, role=str(Role.GRANTS_OFFICER))
                    for u, c in zip(officers, made, strict=True)
                ),
            ]
        )
        funds = Fund.objects.bulk_create(
            Fund(council=c, kind="ccif", name="Community fund", code=f"F{n:05d}")
            for n, c in zip(numbers, made, strict=True)
        )
        FundYear.objects.bulk_create(
            FundYear(
                council=fund.council,
                fund=fund,
                year=year,
                total_budget=ALLOCATION * self.per_council,
                allocation_per_councillor=ALLOCATION,
                min_award=Decimal("50.00"),
                max_award=Decimal("1500.00"),
                funded_from=FundYear.FundedFrom.ALLOCATIONS,
                delegated_limit=Decimal("1500.00"),
                opens_on=year.start,
                closes_on=year.end,
                cost_code=f"BENCH-{fund.code}-{year.start.year}",
            )
            for fund in funds
            for year in self.years
        )
        return made

    def _history(self, made: list[Council]) -> None:
        """Accounts, bids, ward links, pledges and the ledger: set-based SQL."""
        numbers = [int(c.slug.rsplit("-", 1)[1]) for c in made]
        with connection.cursor() as cursor:

            def step(label: str, sql: str, params=None) -> None:
                """`params` given: % is written %%."""
                started = time.perf_counter()
                cursor.execute(sql, params)
                self.out(
                    f"    {label}: {cursor.rowcount:,} rows ({time.perf_counter() - started:.1f} s)"
                )

            cursor.execute("DROP TABLE IF EXISTS bench_stage, bench_ward, bench_cllr, bench_org")
            cursor.execute("DROP TABLE IF EXISTS bench_app, bench_tx")
            cursor.execute("DROP SEQUENCE IF EXISTS bench_tx_id")
            cursor.execute(
                "CREATE TEMP TABLE bench_stage AS SELECT * FROM unnest(%s::bigint[], %s::int[], "
                "%s::int[]) AS s(council_id, n, bids)",
                [[c.pk for c in made], numbers, [self.bids_a_year(n) for n in numbers]],
            )
            cursor.execute(
                "CREATE TEMP TABLE bench_ward AS SELECT w.id, w.council_id, "
                "row_number() OVER (PARTITION BY w.council_id ORDER BY w.id) - 1 AS k "
                "FROM budgets_ward w JOIN bench_stage s USING (council_id)"
            )
            # The first councillor of each ward pledges its bids; the two give to each other.
            cursor.execute(
                "CREATE TEMP TABLE bench_cllr AS SELECT c.id, c.user_id, c.ward_id, c.council_id, "
                "row_number() OVER (PARTITION BY c.ward_id ORDER BY c.id) - 1 AS k "
                "FROM budgets_councillor c JOIN bench_stage s USING (council_id)"
            )
            step(
                "accounts",
                """
                INSERT INTO budgets_account (kind, reference, balance, councillor_id, fund_year_id,
                                             council_id)
                SELECT v.kind, '', 0, NULL, fy.id, fy.council_id
                FROM budgets_fundyear fy JOIN bench_stage s USING (council_id),
                     (VALUES ('source'), ('pot')) v(kind)
                UNION ALL
                SELECT v.kind, '', 0, c.id, fy.id, fy.council_id
                FROM budgets_fundyear fy JOIN bench_stage s USING (council_id)
                JOIN bench_cllr c USING (council_id), (VALUES ('allocation'), ('paid')) v(kind)
                """,
            )
            # A group for every five bids of a council, in its wards in turn.
            step(
                "organisations",
                """
                INSERT INTO applications_organisation (name, kind, charity_number, company_number,
                    address, postcode, email, phone, governing_document, safeguarding_policy,
                    created_at, ward_id)
                SELECT 'Community group ' || s.n || '-' || g.i, 'constituted_group', '', '',
                       '1 High Street', 'TV1 1AA', 'group' || s.n || '-' || g.i || '@example.org',
                       '', '', '', now(), w.id
                FROM bench_stage s
                CROSS JOIN LATERAL generate_series(0, (s.bids * %s - 1) / 5) g(i)
                JOIN bench_ward w ON w.council_id = s.council_id
                     AND w.k = g.i %% (SELECT count(*) FROM bench_ward x
                                       WHERE x.council_id = s.council_id)
                """,
                [len(self.years)],
            )
            cursor.execute(
                "CREATE TEMP TABLE bench_org AS SELECT o.id, o.ward_id, w.council_id, "
                "split_part(split_part(o.email, '@', 1), '-', 2)::int AS i "
                "FROM applications_organisation o JOIN bench_ward w ON w.id = o.ward_id"
            )
            cursor.execute("CREATE INDEX ON bench_org (council_id, i)")
            cursor.execute(
                f"""
                CREATE TEMP TABLE bench_app AS
                SELECT fy.id AS fund_year_id, fy.council_id, f.code || to_char(y.start, 'YY')
                       || '-' || lpad(g.i::text, 6, '0') AS reference,
                       -- the states in turn, 37 apart: a small council's too are spread
                       ({_sql_list(CYCLE)})[1 + ((y.n - 1) * s.bids + g.i) * 37 % {len(CYCLE)}]
                           AS status,
                       (50 + (g.i % 20) * 50)::numeric(12, 2) AS amount,
                       y.start + make_interval(mins => (g.i * 525000 / s.bids)) AS submitted,
                       o.id AS organisation_id, o.ward_id
                FROM bench_stage s
                JOIN budgets_fundyear fy USING (council_id)
                JOIN budgets_fund f ON f.id = fy.fund_id
                JOIN (SELECT x.id, x.start::timestamptz AS start, o.n::int AS n
                      FROM unnest(ARRAY[{",".join(str(y.pk) for y in self.years)}]::bigint[])
                           WITH ORDINALITY o(id, n)
                      JOIN budgets_financialyear x ON x.id = o.id) y ON y.id = fy.year_id
                CROSS JOIN LATERAL generate_series(0, s.bids - 1) g(i)
                JOIN bench_org o ON o.council_id = s.council_id
                     AND o.i = ((y.n - 1) * s.bids + g.i) / 5
                """
            )
            cursor.execute("CREATE INDEX ON bench_app (reference)")
            awarded, paid = _sql_list(AWARDED), _sql_list(PAID)
            step(
                "bids",
                f"""
                INSERT INTO applications_application (reference, status, title, purpose,
                    amount_requested, total_cost, amount_awarded, paid_to_date, created_at,
                    submitted_at, updated_at, version, created_by_id, fund_year_id,
                    organisation_id, draft_answers, awarded_at, state_since, council_id)
                SELECT reference, status, 'Project ' || reference, 'Benchmark bid.', amount,
                       amount,
                       CASE WHEN status = ANY({awarded}) THEN amount END,
                       CASE WHEN status = ANY({paid}) THEN amount
                            WHEN status = 'revoked' THEN round(amount / 2, 2) ELSE 0 END,
                       submitted - interval '1 day',
                       CASE WHEN status <> 'draft' THEN submitted END,
                       submitted + interval '10 days', 1, %s, fund_year_id, organisation_id,
                       '{{}}'::jsonb,
                       CASE WHEN status = ANY({awarded}) THEN submitted + interval '30 days' END,
                       submitted + interval '10 days', council_id
                FROM bench_app ORDER BY council_id, submitted
                """,
                [self.applicant.pk],
            )
            step(
                "ward links",
                """
                INSERT INTO applications_application_wards (application_id, ward_id,
                    awaiting_support, listed)
                SELECT a.id, b.ward_id, false, false
                FROM bench_app b JOIN applications_application a USING (reference)
                """,
            )
            step(
                "pledges",
                f"""
                INSERT INTO applications_pledge (amount, statement, status, created_at,
                    application_id, councillor_id, created_by_id, council_id)
                SELECT b.amount, 'Supported.', 'pledged', b.submitted + interval '5 days', a.id,
                       c.id, c.user_id, b.council_id
                FROM bench_app b JOIN applications_application a USING (reference)
                JOIN bench_cllr c ON c.ward_id = b.ward_id AND c.k = 0
                WHERE b.status = ANY({_sql_list(SUPPORTED)})
                """,
            )
            step(
                "commitment accounts",
                f"""
                INSERT INTO budgets_account (kind, reference, balance, councillor_id, fund_year_id,
                                             council_id)
                SELECT 'commitment', b.reference, 0, c.id, b.fund_year_id, b.council_id
                FROM bench_app b JOIN bench_cllr c ON c.ward_id = b.ward_id AND c.k = 0
                WHERE b.status = ANY({awarded})
                """,
            )
            self._ledger(step, cursor)

    def _ledger(self, step, cursor) -> None:
        """Every posting planned as one row (from account, to account, amount), then written as
        its transaction and its two entries; the balances moved once at the end."""
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM budgets_ledgertransaction")
        first = cursor.fetchone()[0]
        cursor.execute(f"CREATE TEMP SEQUENCE bench_tx_id START {first}")
        cursor.execute(
            "CREATE TEMP TABLE bench_tx (id bigint DEFAULT nextval('bench_tx_id'), "
            "council_id bigint, kind text, key text, reference text, debit bigint, "
            "credit bigint, amount numeric(12, 2))"
        )
        account = (
            "(SELECT a.id FROM budgets_account a WHERE a.fund_year_id = {fy} AND a.kind = '{kind}'"
            " AND a.councillor_id {cllr} AND a.reference = {ref})"
        )
        plan = "INSERT INTO bench_tx (council_id, kind, key, reference, debit, credit, amount) "
        fy_in_stage = "FROM budgets_fundyear fy JOIN bench_stage s USING (council_id)"
        step(
            "planned: budgets",
            plan
            + "SELECT fy.council_id, 'budget', 'budget:' || fy.id || ':1', '', "
            + account.format(fy="fy.id", kind="source", cllr="IS NULL", ref="''")
            + ", "
            + account.format(fy="fy.id", kind="pot", cllr="IS NULL", ref="''")
            + ", fy.total_budget "
            + fy_in_stage,
        )
        step(
            "planned: allocations",
            plan
            + "SELECT fy.council_id, 'allocation', 'allocate:' || fy.id || ':' || c.id, '', "
            + account.format(fy="fy.id", kind="pot", cllr="IS NULL", ref="''")
            + ", "
            + account.format(fy="fy.id", kind="allocation", cllr="= c.id", ref="''")
            + ", fy.allocation_per_councillor "
            + fy_in_stage
            + " JOIN bench_cllr c USING (council_id)",
        )
        grants = (
            " FROM bench_app b JOIN bench_cllr c ON c.ward_id = b.ward_id AND c.k = 0 "
            "WHERE b.status = ANY({states})"
        )
        allocation = account.format(fy="b.fund_year_id", kind="allocation", cllr="= c.id", ref="''")
        commitment = account.format(
            fy="b.fund_year_id", kind="commitment", cllr="= c.id", ref="b.reference"
        )
        paid = account.format(fy="b.fund_year_id", kind="paid", cllr="= c.id", ref="''")
        half = "round(b.amount / 2, 2)"
        for label, kind, key, debit, credit, amount, states in (
            ("commitments", "commitment", "'commit:'", allocation, commitment, "b.amount", AWARDED),
            ("first payments", "payment", "'pay1:'", commitment, paid, half, [*PAID, S.REVOKED]),
            ("second payments", "payment", "'pay2:'", commitment, paid, f"b.amount - {half}", PAID),
            ("releases", "release", "'release:'", commitment, allocation, "b.amount", [S.LAPSED]),
            (
                "releases of revoked",
                "release",
                "'release:'",
                commitment,
                allocation,
                f"b.amount - {half}",
                [S.REVOKED],
            ),
        ):
            step(
                f"planned: {label}",
                plan + f"SELECT b.council_id, '{kind}', {key} || b.reference, b.reference, "
                f"{debit}, {credit}, {amount}" + grants.format(states=_sql_list(states)),
            )
        step(
            "planned: transfers",
            plan
            + """
            SELECT fy.council_id, 'transfer',
                   'transfer:' || fy.id || ':' || giver.ward_id || ':' || t, '',
                   CASE WHEN t %% 2 = 0 THEN giver.account ELSE taker.account END,
                   CASE WHEN t %% 2 = 0 THEN taker.account ELSE giver.account END,
                   10 + t %% 7 * 5
            FROM budgets_fundyear fy JOIN bench_stage s USING (council_id)
            JOIN (SELECT c.ward_id, c.council_id, c.k, a.id AS account, a.fund_year_id
                  FROM bench_cllr c JOIN budgets_account a ON a.councillor_id = c.id
                  AND a.kind = 'allocation') giver
                 ON giver.fund_year_id = fy.id AND giver.k = 0
            JOIN (SELECT c.ward_id, c.k, a.id AS account, a.fund_year_id
                  FROM bench_cllr c JOIN budgets_account a ON a.councillor_id = c.id
                  AND a.kind = 'allocation') taker
                 ON taker.fund_year_id = fy.id AND taker.ward_id = giver.ward_id AND taker.k = 1
            CROSS JOIN generate_series(1, %s) t
            """,
            [TRANSFERS],
        )
        step(
            "ledger transactions",
            "INSERT INTO budgets_ledgertransaction (id, kind, idempotency_key, reference, memo, "
            "created_at, council_id) SELECT id, kind, key, reference, 'benchmark', now(), "
            "council_id FROM bench_tx ORDER BY id",
        )
        step(
            "ledger entries",
            "INSERT INTO budgets_entry (amount, account_id, transaction_id, council_id) "
            "SELECT amount, account, id, council_id FROM ("
            "SELECT -amount AS amount, debit AS account, id, council_id FROM bench_tx "
            "UNION ALL SELECT amount, credit, id, council_id FROM bench_tx) e ORDER BY id",
        )
        step(
            "balances",
            "UPDATE budgets_account a SET balance = a.balance + d.total FROM ("
            "SELECT account, sum(amount) AS total FROM ("
            "SELECT debit AS account, -amount AS amount FROM bench_tx "
            "UNION ALL SELECT credit, amount FROM bench_tx) m GROUP BY account) d "
            "WHERE a.id = d.account",
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('budgets_ledgertransaction', 'id'), "
            "(SELECT max(id) FROM budgets_ledgertransaction))"
        )

    def summaries(self) -> None:
        """The dashboards' and the register's summaries (transparency), which the services keep
        and bulk rows bypass: rebuilt once. Those of each council's bids inside its scope (a row
        made service-wide would read its parent to learn its council: a query a row); the
        service-wide spend figures once, across the service."""
        try:
            from transparency import money_summaries, summaries
        except ImportError:
            return
        from django.apps import apps

        started = time.perf_counter()
        for council in self.councils:
            with scope.acting_for(council):
                summaries.rebuild(apps)  # a registry given: these summaries, not the money's
        with scope.acting_for(scope.SERVICE):
            money_summaries.rebuild()
        self.out(f"  summaries rebuilt ({time.perf_counter() - started:.0f} s)")


# --- measuring -----------------------------------------------------------------------------


def _balance_reader(council: Council):
    """A read of one councillor's allocation balance in `council`, as the ledger reads it."""
    with scope.acting_for(council):
        member = Councillor.objects.order_by("pk").first()
        fund_year = FundYear.objects.order_by("-year__start").first()

    def read() -> Decimal:
        with scope.acting_for(council):
            return (
                Account.objects.filter(
                    fund_year_id=fund_year.pk, kind=Account.Kind.ALLOCATION, councillor=member
                )
                .values_list("balance", flat=True)
                .get()
            )

    return read


def balance_read(council: Council, reads: int) -> tuple[float, int, str]:
    """(median µs of a balance read, its queries, its plan's first line)."""
    read = _balance_reader(council)
    read()
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        read()
    sql = queries.captured_queries[-1]["sql"]
    with scope.acting_for(council), connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        plan = " / ".join(row[0].strip() for row in cursor.fetchall()[:2])
    rounds = []
    for _ in range(3):
        times = []
        for _ in range(reads):
            started = time.perf_counter()
            read()
            times.append(time.perf_counter() - started)
        rounds.append(statistics.median(times))
    return min(rounds) * 1e6, len(queries), plan


def _people(council: Council) -> dict[str, User | None]:
    from django.db.models.expressions import RawSQL

    with scope.acting_for(council):
        # A councillor with bids of their ward awaiting their support, in every council: an empty
        # list is read with fewer queries than a full one. (The ward links' flag, which their
        # triggers keep, is not a field of the through model.)
        waiting = RawSQL(
            "SELECT ward_id FROM applications_application_wards WHERE awaiting_support", []
        )
        member = (
            Councillor.objects.select_related("user")
            .filter(ward_id__in=waiting)
            .order_by("pk")
            .first()
        ) or Councillor.objects.select_related("user").order_by("pk").first()
    assert member is not None
    return {
        "officer": User.objects.get(username=f"{council.slug.replace('council-', 'c')}-officer"),
        "councillor": member.user,
        "public": None,
    }


def _clients(measured: list[Council]) -> dict[tuple[int, str], Client]:
    clients = {}
    for council in measured:
        for role, user in _people(council).items():
            client = Client(raise_request_exception=False)
            if user is not None:
                client.force_login(user)
            clients[(council.pk, role)] = client
    return clients


def _queries(client: Client, url: str) -> tuple[int, int, float]:
    """(status, queries, the slowest query's ms) of the page in this process, warmed up."""
    client.get(url)
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        status = client.get(url).status_code
    slowest = max((float(q["time"]) for q in queries.captured_queries), default=0.0)
    return status, len(queries), slowest * 1000


APP_ROLE = "fundmgr_bench_app"


@contextlib.contextmanager
def _as_the_service(out) -> Iterator[str]:
    """The URL gunicorn connects with: a role as production's must be (docs/operating.md: no
    superuser, no BYPASSRLS), so that row-level security holds for the pages as it does for a
    council. The seeding's own role when it is one already; else one made for the run, given
    the tables and dropped after."""
    settings_dict = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        privileged = cursor.fetchone()[0]
    own = {
        "user": settings_dict["USER"],
        "password": settings_dict["PASSWORD"],
        "host": settings_dict["HOST"],
        "port": settings_dict["PORT"],
        "name": settings_dict["NAME"],
    }
    if not privileged:
        out(f"  gunicorn connects as {own['user']} (no superuser, no BYPASSRLS)")
        yield _url(own)
        return
    password = secrets.token_hex(16)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {APP_ROLE}")
        cursor.execute(
            f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %s", [password]
        )
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    out(f"  gunicorn connects as {APP_ROLE} (no superuser, no BYPASSRLS), as production's role")
    try:
        yield _url({**own, "user": APP_ROLE, "password": password})
    finally:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"DROP OWNED BY {APP_ROLE}")
                cursor.execute(f"DROP ROLE IF EXISTS {APP_ROLE}")
        except DatabaseError as error:  # a connection of the server's not yet closed
            out(f"  the role {APP_ROLE} is left on the server: {error}")


def _url(parts: dict) -> str:
    user = quote(parts["user"] or "", safe="")
    password = f":{quote(parts['password'], safe='')}" if parts["password"] else ""
    host = parts["host"] or "localhost"
    port = f":{parts['port']}" if parts["port"] else ""
    return f"postgres://{user}{password}@{host}{port}/{parts['name']}"


def measure(measured: list[Council], runs: int, out) -> dict:
    """Each page of each measured council: its queries in this process, its times through
    gunicorn. Keyed by (label, council number)."""
    urllib.request.install_opener(urllib.request.build_opener(_NoRedirect))
    clients = _clients(measured)
    cookies = {
        key: "; ".join(f"{k}={v.value}" for k, v in c.cookies.items()) for key, c in clients.items()
    }
    counted = {}
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    with override_settings(ALLOWED_HOSTS=["testserver", "localhost"], DEBUG=False):
        for council in measured:
            for label, role, path in PAGES:
                url = f"/{council.slug}{path}"
                counted[(label, council.pk)] = _queries(clients[(council.pk, role)], url)
    port = _free_port()
    results: dict = {}
    with (
        tempfile.TemporaryDirectory(prefix="fundmgr-councils-") as scratch,
        _as_the_service(out) as service_url,
    ):
        server = gunicorn(Path(scratch), port, DATABASE_URL=service_url)
        try:
            _wait_listening(server, port)
            for council in measured:  # each worker has imported what the pages need
                for _ in range(3):
                    for _label, role, path in PAGES:
                        _get(port, f"/{council.slug}{path}", cookies[(council.pk, role)])
            times: dict = {key: [] for key in counted}
            codes: dict = {key: set() for key in counted}
            for _ in range(runs):  # the councils in turn, as a shared service serves them
                for council in measured:
                    for label, role, path in PAGES:
                        code, ms = _get(port, f"/{council.slug}{path}", cookies[(council.pk, role)])
                        times[(label, council.pk)].append(ms)
                        codes[(label, council.pk)].add(code)
            for council in measured:
                with scope.acting_for(council):
                    bids = Application.objects.count()
                out(f"  {council.slug}: {bids:,} bids")
                for label, _role, path in PAGES:
                    key = (label, council.pk)
                    spread = sorted(times[key])
                    p95 = spread[min(len(spread) - 1, round(0.95 * (len(spread) - 1)))]
                    status, queries, slowest = counted[key]
                    code = max(codes[key])
                    results[key] = {
                        "status": code if status == 200 else status,
                        "median": statistics.median(spread),
                        "p95": p95,
                        "queries": queries,
                    }
                    out(
                        f"  {label} (/{council.slug}{path}): {code}, median "
                        f"{statistics.median(spread):.1f} ms, p95 {p95:.1f} ms over {runs} runs, "
                        f"{queries} queries (slowest {slowest:.1f} ms)"
                    )
        finally:
            stop(server, out)
    return results


def _sizes(out) -> None:
    with scope.acting_for(scope.SERVICE):
        out(
            f"  sizes: {Council.objects.count():,} councils, {Councillor.objects.count():,} "
            f"councillors, {FundYear.objects.count():,} fund years, "
            f"{Application.objects.count():,} applications, {Entry.objects.count():,} ledger "
            f"entries"
        )


def run(
    *,
    councils: int = 300,
    councillors: int = 50,
    years: int = 5,
    quick: bool = False,
    out=print,
) -> dict:
    if connection.vendor != "postgresql":
        raise SystemExit("benchmark councils seeds with PostgreSQL's SQL: run it with --postgres")
    if quick:
        councils, councillors, years = min(councils, 4), min(councillors, 4), min(years, 2)
    runs, reads = (4, 50) if quick else (40, 500)
    out(
        f"Councils on {connection.vendor}: {councils} councils x {councillors} councillors x "
        f"{years} years"
    )
    service = Service(councils=councils, councillors=councillors, years=years, out=out)
    targets = Targets(out)
    out("Seeding the first council ...")
    seconds = service.grow(1)
    out(f"  seeding took {seconds:.1f} s")
    alone = balance_read(service.councils[0], reads)
    out(f"  balance read at 1 council: {alone[0]:.0f} µs, {alone[1]} query ({alone[2]})")
    out(f"Seeding the other {councils - 1} councils ...")
    seconds = service.grow(councils)
    out(f"  seeding took {seconds:.1f} s")
    service.summaries()
    _sizes(out)
    _check(out)
    every = balance_read(service.councils[0], reads)
    largest = balance_read(service.councils[-1], reads)
    out(f"  balance read at {councils} councils: {every[0]:.0f} µs ({every[2]})")
    out(f"  balance read in the largest council: {largest[0]:.0f} µs")
    numbers = sorted({1, councils // 4, councils // 2, 3 * councils // 4, councils} - {0})
    measured = [service.councils[n - 1] for n in numbers]
    out(f"Pages of {len(measured)} councils (gunicorn, deploy/gunicorn.conf.py, 2 workers):")
    results = measure(measured, runs, out)
    out("Targets:")
    targets.exactly("balance read: queries", every[1], 1)
    targets.at_most(
        f"balance read: {councils} councils / 1 council", every[0] / alone[0], BALANCE_GROWTH, "x"
    )
    targets.at_most(
        "balance read: the largest council / 1 council", largest[0] / alone[0], BALANCE_GROWTH, "x"
    )
    smallest, biggest = measured[0], measured[-1]
    for label, _role, _path in PAGES:
        for council in measured:
            r = results[(label, council.pk)]
            if r["status"] != 200:
                targets.exactly(f"{label} at {council.slug}: status", r["status"], 200)
                continue
            targets.at_most(f"{label} at {council.slug}: p95", r["p95"], P95_MS, "ms")
        few, many = results[(label, smallest.pk)], results[(label, biggest.pk)]
        targets.exactly(
            f"{label}: queries at {biggest.slug} (largest) = at {smallest.slug} (smallest)",
            many["queries"],
            few["queries"],
        )
    targets.summary()
    return results
