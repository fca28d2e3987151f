"""Speed and memory figures live here, never in timed tests.

Each benchmark runs in a child process against a throwaway database (a temporary SQLite file,
or --database-url for a scratch PostgreSQL database), so it never touches the data in use.
"""

import argparse
import inspect
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

BENCHMARKS = {
    "ledger": "devtools.benchmarks.ledger",
    "pages": "devtools.benchmarks.pages",
    "documents": "devtools.benchmarks.documents",
    "exports": "devtools.benchmarks.exports",
    "reconcile": "devtools.benchmarks.reconcile",
    "load": "devtools.benchmarks.load",
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
)
# Flags passed on when set.
FLAGS = ("quick",)


class Command(BaseCommand):
    help = "Run a benchmark on a throwaway database: " + ", ".join(BENCHMARKS)

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(BENCHMARKS))
        parser.add_argument("--entries", type=int, default=1_000_000, help="ledger: entries seeded")
        parser.add_argument("--councillors", type=int, default=100)
        parser.add_argument("--commits", type=int, default=500)
        parser.add_argument(
            "--threads", type=int, default=4, help="ledger: threads transferring at once"
        )
        parser.add_argument(
            "--applications", type=int, default=10_000, help="pages: applications seeded"
        )
        parser.add_argument("--runs", type=int, default=5, help="pages: timed requests per page")
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
            help="load: leave the throwaway PostgreSQL server running at the end",
        )
        parser.add_argument(
            "--database-url",
            default="",
            help="A scratch database to use (it is migrated and filled); default a temporary "
            "SQLite file.",
        )
        parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, name, inner, database_url, keep, **options):
        if not inner:
            if name == "load" and not database_url:
                # On PostgreSQL as a council runs it: a throwaway server that syncs to disk.
                from devtools.benchmarks.load import throwaway_postgres

                with throwaway_postgres(keep=keep, out=self.stdout.write) as url:
                    return self._spawn(name, url, options)
            return self._spawn(name, database_url, options)
        call_command("migrate", verbosity=0)
        module = __import__(BENCHMARKS[name], fromlist=["run"])
        accepted = inspect.signature(module.run).parameters
        kwargs = {k: options[k] for k in OPTIONS + FLAGS if k in accepted}
        module.run(**kwargs, out=self.stdout.write)

    def _spawn(self, name, database_url, options):
        with tempfile.TemporaryDirectory(prefix="fundmgr-bench-") as scratch:
            url = database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
            env = {**os.environ, "DATABASE_URL": url}
            argv = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "benchmark", name]
            argv += ["--inner"]
            for option in OPTIONS:
                argv += [f"--{option.replace('_', '-')}", str(options[option])]
            argv += [f"--{flag}" for flag in FLAGS if options[flag]]
            if name == "load":
                from devtools.benchmarks.load import spawn

                returncode = spawn(argv, env)  # stops gunicorn, the worker and locust on SIGTERM
            else:
                returncode = subprocess.run(argv, env=env).returncode
            if returncode != 0:
                raise CommandError(f"The {name} benchmark failed.")
