# ruff: noqa: F811 (pytest fixtures are imported, then named as arguments)
"""The decisions side of the API: assessments, decisions and grants panels, each seen and
taken by whom the pages allow. A meeting or application a person may not see is 404; one they
may see but not act on is 403; what the rules refuse now is 409."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from applications import services as s
from applications.models import Application
from decisions import services as d
from decisions.models import Assessment, Decision, PanelItem, PanelMeeting
from tests import journeys
from tests.api_fixtures import (  # noqa: F401 (other_group and people are fixtures)
    API,
    PROBLEM,
    ROLES,
    client_for,
    many,
    other_group,
    people,
    queries,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def row(*codes: int) -> dict[str, int]:
    assert len(codes) == len(ROLES)
    return dict(zip(ROLES, codes, strict=True))


@pytest.fixture
def assessed(draft, treasurer, officer2, shaw, okafor):
    """Waiting for a decision: supported with £500 and assessed by a second officer, so the
    first (the matrix's grants officer) may decide it."""
    return journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer2, shaw=shaw, okafor=okafor
    )


@pytest.fixture
def decided(assessed, officer):
    d.decision_record(
        application=assessed, by=officer, outcome="approve", amount=D("500.00"), reasons="Good."
    )
    return Decision.objects.get(application=assessed)


@pytest.fixture
def meeting(people, fund_year, officer):
    """A panel of three the matrix's panel member sits on, and two others."""
    members = [people["panel member"], *(UserFactory(roles=["Panel member"]) for _ in range(2))]
    return d.panel_meeting_create(
        title="CCIF panel",
        fund=fund_year.fund,
        date=datetime.date(2027, 3, 17),
        quorum=2,
        members=members,
        by=officer,
    )


# --- decisions and assessments --------------------------------------------------------------

#                         anon applicant other ward-cllr other-cllr officer finance auditor panel
READ_DECISION = row(401, 200, 404, 200, 404, 200, 200, 200, 404)
# Who may decide is checked before the body is read: nobody else learns which applications
# exist or what the body must hold.
DECIDE = row(401, 403, 403, 403, 403, 201, 403, 403, 403)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_a_decision(role, people, decided):
    client = client_for(people[role])
    response = client.get(f"{API}/decisions/{decided.pk}/")
    assert response.status_code == READ_DECISION[role]
    listed = client.get(f"{API}/decisions/")
    if people[role] is not None:
        ids = [x["id"] for x in listed.json()["results"]]
        assert (decided.pk in ids) == (READ_DECISION[role] == 200)
    if response.status_code == 200:
        body = response.json()
        assert body["outcome"] == "approve" and body["amount_awarded"] == "500.00"
        assert body["authority"] == "delegated" and body["panel_meeting"] is None


@pytest.mark.parametrize("role", ROLES)
def test_who_may_decide_under_delegated_authority(role, people, assessed):
    """Only a grants officer decides under delegated authority; anyone else is refused before
    the body is read."""
    response = client_for(people[role]).post(
        f"{API}/decisions/",
        {"application": assessed.pk, "outcome": "reject", "reasons": "Poor value."},
    )
    assert response.status_code == DECIDE[role], response.content
    assessed.refresh_from_db()
    assert (assessed.status == "rejected") == (DECIDE[role] == 201)


def test_decisions_filter_by_application_without_telling_what_exists(people, decided, other_group):
    client = client_for(people["applicant"])
    mine = client.get(f"{API}/decisions/?application={decided.application_id}&outcome=approve")
    assert [x["id"] for x in mine.json()["results"]] == [decided.pk]
    theirs = client.get(f"{API}/decisions/?application={other_group[2].pk}")
    nowhere = client.get(f"{API}/decisions/?application=987654")
    assert theirs.status_code == nowhere.status_code == 200
    assert theirs.json()["results"] == nowhere.json()["results"] == []
    assert client.get(f"{API}/decisions/?outcome=maybe").status_code == 400
    officer = client_for(people["grants officer"])
    assert officer.get(f"{API}/assessments/?application=abc").status_code == 400


