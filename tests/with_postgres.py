#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL server.

    python tests/with_postgres.py [--durable] [--superuser] -- COMMAND [ARG ...]

Starts a private PostgreSQL server in a temporary directory, on a free TCP port of 127.0.0.1,
runs COMMAND with DATABASE_URL=postgres://fundmgr_app@127.0.0.1:PORT/postgres in its environment,
then stops the server and deletes the directory whatever happens (the command fails, raises,
is interrupted with Ctrl-C or SIGTERM), and exits with the command's exit code.

For speed the server does not wait for the disk (fsync, synchronous_commit and full_page_writes
off): a crash would lose it, and a throwaway server does not care. `--durable` runs it as a real
one does, with all three on, for benchmarks whose figures must mean something (`manage.py
benchmark ledger --database-url "$DATABASE_URL"` reports which it ran on).

PostgreSQL refuses to run as root, and CI runs as root: then the server runs as the `postgres`
system user (or `nobody`). The binaries come from the highest /usr/lib/postgresql/<version>/bin
(Debian's layout), else from PATH; `make postgres-binaries` installs them.

The command connects as `fundmgr_app`, a role as production's must be: not a superuser, and
without BYPASSRLS, so row-level security holds for it as it does in production (a superuser
passes every policy, and tests run as one would never see a query that another council's rows
break). It may create databases (the test databases it owns) and roles (the security tests' probe
role). `--superuser` runs the command as `fundmgr`, the server's superuser, instead.

Standard library only: it runs before anything else is set up.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PROG = "with_postgres"
DB_USER = "fundmgr"  # the server's superuser
APP_USER = "fundmgr_app"  # what the command connects as: no superuser, no BYPASSRLS
DB_NAME = "postgres"
SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=100"
)
DURABLE_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on "
    "-c full_page_writes=on -c max_connections=100"
)


class Stop(Exception):
    """Raised by the signal handlers so that the clean-up in `finally` runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def version_key(path: str) -> tuple[int, ...]:
    version = os.path.basename(os.path.dirname(os.path.dirname(path)))
    return tuple(int(part) if part.isdigit() else -1 for part in version.split("."))


BINARIES = ("initdb", "pg_ctl", "postgres", "createuser")


def find_binaries() -> dict[str, str]:
    """Paths of initdb, pg_ctl and postgres: Debian's newest version, else from PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version_key)
    if candidates:
        bindir = os.path.dirname(candidates[-1])
        found = {name: os.path.join(bindir, name) for name in BINARIES}
    else:
        found = {name: shutil.which(name) or "" for name in BINARIES}
    missing = [name for name, path in found.items() if not path or not os.access(path, os.X_OK)]
    if missing:
        raise SystemExit(
            f"{PROG}: PostgreSQL server binaries not found ({', '.join(missing)}): "
            "run `make postgres-binaries` (Debian: apt-get install postgresql)"
        )
    return found


class Account:
    """Who runs the server: this user, or an unprivileged one when this is root."""

    def __init__(self) -> None:
        self.uid = self.gid = None
        self.name = os.environ.get("USER") or str(os.geteuid())
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    entry = pwd.getpwnam(name)
                except KeyError:
                    continue
                self.name, self.uid, self.gid = name, entry.pw_uid, entry.pw_gid
                break
            else:
                raise SystemExit(f"{PROG}: running as root and found no postgres or nobody user")

    def run(self, args: list[str], cwd: str, **kwargs) -> subprocess.CompletedProcess:
        if self.uid is not None:
            kwargs.update(user=self.uid, group=self.gid, extra_groups=[])
        # The server's own environment: no PG* variables of the caller's, a HOME it may read.
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env["HOME"] = cwd
        return subprocess.run(args, cwd=cwd, env=env, text=True, **kwargs)

    def chown(self, path: str) -> None:
        if self.uid is not None:
            os.chown(path, self.uid, self.gid)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log_tail(path: str, lines: int = 40) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as log:
            return "".join(log.readlines()[-lines:])
    except OSError as error:
        return f"(no server log: {error})\n"


