"""The application state machine: whole lifecycles per fund, each transition and its refusals."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from applications import services as s
from applications import support
from applications.models import Application, Pledge, TransitionLog
from applications.workflow import Status
from budgets import ledger
from budgets.integrity import ledger_violations
from budgets.models import ElectionPeriod, FundYear
from decisions import services as d
from fundmgr.errors import InsufficientFunds, InvalidInput, NotPermitted, Refused
from fundmgr.models import Notification
from tests import journeys
from tests.conftest import verified_bank_details
from tests.factories import (
    ApplicationFactory,
    CouncillorFactory,
    FundFactory,
    FundYearFactory,
    OrganisationFactory,
    UserFactory,
    WardFactory,
)

D = Decimal
pytestmark = pytest.mark.django_db


def state(app):
    """Everything a refused step must leave as it was."""
    app.refresh_from_db()
    return (
        app.status,
        app.version,
        list(app.pledges.values_list("pk", "status", "amount")),
        list(ledger.Account.objects.order_by("pk").values_list("pk", "balance")),
        ledger.LedgerTransaction.objects.count(),
        TransitionLog.objects.count(),
        Notification.objects.count(),
    )


# --- whole lifecycles -----------------------------------------------------------------------


def test_ccif_lifecycle_with_pledges_pooled_from_two_councillors(
    draft, treasurer, officer, officer2, finance, shaw, okafor
):
    fy = draft.fund_year
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    support.pledge_make(
        application=draft,
        councillor=shaw,
        amount=D("300.00"),
        statement="Much needed",
        by=shaw.user,
    )
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_SUPPORT  # £300 of £500: not enough yet
    support.pledge_make(
        application=draft, councillor=okafor, amount=D("200.00"), statement="Agreed", by=okafor.user
    )
    draft.refresh_from_db()
    assert draft.status == Status.UNDER_ASSESSMENT

    d.assessment_record(
        application=draft,
        by=officer,
        recommendation="approve",
        recommended_amount=D("500.00"),
        notes="Meets every criterion.",
    )
    decision = d.decision_record(
        application=draft,
        by=officer2,
        outcome="approve",
        amount=D("500.00"),
        reasons="Good value.",
        conditions="Credit the council on the benches",
    )
    draft.refresh_from_db()
    assert draft.status == Status.APPROVED and draft.amount_awarded == D("500.00")
    assert draft.offer_expires_on == datetime.date.today() + datetime.timedelta(days=28)
    assert ledger.allocation_account(fy, shaw).balance == D("700.00")
    assert ledger.allocation_account(fy, okafor).balance == D("800.00")
    assert ledger.committed_balance(draft.reference) == D("500.00")
    assert "Conditions:\n  1. Credit the council on the benches" in decision.notice_text()

    s.application_accept_offer(application=draft, by=treasurer)
    s.application_record_payment(application=draft, by=finance, amount=D("500.00"), key="pay1")
    draft.refresh_from_db()
    assert draft.status == Status.MONITORING
    assert draft.monitoring_due_on == draft.project_end + datetime.timedelta(days=90)
    s.monitoring_report_submit(
        application=draft,
        by=treasurer,
        amount_spent=D("500.00"),
        outcomes="Benches installed",
        people_reached=300,
    )
    s.application_close(application=draft, by=officer)
    draft.refresh_from_db()
    assert draft.status == Status.CLOSED
    assert ledger.paid_account(fy, shaw).balance == D("300.00")
    assert ledger.paid_account(fy, okafor).balance == D("200.00")
    assert [t.transition for t in draft.transitions.all()] == [
        "submit",
        "mark_eligible",
        "endorse",
        "recommend",
        "approve",
        "accept_offer",
        "pay",
        "close",
    ]
    assert ledger_violations() == []
    assert Notification.objects.filter(reference=draft.reference, to="treasurer@example.org")


def test_councillor_budget_paid_in_instalments_releases_underspend_at_close(
    db, treasurer, officer, officer2, finance, shaw
):
    cb = FundYearFactory(
        fund=FundFactory(code="CB", kind="councillor_budget", name="Ward budgets"),
        allocation_per_councillor=D("2000.00"),
        max_award=D("6000.00"),
        delegated_limit=D("6000.00"),
    )
    ledger.budget_set(fund_year=cb, total=D("2000.00"), by=None)
    ledger.allocation_make(fund_year=cb, councillor=shaw, by=None)
    group = OrganisationFactory(ward=shaw.ward, members=[treasurer])
    verified_bank_details(group, treasurer)
    app = ApplicationFactory(
        fund_year=cb,
        organisation=group,
        reference="CB26-000001",
        amount_requested=D("1200.00"),
        total_cost=D("1200.00"),
    )
    journeys.awaiting_support(app, treasurer=treasurer, officer=officer)
    support.pledge_make(
        application=app, councillor=shaw, amount=D("1200.00"), statement="Yes", by=shaw.user
    )
    d.assessment_record(
        application=app,
        by=officer,
        recommendation="approve",
        recommended_amount=D("1200.00"),
        notes="Fine",
    )
    d.decision_record(
        application=app,
        by=officer2,
        outcome="approve",
        amount=D("1000.00"),
        reasons="Part-funded: the lighting is not eligible.",
    )
    s.application_accept_offer(application=app, by=treasurer)
    s.application_record_payment(application=app, by=finance, amount=D("600.00"), key="i1")
    app.refresh_from_db()
    assert app.status == Status.OFFER_ACCEPTED  # the first instalment: stays
    s.application_record_payment(application=app, by=finance, amount=D("400.00"), key="i2")
    app.refresh_from_db()
    assert app.status == Status.MONITORING
    s.monitoring_report_submit(
        application=app, by=treasurer, amount_spent=D("1000.00"), outcomes="Done", people_reached=40
    )
    s.application_close(application=app, by=officer)
    assert ledger.allocation_account(cb, shaw).balance == D("1000.00")
    assert ledger_violations() == []


@pytest.fixture
def caf(db):
    fy = FundYearFactory(
        fund=FundFactory(code="CAF", kind="community_asset", name="Community Asset Fund"),
        funded_from=FundYear.FundedFrom.CENTRAL_POT,
        allocation_per_councillor=D("0.00"),
        min_award=D("1000.00"),
        max_award=D("25000.00"),
        delegated_limit=D("5000.00"),
        match_funding_share=D("20"),
    )
    ledger.budget_set(fund_year=fy, total=D("330000.00"), by=None)
    return fy


def test_community_asset_fund_decided_by_a_panel(caf, treasurer, officer, officer2, shaw):
    group = OrganisationFactory(ward=shaw.ward, members=[treasurer])
    app = ApplicationFactory(
        fund_year=caf,
        organisation=group,
        reference="CAF26-000001",
        amount_requested=D("8000.00"),
        total_cost=D("10000.00"),
    )
    journeys.awaiting_support(app, treasurer=treasurer, officer=officer)
    support.pledge_make(
        application=app,
        councillor=shaw,
        amount=D("0"),
        statement="The hall roof leaks every winter.",
        by=shaw.user,
    )
    d.assessment_record(
        application=app,
        by=officer,
        recommendation="approve",
        recommended_amount=D("8000.00"),
        notes="Strong case",
    )
    with pytest.raises(Refused, match="£8,000.00, more than the £5,000.00 you may decide"):
        d.decision_record(
            application=app, by=officer2, outcome="approve", amount=D("8000.00"), reasons="Good"
        )

    members = [UserFactory(roles=["Panel member"]) for _ in range(3)]
    meeting = d.panel_meeting_create(
        title="Asset panel",
        fund=caf.fund,
        date=datetime.date.today(),
        quorum=2,
        members=members,
        by=officer2,
    )
    item = d.panel_item_add(meeting=meeting, application=app, by=officer2)
    d.attendance_record(meeting=meeting, attended=members, by=officer2)
    support.interest_declare(
        application=app,
        by=members[2],
        kind="pecuniary",
        details="Treasurer of the hall's trustees",
        panel_meeting=meeting,
    )
    with pytest.raises(NotPermitted, match="declared a disclosable pecuniary interest"):
        d.panel_decision_record(
            item=item, by=members[2], outcome="approve", amount=D("8000.00"), reasons="x"
        )
    decision = d.panel_decision_record(
        item=item,
        by=members[0],
        outcome="approve",
        amount=D("8000.00"),
        reasons="Essential repair",
        conditions="Three quotes before work starts",
    )
    app.refresh_from_db()
    assert app.status == Status.APPROVED
    assert decision.authority == "panel" and decision.panel_item == item
    assert ledger.pot_account(caf).balance == D("322000.00")
    assert "Grants panel, Asset panel" in decision.notice_text()
    assert "Treasurer of the hall's trustees" in decision.notice_text()


def test_a_panel_without_a_quorum_cannot_decide(caf, treasurer, officer, officer2, shaw):
    group = OrganisationFactory(ward=shaw.ward, members=[treasurer])
    app = ApplicationFactory(
        fund_year=caf,
        organisation=group,
        reference="CAF26-000002",
        amount_requested=D("8000.00"),
        total_cost=D("10000.00"),
    )
    journeys.awaiting_support(app, treasurer=treasurer, officer=officer)
    support.pledge_make(
        application=app, councillor=shaw, amount=D("0"), statement="Need", by=shaw.user
    )
    d.assessment_record(
        application=app,
        by=officer,
        recommendation="approve",
        recommended_amount=D("8000.00"),
        notes="ok",
    )
    members = [UserFactory(roles=["Panel member"]) for _ in range(3)]
    meeting = d.panel_meeting_create(
        title="Panel",
        fund=caf.fund,
        date=datetime.date.today(),
        quorum=3,
        members=members,
        by=officer2,
    )
    item = d.panel_item_add(meeting=meeting, application=app, by=officer2)
    d.attendance_record(meeting=meeting, attended=members[:2], by=officer2)
    before = state(app)
    with pytest.raises(Refused, match="not quorate for item 1: 2 members present"):
        d.panel_decision_record(
            item=item, by=members[0], outcome="approve", amount=D("8000.00"), reasons="x"
        )
    assert state(app) == before


# --- submission -----------------------------------------------------------------------------


def test_submitting_an_incomplete_application_lists_what_is_missing(draft, treasurer):
    Application.objects.filter(pk=draft.pk).update(title="", purpose="")
    draft.budget_lines.all().delete()
    before = state(draft)
    with pytest.raises(Refused) as refused:
        s.application_submit(application=draft, by=treasurer)
    assert refused.value.message == (
        "Before you submit, add the project title, what the money is for and at least one "
        "budget line."
    )
    assert state(draft) == before


def test_submitting_outside_the_fund_window_is_refused(draft, treasurer):
    FundYear.objects.filter(pk=draft.fund_year_id).update(
        opens_on=datetime.date(2026, 4, 1), closes_on=datetime.date(2026, 4, 2)
    )
    with pytest.raises(Refused, match="takes applications from 1 April 2026 to 2 April 2026"):
        s.application_submit(application=draft, by=treasurer)


def test_asking_for_more_than_the_maximum_award_is_refused(draft, treasurer):
    Application.objects.filter(pk=draft.pk).update(
        amount_requested=D("2000.00"), total_cost=D("2000.00")
    )
    draft.budget_lines.update(cost=D("2000.00"))
    with pytest.raises(Refused) as refused:
        s.application_submit(application=draft, by=treasurer)
    assert refused.value.message == (
        "Councillors' Community Initiative Fund awards between £50.00 and £1,500.00; you asked "
        "for £2,000.00."
    )


def test_too_little_match_funding_is_refused(caf, treasurer, shaw):
    group = OrganisationFactory(ward=shaw.ward, members=[treasurer])
    app = ApplicationFactory(
        fund_year=caf,
        organisation=group,
        reference="CAF26-000009",
        amount_requested=D("9000.00"),
        total_cost=D("10000.00"),
    )
    with pytest.raises(Refused) as refused:
        s.application_submit(application=app, by=treasurer)
    assert refused.value.message == (
        "Community Asset Fund needs at least 20% of the cost from elsewhere: £2,000.00 of "
        "£10,000.00. Your other funding comes to £1,000.00."
    )


def test_only_the_groups_members_can_submit(draft):
    with pytest.raises(NotPermitted, match="Only members of Friends of Abbey Park"):
        s.application_submit(application=draft, by=UserFactory())


def test_an_edit_from_a_stale_page_overwrites_nothing(draft, treasurer):
    s.application_update(application=draft, by=treasurer, version=1, title="Benches")
    with pytest.raises(Refused, match="Someone else saved"):
        s.application_update(application=draft, by=treasurer, version=1, title="Old title")
    draft.refresh_from_db()
    assert draft.title == "Benches"


def test_references_count_up_within_the_fund_year(fund_year, treasurer):
    group = OrganisationFactory(members=[treasurer])
    first = s.application_create(fund_year=fund_year, organisation=group, by=treasurer)
    second = s.application_create(fund_year=fund_year, organisation=group, by=treasurer)
    assert (first.reference, second.reference) == ("CCIF26-000001", "CCIF26-000002")
    assert first.status == Status.DRAFT


# --- eligibility ----------------------------------------------------------------------------


def test_marking_eligible_is_for_grants_officers_only(draft, treasurer):
    s.application_submit(application=draft, by=treasurer)
    with pytest.raises(NotPermitted, match="Only a grants officer"):
        s.application_mark_eligible(application=draft, by=treasurer)


def test_an_ineligible_application_needs_a_reason_and_ends(draft, treasurer, officer):
    s.application_submit(application=draft, by=treasurer)
    with pytest.raises(InvalidInput, match="Say why"):
        s.application_mark_ineligible(application=draft, by=officer, reason=" ")
    s.application_mark_ineligible(application=draft, by=officer, reason="Not in the district")
    draft.refresh_from_db()
    assert draft.status == Status.INELIGIBLE


def test_returned_to_the_group_it_can_be_corrected_and_resubmitted(draft, treasurer, officer):
    s.application_submit(application=draft, by=treasurer)
    s.application_return(application=draft, by=officer, reason="Attach the quote")
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.transitions.last().note == "Attach the quote"
    s.application_update(application=draft, by=treasurer, title="Benches, with quote")
    s.application_submit(application=draft, by=treasurer)
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED


def test_a_fund_needing_no_councillor_support_goes_straight_to_assessment(
    draft, treasurer, officer
):
    FundYear.objects.filter(pk=draft.fund_year_id).update(councillor_support_required=False)
    s.application_submit(application=draft, by=treasurer)
    s.application_mark_eligible(application=draft, by=officer)
    draft.refresh_from_db()
    assert draft.status == Status.UNDER_ASSESSMENT


# --- support --------------------------------------------------------------------------------


def test_a_pledge_above_the_available_balance_is_refused_and_changes_nothing(
    draft, treasurer, officer, shaw
):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    ledger.commitment_make(
        fund_year=draft.fund_year, reference="CCIF26-000900", shares=[(shaw, D("880.00"))], by=None
    )
    before = state(draft)
    with pytest.raises(InsufficientFunds) as refused:
        support.pledge_make(
            application=draft, councillor=shaw, amount=D("300.00"), statement="Yes", by=shaw.user
        )
    # Only Cllr Shaw pledges from her allocation, so she is told about it as "you".
    assert refused.value.message == (
        "You have £120.00 left to pledge this year. Enter £120.00 or less"
    )
    assert refused.value.field == "amount"
    assert state(draft) == before


def test_pledges_to_other_bids_count_against_what_is_left(draft, treasurer, officer, shaw):
    other = ApplicationFactory(
        fund_year=draft.fund_year, organisation=draft.organisation, reference="CCIF26-000555"
    )
    journeys.awaiting_support(other, treasurer=treasurer, officer=officer)
    support.pledge_make(
        application=other, councillor=shaw, amount=D("800.00"), statement="Yes", by=shaw.user
    )
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    with pytest.raises(
        InsufficientFunds, match=r"You have £200.00 left .* \(£800.00 is pledged to other bids\)"
    ):
        support.pledge_make(
            application=draft, councillor=shaw, amount=D("300.00"), statement="Yes", by=shaw.user
        )


def test_a_councillor_cannot_pledge_to_a_bid_outside_their_ward(draft, treasurer, officer):
    outsider = CouncillorFactory(ward=WardFactory(name="Brookfield"), name="Owen Pritchard")
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    with pytest.raises(NotPermitted, match="does not benefit Brookfield"):
        support.pledge_make(
            application=draft,
            councillor=outsider,
            amount=D("1.00"),
            statement="Yes",
            by=outsider.user,
        )


def test_a_declared_pecuniary_interest_blocks_pledging(draft, treasurer, officer, shaw):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    support.interest_declare(
        application=draft, by=shaw.user, kind="pecuniary", details="My spouse chairs the group"
    )
    with pytest.raises(NotPermitted, match="declared a disclosable pecuniary interest"):
        support.pledge_make(
            application=draft, councillor=shaw, amount=D("100.00"), statement="Yes", by=shaw.user
        )


def test_no_pledge_in_the_pre_election_period(draft, treasurer, officer, shaw):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    today = datetime.date.today()
    ElectionPeriod.objects.create(
        council=shaw.ward.council,
        name="District elections",
        notice_date=today - datetime.timedelta(days=3),
        polling_day=today + datetime.timedelta(days=30),
    )
    before = state(draft)
    with pytest.raises(Refused, match="pre-election period for District elections"):
        support.pledge_make(
            application=draft, councillor=shaw, amount=D("100.00"), statement="Yes", by=shaw.user
        )
    assert state(draft) == before


def test_no_approval_of_councillor_money_in_the_pre_election_period(
    draft, treasurer, officer, officer2, shaw, okafor
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    today = datetime.date.today()
    ElectionPeriod.objects.create(
        council=shaw.ward.council, name="By-election", notice_date=today, polling_day=today
    )
    with pytest.raises(Refused, match="pre-election period for By-election"):
        d.decision_record(
            application=draft, by=officer2, outcome="approve", amount=D("500.00"), reasons="ok"
        )


def test_a_councillor_outside_their_term_cannot_pledge(draft, treasurer, officer, ward):
    gone = CouncillorFactory(ward=ward, term_end=datetime.date(2026, 5, 1))
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    with pytest.raises(NotPermitted, match="not in office today"):
        support.pledge_make(
            application=draft, councillor=gone, amount=D("1.00"), statement="Yes", by=gone.user
        )


def test_declining_records_the_reason(draft, treasurer, officer, shaw):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    pledge = support.pledge_decline(
        application=draft, councillor=shaw, reason="Already funded elsewhere", by=shaw.user
    )
    assert pledge.status == Pledge.Status.DECLINED
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_SUPPORT


# --- decisions and separation of duties -----------------------------------------------------


def test_the_officer_who_assessed_cannot_decide(draft, treasurer, officer, shaw, okafor):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    before = state(draft)
    with pytest.raises(NotPermitted, match="You assessed this application"):
        d.decision_record(
            application=draft, by=officer, outcome="approve", amount=D("500.00"), reasons="ok"
        )
    assert state(draft) == before


def test_a_member_of_the_group_cannot_decide(draft, treasurer, officer, officer2, shaw, okafor):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    from applications.models import Membership

    Membership.objects.create(organisation=draft.organisation, user=officer2)
    with pytest.raises(NotPermitted, match="You are a member of Friends of Abbey Park"):
        d.decision_record(application=draft, by=officer2, outcome="reject", reasons="no")


def test_an_officer_with_a_declared_interest_cannot_decide(
    draft, treasurer, officer, officer2, shaw, okafor
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    support.interest_declare(
        application=draft,
        by=officer2,
        kind="other_registrable",
        details="I volunteer with the group",
    )
    with pytest.raises(NotPermitted, match="declared an other registrable interest"):
        d.decision_record(application=draft, by=officer2, outcome="reject", reasons="no")


def test_a_councillor_who_endorsed_cannot_decide_on_the_panel(
    draft, treasurer, officer, shaw, okafor
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    from applications.rules import may_decide
    from fundmgr.roles import Role, give_role

    give_role(shaw.user, Role.PANEL_MEMBER, shaw.council)

    assert may_decide.refusal(draft, shaw.user) == (
        "You supported this application, so you cannot decide it."
    )


def test_awarding_more_than_pledged_is_refused(draft, treasurer, officer, officer2, shaw, okafor):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    journeys.supported(draft, shaw=shaw, okafor=okafor)
    Application.objects.filter(pk=draft.pk).update(amount_requested=D("600.00"))
    d.assessment_record(
        application=draft,
        by=officer,
        recommendation="approve",
        recommended_amount=D("600.00"),
        notes="ok",
    )
    with pytest.raises(Refused, match="Councillors have pledged £500.00; an award of £600.00"):
        d.decision_record(
            application=draft, by=officer2, outcome="approve", amount=D("600.00"), reasons="ok"
        )


def test_rejection_commits_nothing(draft, treasurer, officer, officer2, shaw, okafor):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    d.decision_record(application=draft, by=officer2, outcome="reject", reasons="Duplicate")
    draft.refresh_from_db()
    assert draft.status == Status.REJECTED
    assert ledger.committed_balance(draft.reference) == D("0.00")


def test_a_deferred_decision_leaves_the_bid_waiting(
    draft, treasurer, officer, officer2, shaw, okafor
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    d.decision_record(application=draft, by=officer2, outcome="defer", reasons="Need a quote")
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_DECISION


# --- offers, lapse, withdrawal, revocation --------------------------------------------------


@pytest.fixture
def approved(draft, treasurer, officer, officer2, shaw, okafor):
    return journeys.approved(
        draft, treasurer=treasurer, officer=officer, officer2=officer2, shaw=shaw, okafor=okafor
    )


def test_an_expired_offer_cannot_be_accepted(approved, treasurer):
    Application.objects.filter(pk=approved.pk).update(
        offer_expires_on=datetime.date.today() - datetime.timedelta(days=1)
    )
    with pytest.raises(Refused, match="The last day to accept this offer was "):
        s.application_accept_offer(application=approved, by=treasurer)


def test_lapse_offers_lapses_expired_offers_and_releases_the_money(approved, shaw, capsys):
    Application.objects.filter(pk=approved.pk).update(
        offer_expires_on=datetime.date.today() - datetime.timedelta(days=1)
    )
    call_command("lapse_offers")
    assert f"Lapsed 1 offer(s): {approved.reference}" in capsys.readouterr().out
    approved.refresh_from_db()
    assert approved.status == Status.LAPSED
    assert ledger.allocation_account(approved.fund_year, shaw).balance == D("1000.00")
    call_command("lapse_offers")
    assert "Lapsed 0 offer(s)" in capsys.readouterr().out
    assert ledger_violations() == []


def test_an_open_offer_does_not_lapse(approved):
    assert s.lapse_due_offers() == []
    with pytest.raises(Refused, match="still open"):
        s.application_lapse(application=approved, by=None)


def test_withdrawing_an_approved_grant_releases_the_commitment(approved, treasurer, shaw):
    s.application_withdraw(application=approved, by=treasurer, reason="Project cancelled")
    approved.refresh_from_db()
    assert approved.status == Status.WITHDRAWN
    assert ledger.allocation_account(approved.fund_year, shaw).balance == D("1000.00")


def test_withdrawal_after_a_payment_is_refused_but_revocation_works(
    approved, treasurer, finance, officer, shaw
):
    s.application_accept_offer(application=approved, by=treasurer)
    s.application_record_payment(application=approved, by=finance, amount=D("200.00"), key="p1")
    before = state(approved)
    with pytest.raises(Refused, match="£200.00 has already been paid"):
        s.application_withdraw(application=approved, by=treasurer)
    assert state(approved) == before
    s.application_revoke(application=approved, by=officer, reason="Benches never bought.")
    approved.refresh_from_db()
    assert approved.status == Status.REVOKED
    assert ledger.committed_balance(approved.reference) == D("0.00")
    assert "£200.00 paid is to be repaid" in approved.transitions.last().note


def test_a_payment_is_held_while_changed_bank_details_wait_for_verification(
    approved, treasurer, finance
):
    from applications import organisations

    s.application_accept_offer(application=approved, by=treasurer)
    organisations.bank_account_change(
        organisation=approved.organisation,
        by=treasurer,
        account_name="New name",
        sort_code="400000",
        account_number="87654321",
    )
    before = state(approved)
    with pytest.raises(Refused, match="Payments to Friends of Abbey Park are held"):
        s.application_record_payment(application=approved, by=finance, amount=D("1"), key="p")
    assert state(approved) == before


def test_a_retried_payment_is_recorded_once(approved, treasurer, finance):
    s.application_accept_offer(application=approved, by=treasurer)
    s.application_record_payment(application=approved, by=finance, amount=D("200.00"), key="p1")
    s.application_record_payment(application=approved, by=finance, amount=D("200.00"), key="p1")
    approved.refresh_from_db()
    assert approved.paid_to_date == D("200.00")


def test_payment_needs_a_finance_officer(approved, treasurer, officer):
    s.application_accept_offer(application=approved, by=treasurer)
    with pytest.raises(NotPermitted, match="Only a finance officer"):
        s.application_record_payment(application=approved, by=officer, amount=D("1"), key="x")


def test_closing_needs_the_monitoring_report(approved, treasurer, finance, officer):
    s.application_accept_offer(application=approved, by=treasurer)
    s.application_record_payment(application=approved, by=finance, amount=D("500.00"), key="p")
    with pytest.raises(Refused, match="not yet sent its end-of-grant monitoring report"):
        s.application_close(application=approved, by=officer)


# --- atomicity, notifications, transitions offered ------------------------------------------


def test_a_failure_half_way_through_approval_leaves_nothing_changed(
    draft, treasurer, officer, officer2, shaw, okafor, monkeypatch
):
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    before = state(draft)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(ledger, "commitment_in", broken)
    with pytest.raises(RuntimeError):
        d.decision_record(
            application=draft, by=officer2, outcome="approve", amount=D("500.00"), reasons="ok"
        )
    assert state(draft) == before
    assert not draft.decisions.exists()


def test_an_approval_the_ledger_refuses_leaves_nothing_changed(
    draft, treasurer, officer, officer2, shaw, okafor
):
    """The commitment has no savepoint of its own (ledger.commitment_in): refused at the
    ledger, after the step and its log were written, the decision's own transaction undoes
    them all, and the caller's goes on."""
    journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    pledged = {p.councillor: p.amount for p in draft.pledges.all()}
    # Cllr Shaw's allocation goes elsewhere after she pledged: the ledger finds her short.
    ledger.commitment_make(
        fund_year=draft.fund_year,
        reference="CCIF26-000901",
        shares=[(shaw, ledger.allocation_account(draft.fund_year, shaw).balance - D("1.00"))],
        by=None,
    )
    before = state(draft)
    with pytest.raises(InsufficientFunds, match="Cllr Shaw has £1.00"):
        d.decision_record(
            application=draft,
            by=officer2,
            outcome="approve",
            amount=sum(pledged.values()),
            reasons="ok",
        )
    assert state(draft) == before
    assert not draft.decisions.exists()
    assert ledger_violations() == []


