"""The dashboards' kept summaries: equal to a recount after any run of steps, and pages whose
number of queries does not grow with the number of bids."""

from __future__ import annotations

import datetime
import random
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from applications import services as s
from applications import support
from budgets import ledger
from decisions import services as d
from fundmgr.errors import DomainError
from tests.pages.test_transparency import count_queries, visible
from transparency import summaries
from transparency.models import StateCount

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.transparency_fixtures"]
D = Decimal
BOARDS = ["/dashboards/", "/dashboards/spend/", "/dashboards/pipeline/", "/dashboards/timing/"]
BOARDS += ["/dashboards/clawback/"]


class Clock:
    """timezone.now for the services, moved on by hand."""

    def __init__(self):
        self.now = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)

    def __call__(self):
        return self.now


NEXT = {  # the steps that usually follow each state (others are tried now and then)
    "draft": [0, 1, 1],
    "submitted": [3, 3, 2, 4],
    "awaiting_support": [14],
    "under_assessment": [5, 5, 6],
    "awaiting_decision": [5, 6],
    "approved": [7, 7, 11, 10],
    "offer_accepted": [8, 9, 9, 12],
    "monitoring": [13, 15, 12, 16],
}


def _step(town, app, rng: random.Random, n: int):
    """One step on `app`: usually the next in its life, sometimes any (most are refused)."""
    app.refresh_from_db()
    choices = NEXT.get(app.status, [])
    pick = rng.choice(choices) if choices and rng.random() < 0.8 else rng.randrange(17)
    amount = D(rng.choice(["100.00", "250.50", "999.99", "40.01"]))
    wards = rng.choice([[town.abbey], [town.brook], [town.abbey, town.brook]])
    match pick:
        case 0:
            s.application_update(
                application=app, by=town.treasurer, amount_requested=amount, wards=wards
            )
        case 1:
            s.application_submit(application=app, by=town.treasurer)
        case 2:
            s.application_return(application=app, by=town.officer, reason="Add a quote.")
        case 3:
            s.application_mark_eligible(application=app, by=town.officer)
        case 4:
            s.application_mark_ineligible(application=app, by=town.officer, reason="Outside.")
        case 5 | 6:
            if app.status == "under_assessment":
                d.assessment_record(
                    application=app,
                    by=town.officer,
                    recommendation="approve",
                    recommended_amount=app.amount_requested,
                    notes="Fine.",
                )
            d.decision_record(
                application=app,
                by=town.officer2,
                outcome="approve" if pick == 5 else "reject",
                amount=app.amount_requested if pick == 5 else None,
                reasons="Reasons.",
            )
        case 7:
            s.application_accept_offer(application=app, by=town.treasurer)
        case 8 | 9:
            left = (app.amount_awarded or D(0)) - app.paid_to_date
            part = left if pick == 8 else (left / 2).quantize(D("0.01"))
            s.application_record_payment(
                application=app, by=town.finance, amount=part, key=f"pay:{app.pk}:{n}"
            )
        case 10:
            s.application_withdraw(application=app, by=town.treasurer, reason="No longer.")
        case 11:
            s.application_lapse(application=app, by=town.officer)
        case 12:
            s.application_revoke(application=app, by=town.officer, reason="Misused.")
        case 13:
            ledger.refund_post(
                reference=app.reference, amount=D("1.00"), by=None, key=f"refund:{app.pk}:{n}"
            )
        case 14:
            for councillor in (town.shaw, town.okafor):
                if app.wards.filter(pk=councillor.ward_id).exists():
                    support.pledge_make(
                        application=app,
                        councillor=councillor,
                        amount=app.amount_requested,
                        statement="Needed.",
                        by=councillor.user,
                    )
                    break
        case 15:
            s.monitoring_report_submit(
                application=app,
                by=town.treasurer,
                amount_spent=amount,
                outcomes="Done",
                people_reached=3,
            )
        case 16:
            s.application_close(application=app, by=town.officer)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_summaries_equal_a_recount_after_any_run_of_steps(town, seed):
    rng = random.Random(seed)
    clock = Clock()
    groups = [town.group("Friends of Abbey Park"), town.group("Brook FC", ward=town.brook)]
    apps = []
    with mock.patch("django.utils.timezone.now", clock):
        for n in range(150):
            clock.now += datetime.timedelta(hours=rng.randrange(1, 48))
            if not apps or rng.random() < 0.15:
                fund_year = rng.choice([town.asset, town.ward_budget])
                apps.append(town.bid(rng.choice(groups), fund_year=fund_year, amount="300.00"))
                continue
            app = rng.choice(apps)
            try:
                _step(town, app, rng, n)
            except (DomainError, AttributeError, TypeError):
                pass  # a step this state does not allow: nothing changed
    assert summaries.differences() == []
    assert StateCount.objects.filter(n__gt=0).exists()
    # and the dashboards read what a rebuild reads
    before = list(StateCount.objects.filter(n__gt=0).values_list("fund_year", "wards", "status"))
    summaries.rebuild()
    after = list(StateCount.objects.values_list("fund_year", "wards", "status"))
    assert sorted(before) == sorted(after)