class Server:
    def __init__(self, options: str = SERVER_OPTIONS) -> None:
        self.options = options
        self.bin = find_binaries()
        self.account = Account()
        self.root = tempfile.mkdtemp(prefix="fundmgr-pg-")
        self.data = os.path.join(self.root, "data")
        self.log = os.path.join(self.root, "log")
        self.port = 0
        try:
            self.account.chown(self.root)
        except BaseException:
            self.remove()
            raise

    @property
    def url(self) -> str:
        return f"postgres://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    def app_url(self) -> str:
        """The URL of a role made now as production's must be (see the module's docstring)."""
        done = self.account.run(
            [
                self.bin["createuser"],
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                DB_USER,
                "--no-superuser",
                "--createdb",
                "--createrole",
                "--login",
                APP_USER,
            ],
            cwd=self.root,
            capture_output=True,
        )
        if done.returncode != 0:
            say(f"createuser failed: {done.stdout.strip()} {done.stderr.strip()}")
            raise SystemExit(1)
        return f"postgres://{APP_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    def initdb(self) -> None:
        base = [self.bin["initdb"], "-D", self.data, "-A", "trust", f"--username={DB_USER}"]
        base += ["--encoding=UTF8", "--no-sync"]
        for locale in ("C.UTF-8", "C"):
            done = self.account.run(
                [*base, f"--locale={locale}"], cwd=self.root, capture_output=True
            )
            if done.returncode == 0:
                return
            shutil.rmtree(self.data, ignore_errors=True)
        say("initdb failed:\n" + done.stdout + done.stderr)
        raise SystemExit(1)

    def start(self) -> None:
        for _attempt in range(3):
            self.port = free_port()
            options = f"-p {self.port} -k {self.root} {self.options}"
            command = [self.bin["pg_ctl"], "-D", self.data, "-l", self.log, "-o", options]
            # Its own session: a Ctrl-C in the terminal reaches the command, not the server,
            # which is stopped afterwards in order.
            done = self.account.run(
                [*command, "-w", "-t", "60", "start"],
                cwd=self.root,
                capture_output=True,
                start_new_session=True,
            )
            if done.returncode == 0:
                return
            tail = log_tail(self.log)
            if "could not bind" not in tail and "already in use" not in tail:
                break
            self.stop()  # the port was taken between choosing and binding: try another
        say(f"PostgreSQL did not start ({done.stdout.strip()} {done.stderr.strip()})")
        say(f"last lines of {self.log}:\n{log_tail(self.log)}")
        raise SystemExit(1)

    def stop(self) -> None:
        if not os.path.exists(os.path.join(self.data, "postmaster.pid")):
            return
        for mode in ("fast", "immediate"):
            done = self.account.run(
                [self.bin["pg_ctl"], "-D", self.data, "-m", mode, "-w", "-t", "30", "stop"],
                cwd=self.root,
                capture_output=True,
            )
            if done.returncode == 0:
                return
        self.kill_postmaster()

    def kill_postmaster(self) -> None:
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as pidfile:
                pid = int(pidfile.readline())
        except (OSError, ValueError):
            return
        for sig in (signal.SIGQUIT, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            time.sleep(2)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def run_command(command: list[str], url: str) -> int:
    env = dict(os.environ, DATABASE_URL=url)
    try:
        process = subprocess.Popen(command, env=env)
    except OSError as error:
        say(f"cannot run {command[0]}: {error}")
        return 127
    try:
        returncode = process.wait()
    except (KeyboardInterrupt, Stop) as stop:
        signum = stop.signum if isinstance(stop, Stop) else signal.SIGINT
        # A terminal's Ctrl-C reached the command already; a signal sent to this process only
        # did not: pass it on, give the command time to clean up, then make sure it is gone.
        if process.poll() is None:
            process.send_signal(signum)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return 128 + signum
    return 128 - returncode if returncode < 0 else returncode


USAGE = "[--durable] [--superuser] -- COMMAND [ARG ...]"


def raise_stop(signum: int, _frame) -> None:
    raise Stop(signum)


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print(f"usage: {sys.argv[0]} {USAGE}", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]
    flags = argv[: argv.index("--")]
    if set(flags) - {"--durable", "--superuser"}:
        print(f"usage: {sys.argv[0]} {USAGE}", file=sys.stderr)
        return 2

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, raise_stop)
    server = None
    try:
        server = Server(DURABLE_OPTIONS if "--durable" in flags else SERVER_OPTIONS)
        server.initdb()
        server.start()
        where = f"data and socket in {server.root}, running as {server.account.name}"
        where += ", fsync on" if "--durable" in flags else ", fsync off"
        url = server.url if "--superuser" in flags else server.app_url()
        say(f"PostgreSQL at {url} ({where})")
        return run_command(command, url)
    except (KeyboardInterrupt, Stop) as stop:
        return 128 + (stop.signum if isinstance(stop, Stop) else signal.SIGINT)
    finally:
        # Clean-up must not be cut short by a second Ctrl-C or SIGTERM.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        if server is not None:
            server.stop()
            server.remove()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
