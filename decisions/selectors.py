"""Reads for the grants officer's pages: the workbench, an application's file, panels.

Each read makes a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OrderBy,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from applications.models import Application, BankAccount, Organisation, Pledge, TransitionLog
from applications.rules import beyond_delegated_limit
from applications.workflow import Status
from budgets.models import Entry, LedgerTransaction
from decisions.models import (
    Assessment,
    Decision,
    PanelItem,
    PanelMeeting,
    PanelMembership,
    QueueCount,
)
from fundmgr import access
from fundmgr.models import User
from fundmgr.money import pounds

S = Status


@dataclass(frozen=True)
class QueueSpec:
    status: str
    action: str  # what the queue waits for, in the officer's words
    officer: bool  # True when it waits for a grants officer


# What waits for an officer first, in the order they work; then everything else.
QUEUES = [
    QueueSpec(S.SUBMITTED, "Check eligibility", True),
    QueueSpec(S.UNDER_ASSESSMENT, "Assess", True),
    QueueSpec(S.AWAITING_DECISION, "Decide", True),
    QueueSpec(S.OFFER_ACCEPTED, "Finance to pay", True),
    QueueSpec(S.MONITORING, "Monitor and close", True),
    QueueSpec(S.AWAITING_SUPPORT, "Waiting for councillors", False),
    QueueSpec(S.APPROVED, "Waiting for the group to accept", False),
    QueueSpec(S.DRAFT, "Being written by the group", False),
    QueueSpec(S.INELIGIBLE, "Not eligible", False),
    QueueSpec(S.REJECTED, "Not funded", False),
    QueueSpec(S.CLOSED, "Closed", False),
    QueueSpec(S.LAPSED, "Offer lapsed", False),
    QueueSpec(S.WITHDRAWN, "Withdrawn", False),
    QueueSpec(S.REVOKED, "Revoked", False),
]
PRIORITY = {q.status: n for n, q in enumerate(QUEUES)}


@dataclass
class Queue:
    spec: QueueSpec
    count: int

    @property
    def status(self) -> str:
        return self.spec.status

    @property
    def label(self) -> str:
        return Status(self.spec.status).label


# Grants officers work the applications; auditors may read them (fundmgr.access's rules).
may_read_applications = access.reads_applications
is_grants_officer = access.grants_officer


# --- the workbench --------------------------------------------------------------------------


def _filtered(filters: Mapping[str, Any], *, with_state: bool) -> QuerySet[Application]:
    apps = Application.objects.all()
    if fund := filters.get("fund"):
        apps = apps.filter(fund_year__fund=fund)
    if year := filters.get("year"):
        apps = apps.filter(fund_year__year=year)
    if (low := filters.get("amount_from")) is not None:
        apps = apps.filter(amount_requested__gte=low)
    if (high := filters.get("amount_to")) is not None:
        apps = apps.filter(amount_requested__lte=high)
    if text := (filters.get("q") or "").strip():
        # The bids found, by reference or by group, as one set of ids: PostgreSQL finds each
        # side from a trigram index (decisions/migrations/0006_workbench_search.py) and reads
        # only those bids. An OR, across the join to the groups or of two subqueries, could
        # only be asked of every bid in turn.
        groups = Organisation.objects.filter(name__icontains=text).values("pk")
        found = (
            _by_reference(Application.objects.all(), text)
            .order_by()
            .values("pk")
            .union(Application.objects.filter(organisation__in=groups).order_by().values("pk"))
        )
        apps = apps.filter(pk__in=found)
    state = filters.get("state") if with_state else None
    if with_state:
        if state:
            apps = apps.filter(status=state)
        else:
            apps = apps.exclude(status=S.DRAFT)  # a group's unfinished draft is not work yet
    if ward := filters.get("ward"):
        if not _by_ward_listing():
            return apps.filter(wards=ward)  # one row per bid: (application, ward) is unique
        # The bid's row for the ward (decisions.models.WardListing), in one filter so that the
        # list is ordered by the same row: its priority is that of the state asked for (none for
        # a draft), which is what its index (ward_listing_order) holds.
        listing: dict[str, Any] = {}
        if state == S.DRAFT:
            listing["ward_listings__priority__isnull"] = True
        elif state:
            listing["ward_listings__priority"] = PRIORITY[state]
        elif with_state:
            listing["ward_listings__priority__isnull"] = False
        apps = apps.filter(ward_listings__ward=ward, **listing)
    return apps


def _by_ward_listing() -> bool:
    """Whether a ward's bids are found by their WardListing rows: kept on PostgreSQL only."""
    return connection.vendor == "postgresql"


