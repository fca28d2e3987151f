"""The spend and clawback dashboards read summaries built from the ledger by a task
(transparency.money_summaries): after payments, refunds, releases and reversals they show what a
count from the ledger's entries shows, for every filter and scope; an out-of-date summary is
refreshed once per transaction however many pages ask; the page says when its figures were
counted."""

from __future__ import annotations

import re
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from applications import services as s
from budgets import ledger
from budgets.models import FinancialYear, Fund, LedgerTransaction
from tests.pages.test_transparency import visible
from transparency import clawback, money_summaries, spend
from transparency.models import SpendFigure, SummaryStamp
from transparency.scope import EVERYTHING, Filters, scope_for

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.transparency_fixtures"]
D = Decimal


def _history(town):
    """Grants paid, part paid, refunded, released, reversed, reported on and revoked."""
    abbey = town.group("Friends of Abbey Park")
    brook = town.group("Brook FC", ward=town.brook)
    paid = town.award(town.bid(abbey, amount="400.00"), pay="400.00")
    part = town.award(town.bid(abbey, fund_year=town.ward_budget, amount="300.01"), pay="100.00")
    both = town.award(town.bid(brook, amount="100.01", wards=[town.abbey, town.brook]), pay="50.00")
    released = town.award(town.bid(brook, amount="250.00", wards=[town.brook]))
    ledger.commitment_release(
        reference=released.reference, by=None, key="release:1", amount=D("40")
    )
    ledger.refund_post(reference=paid.reference, amount=D("25.00"), by=None, key="refund:1")
    payment = LedgerTransaction.objects.filter(reference=both.reference, kind="payment").get()
    ledger.transaction_reverse(posting=payment, by=None, reason="Paid to the wrong account.")
    s.monitoring_report_submit(
        application=paid,
        by=town.treasurer,
        amount_spent=D("100.00"),
        outcomes="Done",
        people_reached=4,
    )
    s.application_revoke(application=part, by=town.officer, reason="Misused.")
    return paid, part, both, released


def _shown(tables) -> list:
    return [(t.title, list(t.rows), t.totals) for t in tables]


def _everywhere(town):
    scopes = [EVERYTHING, scope_for(town.shaw.user), scope_for(town.okafor.user)]
    years = [None, *FinancialYear.objects.all()]
    funds = [None, *Fund.objects.all()]
    return [(Filters(year=y, fund=f), scope) for scope in scopes for y in years for f in funds]


def test_spend_and_clawback_equal_a_recount_after_payments_refunds_releases_reversals(
    town, django_capture_on_commit_callbacks
):
    _history(town)
    checked = 0
    for filters, scope in _everywhere(town):
        kept = spend.breakdowns(filters, scope)
        assert _shown(kept.values()) == _shown(spend.recounted(filters, scope).values())
        kept_clawback = clawback.sections(filters, scope)
        counted = clawback.recounted(filters, scope)
        assert _shown(t for x in kept_clawback for t in (x.table, *x.extra)) == _shown(
            t for x in counted for t in (x.table, *x.extra)
        )
        checked += 1
    assert checked >= 12
    assert money_summaries.differences() == []
    every = spend.breakdowns(Filters(), EVERYTHING)
    assert every["ward"].totals[2:4] == list(spend.ledger_totals(Filters()))
    assert every["ward"].totals[2] > 0 and every["ward"].totals[3] > 0
    shown = clawback.sections(Filters(), EVERYTHING)
    assert shown[0].table.totals[5] > 0 and shown[0].extra[0].rows  # clawback due, listed

    # a later posting: the page refreshes the summary (on commit) and shows it
    app = town.award(town.bid(town.group("Late"), amount="70.00"), pay="70.00")
    with django_capture_on_commit_callbacks(execute=True):
        spend.breakdowns(Filters(), EVERYTHING)
    after = spend.breakdowns(Filters(), EVERYTHING)
    assert after["ward"].totals[2] == every["ward"].totals[2] + 7000, app.reference
    assert money_summaries.differences() == []


def test_an_out_of_date_summary_is_refreshed_once_however_many_pages_ask(town):
    _history(town)
    money_summaries.current()  # built
    before = SummaryStamp.objects.get()
    town.award(town.bid(town.group("Late"), amount="70.00"), pay="70.00")
    with mock.patch.object(money_summaries, "enqueue_once") as enqueue:
        for _ in range(3):
            spend.breakdowns(Filters(), EVERYTHING)
            clawback.sections(Filters(), EVERYTHING)
    enqueue.assert_called_once_with(money_summaries.refresh)
    # until it runs, the pages show the figures as they were counted, and say when
    assert SummaryStamp.objects.get().built_at == before.built_at
    money_summaries.refresh.call()
    assert SummaryStamp.objects.get().marks == money_summaries.marks()
    assert money_summaries.differences() == []


def test_the_page_says_when_its_figures_were_counted_and_downloads_show_the_same(client, town):
    _history(town)
    client.force_login(town.officer)
    page = client.get("/dashboards/spend/", {"year": ""}).content.decode()
    assert 'id="as-at"' in page and "Figures as at" in page
    text = visible(client.get("/dashboards/spend/", {"year": ""}))
    download = client.get(
        "/dashboards/spend/", {"year": "", "download": "csv", "table": "by-ward-table"}
    )
    csv = (
        b"".join(download.streaming_content).decode()
        if download.streaming
        else download.content.decode()
    )
    total = spend.breakdowns(Filters(), EVERYTHING)["ward"].totals
    assert spend.money(total[2]) in text
    assert re.search(rf"Total,,{total[2] / 100:.2f},{total[3] / 100:.2f}", csv), csv
    assert "Figures as at" not in client.get("/dashboards/pipeline/").content.decode()


def test_the_commands_check_and_rebuild_the_money_summaries(town, capsys):
    _history(town)
    call_command("rebuild_summaries")
    call_command("check_summaries")
    SpendFigure.objects.filter(by="ward").update(paid=1)
    with pytest.raises(CommandError):
        call_command("check_summaries")
    assert "SpendFigure" in capsys.readouterr().err
    call_command("rebuild_summaries")
    call_command("check_summaries")
