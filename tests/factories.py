import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from budgets.models import Council, Councillor, FinancialYear, Fund, FundYear, Ward
from fundmgr.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            # get_or_create: transactional tests flush the groups the data migration made.
            self.groups.add(Group.objects.get_or_create(name=str(role))[0])


class CouncilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Council
        django_get_or_create = ["gss_code"]

    name = "Testshire District Council"
    gss_code = "E07000998"


class WardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ward

    council = factory.SubFactory(CouncilFactory)
    name = factory.Sequence(lambda n: f"Ward {n}")
    gss_code = factory.Sequence(lambda n: f"E0580{n:04d}")


class CouncillorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Councillor

    user = factory.SubFactory(UserFactory, roles=["Councillor"])
    ward = factory.SubFactory(WardFactory)
    name = factory.Sequence(lambda n: f"Robin Member{n}")
    term_start = datetime.date(2023, 5, 8)
    term_end = None


class FinancialYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FinancialYear
        django_get_or_create = ["start"]

    start = datetime.date(2026, 4, 1)


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund
        django_get_or_create = ["code"]

    council = factory.SubFactory(CouncilFactory)
    kind = Fund.Kind.CCIF
    name = "Councillors' Community Initiative Fund"
    code = "CCIF"


class FundYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundYear

    fund = factory.SubFactory(FundFactory)
    year = factory.SubFactory(FinancialYearFactory)
    allocation_per_councillor = Decimal("1000.00")
    min_award = Decimal("50.00")
    max_award = Decimal("1500.00")
    funded_from = FundYear.FundedFrom.ALLOCATIONS
    delegated_limit = Decimal("1500.00")
    opens_on = factory.LazyAttribute(lambda fy: fy.year.start)
    closes_on = factory.LazyAttribute(lambda fy: datetime.date(fy.year.start.year + 1, 2, 28))
    cost_code = "R4410-7310"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "applications.Organisation"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Friends of Park {n}")
    kind = "constituted_group"
    address = "1 Park Lane\nThornbury Vale"
    postcode = "TV1 2AB"
    ward = factory.SubFactory(WardFactory)
    email = factory.Sequence(lambda n: f"group{n}@example.org")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        from applications.models import Membership

        for user in extracted or []:
            Membership.objects.create(organisation=self, user=user, role="treasurer")


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft with every answer given: ready to submit."""

    class Meta:
        model = "applications.Application"
        skip_postgeneration_save = True

    fund_year = factory.SubFactory(FundYearFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"CCIF26-{n + 1:06d}")
    title = "New benches for the park"
    purpose = "Three benches so older residents can rest on their walk."
    project_start = datetime.date(2027, 1, 10)
    project_end = datetime.date(2027, 3, 20)
    amount_requested = Decimal("500.00")
    total_cost = Decimal("500.00")
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def complete(self, create, extracted, **kwargs):
        from applications.models import BudgetLine

        self.wards.set([self.organisation.ward])
        if self.total_cost:
            BudgetLine.objects.create(application=self, item="Benches", cost=self.total_cost)
