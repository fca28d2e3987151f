"""`make serve`, as an operator runs it: gunicorn and the background worker against the configured
database (here the test's own PostgreSQL database through DATABASE_URL), answering on the port
given, and both stopped, nothing left, when make is sent SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.processes import ROOT, free_port, process_env

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]


def group_members(pgid: int) -> list[str]:
    """The command lines of the live processes in process group `pgid` (zombies left out)."""
    members = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state ppid pgrp ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(cmdline)
    return members


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_make_serve_serves_with_its_worker_and_stops_whole(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "serve", f"PORT={port}"],
            cwd=ROOT,
            env=process_env(WEB_CONCURRENCY="2"),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to find every process it started
        )
    pgid = make.pid
    try:
        deadline = time.monotonic() + 180  # collectstatic and migrate come first
        status = None
        while time.monotonic() < deadline and make.poll() is None:
            try:
                status, body = get(f"{base}/grants/")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, log.read_text()[-3000:]
        assert f"Serving http://127.0.0.1:{port}/" in log.read_text()

        # /healthz is healthy, and the worker beside gunicorn answers its heartbeat.
        seen = None
        while time.monotonic() < deadline:
            status, body = get(f"{base}/healthz")
            assert status == 200, body
            health = json.loads(body)
            assert health["status"] == "healthy", health
            seen = health["checks"]["worker"]["last_seen_seconds"]
            if seen is not None:
                break
            time.sleep(0.5)
        assert seen is not None, f"the worker never answered:\n{log.read_text()[-3000:]}"

        members = group_members(pgid)
        assert any("gunicorn" in m for m in members), members
        assert any("manage.py worker" in m for m in members), members

        make.send_signal(signal.SIGTERM)  # make alone: its recipe's trap stops both
        make.wait(90)
        stop_by = time.monotonic() + 30
        while group_members(pgid) and time.monotonic() < stop_by:
            time.sleep(0.2)
        assert group_members(pgid) == [], log.read_text()[-3000:]
        with pytest.raises(OSError):
            get(f"{base}/grants/")  # nothing listens any more
    finally:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        make.wait(30)
