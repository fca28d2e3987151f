import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import override_settings

from budgets import ledger
from tests import migrated_databases
from tests.factories import (
    CouncillorFactory,
    FundYearFactory,
    UserFactory,
    WardFactory,
    roles_ensure,
)

pytest_plugins = ["tests.playwright_chromium"]


# Markers of tests that take seconds each: a browser, real processes and servers, big worlds.
HEAVY = ("slow", "browser", "postgres")


def pytest_configure(config):
    """`make test` hands each file whole to one of its processes (xdist's `--dist loadfile`), in
    the order the processes collected them (below), not xdist's own: most tests first."""
    if getattr(config.option, "dist", "no") in ("loadfile", "loadscope"):
        config.option.loadscopereorder = False


@pytest.hookimpl(trylast=True)  # after pytest-django's own order
def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests need `make test` (or DATABASE_URL pointing at PostgreSQL).

    In a test process of `make test`'s, the files that take longest come first, so that no
    process is left running one long file at the end while the other has finished: the files
    with the most heavy tests (HEAVY), then the rest with the most tests. xdist's own order (most
    tests first) left the one-test files of a minute or more (the quick load run, the demo on an
    election day, the benchmarks' small runs) to the end."""
    import os

    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        kept, dropped = [], []
        for item in items:
            (dropped if item.get_closest_marker("postgres") else kept).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
    if hasattr(config, "workerinput"):  # an xdist worker
        files: dict[str, list] = {}
        for item in items:
            files.setdefault(item.nodeid.split("::")[0], []).append(item)

        def longest_first(tests: list) -> tuple[int, int]:
            heavy = sum(any(t.get_closest_marker(m) for m in HEAVY) for t in tests)
            return (-heavy, -len(tests))

        items[:] = [item for tests in sorted(files.values(), key=longest_first) for item in tests]


# The day the tests live on. The fixtures describe the 2026/27 financial year (its fund window
# closes on 28 February 2027, references read CCIF26-...), so the tests travel to a day inside it
# and run the same whatever the real date. The clock still ticks from there.
TEST_DAY = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture(scope="session", autouse=True)
def tests_live_in_2026_27():
    # The browser keeps the real date: cookies that end when it closes, not at a date it may
    # already have passed.
    with (
        time_machine.travel(TEST_DAY, tick=True),
        override_settings(
            SESSION_EXPIRE_AT_BROWSER_CLOSE=True,
            CSRF_COOKIE_AGE=None,
            # Background tasks run as their transaction commits, in the test's own process; the
            # tests of the queue itself (tests/fundmgr/test_tasks.py, tests/postgres/) choose the
            # database backend and a real worker.
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
            # For the whole session, not a test at a time: the worlds that module and package
            # fixtures build (tests/fundmgr/test_access_matrix.py's councils) are made before any
            # test's own settings apply, and PBKDF2 takes a third of a second a person.
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        yield


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker):
    """The test database has the roles from the start, made outside any test's transaction:
    made without migrations (`--nomigrations`, as `make quick` does), it would have none.

    Just migrated, it is also kept as the template of the benchmarks' databases when the run
    holds a benchmark's test (tests/migrated_databases.py): they need not migrate one again."""
    with django_db_blocker.unblock():
        roles_ensure()
        if not request.config.getoption("nomigrations") and any(
            "migrated_database" in item.fixturenames for item in request.session.items
        ):
            drop = migrated_databases.keep_test_database()
            if drop is not None:
                request.addfinalizer(drop)


@pytest.fixture(autouse=True)
def roles_survive_flushes(request):
    """A transactional or live-server test empties every table when it ends, the roles the data
    migrations made with them. Run in parallel, a worker may then run a database test after one:
    make the roles again first."""
    if not request.node.get_closest_marker("django_db") and not (
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("_django_db_helper")
    roles_ensure()


@pytest.fixture(autouse=True)
def councils_read_afresh():
    """Each test reads the councils of its own database: the process's cache of councils
    (fundmgr/councils.py) would otherwise keep those of an earlier test, rolled back since."""
    from fundmgr import councils

    councils.forget()


@pytest.fixture(autouse=True)
def no_council_scope_left_behind():
    """A test ends with no council's scope still set (fundmgr/councils.py): a scope left set
    would quietly hide the next tests' rows."""
    from fundmgr import councils

    yield
    assert councils._scope.get() is None, f"the test left the scope {councils._scope.get()!r}"


@pytest.fixture(autouse=True)
def media_in_a_temporary_folder(settings, tmp_path_factory):
    """Uploads and the documents the steps produce go to a folder that is thrown away."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture
def on_postgres():
    assert connection.vendor == "postgresql", "this test needs PostgreSQL: run it with make test"


@pytest.fixture
def administrator(db):
    return UserFactory(username="admin-officer", roles=["Administrator"])


@pytest.fixture
def fund_year(db):
    """CCIF 2026/27 with a £10,000 budget and £1,000 per councillor, not yet allocated."""
    fy = FundYearFactory()
    ledger.budget_set(fund_year=fy, total=Decimal("10000.00"), by=None)
    fy.refresh_from_db()
    return fy


@pytest.fixture
def ward(db):
    return WardFactory(name="Abbey Meadow")


@pytest.fixture
def shaw(ward):
    return CouncillorFactory(ward=ward, name="Sam Shaw", user__username="cllr.shaw")


@pytest.fixture
def okafor(ward):
    return CouncillorFactory(ward=ward, name="Priya Okafor", user__username="cllr.okafor")


def balance(account) -> Decimal:
    account.refresh_from_db()
    return account.balance


@pytest.fixture
def busy(fund_year, shaw, okafor):
    """Shaw: £1,000 allocated, £150 in from Okafor, £400 committed to CCIF26-000007, £100 paid."""
    ledger.allocate_year(fund_year=fund_year, by=None)
    ledger.allocation_transfer(
        fund_year=fund_year,
        from_councillor=okafor,
        to_councillor=shaw,
        amount=Decimal("150.00"),
        by=None,
        key="t1",
    )
    ledger.commitment_make(
        fund_year=fund_year,
        reference="CCIF26-000007",
        shares=[(shaw, Decimal("400.00"))],
        by=None,
    )
    ledger.payment_post(reference="CCIF26-000007", amount=Decimal("100.00"), by=None, key="p1")
    return fund_year


@pytest.fixture
def treasurer(db):
    return UserFactory(username="treasurer", first_name="Tess", roles=["Applicant"])


@pytest.fixture
def officer(db):
    return UserFactory(username="officer", roles=["Grants officer"])


@pytest.fixture
def officer2(db):
    return UserFactory(username="officer2", roles=["Grants officer"])


@pytest.fixture
def finance(db):
    return UserFactory(username="finance", roles=["Finance officer"])


@pytest.fixture
def draft(fund_year, shaw, okafor, treasurer):
    """A complete £500 CCIF draft from a group in Abbey Meadow, whose councillors hold £1,000."""
    from tests.factories import ApplicationFactory, OrganisationFactory

    ledger.allocate_year(fund_year=fund_year, by=None)
    group = OrganisationFactory(ward=shaw.ward, members=[treasurer], name="Friends of Abbey Park")
    verified_bank_details(group, treasurer)
    return ApplicationFactory(fund_year=fund_year, organisation=group, created_by=treasurer)


def verified_bank_details(group, member):
    """Bank details entered by a member and verified by a finance officer: payable."""
    from applications import organisations

    account = organisations.bank_account_change(
        organisation=group,
        by=member,
        account_name=group.name[:18],
        sort_code="200000",
        account_number="12345678",
    )
    checker = UserFactory(roles=["Finance officer"])
    return organisations.bank_account_verify(bank_account=account, by=checker, approve=True)


@pytest.fixture(autouse=True)
def force_login_passes_two_factor(request, monkeypatch):
    """Tests that sign someone in with `client.force_login` are about something other than
    signing in: the session also passes the two-factor step (the person gets an authenticator,
    and the session is marked as verified with it, as django_otp.login does), so finance
    officers and administrators reach their pages. Tests of two-factor authentication itself ask
    for the `real_two_factor` fixture, which leaves force_login as Django has it."""
    if "real_two_factor" in request.fixturenames:
        return
    from django.test.client import ClientMixin
    from django_otp import DEVICE_ID_SESSION_KEY

    from tests.authenticator import authenticator_for

    django_force_login = ClientMixin.force_login

    def force_login(self, user, backend=None):
        django_force_login(self, user, backend)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
        session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


@pytest.fixture
def real_two_factor():
    """Ask for this in a test of two-factor authentication: force_login signs in with the
    password step only, as a person who has not entered a code yet."""


@pytest.fixture(autouse=True)
def api_throttles_start_afresh():
    """DRF's throttles count requests in the cache, which would otherwise carry over from one
    test to the next in the same process (and the same user ids come back after a rollback)."""
    from django.core.cache import cache

    cache.clear()
