"""`manage.py benchmark load`: the service under a council's busiest hour, through HTTP.

gunicorn and the background worker serve the demo council from PostgreSQL on loopback, and
locust (the optional extra `[load]`) plays `users` people for `minutes` minutes doing the real
mix (devtools/benchmarks/locustfile.py): the public browsing /grants/, applicants drafting and
submitting, councillors pledging, grants officers deciding, finance officers preparing and
authorising payment runs. It prints requests a second, p50/p95/p99 and errors per page, against
the target: no errors, and p95 under 500 ms for every page on 2 cores.

The database: `--database-url` (a scratch PostgreSQL database: migrated, and the demo loaded
unless it is there), else a throwaway PostgreSQL server that waits for the disk as a real one
does (tests/with_postgres.py's, `--durable`), removed at the end unless `--keep`.

The finance officers' authenticators: two-factor authentication stays on. The benchmark gives
each demo finance officer a TOTP device with a key of its own making, in this throwaway database
only, and the simulated officers type its codes.

Every process (gunicorn, the worker, locust) runs in its own process group and is stopped
whatever happens; so is the throwaway server.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
P95_TARGET_MS = 500


# --- signals: whatever happens, everything started is stopped -----------------------------------


class Stop(Exception):
    """SIGTERM or SIGHUP, raised where the process is, so that the clean-up in `finally` runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stop(signum: int, _frame) -> None:
    raise Stop(signum)


def _stop_on_signals() -> None:
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)


def _ignore_signals() -> None:
    """While cleaning up: a second Ctrl-C or SIGTERM must not cut it short."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)


def spawn(argv: list[str], env: dict[str, str]) -> int:
    """Run the benchmark's inner process; a SIGTERM here is passed on to it, and it is given
    time to stop what it started (a Ctrl-C in the terminal reaches it by itself)."""
    _stop_on_signals()
    child = subprocess.Popen(argv, env=env)
    try:
        return child.wait()
    except (KeyboardInterrupt, Stop) as stop:
        if isinstance(stop, Stop):
            child.send_signal(stop.signum)
        _ignore_signals()
        try:
            child.wait(90)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        signum = stop.signum if isinstance(stop, Stop) else signal.SIGINT
        raise SystemExit(128 + signum) from None


# --- the throwaway server (outer process) -------------------------------------------------------


@contextlib.contextmanager
def throwaway_postgres(*, keep: bool = False, out=print):
    """A durable PostgreSQL server of tests/with_postgres.py's making: its URL."""
    spec = importlib.util.spec_from_file_location(
        "with_postgres", ROOT / "tests" / "with_postgres.py"
    )
    assert spec is not None and spec.loader is not None
    with_postgres = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(with_postgres)
    _stop_on_signals()
    server = with_postgres.Server(with_postgres.DURABLE_OPTIONS)
    try:
        server.initdb()
        server.start()
        out(f"PostgreSQL at {server.url} (fsync on, data in {server.root})")
        yield server.url
    finally:
        _ignore_signals()
        if keep:
            out(f"Kept: {server.url}; stop it with: pg_ctl -D {server.data} stop")
        else:
            server.stop()
            server.remove()


# --- the run (inner process, DATABASE_URL set and migrated) -------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Process:
    """A child in its own process group, its output in a log file; stopped whole."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            if not self.alive():
                return
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(wait)


def _prepare(out) -> dict:
    """The demo loaded, an authenticator for each finance officer: what the people need."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from devtools import demo
    from fundmgr import two_factor
    from fundmgr.roles import Role, holders

    spec = demo.read_spec()
    if not demo.is_loaded(spec):
        started = time.monotonic()
        call_command("loaddemo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        out(f"Loaded the demo in {time.monotonic() - started:.0f} s")
    # The demo's first council's people: it is the one at the bare address the load is sent to.
    from fundmgr.models import Council

    council_id = Council.objects.get(gss_code=spec["council"]["gss_code"]).pk
    keys = {}
    for user in holders(Role.FINANCE_OFFICER, council_id):
        key = two_factor.new_secret()
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name=two_factor.APP_NAME, key=key, confirmed=True)
        keys[user.username] = key
    officers = list(
        holders(Role.GRANTS_OFFICER, council_id)
        .exclude(totpdevice__isnull=False)
        .values_list("username", flat=True)
    )
    applicants = [p["username"] for p in spec["applicants"]]
    councillors = [c["username"] for w in spec["wards"] for c in w["councillors"]]
    return {
        "password": spec["password"],
        "keys": keys,
        "logins": {
            "applicant": applicants,
            "councillor": councillors,
            "officer": officers,
            "finance": sorted(keys),
        },
    }


