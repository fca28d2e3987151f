"""Spend and commitments by ward, fund, councillor and year, from the ledger.

Spend is what the ledger's `paid` accounts hold for each grant (payments, less refunds and
reversals); committed is what its `commitment` accounts still hold (awarded, not yet paid, not
released). The database sums the entries per grant, funding councillor and fund year; pandas
does the rest in integer pence, so every table adds up to the ledger to the penny.

A grant that benefits several wards counts in each in equal shares, the odd pennies going to
the wards first in name order: the wards' figures still add up to the grant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F, Q, Sum

from applications.models import Application
from budgets.models import Account, Councillor, Entry, FinancialYear, Fund, Ward
from fundmgr import councils
from fundmgr.money import pounds
from transparency.charts import HATCHED, SOLID, Section, Series, bar_chart
from transparency.scope import Filters, Scope
from transparency.tables import COUNT, MONEY, Column, Table, pounds_of

if TYPE_CHECKING:
    import pandas as pd

KEYS = ["reference", "councillor_id", "fund_id", "year_id"]
NO_WARD = 0  # a posting whose reference is no application's (made outside the workflow)
CENTRAL_POT = 0
POT_LABEL = "Central pot (no councillor)"
SERIES = [Series("Paid", SOLID), Series("Committed, not yet paid", HATCHED)]
BREAKDOWNS = {
    "ward": "Ward",
    "fund": "Fund",
    "councillor": "Councillor",
    "year": "Financial year",
}


def money(pence) -> str:
    return pounds(pounds_of(pence))


def _in_scope(scope: Scope | None) -> list[Q]:
    """Entries a person's tables can show, as conditions each read by its own query: for a
    councillor, those of grants to their wards (found by the index on references), then those
    of their own allocations' accounts for other grants. The rest of the ledger is not read."""
    if scope is None or scope.everything:
        return [Q()]
    through = Application.wards.through.objects.filter(ward_id__in=scope.wards)
    references = list(
        Application.objects.filter(pk__in=through.values("application_id")).values_list(
            "reference", flat=True
        )
    )
    return [
        Q(transaction__reference__in=references),
        Q(account__councillor_id__in=scope.councillors) & ~Q(transaction__reference__in=references),
    ]


def by_grant(filters: Filters, scope: Scope | None = None) -> pd.DataFrame:
    """Paid and still committed, in pence, per grant reference, funding councillor (0: the
    central pot) and fund year: one aggregate query (for a councillor, two, of their share)."""
    import pandas as pd

    sums = [
        row
        for where in _in_scope(scope)
        for row in Entry.objects.filter(
            where,
            filters.fund_years(),
            account__kind__in=[Account.Kind.PAID, Account.Kind.COMMITMENT],
        )
        .values(
            reference=F("transaction__reference"),
            kind=F("account__kind"),
            councillor_id=F("account__councillor_id"),
            fund_id=F("account__fund_year__fund_id"),
            year_id=F("account__fund_year__year_id"),
        )
        .annotate(total=Sum("amount"))
        .order_by()
    ]
    frame = pd.DataFrame.from_records(sums, columns=[*KEYS[:1], "kind", *KEYS[1:], "total"])
    if frame.empty:
        return pd.DataFrame(columns=[*KEYS, "paid", "committed"]).astype(
            {"councillor_id": "int64", "paid": "int64", "committed": "int64"}
        )
    frame["pence"] = [int(total * 100) for total in frame["total"]]
    frame["councillor_id"] = frame["councillor_id"].fillna(CENTRAL_POT).astype("int64")
    wide = frame.pivot_table(
        index=KEYS, columns="kind", values="pence", aggfunc="sum", fill_value=0
    ).reset_index()
    wide.columns.name = None
    for kind in (Account.Kind.PAID, Account.Kind.COMMITMENT):
        if kind not in wide:
            wide[kind] = 0
    wide = wide.rename(columns={Account.Kind.PAID: "paid", Account.Kind.COMMITMENT: "committed"})
    wide[["paid", "committed"]] = wide[["paid", "committed"]].astype("int64")
    return wide[[*KEYS, "paid", "committed"]]


