"""The spend and clawback dashboards' summaries: built from the ledger by a task, read by the
pages, their size set by years, funds, wards and councillors, never by the number of grants.

A grant's figures cannot be kept posting by posting without slowing the ledger's write path
(one statement per posting on PostgreSQL, issue 17): a ward's share of a grant, and how many
grants a table counts, depend on every posting of the grant. So the summaries are built whole,
from the ledger, by `rebuild()` (the recount of `spend.by_grant`/`by_ward` and
`clawback.grants`, over everything once instead of per request), and stamped with the newest
posting, workflow step and monitoring report they counted (`marks()`, one indexed read of
three maximum ids). A page reads the stamp first:
- no summary yet: it is built in the request, once;
- a newer posting, step or report: the refresh task is queued (once per transaction,
  `enqueue_once`) and the page shows the figures it has, "as at" their build time;
- otherwise the kept figures are current.

Each council's summaries are its own (`SpendFigure` and `SummaryStamp` are council-owned): built
from its own ledger, in its own scope, stamped with its own newest rows. Working across the
service (a command), `rebuild`, `current` and `differences` go council by council.

`SpendFigure` holds each spend table's rows for every choice of the filters (every year or
one, every fund or one) and for every ward's own share (a councillor's tables). `ClawbackFigure`
sums the clawback table per fund year and set of wards; `ClawbackGrant` lists the grants with
clawback due. `differences()` compares them with a recount (`manage.py check_summaries`),
`rebuild()` replaces them (`manage.py rebuild_summaries`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone

from applications.models import Application, MonitoringReport, TransitionLog
from budgets.models import LedgerTransaction
from fundmgr import councils
from fundmgr.models import Council
from fundmgr.tasks import background, enqueue_once
from transparency.models import ClawbackFigure, ClawbackGrant, SpendFigure, SummaryStamp
from transparency.summaries import wards_key

if TYPE_CHECKING:
    import pandas as pd

NAME = "money"
LOCK = 17_0004  # the advisory lock a build holds (PostgreSQL)
SPEND_SUMS = ("grants", "paid", "committed")
CLAWBACK_SUMS = ("reports", "awarded", "spent", "underspend", "due", "refunded", "owed")
GRANT_FIELDS = ("start", "reference", "organisation", "revoked", "underspend", "threshold", "due")
GRANT_FIELDS += ("refunded", "owed")


def marks() -> str:
    """The newest posting, workflow step and monitoring report (of the council in scope), as
    one string: one statement of three index reads."""
    q = connection.ops.quote_name
    tables = [m._meta.db_table for m in (LedgerTransaction, TransitionLog, MonitoringReport)]
    council_id = councils.current_id()
    where = "" if council_id is None else " WHERE council_id = %s"
    sql = "SELECT " + ", ".join(f"(SELECT MAX(id) FROM {q(t)}{where})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql, [] if council_id is None else [council_id] * len(tables))
        row = cursor.fetchone()
    return ",".join(str(v or 0) for v in row)


def _councils() -> list[Council] | None:
    """None when working for one council (in its scope); otherwise (across the service) the
    councils to go through one by one, each in its own scope."""
    return None if councils.current_id() is not None else councils.every_council()


def _each(work):
    """`work()` for the council in scope, or for each council in turn (its last result)."""
    found = _councils()
    if found is None:
        return work()
    result = None
    for council in found:
        with councils.acting_for(council):
            result = work()
    return result


@background()
def refresh() -> None:
    """Build the summaries again (queued by a page that found them out of date), unless a
    refresh queued before this one has already counted everything."""
    stamp = SummaryStamp.objects.filter(name=NAME).first()
    if stamp is None or stamp.marks != marks():
        _rebuild()


def current() -> SummaryStamp | None:
    """The summaries' stamp, building them first if there are none; if they are out of date,
    the refresh is queued (in the tests, and with the immediate backend, it runs now)."""
    return _each(_current)


def _current() -> SummaryStamp:
    stamp = SummaryStamp.objects.filter(name=NAME).first()
    if stamp is None:
        return _rebuild()
    now = marks()
    if stamp.marks != now and stamp.queued != now:
        # Queued once for these marks, however many readers find the figures behind.
        SummaryStamp.objects.filter(name=NAME).update(queued=now)
        enqueue_once(refresh)
        stamp = SummaryStamp.objects.filter(name=NAME).first() or stamp
    return stamp


# --- counting ---------------------------------------------------------------------------------


def _spend_rows(grants: pd.DataFrame, wards: pd.DataFrame) -> dict[tuple, tuple[int, int, int]]:
    """Every spend table's rows, for every choice of the filters: {(year, fund, within, by,
    key): (grants, paid, committed)}."""
    from transparency import spend

    found: dict[tuple, tuple[int, int, int]] = {}
    if grants.empty:
        return found
    years = [0, *sorted(int(y) for y in grants["year_id"].unique())]
    funds = [0, *sorted(int(f) for f in grants["fund_id"].unique())]
    for year in years:
        for fund in funds:
            g, w = grants, wards
            if year:
                g, w = g[g["year_id"] == year], w[w["year_id"] == year]
            if fund:
                g, w = g[g["fund_id"] == fund], w[w["fund_id"] == fund]
            if g.empty:
                continue
            tables = [
                (0, "ward", spend._summed(w, "ward_id")),
                (0, "councillor", spend._summed(g, "councillor_id")),
                (0, "fund", spend._summed(w, "fund_id")),
                (0, "year", spend._summed(w, "year_id")),
            ]
            own = w[w["ward_id"] != spend.NO_WARD]
            for by in ("fund", "year"):
                totals = spend._summed(own, ["ward_id", f"{by}_id"])
                for (ward, key), row in totals.iterrows():
                    found[(year, fund, int(ward), by, int(key))] = (
                        int(row["grants"]),
                        int(row["paid"]),
                        int(row["committed"]),
                    )
            for within, by, totals in tables:
                for key, row in totals.iterrows():
                    found[(year, fund, within, by, int(key))] = (
                        int(row["grants"]),
                        int(row["paid"]),
                        int(row["committed"]),
                    )
    return found


def _clawback_rows() -> tuple[dict[tuple, tuple], dict[int, dict]]:
    """The clawback table's sums per (fund year, set of wards), and the grants with clawback
    due, from `clawback.grants` over every grant."""
    from transparency import clawback
    from transparency.scope import EVERYTHING, Filters

    frame = clawback.grants(Filters(), EVERYTHING)
    figures: dict[tuple, tuple] = {}
    due: dict[int, dict] = {}
    if frame.empty:
        return figures, due
    links: dict[int, list[int]] = defaultdict(list)
    for app_id, ward_id in Application.wards.through.objects.filter(
        application_id__in=list(frame["pk"])
    ).values_list("application_id", "ward_id"):
        links[app_id].append(ward_id)
    frame["wards"] = [wards_key(links[int(pk)]) for pk in frame["pk"]]
    reported = frame["reported"].astype(bool)
    frame["reports"] = reported.astype("int64")
    frame["awarded_reported"] = frame["awarded"].where(reported, 0)
    frame["spent_reported"] = frame["spent"].where(reported, 0).fillna(0).astype("int64")
    sums = ["reports", "awarded_reported", "spent_reported", "underspend", "due"]
    sums += ["refunded", "owed"]
    for (fund_year, wards), row in frame.groupby(["fund_year_id", "wards"])[sums].sum().iterrows():
        figures[(int(fund_year), wards)] = tuple(int(row[c]) for c in sums)
    for _, r in frame[frame["due"] > 0].iterrows():
        due[int(r["pk"])] = {
            "fund_year_id": int(r["fund_year_id"]),
            "wards": r["wards"],
            "start": r["start"],
            "reference": r["reference"],
            "organisation": r["organisation"],
            "revoked": r["status"] == clawback.Status.REVOKED,
            "underspend": int(r["underspend"]),
            "threshold": int(r["threshold"]),
            "due": int(r["due"]),
            "refunded": int(r["refunded"]),
            "owed": int(r["owed"]),
        }
    return figures, due


def recount() -> tuple[dict, dict, dict]:
    """The summaries as a count from the ledger, the applications and their reports would
    make them now."""
    from transparency import spend
    from transparency.scope import EVERYTHING, Filters

    grants = spend.by_grant(Filters(), EVERYTHING)
    wards = spend.by_ward(grants, Filters()) if not grants.empty else grants
    figures, due = _clawback_rows()
    return _spend_rows(grants, wards), figures, due


def rebuild() -> SummaryStamp | None:
    """Throw the summaries away and build them again (the council in scope's, or each
    council's in turn); the new stamp (the last council's)."""
    return _each(_rebuild)


@transaction.atomic
def _rebuild() -> SummaryStamp:
    """One council's. On PostgreSQL one build of a council at a time (two first readers, or a
    reader and the task): the second waits, then builds over the first's rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            council_id = councils.current_id() or 0
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK, council_id])
    seen = marks()  # read first: whatever is posted while counting leaves the stamp behind
    spend_rows, figures, due = recount()
    SpendFigure.objects.all().delete()
    ClawbackFigure.objects.all().delete()
    ClawbackGrant.objects.all().delete()
    SpendFigure.objects.bulk_create(
        (
            SpendFigure(year=y, fund=f, within=w, by=by, key=k, grants=n, paid=p, committed=c)
            for (y, f, w, by, k), (n, p, c) in spend_rows.items()
        ),
        batch_size=2000,
    )
    ClawbackFigure.objects.bulk_create(
        ClawbackFigure(fund_year_id=fy, wards=wards, **dict(zip(CLAWBACK_SUMS, sums, strict=True)))
        for (fy, wards), sums in figures.items()
    )
    ClawbackGrant.objects.bulk_create(
        (ClawbackGrant(application_id=pk, **row) for pk, row in due.items()), batch_size=2000
    )
    stamp, _ = SummaryStamp.objects.update_or_create(
        name=NAME, defaults={"built_at": timezone.now(), "marks": seen, "queued": ""}
    )
    return stamp


