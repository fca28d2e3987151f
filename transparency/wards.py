"""Ward profiles for the public: each ward's grants over the years, the groups funded, and the
money per head where the ward's population has been loaded.

What a ward received is read from kept summaries, never added up from every grant: each
`transparency.models.StateCount` row counts the applications of one fund year, one set of wards
and one state, and their awards, and `transparency.summaries` keeps it in the transaction of
each change. The rows grow with funds, years and sets of wards, not with grants, so the ward
index and a profile's totals cost the same at 1,000 grants as at 100,000.

A grant that benefits several wards counts in each: its award in equal shares. The awards of a
set of wards are shared together, to the penny, the odd pennies to the wards first in name
order, so the wards' totals add up to what was awarded. The groups funded in one ward are each
group's grants of that ward, each shared among its wards the same way (so a sum of groups can
differ from the ward's total by a penny where odd pennies fall differently): kept per ward and
group (`transparency.models.GroupShare`), read a page at a time, most money first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import BooleanField, Sum
from django.db.models.expressions import RawSQL
from django.utils import dateformat, timezone

from applications.models import Application
from budgets.models import FinancialYear, Ward
from fundmgr.money import pounds
from transparency.charts import Section, Series, bar_chart
from transparency.models import GroupShare, StateCount, WardPopulation
from transparency.published import PUBLISHED, Register
from transparency.summaries import holding, split, wards_of
from transparency.tables import COUNT, MONEY, POUNDS, TEXT, Column, Table, pounds_of


def money(pence) -> str:
    return pounds(pounds_of(pence))


def _in_name_order() -> dict[int, int]:
    """Each ward's place when the wards are in name order: who gets the odd pennies."""
    ids = Ward.objects.order_by("name", "pk").values_list("pk", flat=True)
    return {pk: place for place, pk in enumerate(ids)}


__all__ = ["split"]  # `pence` in equal shares among wards (transparency.summaries.split)
GROUPS_PAGE_SIZE = 20


def kept(*, year: FinancialYear | None = None, ward: Ward | None = None) -> list[dict]:
    """Published grants as the summaries count them, per financial year and set of wards:
    {"year", "start", "wards" (ids), "grants", "pence"}: one query over the summary rows."""
    rows = StateCount.objects.filter(status__in=PUBLISHED).exclude(wards="")
    if year is not None:
        rows = rows.filter(fund_year__year=year)
    if ward is not None:
        rows = rows.filter(holding([ward.pk]))
    return [
        {
            "year": r["fund_year__year__label"],
            "start": r["fund_year__year__start"],
            "wards": sorted(wards_of(r["wards"])),
            "grants": int(r["grants"]),
            "pence": int(r["pence"]),
        }
        for r in rows.values("fund_year__year__label", "fund_year__year__start", "wards")
        .annotate(grants=Sum("n"), pence=Sum("awarded"))
        .order_by("fund_year__year__start", "wards")
        if r["grants"]
    ]


def groups_funded(ward: Ward, page: int | str | None = 1) -> Page:
    """A page of the groups funded in `ward`: [organisation, grants, pence] rows, most money
    first (then by name), GROUPS_PAGE_SIZE a page, from the kept GroupShare rows (an index on
    the ward's shares, most first): a count and a page, whatever the number of grants."""
    shares = (
        GroupShare.objects.filter(ward=ward, n__gt=0)
        .order_by("-pence", "organisation__name", "organisation_id")
        .values_list("organisation__name", "n", "pence")
    )
    found = Paginator(shares, GROUPS_PAGE_SIZE).get_page(page)
    found.object_list = [[name, int(n), int(pence)] for name, n, pence in found.object_list]
    return found


# The application's fields a ward's page shows of a grant, in `_shown`'s order.
WARD_GRANT_FIELDS = (
    "reference",
    "title",
    "awarded_at",
    "amount_awarded",
    "organisation__name",
    "fund_year__fund__name",
    "fund_year__year__label",
)