def by_ward(grants: pd.DataFrame, filters: Filters, scope: Scope | None = None) -> pd.DataFrame:
    """`by_grant` spread over the wards each grant benefits, in equal shares to the penny."""
    import pandas as pd

    links = Application.wards.through.objects.filter(
        filters.fund_years(prefix="application__"),
        application__amount_awarded__isnull=False,
    )
    if scope is not None and not scope.everything:  # every ward of the grants in the frame
        links = links.filter(application__reference__in=sorted(set(grants["reference"])))
    if (council_id := councils.current_id()) is not None:  # the link table names no council
        links = links.filter(application__council_id=council_id)
    links = pd.DataFrame.from_records(
        list(links.values_list("application__reference", "ward_id", "ward__name")),
        columns=["reference", "ward_id", "ward_name"],
    )
    split = grants.merge(links, on="reference", how="left")
    split["ward_id"] = split["ward_id"].fillna(NO_WARD).astype("int64")
    split["ward_name"] = split["ward_name"].fillna("")
    split = split.sort_values([*KEYS, "ward_name", "ward_id"], kind="stable")
    shares = split.groupby(KEYS)["ward_id"].transform("size").astype("int64")
    place = split.groupby(KEYS).cumcount()
    for column in ("paid", "committed"):
        whole = split[column] // shares
        odd = split[column] - whole * shares
        split[column] = whole + (place < odd).astype("int64")
    return split.drop(columns=["ward_name"])


def _grants_count(frame: pd.DataFrame, key: str | list[str]) -> pd.Series:
    held = frame[(frame["paid"] != 0) | (frame["committed"] != 0)]
    return held.groupby(key)["reference"].nunique()


def _summed(frame: pd.DataFrame, key: str | list[str]) -> pd.DataFrame:
    totals = frame.groupby(key)[["paid", "committed"]].sum()
    totals["grants"] = _grants_count(frame, key)
    return totals.fillna(0).astype("int64")


def _table(title: str, heading: str, labelled: list[tuple[str, int, int, int]]) -> Table:
    rows = [
        [label, grants, paid, committed, paid + committed]
        for label, grants, paid, committed in labelled
    ]
    return Table(
        title=title,
        sheet=f"By {heading.lower()}",
        columns=[
            Column(heading),
            Column("Grants", COUNT),
            Column("Paid", MONEY),
            Column("Committed", MONEY),
            Column("Total", MONEY),
        ],
        rows=rows,
        totals=[
            "Total",
            None,
            sum(r[2] for r in rows),
            sum(r[3] for r in rows),
            sum(r[4] for r in rows),
        ],
    )


def kept(scope: Scope) -> bool:
    """Whether the person's tables are read from the kept summaries: everything, or one
    ward's share (a councillor of two wards counts a grant of both once: recounted)."""
    return scope.everything or len(scope.wards or ()) == 1


def breakdowns(filters: Filters, scope: Scope) -> dict[str, Table]:
    """The four tables, each adding up (for officers) to the whole ledger under the filters:
    from the kept summaries (`transparency.money_summaries`) when they serve the scope."""
    if not kept(scope):
        return recounted(filters, scope)
    from transparency.models import SpendFigure
    from transparency.money_summaries import current

    current()
    within = 0 if scope.everything else next(iter(scope.wards or ()))
    figures: dict[str, dict[int, tuple[int, int, int]]] = {k: {} for k in BREAKDOWNS}
    rows = SpendFigure.objects.filter(
        year=filters.year.pk if filters.year else 0,
        fund=filters.fund.pk if filters.fund else 0,
    )
    if scope.everything:
        rows = rows.filter(within=0)
    else:
        rows = rows.filter(
            Q(within=0, by="ward", key=within)
            | Q(within=0, by="councillor", key__in=sorted(scope.councillors or ()))
            | Q(within=within, by__in=["fund", "year"])
        )
    for by, key, grants, paid, committed in rows.values_list(
        "by", "key", "grants", "paid", "committed"
    ):
        figures[by][key] = (grants, paid, committed)
    return _tables(filters, scope, figures)


def recounted(filters: Filters, scope: Scope) -> dict[str, Table]:
    """`breakdowns` counted from the ledger's entries (per request: the reference the kept
    summaries are checked against, and a councillor of several wards' tables)."""
    grants = by_grant(filters, scope)
    wards = by_ward(grants, filters, scope)
    if not scope.everything:
        wards = wards[wards["ward_id"].isin(scope.wards)]
        grants = grants[grants["councillor_id"].isin(scope.councillors)]
    figures: dict[str, dict[int, tuple[int, int, int]]] = {}
    for by, frame, column in (
        ("ward", wards, "ward_id"),
        ("fund", wards, "fund_id"),
        ("councillor", grants, "councillor_id"),
        ("year", wards, "year_id"),
    ):
        figures[by] = {
            int(key): (int(row["grants"]), int(row["paid"]), int(row["committed"]))
            for key, row in _summed(frame, column).iterrows()
        }
    return _tables(filters, scope, figures)