def _wait_listening(server: _Process, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"gunicorn did not start:\n{server.tail()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen within {timeout:.0f} s:\n{server.tail()}")


def _warm_up(port: int, workers: int) -> None:
    """A few requests to each worker first, as a server that has been up a while has had: the
    public pages import pandas (lazily, to keep start-up light), which takes a worker seconds
    the first time."""
    import urllib.request

    for _ in range(workers * 3):
        for path in ("/grants/", "/grants/?page=2", "/grants/wards/", "/sign-in/"):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", headers={"Host": "localhost"}
            )
            with urllib.request.urlopen(request, timeout=60) as answer:
                answer.read()


def _which(what: str, names: list[str], of: int) -> str:
    if not names:
        return ""
    if len(names) > 6:
        return f"{what}: {len(names)} of {of} pages."
    return f"{what}: {', '.join(names)}."


def _ms(value) -> str:
    return "-" if not value else f"{value:.0f}"


def report(figures: dict, *, out) -> bool:
    """The table of pages, the totals and the verdict. Returns whether the target was met."""
    pages = sorted(figures["pages"], key=lambda p: (p["name"], p["method"]))
    total = figures["total"]
    width = max([len(p["name"]) + len(p["method"]) + 1 for p in pages] + [20])
    out(f"{'page':<{width}} {'requests':>8} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6} errors")
    slow, erring = [], []
    for p in pages:
        name = f"{p['method']} {p['name']}"
        flag = ""
        if p["p95"] >= P95_TARGET_MS:
            slow.append(name)
            flag = "  slow"
        if p["failures"]:
            erring.append(name)
            flag += "  ERRORS"
        out(
            f"{name:<{width}} {p['requests']:>8} {p['rps']:>6.2f} {_ms(p['p50']):>6} "
            f"{_ms(p['p95']):>6} {_ms(p['p99']):>6} {p['failures']:>6}{flag}"
        )
    out(
        f"{'all pages':<{width}} {total['requests']:>8} {total['rps']:>6.2f} "
        f"{_ms(total['p50']):>6} {_ms(total['p95']):>6} {_ms(total['p99']):>6} "
        f"{total['failures']:>6}"
    )
    out(
        f"Over {figures['seconds']:.0f} s: {total['rps']:.1f} requests a second, "
        f"{total['failures']} errors; times in milliseconds (locust rounds them above 100 ms "
        "to two significant figures)."
    )
    for error in figures["errors"]:
        out(f"  error x{error['occurrences']}: {error['method']} {error['name']}: {error['error']}")
    for exception in figures["exceptions"]:
        out(f"  exception x{exception['count']} in a simulated person: {exception['msg']}")
    if figures["refused"]:
        out("Refused by the product, correctly (the form sent back with its reason):")
        for what, count in sorted(figures["refused"].items()):
            out(f"  {count:>5} x {what}")
    met = total["failures"] == 0 and not figures["exceptions"] and not slow and total["requests"]
    out(
        f"Target (0 errors; p95 under {P95_TARGET_MS} ms for every page on 2 cores): "
        f"{'met' if met else 'NOT met'} on {os.cpu_count()} cores."
        + _which(" Slow (p95)", slow, len(pages))
        + _which(" Errors", erring, len(pages))
    )
    return bool(met)


