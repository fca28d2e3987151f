"""On PostgreSQL a connection prepares the queries it keeps sending (fundmgr/settings.py,
DATABASE_PREPARE_THRESHOLD): a page asked for again on a kept connection runs statements the
server planned once, and asking for it more prepares nothing more. "off" sends every query
whole, as Django does by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THRESHOLD = settings.DATABASES["default"]["OPTIONS"].get("prepare_threshold")


def _prepared() -> set[str]:
    """The statements this connection's server session holds prepared (bar the council scope's
    setting, sent when the scope changes: this test's own queries change it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {sql for (sql,) in cursor.fetchall() if "set_config('app.council_id'" not in sql}


def test_a_page_asked_for_again_runs_statements_prepared_once(on_postgres, client, officer):
    assert THRESHOLD == 5, "the default: a query sent five times is prepared"
    client.force_login(officer)
    before = _prepared()
    for _ in range(2 * (THRESHOLD + 1)):
        assert client.get("/officer/").status_code == 200
    made = _prepared() - before
    for table in ("django_session", "fundmgr_user", "decisions_queuecount"):
        assert any(f'FROM "{table}"' in sql for sql in made), (table, made)
    for _ in range(THRESHOLD + 1):
        assert client.get("/officer/").status_code == 200
    assert _prepared() - before == made, "asked for again, the page prepared more statements"


def _options(environment: dict[str, str]) -> dict:
    """The database OPTIONS fundmgr/settings.py makes of `environment` (in a fresh process)."""
    code = (
        "import json, fundmgr.settings as s; "
        "print(json.dumps(s.DATABASES['default'].get('OPTIONS', {})))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_PREPARE_THRESHOLD"}
    env |= {"DATABASE_URL": "postgres://someone@127.0.0.1:5432/fundmgr", **environment}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_the_threshold_is_set_or_turned_off_for_a_pool_that_shares_sessions():
    assert _options({})["prepare_threshold"] == 5
    assert _options({})["server_side_binding"] is True
    assert _options({"DATABASE_PREPARE_THRESHOLD": "2"})["prepare_threshold"] == 2
    off = _options({"DATABASE_PREPARE_THRESHOLD": "off"})
    assert "prepare_threshold" not in off and "server_side_binding" not in off
