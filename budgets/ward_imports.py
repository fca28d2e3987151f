"""Importing a council's wards from its own file, or from the ONS "Ward to Local Authority
District" lookup (columns WD24CD, WD24NM, LAD24CD, LAD24NM): `manage.py import_wards FILE` and
the administrator's import page (fundmgr.imports).

A ward is known by its GSS code. After a boundary review:
- a ward renamed keeps its code, so its row: the name changes and its history stays;
- a ward abolished, split or merged is replaced by new codes: a row for the new ward names the
  old codes in a "replaces" column; the new ward is created and each old one is ended
  (`Ward.ended_on`, `Ward.replaced_by`), keeping its past bids, allocations and published
  grants, while new bids can name only current wards.

Where the file has a district column (LAD24CD), only the council's own district's rows are
taken (Council.gss_code); the others are skipped with a count.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from budgets.models import Councillor, Ward
from budgets.models.structure import WARD_GSS_CODE, WARD_GSS_CODE_FORM
from fundmgr import councils
from fundmgr.imports import Column, Importer, Report, Table, parse_date, register

_YEARS = tuple(f"{year:02d}" for year in range(11, 31))
_CODE = re.compile(WARD_GSS_CODE)
_SEPARATORS = re.compile(r"[\s,;/|]+")


def ons(area: str, field: str) -> tuple[str, ...]:
    """The ONS lookup's headings for a field in every year's edition: WD11CD ... WD30CD."""
    return tuple(f"{area}{year}{field}" for year in _YEARS)


def code_of(text: str) -> str:
    """A GSS code as people type it: any case, stray spaces."""
    return re.sub(r"\s+", "", text).upper()


def label(name: str, code: str) -> str:
    return f"Ward {name} ({code})" if name else f"Ward {code}"


@dataclass
class WardPlan:
    create: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    rename: dict[int, str] = field(default_factory=dict)  # ward pk -> new name
    end: dict[int, str] = field(default_factory=dict)  # old ward pk -> code of its replacement
    end_rows: dict[int, int] = field(default_factory=dict)  # old ward pk -> its row
    ended_on: datetime.date | None = None


@register
class WardsImporter(Importer):
    kind = "wards"
    title = "Wards"
    description = (
        "Your wards and their ONS GSS codes: your own list, or the ONS Ward to Local Authority "
        "District lookup as it is downloaded (only your district's rows are taken). After a "
        "boundary review, a renamed ward keeps its code; a new ward names the codes it "
        "replaces, which are ended and keep their history."
    )
    sample = (
        {"gss_code": "E05900001", "name": "Abbey Meadow"},
        {"gss_code": "E05900002", "name": "Brookfield"},
        {
            "gss_code": "E05900013",
            "name": "Deanery and Elmstead",
            "replaces": "E05900004, E05900005",
        },
    )
    columns = (
        Column(
            "gss_code",
            aliases=("GSS code", "Ward code", "Code", *ons("WD", "CD")),
            help="The ward's ONS GSS code: E05, W05, S13 or N08 then 6 digits (E05012345).",
        ),
        Column(
            "name",
            aliases=("Ward name", "Ward", "Name", *ons("WD", "NM")),
            help="The ward's name as the council writes it.",
        ),
        Column(
            "lad_code",
            required=False,
            aliases=("LAD code", "District code", "Local authority code", *ons("LAD", "CD")),
            help="The district's GSS code (ONS lookup): rows of other districts are skipped.",
        ),
        Column(
            "replaces",
            required=False,
            aliases=("Replaced wards", "Old codes", "Previous codes", "Replaces codes"),
            help=(
                "After a boundary review: the codes of the wards this one replaces, separated "
                "by commas. They are ended; their history stays with them."
            ),
        ),
    )

    @classmethod
    def add_arguments(cls, parser) -> None:
        parser.add_argument(
            "--ended-on",
            dest="ended_on",
            default="",
            help="The day the replaced wards end (default: today), e.g. 2027-05-06.",
        )

    # --- planning: checks every row, writes nothing --------------------------------------

    def plan(self, table: Table, report: Report) -> WardPlan:
        council = self.council
        plan = WardPlan(ended_on=self._ended_on(report))
        by_district = "lad_code" in table.columns
        own_lad = code_of(council.gss_code or "")
        if by_district and not own_lad:
            report.add(
                None,
                "refuse",
                column="lad_code",
                reason=(
                    f"The file names each ward's district, but {council.name} has no GSS code "
                    "set to pick its own: set it in the council's settings first."
                ),
            )
            return plan

        with councils.across_the_service():  # a code is unique across the service
            wards = list(Ward.objects.select_related("council").order_by("pk"))
        by_code = {ward.gss_code: ward for ward in wards}
        seen_codes: dict[str, int] = {}
        seen_names: dict[str, int] = {}
        replaced: dict[str, tuple[int, str]] = {}  # old code -> (row, new code)
        others = 0
        rows: list[tuple[int, str, str, list[str]]] = []

        for row in table.rows:
            values = row.values
            if by_district and code_of(values["lad_code"]) != own_lad:
                others += 1
                continue
            code, name = code_of(values["gss_code"]), values["name"]
            problem = ""
            if not code:
                problem = "gss_code", "A ward needs its GSS code."
            elif not _CODE.match(code):
                problem = "gss_code", WARD_GSS_CODE_FORM
            elif code in seen_codes:
                problem = "gss_code", f"The code is on row {seen_codes[code]} already."
            elif not name:
                problem = "name", "A ward needs its name."
            elif len(name) > 120:
                problem = "name", "A ward's name has at most 120 characters."
            elif name.casefold() in seen_names:
                problem = "name", f"The name is on row {seen_names[name.casefold()]} already."
            elif (other := by_code.get(code)) is not None and other.council_id != council.pk:
                problem = "gss_code", f"The code is a ward of {other.council.name}."
            if problem:
                column, reason = problem
                report.add(
                    row.number,
                    "refuse",
                    column=column,
                    value=values[column],
                    reason=reason,
                    record=label(name, code),
                )
                continue
            seen_codes[code] = row.number
            seen_names[name.casefold()] = row.number
            old_codes = [
                old
                for old in map(code_of, _SEPARATORS.split(values.get("replaces", "")))
                if old and old != code
            ]
            rows.append((row.number, code, name, old_codes))

        for number, code, name, old_codes in rows:
            self._plan_row(
                number, code, name, old_codes, by_code, seen_codes, replaced, plan, report
            )

        if others:
            report.add(
                None,
                "skip",
                column="lad_code",
                reason=(
                    f"{others} row(s) are wards of other districts (not {own_lad}) and were "
                    "skipped."
                ),
            )
        left = [
            w
            for w in wards
            if w.council_id == council.pk
            and w.ended_on is None
            and w.gss_code not in seen_codes
            and w.gss_code not in replaced
        ]
        if left and (rows or not others):
            report.add(
                None,
                "warn",
                reason=(
                    f"{len(left)} current ward(s) of {council.name} are not in the file and "
                    f"stay as they are ({', '.join(w.gss_code for w in left[:5])}"
                    f"{'...' if len(left) > 5 else ''}): to end a ward, name its code in the "
                    "'replaces' column of the ward that replaces it."
                ),
            )
        self._check_names(plan, wards, report)
        if plan.end and plan.ended_on:
            self._warn_of_terms(plan, plan.ended_on, report)
        return plan

    def _ended_on(self, report: Report) -> datetime.date:
        text = str((self.options or {}).get("ended_on") or "")
        if not text:
            return timezone.localdate()
        try:
            return parse_date(text)
        except ValueError as error:
            report.add(None, "refuse", column="ended_on", value=text, reason=str(error))
            return timezone.localdate()

    def _plan_row(self, number, code, name, old_codes, by_code, in_file, replaced, plan, report):
        council = self.council
        ward = by_code.get(code)
        record = label(name, code)
        ends: list[Ward] = []
        for old in old_codes:
            problem = ""
            was = by_code.get(old)
            if not _CODE.match(old):
                problem = f"'{old}' is not a ward's GSS code. {WARD_GSS_CODE_FORM}"
            elif old in in_file:
                problem = f"{old} is a ward on row {in_file[old]}: a ward in the file is current."
            elif old in replaced and replaced[old][1] != code:
                problem = f"{old} is replaced on row {replaced[old][0]} already."
            elif was is not None and was.council_id != council.pk:
                problem = f"{old} is a ward of {was.council.name}."
            elif (
                was is not None
                and was.ended_on is not None
                and (ward is None or was.replaced_by_id != ward.pk)
            ):
                problem = f"{was} ({old}) was ended on {was.ended_on:%-d %B %Y} already."
            if problem:
                report.add(
                    number, "refuse", column="replaces", value=old, reason=problem, record=record
                )
                return
            replaced[old] = (number, code)
            if was is None:
                report.add(
                    number,
                    "warn",
                    column="replaces",
                    value=old,
                    reason=f"{old} is not a ward here: there is nothing to end.",
                    record=record,
                )
            elif not (ward is not None and was.replaced_by_id == ward.pk):
                ends.append(was)

        if ward is not None and ward.ended_on is not None:
            report.add(
                number,
                "refuse",
                column="gss_code",
                value=code,
                reason=(
                    f"{ward} ended on {ward.ended_on:%-d %B %Y}: an ended ward is not brought "
                    "back. A new ward has a new code."
                ),
                record=record,
            )
            return

        for was in ends:
            plan.end[was.pk] = code
            plan.end_rows[was.pk] = number
        ended = "; ends " + ", ".join(f"{w} ({w.gss_code})" for w in ends) if ends else ""
        if ward is None:
            plan.create.append((code, name))
            report.add(number, "create", reason=f"A new ward{ended}.", record=record)
        elif ward.name != name and ward.name.casefold() != name.casefold():
            plan.rename[ward.pk] = name
            report.add(
                number,
                "change",
                column="name",
                value=name,
                reason=f"Renamed from {ward.name}: its bids and history stay with it{ended}.",
                record=record,
            )
        elif ends:
            report.add(number, "change", column="replaces", reason=f"It{ended}.", record=record)
        elif ward.name != name:
            report.add(
                number,
                "unchanged",
                column="name",
                value=name,
                reason=f"The name differs only in case from {ward.name}, which is kept.",
                record=label(ward.name, code),
            )
        else:
            report.add(number, "unchanged", record=record)

    def _check_names(self, plan: WardPlan, wards: list[Ward], report: Report) -> None:
        """Two current wards of a council never share a name once the import is done."""
        council_id = self.council.pk
        names: dict[str, str] = {}
        for ward in wards:
            if ward.council_id == council_id and ward.ended_on is None and ward.pk not in plan.end:
                names[plan.rename.get(ward.pk, ward.name).casefold()] = ward.gss_code
        for code, name in plan.create:
            other = names.get(name.casefold())
            if other is not None and other != code:
                report.add(
                    None,
                    "refuse",
                    column="name",
                    value=name,
                    reason=(
                        f"{other} is a current ward named {name}: two current wards cannot "
                        "share a name (end the old one with 'replaces', or rename it)."
                    ),
                    record=label(name, code),
                )
            names[name.casefold()] = code

    def _warn_of_terms(self, plan: WardPlan, day: datetime.date, report: Report) -> None:
        """A ward ended while councillors still sit for it: their terms stay with the old ward
        (their allocations and pledges are its) until each is ended."""
        serving = (
            Councillor.objects.filter(ward_id__in=plan.end)
            .filter(Q(term_end__isnull=True) | Q(term_end__gt=day))
            .select_related("ward")
            .order_by("ward__name", "name")
        )
        for term in serving:
            report.add(
                plan.end_rows[term.ward_id],
                "warn",
                column="replaces",
                value=term.ward.gss_code,
                reason=(
                    f"{term} sits for {term.ward} after it ends on {day:%-d %B %Y}: the term "
                    "stays with the old ward until it is ended ('End this term…' in the list "
                    "of councillors), and a new term is for the new ward."
                ),
                record=label(term.ward.name, term.ward.gss_code),
            )

    # --- applying: called only when nothing was refused ------------------------------------

    def apply(self, plan: WardPlan, report: Report) -> None:
        ending = list(Ward.objects.filter(pk__in=plan.end).select_for_update())
        for ward in ending:
            ward.ended_on = plan.ended_on
            ward.save(update_fields=["ended_on"])
        for ward in Ward.objects.filter(pk__in=plan.rename).select_for_update():
            ward.name = plan.rename[ward.pk]
            ward.full_clean(exclude=["council", "replaced_by"], validate_unique=False)
            ward.save(update_fields=["name"])
        made = {}
        for code, name in plan.create:
            ward = Ward(council=self.council, name=name, gss_code=code)
            ward.full_clean(exclude=["council", "replaced_by"], validate_unique=False)
            ward.save()
            made[code] = ward
        wards = {w.gss_code: w for w in Ward.objects.filter(gss_code__in=set(plan.end.values()))}
        for ward in ending:
            ward.replaced_by = wards[plan.end[ward.pk]]
            ward.save(update_fields=["replaced_by"])