def test_the_check_finds_a_summary_that_has_gone_wrong_and_a_rebuild_mends_it(town, capsys):
    town.award(town.bid(town.group("Friends of Abbey Park")), pay="500.00")
    call_command("check_summaries")
    StateCount.objects.filter(status="monitoring").update(n=7)
    with pytest.raises(CommandError, match="1 differences"):
        call_command("check_summaries")
    call_command("rebuild_summaries")
    call_command("check_summaries")
    assert "agree" in capsys.readouterr().out
    from django.apps import apps  # the migration's backfill: models from a registry

    StateCount.objects.all().delete()
    assert summaries.rebuild(apps) == 1
    assert summaries.differences() == []


def test_a_draft_edited_and_moved_to_another_ward_is_counted_where_it_is_now(client, town):
    app = town.bid(town.group("Friends of Abbey Park"), amount="100.00")
    s.application_update(
        application=app, by=town.treasurer, amount_requested=D("150.00"), wards=[town.brook]
    )
    assert summaries.differences() == []
    client.force_login(town.okafor.user)  # Brookfield's councillor
    assert re.search(r"Draft 1 £150\.00", visible(client.get("/dashboards/pipeline/")))
    client.force_login(town.shaw.user)  # Abbey Meadow's
    assert re.search(r"Draft 0 £0\.00", visible(client.get("/dashboards/pipeline/")))


def test_a_grant_in_two_of_a_councillors_wards_counts_once(town):
    from transparency.pipeline import pipeline
    from transparency.scope import Filters, Scope

    app = town.bid(town.group("Friends of Abbey Park"), wards=[town.abbey, town.brook])
    town.award(app, pay="500.00")
    both = Scope(wards=frozenset({town.abbey.pk, town.brook.pk}), councillors=None, label="both")
    rows = {r[0]: r for r in pipeline(Filters(), both).table.rows}
    assert rows["Paid: monitoring"][1:] == [1, 50000, 50000]
    one = Scope(wards=frozenset({town.brook.pk}), councillors=None, label="one")
    assert {r[0]: r for r in pipeline(Filters(), one).table.rows}["Paid: monitoring"][1] == 1


def _bids(town, n: int, clock: Clock) -> None:
    """`n` bids through the services: submitted, some decided and paid, a report or two."""
    group = town.group("Friends of Abbey Park")
    for i in range(n):
        app = town.bid(group, amount="120.00", wards=[town.abbey, town.brook][: 1 + i % 2])
        clock.now += datetime.timedelta(hours=1)
        if i % 3 == 0:
            s.application_submit(application=app, by=town.treasurer)
            continue
        clock.now += datetime.timedelta(hours=i % 40)
        town.award(app, pay="120.00")
        if i % 5 == 0:
            s.monitoring_report_submit(
                application=app,
                by=town.treasurer,
                amount_spent=D("20.00"),
                outcomes="Done",
                people_reached=5,
            )


@pytest.mark.slow
def test_every_dashboard_takes_the_same_number_of_queries_at_10_bids_and_at_200(client, town):
    clock = Clock()
    with mock.patch("django.utils.timezone.now", clock):
        _bids(town, 10, clock)
    people = {"officer": town.officer, "councillor": town.shaw.user}
    few = {}
    for who, user in people.items():
        client.force_login(user)
        for url in BOARDS:
            few[(who, url)] = count_queries(client, url + "?year=")
    with mock.patch("django.utils.timezone.now", clock):
        _bids(town, 190, clock)
    many = {}
    for who, user in people.items():
        client.force_login(user)
        for url in BOARDS:
            many[(who, url)] = count_queries(client, url + "?year=")
    assert many == few
    assert summaries.differences() == []


def test_the_clawback_list_is_paged_and_its_download_holds_every_grant(client, town, monkeypatch):
    from transparency import clawback

    monkeypatch.setattr(clawback, "PER_PAGE", 2)
    refs = []
    for i in range(3):
        app = town.award(town.bid(town.group(f"Group {i}"), amount="800.00"), pay="800.00")
        s.monitoring_report_submit(
            application=app,
            by=town.treasurer,
            amount_spent=D("100.00"),
            outcomes="Done",
            people_reached=1,
        )
        refs.append(app.reference)
    client.force_login(town.officer)
    first = visible(client.get("/dashboards/clawback/"))
    second = visible(client.get("/dashboards/clawback/", {"page": "2"}))
    assert [r in first for r in refs] == [True, True, False]
    assert [r in second for r in refs] == [False, False, True]
    assert (
        "Grants 1 to 2 of 3" in first
        and 'class="govuk-pagination"' in client.get("/dashboards/clawback/").content.decode()
    )
    # the totals are of every grant, not the page's
    assert re.search(r"Total 3 £2,400\.00 £300\.00 £2,100\.00 £2,100\.00", first)
    download = client.get("/dashboards/clawback/", {"download": "csv", "table": "clawback-extra-1"})
    text = (
        b"".join(download.streaming_content).decode()
        if download.streaming
        else (download.content.decode())
    )
    assert all(r in text for r in refs)