def run(
    *,
    users: int = 50,
    minutes: float = 5,
    spawn_rate: float = 1,
    workers: int = 5,
    quick: bool = False,
    out=print,
) -> bool:
    _stop_on_signals()
    try:
        return _run(
            users=users,
            minutes=minutes,
            spawn_rate=spawn_rate,
            workers=workers,
            quick=quick,
            out=out,
        )
    except Stop as stop:
        out(f"Stopped by {stop}: everything the benchmark started is stopped.")
        raise SystemExit(128 + stop.signum) from None


def _run(
    *,
    users: int = 50,
    minutes: float = 5,
    spawn_rate: float = 1,
    workers: int = 5,
    quick: bool = False,
    out=print,
) -> bool:
    think = "1,4"  # seconds a person reads a page, at least and at most
    if quick:
        # One of each kind of person (LOAD_ONE_EACH), reading fast.
        users, minutes, spawn_rate, think = 5, 1 / 3, 5, "0.2,1"
    if connection.vendor != "postgresql":
        out(f"The load benchmark runs on PostgreSQL (this database is {connection.vendor}).")
    people = _prepare(out)
    seconds = minutes * 60
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="fundmgr-load-") as scratch:
        logs = Path(scratch)
        env = {
            **os.environ,
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "DEBUG": "0",
            "FUNDMGR_TASKS": "database",
            "CONN_MAX_AGE": "60",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "MEDIA_ROOT": str(logs / "media"),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        locust_env = {
            **env,
            "LOAD_PASSWORD": people["password"],
            "LOAD_TOTP_KEYS": json.dumps(people["keys"]),
            "LOAD_LOGINS": json.dumps(people["logins"]),
            "LOAD_FIGURES": str(logs / "figures.json"),
            "LOAD_WAIT": think,
            **({"LOAD_ONE_EACH": "1"} if quick else {}),
        }
        started: list[_Process] = []
        try:
            app = _Process(
                "gunicorn",
                [
                    str(BIN / "gunicorn"),
                    "--config",  # what production runs: threads, preloading, the access log
                    str(ROOT / "deploy" / "gunicorn.conf.py"),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--timeout",
                    "60",
                    "--graceful-timeout",
                    "10",
                ],
                env,
                logs,
            )
            started.append(app)
            worker = _Process(
                "worker",
                [sys.executable, str(ROOT / "manage.py"), "worker", "--worker-id", "load"],
                env,
                logs,
            )
            started.append(worker)
            _wait_listening(app, port)
            _warm_up(port, workers)
            out(
                f"Load: {users} people over {seconds:.0f} s (spawning {spawn_rate:g} a second) "
                f"against gunicorn ({workers} workers) on {connection.vendor}, "
                f"{os.cpu_count()} cores"
            )
            locust = _Process(
                "locust",
                [
                    str(BIN / "locust"),
                    "-f",
                    str(LOCUSTFILE),
                    "--headless",
                    "--users",
                    str(users),
                    "--spawn-rate",
                    str(spawn_rate),
                    "--run-time",
                    f"{int(seconds)}s",
                    "--stop-timeout",
                    "10",
                    "--host",
                    f"http://127.0.0.1:{port}",
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                locust_env,
                logs,
            )
            started.append(locust)
            locust.popen.wait(seconds + 120)
            figures_file = logs / "figures.json"
            if not figures_file.exists():
                raise RuntimeError(f"locust wrote no figures:\n{locust.tail()}")
            for process in (app, worker):
                if not process.alive():
                    out(f"{process.name} stopped during the run:\n{process.tail()}")
            met = report(json.loads(figures_file.read_text()), out=out)
            server_errors = [
                line
                for line in app.log.read_text(errors="replace").splitlines()
                if "Traceback" in line or "Internal Server Error" in line
            ]
            if server_errors:
                out(f"gunicorn logged {len(server_errors)} errors; last lines:\n{app.tail()}")
            return met
        finally:
            _ignore_signals()
            for process in reversed(started):
                process.stop()