def _holding(ward_id: int) -> Q:
    """QueueCount rows whose set of wards (ids in order, comma-joined) holds this ward."""
    w = str(ward_id)
    return (
        Q(wards=w)
        | Q(wards__startswith=f"{w},")
        | Q(wards__endswith=f",{w}")
        | Q(wards__contains=f",{w},")
    )


def _kept_counts(filters: Mapping[str, Any]) -> dict[str, int] | None:
    """Each state's count under the filters from the kept counts (decisions.models.QueueCount:
    a sum of a few rows, however many bids), or None where they cannot answer: not on
    PostgreSQL, or a search or amounts asked for (those count the bids they find)."""
    if connection.vendor != "postgresql" or (filters.get("q") or "").strip():
        return None
    if filters.get("amount_from") is not None or filters.get("amount_to") is not None:
        return None
    rows = QueueCount.objects.all()
    if fund := filters.get("fund"):
        rows = rows.filter(fund_year__fund=fund)
    if year := filters.get("year"):
        rows = rows.filter(fund_year__year=year)
    if ward := filters.get("ward"):
        rows = rows.filter(_holding(ward.pk))
    return {
        status: int(n)
        for status, n in rows.order_by()
        .values("status")
        .annotate(n=Sum("n"))
        .values_list("status", "n")
    }


def _search_sides(
    filters: Mapping[str, Any], *, with_state: bool
) -> tuple[QuerySet[Application], QuerySet[Application]] | None:
    """A search's two sides under the other filters: the bids whose reference holds the text,
    and those whose group's name does (on PostgreSQL each from its trigram index, decisions
    0006, the second through the groups' bids' covering index, decisions 0009). None without a
    search."""
    text = (filters.get("q") or "").strip()
    if not text:
        return None
    base = _filtered({**filters, "q": ""}, with_state=with_state).order_by()
    groups = Organisation.objects.filter(name__icontains=text).values("pk")
    return _by_reference(base, text), base.filter(organisation__in=groups)


def _by_reference(bids: QuerySet[Application], text: str) -> QuerySet[Application]:
    """The bids whose reference holds the text, in any case. On PostgreSQL their ids come from
    decisions_reference_search's trigram index, among the council in scope's (decisions 0011
    says why: under row-level security the index on the bids themselves cannot be used)."""
    if connection.vendor != "postgresql":
        return bids.filter(reference__icontains=text)
    from fundmgr import councils

    pattern = f"%{connection.ops.prep_for_like_query(text.upper())}%"
    council = councils.current_id()
    if council is None and councils.scope() != councils.SERVICE:
        return bids.none()
    ids = RawSQL(
        "SELECT application_id FROM decisions_reference_search WHERE reference LIKE %s"
        + ("" if council is None else " AND council_id = %s"),
        [pattern] if council is None else [pattern, council],
    )
    return bids.filter(pk__in=ids)


def _searched_counts(filters: Mapping[str, Any]) -> dict[str, int] | None:
    """Each state's count of the bids a search finds: the two sides' (id, state) as one set,
    counted by state, without reading the bids it does not find. None without a search."""
    sides = _search_sides(filters, with_state=False)
    if sides is None:
        return None
    by_reference, by_group = (side.values("pk", "status") for side in sides)
    sql, params = by_reference.union(by_group).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT status, COUNT(*) FROM ({sql}) found GROUP BY status", params)
        return {status: n for status, n in cursor.fetchall()}