def _tables(
    filters: Filters, scope: Scope, figures: dict[str, dict[int, tuple[int, int, int]]]
) -> dict[str, Table]:
    """The four tables from their rows' figures ({by: {key: (grants, paid, committed)}})."""
    ward_names = dict(
        Ward.objects.filter(**({} if scope.everything else {"pk__in": scope.wards})).values_list(
            "pk", "name"
        )
    )
    ward_order = sorted(ward_names, key=lambda k: ward_names[k])
    if scope.everything and NO_WARD in figures["ward"]:
        ward_names[NO_WARD] = "No ward recorded"
        ward_order.append(NO_WARD)

    funds = Fund.objects.order_by("name")
    if filters.fund is not None:
        funds = funds.filter(pk=filters.fund.pk)
    fund_names = dict(funds.values_list("pk", "name"))

    years = FinancialYear.objects.order_by("start")
    if filters.year is not None:
        years = years.filter(pk=filters.year.pk)
    year_names = dict(years.values_list("pk", "label"))

    members = Councillor.objects.select_related("ward").order_by("ward__name", "name")
    if not scope.everything:
        members = members.filter(pk__in=scope.councillors)
    else:
        members = members.filter(pk__in=sorted(figures["councillor"]))
    councillor_names = {c.pk: f"Cllr {c.name} ({c.ward.name})" for c in members}
    councillor_order = list(councillor_names)
    if scope.everything and CENTRAL_POT in figures["councillor"]:
        councillor_names[CENTRAL_POT] = POT_LABEL
        councillor_order.append(CENTRAL_POT)

    def labelled(by: str, names: dict[int, str], order: list[int]) -> list:
        return [(names[key], *figures[by].get(key, (0, 0, 0))) for key in order]

    where = f"{filters.describe}, {scope.label}"
    return {
        "ward": _table(
            f"Spend and commitments by ward ({where})",
            "Ward",
            labelled("ward", ward_names, ward_order),
        ),
        "fund": _table(
            f"Spend and commitments by fund ({where})",
            "Fund",
            labelled("fund", fund_names, list(fund_names)),
        ),
        "councillor": _table(
            f"Spend and commitments by councillor ({where})",
            "Councillor",
            labelled("councillor", councillor_names, councillor_order),
        ),
        "year": _table(
            f"Spend and commitments by financial year ({where})",
            "Financial year",
            labelled("year", year_names, list(year_names)),
        ),
    }


def section(by: str, table: Table) -> Section:
    def text(values) -> str:
        paid, committed = values
        return f"{money(paid)} paid, {money(committed)} committed"

    rows = table.rows
    intro = ""
    if by == "councillor":
        # The central pot dwarfs any one allocation: beside it, councillors' bars could not be
        # told apart. It stays in the table.
        pot = [row for row in rows if row[0] == POT_LABEL]
        rows = [row for row in rows if row[0] != POT_LABEL]
        if pot and (pot[0][2] or pot[0][3]):
            intro = (
                f"Grants paid from the central pot ({text((pot[0][2], pot[0][3]))}) are in the "
                "table, not the chart, so that councillors' allocations can be compared."
            )
    chart = bar_chart(
        id=f"spend-{by}",
        title=f"Paid and committed by {BREAKDOWNS[by].lower()}",
        series=SERIES,
        items=[(row[0], (row[2], row[3])) for row in rows],
        text=text,
        largest_first=by != "year",
        summary=lambda label, values: (
            f"Paid and committed by {BREAKDOWNS[by].lower()}: the most is {label}, {text(values)}."
        ),
        empty="Nothing has been paid or committed under these filters.",
    )
    return Section(
        id=f"by-{by}", title=f"By {BREAKDOWNS[by].lower()}", chart=chart, table=table, intro=intro
    )


def ledger_totals(filters: Filters) -> tuple[int, int]:
    """Paid and committed under the filters, in pence, from the ledger's stored balances (one
    row per account, no entries read): what every table of `breakdowns` adds up to for an
    officer."""
    found = dict(
        Account.objects.filter(
            filters.fund_years(prefix=""), kind__in=[Account.Kind.PAID, Account.Kind.COMMITMENT]
        )
        .order_by()
        .values_list("kind")
        .annotate(total=Sum("balance"))
        .values_list("kind", "total")
    )
    return pence_of(found.get(Account.Kind.PAID)), pence_of(found.get(Account.Kind.COMMITMENT))


def pence_of(pounds_value) -> int:
    return int(pounds_value * 100) if pounds_value is not None else 0
