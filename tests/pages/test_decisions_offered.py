"""An officer is offered only the decisions they may take (above the delegated limit: the way onto
a panel's agenda instead), and every refusal about one answer is shown at that answer as well as
in the error summary, in the second person, saying how to put it right."""

import datetime
import inspect
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from applications import services as s
from applications.models import Application
from applications.workflow import Status
from budgets import ledger
from budgets.models import FundYear, LedgerTransaction
from decisions import services as d
from decisions import views
from decisions.models import Decision, PanelItem
from fundmgr.errors import Refused
from tests import journeys
from tests.factories import (
    ApplicationFactory,
    FundFactory,
    FundYearFactory,
    OrganisationFactory,
    UserFactory,
)

D = Decimal
pytestmark = pytest.mark.django_db


# --- reading a page --------------------------------------------------------------------------


def summary_links(html: str) -> dict[str, str]:
    """The error summary's items: each message and the id it links to."""
    summary = html.split('govuk-error-summary__list">', 1)[1].split("</ul>", 1)[0]
    return {
        re.sub(r"\s+", " ", text).strip(): target
        for target, text in re.findall(r'<a href="#([^"]+)">(.*?)</a>', summary, re.S)
    }


def field_error(html: str, field_id: str) -> str:
    """The text of the GOV.UK error message shown at one field (crispy-forms-gds's element)."""
    html = html.replace('<span class="govuk-visually-hidden">Error:</span>', "")
    found = re.findall(
        rf'id="{field_id}_\d+_error" class="govuk-error-message">(.*?)</(?:p|span)>', html, re.S
    )
    assert found, f"no error message at {field_id}"
    text = re.sub(r"<[^>]+>", " ", " ".join(found))
    return re.sub(r"\s+", " ", text).strip()


def at_the_field_and_in_the_summary(html: str, field_id: str, message: str) -> None:
    assert message in field_error(html, field_id)
    links = summary_links(html)
    assert links.get(message) == field_id, links
    assert f'id="{field_id}"' in html  # the link goes somewhere


def step_link(app: Application, slug: str) -> str:
    return f'href="/officer/applications/{app.reference}/{slug}/"'


# --- a bid above the officer's delegated limit -----------------------------------------------


@pytest.fixture
def big_bid(db, treasurer, officer):
    """£18,000 asked of a Community Asset Fund paid from the central pot (no councillor support
    step), whose officers may decide up to £5,000: assessed by `officer`, waiting for a
    decision."""
    fy = FundYearFactory(
        fund=FundFactory(code="CAF", kind="community_asset", name="Community Asset Fund"),
        funded_from=FundYear.FundedFrom.CENTRAL_POT,
        councillor_support_required=False,
        allocation_per_councillor=D("0.00"),
        match_funding_share=D("0"),
        max_award=D("25000.00"),
        delegated_limit=D("5000.00"),
    )
    ledger.budget_set(fund_year=fy, total=D("100000.00"), by=None)
    group = OrganisationFactory(members=[treasurer], name="Kingsmoor Village Hall")
    app = ApplicationFactory(
        fund_year=fy,
        organisation=group,
        reference="CAF26-000018",
        amount_requested=D("18000.00"),
        total_cost=D("18000.00"),
        created_by=treasurer,
    )
    return journeys.awaiting_decision(app, treasurer=treasurer, officer=officer)


def meeting_for(fund, *, days: int, officer, members=None):
    members = members or [UserFactory(roles=["Panel member"]) for _ in range(2)]
    return d.panel_meeting_create(
        title=f"Asset panel in {days} days",
        fund=fund,
        date=timezone.localdate() + datetime.timedelta(days=days),
        quorum=1,
        members=members,
        by=officer,
    )


def test_above_the_limit_the_officer_is_offered_a_panel_agenda_not_a_decision(
    client, big_bid, officer, officer2
):
    fund = big_bid.fund_year.fund
    meeting_for(fund, days=-3, officer=officer)  # in the past: not the next one
    later = meeting_for(fund, days=40, officer=officer)
    soonest = meeting_for(fund, days=10, officer=officer)
    client.force_login(officer2)
    html = client.get(f"/officer/applications/{big_bid.reference}/").text
    assert "Decide under delegated authority" not in html
    assert step_link(big_bid, "decide") not in html
    assert "Add to a panel agenda" in html
    assert f'href="/officer/panels/{soonest.pk}/agenda/?application={big_bid.reference}"' in html
    assert f"/officer/panels/{later.pk}/agenda/" not in html
    assert "A grants panel decides it: it asks for more than the £5,000.00" in html