class SearchedList:
    """A searched list in the workbench's default order, read a page at a time: the page's ids
    from the two sides of the search (decisions.selectors._search_sides: only the bids found,
    in the list's order), then those bids' rows. Asked of the whole list (with its filters)
    PostgreSQL joined every bid to the bids found and sorted them all, for any page.
    `queues(page)` counts the bids found by state and finds that page's ids in one statement,
    so that the bids found are read once for both."""

    def __init__(self, filters: Mapping[str, Any], rows: QuerySet[Application]):
        self.filters, self.rows = filters, rows
        self._ids: dict[int, tuple[int, list[int]]] = {}  # start: (rows asked, ids found)

    def queues(self, page: slice) -> list[Queue]:
        """Every state's count of the bids found (as `queues`), and the ids of `page` of the
        list, kept for when the page is asked for."""
        sides = _search_sides(self.filters, with_state=False)
        assert sides is not None
        by_reference, by_group = (side.values("pk", "status", "submitted_at") for side in sides)
        found, params = by_reference.union(by_group).query.sql_with_params()
        state = self.filters.get("state")
        places = list(PRIORITY.items())
        priority = " ".join("WHEN status = %s THEN %s" for _ in places)
        sql = f"""
            WITH found (pk, status, submitted_at) AS ({found})
            SELECT status, COUNT(*), CAST(NULL AS BIGINT), MIN(submitted_at)
            FROM found GROUP BY status
            UNION ALL
            SELECT * FROM (
                SELECT status, CAST(NULL AS BIGINT), pk, submitted_at FROM found
                WHERE status {"=" if state else "<>"} %s
                ORDER BY CASE {priority} ELSE %s END, submitted_at IS NULL, submitted_at, pk
                LIMIT %s OFFSET %s
            ) AS page"""
        params = (
            *params,
            state or S.DRAFT,
            *(v for place in places for v in place),
            len(places),
            page.stop - page.start,
            page.start,
        )
        counts: dict[str, int] = {}
        rows = []
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for status, n, pk, submitted_at in cursor.fetchall():
                if pk is None:
                    counts[status] = n
                else:
                    rows.append((PRIORITY[status], submitted_at is None, submitted_at or "", pk))
        # The page's rows come through the UNION ALL in no promised order: put them in the
        # list's (the same keys as the ORDER BY; drafts are in a page of their own).
        self._ids[page.start] = (page.stop - page.start, [row[-1] for row in sorted(rows)])
        return [Queue(spec, counts.get(spec.status, 0)) for spec in QUEUES]

    def __getitem__(self, page: slice) -> list[Application]:
        asked, found = self._ids.get(page.start, (0, []))
        # The paginator asks for the last page's rows up to the list's end: fewer than were
        # looked for, and all of them found already.
        ids = found[: page.stop - page.start] if page.stop - page.start <= asked else None
        if ids is None:
            ids = self._page_ids(page)
        rows = {app.pk: app for app in self.rows.filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]

    def _page_ids(self, page: slice) -> list[int]:
        sides = _search_sides(self.filters, with_state=True)
        assert sides is not None
        one_state = bool(self.filters.get("state"))
        keys = ["pk", "submitted_at"] if one_state else ["pk", "priority", "submitted_at"]
        by_reference, by_group = (
            side.annotate(priority=_priority()).values(*keys) for side in sides
        )
        order = [F("submitted_at").asc(nulls_last=True), F("pk").asc()]
        found = by_reference.union(by_group).order_by(
            *(order if one_state else [F("priority").asc(), *order])
        )
        return [row["pk"] for row in found[page]]


