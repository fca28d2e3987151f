"""Two transactions wanting the same rows at once: retried, then refused in words, never a 500.

Services that move money lock every account they will touch in one step, in primary-key order
(`budgets.ledger.lock_accounts`), so two of them should never wait for each other in a circle.
Should PostgreSQL still break a tie (a deadlock, 40P01) or refuse a transaction it cannot
serialise (40001), it rolls the whole transaction back: only running the whole transaction
again can help, never a retry inside it.

So `atomic` is `transaction.atomic` for a service function that also retries it:

    @contention.atomic
    def councillor_transfer(*, ...): ...

- Called outside any transaction (a page, an API view, a command), it runs the function in its
  own `transaction.atomic()` and, on a deadlock or serialisation failure, rolls back, waits a
  short random while (so the two losers do not collide again in step) and runs it again, up to
  ATTEMPTS times in all. Every retry is counted (`counts()`; `manage.py benchmark ledger`
  reports them) and logged. When the last attempt fails too, it raises `SimultaneousChange`, a
  409 `Refused` whose message tells the person nothing was changed and to try again: pages show
  it in the error summary and the API as a problem document, like any other refusal.
- Called inside a transaction (one service calling another, or a caller's own `atomic`), it is
  a plain nested `transaction.atomic()`: the error goes up to the outermost `contention.atomic`,
  which runs everything again. Where the outermost block is not one of these, `fundmgr.api`'s
  exception handler and `fundmgr.middleware.SimultaneousChangeRefused` still answer a 409.

A retried service runs again from its first line with the arguments it was given, so it must
re-read under its locks whatever it decides on (every service does: it locks, then reads), and
it must do nothing outside the database before it commits (e-mail and documents go through
`transaction.on_commit`, which Django forgets for a rolled-back attempt).

Part of the shared kernel: it imports no app.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection, transaction

from fundmgr.errors import SimultaneousChange

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

ATTEMPTS = 3  # in all: the first and two retries
BACKOFF = 0.02  # seconds; the n-th retry waits a random time up to BACKOFF * 2**n

# PostgreSQL's SQLSTATEs for "run the whole transaction again and it may well succeed".
DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"
RETRYABLE = frozenset({DEADLOCK_DETECTED, SERIALIZATION_FAILURE})

_lock = threading.Lock()
_counts = {"retried": 0, "gave_up": 0}


def counts() -> dict[str, int]:
    """Since the process started (or `counts_reset`): transactions run again after a deadlock or
    serialisation failure, and those refused after the last attempt failed too."""
    with _lock:
        return dict(_counts)


def counts_reset() -> None:
    with _lock:
        for name in _counts:
            _counts[name] = 0


def _count(name: str) -> None:
    with _lock:
        _counts[name] += 1


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a database error Django raised, from the driver's own exception."""
    for candidate in (error, error.__cause__):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code:
            return str(code)
    return None


def is_contention(error: BaseException) -> bool:
    """A deadlock or serialisation failure: lost a race, not a fault; worth running again."""
    return isinstance(error, OperationalError) and sqlstate(error) in RETRYABLE


def run(func: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """`func(*args, **kwargs)` in `transaction.atomic()`, retried as the module says."""
    if connection.in_atomic_block:
        with transaction.atomic():
            return func(*args, **kwargs)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except OperationalError as error:
            if not is_contention(error):
                raise
            name = getattr(func, "__qualname__", repr(func))
            if attempt == ATTEMPTS:
                _count("gave_up")
                log.warning("%s: %s on attempt %d of %d, refused", name, error, attempt, ATTEMPTS)
                raise SimultaneousChange() from error
            _count("retried")
            log.info("%s: %s on attempt %d of %d, retrying", name, error, attempt, ATTEMPTS)
            time.sleep(random.uniform(0, BACKOFF * 2**attempt))  # noqa: S311 - not a secret
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def atomic(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a service: `transaction.atomic`, retried when it is the outermost block."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return run(func, *args, **kwargs)

    return wrapper
