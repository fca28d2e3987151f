"""Each benchmark's small run gets a copy of a migrated database: tests/migrated_databases.py."""

from collections.abc import Iterator

import pytest

from tests import migrated_databases


@pytest.fixture(scope="session")
def migrated_database(request, tmp_path_factory) -> Iterator[migrated_databases.MigratedDatabase]:
    if migrated_databases.on_postgres() and any(
        item.get_closest_marker("django_db") or {"db", "transactional_db"} & set(item.fixturenames)
        for item in request.session.items
    ):
        # The test database, migrated: its django_db_setup keeps it as the template. (It is
        # made only when a collected test uses it: the benchmarks' tests alone do not, and
        # then migrated() migrates a template of its own.)
        request.getfixturevalue("django_db_setup")
    yield from migrated_databases.migrated(tmp_path_factory.mktemp("migrated"))
