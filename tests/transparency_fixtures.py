"""Grants awarded through the real services, for the transparency tests: a small council with a
ward-budget fund paid from councillors' allocations and an asset fund paid from the central pot,
and groups on each kind of register and on none."""

from __future__ import annotations

from decimal import Decimal

import pytest

from applications import services as s
from applications import support
from budgets import ledger
from budgets.models import Council, FundYear
from decisions import services as d
from tests.conftest import verified_bank_details
from tests.factories import (
    ApplicationFactory,
    CouncillorFactory,
    FundFactory,
    FundYearFactory,
    OrganisationFactory,
    UserFactory,
    WardFactory,
)

D = Decimal


class Council_:
    """Everything a transparency test needs, made once per test."""

    def __init__(self):
        self.council = Council.objects.create(
            name="Testshire District Council",
            gss_code="E07000998",
            org_id="GB-LAE-TST",
            threesixty_prefix="360G-thornburyvale-",
            department="Democratic and Community Services",
        )
        self.abbey = WardFactory(council=self.council, name="Abbey Meadow", gss_code="E05800001")
        self.brook = WardFactory(council=self.council, name="Brookfield", gss_code="E05800002")
        self.shaw = CouncillorFactory(
            ward=self.abbey,
            name="Sam Shawcross",
            user__username="cllr.shaw",
            user__first_name="Sam",
            user__last_name="Shawcross",
        )
        self.okafor = CouncillorFactory(
            ward=self.brook,
            name="Priya Okaforth",
            user__username="cllr.okafor",
            user__first_name="Priya",
            user__last_name="Okaforth",
        )
        self.treasurer = UserFactory(
            username="treasurer",
            first_name="Tessaly",
            last_name="Hollingsworth",
            roles=["Applicant"],
        )
        self.officer = UserFactory(
            username="officer", first_name="Olwen", last_name="Abernathy", roles=["Grants officer"]
        )
        self.officer2 = UserFactory(
            username="officer2", first_name="Oswin", last_name="Brackley", roles=["Grants officer"]
        )
        self.finance = UserFactory(
            username="finance",
            first_name="Fenella",
            last_name="Cartwright",
            roles=["Finance officer"],
        )
        self.ward_budget = FundYearFactory(
            fund=FundFactory(council=self.council, code="CB", name="Councillor Ward Budgets"),
            allocation_per_councillor=D("2000.00"),
            max_award=D("2000.00"),
            delegated_limit=D("2000.00"),
        )
        ledger.budget_set(fund_year=self.ward_budget, total=D("4000.00"), by=None)
        ledger.allocate_year(fund_year=self.ward_budget, by=None)
        self.asset = FundYearFactory(
            fund=FundFactory(
                council=self.council,
                code="CAF",
                kind="community_asset",
                name="Community Asset Fund",
            ),
            funded_from=FundYear.FundedFrom.CENTRAL_POT,
            councillor_support_required=False,
            allocation_per_councillor=D("0.00"),
            max_award=D("20000.00"),
            delegated_limit=D("20000.00"),
        )
        ledger.budget_set(fund_year=self.asset, total=D("50000.00"), by=None)

    def group(self, name: str, *, ward=None, **fields):
        group = OrganisationFactory(
            name=name,
            ward=ward or self.abbey,
            members=[self.treasurer],
            email=f"{name.split()[0].lower()}@groups.example.org",
            phone="01632 960123",
            address="17 Larkspur Close\nThornbury Vale",
            postcode="TV9 9ZZ",
            **fields,
        )
        verified_bank_details(group, self.treasurer)
        return group

    def bid(self, group, *, fund_year=None, amount="500.00", wards=None, title="New benches"):
        app = ApplicationFactory(
            fund_year=fund_year or self.asset,
            organisation=group,
            created_by=self.treasurer,
            title=title,
            amount_requested=D(amount),
            total_cost=D(amount),
        )
        if wards:
            app.wards.set(wards)
        return app

    def award(self, app, *, amount=None, accept=True, pay=None):
        """Submit, check, (support,) assess and approve; then accept and pay, as asked."""
        amount = D(amount) if amount else app.amount_requested
        s.application_submit(application=app, by=self.treasurer)
        s.application_mark_eligible(application=app, by=self.officer)
        if app.fund_year.uses_allocations:
            app.refresh_from_db()
            for councillor in (self.shaw, self.okafor):
                if app.wards.filter(pk=councillor.ward_id).exists():
                    support.pledge_make(
                        application=app,
                        councillor=councillor,
                        amount=amount,
                        statement="Much needed.",
                        by=councillor.user,
                    )
                    break
        d.assessment_record(
            application=app,
            by=self.officer,
            recommendation="approve",
            recommended_amount=amount,
            notes="Meets every criterion.",
        )
        d.decision_record(
            application=app, by=self.officer2, outcome="approve", amount=amount, reasons="Good."
        )
        if accept:
            s.application_accept_offer(application=app, by=self.treasurer)
        if pay:
            s.application_record_payment(
                application=app, by=self.finance, amount=D(pay), key=f"pay:{app.reference}:{pay}"
            )
        app.refresh_from_db()
        return app


@pytest.fixture
def town(db):
    return Council_()
