"""A database migrated once, copied for each benchmark's small run (tests/devtools/).

A benchmark run migrates the empty database it is given before it seeds it: about 20 s of CPU
from nothing, most of a small run. The tests give each run (`--database-url`) a copy of one
migrated database instead, and the run's own `migrate` finds nothing to do. On PostgreSQL
(DATABASE_URL naming a server, as in `make test`) the copies are made from a template on that
server: the test database itself, kept as it stands right after `migrate` made it (conftest.py's
django_db_setup, when the run holds a benchmark's test), or else a database migrated for them;
on SQLite they are copies of a file migrated once. Each copy is dropped after its run, the
template when the tests end.

tests/devtools/test_benchmark_ledger.py's first test still lets the command make its own
throwaway database, so that path stays tested.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import dj_database_url
from django.conf import settings
from django.db import connection, connections

from devtools import databases


def _server_url() -> str:
    """DATABASE_URL when it names a PostgreSQL server, else ""."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


def on_postgres() -> bool:
    return bool(_server_url())


def _manage(*args: str, timeout: float = 600, **env: str) -> subprocess.CompletedProcess:
    """`manage.py ARGS` as a council runs it, its output kept."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fundmgr.settings", **env}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _migrate(url: str) -> None:
    done = _manage("migrate", "--verbosity", "0", DATABASE_URL=url)
    assert done.returncode == 0, done.stderr[-3000:]


class MigratedDatabase:
    """Copies of one migrated database: `migrated_database.benchmark("exports", "--grants",
    "300")`, or `with migrated_database.copy() as url: ...`."""

    def __init__(self, server_url: str, template: str) -> None:
        self.server_url = server_url  # "" on SQLite
        self.template = template  # the template's URL (PostgreSQL) or file (SQLite)

    def benchmark(self, name: str, *options: str, timeout: float = 600):
        """`manage.py benchmark NAME OPTIONS` on a copy of its own: the finished process."""
        with self.copy() as url:
            return _manage("benchmark", name, *options, "--database-url", url, timeout=timeout)

    @contextlib.contextmanager
    def copy(self) -> Iterator[str]:
        if not self.server_url:
            with tempfile.TemporaryDirectory(prefix="fundmgr-bench-") as folder:
                path = Path(folder) / "bench.sqlite3"
                shutil.copyfile(self.template, path)
                yield f"sqlite:///{path}"
            return
        name = f"fundmgr_bench_{secrets.token_hex(4)}"
        template = dj_database_url.parse(self.template)["NAME"]
        databases.create(self.server_url, name, template=template)
        try:
            yield databases.url_of(self.server_url, name)
        finally:
            databases.drop(self.server_url, name)


# The test database kept as the template, in this test process (see keep_test_database).
kept: MigratedDatabase | None = None


def keep_test_database() -> Callable[[], None] | None:
    """Copy the test database, just migrated, as the template of the benchmarks' databases: one
    migration fewer in each test process. Returns what drops it; None when not on PostgreSQL."""
    global kept

    server_url = _server_url()
    if connection.vendor != "postgresql" or not server_url:
        return None
    migrated = connection.settings_dict["NAME"]
    connections.close_all()  # a template must have no one connected to it
    name = f"fundmgr_bench_{secrets.token_hex(4)}"
    databases.create(server_url, name, template=migrated)
    kept = MigratedDatabase(server_url, databases.url_of(server_url, name))

    def drop() -> None:
        databases.drop(server_url, name)

    return drop


def migrated(folder: Path) -> Iterator[MigratedDatabase]:
    """The kept test database, or a database migrated now (a SQLite file in `folder` when the
    tests do not run on PostgreSQL)."""
    if kept is not None:
        yield kept
        return
    server_url = _server_url()
    if not server_url:
        template = folder / "template.sqlite3"
        _migrate(f"sqlite:///{template}")
        yield MigratedDatabase("", str(template))
        return
    from devtools.management.commands.benchmark import scratch_database

    with scratch_database(server_url, out=lambda _: None) as template_url:
        _migrate(template_url)
        yield MigratedDatabase(server_url, template_url)
