"""An installation from before councils (issue 18) becomes council number one, with nothing lost.

The database: the demo as it was before councils, dumped from the commit before them (7cf5a52:
fundmgr 0007, budgets 0013, applications 0013, decisions 0009, transparency 0005, finance 0004),
in tests/data/council_migration/ (PostgreSQL's plain SQL, SQLite's .dump; how they were made and
how to make them again is in that folder's README). Each test restores its dump into a database
of its own, reads what it holds, runs today's `manage.py migrate` on it as an operator would and
checks: every table holds the rows it held (the council's table under its new name; the staff
groups' members moved to staff roles), the ledger is sound (`manage.py check_ledger`), every row
of every council-owned table names council 1, the only council; each member of a staff group
holds that role at council 1 and is no longer in the group, applicants stay in theirs; council 1
took the settings' values (the environment's, as the migration read them).

On PostgreSQL the migrations that add row-level security and the triggers run for real.
"""

from __future__ import annotations

import glob
import gzip
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.db.backends.sqlite3._functions import register as register_functions

from tests.processes import process_env

DATA = Path(__file__).resolve().parent.parent / "data" / "council_migration"
ROOT = Path(__file__).resolve().parent.parent.parent
STAFF_ROLES = (
    "Councillor",
    "Grants officer",
    "Panel member",
    "Finance officer",
    "Auditor",
    "Administrator",
)
# Django's own bookkeeping, remade by every migrate for the models of the day.
BOOKKEEPING = {"django_migrations", "django_content_type", "auth_permission"}
RENAMED = {"budgets_council": "fundmgr_council"}

Query = Callable[[str], list[tuple]]

pytestmark = pytest.mark.slow


# --- what a database holds ---------------------------------------------------------------------


def snapshot(query: Query, tables: list[str]) -> dict:
    counts = {t: query(f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}
    members = query(
        "SELECT ug.user_id, g.name FROM fundmgr_user_groups ug "
        "JOIN auth_group g ON g.id = ug.group_id"
    )
    return {"counts": counts, "members": {(u, g) for u, g in members}}


def migrate(database_url: str) -> str:
    env = process_env(DATABASE_URL=database_url)
    for key in ("DATABASE_URL_REPLICA", "FUNDMGR_CRASH_AT"):
        env.pop(key, None)
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2500:]
    checked = subprocess.run(
        [sys.executable, "manage.py", "check_ledger"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, (checked.stdout + checked.stderr)[-4000:]
    return checked.stdout


def check_nothing_lost(before: dict, query: Query, tables_after: list[str], owned: list[str]):
    after = snapshot(query, tables_after)
    staff = {(u, g) for u, g in before["members"] if g in STAFF_ROLES}
    assert staff, "the demo has staff in groups"

    # Every table holds its rows: the council's under its new name, the group memberships less
    # the staff roles that moved out of them.
    expected = {}
    for table, n in before["counts"].items():
        if table in BOOKKEEPING:
            continue
        expected[RENAMED.get(table, table)] = n
    expected["fundmgr_user_groups"] -= len(staff)
    got = {t: after["counts"].get(t) for t in expected}
    assert got == expected

    # One council, and every row a council owns is its.
    councils = query("SELECT id, name FROM fundmgr_council")
    assert len(councils) == 1 and before["counts"]["budgets_council"] == 1
    council_id, name = councils[0]
    assert name == "Thornbury Vale District Council"
    assert len(owned) >= 40
    elsewhere = 'SELECT count(*) FROM "{}" WHERE council_id IS NULL OR council_id <> {}'
    strays = {t: n for t in owned if (n := query(elsewhere.format(t, council_id))[0][0])}
    assert strays == {}
    held = {t: after["counts"][t] for t in owned}
    assert held["applications_application"] == 148 and held["budgets_entry"] == 898

    # Staff roles at council 1; applicants still applicants; no staff group left holding anyone.
    roles = set(
        query(f"SELECT user_id, role FROM fundmgr_staffrole WHERE council_id = {council_id}")
    )
    assert roles == staff
    assert {m for m in after["members"] if m[1] in STAFF_ROLES} == set()
    applicants = {m for m in before["members"] if m[1] == "Applicant"}
    assert applicants and {m for m in after["members"] if m[1] == "Applicant"} == applicants

    # The settings' values, as the environment gave them when the migration ran.
    row = query(
        "SELECT threesixty_prefix, department, bacs_service_user_number, address, slug "
        f"FROM fundmgr_council WHERE id = {council_id}"
    )[0]
    assert row[0] == os.environ.get("GRANTS_360G_PREFIX", "360G-thornburyvale-")
    assert row[1] == os.environ.get("GRANTS_DEPARTMENT", "Democratic and Community Services")
    assert row[2] == os.environ.get("BACS_SERVICE_USER_NUMBER", "912345")
    assert "Market Street" in row[3] or os.environ.get("COUNCIL_ADDRESS")
    assert row[4]  # a path prefix, for when a second council joins


# --- PostgreSQL ----------------------------------------------------------------------------------


def _psql() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))
    return found[-1] if found else "psql"