def test_a_councillors_spend_reads_only_their_share_and_matches_the_officers_rows(client, town):
    from transparency.scope import EVERYTHING, Filters, scope_for
    from transparency.spend import breakdowns, ledger_totals

    group = town.group("Friends of Abbey Park")
    town.award(town.bid(group, fund_year=town.ward_budget, amount="400.00"), pay="150.00")
    town.award(town.bid(group, amount="100.01", wards=[town.abbey, town.brook]), pay="100.01")
    town.award(town.bid(group, amount="900.00", wards=[town.brook]), accept=False)
    everyone = breakdowns(Filters(), EVERYTHING)
    assert ledger_totals(Filters()) == tuple(everyone["ward"].totals[2:4])
    shaw = breakdowns(Filters(), scope_for(town.shaw.user))
    for by in ("ward", "councillor"):
        mine = {row[0]: row for row in shaw[by].rows}
        theirs = {row[0]: row for row in everyone[by].rows if row[0] in mine}
        assert mine == theirs and mine, by
    client.force_login(town.officer)
    page = visible(client.get("/dashboards/", {"year": ""}))
    assert re.search(r"Paid £250\.01 Committed, not yet paid £1,150\.00", page)


def _recounted(filters, scope):
    """The pipeline and timing figures counted straight from the applications and their log,
    as the dashboards counted them before they had summaries."""
    from django.db.models import Count, Min, Sum

    from applications.models import TransitionLog
    from applications.workflow import Status

    apps = filters.applications(scope)
    states = {
        r["status"]: [r["n"], summaries.pence(r["req"]), summaries.pence(r["awd"])]
        for r in apps.order_by()
        .values("status")
        .annotate(n=Count("pk"), req=Sum("amount_requested"), awd=Sum("amount_awarded"))
    }
    pipeline_rows = [[s.label, *states.get(s.value, [0, 0, 0])] for s in Status]
    firsts: dict = {}
    for app_id, step, at in (
        TransitionLog.objects.filter(application__in=apps)
        .order_by()
        .values("application_id", "transition")
        .annotate(first=Min("at"))
        .values_list("application_id", "transition", "first")
    ):
        firsts.setdefault(app_id, {})[step] = at
    bands = {"decision": {}, "payment": {}}
    for steps in firsts.values():
        if "submit" not in steps:
            continue
        decided = min((steps[s] for s in ("approve", "reject") if s in steps), default=None)
        for measure, at in (("decision", decided), ("payment", steps.get("pay"))):
            if at is not None:
                band = summaries.band_of((at - steps["submit"]).total_seconds() / 86_400)
                bands[measure][band] = bands[measure].get(band, 0) + 1
    return pipeline_rows, bands


@pytest.mark.slow
def test_every_filter_and_scope_shows_what_a_recount_shows(town):
    from budgets.models import FinancialYear, Fund
    from transparency.pipeline import pipeline, timing
    from transparency.scope import EVERYTHING, Filters, scope_for

    clock = Clock()
    with mock.patch("django.utils.timezone.now", clock):
        _bids(town, 24, clock)
    scopes = [EVERYTHING, scope_for(town.shaw.user), scope_for(town.okafor.user)]
    years = [None, *FinancialYear.objects.all()]
    funds = [None, *Fund.objects.all()]
    _, every = _recounted(Filters(), EVERYTHING)
    assert every["decision"] and every["payment"]  # something to compare
    checked = 0
    for scope in scopes:
        for year in years:
            for fund in funds:
                filters = Filters(year=year, fund=fund)
                rows, bands = _recounted(filters, scope)
                assert pipeline(filters, scope).table.rows == rows
                sections = timing(filters, scope)
                for section, measure in zip(sections, ("decision", "payment"), strict=False):
                    shown = {label: n for label, n in section.table.rows if n}
                    assert shown == bands[measure], (filters, scope, measure)
                checked += 1
    assert checked == len(scopes) * len(years) * len(funds) >= 12


def test_a_deleted_draft_leaves_the_summaries(town):
    app = town.bid(town.group("Friends of Abbey Park"))
    drafts = StateCount.objects.filter(status="draft")
    assert sum(drafts.values_list("n", flat=True)) == 1
    app.delete()
    assert sum(drafts.values_list("n", flat=True)) == 0
    assert summaries.differences() == []
