"""The demo loaded on a day in the pre-election period, after the fund windows have closed: the
stories still run to their ends (tests/devtools/demo/ loads it on the tests' own day)."""

import datetime
import io
from unittest import mock

import pytest
from django.core.management import call_command

from applications.models import Application
from applications.workflow import Status
from budgets.integrity import ledger_violations

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_loads_in_the_pre_election_period_after_the_fund_windows_close():
    """25 March 2027: the notice period of the May 2027 elections, after 2026/27's window."""
    out = io.StringIO()
    with mock.patch("django.utils.timezone.localdate", return_value=datetime.date(2027, 3, 25)):
        call_command("loaddemo", stdout=out, stderr=out)
    assert "Loaded the demo" in out.getvalue()
    assert ledger_violations() == []
    assert Application.objects.filter(status=Status.APPROVED).count() >= 3
