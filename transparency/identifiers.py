"""Identifiers for published grants data, as the 360Giving Data Standard asks.

Grants: the council's 360Giving prefix and the grant's reference (360G-thornburyvale-CCIF26-000123).
Recipients: an org-id (https://org-id.guide) from the register the organisation is on: charities
first (the best-quality list for a charity, even a charitable company), then Companies House; a
group on no register gets an identifier made from the prefix and its record number, never from
anything personal. The council: its own org-id (GB-LAE-... for an English local authority).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

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


def prefix() -> str:
    return settings.GRANTS_360G_PREFIX


def grant_id(reference: str) -> str:
    """360G-thornburyvale-CCIF26-000123. References hold only capitals, digits and a hyphen, so
    nothing needs replacing."""
    return f"{prefix()}{reference}"


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


def organisation_id(*, pk: int, charity_number: str = "", company_number: str = "") -> str:
    """GB-CHC-1234567, GB-SC-SC012345, GB-NIC-100001, GB-COH-01234567, or for a group on no
    register 360G-thornburyvale-ORG-42 (its record number: stable, and says nothing of anyone)."""
    found = registration(charity_number=charity_number, company_number=company_number)
    if found is None:
        return f"{prefix()}ORG-{pk}"
    return f"{found.scheme}-{found.number}"


def council_id(*, org_id: str, gss_code: str) -> str:
    """The council's org-id (Council.org_id, GB-LAE-ABC); if none is set yet, an identifier of
    the council's own under its 360Giving prefix (with its GSS code), so the file stays valid."""
    return (org_id or "").strip() or f"{prefix()}COUNCIL-{gss_code}"
