"""Each benchmark's small run gets a copy of a migrated database: tests/migrated_databases.py."""

from collections.abc import Iterator

import pytest

from tests import migrated_databases


@pytest.fixture(scope="session")
def migrated_database(request, tmp_path_factory) -> Iterator[migrated_databases.MigratedDatabase]:
    if migrated_databases.on_postgres():
        # The test database, migrated: its django_db_setup keeps it as the template.
        request.getfixturevalue("django_db_setup")
    yield from migrated_databases.migrated(tmp_path_factory.mktemp("migrated"))
