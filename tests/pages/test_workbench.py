"""The grants officer's workbench with many bids: sorting by any column, filters in the address,
saved views per officer, bulk actions with the rules of one at a time, and downloads of every
officer list of decisions."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.models import Application, TransitionLog
from applications.workflow import Status
from decisions import services as d
from decisions.models import PanelMeeting, SavedView
from tests import journeys
from tests.factories import OrganisationFactory, UserFactory, WardFactory

D = Decimal
pytestmark = pytest.mark.django_db
URL = "/officer/"


def many(n, *, fund_year, organisation, ward, status=Status.SUBMITTED, prefix="BULK", amount="500"):
    """`n` applications written in bulk: amounts go up by £10 a bid from `amount`."""
    now = timezone.now()
    apps = Application.objects.bulk_create(
        Application(
            fund_year=fund_year,
            organisation=organisation,
            reference=f"{prefix}-{i:06d}",
            status=status,
            title=f"Project {i}",
            amount_requested=D(amount) + 10 * i,
            total_cost=D(amount) + 10 * i,
            created_by=organisation.members.first() or UserFactory(),
            submitted_at=now - datetime.timedelta(days=i),
        )
        for i in range(n)
    )
    Through = Application.wards.through
    Through.objects.bulk_create(Through(application=a, ward=ward) for a in apps)
    return apps


def refs(response) -> list[str]:
    assert response.status_code == 200
    return [a.reference for a in response.context["rows"]]


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", roles=["Auditor"])


@pytest.fixture
def bids(draft, fund_year, ward):
    return many(5, fund_year=fund_year, organisation=draft.organisation, ward=ward, prefix="SUB")


# --- sorting --------------------------------------------------------------------------------


def test_sorting_by_amount_both_ways(officer_client, bids):
    assert refs(officer_client.get(URL, {"sort": "amount", "order": "asc"})) == [
        f"SUB-00000{i}" for i in range(5)
    ]
    assert refs(officer_client.get(URL, {"sort": "amount", "order": "desc"})) == [
        f"SUB-00000{i}" for i in reversed(range(5))
    ]


def test_sorting_by_received_puts_the_oldest_first(officer_client, bids):
    assert refs(officer_client.get(URL, {"sort": "received"}))[0] == "SUB-000004"


def test_equal_values_are_ordered_by_reference(officer_client, draft, fund_year, ward):
    many(3, fund_year=fund_year, organisation=draft.organisation, ward=ward, prefix="B")
    many(3, fund_year=fund_year, organisation=draft.organisation, ward=ward, prefix="A")
    # A-000000 and B-000000 ask for the same amount: the reference decides, both ways.
    assert refs(officer_client.get(URL, {"sort": "amount"}))[:2] == ["A-000000", "B-000000"]
    assert refs(officer_client.get(URL, {"sort": "amount", "order": "desc"}))[-2:] == [
        "A-000000",
        "B-000000",
    ]


def test_sorting_by_ward_group_and_days_waiting(officer_client, draft, fund_year, ward):
    vale = WardFactory(name="Aaron Vale")  # before Abbey Meadow
    other = OrganisationFactory(name="Aardvark Allotments", ward=ward)
    many(1, fund_year=fund_year, organisation=draft.organisation, ward=vale, prefix="BROOK")
    (late,) = many(1, fund_year=fund_year, organisation=other, ward=ward, prefix="AARD")
    assert refs(officer_client.get(URL, {"sort": "ward"}))[0] == "BROOK-000000"
    assert refs(officer_client.get(URL, {"sort": "group"}))[0] == "AARD-000000"
    # Days waiting counts from the bid's last step.
    with time_machine.travel(timezone.now() - datetime.timedelta(days=40), tick=False):
        TransitionLog.objects.create(
            application=late, transition="submit", from_state="draft", to_state="submitted"
        )
    # A step changes the state in the same transaction as its log row: on PostgreSQL a trigger
    # then stores the log's time as the bid's state_since, which the sort reads.
    status = Application.objects.get(pk=late.pk).status
    Application.objects.filter(pk=late.pk).update(status="draft")
    Application.objects.filter(pk=late.pk).update(status=status)
    page = officer_client.get(URL, {"sort": "waiting", "order": "desc"})
    assert refs(page)[0] == "AARD-000000"
    assert page.context["rows"][0].days == "40"


@pytest.mark.parametrize("key", ["reference", "group", "received", "fund", "ward", "status"])
def test_every_column_sorts(officer_client, bids, key):
    assert sorted(refs(officer_client.get(URL, {"sort": key, "order": "desc"}))) == [
        f"SUB-00000{i}" for i in range(5)
    ]


@pytest.mark.parametrize(
    "sort", ["id", "amount_requested", "amount; DROP TABLE x", "-amount", "__class__"]
)
def test_an_unknown_sort_falls_back_to_what_waits_first(officer_client, bids, sort):
    page = officer_client.get(URL, {"sort": sort, "order": "desc"})
    assert refs(page) == refs(officer_client.get(URL))
    assert 'aria-sort="ascending"' not in page.text and 'aria-sort="descending"' not in page.text


def test_headers_are_links_that_sort_and_say_how_the_list_is_sorted(officer_client, bids, ward):
    html = officer_client.get(URL, {"ward": ward.pk, "sort": "amount"}).text
    amount = re.search(r'<th[^>]*aria-sort="(\w+)"[^>]*>\s*<a[^>]*href="([^"]+)"[^>]*>Amount', html)
    assert amount.group(1) == "ascending"
    assert (
        amount.group(2) == f"?ward={ward.pk}&amp;sort=amount&amp;order=desc"
    )  # then the other way
    assert html.count('aria-sort="none"') == 7
    assert f'href="?ward={ward.pk}&amp;sort=reference&amp;order=asc"' in html


def test_sorting_makes_as_many_queries_for_300_rows_as_for_5(
    officer_client, draft, fund_year, ward
):
    many(5, fund_year=fund_year, organisation=draft.organisation, ward=ward, prefix="FEW")

    def count(query):
        officer_client.get(URL, query)  # the first request after signing in writes the session
        with CaptureQueriesContext(connection) as queries:
            assert officer_client.get(URL, query).status_code == 200
        return len(queries)

    queries = {key: count({"sort": key}) for key in ("ward", "waiting", "amount")}
    many(300, fund_year=fund_year, organisation=draft.organisation, ward=ward, prefix="MANY")
    assert {key: count({"sort": key}) for key in queries} == queries


# --- filters in the address -----------------------------------------------------------------


def test_the_filter_form_is_a_get_form_without_a_csrf_token(officer_client, bids):
    html = officer_client.get(URL, {"sort": "amount", "order": "desc"}).text
    form = re.search(r'<form method="get".*?</form>', html, re.S).group(0)
    assert "csrfmiddlewaretoken" not in form
    # Filtering keeps the sort.
    assert '<input type="hidden" name="sort" value="amount">' in form
    assert '<input type="hidden" name="order" value="desc">' in form


def test_pages_and_downloads_keep_the_filters_and_the_sort(officer_client, draft, fund_year, ward):
    many(60, fund_year=fund_year, organisation=draft.organisation, ward=ward, prefix="SUB")
    html = officer_client.get(URL, {"ward": ward.pk, "sort": "amount", "order": "desc"}).text
    assert f'href="?ward={ward.pk}&amp;sort=amount&amp;order=desc&amp;page=2"' in html
    assert f'href="?ward={ward.pk}&amp;sort=amount&amp;order=desc&amp;download=csv"' in html
    assert f'href="?ward={ward.pk}&amp;sort=amount&amp;order=desc&amp;download=xlsx"' in html
    clear = re.search(r'<a class="govuk-link" href="([^"]+)">Clear filters</a>', html)
    assert clear.group(1) == "/officer/?sort=amount&amp;order=desc"


# --- saved views ----------------------------------------------------------------------------


def test_an_officer_saves_a_view_and_finds_it_on_the_workbench(officer_client, bids, ward):
    page = officer_client.get(
        "/officer/views/new/",
        {"ward": ward.pk, "amount_from": "5000", "sort": "amount", "page": "3"},
    )
    assert page.status_code == 200
    assert "csrfmiddlewaretoken" in page.text
    query = f"ward={ward.pk}&amp;amount_from=5000&amp;sort=amount&amp;order=asc"
    assert f'value="{query}"' in page.text  # the page number is not part of a view
    described = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "Ward Abbey Meadow Amount from £5,000.00 Sorted by amount, ascending" in described
    response = officer_client.post(
        "/officer/views/new/",
        {"name": "My ward's bids over £5,000", "query": query.replace("&amp;", "&")},
    )
    assert response.status_code == 302
    assert response.url == f"/officer/?{query.replace('&amp;', '&')}"
    html = officer_client.get(URL).text
    assert f'href="/officer/?{query}">My ward&#x27;s bids over £5,000</a>' in html
    # Followed, it shows that list, and says so.
    page = officer_client.get(f"/officer/?{query.replace('&amp;', '&')}")
    assert f'href="/officer/?{query}" aria-current="true">My ward' in page.text
    assert page.context["sort"].key == "amount" and page.context["form"].is_valid()


def test_a_view_keeps_only_the_workbench_filters(officer, officer_client, ward):
    officer_client.post(
        "/officer/views/new/",
        {"name": "Mine", "query": f"ward={ward.pk}&evil=<script>&sort=nonsense&download=csv"},
    )
    assert SavedView.objects.get(officer=officer).query == f"ward={ward.pk}"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "  ", "query": ""}, "Enter a name for this view"),
        ({"name": "x" * 81, "query": ""}, "The name must be 80 characters or fewer"),
        (
            {"name": "Odd", "query": "amount_from=lots"},
            "These filters have a problem: correct them on the workbench, then save the view",
        ),
    ],
)
def test_a_view_that_cannot_be_saved_says_why(officer_client, data, message):
    response = officer_client.post("/officer/views/new/", data)
    assert response.status_code == 200
    assert message in response.text
    assert "govuk-error-summary" in response.text
    assert not SavedView.objects.exists()


def test_two_views_of_the_same_name_are_refused(officer, officer_client):
    SavedView.objects.create(officer=officer, name="Mine", query="")
    response = officer_client.post("/officer/views/new/", {"name": "Mine", "query": ""})
    assert "You already have a view called Mine: choose another name" in response.text


def test_another_officer_neither_sees_nor_deletes_my_view(client, officer, officer2, bids):
    mine = SavedView.objects.create(officer=officer, name="Officer one's view", query="sort=amount")
    client.force_login(officer2)
    assert "Officer one" not in client.get(URL).text
    assert client.post(f"/officer/views/{mine.pk}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=mine.pk).exists()
    client.force_login(officer)
    assert "Officer one&#x27;s view" in client.get(URL).text
    response = client.post(f"/officer/views/{mine.pk}/delete/")
    assert response.status_code == 302
    assert not SavedView.objects.filter(pk=mine.pk).exists()


def test_an_auditor_can_save_no_view(client, auditor):
    client.force_login(auditor)
    assert client.get("/officer/views/new/").status_code == 403
    assert client.post("/officer/views/new/", {"name": "x", "query": ""}).status_code == 403
    assert "Save this view" not in client.get(URL).text


# --- bulk actions ---------------------------------------------------------------------------


def test_bulk_mark_eligible_does_each_and_says_why_the_others_could_not_be(
    officer_client, draft, fund_year, ward, bids
):
    decided = many(
        1,
        fund_year=fund_year,
        organisation=draft.organisation,
        ward=ward,
        prefix="DEC",
        status=Status.AWAITING_DECISION,
    )[0]
    chosen = [b.reference for b in bids[:3]] + [decided.reference, "NOPE-1"]
    response = officer_client.post(
        "/officer/bulk/", {"action": "mark_eligible", "reference": chosen, "query": "sort=amount"}
    )
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.text)
    assert "3 marked as eligible. 2 could not be" in text
    assert (
        f"{decided.reference}</a>: {decided.reference} is waiting for a decision: it cannot be "
        "marked eligible now." in text
    )
    assert "NOPE-1: There is no application NOPE-1." in text
    assert 'href="/officer/?sort=amount&amp;order=asc"' in text  # back to the same list
    statuses = dict(Application.objects.values_list("reference", "status"))
    assert {statuses[r] for r in chosen[:3]} == {Status.AWAITING_SUPPORT}
    assert statuses[bids[3].reference] == Status.SUBMITTED  # not selected: unchanged
    assert statuses[decided.reference] == Status.AWAITING_DECISION
    # Logged as one at a time would log it, by the officer.
    assert TransitionLog.objects.filter(transition="mark_eligible").count() == 3


def test_a_bid_refused_half_way_is_left_as_it_was(officer_client, bids, monkeypatch):
    """The service fails after the bid's state changed: that bid's transaction is undone, the
    others are done."""
    from applications import services

    real = services.application_endorse_if_supported

    def fails_for_one(app, *, by):
        if app.reference == "SUB-000001":
            from fundmgr.errors import Refused

            raise Refused("The ledger said no.")
        return real(app, by=by)

    monkeypatch.setattr(services, "application_endorse_if_supported", fails_for_one)
    chosen = [b.reference for b in bids[:3]]
    text = officer_client.post(
        "/officer/bulk/", {"action": "mark_eligible", "reference": chosen}
    ).text
    assert "2 marked as eligible. 1 could not be" in re.sub(r"\s+", " ", text)
    assert Application.objects.get(reference="SUB-000001").status == Status.SUBMITTED
    assert not TransitionLog.objects.filter(application__reference="SUB-000001").exists()


def test_the_workbench_offers_only_the_actions_its_bids_wait_for(
    officer_client, bids, auditor, client
):
    html = officer_client.get(URL).text
    assert 'value="mark_eligible"' in html and 'name="reference"' in html
    assert 'value="close"' not in html  # nothing here waits to be closed
    client.force_login(auditor)
    html = client.get(URL).text
    assert 'name="reference"' not in html and "Mark as eligible" not in html


def test_select_all_on_this_page_works_without_javascript(officer_client, draft, fund_year, ward):
    many(60, fund_year=fund_year, organisation=draft.organisation, ward=ward, prefix="SUB")
    html = officer_client.get(URL).text
    assert 'href="?select=1#results">Select all on this page</a>' in html
    html = officer_client.get(URL, {"select": "1"}).text
    assert html.count('type="checkbox"') == html.count(" checked>") == 50
    # The next page's link keeps the address, but selects nothing there.
    assert 'href="?select=1&amp;page=2"' in html
    html = officer_client.get(URL, {"select": "1", "page": "2"}).text
    assert html.count('type="checkbox"') == 10 and " checked>" not in html


@pytest.mark.parametrize("role", ["Auditor", "Councillor", "Panel member", "Applicant"])
def test_a_forged_bulk_post_from_a_role_that_may_not_act_is_refused(client, bids, role):
    client.force_login(UserFactory(roles=[role]))
    response = client.post(
        "/officer/bulk/", {"action": "mark_eligible", "reference": [bids[0].reference]}
    )
    assert response.status_code == 403
    assert Application.objects.get(pk=bids[0].pk).status == Status.SUBMITTED


@pytest.mark.parametrize(
    "data, message",
    [
        ({"reference": ["SUB-000000"]}, "Choose what to do with the applications you selected"),
        ({"action": "approve", "reference": ["SUB-000000"]}, "Choose what to do"),
        ({"action": "mark_eligible"}, "Select the applications to mark as eligible"),
        (
            {"action": "mark_eligible", "reference": [f"SUB-{i:06d}" for i in range(201)]},
            "Select 200 applications or fewer at a time: you selected 201",
        ),
    ],
)
def test_a_bulk_action_that_cannot_start_says_why_and_does_nothing(
    officer_client, bids, data, message
):
    response = officer_client.post("/officer/bulk/", data)
    assert response.status_code == 400
    assert message in response.text
    assert not TransitionLog.objects.exists()


def test_bulk_close_is_refused_for_a_grant_without_its_report(
    officer_client, draft, fund_year, ward
):
    (grant,) = many(
        1,
        fund_year=fund_year,
        organisation=draft.organisation,
        ward=ward,
        prefix="MON",
        status=Status.MONITORING,
    )
    assert 'value="close"' in officer_client.get(URL, {"state": "monitoring"}).text
    text = officer_client.post(
        "/officer/bulk/", {"action": "close", "reference": [grant.reference]}
    ).text
    assert "0 closed. 1 could not be" in re.sub(r"\s+", " ", text)
    assert Application.objects.get(pk=grant.pk).status == Status.MONITORING


def test_bulk_is_post_only(officer_client):
    assert officer_client.get("/officer/bulk/").status_code == 405


# --- downloads ------------------------------------------------------------------------------


def read_csv(response):
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_workbench_downloads_every_page_as_filtered_and_sorted(
    officer_client, draft, fund_year, ward
):
    many(120, fund_year=fund_year, organisation=draft.organisation, ward=ward, prefix="SUB")
    brook = WardFactory(name="Brookfield")
    many(3, fund_year=fund_year, organisation=draft.organisation, ward=brook, prefix="BROOK")
    response = officer_client.get(
        URL, {"ward": ward.pk, "sort": "amount", "order": "desc", "page": "2", "download": "csv"}
    )
    assert response["Content-Disposition"].startswith('attachment; filename="workbench-')
    rows = read_csv(response)
    assert rows[0] == [
        "Reference",
        "Received",
        "Group",
        "Project",
        "Ward",
        "Fund",
        "Financial year",
        "Amount requested",
        "Status",
        "Days waiting",
    ]
    assert len(rows) == 121  # every page, not the second alone; no Brookfield bid
    assert rows[1][0] == "SUB-000119" and rows[1][7] == "1690.00"
    assert rows[-1][0] == "SUB-000000"


def test_the_workbench_downloads_as_xlsx(officer_client, bids, ward):
    from openpyxl import load_workbook

    response = officer_client.get(
        URL, {"state": "submitted", "sort": "reference", "download": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 6
    assert sheet["H2"].value == 500 and sheet["H2"].number_format == '"£"#,##0.00'


def test_a_group_name_that_is_a_formula_is_downloaded_as_text(
    officer_client, fund_year, ward, draft
):
    evil = OrganisationFactory(name='=HYPERLINK("http://evil.example","Click")', ward=ward)
    many(1, fund_year=fund_year, organisation=evil, ward=ward, prefix="EVIL")
    rows = read_csv(officer_client.get(URL, {"q": "EVIL", "download": "csv"}))
    assert rows[1][2] == "'" + evil.name


def test_the_panel_meetings_and_an_agenda_download(
    client, officer, draft, fund_year, treasurer, shaw, okafor, officer2
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    meeting = d.panel_meeting_create(
        title="December panel",
        fund=fund_year.fund,
        date=datetime.date(2026, 12, 10),
        quorum=1,
        members=[officer2],
        by=officer,
    )
    d.panel_item_add(meeting=meeting, application=draft, by=officer)
    client.force_login(officer)
    html = client.get("/officer/panels/").text
    assert 'href="?download=csv"' in html and 'href="?download=xlsx"' in html
    rows = read_csv(client.get("/officer/panels/", {"download": "csv"}))
    assert rows == [
        ["Date", "Meeting", "Fund", "Items", "Members"],
        ["2026-12-10", "December panel", fund_year.fund.name, "1", "1"],
    ]
    assert 'href="?download=xlsx"' in client.get(f"/officer/panels/{meeting.pk}/").text
    rows = read_csv(client.get(f"/officer/panels/{meeting.pk}/", {"download": "csv"}))
    assert rows[0][:3] == ["Item", "Reference", "Group"]
    assert rows[1][:3] == ["1", draft.reference, "Friends of Abbey Park"]
    assert PanelMeeting.objects.count() == 1


def test_an_auditor_downloads_what_they_may_read(client, auditor, bids):
    client.force_login(auditor)
    assert len(read_csv(client.get(URL, {"download": "csv"}))) == 6


# --- reminders ------------------------------------------------------------------------------


def test_the_workbench_says_which_reminders_were_sent_this_week(officer_client, monkeypatch):
    from applications import reminders

    seen = []

    def sent_counts(since):
        seen.append(since)
        return {"offers about to lapse": 3, "end-of-grant reports overdue": 2, "bank details": 0}

    monkeypatch.setattr(reminders, "sent_counts", sent_counts)
    html = officer_client.get(URL).text
    assert (
        "Reminders sent in the last 7 days: 3 offers about to lapse, 2 end-of-grant reports "
        "overdue." in html
    )
    assert seen == [timezone.localdate() - datetime.timedelta(days=7)]


def test_the_reminders_sent_are_counted_from_the_outbox(officer_client):
    from applications import reminders
    from fundmgr.notifications import notify

    for n in range(3):
        notify(
            to=[f"group{n}@example.org"],
            subject="Your offer ends soon",
            body="Accept it.",
            key=f"{reminders.OFFER_LAPSING}:CCIF26-00000{n}:7",
        )
    notify(
        to=["cllr@example.org", "cllr2@example.org"],
        subject="A bid waits for you",
        body="Support it.",
        key=f"{reminders.SUPPORT_WAITING}:CCIF26-000009",
    )
    text = re.sub(r"\s+", " ", officer_client.get(URL).text)
    assert (
        "Reminders sent in the last 7 days: 3 offers about to lapse, 2 bids waiting for "
        "councillor support." in text
    )


def test_no_reminders_sent_is_said_plainly(officer_client):
    assert "No reminders were sent in the last 7 days." in officer_client.get(URL).text