def test_the_assessor_may_not_decide_and_is_told_why(assessed, officer2):
    response = client_for(officer2).post(
        f"{API}/decisions/",
        {"application": assessed.pk, "outcome": "approve", "amount": "500", "reasons": "Good"},
    )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "You assessed this application, so someone else must decide it."
    )


def test_a_decision_is_deferred_or_needs_an_amount(people, assessed):
    client = client_for(people["grants officer"])
    no_amount = client.post(
        f"{API}/decisions/", {"application": assessed.pk, "outcome": "approve", "reasons": "x"}
    )
    assert no_amount.status_code == 400
    assert no_amount.json()["errors"] == {"amount": ["Enter the amount awarded, like 500.00"]}
    deferred = client.post(
        f"{API}/decisions/",
        {"application": assessed.pk, "outcome": "defer", "reasons": "More quotes, please."},
    )
    assert deferred.status_code == 201 and deferred.json()["outcome"] == "defer"
    assessed.refresh_from_db()
    assert assessed.status == "awaiting_decision"


def test_an_officer_records_an_assessment(people, draft, treasurer, officer, shaw, okafor):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    journeys.supported(draft, shaw=shaw, okafor=okafor)
    client = client_for(people["grants officer"])
    response = client.post(
        f"{API}/assessments/",
        {
            "application": draft.pk,
            "recommendation": "approve",
            "notes": "Good.",
            "recommended_amount": "450.00",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["recommended_amount"] == "450.00"
    draft.refresh_from_db()
    assert draft.status == "awaiting_decision"
    listed = client.get(f"{API}/assessments/").json()["results"]
    assert [a["application"] for a in listed] == [draft.pk]
    # The assessment is the officers' advice: the group does not read it, nor does finance.
    for role in ("applicant", "finance officer"):
        refused = client_for(people[role]).get(f"{API}/assessments/")
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            "Only grants officers, panel members and auditors can read assessments."
        )
    again = client.post(
        f"{API}/assessments/",
        {"application": draft.pk, "recommendation": "reject", "notes": "Changed my mind."},
    )
    assert again.status_code == 409
    assert "it cannot be sent for a decision now" in again.json()["detail"]


# --- panels ---------------------------------------------------------------------------------

# Panels are for grants officers, panel members and auditors: anyone else is refused by role
# (403, the same for every meeting), before any meeting is looked up.
#                         anon applicant other ward-cllr other-cllr officer finance auditor panel
READ_MEETING = row(401, 403, 403, 403, 403, 200, 403, 200, 200)
ARRANGE = row(401, 403, 403, 403, 403, 201, 403, 403, 403)
ADD_ITEM = row(401, 403, 403, 403, 403, 201, 403, 403, 403)
REGISTER = row(401, 403, 403, 403, 403, 200, 403, 403, 200)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_a_panel_meeting(role, people, meeting):
    client = client_for(people[role])
    response = client.get(f"{API}/panel-meetings/{meeting.pk}/")
    assert response.status_code == READ_MEETING[role]
    if READ_MEETING[role] in (200, 404):
        listed = [m["id"] for m in client.get(f"{API}/panel-meetings/").json()["results"]]
        assert (meeting.pk in listed) == (READ_MEETING[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_arrange_a_panel_meeting(role, people, fund_year):
    response = client_for(people[role]).post(
        f"{API}/panel-meetings/",
        {
            "title": "March panel",
            "fund": fund_year.fund_id,
            "date": "2027-03-17",
            "quorum": 1,
            "members": [people["panel member"].pk],
        },
        format="json",
    )
    assert response.status_code == ARRANGE[role], response.content
    assert PanelMeeting.objects.exists() == (ARRANGE[role] == 201)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_set_a_panels_agenda(role, people, meeting, assessed):
    response = client_for(people[role]).post(
        f"{API}/panel-meetings/{meeting.pk}/items/", {"application": assessed.pk}
    )
    assert response.status_code == ADD_ITEM[role], response.content
    assert meeting.items.exists() == (ADD_ITEM[role] == 201)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_take_the_register(role, people, meeting):
    response = client_for(people[role]).post(
        f"{API}/panel-meetings/{meeting.pk}/attendance/",
        {"attended": [people["panel member"].pk]},
        format="json",
    )
    assert response.status_code == REGISTER[role], response.content
    taken = meeting.panelmembership_set.filter(attended__isnull=False).exists()
    assert taken == (REGISTER[role] == 200)


def test_a_panel_from_agenda_to_a_recorded_approval(people, meeting, assessed, officer):
    officer_client = client_for(officer)
    panellist = client_for(people["panel member"])
    # Before it is on the agenda, the panel member may not see the application.
    assert panellist.get(f"{API}/applications/{assessed.pk}/").status_code == 404
    added = officer_client.post(
        f"{API}/panel-meetings/{meeting.pk}/items/", {"application": assessed.pk}
    )
    assert added.status_code == 201 and added.json()["position"] == 1
    assert panellist.get(f"{API}/applications/{assessed.pk}/").status_code == 200
    twice = officer_client.post(
        f"{API}/panel-meetings/{meeting.pk}/items/", {"application": assessed.pk}
    )
    assert twice.status_code == 409
    assert twice.json()["detail"] == f"{assessed.reference} is on this meeting's agenda already."
    url = f"{API}/panel-meetings/{meeting.pk}/items/1/decision/"
    body = {"outcome": "approve", "amount": "500.00", "reasons": "Good value.", "conditions": ""}
    not_yet = panellist.post(url, body)
    assert not_yet.status_code == 403
    assert not_yet.json()["detail"] == (
        "Only a panel member who attended the meeting can record its decision."
    )
    members = [seat.user_id for seat in meeting.panelmembership_set.all()]
    register = panellist.post(
        f"{API}/panel-meetings/{meeting.pk}/attendance/", {"attended": members[:1]}, format="json"
    )
    assert register.status_code == 200
    assert [seat["attended"] for seat in register.json()["seats"]] == [True, False, False]
    inquorate = panellist.post(url, body)
    assert inquorate.status_code == 409
    assert "not quorate" in inquorate.json()["detail"]
    panellist.post(
        f"{API}/panel-meetings/{meeting.pk}/attendance/", {"attended": members}, format="json"
    )
    decided = panellist.post(url, body)
    assert decided.status_code == 201, decided.content
    assert decided.json()["authority"] == "panel" and decided.json()["panel_meeting"] == meeting.pk
    assessed.refresh_from_db()
    assert assessed.status == "approved" and assessed.amount_awarded == D("500.00")
    detail = panellist.get(f"{API}/panel-meetings/{meeting.pk}/").json()
    assert detail["items"][0]["decisions"][0]["outcome"] == "approve"
    again = panellist.post(url, body)
    assert again.status_code == 409


def test_a_register_naming_strangers_is_refused(people, meeting):
    response = client_for(people["grants officer"]).post(
        f"{API}/panel-meetings/{meeting.pk}/attendance/",
        {"attended": [people["applicant"].pk, 987654]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Only members of the panel can be recorded as attending."


def test_bad_panel_addresses_are_404_problems(people, meeting):
    client = client_for(people["grants officer"])
    for url in (
        f"{API}/panel-meetings/abc/",
        f"{API}/panel-meetings/99999999999999999999999/",
        f"{API}/decisions/99999999999999999999999/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == PROBLEM
    huge = client.post(
        f"{API}/panel-meetings/{meeting.pk}/items/99999999999999999999/decision/",
        {"outcome": "reject", "reasons": "x"},
    )
    assert huge.status_code == 404
    bad_body = client.post(
        f"{API}/panel-meetings/",
        {"title": "x", "fund": 99999999999999999999, "date": "soon", "quorum": "many"},
        format="json",
    )
    assert bad_body.status_code == 400
    assert set(bad_body.json()["errors"]) == {"fund", "date", "quorum", "members"}


# --- lists make a fixed number of queries ---------------------------------------------------


def _decisions_for(n: int, *, like: Application, prefix: str, by) -> None:
    many(n, like=like, prefix=prefix, status="rejected")
    apps = Application.objects.filter(reference__startswith=prefix)
    Decision.objects.bulk_create(
        Decision(
            application=a, outcome="reject", reasons="No.", authority="delegated", decided_by=by
        )
        for a in apps
    )
    Assessment.objects.bulk_create(
        Assessment(application=a, assessor=by, recommendation="reject", notes="No.") for a in apps
    )


@pytest.mark.parametrize("role", ["grants officer", "panel member"])
def test_decision_and_assessment_lists_make_as_many_queries_for_1000_rows_as_for_10(
    role, people, draft, officer
):
    client = client_for(people[role])
    _decisions_for(10, like=draft, prefix="FEW", by=officer)
    few = [queries(client, f"{API}/{what}/?page_size=500") for what in ("decisions", "assessments")]
    _decisions_for(990, like=draft, prefix="MANY", by=officer)
    # Making 990 may take past a minute on a busy machine: the session's once-a-minute write
    # of its last request falls on this request, not on those counted.
    queries(client, f"{API}/decisions/?page_size=1")
    many_ = [
        queries(client, f"{API}/{what}/?page_size=500") for what in ("decisions", "assessments")
    ]
    assert many_ == few


def test_the_panel_list_makes_a_fixed_number_of_queries(people, fund_year, officer, meeting):
    client = client_for(people["auditor"])
    few = queries(client, f"{API}/panel-meetings/")
    PanelMeeting.objects.bulk_create(
        PanelMeeting(
            title=f"Panel {i}",
            fund=fund_year.fund,
            date=timezone.localdate(),
            created_by=officer,
        )
        for i in range(60)
    )
    assert queries(client, f"{API}/panel-meetings/") == few


def _agenda(meeting, n: int, *, like: Application, prefix: str, by) -> None:
    """`n` more items on the meeting's agenda, each with a deferral."""
    many(n, like=like, prefix=prefix, status="awaiting_decision")
    apps = list(Application.objects.filter(reference__startswith=prefix).order_by("pk"))
    start = meeting.items.count()
    items = PanelItem.objects.bulk_create(
        PanelItem(meeting=meeting, application=a, position=start + i + 1)
        for i, a in enumerate(apps)
    )
    Decision.objects.bulk_create(
        Decision(
            application=item.application,
            outcome="defer",
            reasons="More quotes.",
            authority="panel",
            panel_item=item,
            decided_by=by,
        )
        for item in items
    )


def test_a_meeting_reads_in_a_fixed_number_of_queries_however_long_its_agenda(
    people, draft, meeting, officer
):
    client = client_for(people["panel member"])
    url = f"{API}/panel-meetings/{meeting.pk}/"
    _agenda(meeting, 2, like=draft, prefix="FEW", by=officer)
    few = queries(client, url)
    _agenda(meeting, 60, like=draft, prefix="MANY", by=officer)
    assert queries(client, url) == few
    items = client.get(url).json()["items"]
    assert len(items) == 62 and items[-1]["decisions"][0]["outcome"] == "defer"


def test_a_refused_decision_leaves_the_application_as_it_was(people, assessed):
    s.application_withdraw(application=assessed, by=people["applicant"], reason="Changed plans")
    response = client_for(people["grants officer"]).post(
        f"{API}/decisions/",
        {"application": assessed.pk, "outcome": "approve", "amount": "500", "reasons": "Good"},
    )
    assert response.status_code == 409
    assert "not waiting for a decision" in response.json()["detail"]
    assert not Decision.objects.filter(application=assessed).exists()


def test_above_the_delegated_limit_the_api_offers_and_takes_no_officer_decision(assessed, officer):
    """The same rule as the officer's page: a bid asking for more than the fund's delegated
    limit is not offered for approval or rejection, and is refused (409) if tried."""
    from budgets.models import FundYear

    FundYear.objects.filter(pk=assessed.fund_year_id).update(delegated_limit=D("400.00"))
    api = client_for(officer)
    url = f"{API}/applications/{assessed.pk}"
    names = [t["name"] for t in api.get(f"{url}/transitions/").json()]
    assert "approve" not in names and "reject" not in names
    refused = api.post(f"{url}/reject/", {"reasons": "Not value for money."})
    assert refused.status_code == 409
    assert "a grants panel decides it" in refused.json()["detail"]
    FundYear.objects.filter(pk=assessed.fund_year_id).update(delegated_limit=D("500.00"))
    names = [t["name"] for t in api.get(f"{url}/transitions/").json()]
    assert "approve" in names and "reject" in names
