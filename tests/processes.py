"""The service's own processes, started by a test against the test's database: gunicorn (the app
server), the background worker and management commands, as a council runs them.

    from tests.processes import AppServer, manage, worker_env

    @pytest.mark.postgres
    @pytest.mark.django_db(transaction=True)  # committed rows, which the processes can see
    def test_something():
        with AppServer() as server:               # gunicorn on a free port of 127.0.0.1
            server.get("/healthz")                # urllib, as curl would
        manage("worker", "--batch")               # runs, waits, raises with its output on failure

Each process gets DATABASE_URL for the test's own database (pytest-django's `test_...` name,
one per xdist worker), the database task queue (FUNDMGR_TASKS=database), the test's MEDIA_ROOT
and the test's clock (in_test_time), and whatever `env` adds (FUNDMGR_CRASH_AT=... for the
fault tests). Output goes to a log file
whose tail is in the failure message. Every process is stopped when its block ends, whatever
happens.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The URL of the database the test runs on (PostgreSQL or SQLite)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FUNDMGR_CRASH", "PYTEST_", "DJANGO_SETTINGS"))
    }
    env.update(
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE="fundmgr.settings",
        FUNDMGR_TASKS="database",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    # On the test's clock, so that "today" agrees between the test and the process whatever the
    # real date (a test may still pass in_test_time() itself, or its own TESTS_CLOCK_OFFSET).
    env.update(in_test_time())
    env.update(extra)
    return env


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


def manage(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    """`manage.py ARGS` in a new process; raises AssertionError with its output if it fails."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=process_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done


class Process:
    """A long-running process with its output in a log file; stopped by `stop` or the block."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.args = args
        self.env = env
        self.log = Path(tempfile.mkstemp(prefix="fundmgr-process-", suffix=".log")[1])
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped whole, workers too
            )
        return self

    def output(self) -> str:
        return _tail(self.log)

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait(self, timeout: float) -> int:
        assert self.popen is not None
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.args[0]} still running:\n{self.output()}") from None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, sig)
            self.popen.wait(20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class AppServer(Process):
    """gunicorn serving fundmgr on a free port of 127.0.0.1, ready when the block begins."""

    def __init__(self, *, workers: int = 2, **env: str) -> None:
        self.port = free_port()
        super().__init__(
            [
                str(BIN / "gunicorn"),
                "fundmgr.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "60",
            ],
            process_env(**env),
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AppServer:
        super().start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"gunicorn did not start:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"gunicorn did not listen within 30 s:\n{self.output()}")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
        """GET `path`: (status, body, headers), whatever the status."""
        request = urllib.request.Request(
            self.url + path, headers={"Host": "localhost", **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read(), dict(answer.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)


class Worker(Process):
    """`manage.py worker` (the database queue's worker) with a fixed worker id, so a restarted
    worker takes back what its killed self was running."""

    def __init__(self, *, worker_id: str = "test-worker", **env: str) -> None:
        super().__init__(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "worker",
                "--worker-id",
                worker_id,
                "--interval",
                "0.2",
                "--no-startup-delay",
            ],
            process_env(**env),
        )


# --- the tests' clock in the processes ---------------------------------------------------------

_CLOCK_HOOK = """\
import os

if os.environ.get("TESTS_CLOCK_OFFSET"):
    import time

    import time_machine

    time_machine.travel(time.time() + float(os.environ["TESTS_CLOCK_OFFSET"]), tick=True).start()
"""


def in_test_time() -> dict[str, str]:
    """Environment that starts a process on the test's clock (tests/conftest.py travels to a day
    of the 2026/27 fund year), not the machine's: with it, sessions, pay dates and "today" agree
    between the test and gunicorn or the worker. `AppServer(**in_test_time())`.

    A `sitecustomize` module (Python imports it at start-up, before anything else) moves the
    process's clock by the test's offset from the real time with time_machine, ticking; gunicorn's
    workers inherit it."""
    import time_machine

    folder = Path(tempfile.gettempdir()) / "fundmgr-test-clock"
    folder.mkdir(exist_ok=True)
    hook = folder / "sitecustomize.py"
    if not hook.exists() or hook.read_text() != _CLOCK_HOOK:
        fresh = folder / f"sitecustomize.{os.getpid()}.tmp"
        fresh.write_text(_CLOCK_HOOK)
        fresh.replace(hook)  # whole, even with parallel test workers
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    # The test's clock as an offset from the real one, so that every process, however long it
    # takes to start, reads the same time as the test and as each other.
    offset = time.time() - time_machine.escape_hatch.time.time()
    return {"PYTHONPATH": path, "TESTS_CLOCK_OFFSET": repr(offset)}
