"""The pipeline of applications by state, and how long decisions and payments take.

Both read the summaries kept as applications change (`transparency.summaries`), never the bids
themselves, so a page costs the same at a thousand bids as at a hundred thousand. Times run
from an application's first submission to its first decision (approval or rejection) and to its
first payment, as elapsed days; they are shown as counts per band of days and as means (a median
cannot be kept as bids arrive; a mean and the bands can, exactly).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum

from applications.workflow import Status
from transparency.charts import Section, Series, bar_chart
from transparency.models import StateCount, TimeBand
from transparency.scope import Filters, Scope
from transparency.summaries import BANDS, DAY_US, DECISION, PAYMENT, band_of, holding
from transparency.tables import COUNT, DAYS, MONEY, TEXT, Column, Table

__all__ = ["BANDS", "band_of", "pipeline", "timing"]


def _rows(model, filters: Filters, scope: Scope, keys: list[str], sums: list[str]) -> list[tuple]:
    """The summary's rows under the filters and the scope, summed by `keys`: one query, of
    rows whose number grows with fund years and wards, not bids."""
    rows = model.objects.filter(filters.fund_years(prefix=""))
    if not scope.everything:
        rows = rows.filter(holding(sorted(scope.wards or ())))
    found = (
        rows.order_by()
        .values(*keys)
        .annotate(**{f"sum_{s}": Sum(s) for s in sums})
        .values_list(*keys, *[f"sum_{s}" for s in sums])
    )
    return list(found)


def pipeline(filters: Filters, scope: Scope) -> Section:
    """How many applications are in each state, in the order an application moves."""
    found = {
        status: (int(n), int(requested), int(awarded))
        for status, n, requested, awarded in _rows(
            StateCount, filters, scope, ["status"], ["n", "requested", "awarded"]
        )
    }
    rows = [[state.label, *found.get(state.value, (0, 0, 0))] for state in Status]
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


def _mean(total: int, n: int) -> float | None:
    return round(total / n / DAY_US, 1) if n else None


def timing(filters: Filters, scope: Scope) -> list[Section]:
    where = f"{filters.describe}, {scope.label}"
    rows = _rows(
        TimeBand,
        filters,
        scope,
        [
            "fund_year__fund__name",
            "fund_year__year__label",
            "fund_year__year__start",
            "measure",
            "band",
        ],
        ["n", "total"],
    )
    by_band: dict[str, dict[str, int]] = {DECISION: defaultdict(int), PAYMENT: defaultdict(int)}
    sums: dict[str, list[int]] = {DECISION: [0, 0], PAYMENT: [0, 0]}
    funds: dict[tuple, dict[str, list[int]]] = defaultdict(
        lambda: {DECISION: [0, 0], PAYMENT: [0, 0]}
    )
    for fund, year, start, measure, band, n, total in rows:
        by_band[measure][band] += int(n)
        for into in (sums[measure], funds[(start, fund, year)][measure]):
            into[0] += int(n)
            into[1] += int(total)
    by_fund = Table(
        title=f"Days from submission to decision and to first payment ({where})",
        sheet="Days by fund and year",
        columns=[
            Column("Fund", TEXT),
            Column("Year", TEXT),
            Column("Decided", COUNT),
            Column("Mean days to decision", DAYS),
            Column("Paid", COUNT),
            Column("Mean days to first payment", DAYS),
        ],
        rows=[
            [
                fund,
                year,
                times[DECISION][0],
                _mean(times[DECISION][1], times[DECISION][0]),
                times[PAYMENT][0],
                _mean(times[PAYMENT][1], times[PAYMENT][0]),
            ]
            for (_start, fund, year), times in sorted(funds.items())
            if times[DECISION][0] or times[PAYMENT][0]
        ],
    )
    sections = []
    for measure, what, noun in (
        (DECISION, "decision", "Decisions"),
        (PAYMENT, "first payment", "First payments"),
    ):
        counts = [[label, by_band[measure].get(label, 0)] for _, label in BANDS]
        table = Table(
            title=f"Time from submission to {what} ({where})",
            sheet=f"Time to {what}"[:31],
            columns=[Column("Time taken"), Column(noun, COUNT)],
            rows=counts,
            totals=["Total", sum(r[1] for r in counts)],
        )
        n, mean = sums[measure][0], _mean(sums[measure][1], sums[measure][0])
        chart = bar_chart(
            id=f"time-to-{what.replace(' ', '-')}",
            title=f"Time from submission to {what}",
            series=[Series(noun)],
            items=[(r[0], (r[1],)) for r in counts],
            text=lambda v: f"{int(v[0]):,}",
            largest_first=False,
            summary=lambda label, v, what=what, mean=mean, n=n: (
                f"Time from submission to {what}: {n:,} in all, {mean:g} days on average."
            ),
            empty=f"No application has reached its {what} under these filters.",
        )
        intro = f"The {n:,} took {mean:g} days on average." if mean is not None else ""
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
            intro="The mean time: all the days taken, shared equally.",
        )
    )
    return sections