def workbench_list(
    filters: Mapping[str, Any], applications: QuerySet[Application], *, sort: str | None
) -> QuerySet[Application] | SearchedList:
    """What the workbench pages: a search in the default order a page of ids at a time
    (SearchedList), else the list itself (`applications`, from workbench_applications)."""
    if sort in _SORT_COLUMNS or not (filters.get("q") or "").strip():
        return applications
    return SearchedList(filters, workbench_applications({**filters, "q": ""}))


def queues(filters: Mapping[str, Any]) -> list[Queue]:
    """Every state's count under the filters (the state filter aside): one query, of the kept
    counts on PostgreSQL, of the bids a search finds, else an aggregate of the bids."""
    counts = _kept_counts(filters)
    if counts is None:
        counts = _searched_counts(filters)
    if counts is None:
        counts = {
            row["status"]: row["n"]
            for row in _filtered(filters, with_state=False)
            .order_by()
            .values("status")
            .annotate(n=Count("pk"))
        }
    return [Queue(spec, counts.get(spec.status, 0)) for spec in QUEUES]


def listed(queues: list[Queue], state: str | None) -> int:
    """How many bids the list holds, from its queues' counts: the state's, else every state's
    but drafts' (as decisions.selectors.workbench_applications lists them)."""
    if state:
        return sum(q.count for q in queues if q.status == state)
    return sum(q.count for q in queues if q.status != S.DRAFT)


# How each column of the workbench sorts (decisions.workbench_forms.SORT_KEYS names them): the
# expressions ordered by, ascending. Days waiting counts up as the day it began goes back.
_SORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "received": ("submitted_at",),
    "reference": ("reference",),
    "group": ("organisation__name", "title"),
    "ward": ("first_ward",),
    "fund": ("fund_year__fund__code", "fund_year__year__start"),
    "amount": ("amount_requested",),
    "status": ("priority",),
    "waiting": ("-waiting_since",),
}


def _ordering(
    sort: str | None, descending: bool, *, one_state: bool = False, ward: bool = False
) -> list[OrderBy]:
    """The ORDER BY. The default is read from an index in order, a page without sorting every
    bid (decisions/migrations/0004_workbench_order.py): the queues' order over every state
    (`priority`, the CASE that migration copies), or within one state its own order; within a
    ward, the same order from the ward's listing rows (decisions/migrations/0008)."""
    if sort not in _SORT_COLUMNS and ward:
        order = [
            F("ward_listings__submitted_at").asc(nulls_last=True),
            F("ward_listings__application").asc(),
        ]
        return order if one_state else [F("ward_listings__priority").asc(), *order]
    if sort not in _SORT_COLUMNS:  # what waits first: the queues' order, oldest first
        if one_state:  # one queue: its priority is the same for every row
            return [F("submitted_at").asc(nulls_last=True), F("pk").asc()]
        return [F("priority").asc(), F("submitted_at").asc(nulls_last=True), F("pk").asc()]
    order = []
    for name in _SORT_COLUMNS[sort]:
        flipped = name.startswith("-") != descending
        expression = F(name.lstrip("-"))
        order.append(
            expression.desc(nulls_last=True) if flipped else expression.asc(nulls_last=True)
        )
    return [*order, F("reference").asc()]  # the same rows in the same order, every time


def _priority() -> Case:
    """A state's place in the queues' order (PRIORITY): the CASE decisions 0004 indexed."""
    return Case(
        *[When(status=status, then=Value(n)) for status, n in PRIORITY.items()],
        default=Value(len(PRIORITY)),
        output_field=IntegerField(),
    )


