"""Each council's spend and clawback summaries are its own (issue 18): counted from its own
ledger, stamped with its own newest rows, read by its own dashboards; across the service the
summaries are built, and checked, council by council."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import set_script_prefix

from applications.models import TransitionLog
from fundmgr import councils
from tests.transparency.test_councils_publishing import made  # noqa: F401 (a fixture)
from transparency import money_summaries
from transparency.models import SpendFigure, SummaryStamp

pytestmark = pytest.mark.django_db


def committed_by_fund(council) -> list[tuple[int, int]]:
    with councils.acting_for(council):
        rows = SpendFigure.objects.filter(year=0, fund=0, within=0, by="fund")
        return sorted(rows.values_list("key", "committed"))


def test_built_across_the_service_each_council_counts_its_own_ledger(made):  # noqa: F811
    money_summaries.rebuild()
    for key in ("a", "b"):
        fund = made[key].app.fund_year.fund_id
        assert committed_by_fund(made[key].council) == [(fund, 50000)]  # pence: its £500
    assert sorted(SummaryStamp.objects.values_list("council_id", flat=True)) == sorted(
        m.council.pk for m in made.values()
    )
    assert money_summaries.differences() == []
    with councils.acting_for(made["a"].council):
        SpendFigure.objects.filter(by="fund").update(committed=1)
    found = money_summaries.differences()
    assert (
        f"Council a: SpendFigure (0, 0, 0, 'fund', {made['a'].app.fund_year.fund_id}): "
        f"kept (1, 0, 1), counted (1, 0, 50000)"
    ) in found
    assert all(line.startswith("Council a: SpendFigure") for line in found)
    out = io.StringIO()
    call_command("rebuild_summaries", stdout=out)
    assert "Counted Council a's ledger" in out.getvalue()
    assert "Counted Council b's ledger" in out.getvalue()
    assert money_summaries.differences() == []


def test_a_step_at_one_council_leaves_the_others_summaries_current(made):  # noqa: F811
    money_summaries.rebuild()
    a, b = made["a"], made["b"]
    with councils.acting_for(a.council):
        before = money_summaries.marks()
    with councils.acting_for(b.council):
        TransitionLog.objects.create(
            application=b.app, transition="note", from_state="approved", to_state="approved"
        )
        assert money_summaries.marks() != SummaryStamp.objects.get().marks  # b's is behind
    with councils.acting_for(a.council):
        assert money_summaries.marks() == before == SummaryStamp.objects.get().marks


def test_a_councils_spend_dashboard_shows_its_own_money_only(client, made):  # noqa: F811
    for key in ("a", "b"):
        client.force_login(made[key].officer)
        set_script_prefix("/")
        page = client.get(f"/council-{key}/dashboards/spend/").content.decode()
        set_script_prefix("/")
        assert f"Ward {key}" in page
        assert "£500.00" in page and "£1,000.00" not in page
        other = "b" if key == "a" else "a"
        assert f"Ward {other}" not in page
