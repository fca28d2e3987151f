"""`manage.py benchmark load --quick`: gunicorn, the worker and locust's simulated people on the
suite's PostgreSQL database, briefly; it prints a row per page kind, the totals and no error."""

import re

import pytest

from tests.processes import database_url, manage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]

# A page of each role's journey, which a quick run always reaches.
PAGES = [
    "GET /grants/",
    "GET /grants/wards/",
    "POST /sign-in/",
    "POST /account/two-factor/code/",  # the finance officers' authenticator codes
    "GET /apply/",
    "POST /apply/new/[fund]/",
    "GET /councillor/",
    "GET /officer/",
    "GET /finance/",
]


def test_a_quick_load_run_prints_every_page_kind_and_no_error():
    done = manage("benchmark", "load", "--quick", "--database-url", database_url(), timeout=240)
    out = done.stdout
    rows = {
        m.group(1): (int(m.group(2)), int(m.group(3)))
        for m in re.finditer(
            r"^((?:GET|POST) \S+(?: \S+)?)\s+(\d+)\s.*?(\d+)(?:  slow)?$", out, re.M
        )
    }
    for page in PAGES:
        assert page in rows, f"{page} not in the table:\n{out}"
    assert all(errors == 0 for _, errors in rows.values()), out
    total = re.search(r"^all pages\s+(\d+)\s+([\d.]+)\s.*\s(\d+)$", out, re.M)
    assert total, out
    assert int(total.group(1)) >= sum(n for n, _ in rows.values()) > 0
    assert int(total.group(3)) == 0, out
    assert re.search(r"Over \d+ s: [\d.]+ requests a second, 0 errors", out), out
    assert "Target (0 errors; p95 under 500 ms for every page on 2 cores):" in out
    assert "exception" not in out, out
