"""The demo, loaded once for this package (it takes half a minute) and rolled back
after the last of them that runs in a row; each test's own changes are rolled back after the
test. Tests that need an empty database (the demo loaded on another day, the benchmarks) live
outside this package."""

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from tests.conftest import roles_ensure


@pytest.fixture(scope="package")
def demo_output(django_db_setup, django_db_blocker) -> str:
    """What `loaddemo` printed, the demo loaded in a transaction held open for the package."""
    out = io.StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        roles_ensure()
        call_command("loaddemo", stdout=out, stderr=out)
        # The demo's deferred foreign keys checked once, here: left pending, every test's
        # teardown would check them all again (tests/fundmgr/test_access_matrix.py says why).
        connection.check_constraints()
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_output) -> str:
    return demo_output