@pytest.fixture
def pg_before() -> Iterator[str]:
    """A database of its own on the test's PostgreSQL server, the pre-council demo restored."""
    import psycopg
    from psycopg import sql

    assert connection.vendor == "postgresql"
    db = connection.settings_dict
    admin = {
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
        "user": db["USER"] or None,
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    name = f"fundmgr_before_councils_{secrets.token_hex(4)}"
    with psycopg.connect(**admin) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"
    try:
        dump = gzip.decompress((DATA / "demo_before_councils.postgres.sql.gz").read_bytes())
        env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
        done = subprocess.run(
            [_psql(), "-q", "-v", "ON_ERROR_STOP=1", "-d", url],
            input=dump,
            env=env,
            capture_output=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        yield url
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.mark.postgres
def test_a_postgresql_database_from_before_councils_becomes_council_one(pg_before):
    import psycopg

    def tables(conn) -> list[str]:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]

    with psycopg.connect(pg_before, autocommit=True) as conn:
        before_tables = tables(conn)
        assert "budgets_council" in before_tables and "fundmgr_staffrole" not in before_tables
        before = snapshot(lambda q: conn.execute(q).fetchall(), before_tables)

    output = migrate(pg_before)
    assert "898 entries" in output

    # As the service's role (not a superuser: tests/with_postgres.py) working across the
    # service, which row-level security now asks it to say.
    with psycopg.connect(pg_before, autocommit=True, options="-c app.council_id=all") as conn:
        owned = [
            r[0]
            for r in conn.execute(
                "SELECT c.table_name FROM information_schema.columns c "
                "JOIN pg_tables t ON t.tablename = c.table_name AND t.schemaname = 'public' "
                "WHERE c.column_name = 'council_id' AND c.table_schema = 'public' ORDER BY 1"
            ).fetchall()
        ]
        # Sealed: each of them has its policy, forced. But the workbench's reference search,
        # ids and references only, which is unsealed for its trigram index to be usable
        # (decisions/migrations/0011_reference_search.py says why).
        unsealed = conn.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) "
            "AND NOT (relrowsecurity AND relforcerowsecurity)",
            [[table for table in owned if table != "decisions_reference_search"]],
        ).fetchall()
        assert unsealed == []
        check_nothing_lost(before, lambda q: conn.execute(q).fetchall(), tables(conn), owned)


# --- SQLite --------------------------------------------------------------------------------------


def test_a_sqlite_database_from_before_councils_becomes_council_one(tmp_path):
    path = tmp_path / "before.sqlite3"
    dump = gzip.decompress((DATA / "demo_before_councils.sqlite.sql.gz").read_bytes()).decode()

    def tables(conn) -> list[str]:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]

    with sqlite3.connect(path) as conn:
        register_functions(conn)  # Django's SQL functions, which the schema's CHECKs call
        conn.executescript(dump)
        before_tables = tables(conn)
        assert "budgets_council" in before_tables and "fundmgr_staffrole" not in before_tables
        before = snapshot(lambda q: conn.execute(q).fetchall(), before_tables)
    conn.close()

    output = migrate(f"sqlite:///{path}")
    assert "898 entries" in output

    conn = sqlite3.connect(path)
    register_functions(conn)
    try:
        after_tables = tables(conn)
        owned = [
            t
            for t in after_tables
            if any(col[1] == "council_id" for col in conn.execute(f'PRAGMA table_info("{t}")'))
        ]
        check_nothing_lost(before, lambda q: conn.execute(q).fetchall(), after_tables, owned)
    finally:
        conn.close()
