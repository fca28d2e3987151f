"""Two councils on one service, each with its own ward, councillor, fund, allocation and a bid
at awaiting support, made as each council's own staff would make them (inside its scope)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from applications.models import Application
from budgets import ledger
from fundmgr import councils
from fundmgr.models import Council, User
from tests import journeys
from tests.factories import (
    ApplicationFactory,
    CouncilFactory,
    CouncillorFactory,
    FundYearFactory,
    OrganisationFactory,
    UserFactory,
    WardFactory,
)


@dataclass
class Made:
    council: Council
    app: Application
    treasurer: User
    officer: User
    councillor: User


def one_council(suffix: str, gss: str, ward_gss: str) -> Made:
    council = CouncilFactory(name=f"Council {suffix}", gss_code=gss, slug=f"council-{suffix}")
    with councils.acting_for(council):
        ward = WardFactory(council=council, gss_code=ward_gss, name=f"Ward {suffix}")
        fund_year = FundYearFactory(fund__council=council, fund__code=f"CCIF{suffix.upper()}")
        ledger.budget_set(fund_year=fund_year, total=Decimal("5000.00"), by=None)
        applicant = UserFactory(username=f"treasurer-{suffix}", roles=["Applicant"])
        officer = UserFactory(username=f"officer-{suffix}", roles=["Grants officer"])
        group = OrganisationFactory(ward=ward, members=[applicant], name=f"Friends of {suffix}")
        shaw = CouncillorFactory(
            ward=ward, name=f"Sam Shaw {suffix}", user__username=f"shaw-{suffix}"
        )
        ledger.allocation_make(
            fund_year=fund_year, councillor=shaw, amount=Decimal("500.00"), by=None
        )
        app = ApplicationFactory(fund_year=fund_year, organisation=group, created_by=applicant)
        journeys.awaiting_support(app, treasurer=applicant, officer=officer)
    return Made(council, app, applicant, officer, shaw.user)


def two_councils() -> dict[str, Made]:
    return {
        "a": one_council("a", "E07000101", "E05000101"),
        "b": one_council("b", "E07000102", "E05000102"),
    }
