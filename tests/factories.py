import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, Permission
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunPython
from django.db.migrations.state import ProjectState
from django.test.utils import override_settings
from django.utils import timezone

from budgets.models import Council, Councillor, FinancialYear, Fund, FundYear, Ward
from fundmgr import councils
from fundmgr.models import User
from fundmgr.roles import give_role

# Each role's permissions as (app label, codename), once the data migrations have run here.
_role_permissions: dict[str, list[tuple[str, str]]] = {}


# Models that moved app after a roles migration granted their permissions: (old app, model) to
# the new app (fundmgr/0009 moves their content types as `migrate` does).
MOVED_MODELS = {("budgets", "council"): "fundmgr"}


def roles_ensure() -> None:
    """The roles (auth groups with their permissions), made if the database has none: the test
    database is made without migrations (`--nomigrations`), or a transactional test emptied
    every table. The first time, the `*_roles` data migrations run as `migrate` runs them; after
    that their result is written again, which is quicker."""
    if Group.objects.exists():
        return
    if not _role_permissions:
        _run_role_migrations()
        for group in Group.objects.prefetch_related("permissions__content_type"):
            _role_permissions[group.name] = [
                (p.content_type.app_label, p.codename) for p in group.permissions.all()
            ]
        return
    every = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type")
    }
    for (app_label, codename), permission in list(every.items()):
        for (old_app, model), new_app in MOVED_MODELS.items():
            if app_label == new_app and codename.endswith(f"_{model}"):
                every[(old_app, codename)] = permission
    for role, names in _role_permissions.items():
        Group.objects.create(name=role).permissions.set([every[name] for name in names])


def _run_role_migrations() -> None:
    """Run the code of every `*_roles` data migration on the models as they stood at its place
    in `migrate`'s plan (all the migrations before it applied), so that a pattern such as
    `*.view_*` reaches the models it reached on a migrated database and no later ones."""
    with override_settings(MIGRATION_MODULES={}):  # pytest-django's --nomigrations hides them
        loader = MigrationLoader(None, ignore_no_migrations=True)
    plan: list[tuple[str, str]] = []
    for leaf in loader.graph.leaf_nodes():
        plan += [key for key in loader.graph.forwards_plan(leaf) if key not in plan]
    state = ProjectState(real_apps=loader.unmigrated_apps)
    for key in plan:
        migration = loader.graph.nodes[key]
        if key[1].endswith("_roles"):
            for operation in migration.operations:
                if isinstance(operation, RunPython):
                    operation.code(state.apps, None)
            # Rendered models would be re-rendered at every later step: render afresh instead.
            state.__dict__.pop("apps", None)
        state = migration.mutate_state(state, preserve=False)
    # The roles' permissions on a model that moved follow it, as fundmgr/0009 moves them.
    for (old_app, model), new_app in MOVED_MODELS.items():
        for group in Group.objects.all():
            for permission in group.permissions.filter(
                content_type__app_label=old_app, content_type__model=model
            ):
                group.permissions.remove(permission)
                group.permissions.add(
                    *Permission.objects.filter(
                        content_type__app_label=new_app,
                        content_type__model=model,
                        codename=permission.codename,
                    )
                )


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
        if extracted:
            roles_ensure()
        council = None
        if any(str(role) != "Applicant" for role in extracted or []):
            # Staff work for a council: the one in scope, else the tests' council (the first),
            # made once.
            council = (
                councils.current() or Council.objects.order_by("pk").first() or CouncilFactory()
            )
        for role in extracted or []:
            give_role(self, role, council)


class CouncilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Council
        django_get_or_create = ["gss_code"]

    name = "Testshire District Council"
    gss_code = "E07000998"
    # The settings council 1 of the development installation has (fundmgr/settings.py
    # FIRST_COUNCIL): the tests' statement files are of its account.
    address = "Council Offices\nMarket Street\nThornbury Vale\nTV1 1AA"
    email = "grants@thornburyvale.example"
    phone = "01632 960000"
    help_name = "Grants team"
    help_email = "grants@thornburyvale.example"
    help_phone = "01632 960000"
    help_hours = "Monday to Friday, 9am to 5pm"
    bacs_service_user_number = "912345"
    bacs_name = "THORNBURY VALE DC"
    bacs_sort_code = "309950"
    bacs_account_number = "10203040"
    bacs_account_name = "TVDC GRANTS"
    bank_accounts = "309950 10203040"


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
    # far above the low numbers tests write by hand, so the two never collide
    reference = factory.Sequence(lambda n: f"CCIF26-{500_001 + n:06d}")
    title = "New benches for the park"
    purpose = "Three benches so older residents can rest on their walk."
    project_start = datetime.date(2027, 1, 10)
    project_end = datetime.date(2027, 3, 20)
    amount_requested = Decimal("500.00")
    total_cost = Decimal("500.00")
    created_by = factory.SubFactory(UserFactory)
    # An award made here rather than by `application_approve` is dated now, as that step would
    # date it: the public register lists and sorts grants by this time.
    awarded_at = factory.LazyAttribute(
        lambda o: timezone.now() if getattr(o, "amount_awarded", None) is not None else None
    )

    @factory.post_generation
    def complete(self, create, extracted, **kwargs):
        from applications.models import BudgetLine

        self.wards.set([self.organisation.ward])
        if self.total_cost:
            BudgetLine.objects.create(application=self, item="Benches", cost=self.total_cost)