def test_with_no_panel_arranged_the_page_says_where_to_arrange_one(client, big_bid, officer2):
    client.force_login(officer2)
    html = client.get(f"/officer/applications/{big_bid.reference}/").text
    assert "Decide under delegated authority" not in html and "Add to a panel agenda" not in html
    assert "No panel meeting is arranged yet. Arrange one from" in html
    assert '<a class="govuk-link" href="/officer/panels/">Panels</a>' in html


def test_a_bid_on_a_coming_agenda_says_so_and_is_not_offered_again(
    client, big_bid, officer, officer2
):
    meeting = meeting_for(big_bid.fund_year.fund, days=10, officer=officer)
    d.panel_item_add(meeting=meeting, application=big_bid, by=officer)
    client.force_login(officer2)
    html = client.get(f"/officer/applications/{big_bid.reference}/").text
    assert "Add to a panel agenda" not in html
    assert "It is item 1 on the agenda of" in html
    assert f'href="/officer/panels/{meeting.pk}/"' in html


def test_the_agenda_page_comes_with_the_bid_ticked_and_adds_it(client, big_bid, officer):
    meeting = meeting_for(big_bid.fund_year.fund, days=10, officer=officer)
    client.force_login(officer)
    url = f"/officer/panels/{meeting.pk}/agenda/"
    html = client.get(f"{url}?application={big_bid.reference}").text
    box = re.search(rf'<input[^>]*value="{big_bid.pk}"[^>]*>', html).group(0)
    assert "checked" in box
    unticked = client.get(url).text
    assert "checked" not in re.search(rf'<input[^>]*value="{big_bid.pk}"[^>]*>', unticked).group(0)
    client.post(url, {"applications": [big_bid.pk]})
    assert PanelItem.objects.filter(meeting=meeting, application=big_bid).exists()


def test_going_straight_to_decide_above_the_limit_is_refused_before_the_form(
    client, big_bid, officer, officer2
):
    meeting = meeting_for(big_bid.fund_year.fund, days=10, officer=officer)
    client.force_login(officer2)
    url = f"/officer/applications/{big_bid.reference}/decide/"
    page = client.get(url)
    assert page.status_code == 200
    assert "govuk-error-summary" in page.text
    assert "a grants panel decides it" in page.text
    assert "more than the £5,000.00 you may decide from Community Asset Fund" in page.text
    assert 'name="outcome"' not in page.text and 'name="amount"' not in page.text
    # The refusal page offers the way on.
    assert f"/officer/panels/{meeting.pk}/agenda/?application={big_bid.reference}" in page.text
    postings = LedgerTransaction.objects.count()
    for outcome in ("approve", "reject", "defer"):
        refused = client.post(url, {"outcome": outcome, "amount": "4000", "reasons": "Mine"})
        assert refused.status_code == 200 and "a grants panel decides it" in refused.text
    big_bid.refresh_from_db()
    assert big_bid.status == Status.AWAITING_DECISION
    assert not Decision.objects.exists() and LedgerTransaction.objects.count() == postings


def test_the_service_refuses_with_the_rule_the_page_uses(big_bid, officer2):
    """The API and anything else that calls the service meets the same refusal, even for a
    smaller award or a rejection: above the limit a panel decides the bid."""
    reason = views.STEPS["decide"].rule(big_bid, officer2)
    assert reason and "a grants panel decides it" in reason
    for outcome, amount in (("approve", D("4000.00")), ("reject", None)):
        with pytest.raises(Refused) as refused:
            d.decision_record(
                application=big_bid, by=officer2, outcome=outcome, amount=amount, reasons="x"
            )
        assert refused.value.message == reason


def test_the_limit_raised_above_the_bid_offers_the_decision_again(client, big_bid, officer2):
    FundYear.objects.filter(pk=big_bid.fund_year_id).update(delegated_limit=D("20000.00"))
    client.force_login(officer2)
    html = client.get(f"/officer/applications/{big_bid.reference}/").text
    assert "Decide under delegated authority" in html and step_link(big_bid, "decide") in html
    assert "Add to a panel agenda" not in html and 'data-testid="panel-route"' not in html
    assert 'name="outcome"' in client.get(f"/officer/applications/{big_bid.reference}/decide/").text


# --- every step: offered where it may be taken, not where it would be refused ----------------


