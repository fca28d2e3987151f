"""The grants officer's pages: the workbench, an application's file and its steps, and panels."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications import organisations, support
from applications import services as s
from applications.models import Application, TransitionLog
from applications.workflow import Status
from budgets import ledger
from budgets.models import FundYear, LedgerTransaction
from decisions import services as d
from decisions.models import Decision, PanelItem, PanelMeeting
from decisions.templatetags.status import status_tag, status_words
from tests import journeys
from tests.factories import (
    ApplicationFactory,
    FundFactory,
    FundYearFactory,
    OrganisationFactory,
    UserFactory,
    WardFactory,
)

D = Decimal
pytestmark = pytest.mark.django_db


# --- building applications ------------------------------------------------------------------


def many(n, *, fund_year, organisation, ward, status=Status.SUBMITTED, prefix="BULK", amount="500"):
    """`n` applications written in bulk, as quick as the database allows."""
    now = timezone.now()
    apps = Application.objects.bulk_create(
        Application(
            fund_year=fund_year,
            organisation=organisation,
            reference=f"{prefix}-{i:06d}",
            status=status,
            title=f"Project {i}",
            amount_requested=D(amount),
            total_cost=D(amount),
            created_by=organisation.members.first() or UserFactory(),
            submitted_at=now,
        )
        for i in range(n)
    )
    Through = Application.wards.through
    Through.objects.bulk_create(Through(application=a, ward=ward) for a in apps)
    return apps


def count_queries(client, url):
    # A page as it is asked for again: the first request after signing in also writes the
    # time of the request into the session (fundmgr.sign_in.StaffIdleSignOut).
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def central(db):
    """A Community Asset Fund year paid from the central pot, with no councillor support step."""
    fy = FundYearFactory(
        fund=FundFactory(code="CAF", kind="community_asset", name="Community Asset Fund"),
        funded_from=FundYear.FundedFrom.CENTRAL_POT,
        councillor_support_required=False,
        allocation_per_councillor=D("0.00"),
        max_award=D("10000.00"),
        delegated_limit=D("2000.00"),
    )
    ledger.budget_set(fund_year=fy, total=D("1000.00"), by=None)
    return fy


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


# --- the workbench --------------------------------------------------------------------------


def test_the_workbench_counts_what_waits_in_each_queue(officer_client, draft, fund_year, ward):
    group = draft.organisation
    many(3, fund_year=fund_year, organisation=group, ward=ward, prefix="SUB")
    many(
        2,
        fund_year=fund_year,
        organisation=group,
        ward=ward,
        prefix="DEC",
        status=Status.AWAITING_DECISION,
    )
    many(4, fund_year=fund_year, organisation=group, ward=ward, prefix="CLO", status=Status.CLOSED)
    page = officer_client.get("/officer/")
    html = page.text
    assert page.status_code == 200
    assert 'data-testid="queue-submitted"' in html
    queues = page.context["officer_queues"]
    assert [(q.status, q.count) for q in queues][:3] == [
        ("submitted", 3),
        ("under_assessment", 0),
        ("awaiting_decision", 2),
    ]
    others = {q.status: q.count for q in page.context["other_queues"]}
    assert others["closed"] == 4 and others["draft"] == 1
    # The list: what waits first (submitted before awaiting decision before closed), no drafts.
    refs = [a.reference for a in page.context["page"].object_list]
    assert refs[:3] == ["SUB-000000", "SUB-000001", "SUB-000002"]
    assert refs.index("DEC-000000") < refs.index("CLO-000000")
    assert draft.reference not in refs


def test_a_queue_link_filters_the_list_by_state(officer_client, draft, fund_year, ward):
    many(3, fund_year=fund_year, organisation=draft.organisation, ward=ward, prefix="SUB")
    many(
        2,
        fund_year=fund_year,
        organisation=draft.organisation,
        ward=ward,
        prefix="DEC",
        status=Status.AWAITING_DECISION,
    )
    html = officer_client.get("/officer/").text
    assert 'href="?state=awaiting_decision"' in html
    page = officer_client.get("/officer/?state=awaiting_decision")
    assert [a.reference for a in page.context["page"].object_list] == ["DEC-000000", "DEC-000001"]
    assert "Waiting for a decision" in page.text


def test_filters_narrow_the_list_by_fund_year_ward_and_amount(
    officer_client, draft, fund_year, ward, central
):
    other_ward = WardFactory(name="Brookfield")
    group = draft.organisation
    many(2, fund_year=fund_year, organisation=group, ward=ward, prefix="CHEAP", amount="100")
    many(2, fund_year=fund_year, organisation=group, ward=other_ward, prefix="BROOK")
    many(1, fund_year=central, organisation=group, ward=ward, prefix="CAF", amount="4000")

    def refs(query):
        page = officer_client.get(f"/officer/?{query}")
        assert page.status_code == 200
        return sorted(a.reference for a in page.context["page"].object_list)

    assert refs(f"fund={central.fund.pk}") == ["CAF-000000"]
    assert refs(f"ward={other_ward.pk}") == ["BROOK-000000", "BROOK-000001"]
    assert refs("amount_to=200") == ["CHEAP-000000", "CHEAP-000001"]
    assert refs("amount_from=1000&amount_to=5000") == ["CAF-000000"]
    assert refs(f"year={fund_year.year.pk}&ward={ward.pk}&amount_from=50&amount_to=150") == [
        "CHEAP-000000",
        "CHEAP-000001",
    ]
    assert refs("state=draft") == [draft.reference]
    # The queue counts follow the filters other than the state.
    page = officer_client.get(f"/officer/?ward={other_ward.pk}&state=closed")
    assert page.context["officer_queues"][0].count == 2


def test_search_finds_a_reference_or_an_organisation(officer_client, draft, fund_year, ward):
    many(3, fund_year=fund_year, organisation=draft.organisation, ward=ward, prefix="SUB")
    other = OrganisationFactory(name="Kingsmoor Rugby Club", ward=ward)
    many(1, fund_year=fund_year, organisation=other, ward=ward, prefix="RUG")

    def refs(q):
        return [a.reference for a in officer_client.get("/officer/", {"q": q}).context["page"]]

    assert refs("sub-000001") == ["SUB-000001"]
    assert refs("rugby") == ["RUG-000000"]
    assert refs("nothing like it") == []
    assert "No applications match" in officer_client.get("/officer/?q=nothing").text


def test_pages_of_fifty_keep_the_filters_in_their_links(officer_client, draft, fund_year, ward):
    many(120, fund_year=fund_year, organisation=draft.organisation, ward=ward, prefix="SUB")
    page = officer_client.get(f"/officer/?ward={ward.pk}&state=submitted")
    assert len(page.context["page"].object_list) == 50
    assert "1 to 50 of 120" in page.text
    assert f'href="?ward={ward.pk}&amp;state=submitted&amp;page=2"' in page.text
    second = officer_client.get(f"/officer/?ward={ward.pk}&state=submitted&page=3")
    assert len(second.context["page"].object_list) == 20
    assert f'href="?ward={ward.pk}&amp;state=submitted&amp;page=2"' in second.text  # previous


def test_a_filter_that_makes_no_sense_is_explained(officer_client, draft):
    page = officer_client.get("/officer/?amount_from=lots&amount_to=10")
    assert page.status_code == 200
    assert "govuk-error-summary" in page.text
    assert "Enter the smallest amount in pounds and pence, like 100.00" in page.text
    page = officer_client.get("/officer/?amount_from=500&amount_to=10")
    assert "The largest amount must be the same as or more than the smallest" in page.text


def test_the_workbench_makes_as_many_queries_for_1000_rows_as_for_10(
    officer_client, draft, fund_year, ward
):
    group = draft.organisation
    many(10, fund_year=fund_year, organisation=group, ward=ward, prefix="FEW")
    url = f"/officer/?ward={ward.pk}&q=e"
    few = count_queries(officer_client, "/officer/")
    few_filtered = count_queries(officer_client, url)
    second_ward = WardFactory()
    apps = many(1000, fund_year=fund_year, organisation=group, ward=ward, prefix="MANY")
    Through = Application.wards.through
    Through.objects.bulk_create(Through(application=a, ward=second_ward) for a in apps)
    assert count_queries(officer_client, "/officer/") == few
    assert count_queries(officer_client, url) == few_filtered
    assert count_queries(officer_client, "/officer/?page=7") == few


# --- an application's file ------------------------------------------------------------------


@pytest.fixture
def approved(draft, treasurer, officer, officer2, shaw, okafor, finance):
    """The draft, with bank details, a document and a declaration, approved by officer2."""
    organisations.bank_account_change(
        organisation=draft.organisation,
        by=treasurer,
        account_name="FRIENDS ABBEY PARK",
        sort_code="20-00-00",
        account_number="12345678",
    )
    s.attachment_add(
        application=draft,
        by=treasurer,
        description="Quote from Benchcraft",
        file=SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote", content_type="application/pdf"),
    )
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    support.interest_declare(
        application=draft, by=officer2, kind="non_registrable", details="I walk in Abbey Park."
    )
    d.decision_record(
        application=draft,
        by=officer2,
        outcome="approve",
        amount=D("500.00"),
        reasons="Good value.",
        conditions="Credit the council on the benches\nKeep receipts for six years",
    )
    draft.refresh_from_db()
    return draft


def test_the_application_page_shows_the_whole_file(officer_client, approved):
    html = officer_client.get(f"/officer/applications/{approved.reference}/").text
    # Summary: the group, masked bank details and their status, the money.
    assert "Friends of Abbey Park" in html and "Constituted community group" in html
    assert "20-**-** ****5678" in html and "12345678" not in html
    assert "Waiting for verification" in html
    assert "£500.00" in html
    # Documents, pledges with statements, the declaration.
    assert "Quote from Benchcraft" in html and "/files/attachments/" in html
    assert "/media/" not in html  # uploads are never public files
    assert "Cllr Sam Shaw" in html and "Much needed" in html and "£300.00" in html
    assert "I walk in Abbey Park." in html and "Non-registrable interest" in html
    # The assessment and the decision with its conditions and notice.
    assert "Meets every criterion." in html
    assert "Officer under delegated authority" in html
    assert "Keep receipts for six years" in html
    assert "Decision notice: " + approved.reference in html
    # The full history and the ledger postings for the reference.
    assert 'Submitted <span aria-hidden="true">→</span>' in html
    assert "Recommended: approve, £500.00" in html
    assert "Offer made" in html
    assert "Cllr Sam Shaw allocation" in html and f"Commitment {approved.reference}" in html
    assert "-£300.00" in html


def test_the_application_page_makes_a_fixed_number_of_queries(
    officer_client, approved, fund_year, shaw, officer
):
    url = f"/officer/applications/{approved.reference}/"
    few = count_queries(officer_client, url)
    for i in range(5):
        TransitionLog.objects.create(
            application=approved, transition="approve", from_state="x", to_state="y", note=f"{i}"
        )
        s.attachment_add(
            application=approved,
            by=officer,  # once it is sent, an officer adds what the group sends in
            description=f"Photo {i}",
            file=SimpleUploadedFile(f"p{i}.png", b"\x89PNG\r\n\x1a\n", content_type="image/png"),
        )
    assert count_queries(officer_client, url) == few


def test_an_unknown_reference_is_not_found(officer_client, db):
    assert officer_client.get("/officer/applications/NOPE-000001/").status_code == 404


# --- steps: eligibility ---------------------------------------------------------------------


def test_an_officer_marks_a_submitted_bid_eligible(officer_client, draft, treasurer):
    s.application_submit(application=draft, by=treasurer)
    html = officer_client.get(f"/officer/applications/{draft.reference}/").text
    assert "Check eligibility" in html and "Assess the application" not in html
    url = f"/officer/applications/{draft.reference}/eligibility/"
    response = officer_client.post(
        url, {"outcome": "mark_eligible", "note": "Eligible group."}, follow=True
    )
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_SUPPORT
    assert "marked eligible. It is now: waiting for councillor support." in response.text
    assert draft.transitions.last().note == "Eligible group."


def test_not_eligible_needs_a_reason_and_changes_nothing_without_one(
    officer_client, draft, treasurer
):
    s.application_submit(application=draft, by=treasurer)
    url = f"/officer/applications/{draft.reference}/eligibility/"
    response = officer_client.post(url, {"outcome": "mark_ineligible", "note": " "})
    assert response.status_code == 200
    assert "govuk-error-summary" in response.text
    assert "Say why the application is not eligible" in response.text
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    officer_client.post(url, {"outcome": "mark_ineligible", "note": "A company for profit."})
    draft.refresh_from_db()
    assert draft.status == Status.INELIGIBLE


def test_returning_a_bid_asks_the_group_for_what_is_needed(officer_client, draft, treasurer):
    s.application_submit(application=draft, by=treasurer)
    url = f"/officer/applications/{draft.reference}/eligibility/"
    officer_client.post(url, {"outcome": "return_to_applicant", "note": "Add a second quote."})
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.transitions.last().note == "Add a second quote."


def test_an_application_being_assessed_can_be_returned_to_the_group(
    officer_client, draft, treasurer, officer, shaw, okafor
):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    journeys.supported(draft, shaw=shaw, okafor=okafor)
    url = f"/officer/applications/{draft.reference}/return/"
    assert "govuk-error-summary" in officer_client.post(url, {"note": ""}).text
    response = officer_client.post(url, {"note": "The dates do not add up."}, follow=True)
    assert "returned to the group. It is now: draft." in response.text
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_the_eligibility_step_is_refused_once_the_bid_has_moved_on(
    officer_client, draft, treasurer, officer
):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    response = officer_client.get(f"/officer/applications/{draft.reference}/eligibility/")
    assert "There is a problem" in response.text
    assert "is waiting for councillor support: it is not waiting for this step" in response.text
    assert 'name="outcome"' not in response.text


# --- steps: assessment and decision -----------------------------------------------------------


def test_an_officer_assesses_and_sends_for_a_decision(
    officer_client, draft, treasurer, officer, shaw, okafor
):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    journeys.supported(draft, shaw=shaw, okafor=okafor)
    url = f"/officer/applications/{draft.reference}/assess/"
    page = officer_client.get(url)
    assert 'value="500.00"' in page.text  # the amount asked for, to start from
    missing = officer_client.post(url, {"recommendation": "approve", "recommended_amount": ""})
    assert "Enter the amount to award, like 500.00" in missing.text
    assert "Enter your assessment" in missing.text
    officer_client.post(
        url, {"recommendation": "approve", "recommended_amount": "450", "notes": "Good."}
    )
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_DECISION
    assert draft.assessments.get().recommended_amount == D("450.00")


def test_a_second_officer_approves_under_delegated_authority(
    client, draft, treasurer, officer, officer2, shaw, okafor
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    client.force_login(officer2)
    html = client.get(f"/officer/applications/{draft.reference}/").text
    assert "Decide under delegated authority" in html
    response = client.post(
        f"/officer/applications/{draft.reference}/decide/",
        {
            "outcome": "approve",
            "amount": "500.00",
            "conditions": "Credit the council",
            "reasons": "Good value.",
        },
        follow=True,
    )
    draft.refresh_from_db()
    assert draft.status == Status.APPROVED and draft.amount_awarded == D("500.00")
    assert f"{draft.reference} approved. It is now: offer made." in response.text
    decision = Decision.objects.get()
    assert decision.decided_by == officer2 and decision.condition_list == ["Credit the council"]


def test_the_assessor_is_offered_no_decision_and_is_told_why(
    officer_client, draft, treasurer, officer, shaw, okafor
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    html = officer_client.get(f"/officer/applications/{draft.reference}/").text
    assert "Decide under delegated authority" not in html
    assert "You assessed this application, so someone else must decide it." in html
    url = f"/officer/applications/{draft.reference}/decide/"
    page = officer_client.get(url).text
    assert "govuk-error-summary" in page
    assert "You assessed this application, so someone else must decide it." in page
    assert 'name="outcome"' not in page
    postings = LedgerTransaction.objects.count()
    refused = officer_client.post(url, {"outcome": "approve", "amount": "500", "reasons": "Mine"})
    assert refused.status_code == 200
    assert "You assessed this application, so someone else must decide it." in refused.text
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_DECISION
    assert not Decision.objects.exists() and LedgerTransaction.objects.count() == postings


def test_an_award_the_budget_cannot_pay_is_refused(client, central, officer, officer2):
    group = OrganisationFactory(members=[UserFactory(roles=["Applicant"])])
    app = ApplicationFactory(
        fund_year=central,
        organisation=group,
        reference="CAF26-000001",
        amount_requested=D("1500.00"),
        total_cost=D("1500.00"),
    )
    s.application_submit(application=app, by=group.members.first())
    s.application_mark_eligible(application=app, by=officer)
    d.assessment_record(
        application=app,
        by=officer,
        recommendation="approve",
        recommended_amount=D("1500.00"),
        notes="Worth it.",
    )
    client.force_login(officer2)
    response = client.post(
        f"/officer/applications/{app.reference}/decide/",
        {"outcome": "approve", "amount": "1500.00", "reasons": "Worth it."},
    )
    assert "govuk-error-summary" in response.text
    assert "£1,000.00" in response.text  # what the pot holds
    app.refresh_from_db()
    assert app.status == Status.AWAITING_DECISION and not Decision.objects.exists()


def test_a_decision_can_be_deferred_or_rejected(
    client, draft, treasurer, officer, officer2, shaw, okafor
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    client.force_login(officer2)
    url = f"/officer/applications/{draft.reference}/decide/"
    assert "Enter the reasons for the decision" in client.post(url, {"outcome": "reject"}).text
    response = client.post(
        url, {"outcome": "defer", "reasons": "Need a second quote."}, follow=True
    )
    assert "is deferred" in response.text
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_DECISION
    client.post(url, {"outcome": "reject", "reasons": "Not value for money."})
    draft.refresh_from_db()
    assert draft.status == Status.REJECTED


def test_an_officer_withdraws_an_application_with_a_reason(officer_client, draft, treasurer):
    s.application_submit(application=draft, by=treasurer)
    url = f"/officer/applications/{draft.reference}/withdraw/"
    assert "Say why the application is withdrawn" in officer_client.post(url, {"note": ""}).text
    response = officer_client.post(url, {"note": "The group asked us to."}, follow=True)
    assert f"{draft.reference} withdrawn. It is now: withdrawn." in response.text
    draft.refresh_from_db()
    assert draft.status == Status.WITHDRAWN


def test_close_is_offered_only_once_the_monitoring_report_is_in(
    client, draft, treasurer, officer, officer2, finance, shaw, okafor
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    d.decision_record(
        application=draft, by=officer2, outcome="approve", amount=D("500.00"), reasons="Fine."
    )
    s.application_accept_offer(application=draft, by=treasurer)
    s.application_record_payment(application=draft, by=finance, amount=D("500.00"), key="p")
    client.force_login(officer)
    html = client.get(f"/officer/applications/{draft.reference}/").text
    assert "Close the grant" not in html and "Revoke the grant" in html
    assert "The group has not yet sent its end-of-grant monitoring report." in html
    s.monitoring_report_submit(
        application=draft, by=treasurer, amount_spent=D("500.00"), outcomes="Done", people_reached=9
    )
    assert "Close the grant" in client.get(f"/officer/applications/{draft.reference}/").text
    client.post(f"/officer/applications/{draft.reference}/close/", {"note": "All spent."})
    draft.refresh_from_db()
    assert draft.status == Status.CLOSED


def test_an_unknown_step_is_not_found(officer_client, draft):
    assert officer_client.get(f"/officer/applications/{draft.reference}/pay/").status_code == 404


# --- who may see what -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Applicant", "Councillor", "Finance officer", "Panel member"])
def test_only_grants_officers_see_the_workbench_and_applications(client, draft, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get("/officer/").status_code == 403
    assert client.get(f"/officer/applications/{draft.reference}/").status_code == 403
    assert client.get(f"/officer/applications/{draft.reference}/assess/").status_code == 403


def test_the_group_and_its_councillor_cannot_open_the_officer_pages(client, draft, treasurer, shaw):
    for user in (treasurer, shaw.user):
        client.force_login(user)
        assert client.get(f"/officer/applications/{draft.reference}/").status_code == 403
        assert client.get("/officer/panels/").status_code == 403


def test_an_auditor_reads_the_workbench_but_is_offered_no_steps(client, draft, treasurer):
    s.application_submit(application=draft, by=treasurer)
    client.force_login(UserFactory(roles=["Auditor"]))
    assert client.get("/officer/").status_code == 200
    html = client.get(f"/officer/applications/{draft.reference}/").text
    assert "Check eligibility" not in html
    assert client.get(f"/officer/applications/{draft.reference}/eligibility/").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/officer/")
    assert response.status_code == 302 and response.url.startswith("/sign-in/")


# --- panels ---------------------------------------------------------------------------------


@pytest.fixture
def members(db):
    return [
        UserFactory(username=f"panel{i}", first_name=f"Member{i}", roles=["Panel member"])
        for i in range(3)
    ]


def test_a_panel_from_arranging_to_a_recorded_approval(
    client, draft, treasurer, officer, shaw, okafor, members, fund_year
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    client.force_login(officer)
    form = client.get("/officer/panels/new/").text
    assert "Member0" in form and "Arrange a panel meeting" in form
    missing = client.post("/officer/panels/new/", {"title": "", "quorum": "3"})
    assert "Enter a title for the meeting" in missing.text
    assert "Enter the date of the meeting" in missing.text
    too_big = client.post(
        "/officer/panels/new/",
        {
            "title": "CCIF panel",
            "fund": fund_year.fund.pk,
            "date_0": "17",
            "date_1": "3",
            "date_2": "2027",
            "quorum": "5",
            "members": [m.pk for m in members[:2]],
        },
    )
    assert (
        "The quorum must be between 1 and the 2 members you chose. Enter a number from 1 to 2"
        in too_big.text
    )
    response = client.post(
        "/officer/panels/new/",
        {
            "title": "CCIF panel, March 2027",
            "fund": fund_year.fund.pk,
            "date_0": "17",
            "date_1": "3",
            "date_2": "2027",
            "quorum": "2",
            "members": [m.pk for m in members[:2]],
        },
        follow=True,
    )
    meeting = PanelMeeting.objects.get()
    assert meeting.date == datetime.date(2027, 3, 17)
    assert "CCIF panel, March 2027" in response.text

    agenda_url = f"/officer/panels/{meeting.pk}/agenda/"
    assert draft.reference in client.get(agenda_url).text
    client.post(agenda_url, {"applications": [draft.pk]})
    item = PanelItem.objects.get()
    assert item.application == draft and item.position == 1

    # The officer arranges, but the members record: the officer sees the item's state only.
    page = client.get(f"/officer/panels/{meeting.pk}/").text
    assert "Not decided yet" in page and "Record the decision" not in page
    assert "Meets every criterion." in page and "Much needed" in page

    client.force_login(members[0])
    client.post(
        f"/officer/panels/{meeting.pk}/register/", {"attended": [members[0].pk, members[1].pk]}
    )
    page = client.get(f"/officer/panels/{meeting.pk}/")
    assert "2 of 2 members attended" in page.text
    assert "Record the decision" in page.text
    item_url = f"/officer/panels/{meeting.pk}/items/1/"
    response = client.post(
        item_url,
        {"outcome": "approve", "amount": "450.00", "reasons": "Agreed by the panel."},
        follow=True,
    )
    assert "Item 1, " + draft.reference + ": approved, £450.00." in response.text
    draft.refresh_from_db()
    assert draft.status == Status.APPROVED and draft.amount_awarded == D("450.00")
    decision = Decision.objects.get()
    assert decision.authority == "panel" and decision.panel_item == item
    assert decision.decided_by == members[0]


def test_a_member_who_sent_apologies_cannot_record_the_decision(
    client, draft, treasurer, officer, shaw, okafor, members, fund_year
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    meeting = d.panel_meeting_create(
        title="Panel",
        fund=fund_year.fund,
        date=datetime.date(2027, 3, 1),
        quorum=1,
        members=members,
        by=officer,
    )
    d.panel_item_add(meeting=meeting, application=draft, by=officer)
    d.attendance_record(meeting=meeting, attended=members[:2], by=officer)
    client.force_login(members[2])
    page = client.get(f"/officer/panels/{meeting.pk}/items/1/").text
    assert "Only a panel member who attended the meeting can record its decision." in page
    assert 'name="outcome"' not in page
    client.post(
        f"/officer/panels/{meeting.pk}/items/1/",
        {"outcome": "approve", "amount": "500.00", "reasons": "Mine."},
    )
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_DECISION and not Decision.objects.exists()


def test_an_inquorate_panel_is_told_it_cannot_decide(
    client, draft, treasurer, officer, shaw, okafor, members, fund_year
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    meeting = d.panel_meeting_create(
        title="Panel",
        fund=fund_year.fund,
        date=datetime.date(2027, 3, 1),
        quorum=3,
        members=members,
        by=officer,
    )
    d.panel_item_add(meeting=meeting, application=draft, by=officer)
    d.attendance_record(meeting=meeting, attended=members[:2], by=officer)
    client.force_login(members[0])
    response = client.post(
        f"/officer/panels/{meeting.pk}/items/1/",
        {"outcome": "approve", "amount": "500.00", "reasons": "Agreed."},
    )
    assert "govuk-error-summary" in response.text
    assert "The panel is not quorate for item 1" in response.text
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_DECISION


def test_panel_members_see_only_the_panels_they_sit_on(client, officer, members, fund_year):
    mine = d.panel_meeting_create(
        title="Mine",
        fund=fund_year.fund,
        date=datetime.date(2027, 3, 1),
        quorum=1,
        members=members[:1],
        by=officer,
    )
    theirs = d.panel_meeting_create(
        title="Theirs",
        fund=fund_year.fund,
        date=datetime.date(2027, 3, 2),
        quorum=1,
        members=members[1:],
        by=officer,
    )
    client.force_login(members[0])
    html = client.get("/officer/panels/").text
    assert "Mine" in html and "Theirs" not in html
    assert "Arrange a panel meeting" not in html
    assert client.get(f"/officer/panels/{mine.pk}/").status_code == 200
    assert client.get(f"/officer/panels/{theirs.pk}/").status_code == 404  # not theirs: as if none
    assert client.get("/officer/panels/new/").status_code == 403
    assert client.get(f"/officer/panels/{mine.pk}/agenda/").status_code == 403


def test_panel_pages_make_as_many_queries_for_many_items_as_for_few(
    client, draft, officer, members, fund_year, ward
):
    meeting = d.panel_meeting_create(
        title="Panel",
        fund=fund_year.fund,
        date=datetime.date(2027, 3, 1),
        quorum=1,
        members=members,
        by=officer,
    )
    apps = many(
        2,
        fund_year=fund_year,
        organisation=draft.organisation,
        ward=ward,
        status=Status.AWAITING_DECISION,
        prefix="FEW",
    )
    PanelItem.objects.bulk_create(
        PanelItem(meeting=meeting, application=a, position=n) for n, a in enumerate(apps, 1)
    )
    client.force_login(officer)
    few_list = count_queries(client, "/officer/panels/")
    few = count_queries(client, f"/officer/panels/{meeting.pk}/")
    apps = many(
        60,
        fund_year=fund_year,
        organisation=draft.organisation,
        ward=ward,
        status=Status.AWAITING_DECISION,
        prefix="MANY",
    )
    PanelItem.objects.bulk_create(
        PanelItem(meeting=meeting, application=a, position=n) for n, a in enumerate(apps, 3)
    )
    for i in range(20):
        d.panel_meeting_create(
            title=f"Panel {i}",
            fund=fund_year.fund,
            date=datetime.date(2027, 3, 1),
            quorum=1,
            members=members,
            by=officer,
        )
    assert count_queries(client, f"/officer/panels/{meeting.pk}/") == few
    assert count_queries(client, "/officer/panels/") == few_list


# --- the status tag -------------------------------------------------------------------------


def test_each_status_has_one_colour_everywhere(draft):
    assert status_tag(draft) == '<strong class="govuk-tag govuk-tag--grey">Draft</strong>'
    assert status_tag("submitted") == '<strong class="govuk-tag">Submitted</strong>'
    assert 'class="govuk-tag govuk-tag--yellow"' in status_tag("awaiting_decision")
    assert {status_words(s)[0] for s in Status.values} == set(Status.labels)
    assert status_tag("<b>") == '<strong class="govuk-tag govuk-tag--grey">&lt;b&gt;</strong>'


def summary_targets_exist(html: str) -> bool:
    summary = html.split('govuk-error-summary__list">', 1)[1].split("</ul>", 1)[0]
    targets = re.findall(r'href="#([^"]+)"', summary)
    return bool(targets) and all(f'id="{t}"' in html for t in targets)


def test_each_error_in_the_summary_links_to_its_input(officer_client, draft, treasurer, members):
    s.application_submit(application=draft, by=treasurer)
    page = officer_client.post(f"/officer/applications/{draft.reference}/eligibility/", {})
    assert 'href="#id_outcome_1"' in page.text and summary_targets_exist(page.text)
    page = officer_client.post("/officer/panels/new/", {"quorum": "x"})
    assert 'href="#id_date_0"' in page.text and 'href="#id_members_1"' in page.text
    assert summary_targets_exist(page.text)
    page = officer_client.get("/officer/?amount_from=lots")
    assert summary_targets_exist(page.text)
