"""Speed and memory figures live here, never in timed tests.

Each benchmark runs in a child process against a throwaway database, so it never touches the
data in use. Which one, first that applies:

- `--database-url URL`: that scratch database, migrated and filled as it is;
- `--postgres`: a throwaway PostgreSQL server that syncs to disk (fsync on, as a council runs
  it), started for the run and removed after it (`--keep` leaves it);
- `DATABASE_URL` in the environment naming a PostgreSQL server: a scratch database created on
  that server for the run (`fundmgr_bench_<random>`) and dropped after it, so the figures are
  that server's and its own database is never touched;
- otherwise a temporary SQLite file.

`load` runs on PostgreSQL always: without a URL it starts the throwaway server.
"""

import argparse
import contextlib
import inspect
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from devtools import databases

BENCHMARKS = {
    "ledger": "devtools.benchmarks.ledger",
    "pages": "devtools.benchmarks.pages",
    "documents": "devtools.benchmarks.documents",
    "exports": "devtools.benchmarks.exports",
    "reconcile": "devtools.benchmarks.reconcile",
    "load": "devtools.benchmarks.load",
    "approvals": "devtools.benchmarks.approvals",
    "councils": "devtools.benchmarks.councils",
}

# Options passed on to the benchmark's run(), each to the benchmarks that take it.
OPTIONS = (
    "entries",
    "councillors",
    "commits",
    "threads",
    "applications",
    "runs",
    "letters",
    "pack_items",
    "grants",
    "lines",
    "users",
    "minutes",
    "spawn_rate",
    "workers",
    "bids",
    "base",
    "approvals",
    "councils",
    "years",
)
# Options left unset (None) are not passed: the benchmark's own default holds.
# Flags passed on when set.
FLAGS = ("quick", "compare_hordak", "same_allocation")


class Command(BaseCommand):
    help = "Run a benchmark on a throwaway database: " + ", ".join(BENCHMARKS)

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(BENCHMARKS))
        parser.add_argument("--entries", type=int, default=1_000_000, help="ledger: entries seeded")
        parser.add_argument(
            "--councillors", type=int, default=None, help="ledger, pages: 100; councils: 50 each"
        )
        parser.add_argument("--councils", type=int, default=None, help="councils: 300")
        parser.add_argument("--years", type=int, default=None, help="councils: years of history")
        parser.add_argument("--commits", type=int, default=500)
        parser.add_argument(
            "--threads", type=int, default=4, help="ledger: threads transferring at once"
        )
        parser.add_argument(
            "--applications", type=int, default=10_000, help="pages: applications seeded"
        )
        parser.add_argument(
            "--bids", type=int, default=100_000, help="pages: bids seeded, with their history"
        )
        parser.add_argument(
            "--base",
            type=int,
            default=None,
            help="pages: the bids every page's growth is measured from (1,000)",
        )
        parser.add_argument("--runs", type=int, default=5, help="pages: timed requests per page")
        parser.add_argument(
            "--approvals", type=int, default=2_000, help="approvals: applications approved"
        )
        parser.add_argument(
            "--same-allocation",
            action="store_true",
            help="approvals: every thread approves bids pledged from one councillor's allocation",
        )
        parser.add_argument(
            "--compare-hordak",
            action="store_true",
            help="ledger: time django-hordak's transfer_to on the same PostgreSQL server in the "
            "same run (a child process, a second scratch database); needs the optional extra: "
            "pip install -e '.[hordak]' -c constraints.txt",
        )
        parser.add_argument(
            "--lines", type=int, default=100_000, help="reconcile: payments and statement lines"
        )
        parser.add_argument(
            "--grants", type=int, default=100_000, help="exports: awarded grants seeded"
        )
        parser.add_argument("--letters", type=int, default=300, help="documents: letters built")
        parser.add_argument(
            "--pack-items", type=int, default=100, help="documents: applications in the panel pack"
        )
        parser.add_argument("--users", type=int, default=50, help="load: simulated people")
        parser.add_argument("--minutes", type=float, default=5, help="load: how long")
        parser.add_argument(
            "--spawn-rate", type=float, default=1, help="load: people arriving a second"
        )
        parser.add_argument("--workers", type=int, default=5, help="load: gunicorn's workers")
        parser.add_argument(
            "--quick", action="store_true", help="load: 3 people for 15 s (the test's run)"
        )
        parser.add_argument(
            "--keep",
            action="store_true",
            help="leave the throwaway PostgreSQL server or scratch database at the end",
        )
        parser.add_argument(
            "--database-url",
            default="",
            help="A scratch database to use (it is migrated and filled); default a scratch "
            "database on DATABASE_URL's PostgreSQL server, else a temporary SQLite file.",
        )
        parser.add_argument(
            "--postgres",
            action="store_true",
            help="Run on a throwaway PostgreSQL server with fsync on, started for the run.",
        )
        parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, name, inner, database_url, postgres, keep, **options):
        if not inner:
            if (
                name == "pages"
                and min(options["bids"], 1 if options["base"] is None else options["base"]) < 1
            ):
                raise CommandError("--bids and --base must be 1 or more.")
            with self._database(name, database_url, postgres, keep) as url:
                return self._spawn(name, url, options)
        call_command("migrate", verbosity=0)
        module = __import__(BENCHMARKS[name], fromlist=["run"])
        accepted = inspect.signature(module.run).parameters
        kwargs = {
            k: options[k] for k in OPTIONS + FLAGS if k in accepted and options[k] is not None
        }
        module.run(**kwargs, out=self.stdout.write)

    @contextlib.contextmanager
    def _database(self, name, database_url, postgres, keep) -> Iterator[str]:
        """The URL of the database the run fills: see the module's docstring for the order."""
        if database_url:
            yield database_url
            return
        environment = os.environ.get("DATABASE_URL", "")
        on_server = environment.startswith(("postgres://", "postgresql://"))
        if postgres or (name == "load" and not on_server):
            # On PostgreSQL as a council runs it: a throwaway server that syncs to disk.
            from devtools.benchmarks.load import throwaway_postgres

            with throwaway_postgres(keep=keep, out=self.stdout.write) as url:
                yield url
            return
        if on_server:
            with scratch_database(environment, keep=keep, out=self.stdout.write) as url:
                yield url
            return
        yield ""  # _spawn's temporary SQLite file

    def _spawn(self, name, database_url, options):
        with tempfile.TemporaryDirectory(prefix="fundmgr-bench-") as scratch:
            url = database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
            env = {**os.environ, "DATABASE_URL": url}
            argv = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "benchmark", name]
            argv += ["--inner"]
            for option in OPTIONS:
                if options[option] is not None:
                    argv += [f"--{option.replace('_', '-')}", str(options[option])]
            argv += [f"--{flag.replace('_', '-')}" for flag in FLAGS if options[flag]]
            if name == "load":
                from devtools.benchmarks.load import spawn

                returncode = spawn(argv, env)  # stops gunicorn, the worker and locust on SIGTERM
            else:
                returncode = subprocess.run(argv, env=env).returncode
            if returncode != 0:
                raise CommandError(f"The {name} benchmark failed.")


@contextlib.contextmanager
def scratch_database(server_url: str, *, keep: bool = False, out=print) -> Iterator[str]:
    """A new, empty database on the server `server_url` names, dropped afterwards: its URL."""
    name = f"fundmgr_bench_{secrets.token_hex(4)}"
    databases.create(server_url, name)
    url = databases.url_of(server_url, name)
    out(f"Scratch database {name} on DATABASE_URL's server")
    try:
        yield url
    finally:
        if keep:
            out(f"Kept: {url}")
        else:
            databases.drop(server_url, name)
