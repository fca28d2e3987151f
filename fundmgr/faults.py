"""Named points where the fault tests kill the process, to prove that a crash there loses nothing
and doubles nothing.

    from fundmgr.faults import crash_point

    crash_point("payment-run:authorise")  # a no-op unless FUNDMGR_CRASH_AT names this point

With FUNDMGR_CRASH_AT=NAME (or NAME@N, the N-th time this process reaches it) in its environment,
the process sends itself SIGKILL there: no exception, no `finally`, no clean-up, no commit, just
as the kernel's out-of-memory killer or a pulled plug would. The tests in tests/postgres/ start
gunicorn or the worker with it, then start them again without it and check the ledger, the
outbox and the stored documents. Nothing else sets it; unset, a point costs one comparison.
"""

from __future__ import annotations

import os
import signal

_SETTING = "FUNDMGR_CRASH_AT"
_counts: dict[str, int] = {}


def _target() -> tuple[str, int] | None:
    value = os.environ.get(_SETTING, "").strip()
    if not value:
        return None
    name, _, nth = value.rpartition("@") if "@" in value else (value, "", "1")
    return name, int(nth) if nth.isdigit() else 1


def crash_point(name: str) -> None:
    target = _target()
    if target is None or target[0] != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= target[1]:
        os.kill(os.getpid(), signal.SIGKILL)