@pytest.fixture
def cast(draft, treasurer, officer, officer2, finance, shaw, okafor):
    """The conftest's people, and two more: a grants officer who is a member of the group (a
    conflict of interest) and an auditor (who reads every application and takes no step)."""
    insider = UserFactory(username="insider", roles=["Grants officer"])
    draft.organisation.members.add(insider)
    return {
        "app": draft,
        "treasurer": treasurer,
        "officer": officer,
        "officer2": officer2,
        "finance": finance,
        "shaw": shaw,
        "okafor": okafor,
        "insider": insider,
        "auditor": UserFactory(username="auditor", roles=["Auditor"]),
    }


def _journey(c, name):
    """Bring the bid to the state `name` through tests.journeys, with whoever that takes."""
    journey = getattr(journeys, name)
    people = {k: c[k] for k in inspect.signature(journey).parameters if k in c and k != "app"}
    return journey(c["app"], **people)


def _over_limit(c):
    _journey(c, "awaiting_decision")
    FundYear.objects.filter(pk=c["app"].fund_year_id).update(delegated_limit=D("400.00"))


def _lapsed_offer(c):
    _journey(c, "approved")
    Application.objects.filter(pk=c["app"].pk).update(
        offer_expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )


def _reported(c):
    _journey(c, "paid")
    s.monitoring_report_submit(
        application=c["app"],
        by=c["treasurer"],
        amount_spent=D("500.00"),
        outcomes="Done",
        people_reached=9,
    )


# For each step: how the bid gets to where the step waits, who may take it there, and who may
# not, with why (a conflict of interest, the role, the delegated limit).
SCENARIOS = {
    "eligibility": [(lambda c: _journey(c, "submitted"), "officer", "insider")],
    "assess": [(lambda c: _journey(c, "under_assessment"), "officer", "insider")],
    "decide": [
        (lambda c: _journey(c, "awaiting_decision"), "officer2", "officer"),  # the assessor
        (lambda c: _journey(c, "awaiting_decision"), "officer2", "insider"),
        (_over_limit, None, "officer2"),  # the limit: a panel decides it
    ],
    "return": [(lambda c: _journey(c, "awaiting_support"), "officer", "insider")],
    "close": [(_reported, "officer", "auditor")],
    "lapse": [(_lapsed_offer, "officer", "auditor")],
    "revoke": [(lambda c: _journey(c, "paid"), "officer", "auditor")],
    "withdraw": [(lambda c: _journey(c, "submitted"), "officer", "auditor")],
}


def test_every_step_has_a_case_where_it_is_refused():
    assert set(SCENARIOS) == set(views.STEPS)


@pytest.mark.parametrize(
    "slug,case",
    [(slug, i) for slug, cases in SCENARIOS.items() for i in range(len(cases))],
)
def test_a_step_is_offered_only_to_those_it_would_not_refuse(client, cast, slug, case):
    arrive, allowed, refused = SCENARIOS[slug][case]
    arrive(cast)
    app = cast["app"]
    app.refresh_from_db()
    step = views.STEPS[slug]
    if allowed is not None:
        client.force_login(cast[allowed])
        html = client.get(f"/officer/applications/{app.reference}/").text
        assert step_link(app, slug) in html, f"{slug} is not offered to {allowed}"
        assert (
            "govuk-error-summary"
            not in client.get(f"/officer/applications/{app.reference}/{slug}/").text
        )
    client.force_login(cast[refused])
    html = client.get(f"/officer/applications/{app.reference}/").text
    assert step_link(app, slug) not in html, f"{slug} is offered to {refused}"
    assert step.refusal(app, cast[refused])  # and the step says why
    page = client.get(f"/officer/applications/{app.reference}/{slug}/")
    if page.status_code == 200:  # a grants officer: told why, with no form to fill in
        assert "govuk-error-summary" in page.text
        assert step.refusal(app, cast[refused]) in page.text.replace("&#x27;", "'")
        assert "<textarea" not in page.text
    else:  # the role cannot open a step at all
        assert page.status_code == 403


# --- errors at the field, in the second person -----------------------------------------------


@pytest.fixture
def decided_by_officer2(client, draft, treasurer, officer, officer2, shaw, okafor):
    """A £500 bid waiting for a decision, the second officer signed in."""
    FundYear.objects.filter(pk=draft.fund_year_id).update(max_award=D("1500.00"))
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    client.force_login(officer2)
    return draft


def test_an_award_above_the_amount_asked_is_refused_at_the_amount(client, decided_by_officer2):
    app = decided_by_officer2
    response = client.post(
        f"/officer/applications/{app.reference}/decide/",
        {"outcome": "approve", "amount": "501.00", "reasons": "Good value."},
    )
    assert response.status_code == 200
    at_the_field_and_in_the_summary(
        response.text,
        "id_amount",
        "You cannot award more than the £500.00 asked for. Enter £500.00 or less",
    )
    assert 'value="501.00"' in response.text  # what was typed is kept
    app.refresh_from_db()
    assert app.status == Status.AWAITING_DECISION and not Decision.objects.exists()