@pytest.mark.django_db(transaction=True)
def test_a_commitment_without_a_savepoint_is_only_made_inside_a_transaction(draft, shaw):
    with pytest.raises(RuntimeError, match="inside its caller's transaction"):
        ledger.commitment_in(
            fund_year=draft.fund_year, reference="CCIF26-000902", shares=[(shaw, D("1.00"))],
            by=None,
        )  # fmt: skip
    assert not ledger.LedgerTransaction.objects.filter(reference="CCIF26-000902").exists()


def test_each_step_tells_the_right_people(draft, treasurer, officer, shaw, okafor):
    s.application_submit(application=draft, by=treasurer)
    submitted = set(Notification.objects.values_list("to", flat=True))
    assert {"treasurer@example.org", "officer@example.org"} <= submitted
    Notification.objects.all().delete()
    s.application_mark_eligible(application=draft, by=officer)
    told = set(Notification.objects.values_list("to", flat=True))
    assert {"cllr.shaw@example.org", "cllr.okafor@example.org"} <= told


def test_only_the_transitions_a_person_may_take_now_are_offered(draft, treasurer, officer):
    assert s.available_transitions(draft, treasurer) == ["submit", "withdraw"]
    assert s.available_transitions(draft, officer) == ["withdraw"]
    s.application_submit(application=draft, by=treasurer)
    draft.refresh_from_db()
    assert set(s.available_transitions(draft, officer)) == {
        "mark_ineligible",
        "mark_eligible",
        "return_to_applicant",
        "withdraw",
    }
    assert s.available_transitions(draft, treasurer) == ["withdraw"]


