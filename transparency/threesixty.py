"""The 360Giving Data Standard export: a JSON package, and a spreadsheet (CSV or XLSX) whose
columns carry the standard's own titles (`Recipient Org:Identifier`, `Beneficiary
Location:Geographic Code Type`...), so 360Giving's tools read either.

Every format is written as it is read, a chunk of grants at a time (`published.grant_rows`):
memory stays bounded however many grants a year holds. One function, `grant`, says what is
published of a grant; the spreadsheet is its flattening.
"""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from budgets.models import FinancialYear
from transparency import identifiers as ids
from transparency.published import GrantRow, grant_rows, most_wards

if TYPE_CHECKING:
    from transparency.schema import PackageCheck

VERSION = "1.4"
WARD = "WD"  # geoCodeType: electoral wards/divisions (ONS E05, W05, S13, N08 codes)


def number(amount: Decimal) -> int | float:
    """A JSON or spreadsheet number for an amount of money. Money is Decimal everywhere else;
    this is only how it is written: a float's shortest form of a two-place amount is exactly its
    digits (123.45), and whole pounds are written as integers."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def timestamp(moment: datetime.datetime, zone: datetime.tzinfo | None = None) -> str:
    local = moment.astimezone(zone or timezone.get_current_timezone())
    return local.replace(microsecond=0).isoformat()


def grant(row: GrantRow) -> dict:
    """One grant as a 360Giving JSON object."""
    own = row.prefix  # every identifier of the grant is its own council's
    record: dict = {
        "id": ids.grant_id(row.reference, own),
        "title": row.title or row.reference,
        "description": row.purpose or row.title or row.reference,
        "currency": "GBP",
        "amountAwarded": number(row.amount_awarded),
        "amountDisbursed": number(row.disbursed),
    }
    if row.amount_requested is not None:
        record["amountAppliedFor"] = number(row.amount_requested)
    record["awardDate"] = (row.award_date or row.updated_at.date()).isoformat()
    if row.project_start:
        planned = {"startDate": row.project_start.isoformat()}
        if row.project_end:
            planned["endDate"] = row.project_end.isoformat()
        record["plannedDates"] = [planned]
    recipient = {
        "id": ids.organisation_id(
            pk=row.organisation_pk,
            charity_number=row.charity_number,
            company_number=row.company_number,
            prefix=own,
        ),
        "name": row.organisation_name,
    }
    if row.charity_number:
        recipient["charityNumber"] = row.charity_number
    if row.company_number:
        recipient["companyNumber"] = row.company_number
    record["recipientOrganization"] = [recipient]
    if row.wards:
        record["beneficiaryLocation"] = [
            {"name": w.name, "countryCode": "GB", "geoCode": w.gss_code, "geoCodeType": WARD}
            for w in row.wards
        ]
    funder = {
        "id": ids.council_id(org_id=row.council_org_id, gss_code=row.council_gss_code, prefix=own),
        "name": row.council_name,
    }
    if row.council_department.strip():
        funder["department"] = row.council_department.strip()
    record["fundingOrganization"] = [funder]
    record["grantProgramme"] = [{"code": row.fund_code, "title": row.fund_name}]
    record["fromOpenCall"] = "Yes"
    record["dateModified"] = timestamp(row.modified_at, row.zone)
    if row.imported:
        republished(record, row.imported)
    return record


def republished(record: dict, imported: dict) -> None:
    """A past grant imported from a 360Giving file is published again as it came: its own
    identifier, recipient, places, programme and amount disbursed (the ledger holds none of its
    payments); the funder is the council publishing it."""
    record["id"] = imported["id"]
    record["recipientOrganization"] = imported["recipientOrganization"]
    for key in ("beneficiaryLocation", "grantProgramme", "fromOpenCall"):
        if key in imported:
            record[key] = imported[key]
        elif key == "beneficiaryLocation":
            record.pop(key, None)
    if "amountDisbursed" in imported:
        record["amountDisbursed"] = number(Decimal(imported["amountDisbursed"]))


# --- the JSON package -----------------------------------------------------------------------


def package_metadata(year: FinancialYear | None) -> dict:
    """Everything in the package but its grants: who publishes it, what it covers, its licence.
    A council's package is published by the council; the service-wide package (working across
    a service of several councils) by the service, each grant naming its own council as funder."""
    council = ids.publisher()
    covers = f"the {year.label} financial year" if year else "every financial year"
    slug = year.label.replace("/", "-") if year else "all"
    if council is None:
        name = service_name()
        title = f"{name}: community grants awarded by every council on the service in {covers}"
        description = (
            f"Grants awarded in {covers} by every council whose community grants {name} runs, "
            "each named as its grants' funder and identified by its own 360Giving prefix, in "
            "the 360Giving Data Standard. Amounts disbursed are what has been paid to date."
        )
        identifier = f"all-councils-grants-{slug}"
    else:
        name = council.name
        title = f"{name}: community grants awarded in {covers}"
        description = (
            f"Grants awarded by {name} from its community funds in {covers}, in the 360Giving "
            "Data Standard. Amounts disbursed are what has been paid to date."
        )
        identifier = f"{ids.prefix(council)}grants-{slug}"
    meta = {
        "version": VERSION,
        "title": title,
        "description": description,
        "identifier": identifier,
        "issued": timezone.localdate().isoformat(),
        "modified": timestamp(timezone.now()),
        "publisher": {"name": name},
        "license": settings.GRANTS_LICENSE,
    }
    if council is not None:
        meta["publisher"]["identifier"] = ids.council_id(
            org_id=council.org_id, gss_code=council.gss_code, prefix=ids.prefix(council)
        )
    return meta


def service_name() -> str:
    """The service's own name (the settings file's, where it is the service's to set)."""
    return getattr(settings, "SERVICE_NAME", "") or "Community grants"


