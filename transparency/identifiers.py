"""Identifiers for published grants data, as the 360Giving Data Standard asks.

Each council publishes under its own 360Giving prefix (`Council.threesixty_prefix`, set by its
administrator) and its own org-id (`Council.org_id`): a grant's identifiers are those of the
council that made it, whichever file it is in (the council's own, or the service's file of every
council's grants), so two councils' grants never share one.

Grants: the council's 360Giving prefix and the grant's reference (360G-thornburyvale-CCIF26-000123).
Recipients: an org-id (https://org-id.guide) from the register the organisation is on: charities
first (the best-quality list for a charity, even a charitable company), then Companies House; a
group on no register gets an identifier made from the prefix and its record number, never from
anything personal. The council: its own org-id (GB-LAE-... for an English local authority).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fundmgr.models import Council

# org-id list codes
CHARITY_ENGLAND_WALES = "GB-CHC"
CHARITY_SCOTLAND = "GB-SC"
CHARITY_NORTHERN_IRELAND = "GB-NIC"
COMPANIES_HOUSE = "GB-COH"

REGISTERS = {
    CHARITY_ENGLAND_WALES: "Charity Commission for England and Wales",
    CHARITY_SCOTLAND: "Scottish Charity Regulator (OSCR)",
    CHARITY_NORTHERN_IRELAND: "Charity Commission for Northern Ireland",
    COMPANIES_HOUSE: "Companies House",
}


def prefix_of(threesixty_prefix: str, gss_code: str) -> str:
    """A council's 360Giving prefix; for a council that has not set one yet, one made from its
    GSS code (360G-E07000123-): unique on the service, so its grants' ids stay its own (the
    system check `transparency.W001` asks for the registered one)."""
    return (threesixty_prefix or "").strip() or f"360G-{gss_code}-"


def publisher() -> Council | None:
    """The council whose data is being published: the council in scope, or the service's only
    council; None when working across a service of several (the service-wide file)."""
    from fundmgr import councils

    found = councils.current()
    if found is None and not isinstance(councils.scope(), int):
        every = councils.every_council()
        found = every[0] if len(every) == 1 else None
    return found


def prefix(council: Council | None = None) -> str:
    """The 360Giving prefix of `council`, or of the council being published (`publisher`)."""
    council = council or publisher()
    if council is None:
        raise LookupError("No one council is being published: pass the council.")
    return prefix_of(council.threesixty_prefix, council.gss_code)


def prefixes_by_funder() -> dict[str, str]:
    """Every council's funder identifier (as its grants name it) and its 360Giving prefix."""
    from fundmgr import councils

    found = {}
    for council in councils.every_council():
        own = prefix(council)
        found[council_id(org_id=council.org_id, gss_code=council.gss_code, prefix=own)] = own
    return found


def grant_id(reference: str, prefix: str | None = None) -> str:
    """360G-thornburyvale-CCIF26-000123. References hold only capitals, digits and a hyphen, so
    nothing needs replacing. `prefix` is the grant's council's (by default the publisher's)."""
    return f"{_prefix(prefix)}{reference}"


@dataclass(frozen=True)
class Registration:
    """Where an organisation is registered: the org-id list code and its number there."""

    scheme: str  # an org-id list code, or "" for a group on no register
    number: str

    @property
    def register(self) -> str:
        return REGISTERS.get(self.scheme, "")


def registration(*, charity_number: str, company_number: str) -> Registration | None:
    """The organisation's best registration, or None for a group on no register.

    Charity numbers: SC012345 is Scottish (OSCR keeps the SC in its numbers); NIC100001 (or
    NI100001) is Northern Irish, published without its letters as the org-id list does; any other
    number is the Charity Commission for England and Wales'. Company numbers are eight
    characters: a number written without its leading zeros gets them back, since 01234567 and
    1234567 are the same company.
    """
    charity = (charity_number or "").strip().upper().replace(" ", "")
    if charity:
        if charity.startswith("SC"):
            return Registration(CHARITY_SCOTLAND, charity)
        if match := re.fullmatch(r"NIC?(\d+)", charity):
            return Registration(CHARITY_NORTHERN_IRELAND, match.group(1))
        return Registration(CHARITY_ENGLAND_WALES, charity)
    company = (company_number or "").strip().upper().replace(" ", "")
    if company:
        if company.isdigit():
            company = company.zfill(8)
        return Registration(COMPANIES_HOUSE, company)
    return None


def organisation_id(
    *, pk: int, charity_number: str = "", company_number: str = "", prefix: str | None = None
) -> str:
    """GB-CHC-1234567, GB-SC-SC012345, GB-NIC-100001, GB-COH-01234567, or for a group on no
    register 360G-thornburyvale-ORG-42 (its record number: stable, and says nothing of anyone)."""
    found = registration(charity_number=charity_number, company_number=company_number)
    if found is None:
        return f"{_prefix(prefix)}ORG-{pk}"
    return f"{found.scheme}-{found.number}"


def council_id(*, org_id: str, gss_code: str, prefix: str | None = None) -> str:
    """The council's org-id (Council.org_id, GB-LAE-ABC); if none is set yet, an identifier of
    the council's own under its 360Giving prefix (with its GSS code), so the file stays valid."""
    return (org_id or "").strip() or f"{_prefix(prefix)}COUNCIL-{gss_code}"


def _prefix(given: str | None) -> str:
    return prefix() if given is None else given
