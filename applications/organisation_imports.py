"""Groups imported from a council's own list, or from the Charity Commission's register extract
(`manage.py import_organisations`, and the administrator's import page).

A group's profile is shared by every council it applies to (applications.models.Organisation),
so an import first looks for the group already on the service: by charity number, then company
number, then the same name at the same postcode; it reports that group "unchanged" or "change"
rather than making a second one, and puts it on the importing council's list
(`KnownOrganisation`) so that council's officers see it. A group its members already keep (it
has members) is theirs to change: the file's different details are reported, not written.

What is accepted, and why:
- charity numbers as `applications.organisations` checks them for the registration form (one
  rule for the page and the import): England and Wales 6 or 7 digits (a linked charity's number
  after a hyphen, 1234567-1), Scotland SC and 6 digits, Northern Ireland NIC and 6 digits;
- company numbers of 8 characters, with the leading zeros a spreadsheet (or the Commission's
  register, which holds them as whole numbers) dropped put back: 1234567 is 01234567;
- postcodes as Royal Mail writes them ("sw1a1aa" is "SW1A 1AA"), GIR 0AA among them; a BFPO
  number is refused: it is a forces' mail address, not where a group is based;
- the register extract's own columns (publicextract.charity, tab-separated): a charity removed
  from the register, and a linked charity (listed under its main charity), are skipped, each
  with its reason.
- the ward: from a postcode-to-ward file when one is given (`--postcode-wards`: the ONS
  Postcode Directory or National Statistics Postcode Lookup, CSV), else from the ward column
  (the ward's name or GSS code); a group whose ward is not found keeps none, with a warning.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import F

from applications import organisations
from applications.models import KnownOrganisation, Organisation
from applications.visibility import organisations_here
from budgets.models import Ward
from fundmgr.errors import InvalidInput
from fundmgr.imports import Column, Importer, Report, Row, Table, register

Kind = Organisation.Kind

ADDRESS_LINES = ("address", "address_2", "address_3", "address_4", "address_5")

COLUMNS = (
    Column(
        "name",
        aliases=("organisation name", "organisation", "group name", "group", "charity_name"),
        help="The group's name.",
    ),
    Column(
        "type",
        required=False,
        aliases=("kind", "organisation type", "type of organisation", "charity_type"),
        help="Constituted group, charity, CIO, CIC, company limited by guarantee, parish or "
        "town council, or school (a charity when blank and a charity number is given).",
    ),
    Column(
        "charity_number",
        required=False,
        aliases=("charity number", "charity no", "registered_charity_number", "reg charity no"),
        help="1234567, 1234567-1 (a linked charity), SC012345 or NIC100012.",
    ),
    Column(
        "linked_charity_number",
        required=False,
        help="The register extract's number of a linked charity (0 for a main charity).",
    ),
    Column(
        "company_number",
        required=False,
        aliases=(
            "company no",
            "company registration number",
            "charity_company_registration_number",
        ),
        help="01234567 or SC123456 (leading zeros put back when missing).",
    ),
    Column(
        "address",
        required=False,
        aliases=("address 1", "address line 1", "charity_contact_address1"),
        help="The first line of the address (or the whole address).",
    ),
    *(
        Column(
            f"address_{n}",
            required=False,
            aliases=(f"address line {n}", f"charity_contact_address{n}"),
            help=f"Line {n} of the address." if n == 2 else "",
        )
        for n in range(2, 6)
    ),
    Column(
        "postcode",
        aliases=("post code", "postal code", "charity_contact_postcode"),
        help="A UK postcode: SW1A 1AA.",
    ),
    Column(
        "ward",
        required=False,
        aliases=("ward name", "ward code", "ward gss code"),
        help="The ward's name or GSS code (E05012345); not needed with --postcode-wards.",
    ),
    Column(
        "email",
        required=False,
        aliases=("e-mail", "email address", "charity_contact_email"),
        help="The group's e-mail address.",
    ),
    Column(
        "phone",
        required=False,
        aliases=("telephone", "phone number", "charity_contact_phone"),
        help="The group's phone number.",
    ),
    Column(
        "registration_status",
        required=False,
        aliases=("charity_registration_status",),
        help="The register's status: a charity Removed from it is skipped.",
    ),
    Column("date_of_removal", required=False, help="The register's date of removal."),
    Column("charity_is_cio", required=False, help="The register's True or False."),
)

# The type as people write it (case, spaces and punctuation ignored), and as the Charity
# Commission's register names its types (only a charity has one of those).
KIND_WORDS = {
    **{re.sub(r"[\W_]+", "", k.value): k.value for k in Kind},
    **{re.sub(r"[\W_]+", "", k.label.lower()): k.value for k in Kind},
    "constitutedgroup": Kind.CONSTITUTED_GROUP,
    "communitygroup": Kind.CONSTITUTED_GROUP,
    "unincorporatedassociation": Kind.CONSTITUTED_GROUP,
    "charity": Kind.CHARITY,
    "trust": Kind.CHARITY,
    "charitabletrust": Kind.CHARITY,
    "charitablecompany": Kind.CHARITY,
    "charitableincorporatedorganisation": Kind.CIO,
    "communityinterestcompany": Kind.CIC,
    "companylimitedbyguarantee": Kind.CLG,
    "parishcouncil": Kind.PARISH,
    "towncouncil": Kind.PARISH,
    "communitycouncil": Kind.PARISH,
}
# The register's types that say only that it is a charity.
REGISTER_CHARITY_TYPES = {"other", "previouslyexcepted", "royalcharter"}

CHARITY_REASON = (
    "A charity number is 6 or 7 digits in England and Wales (a linked charity's number after a "
    "hyphen: 1234567-1), SC and 6 digits in Scotland (SC012345), or NIC and 6 digits in "
    "Northern Ireland (NIC100012)."
)
COMPANY_REASON = (
    "A company number is 8 characters: 8 digits (01234567) or 2 letters and 6 digits (SC123456)."
)
POSTCODE_REASON = "This is not a UK postcode: write it as SW1A 1AA."
BFPO_REASON = (
    "A BFPO number is a forces' mail address, not where a group is based: give the postcode "
    "of the group's own address."
)
NO_EMAIL = "This is not an e-mail address: the group is imported without one."
LONG_PHONE = "A phone number is 20 characters at most: the group is imported without it."
PROFILE = ("name", "kind", "charity_number", "company_number", "address", "postcode", "email")


@dataclass
class Planned:
    row: int
    values: dict  # the profile as it would be written (ward as a Ward or None)
    organisation: Organisation | None = None  # the group already on the service
    changes: list[str] = field(default_factory=list)  # fields to write to it
    link: bool = False  # put it on this council's list

    def key(self) -> tuple[str, str]:
        v = self.values
        if v["charity_number"]:
            return ("charity number", v["charity_number"])
        if v["company_number"]:
            return ("company number", v["company_number"])
        return ("name and postcode", name_key(v["name"]) + "|" + v["postcode"])


def from_org_id(values: dict, column: str) -> str:
    """A number as the column gives it, or out of an org-id (a 360Giving file's identifiers:
    GB-CHC-1234567, GB-SC-SC012345, GB-NIC-100012, GB-COH-01234567)."""
    text = values.get(column, "")
    schemes = ("CHC", "SC", "NIC") if column == "charity_number" else ("COH",)
    found = re.fullmatch(r"(?i)GB-([A-Z]+)-(\S+)", text)
    if not found or found[1].upper() not in schemes:
        return text
    return ("NIC" if found[1].upper() == "NIC" else "") + found[2]


def name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def same(field_name: str, ours: object, theirs: object) -> bool:
    """Whether the file's value is the one the group has: a name in another case, or an
    address with its lines broken otherwise, is the same."""
    if field_name == "name":
        return name_key(str(ours)) == name_key(str(theirs))
    if field_name == "address":
        return str(ours).split() == str(theirs).split()
    return ours == theirs


def describe(values: dict) -> str:
    number = values["charity_number"] and f"charity {values['charity_number']}"
    number = number or (values["company_number"] and f"company {values['company_number']}")
    return f"Organisation {values['name']} ({number or values['postcode']})"


@register
class OrganisationsImporter(Importer):
    kind = "organisations"
    title = "Groups (organisations)"
    columns = COLUMNS
    accepts = (".csv", ".txt", ".xlsx")
    description = (
        "Community groups and charities, from your own list or the Charity Commission's "
        "register extract (its tab-separated charity file, as it comes). A group already on the "
        "service is matched by its charity number, company number, or name and postcode."
    )
    sample = (
        {
            "name": "Abbey Allotments Association",
            "type": "Constituted group",
            "address": "Allotment Lane",
            "address_2": "Thornbury",
            "postcode": "tv1 1aa",
            "ward": "Abbey Meadow",
            "email": "secretary@abbey-allotments.example",
        },
    )

    @classmethod
    def add_arguments(cls, parser) -> None:
        parser.add_argument(
            "--postcode-wards",
            metavar="FILE",
            help="The ONS Postcode Directory or National Statistics Postcode Lookup (CSV, with "
            "columns pcds or pcd and osward or wdNNcd): each group's ward from its postcode.",
        )

    # --- checking every row -------------------------------------------------------------------

    def plan(self, table: Table, report: Report) -> list[Planned]:
        if not any(name in table.columns for name in ADDRESS_LINES):
            raise InvalidInput(
                "The file has no address column: address (its first line, or the whole "
                "address) and address_2 to address_5, or the register's charity_contact_address1 "
                "to charity_contact_address5."
            )
        start = len(report.outcomes)
        wards = self._wards()
        postcode_wards = self._postcode_wards(table)
        planned: list[Planned] = []
        for row in table.rows:
            values = self._checked(row, report)
            if values is None:
                continue
            values["ward"] = self._ward(row, values["postcode"], wards, postcode_wards, report)
            planned.append(Planned(row.number, values))
        planned = self._without_repeats(planned, report)
        self._match(planned)
        here = set(
            organisations_here()
            .filter(pk__in=[p.organisation.pk for p in planned if p.organisation])
            .values_list("pk", flat=True)
        )
        members = set(
            Organisation.objects.filter(
                pk__in=[p.organisation.pk for p in planned if p.organisation],
                members__isnull=False,
            ).values_list("pk", flat=True)
        )
        for p in planned:
            self._compare(p, here, members, report)
        # In the order of the file's rows (a row's refusals were found before others' matches).
        report.outcomes[start:] = sorted(report.outcomes[start:], key=lambda o: o.row or 0)
        return planned

    def _checked(self, row: Row, report: Report) -> dict | None:
        v = row.values
        n = row.number
        status = v.get("registration_status", "").lower()
        if status == "removed" or v.get("date_of_removal"):
            when = v.get("date_of_removal", "")[:10]
            report.add(
                n,
                "skip",
                column="registration_status",
                value=v.get("registration_status", ""),
                reason="Removed from the register of charities"
                + (f" on {when}" if when else "")
                + ": not imported.",
                record=f"Organisation {v['name']}",
            )
            return None
        linked = v.get("linked_charity_number", "")
        if linked not in ("", "0"):
            report.add(
                n,
                "skip",
                column="linked_charity_number",
                value=linked,
                reason="A linked charity, listed under its main charity "
                f"{v.get('charity_number', '')}: the main charity is the group that applies.",
                record=f"Organisation {v['name']}",
            )
            return None
        refusals = []
        name = v["name"]
        if not name:
            refusals.append(("name", "", "The group's name is missing."))
        elif len(name) > 200:
            refusals.append(("name", name[:40] + "...", "A name is 200 characters at most."))
        charity = company = postcode = ""
        try:
            charity = organisations.charity_number_normalised(from_org_id(v, "charity_number"))
        except InvalidInput:
            refusals.append(("charity_number", v["charity_number"], CHARITY_REASON))
        try:
            company = organisations.company_number_normalised(from_org_id(v, "company_number"))
        except InvalidInput:
            refusals.append(("company_number", v["company_number"], COMPANY_REASON))
        if not v["postcode"]:
            refusals.append(("postcode", "", "The postcode is missing."))
        elif re.match(r"(?i)^bfpo\b", v["postcode"]):
            refusals.append(("postcode", v["postcode"], BFPO_REASON))
        else:
            try:
                postcode = organisations.postcode_normalised(v["postcode"])
            except InvalidInput:
                refusals.append(("postcode", v["postcode"], POSTCODE_REASON))
        address = "\n".join(v[line] for line in ADDRESS_LINES if v.get(line))
        if not address:
            refusals.append(("address", "", "The address is missing."))
        kind, why = self._kind(v, charity)
        if kind is None:
            refusals.append(("type", v.get("type", ""), why))
        elif kind in (Kind.CIC, Kind.CLG) and not v.get("company_number"):
            refusals.append(
                ("company_number", "", f"A {Kind(kind).label.lower()} needs its company number.")
            )
        # Contact details are the group's to keep: one that cannot be used is left out with a
        # warning, and does not hold up the rest of the row.
        email = v.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                report.add(n, "warn", column="email", value=email, record=name, reason=NO_EMAIL)
                email = ""
        phone = v.get("phone", "")
        if len(phone) > 20:
            report.add(n, "warn", column="phone", value=phone, record=name, reason=LONG_PHONE)
            phone = ""
        for column, value, reason in refusals:
            report.add(n, "refuse", column=column, value=value, reason=reason, record=name)
        if refusals:
            return None
        return {
            "name": name,
            "kind": kind,
            "charity_number": charity,
            "company_number": company,
            "address": address,
            "postcode": postcode,
            "email": email,
            "phone": phone,
        }

    def _kind(self, v: dict, charity: str) -> tuple[str | None, str]:
        written = re.sub(r"[\W_]+", "", v.get("type", "").lower())
        if v.get("charity_is_cio", "").lower() in ("true", "yes", "1"):
            return Kind.CIO, ""
        if written in KIND_WORDS:
            return KIND_WORDS[written], ""
        if charity and (not written or written in REGISTER_CHARITY_TYPES):
            return Kind.CHARITY, ""
        choices = "; ".join(k.label for k in Kind)
        if not written:
            return None, f"Say what type of group it is: {choices}."
        return None, f"This is not a type of group this service knows: {choices}."

    # --- wards --------------------------------------------------------------------------------

    def _wards(self) -> dict[str, Ward]:
        """This council's wards by GSS code and by name (the manager sees only its own); of two
        wards of one name, the current one."""
        found: dict[str, Ward] = {}
        self.ward_ids = set()
        for ward in Ward.objects.order_by(F("ended_on").asc(nulls_last=True), "pk"):
            self.ward_ids.add(ward.pk)
            found[ward.gss_code.upper()] = ward
            found[name_key(ward.name)] = ward
        self.wards_by_id = {ward.pk: ward for ward in found.values()}
        return found

    def _postcode_wards(self, table: Table) -> dict[str, str] | None:
        path = self.options.get("postcode_wards")
        if not path:
            return None
        wanted = {re.sub(r"\s+", "", r.values.get("postcode", "")).upper() for r in table.rows}
        try:
            with open(Path(path), "rb") as file:
                return postcode_wards(file, wanted - {""})
        except OSError as error:
            raise InvalidInput(
                f"The postcode file {path} cannot be read: {error.strerror}."
            ) from None

    def _ward(self, row, postcode, wards, postcode_wards, report) -> Ward | None:
        n = row.number
        column, written = "ward", row.values.get("ward", "")
        if postcode_wards is not None:
            code = postcode_wards.get(postcode.replace(" ", ""))
            if code and code.upper() in wards:
                return self._current(wards[code.upper()], n, "postcode", postcode, report)
            reason = (
                f"The postcode file puts {postcode} in ward {code}, which is not one of "
                f"{self.council.name}'s"
                if code
                else f"{postcode} is not in the postcode file"
            )
            if not written:
                report.add(
                    n, "warn", column="postcode", value=postcode, reason=f"{reason}: no ward set."
                )
                return None
        if not written:
            return None
        ward = wards.get(written.upper()) or wards.get(name_key(written))
        if ward is None:
            report.add(
                n,
                "warn",
                column=column,
                value=written,
                reason=f"{self.council.name} has no ward of this name or GSS code: no ward set.",
            )
            return None
        return self._current(ward, n, column, written, report)

    def _current(self, ward: Ward, n: int, column: str, value: str, report) -> Ward | None:
        """The ward, or the one that took its place after a boundary review."""
        if ward.ended_on is None:
            return ward
        after = self.wards_by_id.get(ward.replaced_by_id or 0)
        ended = f"{ward.name} ({ward.gss_code}) was ended by a boundary review on {ward.ended_on}"
        if after is None or after.ended_on is not None:
            report.add(n, "warn", column=column, value=value, reason=f"{ended}: no ward set.")
            return None
        report.add(
            n,
            "warn",
            column=column,
            value=value,
            reason=f"{ended}: the group is put in {after.name} ({after.gss_code}), which took its "
            "place.",
        )
        return after

    # --- matching with the groups already on the service --------------------------------------

    def _without_repeats(self, planned: list[Planned], report: Report) -> list[Planned]:
        first: dict[tuple[str, str], Planned] = {}
        kept = []
        for p in planned:
            earlier = first.get(p.key())
            if earlier is None:
                first[p.key()] = p
                kept.append(p)
            elif all(same(name, earlier.values[name], value) for name, value in p.values.items()):
                report.add(
                    p.row,
                    "skip",
                    reason=f"The same group as row {earlier.row}.",
                    record=describe(p.values),
                )
            else:
                what, value = p.key()
                report.add(
                    p.row,
                    "refuse",
                    column=what.split(" and ")[0].replace(" ", "_"),
                    value=value.split("|")[0],
                    reason=f"Row {earlier.row} has the same {what} with other details: keep one.",
                    record=describe(p.values),
                )
        return kept

    def _match(self, planned: list[Planned]) -> None:
        """Each row's group already on the service, in three reads whatever the file's size."""
        by_charity: dict[str, Organisation] = {}
        by_company: dict[str, Organisation] = {}
        by_name: dict[str, Organisation] = {}
        wanted = {k: {p.values[k] for p in planned} - {""} for k in PROFILE}
        for o in Organisation.objects.filter(charity_number__in=wanted["charity_number"]).order_by(
            "-pk"
        ):
            by_charity[o.charity_number] = o
        for o in Organisation.objects.filter(company_number__in=wanted["company_number"]).order_by(
            "-pk"
        ):
            by_company[o.company_number] = o
        for o in Organisation.objects.filter(postcode__in=wanted["postcode"]).order_by("-pk"):
            by_name[name_key(o.name) + "|" + o.postcode] = o
        for p in planned:
            v = p.values
            p.organisation = (
                by_charity.get(v["charity_number"])
                or by_company.get(v["company_number"])
                or by_name.get(name_key(v["name"]) + "|" + v["postcode"])
            )

    def _compare(self, p: Planned, here: set, members: set, report: Report) -> None:
        record = describe(p.values)
        group = p.organisation
        if group is None:
            p.link = True
            ward = p.values["ward"]
            report.add(
                p.row, "create", reason=f"In ward {ward.name}." if ward else "", record=record
            )
            return
        differ = [
            name
            for name in (*PROFILE, "phone")
            if p.values[name] and not same(name, p.values[name], getattr(group, name))
        ]
        ward = p.values["ward"]
        # A ward of another council stays: it is where the group registered.
        ours = group.ward_id is None or group.ward_id in self.ward_ids
        if ward is not None and ours and group.ward_id != ward.pk:
            differ.append("ward")
        p.link = group.pk not in here
        if group.pk in members and differ:
            report.add(
                p.row,
                "warn",
                column=differ[0],
                value=str(p.values[differ[0]]),
                reason=f"{group.name}'s members keep its details: the file's "
                f"{', '.join(differ)} differ and were not taken.",
                record=record,
            )
            differ = []
        p.changes = differ
        if not differ and not p.link:
            report.add(p.row, "unchanged", record=record)
            return
        said = []
        if differ:
            said.append(f"Its {', '.join(differ)} as the file has them.")
        if p.link:
            said.append(f"Already on the service: put on {self.council.name}'s list of groups.")
        report.add(p.row, "change", reason=" ".join(said), record=record)

    # --- writing ------------------------------------------------------------------------------

    def apply(self, plan: object, report: Report) -> None:
        assert isinstance(plan, list)
        created = []
        for p in plan:
            group = p.organisation
            if group is None:
                group = Organisation(**p.values)
                # No e-mail is a gap a file may leave (the group's members fill it in); the ward
                # is one of the council's own, read in `plan`, or none. Everything else is as the
                # registration form would have it.
                group.full_clean(exclude=["ward"] + ([] if p.values["email"] else ["email"]))
                created.append(group)
            elif p.changes:
                for name in p.changes:
                    setattr(group, name, p.values[name])
                group.clean_fields(
                    exclude=[f.name for f in Organisation._meta.fields if f.name not in p.changes]
                )
                group.save(update_fields=p.changes)
        Organisation.objects.bulk_create(created)
        links = [
            KnownOrganisation(organisation=p.organisation or c)
            for p, c in _with_created(plan, created)
            if p.link
        ]
        # Another import may have put a group on the list meanwhile: it is there, as wanted.
        KnownOrganisation.objects.bulk_create(links, ignore_conflicts=True)


def _with_created(plan: list[Planned], created: list[Organisation]):
    made = iter(created)
    for p in plan:
        yield p, (next(made) if p.organisation is None else None)


def postcode_wards(file, wanted: set[str]) -> dict[str, str]:
    """The ward code of each postcode wanted (written without spaces), read from the ONS
    Postcode Directory or the National Statistics Postcode Lookup (CSV, 2.7 million rows): only
    a line whose postcode is wanted is parsed as CSV, the rest are passed over by a split of
    their first fields."""
    text = io.TextIOWrapper(file, encoding="utf-8-sig", errors="replace", newline="")
    headings = next(csv.reader([text.readline()]), [])
    keys = [re.sub(r"[\W_]+", "", h.lower()) for h in headings]
    postcode_at = next(
        (keys.index(k) for k in ("pcds", "pcd", "pcd2", "postcode") if k in keys), None
    )
    ward_at = next(
        (i for i, k in enumerate(keys) if k == "osward" or re.fullmatch(r"wd\d\dcd", k)), None
    )
    if postcode_at is None or ward_at is None:
        raise InvalidInput(
            "The postcode file has no postcode column (pcds or pcd) or no ward column (osward, "
            f"or wd24cd as the lookup names it): its headings are {', '.join(headings[:12])}."
        )
    found: dict[str, str] = {}
    for line in text:
        first = line.split(",", postcode_at + 1)[postcode_at] if postcode_at else line[:12]
        postcode = first.split(",", 1)[0].strip().strip('"').replace(" ", "").upper()
        if postcode in wanted:
            cells = next(csv.reader([line]))
            found[postcode] = cells[ward_at].strip()
    return found