def differences() -> list[str]:
    """How the kept spend and clawback summaries differ from a recount: nothing, when right
    (or when none are kept yet: the first page to need them builds them). Across a service of
    several councils, each council's, named."""
    found = _councils()
    if found is None:
        return _differences()
    return [
        f"{council.name}: {line}"
        for council in found
        for line in _in_scope_of(council, _differences)
    ]


def _in_scope_of(council: Council, work):
    with councils.acting_for(council):
        return work()


def _differences() -> list[str]:
    if not SummaryStamp.objects.filter(name=NAME).exists():
        return []
    spend_rows, figures, due = recount()
    found = []
    kept_spend = {
        tuple(r[:5]): tuple(r[5:])
        for r in SpendFigure.objects.values_list("year", "fund", "within", "by", "key", *SPEND_SUMS)
    }
    kept_figures = {
        tuple(r[:2]): tuple(r[2:])
        for r in ClawbackFigure.objects.values_list("fund_year_id", "wards", *CLAWBACK_SUMS)
    }
    kept_due = {
        r["application_id"]: {k: v for k, v in r.items() if k != "application_id"}
        for r in ClawbackGrant.objects.values(
            "application_id", "fund_year_id", "wards", *GRANT_FIELDS
        )
    }
    for name, kept, counted in (
        ("SpendFigure", kept_spend, spend_rows),
        ("ClawbackFigure", kept_figures, figures),
        ("ClawbackGrant", kept_due, due),
    ):
        for key in sorted(set(kept) | set(counted), key=str):
            if kept.get(key) != counted.get(key):
                found.append(f"{name} {key}: kept {kept.get(key)}, counted {counted.get(key)}")
    return found


def built_at() -> datetime.datetime | None:
    """When the figures the pages show (the council in scope's) were counted."""
    return SummaryStamp.objects.filter(name=NAME).values_list("built_at", flat=True).first()
