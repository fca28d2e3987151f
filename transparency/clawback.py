"""Underspend and clawback, from monitoring reports and the ledger.

A grant's underspend is its award less what the group reports it spent (a report comes once the
grant is paid in full, so the award is what was paid). Clawback is due on an underspend above
the fund year's threshold (the whole underspend), and on a revoked grant for everything paid.
What has come back is what the ledger holds as refunds for the grant: the `refund` postings
out of its `paid` accounts. Until finance records refunds, that column is nought.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db.models import Q, Sum

from applications.models import MonitoringReport
from applications.workflow import Status
from budgets.models import Account, Entry, LedgerTransaction
from fundmgr.money import pounds
from transparency.charts import HATCHED, SOLID, Section, Series, bar_chart
from transparency.scope import Filters, Scope
from transparency.tables import COUNT, MONEY, TEXT, Column, Table, pounds_of

if TYPE_CHECKING:
    import pandas as pd


PER_PAGE = 50  # grants with clawback due, on one page; the downloads hold them all


def _pence(value) -> int:
    return int(value * 100) if value is not None else 0


def money(pence) -> str:
    return pounds(pounds_of(pence))


def grants(filters: Filters, scope: Scope) -> pd.DataFrame:
    """Every grant with a monitoring report, or revoked: what was awarded, paid, spent,
    refunded, and the clawback due and still owed, in pence."""
    import pandas as pd

    apps = (
        filters.applications(scope)
        .filter(Q(monitoring_reports__isnull=False) | Q(status=Status.REVOKED))
        .distinct()
    )
    facts = pd.DataFrame.from_records(
        [
            {
                "pk": a["pk"],
                "fund_year_id": a["fund_year_id"],
                "reference": a["reference"],
                "status": a["status"],
                "organisation": a["organisation__name"],
                "fund": a["fund_year__fund__name"],
                "year": a["fund_year__year__label"],
                "start": a["fund_year__year__start"],
                "threshold": _pence(a["fund_year__clawback_threshold"]),
                "awarded": _pence(a["amount_awarded"]),
            }
            for a in apps.values(
                "pk",
                "fund_year_id",
                "reference",
                "status",
                "organisation__name",
                "fund_year__fund__name",
                "fund_year__year__label",
                "fund_year__year__start",
                "fund_year__clawback_threshold",
                "amount_awarded",
            )
        ],
        columns=[
            "pk",
            "fund_year_id",
            "reference",
            "status",
            "organisation",
            "fund",
            "year",
            "start",
            "threshold",
            "awarded",
        ],
    )
    if facts.empty:
        return facts.assign(
            spent=pd.Series(dtype="float"),
            paid=0,
            refunded=0,
            underspend=0,
            due=0,
            owed=0,
            reported=False,
        )
    # The latest report of each grant.
    reports = pd.DataFrame.from_records(
        list(
            MonitoringReport.objects.filter(application__in=list(facts["pk"]))
            .order_by("application_id", "pk")
            .values_list("application_id", "amount_spent")
        ),
        columns=["pk", "spent"],
    ).drop_duplicates("pk", keep="last")
    reports["spent"] = [_pence(v) for v in reports["spent"]]
    # The grants' own entries, found through the index on references (not a join over every
    # entry of the ledger).
    paid_entries = Entry.objects.filter(
        transaction__reference__in=sorted(set(facts["reference"])),
        account__kind=Account.Kind.PAID,
    )
    paid = dict(
        paid_entries.order_by()
        .values_list("transaction__reference")
        .annotate(total=Sum("amount"))
        .values_list("transaction__reference", "total")
    )
    refunded = dict(
        paid_entries.filter(transaction__kind=LedgerTransaction.Kind.REFUND)
        .order_by()
        .values_list("transaction__reference")
        .annotate(total=Sum("amount"))
        .values_list("transaction__reference", "total")
    )
    frame = facts.merge(reports, on="pk", how="left")
    frame["reported"] = frame["spent"].notna()
    frame["paid"] = [_pence(paid.get(r)) for r in frame["reference"]]
    frame["refunded"] = [-_pence(refunded.get(r)) for r in frame["reference"]]
    spent = frame["spent"].fillna(0).astype("int64")
    frame["underspend"] = (frame["awarded"] - spent).clip(lower=0).where(frame["reported"], 0)
    over = frame["underspend"] > frame["threshold"]
    frame["due"] = frame["underspend"].where(over, 0)
    revoked = frame["status"] == Status.REVOKED
    # A revoked grant owes back everything paid: what the ledger holds now plus refunds so far.
    frame.loc[revoked, "due"] = frame.loc[revoked, "paid"] + frame.loc[revoked, "refunded"]
    frame["owed"] = (frame["due"] - frame["refunded"]).clip(lower=0)
    for column in ("underspend", "due", "owed", "paid", "refunded", "awarded"):
        frame[column] = frame[column].astype("int64")
    return frame


def sections(filters: Filters, scope: Scope) -> list[Section]:
    """The clawback table and its chart, and the grants with clawback due: from the kept
    summaries (`transparency.money_summaries`), a few rows per fund year and set of wards."""
    from transparency.models import ClawbackFigure, ClawbackGrant
    from transparency.money_summaries import CLAWBACK_SUMS, current
    from transparency.summaries import holding

    current()
    where_q = filters.fund_years(prefix="")
    if not scope.everything:
        where_q &= holding(sorted(scope.wards or ()))
    labels = ("fund_year__fund__name", "fund_year__year__label", "fund_year__year__start")
    summary_rows = [
        (r[2], [f"{r[0]} {r[1]}", *(int(v) for v in r[3:])])
        for r in ClawbackFigure.objects.filter(where_q)
        .values(*labels)
        .annotate(**{f"sum_{c}": Sum(c) for c in CLAWBACK_SUMS})
        .order_by()
        .values_list(*labels, *(f"sum_{c}" for c in CLAWBACK_SUMS))
    ]
    due = Rows(
        ClawbackGrant.objects.filter(where_q)
        .select_related("fund_year__fund", "fund_year__year")
        .order_by("start", "reference")
    )
    return _sections(filters, scope, summary_rows, due)


def recounted(filters: Filters, scope: Scope) -> list[Section]:
    """`sections` counted per request from every grant's reports and entries (the reference
    the kept summaries are checked against)."""
    frame = grants(filters, scope)
    summary_rows = []
    if not frame.empty:
        for (fund, year, _start), group in frame.groupby(["fund", "year", "start"]):
            reported = group[group["reported"]]
            summary_rows.append(
                (
                    _start,
                    [
                        f"{fund} {year}",
                        int(reported.shape[0]),
                        int(reported["awarded"].sum()),
                        int(reported["spent"].sum()),
                        int(group["underspend"].sum()),
                        int(group["due"].sum()),
                        int(group["refunded"].sum()),
                        int(group["owed"].sum()),
                    ],
                )
            )
    due = frame[frame["due"] > 0] if not frame.empty else frame
    return _sections(
        filters,
        scope,
        summary_rows,
        [r for _, r in due.sort_values(["start", "reference"]).iterrows()],
    )


def _grant_row(r) -> list:
    return [
        r["reference"],
        r["organisation"],
        f"{r['fund']} {r['year']}",
        "Revoked"
        if r["status"] == Status.REVOKED
        else f"Underspend of {money(r['underspend'])}, over the {money(r['threshold'])} threshold",
        int(r["due"]),
        int(r["refunded"]),
        int(r["owed"]),
    ]


class Rows(Sequence):
    """The grants with clawback due as the table's rows, read a page at a time: the page
    counts them and reads its own 50 (by the index on start and reference); a download reads
    them all."""

    def __init__(self, grants):
        self.grants = grants
        self._count: int | None = None

    def _row(self, g) -> list:
        return _grant_row(
            {
                "reference": g.reference,
                "organisation": g.organisation,
                "fund": g.fund_year.fund.name,
                "year": g.fund_year.year.label,
                "status": Status.REVOKED if g.revoked else "",
                "underspend": g.underspend,
                "threshold": g.threshold,
                "due": g.due,
                "refunded": g.refunded,
                "owed": g.owed,
            }
        )

    def __len__(self) -> int:
        if self._count is None:
            self._count = self.grants.count()
        return self._count

    def count(self) -> int:
        return len(self)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self._row(g) for g in self.grants[index]]
        return self._row(self.grants[index])

    def __iter__(self):
        for g in self.grants.iterator(chunk_size=2000):
            yield self._row(g)

    def __bool__(self) -> bool:
        return len(self) > 0


def _sections(filters: Filters, scope: Scope, summary_rows: list, due) -> list[Section]:
    where = f"{filters.describe}, {scope.label}"
    summary_rows.sort(key=lambda item: (item[0], item[1][0]))
    rows = [row for _, row in summary_rows]
    by_fund = Table(
        title=f"Underspend and clawback by fund and year ({where})",
        sheet="By fund and year",
        columns=[
            Column("Fund and year", TEXT),
            Column("Reports", COUNT),
            Column("Awarded", MONEY),
            Column("Spent", MONEY),
            Column("Underspend", MONEY),
            Column("Clawback due", MONEY),
            Column("Received", MONEY),
            Column("Still owed", MONEY),
        ],
        rows=rows,
        totals=["Total", *[sum(r[i] for r in rows) for i in range(1, 8)]],
    )
    chart = bar_chart(
        id="clawback",
        title="Clawback received and still owed",
        series=[Series("Received", SOLID), Series("Still owed", HATCHED)],
        items=[(r[0], (r[6], r[7])) for r in rows],
        text=lambda v: f"{money(v[0])} received, {money(v[1])} still owed",
        summary=lambda label, v: (
            f"Clawback received and still owed by fund and year: the most is {label}, "
            f"{money(v[0])} received and {money(v[1])} still owed."
        ),
        empty="No clawback is due under these filters.",
    )
    owing = Table(
        title=f"Grants with clawback due ({where})",
        sheet="Grants with clawback due",
        per_page=PER_PAGE,
        columns=[
            Column("Reference"),
            Column("Organisation"),
            Column("Fund and year"),
            Column("Why"),
            Column("Due", MONEY),
            Column("Received", MONEY),
            Column("Still owed", MONEY),
        ],
        rows=due if isinstance(due, Rows) else [_grant_row(r) for r in due],  # type: ignore[arg-type]
    )
    return [
        Section(
            id="clawback",
            title="By fund and year",
            chart=chart,
            table=by_fund,
            extra=[owing],
        )
    ]
