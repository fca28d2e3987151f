"""The backup and restore drill on the suite's PostgreSQL server, as docs/operating.md tells a
council's IT team to run it: `pg_dump --format=custom` of a database with real activity in it,
`createdb` + `pg_restore` into a new database, drop it and restore again from the same dump,
then `manage.py check_ledger` on the restored database and the same counts and balances as the
original. (Stored documents live in MEDIA_ROOT or the S3 bucket, backed up apart from the
database; the drill restores the rows that point to them.)
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connection

from applications.models import Application
from budgets.models import Account, Entry, LedgerTransaction, PaymentRun
from fundmgr.models import Document
from tests.payments_fixtures import accepted, finance2, paid_run
from tests.processes import database_url, manage

__all__ = ["accepted", "finance2"]
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def client_binary(name: str) -> str:
    """pg_dump, pg_restore, createdb, dropdb: beside initdb in Debian's newest
    /usr/lib/postgresql/<version>/bin (as tests/with_postgres.py finds the server), else PATH."""
    from tests.with_postgres import version_key

    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version_key)
    path = found[-1] if found else shutil.which(name)
    if not path:
        pytest.fail(f"{name} not found: run `make postgres-binaries`")
    return path


# The whole service's rows, as the service's own role sees them when working across the
# service: it is not a superuser, so row-level security holds for it (docs/operating.md).
SERVICE_WIDE = "-c app.council_id=all"


def run(name: str, *args: str) -> None:
    env = dict(os.environ, PGOPTIONS=SERVICE_WIDE)
    done = subprocess.run(
        [client_binary(name), *args], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, f"{name} {' '.join(args)}:\n{done.stdout}\n{done.stderr}"


def url_of(database: str) -> str:
    """The test database's URL with another database name (same server, user, trust)."""
    parts = urlsplit(database_url())
    return urlunsplit(parts._replace(path=f"/{database}"))


def figures(url: str) -> dict:
    """What must survive the drill, read from the database at `url` with plain SQL."""
    tables = {
        model.__name__: model._meta.db_table
        for model in (Application, LedgerTransaction, Entry, Document, PaymentRun)
    }
    with psycopg.connect(url, options=SERVICE_WIDE) as db:
        counts = {
            name: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for name, table in tables.items()
        }
        balances = db.execute(
            f"SELECT id, balance FROM {Account._meta.db_table} ORDER BY id"  # noqa: S608
        ).fetchall()
        paid = db.execute(
            f"SELECT reference, paid_to_date FROM {tables['Application']} ORDER BY reference"  # noqa: S608
        ).fetchall()
    return {"counts": counts, "balances": balances, "paid": paid}


def test_a_dump_dropped_and_restored_has_a_sound_ledger_and_everything_it_had(
    on_postgres, tmp_path: Path, accepted, finance, finance2
):
    # Real activity through the services: the year allocated, Shaw's and Okafor's pledges, the
    # grant approved (its decision documents stored) and accepted, its payment run authorised.
    paid_run(finance, finance2)
    original = figures(database_url())
    assert original["counts"]["Document"] > 0 and original["counts"]["LedgerTransaction"] > 3
    assert any(balance for _, balance in original["balances"])

    dump = tmp_path / "fundmgr.dump"
    # As a role without BYPASSRLS must: with row security on, service-wide (else pg_dump stops
    # rather than dump only the rows a policy lets it see).
    run("pg_dump", "--format=custom", "--enable-row-security", f"--file={dump}", database_url())
    scratch = f"{connection.settings_dict['NAME']}_drill_{os.getpid()}"
    admin = url_of("postgres")
    user = connection.settings_dict["USER"]
    try:
        # Restored once into a new database, which is then dropped: the drill restores again,
        # from the same file, into a database made afresh.
        for _ in range(2):
            run("dropdb", "--if-exists", f"--maintenance-db={admin}", scratch)
            run("createdb", f"--maintenance-db={admin}", f"--owner={user}", scratch)
            run(
                "pg_restore",
                "--no-owner",
                f"--role={user}",
                "--exit-on-error",
                f"--dbname={url_of(scratch)}",
                str(dump),
            )
        restored = url_of(scratch)
        checked = manage("check_ledger", DATABASE_URL=restored)
        assert "every invariant holds" in checked.stdout, checked.stdout
        manage("migrate", "--check", DATABASE_URL=restored)  # nothing left to apply
        assert figures(restored) == original
    finally:
        run("dropdb", "--if-exists", "--force", f"--maintenance-db={admin}", scratch)
