"""The opening position's file (budgets/opening.py): its columns, and each row read into the
councillors' positions, refusing in the report, row by row, whatever cannot be read: an unknown
councillor or ward, a fund or year that is not there, an amount or a date that is not one, more
paid than committed, a grant reference used twice or already used by fundmgr."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from budgets.models import Councillor, FinancialYear, Fund, FundYear, LedgerTransaction, Ward
from fundmgr.imports import Column, Report, Row, Table, parse_date, parse_money
from fundmgr.money import pounds

Kind = LedgerTransaction.Kind
ZERO = Decimal("0.00")
REFERENCE_LENGTH = 18  # a commitment account's reference

COLUMNS = (
    Column(
        "councillor",
        aliases=("Councillor name", "Member", "Councillor e-mail", "Email", "E-mail"),
        help="The councillor's name as fundmgr has it, or their e-mail address.",
    ),
    Column(
        "ward",
        required=False,
        aliases=("Ward name", "Ward code", "GSS code"),
        help="Ward name or GSS code: needed only where two councillors share a name.",
    ),
    Column(
        "fund",
        required=False,
        aliases=("Fund code", "Scheme"),
        help="The fund's code (CCIF); blank: the council's one fund paid from allocations.",
    ),
    Column(
        "financial_year",
        required=False,
        aliases=("Year", "FY"),
        help="2026/27; blank: the year of the switch date.",
    ),
    Column(
        "allocation",
        required=False,  # a later file may add grants to allocations already posted
        aliases=("Annual allocation", "Allocation amount"),
        help="The councillor's allocation for the year (on one of their rows, or on each).",
    ),
    Column(
        "reference",
        required=False,
        aliases=("Grant reference", "Grant ref", "Ref"),
        help="A grant row: the grant's reference in the council's own records.",
    ),
    Column(
        "title",
        required=False,
        aliases=("Grant title", "Project", "Purpose"),
        help="What the grant is for.",
    ),
    Column(
        "organisation",
        required=False,
        aliases=("Organisation name", "Group", "Recipient"),
        help="The group the grant was awarded to.",
    ),
    Column(
        "committed",
        required=False,
        aliases=("Amount committed", "Committed amount", "Amount awarded", "Awarded"),
        help="The whole amount awarded to the grant from the allocation.",
    ),
    Column(
        "paid",
        required=False,
        aliases=("Amount paid", "Paid amount", "Paid to date"),
        help="How much of it was paid before the switch (blank: nothing).",
    ),
    Column(
        "date",
        required=False,
        aliases=("Date committed", "Date awarded", "Award date"),
        help="When it was committed: in the year, not after the switch date.",
    ),
)
SAMPLE = (
    {"councillor": "Sam Shaw", "ward": "Abbey Meadow", "allocation": "1000.00"},
    {
        "councillor": "Sam Shaw",
        "ward": "Abbey Meadow",
        "reference": "WB-2026-014",
        "title": "Summer play scheme",
        "organisation": "Friends of Abbey Park",
        "committed": "300.00",
        "paid": "300.00",
        "date": "12/06/2026",
    },
)


def long_date(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def year_start(text: str) -> datetime.date:
    """1 April of the financial year written as 2026/27, 2026-27, 2026/2027 or 2026-2027."""
    match = re.fullmatch(r"(\d{4})\s*[/-]\s*(\d{2}|\d{4})", text.strip())
    if match:
        first, second = int(match[1]), match[2]
        if (int(second) if len(second) == 4 else int(str(first)[:2] + second)) == first + 1:
            return datetime.date(first, 4, 1)
    raise ValueError(f"{text!r} is not a financial year: write it as 2026/27.")


@dataclass
class Grant:
    row: int
    reference: str
    title: str
    organisation: str
    committed: Decimal
    paid: Decimal
    on: datetime.date | None


@dataclass
class Position:
    """One councillor's opening position in one fund year, as the file gives it."""

    fund_year: FundYear
    councillor: Councillor
    allocation: Decimal | None = None
    allocation_row: int | None = None
    first_row: int = 0
    grants: list[Grant] = field(default_factory=list)


