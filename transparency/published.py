"""Which grants the council publishes, and the facts published about each.

Every query here is of the council in scope (fundmgr/councils.py): a council's pages and files
hold its own grants only. The service-wide 360Giving file reads them across the service, each
grant with its own council's name, identifiers and department.

Published: every grant awarded and still standing, whatever has been paid: an offer made
(`approved`), accepted, being paid or monitored, closed, and a grant revoked after payment (money
was paid, and some may be owed back). Not published: bids never awarded, and an award that came
to nothing before any money moved: an offer that lapsed unaccepted, or a grant withdrawn after
its award (withdrawal is refused once anything is paid). Such an award is not a grant made, and
drops out of the next file.

Amounts come from the ledger: the amount disbursed is what the ledger's `paid` accounts hold for
the grant's reference (payments, less any refund and reversal), so published figures agree with
the budget statements to the penny.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    CharField,
    Count,
    DecimalField,
    Exists,
    Func,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from applications.models import REGISTER_STATES, Application, Organisation
from budgets.models import Account, Entry, FinancialYear, LedgerTransaction
from transparency import identifiers as ids
from transparency.models import StateCount
from transparency.summaries import holding

# The register's index (applications.models) is built over exactly these states, in this order.
PUBLISHED = REGISTER_STATES
# The Transparency Code's list is of grants to voluntary, community and social enterprise
# organisations: a parish council is a local authority, and a school (as the model holds it) a
# public body, so both are in the 360Giving file and the public list but not in the Code's list.
NOT_VCSE = (Organisation.Kind.PARISH, Organisation.Kind.SCHOOL)
MONEY = DecimalField(max_digits=12, decimal_places=2)
ZERO = Decimal("0.00")


def published() -> QuerySet[Application]:
    return Application.objects.filter(status__in=PUBLISHED, amount_awarded__isnull=False)


def with_award_facts(apps: QuerySet[Application]) -> QuerySet[Application]:
    """Annotate what the ledger says was paid, and the time of the latest posting for the grant
    (a payment or refund changes the published record without touching the application row).
    Two subqueries a row: for the files, read in chunks, and never for sorting. (The award's
    date is the stored `Application.awarded_at`.)"""
    paid = (
        Entry.objects.filter(
            transaction__reference=OuterRef("reference"), account__kind=Account.Kind.PAID
        )
        .order_by()
        .values("transaction__reference")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    last_posted_at = (
        LedgerTransaction.objects.filter(reference=OuterRef("reference"))
        .order_by("-pk")
        .values("created_at")[:1]
    )
    return apps.annotate(
        disbursed=Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO), output_field=MONEY),
        last_posted_at=Subquery(last_posted_at),
    )


def filtered(
    filters: Mapping[str, Any], apps: QuerySet[Application] | None = None
) -> QuerySet[Application]:
    """Published grants (or `apps`) under the public list's filters: year, fund, ward (all
    optional)."""
    apps = published() if apps is None else apps
    if year := filters.get("year"):
        apps = apps.filter(fund_year__year=year)
    if fund := filters.get("fund"):
        apps = apps.filter(fund_year__fund=fund)
    if ward := filters.get("ward"):
        apps = apps.filter(wards=ward)  # one row per application: (application, ward) is unique
    return apps


# Newest award first, through the index `application_register_order` (applications 0008):
# (awarded_at, id) of the applications in a published state only, read backwards, so a page is
# the index's next rows and there is no sort, however many grants there are. The list asks for
# the state alone, which is the index's own condition: every published state has its award
# and its time (`application_approve` sets both; applications 0007 dated earlier awards from
# their approve step), and asking for those as well would only make PostgreSQL multiply three
# guesses (it takes the conditions as independent), expect a tenth of the grants, and sort
# them all instead of walking the index.
AWARD_ORDER = ("-awarded_at", "-id")


def public_list(filters: Mapping[str, Any]) -> QuerySet[Application]:
    """The public list, newest award first: the bare rows in order (the register pages it
    with `Register`, which reads a page's ids from this and then the rows it shows)."""
    listed = Application.objects.filter(status__in=PUBLISHED)
    return filtered(filters, listed).order_by(*AWARD_ORDER)


class Register:
    """The public list as Django's Paginator reads it, in a constant number of queries
    whatever the number of grants:
    - its length is a sum of the kept summary rows (`transparency.models.StateCount`: grants
      per fund year, set of wards and state), never a count of the grants;
    - a page is read in two steps: its ids from the award index alone (no join, nothing
      worked out per row, so the planner walks the index rather than sorting every grant),
      then those rows with what the page shows (organisation, fund, year; wards prefetched)."""

    ordered = True  # Paginator's question: it is, by AWARD_ORDER

    def __init__(self, filters: Mapping[str, Any]):
        self.filters = filters
        self.in_order = public_list(filters)

    def count(self) -> int:
        rows = StateCount.objects.filter(status__in=PUBLISHED)
        if year := self.filters.get("year"):
            rows = rows.filter(fund_year__year=year)
        if fund := self.filters.get("fund"):
            rows = rows.filter(fund_year__fund=fund)
        if ward := self.filters.get("ward"):
            rows = rows.filter(holding([ward.pk]))
        return int(rows.aggregate(n=Sum("n"))["n"] or 0)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list[Application]:
        ids = list(self.in_order.values_list("pk", flat=True)[page])
        found = (
            Application.objects.select_related(
                "organisation", "fund_year__fund", "fund_year__year", "imported_grant"
            )
            .prefetch_related("wards")
            .in_bulk(ids)
        )
        return [found[pk] for pk in ids]


def years_published() -> list[FinancialYear]:
    """The financial years with at least one published grant, newest first: read from the kept
    summary rows (grants per fund year and state), never from the grants."""
    kept = StateCount.objects.filter(status__in=PUBLISHED, n__gt=0)
    return list(
        FinancialYear.objects.filter(Exists(kept.filter(fund_year__year=OuterRef("pk")))).order_by(
            "-start"
        )
    )


# --- rows for the files: every fact of a grant, read in chunks ------------------------------


@dataclass
class BenefitingWard:
    name: str
    gss_code: str


@dataclass
class GrantRow:
    """One published grant, as the files publish it. Nothing personal: the organisation's name,
    type and registered numbers, never its address, e-mail or members."""

    pk: int
    reference: str
    title: str
    purpose: str
    amount_requested: Decimal | None
    amount_awarded: Decimal
    disbursed: Decimal
    awarded_at: datetime.datetime | None
    project_start: datetime.date | None
    project_end: datetime.date | None
    updated_at: datetime.datetime
    last_posted_at: datetime.datetime | None
    status: str
    organisation_pk: int
    organisation_name: str
    organisation_kind: str
    charity_number: str
    company_number: str
    fund_code: str
    fund_name: str
    year_label: str
    council_name: str
    council_org_id: str
    council_gss_code: str
    council_prefix: str
    council_department: str
    # A past grant imported from a 360Giving file: what the export writes back as the file had
    # it (transparency.models.ImportedGrant.published); None for a grant made here.
    imported: dict | None = None
    wards: list[BenefitingWard] = field(default_factory=list)
    zone: datetime.tzinfo | None = None  # the local time zone, looked up once for a whole file

    @property
    def prefix(self) -> str:
        """The 360Giving prefix of the council that made the grant."""
        return ids.prefix_of(self.council_prefix, self.council_gss_code)

    @property
    def award_date(self) -> datetime.date | None:
        if self.awarded_at is None:
            return None
        return self.awarded_at.astimezone(self.zone or timezone.get_current_timezone()).date()

    @property
    def modified_at(self) -> datetime.datetime:
        if self.last_posted_at and self.last_posted_at > self.updated_at:
            return self.last_posted_at
        return self.updated_at


FIELDS = {  # GrantRow's fields in its order, and where each is read from
    "pk": "pk",
    "reference": "reference",
    "title": "title",
    "purpose": "purpose",
    "amount_requested": "amount_requested",
    "amount_awarded": "amount_awarded",
    "disbursed": "disbursed",
    "awarded_at": "awarded_at",
    "project_start": "project_start",
    "project_end": "project_end",
    "updated_at": "updated_at",
    "last_posted_at": "last_posted_at",
    "status": "status",
    "organisation_pk": "organisation_id",
    "organisation_name": "organisation__name",
    "organisation_kind": "organisation__kind",
    "charity_number": "organisation__charity_number",
    "company_number": "organisation__company_number",
    "fund_code": "fund_year__fund__code",
    "fund_name": "fund_year__fund__name",
    "year_label": "fund_year__year__label",
    # The grant's own council (a file of every council's grants names each one's).
    "council_name": "council__name",
    "council_org_id": "council__org_id",
    "council_gss_code": "council__gss_code",
    "council_prefix": "council__threesixty_prefix",
    "council_department": "council__department",
    "imported": "imported_grant__published",
}
CHUNK = 2000
TIMES = ("awarded_at", "updated_at", "last_posted_at")  # read as text: see `UtcText`


class UtcText(Func):
    """A time as naive UTC ISO text ('2026-05-01T09:30:00.123456'), which Python's C
    `datetime.fromisoformat` reads in a microsecond: psycopg's own reading of a timestamp (a
    regular expression and arithmetic in Python) was a fifth of the export's time. `to_char`
    writes the same text whatever the server's DateStyle; SQLite keeps times as UTC text."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sql(self, compiler, connection, template=None, **extra):
        return super().as_sql(
            compiler, connection, template=template or "CAST(%(expressions)s AS TEXT)", **extra
        )


def _utc(text: str | None) -> datetime.datetime | None:
    if text is None:
        return None
    moment = datetime.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def grant_rows(
    *, year: FinancialYear | None = None, vcse_only: bool = False, chunk: int = CHUNK
) -> Iterator[GrantRow]:
    """Every published grant (of one year, or all), oldest record first, read `chunk` at a time
    by primary key: memory stays bounded however many grants there are, and each chunk is three
    queries (its ids, the grants, then their wards), after one for the newest id.

    A chunk's ids are read first, from the applications alone, and then those rows with their
    joins and the ledger's facts: on PostgreSQL the row-level security policies' conditions
    make the planner expect a few rows where there are thousands, and asked for the next
    chunk's rows whole it joined and sorted every grant after the chunk's start, each chunk
    (on a loaded 2-core machine the service's file of ten councils' 50,000 grants took 32 s
    where one council's 5,000 took 1 s). The ids are read by ranges of ids (`_next_ids`), so
    each chunk costs the same wherever it starts."""
    chosen = published()
    if year is not None:
        chosen = chosen.filter(fund_year__year=year)
    if vcse_only:
        chosen = chosen.exclude(organisation__kind__in=NOT_VCSE)
    chosen = chosen.order_by("pk")
    apps = with_award_facts(Application.objects.all()).order_by("pk")
    zone = timezone.get_current_timezone()
    columns = [UtcText(source) if name in TIMES else source for name, source in FIELDS.items()]
    times = [n for n, name in enumerate(FIELDS) if name in TIMES]
    top = chosen.aggregate(top=Max("pk"))["top"] or 0
    last, window = 0, chunk * 2
    while last < top:
        ids, window = _next_ids(chosen, last, top, chunk, window)
        if not ids:
            return
        # Tuples in GrantRow's own field order (FIELDS is in that order): no dict a row.
        batch = list(apps.filter(pk__in=ids).values_list(*columns))
        wards: dict[int, list[BenefitingWard]] = defaultdict(list)
        through = Application.wards.through.objects.filter(
            application_id__in=[row[0] for row in batch]
        ).order_by("application_id", "ward__name")
        for app_id, name, gss in through.values_list(
            "application_id", "ward__name", "ward__gss_code"
        ):
            wards[app_id].append(BenefitingWard(name, gss))
        for row in batch:
            values = list(row)
            for n in times:
                values[n] = _utc(values[n])
            yield GrantRow(*values, wards=wards.get(row[0], []), zone=zone)
        last = ids[-1]


def _next_ids(
    chosen: QuerySet[Application], last: int, top: int, chunk: int, window: int
) -> tuple[list[int], int]:
    """The next `chunk` ids after `last` (up to `top`), and the window of ids that found them.
    Each read is of a range of ids (`last` to `last + window`), which the database reads as one
    range of its primary key index whatever it expects of the other conditions; a range that
    holds too few is widened fourfold and read again, and the next chunk starts with the width
    that served (a council's grants among many councils' ids: a few widenings, once)."""
    while True:
        upper = last + window
        ids = list(chosen.filter(pk__gt=last, pk__lte=upper).values_list("pk", flat=True)[:chunk])
        if len(ids) >= chunk or upper >= top:
            return ids, window
        window *= 4


def most_wards(*, year: FinancialYear | None = None) -> int:
    """The most wards any one published grant benefits (the spreadsheet's location columns)."""
    apps = published() if year is None else published().filter(fund_year__year=year)
    found = apps.annotate(n=Count("wards")).aggregate(most=Max("n"))["most"]
    return found or 0