def workbench_applications(
    filters: Mapping[str, Any], *, sort: str | None = None, descending: bool = False
) -> QuerySet[Application]:
    """The list, sorted by a column (`sort`, one of decisions.workbench_forms.SORT_KEYS), else
    what waits for an officer first, oldest first within each state. Each row carries
    `waiting_since`: when it came into its present state."""
    priority = _priority()
    if connection.vendor == "postgresql":  # kept by a trigger: applications/migrations/0009
        in_state_since: Any = F("state_since")
    else:  # elsewhere (SQLite, for tests) read from the last step's log
        last_step = TransitionLog.objects.filter(application=OuterRef("pk")).order_by("-pk")
        in_state_since = Subquery(last_step.values("at")[:1])
    first_ward = Application.wards.through.objects.filter(application=OuterRef("pk")).order_by(
        "ward__name"
    )
    return (
        _filtered(filters, with_state=True)
        .select_related("organisation", "fund_year__fund", "fund_year__year")
        .annotate(
            priority=priority,
            # The expression of the index decisions/migrations/0006_workbench_search.py made.
            waiting_since=Coalesce(in_state_since, F("submitted_at"), F("created_at")),
            first_ward=Subquery(first_ward.values("ward__name")[:1]),
        )
        .order_by(
            *_ordering(
                sort,
                descending,
                one_state=bool(filters.get("state")),
                ward=bool(filters.get("ward")) and _by_ward_listing(),
            )
        )
    )


def days_waiting(app: Application, today: datetime.date) -> int:
    """Whole days since the application came into its present state (`waiting_since`)."""
    since: datetime.datetime = app.waiting_since  # type: ignore[attr-defined]
    return max(0, (today - timezone.localtime(since).date()).days)


# --- one application's file -----------------------------------------------------------------


def application_file(reference: str) -> Application:
    """An application with everything its officer page shows, in a fixed number of queries."""
    return (
        Application.objects.select_related(
            "organisation__ward", "fund_year__fund", "fund_year__year", "created_by"
        )
        .prefetch_related(
            "wards",
            "budget_lines",
            "match_funding_sources",
            "monitoring_reports",
            Prefetch("attachments", queryset=_attachments()),
            Prefetch(
                "pledges",
                queryset=Pledge.objects.select_related("councillor__ward", "created_by"),
            ),
            "declarations__user",
            "declarations__panel_meeting",
            Prefetch("transitions", queryset=TransitionLog.objects.select_related("by")),
            Prefetch("assessments", queryset=Assessment.objects.select_related("assessor")),
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("decided_by", "panel_item__meeting"),
            ),
            Prefetch(
                "panel_items",
                queryset=PanelItem.objects.select_related("meeting").order_by("meeting__date"),
            ),
        )
        .get(reference=reference)
    )


def _attachments():
    from applications.models import Attachment

    return Attachment.objects.select_related("uploaded_by")


def bank_accounts(application: Application) -> list[BankAccount]:
    """The group's current bank details first, then earlier ones."""
    return list(
        application.organisation.bank_accounts.select_related("entered_by", "checked_by").order_by(
            "-pk"
        )[:5]
    )


@dataclass
class PostingLine:
    account: str
    amount: Decimal


@dataclass
class Posting:
    transaction: LedgerTransaction
    lines: list[PostingLine]


def postings(reference: str) -> list[Posting]:
    """The ledger postings made for a grant reference, each with its entries: two queries."""
    entries = Entry.objects.select_related(
        "account__councillor", "account__fund_year__fund", "account__fund_year__year"
    ).order_by("pk")
    found = (
        LedgerTransaction.objects.filter(reference=reference)
        .select_related("created_by")
        .prefetch_related(Prefetch("entries", queryset=entries))
        .order_by("pk")
    )
    return [
        Posting(t, [PostingLine(e.account.short_label(), e.amount) for e in t.entries.all()])
        for t in found
    ]


def pledged_total(application: Application) -> Decimal:
    """What councillors have pledged, from the prefetched pledges."""
    return sum(
        (p.amount for p in application.pledges.all() if p.status == Pledge.Status.PLEDGED),
        Decimal("0.00"),
    )