class Reader:
    """Reads every row of the file into a Position per councillor and fund year."""

    def __init__(self, table: Table, report: Report, *, switch: datetime.date):
        self.rows = table.rows
        self.report = report
        self.switch = switch
        self.fund_years = {
            (fy.fund.code.casefold(), fy.year.start): fy
            for fy in FundYear.objects.select_related("fund", "year")
        }
        self.funds = list(Fund.objects.order_by("code"))
        self.wards = list(Ward.objects.all())
        self.councillors = list(Councillor.objects.select_related("ward", "user").order_by("pk"))
        self.fund_codes = {fund.code for fund in self.funds}
        # References fundmgr has posted money under other than by an opening position.
        references = {row.values["reference"] for row in self.rows if row.values.get("reference")}
        self.taken = set(
            LedgerTransaction.objects.filter(reference__in=references)
            .exclude(Q(kind=Kind.OPENING) | Q(kind=Kind.REVERSAL, reverses__kind=Kind.OPENING))
            .values_list("reference", flat=True)
        )

    def positions(self) -> list[Position]:
        positions: dict[tuple[int, int], Position] = {}
        references: dict[tuple[int, str], int] = {}
        for row in self.rows:
            self._row(row, positions, references)
        return list(positions.values())

    def _refuse(self, row: Row, column: str, reason: str, record: str = "") -> None:
        self.report.add(
            row.number,
            "refuse",
            column=column,
            value=row.values.get(column, ""),
            reason=reason,
            record=record,
        )

    def _fund_year(self, row: Row) -> FundYear | None:
        text = row.values.get("financial_year", "")
        if text:
            try:
                start = year_start(text)
            except ValueError as error:
                self._refuse(row, "financial_year", str(error))
                return None
        else:
            start = FinancialYear.start_for(self.switch)
        code = row.values.get("fund", "")
        if code:
            fund_year = self.fund_years.get((code.casefold(), start))
            if fund_year is None:
                known = sorted({c for c, s in self.fund_years if s == start})
                self._refuse(
                    row,
                    "fund",
                    f"There is no fund {code!r} in {self._label(start)}: "
                    + (
                        f"the funds that year are {', '.join(c.upper() for c in known)}."
                        if known
                        else "set up the fund year in /admin/ first."
                    ),
                )
            return fund_year
        candidates = [
            fy for (_, s), fy in self.fund_years.items() if s == start and fy.uses_allocations
        ]
        if len(candidates) == 1:
            return candidates[0]
        self._refuse(
            row,
            "fund",
            f"Say which fund: {self._label(start)} has "
            + (
                f"{len(candidates)} funds paid from allocations "
                f"({', '.join(fy.fund.code for fy in candidates)})."
                if candidates
                else "no fund paid from allocations: set up the fund year in /admin/ first."
            ),
        )
        return None

    @staticmethod
    def _label(start: datetime.date) -> str:
        return f"{start.year}/{str(start.year + 1)[-2:]}"

    def _ward(self, row: Row) -> Ward | None | bool:
        """The ward the row names (None: it names none; False: refused)."""
        text = row.values.get("ward", "")
        if not text:
            return None
        found = [w for w in self.wards if w.gss_code.upper() == text.upper()] or [
            w for w in self.wards if _key(w.name) == _key(text)
        ]
        if not found:
            self._refuse(row, "ward", f"No ward is called {text!r} or has that GSS code.")
            return False
        # After a boundary review the current ward of the name, not the abolished one.
        current = [w for w in found if getattr(w, "ended_on", None) is None]
        return (current or found)[0]

    def _councillor(self, row: Row, fund_year: FundYear) -> Councillor | None:
        text = row.values.get("councillor", "")
        if not text:
            self._refuse(row, "councillor", "Give the councillor's name or e-mail address.")
            return None
        ward = self._ward(row)
        if ward is False:
            return None
        if "@" in text:
            named = [c for c in self.councillors if _key(c.user.email) == _key(text)]
        else:
            name = re.sub(r"^(cllr\.?|councillor)\s+", "", _key(text))
            named = [c for c in self.councillors if _key(c.name) == name]
        if not named:
            self._refuse(
                row,
                "councillor",
                f"No councillor is called {text!r}"
                + (" or has that e-mail address" if "@" in text else "")
                + ": import the councillors first, or write the name as fundmgr has it.",
            )
            return None
        if ward is not None:
            here = [c for c in named if c.ward_id == ward.pk]
            if not here:
                wards = ", ".join(sorted({c.ward.name for c in named}))
                self._refuse(row, "ward", f"{named[0]} represents {wards}, not {ward.name}.")
                return None
            named = here
        year = fund_year.year
        serving = [c for c in named if c.in_term_during(year)]
        if not serving:
            self._refuse(
                row,
                "councillor",
                f"{named[0]} is not in office at any time in {year.label}, so has no allocation.",
            )
            return None
        people = {c.user_id for c in serving}
        if len(people) > 1:
            wards = ", ".join(sorted({c.ward.name for c in serving}))
            self._refuse(
                row,
                "councillor",
                f"{len(people)} councillors are called {text!r} ({wards}): give the ward.",
            )
            return None
        # A re-elected member has a row for each term: the one in office at the switch.
        on_switch = [c for c in serving if c.in_term_on(self.switch)]
        return (on_switch or serving)[-1]

    def _money(self, row: Row, column: str) -> Decimal | None | bool:
        text = row.values.get(column, "")
        if not text:
            return None
        try:
            amount = parse_money(text)
        except ValueError as error:
            self._refuse(row, column, str(error))
            return False
        if amount < 0 or (amount == 0 and column != "paid"):
            self._refuse(row, column, f"The {column} amount must be more than £0.00.")
            return False
        return amount

    def _row(
        self,
        row: Row,
        positions: dict[tuple[int, int], Position],
        references: dict[tuple[int, str], int],
    ) -> None:
        start = len(self.report.outcomes)
        fund_year = self._fund_year(row)
        councillor = self._councillor(row, fund_year) if fund_year else None
        allocation = self._money(row, "allocation")
        reference = row.values.get("reference", "")
        committed = self._money(row, "committed")
        paid = self._money(row, "paid")
        on = None
        if text := row.values.get("date", ""):
            try:
                on = parse_date(text)
            except ValueError as error:
                self._refuse(row, "date", str(error))
        bad = any(o.action == "refuse" for o in self.report.outcomes[start:])
        if not reference and (committed or paid):
            self._refuse(row, "reference", "A grant row needs the grant's reference.")
            return
        if not reference and allocation is None and not bad:
            self._refuse(
                row,
                "allocation",
                "The row has neither an allocation nor a grant: give the councillor's "
                "allocation, or a grant's reference and the amount committed.",
            )
            return
        if reference:
            bad = not self._grant_fits(row, reference, committed, paid, on, fund_year) or bad
        if bad or fund_year is None or councillor is None:
            return
        position = positions.setdefault(
            (fund_year.pk, councillor.pk),
            Position(fund_year, councillor, first_row=row.number),
        )
        if isinstance(allocation, Decimal):
            if position.allocation is not None and position.allocation != allocation:
                self._refuse(
                    row,
                    "allocation",
                    f"Row {position.allocation_row} gives {councillor}'s {fund_year} allocation "
                    f"as {pounds(position.allocation)}: one amount for the year.",
                )
                return
            if position.allocation is None:
                position.allocation, position.allocation_row = allocation, row.number
        if reference:
            where = (fund_year.pk, reference.casefold())
            if where in references:
                self._refuse(
                    row, "reference", f"Row {references[where]} has this grant reference too."
                )
                return
            references[where] = row.number
            assert isinstance(committed, Decimal)
            position.grants.append(
                Grant(
                    row.number,
                    reference,
                    row.values.get("title", ""),
                    row.values.get("organisation", ""),
                    committed,
                    paid or ZERO,
                    on,
                )
            )

    def _grant_fits(
        self,
        row: Row,
        reference: str,
        committed: Decimal | None | bool,
        paid: Decimal | None | bool,
        on: datetime.date | None,
        fund_year: FundYear | None,
    ) -> bool:
        fits = True
        if len(reference) > REFERENCE_LENGTH:
            self._refuse(
                row, "reference", f"A grant reference is at most {REFERENCE_LENGTH} characters."
            )
            fits = False
        elif self._looks_ours(reference):
            self._refuse(
                row,
                "reference",
                "This is the form of fundmgr's own references (fund code, year, number), "
                "which it gives its own applications: add a prefix, such as OLD-, to keep the "
                "two apart.",
            )
            fits = False
        elif reference in self.taken:
            self._refuse(
                row,
                "reference",
                "fundmgr already has money posted under this reference: give the grant its "
                "own reference.",
            )
            fits = False
        if committed is None:
            self._refuse(row, "committed", "Give the amount committed to the grant.")
            fits = False
        if committed is False or paid is False:
            fits = False
        if isinstance(committed, Decimal) and isinstance(paid, Decimal) and paid > committed:
            self._refuse(
                row,
                "paid",
                f"More has been paid than the {pounds(committed)} committed: the committed "
                "amount is the whole award, and paid the part of it already paid.",
            )
            fits = False
        if on is not None and fund_year is not None:
            year = fund_year.year
            if not year.contains(on):
                self._refuse(row, "date", f"The date is not in the {year.label} financial year.")
                fits = False
            elif on > self.switch:
                self._refuse(
                    row,
                    "date",
                    f"The date is after the switch ({long_date(self.switch)}): commit it in "
                    "fundmgr instead.",
                )
                fits = False
        return fits

    def _looks_ours(self, reference: str) -> bool:
        match = re.fullmatch(r"([A-Za-z]+)\d{2}-\d+", reference)
        return bool(match) and match[1].upper() in {c.upper() for c in self.fund_codes}