def records(
    year: FinancialYear | None = None,
    rows: Iterable[GrantRow] | None = None,
    check: PackageCheck | None = None,
) -> Iterator[dict]:
    """Each published grant's JSON object, checked against the schema as it is made when a
    `check` is given."""
    for row in grant_rows(year=year) if rows is None else rows:
        record = grant(row)
        if check is not None:
            check.grant(record)
        yield record


def json_chunks(
    year: FinancialYear | None = None,
    rows: Iterable[GrantRow] | None = None,
    check: PackageCheck | None = None,
) -> Iterator[str]:
    """The package as text, a piece at a time: the grants array first, then the metadata."""
    yield '{"grants": [\n'
    first = True
    for record in records(year, rows, check):
        yield ("" if first else ",\n") + json.dumps(record, ensure_ascii=False)
        first = False
    metadata = package_metadata(year)
    if check is not None:
        check.metadata(metadata)
    meta = json.dumps(metadata, ensure_ascii=False, indent=1)
    yield "\n],\n" + meta[1:].lstrip("\n")


def write_json(
    out: IO[str], year: FinancialYear | None = None, check: PackageCheck | None = None
) -> None:
    for piece in json_chunks(year, check=check):
        out.write(piece)


# --- the spreadsheet: the standard's column titles ------------------------------------------

LOCATION_FIELDS = [
    ("Name", "name"),
    ("Country Code", "countryCode"),
    ("Geographic Code", "geoCode"),
    ("Geographic Code Type", "geoCodeType"),
]
NUMBERS = {"Amount Applied For", "Amount Awarded", "Amount Disbursed"}


def titles(locations: int) -> list[str]:
    """The columns: one set of Beneficiary Location columns, or numbered sets from 0 when a
    grant benefits several wards (as 360Giving's spreadsheet guidance numbers them)."""
    if locations <= 1:
        location = [f"Beneficiary Location:{title}" for title, _ in LOCATION_FIELDS]
    else:
        location = [
            f"Beneficiary Location:{n}:{title}"
            for n in range(locations)
            for title, _ in LOCATION_FIELDS
        ]
    return [
        "Identifier",
        "Title",
        "Description",
        "Currency",
        "Amount Applied For",
        "Amount Awarded",
        "Amount Disbursed",
        "Award Date",
        "Planned Dates:Start Date",
        "Planned Dates:End Date",
        "Recipient Org:Identifier",
        "Recipient Org:Name",
        "Recipient Org:Charity Number",
        "Recipient Org:Company Number",
        *location,
        "Funding Org:Identifier",
        "Funding Org:Name",
        "Funding Org:Department",
        "Grant Programme:Code",
        "Grant Programme:Title",
        "From An Open Call?",
        "Last Modified",
    ]


def flat(record: dict, locations: int) -> list:
    """A grant's JSON object as one spreadsheet row, in the order of `titles(locations)`."""
    planned = (record.get("plannedDates") or [{}])[0]
    recipient = record["recipientOrganization"][0]
    funder = record["fundingOrganization"][0]
    programme = record["grantProgramme"][0]
    places = record.get("beneficiaryLocation", [])
    location_cells = [
        (places[n].get(key, "") if n < len(places) else "")
        for n in range(max(locations, 1))
        for _, key in LOCATION_FIELDS
    ]
    return [
        record["id"],
        record["title"],
        record["description"],
        record["currency"],
        record.get("amountAppliedFor", ""),
        record["amountAwarded"],
        record["amountDisbursed"],
        record["awardDate"],
        planned.get("startDate", ""),
        planned.get("endDate", ""),
        recipient["id"],
        recipient["name"],
        recipient.get("charityNumber", ""),
        recipient.get("companyNumber", ""),
        *location_cells,
        funder["id"],
        funder["name"],
        funder.get("department", ""),
        programme["code"],
        programme.get("title", ""),
        record.get("fromOpenCall", ""),
        record["dateModified"],
    ]


def rows(year: FinancialYear | None = None, check: PackageCheck | None = None) -> Iterator[list]:
    """The header row, then one row per grant (each grant checked as it is made, if asked)."""
    locations = max(most_wards(year=year), most_places(year))
    yield titles(locations)
    for record in records(year, check=check):
        yield flat(record, locations)


def most_places(year: FinancialYear | None = None) -> int:
    """The most places any past grant imported from a 360Giving file is published with (its
    places as the file had them, which may be more than its wards here)."""
    from transparency.models import ImportedGrant

    found = ImportedGrant.objects.all()
    if year is not None:
        found = found.filter(application__fund_year__year=year)
    kept = found.values_list("published__beneficiaryLocation", flat=True)
    return max((len(p) for p in kept.iterator() if isinstance(p, list)), default=0)


class _Echo:
    """A file-like object that hands back what is written: csv.writer into a stream."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(year: FinancialYear | None = None) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows(year):
        yield writer.writerow(row)


def write_csv(
    out: IO[str], year: FinancialYear | None = None, check: PackageCheck | None = None
) -> None:
    writer = csv.writer(out)
    for row in rows(year, check):
        writer.writerow(row)


def write_xlsx(
    path_or_file, year: FinancialYear | None = None, check: PackageCheck | None = None
) -> None:
    """The spreadsheet as XLSX, one sheet named `grants` as 360Giving's templates name it.
    openpyxl's write-only mode streams rows to disk: memory stays flat."""
    from transparency.spreadsheets import write_only_sheet

    write_only_sheet(path_or_file, "grants", rows(year, check), numbers=NUMBERS)