def what_happens_next(app: Application) -> str:
    """What happens next, in a sentence."""
    fy = app.fund_year
    match app.status:
        case S.DRAFT:
            return "The group is still writing this application."
        case S.SUBMITTED:
            return "A grants officer checks that it is eligible."
        case S.AWAITING_SUPPORT:
            if fy.uses_allocations:
                pledged = pledged_total(app)
                return (
                    f"Waiting for councillor support: {pounds(pledged)} of "
                    f"{pounds(app.amount_requested)} pledged so far."
                )
            return "Waiting for a councillor to support it."
        case S.UNDER_ASSESSMENT:
            return "A grants officer assesses it and recommends a decision."
        case S.AWAITING_DECISION:
            if beyond_delegated_limit(app):
                return (
                    f"A grants panel decides it: it asks for more than the "
                    f"{pounds(fy.delegated_limit)} an officer may approve."
                )
            return (
                f"A grants officer who has not assessed it decides it (up to "
                f"{pounds(fy.delegated_limit)}), or a grants panel does."
            )
        case S.APPROVED:
            return f"Waiting for the group to accept the offer of {pounds(app.amount_awarded)}" + (
                f" by {app.offer_expires_on:%-d %B %Y}." if app.offer_expires_on else "."
            )
        case S.OFFER_ACCEPTED:
            return (
                f"Finance pays the grant: {pounds(app.paid_to_date)} of "
                f"{pounds(app.amount_awarded)} paid so far."
            )
        case S.MONITORING:
            if app.monitoring_reports.all():
                return "The group has sent its monitoring report: a grants officer closes it."
            due = f", due {app.monitoring_due_on:%-d %B %Y}" if app.monitoring_due_on else ""
            return f"Waiting for the group's end-of-grant monitoring report{due}."
    return "Nothing more happens to this application."


# --- panels ---------------------------------------------------------------------------------


def meetings_for(user: User) -> QuerySet[PanelMeeting]:
    """Officers and auditors see every meeting; a panel member the meetings they sit on."""
    meetings = PanelMeeting.objects.select_related("fund").annotate(
        item_count=Count("items", distinct=True), member_count=Count("members", distinct=True)
    )
    if not may_read_applications(user):
        meetings = meetings.filter(panelmembership__user=user)
    return meetings.order_by("-date", "-pk")


def may_see_meeting(user: User, meeting: PanelMeeting) -> bool:
    return (
        may_read_applications(user)
        or PanelMembership.objects.filter(meeting=meeting, user=user).exists()
    )


def seats(meeting: PanelMeeting) -> list[PanelMembership]:
    return list(
        PanelMembership.objects.filter(meeting=meeting).select_related("user").order_by("pk")
    )


def agenda(meeting: PanelMeeting) -> list[PanelItem]:
    """The items with what the panel reads for each: a fixed number of queries."""
    return list(
        PanelItem.objects.filter(meeting=meeting)
        .select_related(
            "application__organisation",
            "application__fund_year__fund",
            "application__fund_year__year",
        )
        .prefetch_related(
            "application__wards",
            Prefetch(
                "application__pledges",
                queryset=Pledge.objects.select_related("councillor__ward"),
            ),
            "application__declarations__user",
            Prefetch(
                "application__assessments", queryset=Assessment.objects.select_related("assessor")
            ),
            Prefetch("decisions", queryset=Decision.objects.select_related("decided_by")),
        )
        .order_by("position")
    )


def agenda_candidates(meeting: PanelMeeting) -> QuerySet[Application]:
    """Applications of the meeting's fund waiting for a decision and not yet on its agenda."""
    return (
        Application.objects.filter(status=S.AWAITING_DECISION, fund_year__fund=meeting.fund)
        .exclude(panel_items__meeting=meeting)
        .select_related("organisation", "fund_year__year")
        .order_by("submitted_at", "pk")
    )


def item_decided(item: PanelItem) -> Decision | None:
    """The item's final decision (approve or reject), from the prefetched decisions."""
    final = [d for d in item.decisions.all() if d.outcome != Decision.Outcome.DEFER]
    return final[-1] if final else None