def test_the_transition_log_is_append_only(draft, treasurer):
    s.application_submit(application=draft, by=treasurer)
    log = TransitionLog.objects.get()
    with pytest.raises(TypeError, match="append-only"):
        log.delete()


def test_graph_transitions_draws_every_state(capsys):
    call_command("graph_transitions", "applications.Application")
    text = capsys.readouterr().out
    for status in Status:
        assert status.label in text


def test_only_people_who_take_part_declare_interests_and_not_on_finished_bids(
    draft, treasurer, officer
):
    with pytest.raises(NotPermitted, match="Only councillors, panel members and council officers"):
        support.interest_declare(application=draft, by=treasurer, kind="pecuniary", details="x")
    s.application_submit(application=draft, by=treasurer)
    s.application_mark_ineligible(application=draft, by=officer, reason="Outside the district")
    with pytest.raises(Refused, match="it is finished"):
        support.interest_declare(application=draft, by=officer, kind="pecuniary", details="x")


def test_many_steps_in_one_transaction_send_their_mail_once_after_commit(
    draft, treasurer, officer, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        s.application_submit(application=draft, by=treasurer)
        s.application_return(application=draft, by=officer, reason="More detail")
        s.application_submit(application=draft, by=treasurer)
    assert len(callbacks) == 1


def test_a_councillor_cannot_transfer_money_pledged_to_undecided_bids(
    draft, treasurer, officer, shaw, okafor
):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    support.pledge_make(
        application=draft, councillor=shaw, amount=D("300.00"), statement="Yes", by=shaw.user
    )
    with pytest.raises(InsufficientFunds) as refused:
        support.councillor_transfer(
            fund_year=draft.fund_year,
            from_councillor=shaw,
            to_councillor=okafor,
            amount=D("800.00"),
            by=shaw.user,
            key="t1",
        )
    assert refused.value.message == (
        "You have £700.00 free to transfer: £300.00 of your 2026/27 CCIF allocation is "
        "pledged to bids still waiting for a decision. Enter £700.00 or less"
    )
    assert refused.value.field == "amount"
    support.councillor_transfer(
        fund_year=draft.fund_year,
        from_councillor=shaw,
        to_councillor=okafor,
        amount=D("700.00"),
        by=shaw.user,
        key="t2",
    )
    assert ledger.allocation_account(draft.fund_year, shaw).balance == D("300.00")


def test_only_the_giving_councillor_transfers_their_allocation(draft, shaw, okafor):
    with pytest.raises(NotPermitted, match="Only Cllr Sam Shaw can transfer"):
        support.councillor_transfer(
            fund_year=draft.fund_year,
            from_councillor=shaw,
            to_councillor=okafor,
            amount=D("1.00"),
            by=okafor.user,
            key="t1",
        )


def test_a_returned_bid_that_already_has_its_support_moves_on_when_eligible_again(
    draft, treasurer, officer, shaw, okafor
):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    journeys.supported(draft, shaw=shaw, okafor=okafor)
    s.application_return(application=draft, by=officer, reason="Add the quote")
    s.application_submit(application=draft, by=treasurer)
    s.application_mark_eligible(application=draft, by=officer)
    draft.refresh_from_db()
    assert draft.status == Status.UNDER_ASSESSMENT


def test_refreshing_an_application_never_switches_status_protection_off(draft, monkeypatch):
    """django-fsm-2 refreshes by switching the shared field's `protected` off and on again, so a
    second thread refreshing at the same moment found it on and failed. Here the flag cannot be
    switched off at all, as the other thread would see it: a refresh must still work."""
    field = Application._meta.get_field("status")

    class AlwaysProtected(type(field)):
        protected = property(lambda self: True, lambda self, value: None)

    monkeypatch.setattr(field, "__class__", AlwaysProtected)
    Application.objects.filter(pk=draft.pk).update(status=Status.SUBMITTED)
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    with pytest.raises(AttributeError):
        draft.status = Status.DRAFT
