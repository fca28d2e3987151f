"""Terms of office (issue 12, part 5): a councillor who leaves mid-year, their successor, and
election periods that hold only the wards they cover.

Through the real entry points: the administrator's "End this term…" action and the councillor
and fund-year admin pages, the councillors' and groups' pages, the services. The tests live on
23 November 2026 (tests/conftest.py); the fund year is CCIF 2026/27, £10,000 budget, £1,000 per
councillor, Cllr Shaw and Cllr Okafor in Abbey Meadow.
"""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.test import Client
from django.urls import reverse

from applications import services as s
from applications import support
from applications.models import Pledge
from applications.workflow import Status
from budgets import ledger
from budgets.integrity import ledger_violations
from budgets.models import Account, Councillor, ElectionPeriod, FundYear, LedgerTransaction
from decisions import services as d
from fundmgr.errors import Refused
from fundmgr.models import Notification
from fundmgr.notifications import send_pending
from tests import journeys
from tests.factories import (
    ApplicationFactory,
    CouncillorFactory,
    OrganisationFactory,
    UserFactory,
    WardFactory,
)

pytestmark = pytest.mark.django_db

LAST_DAY = datetime.date(2026, 11, 15)
SUCCESSOR_FROM = datetime.date(2026, 11, 16)  # 136 of 2026/27's 365 days left


@pytest.fixture
def administrator(db):
    return UserFactory(username="admin-terms", roles=["Administrator"], is_staff=True)


@pytest.fixture
def admin_of_terms(administrator):
    """The administrator's own browser: tests sign others in with `client` beside it."""
    browser = Client()
    browser.force_login(administrator)
    return browser


@pytest.fixture
def resigning(draft, treasurer, officer, shaw, okafor):
    """Shaw has £1,000; £200 committed to an approved grant; £300 pledged to the Friends of Abbey
    Park's £500 bid (Okafor pledged £100, so it still waits for support). £800 is unspent."""
    s.application_submit(application=draft, by=treasurer)
    s.application_mark_eligible(application=draft, by=officer)
    support.pledge_make(
        application=draft, councillor=shaw, amount=D("300.00"), statement="Yes", by=shaw.user
    )
    support.pledge_make(
        application=draft, councillor=okafor, amount=D("100.00"), statement="Yes", by=okafor.user
    )
    ledger.commitment_make(
        fund_year=draft.fund_year, reference="CCIF26-000099", shares=[(shaw, D("200.00"))], by=None
    )
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_SUPPORT
    return draft


def _changelist(model) -> str:
    return reverse(f"admin:budgets_{model._meta.model_name}_changelist")


def end_term_in_admin(client, councillor, *, on=LAST_DAY, reason="Resigned"):
    return client.post(
        _changelist(Councillor),
        {
            "action": "end_term",
            ACTION_CHECKBOX_NAME: [councillor.pk],
            "apply": "1",
            "on": on.isoformat(),
            "reason": reason,
        },
        follow=True,
    )


