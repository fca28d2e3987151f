"""Pytest plugin: pytest-playwright drives Debian's Chromium, headless, on a closed network.

Playwright's own browser download is not available here (never run `playwright install`):
`make browser` installs Debian's chromium, and these fixtures point Playwright at it. Load the
plugin from tests/conftest.py with `pytest_plugins = ["tests.playwright_chromium"]`.

CHROMIUM names another Chromium binary. Without the background-networking flags, Chromium
spends its first seconds calling Google's services, and on a network that refuses those
connections the pages under test load late or not at all.

Playwright's sync API leaves an asyncio event loop running in the main thread from the first
browser test to the end of the session, and Django then refuses database calls from that
thread (SynchronousOnlyOperation, first seen when a browser test's database is flushed). The
tests, the live server and Playwright never share a connection across threads, so the plugin
sets DJANGO_ALLOW_ASYNC_UNSAFE, as Django's documentation suggests for this case, but only
while it is needed: during a browser test, during a database test while Playwright's loop is
running, and while the session's fixtures are torn down. A subprocess started by a test that
runs before any browser test (pytest-django runs plain database tests first, then transactional
and live-server ones, then the rest) does not inherit it: `manage.py check --deploy` rejects it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

DEFAULT_CHROMIUM = "/usr/bin/chromium"

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

# A test that requests any of these, directly or through its fixtures, uses the browser or
# the database from the main thread.
BROWSER_FIXTURES = {"page", "context", "browser", "new_context"}
DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def chromium_path() -> str:
    return os.environ.get("CHROMIUM") or DEFAULT_CHROMIUM


def chromium_launch_args() -> dict[str, Any]:
    """Keyword arguments for Playwright's `chromium.launch()`; scripts may use them too."""
    return {"executable_path": chromium_path(), "headless": True, "args": list(CHROMIUM_ARGS)}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options, with Debian's Chromium and the flags above.

    `--headed` and `--slowmo` on the command line still work: they come from the fixture this
    one overrides.
    """
    path = chromium_path()
    if not os.access(path, os.X_OK):
        pytest.fail(
            f"Chromium not found at {path}: run `make browser` (Debian's chromium) "
            "or set CHROMIUM to a Chromium binary",
            pytrace=False,
        )
    options = chromium_launch_args()
    extra_args = browser_type_launch_args.get("args", [])
    return {**options, **browser_type_launch_args, "args": [*options["args"], *extra_args]}


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@contextmanager
def _async_unsafe_allowed(allowed: bool) -> Iterator[None]:
    if not allowed or ASYNC_UNSAFE in os.environ:
        yield
        return
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        yield
    finally:
        os.environ.pop(ASYNC_UNSAFE, None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Setup, call and teardown of a browser test, or of a database test after one."""
    fixturenames = set(getattr(item, "fixturenames", ()))
    uses_browser = bool(fixturenames & BROWSER_FIXTURES)
    uses_db = bool(item.get_closest_marker("django_db") or fixturenames & DB_FIXTURES)
    with _async_unsafe_allowed(uses_browser or (uses_db and _loop_running())):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """The last teardown, which also drops the test database and closes the browser."""
    with _async_unsafe_allowed(nextitem is None and _loop_running()):
        return (yield)