def _shown(reference, title, awarded_at, amount, organisation, fund, year) -> dict[str, str]:
    """One grant as the ward's page shows it, its words made here once (a page of 50 grants
    costs the same whatever the ward's history, and little more than a page of 5)."""
    on = dateformat.format(timezone.localtime(awarded_at), "j M Y") if awarded_at else ""
    return {
        "reference": reference,
        "project": title or reference,
        "organisation": organisation,
        "fund": fund,
        "year": year,
        "awarded_on": on or "–",
        "awarded_words": f", awarded {on}" if on else "",
        "amount": pounds(amount),
    }


class WardRegister(Register):
    """The public register of one ward's grants, newest award first, as Django's Paginator
    reads it: on PostgreSQL a page's ids are the next rows of the ward's own index of listed
    links (applications/migrations/0013_ward_register.py), not the council's register walked
    until enough of them are the ward's; elsewhere the register as it is."""

    def __init__(self, ward: Ward):
        super().__init__({"ward": ward})
        self.ward = ward

    def __getitem__(self, page: slice) -> list:  # type: ignore[override]
        """The page's grants as the page shows them (`_shown`): its ids from the ward's index
        (on PostgreSQL), then those rows' values in one query, no model built."""
        if connection.vendor == "postgresql":
            links = (
                Application.wards.through.objects.filter(
                    RawSQL("listed", (), output_field=BooleanField()), ward_id=self.ward.pk
                )
                .order_by(RawSQL("register_at", ()).desc(), "-application_id")
                .values_list("application_id", flat=True)
            )
            ids = list(links[page])
        else:
            ids = list(self.in_order.values_list("pk", flat=True)[page])
        found = {
            row[0]: _shown(*row[1:])
            for row in Application.objects.filter(pk__in=ids).values_list("pk", *WARD_GRANT_FIELDS)
        }
        return [found[pk] for pk in ids]


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
    groups: Table  # this page's groups
    groups_page: Page
    total: int
    grant_count: int


def profile(ward: Ward, groups_page: int | str | None = 1) -> Profile:
    figures = list(WardPopulation.objects.filter(ward=ward).order_by("-year"))
    order = _in_name_order()
    years: dict[tuple, list[int]] = {}
    for row in kept(ward=ward):
        mine = years.setdefault((row["start"], row["year"]), [0, 0])
        mine[0] += row["grants"]
        mine[1] += split(row["pence"], row["wards"], order).get(ward.pk, 0)
    rows = []
    for (start, label), (grants, pence) in sorted(years.items()):
        people = population_for(figures, start.year)
        rows.append(
            [
                label,
                grants,
                pence,
                people.population if people else None,
                f"{people.year}" if people else "",
                per_head(pence, people.population if people else None),
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
    funded = groups_funded(ward, groups_page)
    groups = Table(
        title=f"Groups funded in {ward.name}",
        sheet="Groups funded",
        columns=[Column("Organisation"), Column("Grants", COUNT), Column("Awarded", MONEY)],
        rows=list(funded.object_list),
    )
    return Profile(
        ward=ward,
        population=figures[0] if figures else None,
        years=Section(id="by-year", title="Grants by year", chart=chart, table=table),
        groups=groups,
        groups_page=funded,
        total=sum(r[2] for r in rows),
        grant_count=sum(r[1] for r in rows),
    )


def index(year: FinancialYear | None) -> Table:
    """Every ward: its grants and what was awarded (in one year, or all), its latest population
    and, for one year, the money per head. Three queries, whatever the number of grants."""
    wards = list(Ward.objects.order_by("name", "pk"))
    order = {w.pk: place for place, w in enumerate(wards)}
    grants: dict[int, int] = defaultdict(int)
    pence: dict[int, int] = defaultdict(int)
    for row in kept(year=year):
        for ward_id, share in split(row["pence"], row["wards"], order).items():
            grants[ward_id] += row["grants"]
            pence[ward_id] += share
    figures: dict[int, list[WardPopulation]] = {}
    for figure in WardPopulation.objects.order_by("ward_id", "-year"):
        figures.setdefault(figure.ward_id, []).append(figure)
    rows = []
    for ward in wards:
        known = figures.get(ward.pk, [])
        people = population_for(known, year.start.year) if year else (known[0] if known else None)
        head = per_head(pence[ward.pk], people.population) if (year and people) else None
        rows.append(
            [
                ward,
                grants[ward.pk],
                pence[ward.pk],
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