def test_an_award_above_what_councillors_pledged_is_refused_at_the_amount(
    client, decided_by_officer2, okafor
):
    app = decided_by_officer2
    app.pledges.filter(councillor=okafor).update(amount=D("100.00"))  # £400 pledged of £500
    response = client.post(
        f"/officer/applications/{app.reference}/decide/",
        {"outcome": "approve", "amount": "500.00", "reasons": "Good value."},
    )
    at_the_field_and_in_the_summary(
        response.text,
        "id_amount",
        "Councillors have pledged £400.00; an award of £500.00 needs £100.00 more. "
        "Enter £400.00 or less",
    )


def test_a_recommendation_above_the_amount_asked_is_refused_at_the_amount(
    client, draft, treasurer, officer, shaw, okafor
):
    journeys.under_assessment(draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor)
    client.force_login(officer)
    response = client.post(
        f"/officer/applications/{draft.reference}/assess/",
        {"recommendation": "approve", "recommended_amount": "900", "notes": "Good."},
    )
    at_the_field_and_in_the_summary(
        response.text,
        "id_recommended_amount",
        "You cannot recommend more than the £500.00 asked for. Enter £500.00 or less",
    )
    draft.refresh_from_db()
    assert draft.status == Status.UNDER_ASSESSMENT


def test_the_eligibility_and_note_steps_say_what_is_missing_at_the_box(
    client, draft, treasurer, officer
):
    journeys.submitted(draft, treasurer=treasurer)
    client.force_login(officer)
    response = client.post(
        f"/officer/applications/{draft.reference}/eligibility/",
        {"outcome": "mark_ineligible", "note": ""},
    )
    at_the_field_and_in_the_summary(
        response.text, "id_note", "Say why the application is not eligible"
    )
    response = client.post(f"/officer/applications/{draft.reference}/withdraw/", {"note": " "})
    at_the_field_and_in_the_summary(
        response.text, "id_note", "Say why the application is withdrawn"
    )


def test_a_refusal_about_a_step_note_lands_on_the_note(rf, draft, officer):
    """A service's refusal about its `reason` is shown at the page's note box."""
    from decisions.forms import NOTE_STEPS, NoteForm
    from fundmgr.errors import InvalidInput
    from fundmgr.forms import add_refusal

    form = NoteForm({"note": "x"}, **NOTE_STEPS["withdraw"])
    assert form.is_valid()
    add_refusal(form, InvalidInput("Say why", field="reason"), fields=views.STEP_FIELDS)
    assert form.errors == {"note": ["Say why"]}
    other = NoteForm({"note": "x"}, **NOTE_STEPS["withdraw"])
    other.is_valid()
    add_refusal(other, InvalidInput("Nothing to do with a box", field="nowhere"))
    assert other.non_field_errors() == ["Nothing to do with a box"]


def test_a_panel_of_too_high_a_quorum_is_told_at_the_quorum(client, officer, fund_year):
    members = [UserFactory(roles=["Panel member"]) for _ in range(2)]
    client.force_login(officer)
    response = client.post(
        "/officer/panels/new/",
        {
            "title": "CCIF panel",
            "fund": fund_year.fund.pk,
            "date_0": "17",
            "date_1": "3",
            "date_2": "2027",
            "quorum": "5",
            "members": [m.pk for m in members],
        },
    )
    at_the_field_and_in_the_summary(
        response.text,
        "id_quorum",
        "The quorum must be between 1 and the 2 members you chose. Enter a number from 1 to 2",
    )


def test_the_panel_award_above_the_amount_asked_is_refused_at_the_amount(
    client, draft, treasurer, officer, shaw, okafor
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    member = UserFactory(roles=["Panel member"])
    meeting = meeting_for(draft.fund_year.fund, days=0, officer=officer, members=[member])
    d.panel_item_add(meeting=meeting, application=draft, by=officer)
    d.attendance_record(meeting=meeting, attended=[member], by=officer)
    client.force_login(member)
    response = client.post(
        f"/officer/panels/{meeting.pk}/items/1/",
        {"outcome": "approve", "amount": "600.00", "reasons": "Good value."},
    )
    assert response.status_code == 200
    at_the_field_and_in_the_summary(
        response.text,
        "id_amount",
        "You cannot award more than the £500.00 asked for. Enter £500.00 or less",
    )
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_DECISION
