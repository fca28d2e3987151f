"""Past grants from a 360Giving file: `manage.py import_360giving FILE` and the administrator's
"Import from a file" page (fundmgr/imports.py runs it).

The file: a 360Giving JSON package (`{"grants": [...]}`), or the 360Giving spreadsheet template
as CSV or XLSX, whose columns carry the standard's titles ("Identifier", "Amount Awarded",
"Recipient Org:Identifier", "Beneficiary Location:0:Geographic Code"...). Both are read into the
same flattened columns (`COLUMNS`), so one check serves every format: a JSON grant is flattened
as the standard's spreadsheet would hold it (`flatten`), rather than a spreadsheet unflattened
with `flattentool`, which the service does not carry. A JSON grant's "row" in the report is its
place in the `grants` list (the first grant is row 1), named with its identifier.

Where a past grant lives: an application of the council, closed, with its award and award date,
in the fund its programme names (or the fund `--fund` names), with its wards (the beneficiary
locations whose geographic code is a ward's GSS code), and a `transparency.ImportedGrant` saying
where it came from. So the public register, the ward profiles and the dashboards count it as any
other grant, and the 360Giving export writes it back as it came: its own identifier, recipient,
programme, places and amount disbursed (`ImportedGrant.published`); the funder it names is the
council publishing it. It has NO ledger postings: the money was paid before fundmgr, and
`check_ledger` has nothing of it to check. A financial year or a fund year the council did not
have yet is made for it (closed to bids: its dates are in the past).

Decisions (documented for administrators):
- Organisations are matched by org-id: the charity or company number the recipient's identifier
  (GB-CHC-, GB-SC-, GB-NIC-, GB-COH-) or its own number fields name, an identifier an earlier
  import met, or this service's own (`<prefix>ORG-42`); else the organisation is created.
- An unknown grant programme is refused: add the fund in /admin/, or take every grant of the
  file into one fund with `--fund CODE` (its programme is still published as it was).
- Grants of another funder are skipped (counted), unless `--as-funder ORG-ID` names the funder
  whose grants to take.
- Untidy files import with a warning where the meaning is clear ("Y"/"N", £ in amounts, dates
  written 27/09/2013, a missing description or title, extra columns); a row without an
  identifier, an amount, a GBP currency or an award date is refused.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from applications.models import (
    REFERENCE_DIGITS,
    REFERENCE_LENGTH,
    Application,
    Organisation,
    ReferenceCounter,
    next_reference,
    reference_prefix,
)
from applications.workflow import Status
from budgets.models import FinancialYear, Fund, FundYear, Ward
from fundmgr.errors import InvalidInput
from fundmgr.imports import (
    Column,
    Importer,
    Report,
    Row,
    Table,
    parse_date,
    parse_money,
    read_table,
    register,
    tidy,
)
from transparency import identifiers as ids
from transparency import summaries
from transparency.models import ImportedGrant

LOCATIONS = 5  # numbered Beneficiary Location columns read from a spreadsheet: 0 to 4
LOCATION_FIELDS = (
    ("geo_code", "Geographic Code", "geoCode"),
    ("geo_name", "Name", "name"),
    ("geo_type", "Geographic Code Type", "geoCodeType"),
    ("geo_country", "Country Code", "countryCode"),
)
IMPORT_USER = "360giving-import"
# A JSON grant's row.raw: the grant as the file had it, or the item that is not a grant.
JSON, NOT_A_GRANT = "360Giving JSON grant", "360Giving JSON item (not a grant)"
FROM_FILE = "Not given (imported from a 360Giving file)"


def _location_columns() -> tuple[Column, ...]:
    found = []
    for n in range(LOCATIONS):
        for name, title, _ in LOCATION_FIELDS:
            aliases = (f"Beneficiary Location:{n}:{title}",)
            if n == 0:
                aliases += (f"Beneficiary Location:{title}",)
            found.append(Column(f"{name}_{n}", required=False, aliases=aliases))
    return tuple(found)


COLUMNS: tuple[Column, ...] = (
    Column("identifier", aliases=("Identifier", "id"), help="The grant's 360Giving identifier."),
    Column("title", required=False, aliases=("Title",)),
    Column("description", required=False, aliases=("Description",)),
    Column("currency", aliases=("Currency",), help="GBP."),
    Column("amount_awarded", aliases=("Amount Awarded",)),
    Column("amount_applied_for", required=False, aliases=("Amount Applied For",)),
    Column("amount_disbursed", required=False, aliases=("Amount Disbursed",)),
    Column("award_date", aliases=("Award Date",), help="2013-09-27 or 27/09/2013 (day first)."),
    Column("start_date", required=False, aliases=("Planned Dates:Start Date",)),
    Column("end_date", required=False, aliases=("Planned Dates:End Date",)),
    Column("recipient_id", aliases=("Recipient Org:Identifier",), help="GB-CHC-1234567..."),
    Column("recipient_name", aliases=("Recipient Org:Name",)),
    Column("charity_number", required=False, aliases=("Recipient Org:Charity Number",)),
    Column("company_number", required=False, aliases=("Recipient Org:Company Number",)),
    Column("street_address", required=False, aliases=("Recipient Org:Street Address",)),
    Column("locality", required=False, aliases=("Recipient Org:City", "Recipient Org:Locality")),
    Column("postcode", required=False, aliases=("Recipient Org:Postal Code",)),
    Column("funder_id", aliases=("Funding Org:Identifier",)),
    Column("funder_name", required=False, aliases=("Funding Org:Name",)),
    Column("programme_code", required=False, aliases=("Grant Programme:Code",)),
    Column("programme_title", required=False, aliases=("Grant Programme:Title",)),
    Column("open_call", required=False, aliases=("From An Open Call?", "From an open call")),
    *_location_columns(),
)
TEXT_FIELDS = {  # column -> where a JSON grant holds it
    "identifier": ("id",),
    "title": ("title",),
    "description": ("description",),
    "currency": ("currency",),
    "amount_awarded": ("amountAwarded",),
    "amount_applied_for": ("amountAppliedFor",),
    "amount_disbursed": ("amountDisbursed",),
    "award_date": ("awardDate",),
    "start_date": ("plannedDates", 0, "startDate"),
    "end_date": ("plannedDates", 0, "endDate"),
    "recipient_id": ("recipientOrganization", 0, "id"),
    "recipient_name": ("recipientOrganization", 0, "name"),
    "charity_number": ("recipientOrganization", 0, "charityNumber"),
    "company_number": ("recipientOrganization", 0, "companyNumber"),
    "street_address": ("recipientOrganization", 0, "streetAddress"),
    "locality": ("recipientOrganization", 0, "addressLocality"),
    "postcode": ("recipientOrganization", 0, "postalCode"),
    "funder_id": ("fundingOrganization", 0, "id"),
    "funder_name": ("fundingOrganization", 0, "name"),
    "programme_code": ("grantProgramme", 0, "code"),
    "programme_title": ("grantProgramme", 0, "title"),
    "open_call": ("fromOpenCall",),
}
YES_NO = {"yes": "Yes", "no": "No", "y": "Yes", "n": "No", "true": "Yes", "false": "No"}
WARD_CODE = re.compile(r"^[EWSN]05\d{6}$")


def _dig(value: Any, path: tuple) -> Any:
    for step in path:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and len(value) > step else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str:
    """A JSON value as a spreadsheet cell would hold it: numbers as written (12.0 as 12)."""
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return tidy(str(value))


def flatten(grant: dict) -> dict[str, str]:
    """A JSON grant's values under the spreadsheet's columns."""
    values = {name: _text(_dig(grant, path)) for name, path in TEXT_FIELDS.items()}
    places = grant.get("beneficiaryLocation")
    places = places if isinstance(places, list) else []
    for n in range(LOCATIONS):
        place = places[n] if n < len(places) and isinstance(places[n], dict) else {}
        for name, _, key in LOCATION_FIELDS:
            values[f"{name}_{n}"] = _text(place.get(key))
    return values


def read_package(data: bytes, filename: str) -> Table:
    """A 360Giving JSON package as a table: one row per grant, numbered from 1 in file order.
    InvalidInput (a refused report, never a traceback) when it is not a package."""
    if not data.strip():
        raise InvalidInput(f"{filename} is empty.")
    try:
        package = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidInput(f"{filename} is not UTF-8 text: a 360Giving JSON file is.") from None
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"{filename} is not JSON that can be read ({error.msg}, line {error.lineno}, "
            f"column {error.colno}): is it complete?"
        ) from None
    grants = package.get("grants") if isinstance(package, dict) else None
    if not isinstance(grants, list):
        raise InvalidInput(
            f"{filename} is not a 360Giving package: it needs a list of grants under "
            '"grants" ({"grants": [...]}).'
        )
    rows = []
    for number, grant in enumerate(grants, start=1):
        if not isinstance(grant, dict):
            values = dict.fromkeys((c.name for c in COLUMNS), "")
            rows.append(Row(number, values, {NOT_A_GRANT: _text(grant) or repr(grant)[:200]}))
            continue
        rows.append(Row(number, flatten(grant), {JSON: json.dumps(grant, ensure_ascii=False)}))
    return Table(rows=rows, columns=[c.name for c in COLUMNS], notes=[])


# --- the plan -------------------------------------------------------------------------------


@dataclass
class Grant:
    """One grant to write, as checked."""

    row: int
    identifier: str
    title: str
    description: str
    amount: Decimal
    applied_for: Decimal | None
    award_date: datetime.date
    start: datetime.date | None
    end: datetime.date | None
    recipient: str  # the recipient's identifier: a key of Plan.organisations
    fund: Fund
    ward_ids: list[int]
    published: dict
    raw: dict
    existing: ImportedGrant | None = None


@dataclass
class NewOrganisation:
    name: str
    kind: str
    charity_number: str
    company_number: str
    address: str
    postcode: str


@dataclass
class Plan:
    grants: list[Grant] = field(default_factory=list)
    organisations: dict[str, Organisation | NewOrganisation] = field(default_factory=dict)


class Refusal(Exception):
    def __init__(self, column: str, value: str, reason: str):
        self.column, self.value, self.reason = column, value, reason


@register
class ThreeSixtyGivingImporter(Importer):
    kind = "360giving"
    title = "Past grants (360Giving)"
    columns = COLUMNS
    accepts = (".json", ".csv", ".xlsx")
    description = (
        "Grants made before the council used this service, from a 360Giving JSON file or the "
        "360Giving spreadsheet template (CSV or XLSX). They show on the public register, the "
        "ward profiles and the dashboards, and are published again with their own "
        "identifiers; nothing is posted to the ledger (they were paid before). Grants of "
        "other funders in the file are skipped."
    )
    sample = (
        {
            "identifier": "360G-thornburyvale-2019-0001",
            "title": "New benches for the park",
            "description": "Three benches so older residents can rest on their walk.",
            "currency": "GBP",
            "amount_awarded": "500",
            "award_date": "2019-06-14",
            "recipient_id": "GB-CHC-1234567",
            "recipient_name": "Friends of Abbey Park",
            "funder_id": "GB-LAE-TVC",
            "funder_name": "Thornbury Vale Council",
            "programme_code": "CCIF",
            "programme_title": "Councillors' Community Initiative Fund",
            "geo_code_0": "E05012345",
        },
    )

    @classmethod
    def sample_csv(cls) -> bytes:
        """A sample in the 360Giving spreadsheet template: the standard's column titles (the
        required ones and those the sample fills), then the sample rows."""
        shown = [c for c in cls.columns if c.required or any(c.name in r for r in cls.sample)]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.aliases[0] for c in shown])
        for row in cls.sample:
            writer.writerow([row.get(c.name, "") for c in shown])
        return "\ufeff".encode() + out.getvalue().encode()

    @classmethod
    def add_arguments(cls, parser) -> None:
        parser.add_argument(
            "--as-funder",
            dest="as_funder",
            metavar="ORG-ID",
            help="Take the grants of this funder (its Funding Org:Identifier), not the "
            "council's own: a scheme taken over, or another funder's published file.",
        )
        parser.add_argument(
            "--fund",
            metavar="CODE",
            help="Put every grant in this fund (its code), whatever its programme.",
        )

    def read(self, data: bytes, filename: str) -> Table:
        if filename.lower().endswith(".json"):
            return read_package(data, filename)
        return read_table(data, filename, self.columns, sheet=self.options.get("sheet") or None)

    # --- checking every row ------------------------------------------------------------------

    def funders(self) -> set[str]:
        wanted = (self.options.get("as_funder") or "").strip()
        if wanted:
            return {wanted.casefold()}
        council = self.council
        own = ids.council_id(
            org_id=council.org_id, gss_code=council.gss_code, prefix=ids.prefix(council)
        )
        return {own.casefold(), (council.org_id or own).strip().casefold()}

    def plan(self, table: Table, report: Report) -> Plan:
        plan = Plan()
        self.wanted = self.funders()
        self.wards = {w.gss_code.upper(): w for w in Ward.objects.all()}
        self.funds = list(Fund.objects.all())
        self.forced_fund = None
        if code := (self.options.get("fund") or "").strip():
            self.forced_fund = next((f for f in self.funds if f.code == code.upper()), None)
            if self.forced_fund is None:
                known = ", ".join(f.code for f in self.funds) or "none yet"
                report.add(
                    None,
                    "refuse",
                    column="--fund",
                    value=code,
                    reason=f"The council has no fund with this code (its funds: {known}).",
                )
                return plan
        self.existing = {
            g.identifier: g for g in ImportedGrant.objects.select_related("application")
        }
        own_prefix = ids.prefix(self.council)
        self.own = {
            ids.grant_id(ref, own_prefix)
            for ref in Application.objects.values_list("reference", flat=True)
        }
        seen: dict[str, int] = {}
        self.years_seen: set[tuple[int, datetime.date]] = set()
        for row in table.rows:
            record = self.describe(row)
            try:
                grant = self.check(row, report, plan, seen, record)
            except Refusal as refusal:
                report.add(
                    row.number,
                    "refuse",
                    column=refusal.column,
                    value=refusal.value,
                    reason=refusal.reason,
                    record=record,
                )
                continue
            if grant is not None:
                plan.grants.append(grant)
        return plan

    @staticmethod
    def describe(row: Row) -> str:
        ident = row.values.get("identifier", "")
        return f"Grant {ident}" if ident else "Grant (no identifier)"

    def check(
        self, row: Row, report: Report, plan: Plan, seen: dict[str, int], record: str
    ) -> Grant | None:
        v = row.values
        n = row.number

        def warn(column: str, value: str, reason: str) -> None:
            report.add(n, "warn", column=column, value=value, reason=reason, record=record)

        if NOT_A_GRANT in row.raw:
            raise Refusal("", row.raw[NOT_A_GRANT], "This item of the grants list is not a grant.")
        identifier = v.get("identifier", "")
        if not identifier:
            raise Refusal("identifier", "", "A grant needs its 360Giving identifier.")
        if len(identifier) > 200:
            raise Refusal("identifier", identifier[:40] + "…", "Longer than 200 characters.")
        if identifier in seen:
            raise Refusal(
                "identifier", identifier, f"Row {seen[identifier]} has the same identifier."
            )
        seen[identifier] = n
        funder = v.get("funder_id", "")
        if not funder:
            raise Refusal("funder_id", "", "The grant names no funding organisation.")
        if funder.casefold() not in self.wanted:
            report.add(
                n,
                "skip",
                column="funder_id",
                value=funder,
                reason="Another funder's grant (name its funder with --as-funder to take it).",
                record=record,
            )
            return None
        if identifier in self.own:
            report.add(
                n,
                "skip",
                column="identifier",
                value=identifier,
                reason="A grant this service made: it is already here.",
                record=record,
            )
            return None
        currency = v.get("currency", "")
        if not currency:
            raise Refusal("currency", "", "The currency is missing: grants here are in GBP.")
        if currency.upper() != "GBP":
            raise Refusal("currency", currency, "Only grants in pounds (GBP) can be imported.")
        amount = self.money(v, "amount_awarded", warn, required=True)
        assert amount is not None
        if amount <= 0:
            raise Refusal("amount_awarded", v["amount_awarded"], "The amount must be above £0.")
        applied_for = self.money(v, "amount_applied_for", warn)
        disbursed = self.money(v, "amount_disbursed", warn)
        award_date = self.date(v, "award_date", warn, required=True)
        assert award_date is not None
        if award_date > timezone.localdate():
            raise Refusal("award_date", v["award_date"], "The award date is in the future.")
        start = self.date(v, "start_date", warn)
        end = self.date(v, "end_date", warn)
        if start and end and end < start:
            warn("end_date", v["end_date"], "The end date is before the start: it is left out.")
            end = None
        title = v.get("title", "")
        description = v.get("description", "")
        recipient_name = v.get("recipient_name", "")
        recipient = v.get("recipient_id", "")
        if not recipient:
            raise Refusal("recipient_id", "", "The grant names no recipient's identifier.")
        if len(recipient) > 200:
            raise Refusal("recipient_id", recipient[:40] + "…", "Longer than 200 characters.")
        if not recipient_name:
            raise Refusal("recipient_name", "", "The grant names no recipient.")
        if not title:
            title = description[:120] or f"Grant to {recipient_name}"[:120]
            warn("title", "", f"No title: published as {title!r}.")
        elif len(title) > 120:
            warn("title", title[:40] + "…", "The title is cut to 120 characters here.")
        if not description:
            warn("description", "", "No description: the title stands for it.")
        open_call = v.get("open_call", "")
        if open_call and open_call not in ("Yes", "No"):
            meant = YES_NO.get(open_call.casefold())
            if meant is None:
                warn("open_call", open_call, "Not Yes or No: it is left out.")
            else:
                warn("open_call", open_call, f"Read as {meant}.")
            open_call = meant or ""
        fund = self.fund(v)
        self.organisation(v, recipient, recipient_name, plan, report, n)
        ward_ids, places = self.places(v, warn)
        published = {
            "id": identifier,
            "recipientOrganization": [{"id": recipient, "name": recipient_name}],
        }
        for key, column in (
            ("charityNumber", "charity_number"),
            ("companyNumber", "company_number"),
        ):
            if v.get(column):
                published["recipientOrganization"][0][key] = v[column]
        if places:
            published["beneficiaryLocation"] = places
        programme = {
            k: v[c]
            for k, c in (("code", "programme_code"), ("title", "programme_title"))
            if v.get(c)
        }
        if programme:
            published["grantProgramme"] = [programme]
        if disbursed is not None:
            published["amountDisbursed"] = str(disbursed)
        if open_call:
            published["fromOpenCall"] = open_call
        raw = dict(row.raw)
        grant = Grant(
            row=n,
            identifier=identifier,
            title=title[:120],
            description=description,
            amount=amount,
            applied_for=applied_for if applied_for and applied_for > 0 else None,
            award_date=award_date,
            start=start,
            end=end,
            recipient=recipient,
            fund=fund,
            ward_ids=ward_ids,
            published=published,
            raw=raw,
        )
        existing = self.existing.get(identifier)
        if existing is None:
            self.new_year(fund, award_date, report, n)
            report.add(n, "create", record=f"{record}: £{amount:,.2f} to {recipient_name}")
            return grant
        grant.existing = existing
        if existing.raw == raw and existing.published == published:
            report.add(n, "unchanged", record=record)
            return None
        app = existing.application
        if app.fund_year.fund_id != fund.pk or not app.fund_year.year.contains(award_date):
            raise Refusal(
                "award_date",
                v["award_date"],
                f"Imported before as {app.reference} in another fund or year: an import does not "
                "move a grant.",
            )
        report.add(n, "change", record=f"{record} ({app.reference})")
        return grant

    def new_year(self, fund: Fund, day: datetime.date, report: Report, n: int) -> None:
        """Report, once, a fund year the import will make for past grants (`fund_year`)."""
        start = FinancialYear.start_for(day)
        if (fund.pk, start) in self.years_seen:
            return
        self.years_seen.add((fund.pk, start))
        if FundYear.objects.filter(fund=fund, year__start=start).exists():
            return
        label = f"{start.year}/{str(start.year + 1)[-2:]}"
        report.add(
            n,
            "create",
            column="award_date",
            value=day.isoformat(),
            reason="The fund had no year for this award: one is made for past grants, closed "
            "to bids (no budget, no ledger postings).",
            record=f"Fund year {fund.code} {label}",
        )

    def money(self, v: dict, column: str, warn, *, required: bool = False) -> Decimal | None:
        text = v.get(column, "")
        if not text:
            if required:
                raise Refusal(column, "", "The amount is missing.")
            return None
        try:
            amount = Decimal(text)
            if not amount.is_finite():
                raise InvalidOperation
            places = amount.quantize(Decimal("0.01"))
            if places != amount:
                raise Refusal(column, text, "More than two places of pence.")
            return places
        except (InvalidOperation, ValueError):
            pass
        try:
            amount = parse_money(text)
        except ValueError as error:
            if required:
                raise Refusal(column, text, str(error)) from None
            warn(column, text, f"{error} It is left out.")
            return None
        warn(column, text, f"Read as {amount}.")
        return amount

    def date(self, v: dict, column: str, warn, *, required: bool = False) -> datetime.date | None:
        text = v.get(column, "")
        if not text:
            if required:
                raise Refusal(column, "", "The award date is missing.")
            return None
        if re.fullmatch(
            r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?", text
        ):
            try:
                return parse_date(text)
            except ValueError:
                pass
        try:
            day = parse_date(text)
        except ValueError as error:
            if required:
                raise Refusal(column, text, str(error)) from None
            warn(column, text, f"{error} It is left out.")
            return None
        warn(column, text, f"Read as {day:%-d %B %Y} (day first).")
        return day

    def fund(self, v: dict) -> Fund:
        if self.forced_fund is not None:
            return self.forced_fund
        code, title = v.get("programme_code", ""), v.get("programme_title", "")
        for fund in self.funds:
            if code and code.upper() == fund.code:
                return fund
        for fund in self.funds:
            if title and title.casefold() == fund.name.casefold():
                return fund
        named = " / ".join(x for x in (code, title) if x)
        raise Refusal(
            "programme_title" if title and not code else "programme_code",
            named,
            "No fund of the council has this code or name: add it in the administration "
            "pages, or name the fund for every grant with --fund CODE."
            if named
            else "The grant names no programme: name the fund for every grant with --fund CODE.",
        )

    def organisation(
        self, v: dict, recipient: str, name: str, plan: Plan, report: Report, n: int
    ) -> None:
        if recipient in plan.organisations:
            return
        charity, company = self.numbers(v, recipient)
        found = None
        earlier = ImportedGrant.objects.filter(recipient_id=recipient).values_list(
            "application__organisation_id", flat=True
        )
        if first := earlier.first():
            found = Organisation.objects.filter(pk=first).first()
        if found is None and recipient.startswith(ids.prefix(self.council) + "ORG-"):
            pk = recipient.removeprefix(ids.prefix(self.council) + "ORG-")
            found = Organisation.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
        if found is None and charity:
            found = Organisation.objects.filter(charity_number=charity).order_by("pk").first()
        if found is None and company:
            found = Organisation.objects.filter(company_number=company).order_by("pk").first()
        if found is not None:
            plan.organisations[recipient] = found
            return
        address = ", ".join(x for x in (v.get("street_address", ""), v.get("locality", "")) if x)
        kind = (
            Organisation.Kind.CHARITY
            if charity
            else Organisation.Kind.CLG
            if company
            else Organisation.Kind.CONSTITUTED_GROUP
        )
        plan.organisations[recipient] = NewOrganisation(
            name=name[:200],
            kind=kind,
            charity_number=charity,
            company_number=company,
            address=address or FROM_FILE,
            postcode=v.get("postcode", "")[:8],
        )
        report.add(
            n,
            "create",
            column="recipient_id",
            value=recipient,
            reason="No organisation here has this identifier or its charity or company number.",
            record=f"Organisation {name}",
        )

    @staticmethod
    def numbers(v: dict, recipient: str) -> tuple[str, str]:
        """The recipient's charity and company numbers, as the organisations hold them (only
        numbers of the registers' own form: others stay in the published identifier)."""
        charity = v.get("charity_number", "").upper().replace(" ", "")
        company = v.get("company_number", "").upper().replace(" ", "")
        scheme, _, number = recipient.upper().partition("-")
        scheme = f"{scheme}-{number.split('-', 1)[0]}" if number else scheme
        rest = recipient.upper()[len(scheme) + 1 :]
        if scheme in (ids.CHARITY_ENGLAND_WALES, ids.CHARITY_SCOTLAND) and not charity:
            charity = rest
        if scheme == ids.COMPANIES_HOUSE and not company:
            company = rest
        if company.isdigit():
            company = company.zfill(8)
        charity = charity if re.fullmatch(r"\d{6,8}|SC\d{6}", charity) else ""
        company = company if re.fullmatch(r"[0-9]{8}|[A-Z]{2}[0-9]{6}", company) else ""
        return charity, company

    def places(self, v: dict, warn) -> tuple[list[int], list[dict]]:
        ward_ids, places = [], []
        for n in range(LOCATIONS):
            place = {
                key: v.get(f"{name}_{n}", "")
                for name, _, key in LOCATION_FIELDS
                if v.get(f"{name}_{n}", "")
            }
            if not place:
                continue
            code = place.get("geoCode", "").upper()
            ward = self.wards.get(code)
            if ward is not None:
                ward_ids.append(ward.pk)
                place.update(geoCode=ward.gss_code, geoCodeType="WD")
                place.setdefault("name", ward.name)
                place.setdefault("countryCode", "GB")
            elif code and WARD_CODE.match(code):
                warn(
                    f"geo_code_{n}",
                    code,
                    "Not a ward of this council: published as it was, counted in no ward.",
                )
            if place.get("countryCode") and not re.fullmatch(r"[A-Z]{2}", place["countryCode"]):
                warn(f"geo_country_{n}", place["countryCode"], "Not a country code: left out.")
                del place["countryCode"]
            places.append(place)
        return sorted(set(ward_ids)), places

    # --- writing ---------------------------------------------------------------------------

    def apply(self, plan: object, report: Report) -> None:
        assert isinstance(plan, Plan)
        if not plan.grants:
            return
        by = self.by or self.import_user()
        made: dict[str, Organisation] = {}
        for key, org in plan.organisations.items():
            if isinstance(org, NewOrganisation):
                made[key] = Organisation.objects.create(
                    name=org.name,
                    kind=org.kind,
                    charity_number=org.charity_number,
                    company_number=org.company_number,
                    address=org.address,
                    postcode=org.postcode,
                )
            else:
                made[key] = org
        years: dict[datetime.date, FinancialYear] = {}
        fund_years: dict[tuple[int, int], FundYear] = {}
        zone = timezone.get_current_timezone()
        new: list[tuple[Grant, FundYear, dict]] = []
        for grant in plan.grants:
            start = FinancialYear.start_for(grant.award_date)
            if start not in years:
                years[start] = FinancialYear.objects.filter(start=start).first() or (
                    FinancialYear.objects.create(start=start)
                )
            year = years[start]
            key = (grant.fund.pk, year.pk)
            if key not in fund_years:
                fund_years[key] = self.fund_year(grant.fund, year, plan)
            awarded_at = datetime.datetime.combine(grant.award_date, datetime.time(12), zone)
            fields = {
                "title": grant.title,
                "purpose": grant.description,
                "amount_awarded": grant.amount,
                "amount_requested": grant.applied_for,
                "awarded_at": awarded_at,
                "project_start": grant.start,
                "project_end": grant.end,
                "organisation": made[grant.recipient],
            }
            if grant.existing is not None:
                app = grant.existing.application
                for name, value in fields.items():
                    setattr(app, name, value)
                app.save()
                app.wards.set(grant.ward_ids)
                grant.existing.published = grant.published
                grant.existing.raw = grant.raw
                grant.existing.recipient_id = grant.recipient
                grant.existing.save(update_fields=["published", "raw", "recipient_id"])
                continue
            new.append((grant, fund_years[key], fields))
        self.create(new, by, report)

    def create(self, new: list[tuple[Grant, FundYear, dict]], by, report: Report) -> None:
        """The new grants in a few statements whatever their number: their applications, ward
        links and records in bulk, their references a block per fund year, then the summaries
        counted once for them all (a save and a ward link a grant, each counted on its own, took
        20 ms a grant: a council's history of thousands would outlast the page's request)."""
        by_year: dict[int, list[int]] = defaultdict(list)
        for n, (_, fund_year, _) in enumerate(new):
            by_year[fund_year.pk].append(n)
        references: dict[int, str] = {}
        for places in by_year.values():
            fund_year = new[places[0]][1]
            for n, reference in zip(places, block(fund_year, len(places)), strict=True):
                references[n] = reference
        apps = [
            Application(
                fund_year=fund_year,
                reference=references[n],
                status=Status.CLOSED,
                created_by=by,
                submitted_at=fields["awarded_at"],
                **fields,
            )
            for n, (_, fund_year, fields) in enumerate(new)
        ]
        Application.objects.bulk_create(apps, batch_size=500)
        Link = Application.wards.through
        Link.objects.bulk_create(
            [
                Link(application_id=app.pk, ward_id=ward)
                for app, (grant, _, _) in zip(apps, new, strict=True)
                for ward in grant.ward_ids
            ],
            batch_size=1000,
        )
        summaries.resync(app.pk for app in apps)
        ImportedGrant.objects.bulk_create(
            [
                ImportedGrant(
                    application=app,
                    identifier=grant.identifier,
                    recipient_id=grant.recipient,
                    source=report.filename[:255],
                    published=grant.published,
                    raw=grant.raw,
                )
                for app, (grant, _, _) in zip(apps, new, strict=True)
            ],
            batch_size=500,
        )

    def fund_year(self, fund: Fund, year: FinancialYear, plan: Plan) -> FundYear:
        """The fund's year, or one made for past grants: closed to bids (its dates are past)."""
        found = FundYear.objects.filter(fund=fund, year=year).first()
        if found is not None:
            return found
        largest = max(
            (g.amount for g in plan.grants if g.fund.pk == fund.pk and year.contains(g.award_date)),
            default=Decimal("0.00"),
        )
        return FundYear.objects.create(
            fund=fund,
            year=year,
            max_award=largest,
            delegated_limit=largest,
            funded_from=FundYear.FundedFrom.CENTRAL_POT,
            councillor_support_required=False,
            opens_on=year.start,
            closes_on=year.start,
            monitoring_required=False,
            cost_code="IMPORTED",
        )

    @staticmethod
    def import_user():
        """Who made a grant imported from a command: an account that cannot sign in."""
        User = get_user_model()
        user, made = User.objects.get_or_create(
            username=IMPORT_USER,
            defaults={"first_name": "360Giving", "last_name": "import", "is_active": False},
        )
        if made:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user


def block(fund_year: FundYear, count: int) -> list[str]:
    """`count` references of the fund year in a row: the counter taken once (`next_reference`,
    under its lock) and moved past them all. Where one of them is already in use (a reference
    made without the counter) or would not fit, one at a time as every application gets one."""
    first = next_reference(fund_year)
    prefix = reference_prefix(fund_year)
    number = int(first.removeprefix(prefix))
    found = [f"{prefix}{number + n:0{REFERENCE_DIGITS}d}" for n in range(count)]
    if (
        len(found[-1]) > REFERENCE_LENGTH
        or Application.objects.filter(reference__in=found[1:]).exists()
    ):
        return [first] + [next_reference(fund_year) for _ in range(count - 1)]
    ReferenceCounter.objects.filter(fund_year=fund_year).update(last_number=number + count - 1)
    return found