def add_successor_in_admin(client, ward, *, name="Nia Adeyemi", term_start=SUCCESSOR_FROM):
    user = UserFactory(username="cllr.adeyemi", roles=["Councillor"])
    response = client.post(
        reverse("admin:budgets_councillor_add"),
        {
            "user": user.pk,
            "ward": ward.pk,
            "name": name,
            "term_start": term_start.isoformat(),
            "term_end": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("admin:budgets_councillor_changelist")
    return Councillor.objects.get(user=user)


def allocate_in_admin(client, fund_year):
    return client.post(
        _changelist(FundYear),
        {"action": "allocate", ACTION_CHECKBOX_NAME: [fund_year.pk]},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def set_policy(fund_year, policy):
    FundYear.objects.filter(pk=fund_year.pk).update(term_end_policy=policy)
    fund_year.refresh_from_db()


def money(account) -> D:
    account.refresh_from_db()
    return account.balance


def assert_ledger_sound():
    assert ledger_violations() == []
    # Conserved: what left the budget source is everywhere else, to the penny.
    total = sum(Account.objects.values_list("balance", flat=True), D("0.00"))
    assert total == D("0.00")
    for posting in LedgerTransaction.objects.prefetch_related("entries"):
        assert sum(e.amount for e in posting.entries.all()) == 0, posting


# --- the administrator chooses, and reads what each choice does ------------------------------


def test_the_fund_year_page_offers_the_three_rules_and_says_what_each_does(
    admin_of_terms, fund_year
):
    page = admin_of_terms.get(
        reverse("admin:budgets_fundyear_change", args=[fund_year.pk])
    ).content.decode()
    assert "Passes to the successor, pro rata to the days left in the year" in page
    assert "Passes whole to the successor" in page
    assert "Returns to the pot" in page
    assert "136 of 365 days, £223.56" in page  # the worked example
    assert "their unspent allocation returns to the pot that day" in page


def test_the_end_term_page_says_what_will_happen_before_anything_does(
    admin_of_terms, resigning, shaw
):
    page = admin_of_terms.post(
        _changelist(Councillor), {"action": "end_term", ACTION_CHECKBOX_NAME: [shaw.pk]}
    ).content.decode()
    assert "End the term of Cllr Sam Shaw" in page
    assert f"{resigning.reference}, Friends of Abbey Park: 300.00 pledged" in page
    assert "CCIF 2026/27: £800.00 unspent." in page
    assert "Passes to the successor, pro rata to the days left in the year." in page
    shaw.refresh_from_db()
    assert shaw.term_end is None
    assert Pledge.objects.get(councillor=shaw).status == Pledge.Status.PLEDGED


# --- a councillor resigns mid-year, end to end ------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "successor_gets", "pot_after"),
    [
        # £800.00 × 136/365 = £298.0821…, to the penny below.
        (FundYear.TermEnd.SUCCESSOR_PRO_RATA, D("298.08"), D("8501.92")),
        (FundYear.TermEnd.SUCCESSOR_WHOLE, D("800.00"), D("8000.00")),
        (FundYear.TermEnd.POT, D("0.00"), D("8800.00")),
    ],
    ids=["pro-rata", "whole", "return-to-pot"],
)
def test_a_councillor_who_resigns_mid_year_end_to_end(
    admin_of_terms,
    client,
    resigning,
    shaw,
    okafor,
    treasurer,
    policy,
    successor_gets,
    pot_after,
):
    fund_year = resigning.fund_year
    set_policy(fund_year, policy)
    pot = ledger.pot_account(fund_year)
    assert money(pot) == D("8000.00")

    response = end_term_in_admin(admin_of_terms, shaw)
    send_pending()  # the outbox, as after the request's transaction commits
    said = " ".join(messages_of(response))
    assert "Cllr Sam Shaw's term ended on 15 November 2026." in said
    assert f"Support withdrawn from {resigning.reference}; each group has been e-mailed." in said
    assert "£800.00 of their CCIF 2026/27 allocation returned to the pot" in said

    # The pledge is withdrawn; the bid needs that support again.
    assert Pledge.objects.get(councillor=shaw).status == Pledge.Status.WITHDRAWN
    assert Pledge.objects.get(councillor=okafor).status == Pledge.Status.PLEDGED
    # The group's e-mail says why and from whom to ask.
    to_group = [m for m in mail.outbox if treasurer.email in m.to and "left office" in m.subject]
    assert len(to_group) == 1
    email = to_group[0]
    assert email.subject == (
        f"{resigning.reference}: Cllr Sam Shaw's support withdrawn: they left office"
    )
    assert "Cllr Sam Shaw left office on 15 November 2026 (Resigned)." in email.body
    assert "the £300.00 they pledged has been withdrawn" in email.body
    assert "Your bid needs that support again." in email.body
    assert "Ask for support from the ward's councillors: Cllr Priya Okafor." in email.body
    # The ward's other councillor is asked too.
    assert any(okafor.user.email in m.to and "needs your support" in m.subject for m in mail.outbox)

    # The money: unspent to the pot at once; the approved grant keeps its £200.00.
    assert money(ledger.allocation_account(fund_year, shaw)) == D("0.00")
    assert money(pot) == D("8800.00")
    assert ledger.committed_balance("CCIF26-000099") == D("200.00")
    assert_ledger_sound()

    # The group reads it on its bid's page.
    client.force_login(treasurer)
    status_page = client.get(reverse("applications:status", args=[resigning.pk])).content.decode()
    assert "A councillor&#x27;s support was withdrawn: they left office" in status_page
    assert "withdrawn: they left office on 15 November 2026 (Resigned)" in status_page

    # The successor arrives; allocating gives them their share, from the pot, with no top-up.
    successor = add_successor_in_admin(admin_of_terms, shaw.ward)
    response = allocate_in_admin(admin_of_terms, fund_year)
    said = " ".join(messages_of(response))
    allocated = Account.objects.filter(
        kind="allocation", councillor=successor, fund_year=fund_year
    ).first()
    assert (allocated.balance if allocated else D("0.00")) == successor_gets
    assert money(pot) == pot_after
    if successor_gets:
        assert f"allocated {successor_gets:,} to 1 councillors" in said.replace("£", "")
    else:
        assert "returns a departing councillor's allocation to the pot" in said
        assert "Cllr Nia Adeyemi is given none of the £800.00 Cllr Sam Shaw left unspent" in said

    # Allocating again changes nothing.
    postings = LedgerTransaction.objects.count()
    allocate_in_admin(admin_of_terms, fund_year)
    assert LedgerTransaction.objects.count() == postings
    assert money(pot) == pot_after
    assert_ledger_sound()

    # Shaw's own page says when the term ended and what became of the money.
    client.force_login(shaw.user)
    dashboard = client.get(reverse("councillor:dashboard")).content.decode()
    assert "Cllr Sam Shaw&#x27;s term for Abbey Meadow ended on 15 November 2026 (Resigned)." in (
        dashboard
    )
    assert "returns to the pot that day" in dashboard


def test_the_successor_page_shows_their_pro_rata_allocation(
    admin_of_terms, client, resigning, shaw
):
    end_term_in_admin(admin_of_terms, shaw)
    successor = add_successor_in_admin(admin_of_terms, shaw.ward)
    allocate_in_admin(admin_of_terms, resigning.fund_year)
    client.force_login(successor.user)
    dashboard = client.get(reverse("councillor:dashboard")).content.decode()
    assert "£298.08" in dashboard
    assert "£1,000.00" not in dashboard


def test_the_statement_says_the_term_ended_and_where_the_money_went(
    admin_of_terms, client, resigning, shaw
):
    end_term_in_admin(admin_of_terms, shaw)
    client.force_login(shaw.user)
    url = reverse("budgets:statement", args=["CCIF", 2026, shaw.pk])
    page = client.get(url).content.decode()
    assert "term for Abbey Meadow ended on 15 November 2026 (Resigned)." in page
    assert "passes to the ward&#x27;s next councillor, pro rata to the days left" in page
    assert "Unspent allocation returned to the pot: Cllr Sam Shaw&#x27;s term ended on" in page


def test_ending_a_term_twice_is_refused_and_moves_nothing_more(admin_of_terms, resigning, shaw):
    end_term_in_admin(admin_of_terms, shaw)
    postings = LedgerTransaction.objects.count()
    response = end_term_in_admin(admin_of_terms, shaw, on=datetime.date(2026, 11, 20))
    assert "Cllr Sam Shaw&#x27;s term already ended on 15 November 2026 (Resigned)." in (
        response.content.decode()
    )
    shaw.refresh_from_db()
    assert shaw.term_end == LAST_DAY
    assert LedgerTransaction.objects.count() == postings


def test_a_term_cannot_be_ended_on_a_day_still_to_come(admin_of_terms, resigning, shaw):
    response = end_term_in_admin(admin_of_terms, shaw, on=datetime.date(2026, 12, 1))
    assert "The last day in office must be today or earlier" in response.content.decode()
    shaw.refresh_from_db()
    assert shaw.term_end is None
    assert Pledge.objects.get(councillor=shaw).status == Pledge.Status.PLEDGED


def test_the_term_end_date_cannot_be_typed_over_on_the_councillor_page(admin_of_terms, shaw):
    page = admin_of_terms.get(reverse("admin:budgets_councillor_change", args=[shaw.pk]))
    assert 'name="term_end"' not in page.content.decode()


def test_an_auditor_cannot_end_a_term(client, resigning, shaw):
    auditor = UserFactory(roles=["Auditor"], is_staff=True)
    client.force_login(auditor)
    listing = client.get(_changelist(Councillor)).content.decode()
    assert "End this term" not in listing
    response = client.post(
        _changelist(Councillor),
        {
            "action": "end_term",
            ACTION_CHECKBOX_NAME: [shaw.pk],
            "apply": "1",
            "on": LAST_DAY.isoformat(),
            "reason": "Resigned",
        },
    )
    assert response.status_code == 403
    shaw.refresh_from_db()
    assert shaw.term_end is None
    assert Pledge.objects.get(councillor=shaw).status == Pledge.Status.PLEDGED


# --- approval never commits a departed councillor's pledge -----------------------------------


def test_a_pledge_by_a_councillor_whose_term_ended_is_never_committed(
    draft, treasurer, officer, officer2, shaw, okafor
):
    app = journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    # However the term came to end (here the date alone, as an import might set it).
    Councillor.objects.filter(pk=shaw.pk).update(term_end=datetime.date(2026, 11, 20))
    postings = LedgerTransaction.objects.count()
    with pytest.raises(Refused) as refused:
        d.decision_record(
            application=app, by=officer2, outcome="approve", amount=D("500.00"), reasons="ok"
        )
    assert refused.value.message == (
        "Cllr Sam Shaw's term of office ended on 20 November 2026, so their pledge of £300.00 "
        "cannot be committed from their allocation: the bid needs that support again from the "
        "ward's councillors in office."
    )
    app.refresh_from_db()
    assert app.status == Status.AWAITING_DECISION
    assert LedgerTransaction.objects.count() == postings


def test_ending_a_term_withdraws_a_pledge_waiting_for_a_decision(
    admin_of_terms, draft, treasurer, officer, officer2, shaw, okafor
):
    app = journeys.awaiting_decision(
        draft, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor
    )
    end_term_in_admin(admin_of_terms, shaw)
    told = Notification.objects.filter(subject__contains="left office")
    to_group = told.get(to=treasurer.email)
    assert "Your bid is already with the grants team, who have been told" in to_group.body
    to_officer = told.get(to=officer.email)
    assert "Return it to the group so that the ward's councillors can support it" in (
        to_officer.body
    )
    with pytest.raises(Refused, match=r"Councillors have pledged £200\.00; an award of £500\.00"):
        d.decision_record(
            application=app, by=officer2, outcome="approve", amount=D("500.00"), reasons="ok"
        )
    assert_ledger_sound()


# --- allocate_year ---------------------------------------------------------------------------


def test_running_allocate_year_twice_allocates_once(fund_year, shaw, okafor):
    first = ledger.allocate_year(fund_year=fund_year, by=None)
    second = ledger.allocate_year(fund_year=fund_year, by=None)
    assert first.total == D("2000.00")
    assert second.total == D("0.00")
    assert set(second.already) == {shaw, okafor}
    assert money(ledger.pot_account(fund_year)) == D("8000.00")
    assert LedgerTransaction.objects.filter(kind="allocation").count() == 2


def test_a_successor_waits_until_the_departed_term_has_been_ended(fund_year, shaw, okafor):
    ledger.allocate_year(fund_year=fund_year, by=None)
    # The date set without the service: Shaw's £1,000 is still in the allocation.
    Councillor.objects.filter(pk=shaw.pk).update(term_end=LAST_DAY)
    successor = CouncillorFactory(ward=shaw.ward, name="Nia Adeyemi", term_start=SUCCESSOR_FROM)
    summary = ledger.allocate_year(fund_year=fund_year, by=None)
    assert summary.allocated == []
    assert summary.not_allocated == [
        (
            successor,
            "Cllr Sam Shaw's term ended on 15 November 2026, but their allocation has not been "
            "returned: end their term with “End this term…” first, then allocate again.",
        )
    ]
    assert money(ledger.pot_account(fund_year)) == D("8000.00")


def test_a_councillor_who_left_before_allocation_passes_the_seats_allocation_on(
    fund_year, shaw, okafor
):
    """Allocated for the first time after a by-election: the departed councillor is given
    nothing, and the successor the seat's £1,000.00 pro rata: × 136/365 = £372.60."""
    Councillor.objects.filter(pk=shaw.pk).update(term_end=LAST_DAY)
    successor = CouncillorFactory(ward=shaw.ward, name="Nia Adeyemi", term_start=SUCCESSOR_FROM)
    summary = ledger.allocate_year(fund_year=fund_year, by=None)
    assert dict(summary.allocated) == {okafor: D("1000.00"), successor: D("372.60")}
    assert [c for c, _ in summary.not_allocated] == [Councillor.objects.get(pk=shaw.pk)]
    assert money(ledger.pot_account(fund_year)) == D("8627.40")
    assert_ledger_sound()


# --- election periods hold only the wards they cover -----------------------------------------


@pytest.fixture
def two_wards(fund_year, shaw, okafor):
    """A bid waiting for support in Abbey Meadow and one in Brookfield, both wards allocated."""
    brookfield = WardFactory(name="Brookfield")
    lindqvist = CouncillorFactory(ward=brookfield, name="Grace Lindqvist")
    ledger.allocate_year(fund_year=fund_year, by=None)
    bids = {}
    for ward in (shaw.ward, brookfield):
        app = ApplicationFactory(fund_year=fund_year, organisation=OrganisationFactory(ward=ward))
        app.__class__.objects.filter(pk=app.pk).update(status=Status.AWAITING_SUPPORT)
        app.refresh_from_db()
        bids[ward.name] = app
    return bids, lindqvist


def election(council, *, ward=None, name):
    today = datetime.date(2026, 11, 23)
    return ElectionPeriod.objects.create(
        council=council,
        ward=ward,
        name=name,
        notice_date=today - datetime.timedelta(days=3),
        polling_day=today + datetime.timedelta(days=10),
    )


def test_a_by_election_in_one_ward_does_not_hold_pledges_in_another(client, two_wards, shaw):
    bids, lindqvist = two_wards
    election(shaw.ward.council, ward=shaw.ward, name="the Abbey Meadow by-election")

    pledge = support.pledge_make(
        application=bids["Brookfield"],
        councillor=lindqvist,
        amount=D("100.00"),
        statement="Yes",
        by=lindqvist.user,
    )
    assert pledge.status == Pledge.Status.PLEDGED

    with pytest.raises(Refused) as refused:
        support.pledge_make(
            application=bids["Abbey Meadow"],
            councillor=shaw,
            amount=D("100.00"),
            statement="Yes",
            by=shaw.user,
        )
    assert refused.value.message == (
        "It is the pre-election period for the Abbey Meadow by-election (Abbey Meadow ward, "
        "until 3 December 2026): councillors' budgets cannot be pledged or approved for bids in "
        "Abbey Meadow until then."
    )

    # The councillors' bid pages say which ward's election holds what.
    client.force_login(shaw.user)
    held = client.get(reverse("councillor:bid", args=[bids["Abbey Meadow"].reference]))
    assert "pre-election period for the Abbey Meadow by-election (Abbey Meadow ward" in (
        held.content.decode()
    )
    client.force_login(lindqvist.user)
    free = client.get(reverse("councillor:bid", args=[bids["Brookfield"].reference]))
    assert "pre-election period" not in free.content.decode()


def test_an_election_of_the_whole_council_holds_every_ward(two_wards, shaw):
    bids, lindqvist = two_wards
    election(shaw.ward.council, name="the district elections")
    for app, councillor in ((bids["Abbey Meadow"], shaw), (bids["Brookfield"], lindqvist)):
        with pytest.raises(Refused, match=r"district elections \(every ward, until 3 December"):
            support.pledge_make(
                application=app,
                councillor=councillor,
                amount=D("100.00"),
                statement="Yes",
                by=councillor.user,
            )
    assert not Pledge.objects.exists()


def test_the_election_admin_names_the_ward_it_holds(admin_of_terms, shaw):
    election(shaw.ward.council, ward=shaw.ward, name="Abbey Meadow by-election")
    election(shaw.ward.council, name="District elections")
    page = admin_of_terms.get(reverse("admin:budgets_electionperiod_changelist")).content.decode()
    assert "Abbey Meadow ward" in page
    assert "every ward" in page


def test_the_allocate_year_command_says_who_waits_then_allocates_the_successor(
    fund_year, shaw, okafor, administrator
):
    from io import StringIO

    from django.core.management import call_command

    from applications.terms import councillor_term_end

    ledger.allocate_year(fund_year=fund_year, by=None)
    # The last day typed in without ending the term: nothing has moved yet.
    Councillor.objects.filter(pk=shaw.pk).update(term_end=LAST_DAY)
    CouncillorFactory(ward=shaw.ward, name="Nia Adeyemi", term_start=SUCCESSOR_FROM)
    out = StringIO()
    call_command("allocate_year", "CCIF", "2026/27", stdout=out)
    assert (
        "Not allocated: Cllr Sam Shaw's term ended on 15 November 2026, but their allocation "
        "has not been returned" in out.getvalue()
    )

    councillor_term_end(councillor=shaw, on=LAST_DAY, by=administrator, reason="Resigned")
    out = StringIO()
    call_command("allocate_year", "CCIF", "2026/27", stdout=out)
    # Shaw's whole £1,000.00 was unspent: × 136/365 = £372.60.
    assert "£372.60  Cllr Nia Adeyemi (Abbey Meadow)" in out.getvalue()
    assert money(ledger.pot_account(fund_year)) == D("9000.00") - D("372.60")
    assert_ledger_sound()


def test_the_dashboards_and_the_groups_page_say_which_wards_an_election_holds(
    client, two_wards, shaw
):
    bids, lindqvist = two_wards
    election(shaw.ward.council, ward=shaw.ward, name="the Abbey Meadow by-election")
    notice = (
        "It is the pre-election period for the Abbey Meadow by-election (Abbey Meadow ward, "
        "until 3 December 2026): councillors&#x27; budgets cannot be pledged or approved for "
        "bids in Abbey Meadow until then."
    )
    client.force_login(shaw.user)
    assert notice in client.get(reverse("councillor:dashboard")).content.decode()
    client.force_login(lindqvist.user)
    assert "pre-election period" not in client.get(reverse("councillor:dashboard")).content.decode()

    for ward, held in (("Abbey Meadow", True), ("Brookfield", False)):
        app = bids[ward]
        member = UserFactory(roles=["Applicant"])
        app.organisation.membership_set.create(user=member, role="treasurer")
        client.force_login(member)
        page = client.get(reverse("applications:status", args=[app.pk])).content.decode()
        assert (notice in page) is held
