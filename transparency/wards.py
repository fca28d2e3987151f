"""Ward profiles for the public: each ward's grants over the years, the groups funded, and the
money per head where the ward's population has been loaded.

A grant that benefits several wards counts in each in equal shares (to the penny, the odd
pennies to the wards first in name order), so the wards' totals add up to what was awarded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from applications.models import Application
from budgets.models import FinancialYear, Ward
from fundmgr.money import pounds
from transparency.charts import Section, Series, bar_chart
from transparency.models import WardPopulation
from transparency.published import published
from transparency.tables import COUNT, MONEY, POUNDS, TEXT, Column, Table, pounds_of

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["pk", "organisation", "year_id", "year", "start", "ward_id", "ward_name", "pence"]


def money(pence) -> str:
    return pounds(pounds_of(pence))


def shares(apps: QuerySet[Application]) -> pd.DataFrame:
    """Each published grant's award split over the wards it benefits, in pence: two queries."""
    import pandas as pd

    facts = pd.DataFrame.from_records(
        list(
            apps.values_list(
                "pk",
                "organisation__name",
                "fund_year__year_id",
                "fund_year__year__label",
                "fund_year__year__start",
                "amount_awarded",
            )
        ),
        columns=["pk", "organisation", "year_id", "year", "start", "awarded"],
    )
    if facts.empty:
        return pd.DataFrame(columns=COLUMNS)
    links = pd.DataFrame.from_records(
        list(
            Application.wards.through.objects.filter(application__in=apps)
            .order_by("application_id", "ward__name", "ward_id")
            .values_list("application_id", "ward_id", "ward__name")
        ),
        columns=["pk", "ward_id", "ward_name"],
    )
    frame = facts.merge(links, on="pk", how="inner")
    frame["awarded"] = [int(a * 100) for a in frame["awarded"]]
    count = frame.groupby("pk")["ward_id"].transform("size")
    place = frame.groupby("pk").cumcount()
    whole = frame["awarded"] // count
    frame["pence"] = whole + (place < frame["awarded"] - whole * count).astype("int64")
    return frame[COLUMNS]


def per_head(pence: int, population: int | None) -> Decimal | None:
    if not population:
        return None
    return (Decimal(pence) / 100 / population).quantize(Decimal("0.01"), ROUND_HALF_UP)


def population_for(figures: list[WardPopulation], year_start: int) -> WardPopulation | None:
    """The latest figure for the year or before it, else the earliest after it."""
    before = [f for f in figures if f.year <= year_start]
    if before:
        return max(before, key=lambda f: f.year)
    return min(figures, key=lambda f: f.year) if figures else None


@dataclass
class Profile:
    ward: Ward
    population: WardPopulation | None
    years: Section
    groups: Table
    total: int
    grant_count: int


def profile(ward: Ward) -> Profile:
    figures = list(WardPopulation.objects.filter(ward=ward).order_by("-year"))
    frame = shares(published().filter(wards=ward))
    # `shares` splits over every ward of each grant; this ward's share is its own row.
    mine = frame[frame["ward_id"] == ward.pk]
    rows = []
    if not mine.empty:
        by_year = (
            mine.groupby(["start", "year"])
            .agg(grants=("pk", "nunique"), pence=("pence", "sum"))
            .reset_index()
            .sort_values("start")
        )
        for _, r in by_year.iterrows():
            people = population_for(figures, r["start"].year)
            rows.append(
                [
                    r["year"],
                    int(r["grants"]),
                    int(r["pence"]),
                    people.population if people else None,
                    f"{people.year}" if people else "",
                    per_head(int(r["pence"]), people.population if people else None),
                ]
            )
    columns = [Column("Financial year"), Column("Grants", COUNT), Column("Awarded", MONEY)]
    if figures:
        columns += [
            Column("Population", COUNT),
            Column("Population figure of", TEXT),
            Column("Per head", POUNDS),
        ]
    table = Table(
        title=f"Grants to {ward.name} by financial year",
        sheet="By year",
        columns=columns,
        rows=[r[: len(columns)] for r in rows],
    )
    chart = bar_chart(
        id="ward-years",
        title=f"Awarded to {ward.name} each year",
        series=[Series("Awarded")],
        items=[(r[0], (r[2],)) for r in rows],
        text=lambda v: money(v[0]),
        largest_first=False,
        summary=lambda label, v: (
            f"Awarded to {ward.name} each financial year: {len(rows)} years, "
            f"{money(sum(r[2] for r in rows))} in all."
        ),
        empty=f"No grants have been published for {ward.name} yet.",
    )
    groups_rows = []
    if not mine.empty:
        by_group = (
            mine.groupby("organisation")
            .agg(grants=("pk", "nunique"), pence=("pence", "sum"))
            .reset_index()
            .sort_values(["pence", "organisation"], ascending=[False, True])
        )
        groups_rows = [
            [r["organisation"], int(r["grants"]), int(r["pence"])] for _, r in by_group.iterrows()
        ]
    groups = Table(
        title=f"Groups funded in {ward.name}",
        sheet="Groups funded",
        columns=[Column("Organisation"), Column("Grants", COUNT), Column("Awarded", MONEY)],
        rows=groups_rows,
    )
    return Profile(
        ward=ward,
        population=figures[0] if figures else None,
        years=Section(id="by-year", title="Grants by year", chart=chart, table=table),
        groups=groups,
        total=int(mine["pence"].sum()) if not mine.empty else 0,
        grant_count=int(mine["pk"].nunique()) if not mine.empty else 0,
    )


def index(year: FinancialYear | None) -> Table:
    """Every ward: its grants and what was awarded (in one year, or all), its latest population
    and, for one year, the money per head."""
    import pandas as pd

    wards = list(Ward.objects.order_by("name"))
    apps = published() if year is None else published().filter(fund_year__year=year)
    frame = shares(apps)
    totals = (
        frame.groupby("ward_id").agg(grants=("pk", "nunique"), pence=("pence", "sum"))
        if not frame.empty
        else pd.DataFrame(columns=["grants", "pence"])
    )
    figures: dict[int, list[WardPopulation]] = {}
    for figure in WardPopulation.objects.order_by("ward_id", "-year"):
        figures.setdefault(figure.ward_id, []).append(figure)
    rows = []
    for ward in wards:
        grants = int(totals.loc[ward.pk, "grants"]) if ward.pk in totals.index else 0
        pence = int(totals.loc[ward.pk, "pence"]) if ward.pk in totals.index else 0
        known = figures.get(ward.pk, [])
        people = population_for(known, year.start.year) if year else (known[0] if known else None)
        head = per_head(pence, people.population) if (year and people) else None
        rows.append(
            [
                ward,
                grants,
                pence,
                people.population if people else None,
                head,
            ]
        )
    return Table(
        title=f"Grants by ward, {year.label if year else 'every year'}",
        columns=[
            Column("Ward"),
            Column("Grants", COUNT),
            Column("Awarded", MONEY),
            Column("Population", COUNT),
            Column("Per head", POUNDS),
        ],
        rows=rows,
    )
