"""The pipeline of applications by state, and how long decisions and payments take.

Times come from the TransitionLog, the record of every step: from the first time a bid was
submitted to its decision (approval or rejection), and to its first payment. Days are counted
in whole days and fractions of them, as elapsed time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Min, Sum

from applications.models import TransitionLog
from applications.workflow import Status
from transparency.charts import Section, Series, bar_chart
from transparency.scope import Filters, Scope
from transparency.tables import COUNT, DAYS, MONEY, TEXT, Column, Table

if TYPE_CHECKING:
    import pandas as pd

DAY = 86_400
BANDS = [
    (14, "Within 2 weeks"),
    (28, "2 to 4 weeks"),
    (56, "4 to 8 weeks"),
    (91, "8 to 13 weeks"),
    (None, "More than 13 weeks"),
]


def _pence(value) -> int:
    return int(value * 100) if value is not None else 0


def pipeline(filters: Filters, scope: Scope) -> Section:
    """How many applications are in each state, in the order an application moves."""
    import pandas as pd

    counts = (
        filters.applications(scope)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"), requested=Sum("amount_requested"), awarded=Sum("amount_awarded"))
    )
    frame = pd.DataFrame.from_records(
        [
            {
                "status": r["status"],
                "n": r["n"],
                "requested": _pence(r["requested"]),
                "awarded": _pence(r["awarded"]),
            }
            for r in counts
        ],
        columns=["status", "n", "requested", "awarded"],
    ).set_index("status")
    frame = frame.reindex([s.value for s in Status], fill_value=0)
    rows = [
        [Status(state).label, int(r["n"]), int(r["requested"]), int(r["awarded"])]
        for state, r in frame.iterrows()
    ]
    table = Table(
        title=f"Applications by state ({filters.describe}, {scope.label})",
        sheet="Pipeline",
        columns=[
            Column("State"),
            Column("Applications", COUNT),
            Column("Amount asked for", MONEY),
            Column("Amount awarded", MONEY),
        ],
        rows=rows,
        totals=[
            "Total",
            sum(r[1] for r in rows),
            sum(r[2] for r in rows),
            sum(r[3] for r in rows),
        ],
    )
    chart = bar_chart(
        id="pipeline",
        title="Applications in each state",
        series=[Series("Applications")],
        items=[(r[0], (r[1],)) for r in rows],
        text=lambda v: f"{int(v[0]):,}",
        largest_first=False,
        summary=lambda label, v: (
            f"Applications in each state, in the order an application moves; "
            f"{table.totals[1]:,} in all."
        ),
        empty="There are no applications under these filters.",
    )
    return Section(id="pipeline", title="In each state", chart=chart, table=table)


def steps(filters: Filters, scope: Scope) -> pd.DataFrame:
    """Per application: its fund and year, and the first time of each step that times count
    from or to (one aggregate query, one query for the applications)."""
    import pandas as pd

    apps = filters.applications(scope)
    firsts = (
        TransitionLog.objects.filter(
            application__in=apps, transition__in=["submit", "approve", "reject", "pay"]
        )
        .order_by()
        .values("application_id", "transition")
        .annotate(first=Min("at"))
    )
    logs = pd.DataFrame.from_records(
        list(firsts), columns=["application_id", "transition", "first"]
    )
    facts = pd.DataFrame.from_records(
        list(
            apps.values_list(
                "pk", "fund_year__fund__name", "fund_year__year__label", "fund_year__year__start"
            )
        ),
        columns=["pk", "fund", "year", "start"],
    ).set_index("pk")
    if logs.empty:
        wide = pd.DataFrame(columns=["submit", "approve", "reject", "pay"])
    else:
        logs["first"] = pd.to_datetime(logs["first"], utc=True)
        wide = logs.pivot(index="application_id", columns="transition", values="first")
        for step in ("submit", "approve", "reject", "pay"):
            if step not in wide:
                wide[step] = pd.NaT
    frame = facts.join(wide[["submit", "approve", "reject", "pay"]], how="left")
    for step in ("submit", "approve", "reject", "pay"):
        frame[step] = pd.to_datetime(frame[step], utc=True)
    frame["decided"] = frame[["approve", "reject"]].min(axis=1)
    frame["to_decision"] = (frame["decided"] - frame["submit"]).dt.total_seconds() / DAY
    frame["to_payment"] = (frame["pay"] - frame["submit"]).dt.total_seconds() / DAY
    return frame


def _days(value) -> float | None:
    import pandas as pd

    return None if pd.isna(value) else round(float(value), 1)


def band_of(days: float) -> str:
    for limit, label in BANDS:
        if limit is None or days <= limit:
            return label
    return BANDS[-1][1]


def timing(filters: Filters, scope: Scope) -> list[Section]:
    import pandas as pd

    frame = steps(filters, scope)
    where = f"{filters.describe}, {scope.label}"
    grouped = []
    if not frame.empty:
        for (fund, year, _start), group in frame.groupby(["fund", "year", "start"], sort=False):
            decided, paid = group["to_decision"].dropna(), group["to_payment"].dropna()
            grouped.append(
                (
                    _start,
                    [
                        fund,
                        year,
                        int(decided.size),
                        _days(decided.median()) if decided.size else None,
                        _days(decided.max()) if decided.size else None,
                        int(paid.size),
                        _days(paid.median()) if paid.size else None,
                        _days(paid.max()) if paid.size else None,
                    ],
                )
            )
    grouped.sort(key=lambda item: (item[0], item[1][0]))
    by_fund = Table(
        title=f"Days from submission to decision and to first payment ({where})",
        sheet="Days by fund and year",
        columns=[
            Column("Fund", TEXT),
            Column("Year", TEXT),
            Column("Decided", COUNT),
            Column("Median days to decision", DAYS),
            Column("Longest to decision", DAYS),
            Column("Paid", COUNT),
            Column("Median days to first payment", DAYS),
            Column("Longest to first payment", DAYS),
        ],
        rows=[row for _, row in grouped],
    )
    sections = []
    for key, what, noun in (
        ("to_decision", "decision", "Decisions"),
        ("to_payment", "first payment", "First payments"),
    ):
        values = frame[key].dropna() if not frame.empty else pd.Series(dtype=float)
        counts = values.map(band_of).value_counts() if values.size else pd.Series(dtype=int)
        rows = [[label, int(counts.get(label, 0))] for _, label in BANDS]
        table = Table(
            title=f"Time from submission to {what} ({where})",
            sheet=f"Time to {what}"[:31],
            columns=[Column("Time taken"), Column(noun, COUNT)],
            rows=rows,
            totals=["Total", sum(r[1] for r in rows)],
        )
        median = _days(values.median()) if values.size else None
        chart = bar_chart(
            id=f"time-to-{what.replace(' ', '-')}",
            title=f"Time from submission to {what}",
            series=[Series(noun)],
            items=[(r[0], (r[1],)) for r in rows],
            text=lambda v: f"{int(v[0]):,}",
            largest_first=False,
            summary=lambda label, v, what=what, median=median, n=int(values.size): (
                f"Time from submission to {what}: {n:,} in all, half within {median:g} days."
            ),
            empty=f"No application has reached its {what} under these filters.",
        )
        intro = (
            f"Half of the {values.size:,} took {median:g} days or less."
            if median is not None
            else ""
        )
        sections.append(
            Section(
                id=f"time-to-{what.replace(' ', '-')}",
                title=f"Time to {what}",
                chart=chart,
                table=table,
                intro=intro,
            )
        )
    sections.append(
        Section(
            id="by-fund-and-year",
            title="By fund and year",
            chart=None,
            table=by_fund,
            intro="The middle time (the median: half took less, half more) and the longest.",
        )
    )
    return sections
