"""The community-group pages through the test client: what each page shows, the errors each form
gives in its error summary, who may see what, and a home page whose queries do not grow."""

import datetime
import html as html_text
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications import eligibility, group_services, sections, support
from applications import group_selectors as gs
from applications import organisations as o
from applications import services as s
from applications.models import Application, BankAccount, Membership, Organisation, TransitionLog
from applications.workflow import Status
from budgets import ledger
from budgets.models import FundYear
from fundmgr.errors import NotPermitted, Refused
from fundmgr.models import User
from tests import journeys
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


def error_summary(response) -> list[str]:
    """The messages in the page's GOV.UK error summary."""
    html = response.content.decode()
    assert "govuk-error-summary" in html, "the page has no error summary"
    summary = html[html.index("govuk-error-summary") :]
    summary = summary[: summary.index("</ul>")]
    found = re.findall(r"<a href=[^>]*>(.*?)</a>", summary, flags=re.S)
    return [html_text.unescape(re.sub(r"\s+", " ", m).strip()) for m in found]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def group(draft):
    return draft.organisation


@pytest.fixture
def signed_in(client, treasurer):
    client.force_login(treasurer)
    return client


@pytest.fixture
def empty_draft(group, treasurer, fund_year):
    return s.application_create(fund_year=fund_year, organisation=group, by=treasurer)


@pytest.fixture
def stranger(db):
    """A member of another group, with an application of its own."""
    user = UserFactory(username="stranger", roles=["Applicant"])
    OrganisationFactory(members=[user], name="Another Group")
    return user


# --- the start page, signing up and the home page -------------------------------------------


def test_the_start_page_is_open_to_everyone_and_leads_to_an_account(client, fund_year):
    page = client.get("/apply/")
    assert page.status_code == 200
    text = page.text
    assert "Apply for a community grant" in text
    assert "Councillors&#x27; Community Initiative Fund 2026/27" in text
    assert "Grants from £50.00 to £1,500.00" in text
    assert "Apply by 28 February 2027" in text
    assert 'href="/apply/create-account/"' in text and "Start now" in text
    assert 'href="/sign-in/?next=/apply/"' in text
    assert 'href="/apply/eligibility/"' in text


def test_creating_an_account_sends_a_link_that_signs_the_person_in_as_an_applicant(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/apply/create-account/",
            {
                "first_name": "Rowan",
                "last_name": "Ashby",
                "email": "Rowan@Example.org",
                "password1": "allotment-sheds-2026",
                "password2": "allotment-sheds-2026",
            },
            follow=True,
        )
    assert response.redirect_chain[-1][0] == "/account/check-your-email/"
    assert "Check your email" in response.text and "rowan@example.org" in response.text
    user = User.objects.get(username="rowan@example.org")
    assert user.email == "rowan@example.org" and user.get_full_name() == "Rowan Ashby"
    assert user.groups.filter(name="Applicant").exists()
    assert "_auth_user_id" not in client.session  # not until the address is confirmed
    (mail,) = mailoutbox
    assert mail.to == ["rowan@example.org"]
    link = re.search(r"http://testserver(/account/confirm/\S+/)", mail.body).group(1)
    response = client.post(link, follow=True)
    assert response.redirect_chain[-1][0] == "/apply/"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert "Register your organisation" in response.text
    assert "Your applications" in response.text  # the header link of the Applicant role


def test_an_empty_account_form_says_what_to_enter(client):
    response = client.post("/apply/create-account/", {})
    assert response.status_code == 200
    assert error_summary(response) == [
        "Enter your first name",
        "Enter your last name",
        "Enter your email address",
        "Create a password",
        "Enter your password again",
    ]
    assert response.text.count("<title>Error: Create an account")


def test_passwords_must_match_and_pass_djangos_checks(client):
    response = client.post(
        "/apply/create-account/",
        {
            "first_name": "A",
            "last_name": "B",
            "email": "a@example.org",
            "password1": "password",
            "password2": "different",
        },
    )
    errors = error_summary(response)
    assert "This password is too common." in errors
    assert "Enter the same password in both boxes" in errors
    assert not User.objects.filter(username="a@example.org").exists()


def test_an_email_address_can_have_only_one_account_and_sign_up_never_says_so(
    client, treasurer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/apply/create-account/",
            {
                "first_name": "Tess",
                "last_name": "Again",
                "email": "TREASURER@example.org",
                "password1": "allotment-sheds-2026",
                "password2": "allotment-sheds-2026",
            },
            follow=True,
        )
    assert response.redirect_chain[-1][0] == "/account/check-your-email/"
    assert "already an account" not in response.text
    assert User.objects.filter(email__iexact="treasurer@example.org").count() == 1
    (mail,) = mailoutbox
    assert mail.to == ["treasurer@example.org"]
    assert "Someone tried to create an account" in mail.subject


def test_the_home_page_lists_the_groups_applications_with_what_each_needs_next(
    signed_in, draft, treasurer, officer
):
    other = ApplicationFactory(
        fund_year=draft.fund_year, organisation=draft.organisation, title="Bulb planting"
    )
    journeys.awaiting_support(other, treasurer=treasurer, officer=officer)
    text = signed_in.get("/apply/").text
    assert "Friends of Abbey Park" in text
    assert "New benches for the park" in text and draft.reference in text
    assert "Finish your application and submit it" in text
    assert "Bulb planting" in text
    assert "Waiting for councillor support" in text  # the status tag
    assert "Waiting for a councillor for the ward to support it" in text
    assert f'href="/apply/applications/{draft.pk}/tasks/"' in text
    assert f'href="/apply/applications/{other.pk}/"' in text


def test_the_home_page_asks_a_new_applicant_to_register_their_organisation(client):
    client.force_login(UserFactory(roles=["Applicant"]))
    text = client.get("/apply/").text
    assert "Register your organisation" in text
    assert "Start a new application" not in text


def test_the_home_page_shows_only_the_persons_own_applications(client, draft, stranger):
    client.force_login(stranger)
    text = client.get("/apply/").text
    assert "Another Group" in text
    assert draft.reference not in text and "Friends of Abbey Park" not in text


def _many_applications(group, fund_year, user, count):
    start = Application.objects.count()
    apps = Application.objects.bulk_create(
        [
            Application(
                fund_year=fund_year,
                organisation=group,
                reference=f"BULK26-{start + n:06d}",
                title=f"Project {n}",
                status=[Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.MONITORING][n % 4],
                amount_requested=D("100.00"),
                created_by=user,
            )
            for n in range(count)
        ]
    )
    TransitionLog.objects.bulk_create(
        [
            TransitionLog(
                application=a, transition="submit", from_state="draft", to_state="submitted"
            )
            for a in apps
        ]
    )


def test_the_home_page_makes_the_same_number_of_queries_for_few_or_many_applications(
    signed_in, group, fund_year, treasurer
):
    OrganisationFactory(members=[treasurer], name="Second Group")
    _many_applications(group, fund_year, treasurer, 2)
    with CaptureQueriesContext(connection) as few:
        assert signed_in.get("/apply/").status_code == 200
    _many_applications(group, fund_year, treasurer, 300)
    with CaptureQueriesContext(connection) as many:
        page = signed_in.get("/apply/")
    assert len(many) == len(few)
    assert "Project 299" in page.text and 'aria-label="Page 2"' in page.text


def test_signed_out_visitors_are_sent_to_sign_in(client, draft):
    for url in [
        "/apply/organisations/new/",
        f"/apply/organisations/{draft.organisation_id}/",
        "/apply/new/",
        f"/apply/applications/{draft.pk}/",
        f"/apply/applications/{draft.pk}/tasks/",
        f"/apply/applications/{draft.pk}/check/",
        f"/apply/applications/{draft.pk}/withdraw/",
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/sign-in/?next=/apply/"), url


def test_another_groups_records_are_not_found(client, draft, stranger):
    client.force_login(stranger)
    org = draft.organisation_id
    for url in [
        f"/apply/organisations/{org}/",
        f"/apply/organisations/{org}/edit/",
        f"/apply/organisations/{org}/members/",
        f"/apply/organisations/{org}/bank-details/",
        f"/apply/applications/{draft.pk}/",
        f"/apply/applications/{draft.pk}/tasks/",
        f"/apply/applications/{draft.pk}/about/",
        f"/apply/applications/{draft.pk}/costs/",
        f"/apply/applications/{draft.pk}/check/",
        f"/apply/applications/{draft.pk}/withdraw/",
        f"/apply/applications/{draft.pk}/accept/",
        f"/apply/applications/{draft.pk}/monitoring/",
        f"/apply/applications/{draft.pk}/done/submitted/",
    ]:
        assert client.get(url).status_code == 404, url
    line = draft.budget_lines.get()
    assert client.post(f"/apply/applications/{draft.pk}/costs/{line.pk}/remove/").status_code == 404
    assert client.post(f"/apply/applications/{draft.pk}/check/").status_code == 404
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.budget_lines.exists()


# --- organisations --------------------------------------------------------------------------


def test_registering_an_organisation_gives_the_person_the_role_they_said(client, ward, treasurer):
    client.force_login(treasurer)
    response = client.post(
        "/apply/organisations/new/",
        {
            "name": "Abbey Meadow Allotment Society",
            "kind": "constituted_group",
            "address": "The Allotments\nAbbey Lane",
            "postcode": "tv13xy",
            "ward": ward.pk,
            "email": "allotments@example.org",
            "role": "treasurer",
        },
        follow=True,
    )
    org = Organisation.objects.get(name="Abbey Meadow Allotment Society")
    assert response.redirect_chain[-1][0] == f"/apply/organisations/{org.pk}/"
    assert Membership.objects.get(organisation=org, user=treasurer).role == "treasurer"
    assert "TV1 3XY" in response.text and "You are its treasurer." in response.text
    assert "secretary" not in response.text
    assert "You have not given your bank details yet" in response.text


def test_the_organisation_form_says_what_is_missing(client, ward, treasurer):
    client.force_login(treasurer)
    response = client.post("/apply/organisations/new/", {"kind": "charity"})
    assert error_summary(response) == [
        "Enter the name of your organisation",
        "Enter the address",
        "Enter the postcode",
        "Choose the ward your organisation is based in",
        "Enter the email address for the organisation",
        "Choose your role in the organisation",
    ]
    response = client.post(
        "/apply/organisations/new/",
        {
            "name": "Trust",
            "kind": "charity",
            "address": "x",
            "postcode": "TV1 1AA",
            "ward": ward.pk,
            "email": "t@example.org",
            "role": "chair",
        },
    )
    assert response.status_code == 302  # a charity without a number is registered
    assert Organisation.objects.get(name="Trust").charity_number == ""


def test_members_change_their_organisations_details(signed_in, group):
    page = signed_in.get(f"/apply/organisations/{group.pk}/edit/")
    assert 'value="Friends of Abbey Park"' in page.text
    response = signed_in.post(
        f"/apply/organisations/{group.pk}/edit/",
        {
            "name": "Friends of Abbey Park",
            "kind": "constituted_group",
            "address": "The Lodge",
            "postcode": "TV1 9ZZ",
            "ward": group.ward_id,
            "email": "friends@example.org",
            "phone": "01632 960123",
        },
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.postcode == "TV1 9ZZ" and group.phone == "01632 960123"


def test_the_members_page_makes_the_same_number_of_queries_for_few_or_many(signed_in, group):
    with CaptureQueriesContext(connection) as few:
        signed_in.get(f"/apply/organisations/{group.pk}/members/")
    for n in range(30):
        Membership.objects.create(organisation=group, user=UserFactory(username=f"m{n}"))
    with CaptureQueriesContext(connection) as many:
        page = signed_in.get(f"/apply/organisations/{group.pk}/members/")
    assert len(many) == len(few) and "m29@example.org" in page.text


def test_a_member_invites_someone_who_is_not_a_member_until_they_accept(signed_in, group):
    """The whole journey is in tests/pages/test_invitations.py; here, the members page's part."""
    helper = UserFactory(username="sam", email="sam@example.org", first_name="Sam", last_name="Lee")
    response = signed_in.post(
        f"/apply/organisations/{group.pk}/members/",
        {"email": "SAM@example.org", "role": "chair"},
        follow=True,
    )
    assert "We have sent an invitation to sam@example.org." in response.text
    assert "Sam Lee" not in response.text
    assert not Membership.objects.filter(organisation=group, user=helper).exists()


def test_the_invitation_form_says_what_is_missing(signed_in, group):
    response = signed_in.post(
        f"/apply/organisations/{group.pk}/members/", {"email": "nobody@example.org"}
    )
    assert error_summary(response) == ["Choose their role in the organisation"]
    response = signed_in.post(f"/apply/organisations/{group.pk}/members/", {"role": "member"})
    assert error_summary(response) == ["Enter the email address of the person to invite"]
    assert 'href="#id_email"' in response.text  # the message points at the field it is about


def test_bank_details_are_shown_masked_and_waiting_for_the_council(signed_in, group):
    response = signed_in.post(
        f"/apply/organisations/{group.pk}/bank-details/",
        {
            "account_name": "Friends of Abbey",
            "sort_code": "20-00-00",
            "account_number": "5555 1234",
        },
        follow=True,
    )
    assert "The council will check them before it pays anything" in response.text
    text = response.text
    assert "FRIENDS OF ABBEY" in text and "20-**-**" in text and "Ending 1234" in text
    assert "55551234" not in text and "200000" not in text
    assert "Waiting for the council to check these details." in text
    change = signed_in.get(f"/apply/organisations/{group.pk}/bank-details/").text
    assert "holds any payments due to your organisation until it has checked" in change


def test_bank_details_must_be_well_formed(signed_in, group):
    before = BankAccount.objects.count()
    response = signed_in.post(
        f"/apply/organisations/{group.pk}/bank-details/",
        {"account_name": "", "sort_code": "20-00", "account_number": "12"},
    )
    assert error_summary(response) == [
        "Enter the name on the account",
        "Enter a valid sort code like 309430",
        "Enter a valid account number like 00733445",
    ]
    assert BankAccount.objects.count() == before


def test_verified_and_rejected_bank_details_are_described_in_plain_words(
    signed_in, group, treasurer, finance
):
    account = o.bank_account_change(
        organisation=group,
        by=treasurer,
        account_name="A",
        sort_code="200000",
        account_number="12345678",
    )
    o.bank_account_verify(bank_account=account, by=finance, approve=False, note="Name mismatch")
    text = signed_in.get(f"/apply/organisations/{group.pk}/").text
    assert "The council could not confirm these details: Name mismatch" in text


# --- the eligibility checker ----------------------------------------------------------------


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


@pytest.fixture
def allocated(fund_year, shaw, okafor):
    ledger.allocate_year(fund_year=fund_year, by=None)
    return fund_year


def answers(ward, amount="500.00", kind="constituted_group", capital=False):
    return eligibility.Answers(kind=kind, ward=ward, amount=D(amount), capital=capital)


def test_a_small_project_fits_the_ccif_and_not_the_asset_fund(allocated, caf, ward):
    result = eligibility.check(answers(ward, "500.00"))
    assert [f.fund_year for f in result.fits] == [allocated]
    assert "A councillor for Abbey Meadow must support your application." in result.fits[0].notes
    [miss] = result.does_not_fit
    assert miss.fund_year == caf
    assert miss.reasons == [
        "Community Asset Fund pays only for capital projects: buying, building or improving "
        "something that lasts.",
        "Community Asset Fund gives at least £1,000.00; you need £500.00.",
    ]


def test_a_capital_project_fits_the_asset_fund_with_its_match_funding_share(allocated, caf, ward):
    result = eligibility.check(answers(ward, "8000.00", capital=True))
    assert [f.fund_year for f in result.fits] == [caf]
    assert (
        "You must find at least 20% of the project's cost elsewhere: for £8,000.00 from this "
        "fund, at least £2,000.00 from other sources." in result.fits[0].notes
    )
    assert result.does_not_fit[0].reasons == [
        "Councillors' Community Initiative Fund gives up to £1,500.00; you need £8,000.00."
    ]


def test_schools_and_parish_councils_cannot_apply_to_the_asset_fund(caf, ward):
    for kind, label in [("school", "School"), ("parish", "Parish or town council")]:
        result = eligibility.check(answers(ward, "5000.00", kind=kind, capital=True))
        assert result.fits == []
        assert result.does_not_fit[0].reasons == [
            f"Community Asset Fund is not open to this type of organisation ({label})."
        ]


def test_two_councillors_allocations_together_cover_a_bid(allocated, ward):
    assert eligibility.check(answers(ward, "1500.00")).fits  # £1,000 each


def test_what_councillors_have_pledged_elsewhere_counts_against_the_ward(
    allocated, ward, draft, treasurer, officer, shaw
):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    support.pledge_make(
        application=draft, councillor=shaw, amount=D("900.00"), statement="Yes", by=shaw.user
    )
    result = eligibility.check(answers(ward, "1200.00"))
    assert result.does_not_fit[0].reasons == [
        "The councillors for Abbey Meadow have £1,100.00 left to give from Councillors' "
        "Community Initiative Fund 2026/27; you need £1,200.00."
    ]


def test_a_ward_with_no_councillor_in_office_does_not_fit_an_allocation_fund(allocated):
    empty = WardFactory(name="Empty Ward")
    result = eligibility.check(answers(empty, "100.00"))
    assert result.does_not_fit[0].reasons == [
        "Empty Ward has no councillor in office just now to support a bid to Councillors' "
        "Community Initiative Fund."
    ]


def test_only_funds_open_today_are_checked_and_later_ones_are_listed(allocated, ward):
    later = FundYearFactory(
        fund=FundFactory(code="CB", kind="councillor_budget", name="Ward budgets"),
        opens_on=datetime.date(2027, 1, 1),
    )
    closed = FundYearFactory(
        fund=FundFactory(code="OLD", kind="ccif", name="Old fund"),
        opens_on=datetime.date(2026, 4, 1),
        closes_on=datetime.date(2026, 5, 1),
    )
    day = datetime.date(2026, 11, 23)
    result = eligibility.check(answers(ward, "500.00"), on=day)
    checked = [f.fund_year for f in result.fits + result.does_not_fit]
    assert allocated in checked and later not in checked and closed not in checked
    assert result.opening_later == [later]


def test_other_funding_needed_rounds_up_to_the_penny():
    assert eligibility.other_funding_needed(D("8000.00"), D("20")) == D("2000.00")
    assert eligibility.other_funding_needed(D("100.00"), D("33")) == D("49.26")
    assert eligibility.other_funding_needed(D("100.00"), D("0")) == D("0.00")


def test_the_eligibility_checker_needs_no_account(client, allocated, caf, ward):
    assert "Check which funds fit your project" in client.get("/apply/eligibility/").text
    asked = {"kind": "constituted_group", "ward": ward.pk, "amount": "500", "capital": "no"}
    response = client.get("/apply/eligibility/results/", asked)
    text = response.text
    change = re.search(r'href="(/apply/eligibility/\?[^"]+)"', text).group(1)
    again = client.get(html_text.unescape(change)).text  # the answers are still there
    assert 'value="constituted_group" checked' in re.sub(r"\s+", " ", again)
    assert 'value="500"' in again
    assert "1 fund you can apply to now" in text
    assert "£50.00 to £1,500.00" in text and "28 February 2027" in text
    assert "Funds that do not fit" in text
    assert "Community Asset Fund gives at least £1,000.00; you need £500.00." in text
    assert "Create an account to apply" in text


def test_the_eligibility_questions_say_what_is_missing(client, allocated):
    response = client.get("/apply/eligibility/results/", {"amount": "ten pounds"})
    assert error_summary(response) == [
        "Choose the type of organisation",
        "Choose the ward the project will benefit",
        "Enter the amount you need in pounds and pence, like 750.00",
        "Choose yes if it is a capital project",
    ]
    # Each link goes to something that exists: the first radio of a group, the select, the box.
    for target in ["id_kind_1", "id_ward", "id_amount", "id_capital_1"]:
        assert f'href="#{target}"' in response.text
        assert f'id="{target}"' in response.text


# --- starting an application ----------------------------------------------------------------


def test_only_open_funds_are_offered_and_every_limit_is_shown_before_starting(
    signed_in, group, fund_year, caf
):
    FundYear.objects.filter(pk=caf.pk).update(closes_on=datetime.date(2026, 5, 1))
    text = signed_in.get("/apply/new/").text
    assert "Councillors&#x27; Community Initiative Fund 2026/27" in text
    assert "Community Asset Fund" not in text
    response = signed_in.get("/apply/new/", {"fund_year": fund_year.pk}, follow=True)
    assert response.redirect_chain[-1][0] == f"/apply/new/{fund_year.pk}/"
    text = response.text
    for shown in [
        "Before you start",
        "£50.00",
        "£1,500.00",
        "28 February 2027",
        "Accept it within 28 days",
        "What is the money for?",
        "Which wards will benefit?",
        "When will the project start?",
        "Each file must be 10 MB or smaller.",
        "You are applying for <strong>Friends of Abbey Park</strong>",
    ]:
        assert shown in text, shown
    assert signed_in.get(f"/apply/new/{caf.pk}/").status_code == 404


def test_choosing_no_fund_is_explained(signed_in, group, fund_year):
    response = signed_in.get("/apply/new/", {"fund_year": "999999"})
    assert error_summary(response) == ["Choose one of the funds that is open now"]


def test_starting_makes_a_draft_and_opens_its_task_list(signed_in, group, fund_year):
    response = signed_in.post(f"/apply/new/{fund_year.pk}/", {"organisation": group.pk})
    app = Application.objects.filter(organisation=group).order_by("-pk").first()
    assert response.url == f"/apply/applications/{app.pk}/tasks/"
    assert app.status == Status.DRAFT and list(app.wards.all()) == [group.ward]
    text = signed_in.get(response.url).text
    assert "You have completed 0 of 6 sections." in text
    assert text.count("Not yet started") == 5  # other funding and checking cannot start yet
    assert text.count("Cannot start yet") == 2


def test_a_person_with_two_organisations_chooses_which_applies(
    signed_in, group, fund_year, treasurer
):
    second = OrganisationFactory(members=[treasurer], name="Bowls Club")
    response = signed_in.post(f"/apply/new/{fund_year.pk}/", {})
    assert error_summary(response) == ["Choose the organisation that is applying"]
    signed_in.post(f"/apply/new/{fund_year.pk}/", {"organisation": second.pk})
    assert Application.objects.filter(organisation=second).exists()


def test_someone_without_an_organisation_is_asked_to_register_one(client, fund_year):
    client.force_login(UserFactory(roles=["Applicant"]))
    assert "Register your organisation first" in client.get("/apply/new/").text


# --- the sections ---------------------------------------------------------------------------


def test_sections_are_saved_in_any_order_and_their_status_shown(signed_in, empty_draft, ward):
    url = f"/apply/applications/{empty_draft.pk}"
    response = signed_in.post(
        f"{url}/dates/",
        {
            "version": empty_draft.version,
            "project_start_0": "10",
            "project_start_1": "1",
            "project_start_2": "2027",
            "project_end_0": "20",
            "project_end_1": "3",
            "project_end_2": "2027",
        },
    )
    assert response.url == f"{url}/tasks/"
    empty_draft.refresh_from_db()
    assert empty_draft.project_start == datetime.date(2027, 1, 10)
    tasks = {t.name: t.status for t in sections.tasks(_pages(empty_draft))}
    assert tasks == {
        "About your project": "Not yet started",
        "Project dates": "Completed",
        "Your costs": "Not yet started",
        "How much you are asking for": "Not yet started",
        "Other funding": "Cannot start yet",
        "Documents": "Not yet started",
    }
    signed_in.post(
        f"{url}/about/",
        {
            "version": empty_draft.version,
            "title": "Benches",
            "purpose": "Somewhere to sit",
            "wards": [ward.pk],
            "people_benefiting": "300",
        },
    )
    text = signed_in.get(f"{url}/tasks/").text
    assert "You have completed 2 of 6 sections." in text


def _pages(app):
    return Application.objects.prefetch_related(
        "wards", "budget_lines", "match_funding_sources", "attachments"
    ).get(pk=app.pk)


def test_the_about_section_says_what_is_missing(signed_in, empty_draft):
    response = signed_in.post(
        f"/apply/applications/{empty_draft.pk}/about/",
        {"version": empty_draft.version, "people_benefiting": "lots"},
    )
    assert error_summary(response) == [
        "Enter the project title",
        "Enter what the money is for",
        "Select at least one ward that will benefit",
        "Enter the number of people as a whole number, such as 200",
    ]


def test_a_save_from_a_stale_page_is_refused_and_overwrites_nothing(
    signed_in, empty_draft, treasurer, ward
):
    stale = empty_draft.version
    s.application_update(application=empty_draft, by=treasurer, title="Someone else's title")
    response = signed_in.post(
        f"/apply/applications/{empty_draft.pk}/about/",
        {
            "version": stale,
            "title": "Mine",
            "purpose": "x",
            "wards": [ward.pk],
            "people_benefiting": "3",
        },
    )
    assert response.status_code == 200
    assert error_summary(response) == [
        f"Someone else saved {empty_draft.reference} while you were editing it. Reload the page "
        "to see their changes, then make yours again."
    ]
    empty_draft.refresh_from_db()
    assert empty_draft.title == "Someone else's title"


def test_the_project_cannot_end_before_it_starts(signed_in, empty_draft):
    response = signed_in.post(
        f"/apply/applications/{empty_draft.pk}/dates/",
        {
            "version": empty_draft.version,
            "project_start_0": "10",
            "project_start_1": "3",
            "project_start_2": "2027",
            "project_end_0": "1",
            "project_end_1": "3",
            "project_end_2": "2027",
        },
    )
    assert error_summary(response) == [
        "Project end date must be the same as or after 10 March 2027, the date the project starts"
    ]
    response = signed_in.post(
        f"/apply/applications/{empty_draft.pk}/dates/", {"version": empty_draft.version}
    )
    assert error_summary(response) == [
        "Enter the date the project starts",
        "Enter the date the project ends",
    ]
    assert 'href="#id_project_start_0"' in response.text  # the day box


def test_a_date_that_does_not_exist_is_named_at_the_field_and_in_the_summary(
    signed_in, empty_draft
):
    """31 April: GOV.UK's message for the date input, never Python's "day is out of range"."""
    response = signed_in.post(
        f"/apply/applications/{empty_draft.pk}/dates/",
        {
            "version": empty_draft.version,
            "project_start_0": "31",
            "project_start_1": "4",
            "project_start_2": "2027",
            "project_end_0": "30",
            "project_end_1": "2",
            "project_end_2": "2027",
        },
    )
    assert error_summary(response) == [
        "Project start date must be a real date",
        "Project end date must be a real date",
    ]
    assert "out of range" not in response.text
    assert response.text.count("Project start date must be a real date") == 2  # field, summary
    empty_draft.refresh_from_db()
    assert empty_draft.project_start is None


def test_costs_are_added_removed_and_totalled(signed_in, empty_draft, treasurer):
    url = f"/apply/applications/{empty_draft.pk}/costs"
    text = signed_in.get(f"{url}/").text
    assert "gives grants from £50.00 to £1,500.00" in text
    signed_in.post(f"{url}/", {"item": "Benches", "cost": "450.00", "action": "add"})
    signed_in.post(f"{url}/add/", {"item": "Plaques", "cost": "50"})  # a page drawn before
    text = signed_in.get(f"{url}/").text
    assert "Benches" in text and "Plaques" in text
    assert 'data-testid="lines-total">£500.00<' in text
    empty_draft.refresh_from_db()
    assert empty_draft.total_cost == D("500.00")  # the total is the costs added up
    plaques = empty_draft.budget_lines.get(item="Plaques")
    signed_in.post(f"{url}/{plaques.pk}/remove/")
    assert list(empty_draft.budget_lines.values_list("item", flat=True)) == ["Benches"]
    response = signed_in.post(f"{url}/", {"action": "continue"})
    assert response.url == f"/apply/applications/{empty_draft.pk}/tasks/"
    empty_draft.refresh_from_db()
    response = signed_in.post(
        f"/apply/applications/{empty_draft.pk}/amount/",
        {"version": empty_draft.version, "amount_requested": "£450"},
    )
    assert response.status_code == 302, error_summary(response)
    empty_draft.refresh_from_db()
    assert (empty_draft.total_cost, empty_draft.amount_requested) == (D("450.00"), D("450.00"))
    assert {t.name: t.status for t in sections.tasks(_pages(empty_draft))}[
        "Your costs"
    ] == "Completed"


def test_cost_forms_say_what_is_wrong(signed_in, empty_draft):
    url = f"/apply/applications/{empty_draft.pk}/costs"
    response = signed_in.post(f"{url}/", {"item": "", "cost": "0", "action": "add"})
    assert error_summary(response) == [
        "Enter what you will buy or pay for",
        "The cost must be more than £0.00",
    ]
    response = signed_in.post(
        f"{url}/",
        {
            "item": "Quote",
            "cost": "10",
            "quote": SimpleUploadedFile("x.exe", b"MZ"),
            "action": "add",
        },
    )
    assert error_summary(response) == ["The quote must be a PDF, JPG, PNG, DOCX or XLSX"]
    response = signed_in.post(f"{url}/", {"action": "continue"})
    assert error_summary(response) == [
        "Add at least one cost: what you will buy or pay for, and how much it costs"
    ]
    response = signed_in.post(
        f"/apply/applications/{empty_draft.pk}/amount/",
        {"version": empty_draft.version, "amount_requested": "12.345"},
    )
    assert error_summary(response) == [
        "Enter the amount you are asking for with no more than 2 decimal places, like 500.00"
    ]


def test_other_funding_is_added_and_removed(signed_in, empty_draft, treasurer):
    s.application_update(
        application=empty_draft, by=treasurer, total_cost=D("1000.00"), amount_requested=D("600")
    )
    url = f"/apply/applications/{empty_draft.pk}/other-funding"
    assert "so £400.00 must come from elsewhere" in signed_in.get(f"{url}/").text
    signed_in.post(
        f"{url}/", {"source": "Our savings", "amount": "400", "secured": "yes", "action": "add"}
    )
    source = empty_draft.match_funding_sources.get()
    assert source.amount == D("400.00") and source.secured
    tasks = {t.name: t.status for t in sections.tasks(_pages(empty_draft))}
    assert tasks["Other funding"] == "Completed"
    response = signed_in.post(
        f"{url}/", {"source": "", "amount": "", "secured": "", "action": "add"}
    )
    assert error_summary(response) == [
        "Enter where the money is coming from",
        "Enter the amount of match funding, like 250.00",
        "Choose yes if you have the money or it has been promised",
    ]
    signed_in.post(f"{url}/{source.pk}/remove/")
    assert not empty_draft.match_funding_sources.exists()


def test_documents_are_uploaded_within_the_stated_limits(signed_in, empty_draft):
    url = f"/apply/applications/{empty_draft.pk}/documents/"
    assert "Each file must be 10 MB or smaller." in signed_in.get(url).text
    response = signed_in.post(
        url,
        {
            "description": "Plan",
            "file": SimpleUploadedFile("plan.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024)),
        },
    )
    assert error_summary(response) == ["plan.pdf is 10.0 MB; files must be 10 MB or smaller."]
    response = signed_in.post(url, {"description": "", "file": "", "action": "add"})
    assert error_summary(response) == ["Enter what the document is", "Select a file to upload"]
    signed_in.post(
        url,
        {
            "description": "Quote",
            "file": SimpleUploadedFile("quote.pdf", b"%PDF-1.4", "application/pdf"),
        },
    )
    document = empty_draft.attachments.get()
    assert "Quote" in signed_in.get(url).text
    signed_in.post(f"{url}{document.pk}/remove/")
    assert not empty_draft.attachments.exists()


def test_a_submitted_applications_sections_can_no_longer_be_changed(signed_in, draft, treasurer):
    s.application_submit(application=draft, by=treasurer)
    response = signed_in.get(f"/apply/applications/{draft.pk}/about/", follow=True)
    assert response.redirect_chain[-1][0] == f"/apply/applications/{draft.pk}/"
    assert "its answers can no longer be changed" in response.text


# --- check your answers and submit ----------------------------------------------------------


def test_check_your_answers_shows_every_answer_with_a_change_link(signed_in, draft):
    text = signed_in.get(f"/apply/applications/{draft.pk}/check/").text
    assert "Check your answers before sending your application" in text
    for shown in [
        "New benches for the park",
        "Abbey Meadow",
        "10 January 2027",
        "Benches: £500.00",
    ]:
        assert shown in text, shown
    assert f'href="/apply/applications/{draft.pk}/about/?return=check">Change' in text
    assert f'href="/apply/applications/{draft.pk}/costs/?return=check">Change' in text


def test_a_missing_answer_is_refused_in_the_error_summary(signed_in, empty_draft):
    response = signed_in.post(f"/apply/applications/{empty_draft.pk}/check/")
    assert response.status_code == 200
    [message] = error_summary(response)
    assert message.startswith("Before you submit, add the project title, what the money is for")
    assert "at least one budget line" in message
    empty_draft.refresh_from_db()
    assert empty_draft.status == Status.DRAFT


def test_asking_for_more_than_the_fund_gives_is_refused(signed_in, draft):
    Application.objects.filter(pk=draft.pk).update(amount_requested=D("2000"), total_cost=D("2000"))
    draft.budget_lines.update(cost=D("2000.00"))
    response = signed_in.post(f"/apply/applications/{draft.pk}/check/")
    assert error_summary(response) == [
        "Councillors' Community Initiative Fund awards between £50.00 and £1,500.00; you "
        "asked for £2,000.00."
    ]


def test_too_little_match_funding_is_refused(signed_in, group, caf):
    app = ApplicationFactory(
        fund_year=caf,
        organisation=group,
        reference="CAF26-000001",
        amount_requested=D("9000.00"),
        total_cost=D("10000.00"),
    )
    text = signed_in.get(f"/apply/applications/{app.pk}/costs/").text
    assert "You must find at least 20% of the project’s total cost from elsewhere." in text
    response = signed_in.post(f"/apply/applications/{app.pk}/check/")
    assert error_summary(response) == [
        "Community Asset Fund needs at least 20% of the cost from elsewhere: £2,000.00 of "
        "£10,000.00. Your other funding comes to £1,000.00."
    ]


def test_submitting_after_the_fund_closes_is_refused(signed_in, draft):
    FundYear.objects.filter(pk=draft.fund_year_id).update(closes_on=datetime.date(2026, 5, 1))
    response = signed_in.post(f"/apply/applications/{draft.pk}/check/")
    [message] = error_summary(response)
    assert "takes applications from 1 April 2026 to 1 May 2026" in message


def test_submitting_shows_the_reference_and_what_happens_next(signed_in, draft):
    response = signed_in.post(f"/apply/applications/{draft.pk}/check/", follow=True)
    assert response.redirect_chain[-1][0] == f"/apply/applications/{draft.pk}/done/submitted/"
    assert "Application submitted" in response.text and draft.reference in response.text
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    status = signed_in.get(f"/apply/applications/{draft.pk}/").text
    assert "A grants officer will check that your organisation" in status
    assert "Application submitted by Tess" in status


# --- after submission -----------------------------------------------------------------------


def test_a_request_for_more_information_is_shown_and_the_task_list_opens_again(
    signed_in, draft, treasurer, officer
):
    s.application_submit(application=draft, by=treasurer)
    s.application_return(application=draft, by=officer, reason="Add a quote for the benches.")
    status = signed_in.get(f"/apply/applications/{draft.pk}/").text
    assert "The council needs more information" in status
    assert "Add a quote for the benches." in status
    assert "Continue your application" in status
    tasks = signed_in.get(f"/apply/applications/{draft.pk}/tasks/").text
    assert "The council needs more information" in tasks and "Add a quote" in tasks
    home = signed_in.get("/apply/").text
    assert "Answer the council’s request for more information" in home
    response = signed_in.post(f"/apply/applications/{draft.pk}/check/")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED


def test_the_timeline_shows_each_step_pledge_and_decision_with_its_reasons(
    signed_in, draft, treasurer, officer, officer2, shaw, okafor
):
    journeys.approved(
        draft,
        treasurer=treasurer,
        officer=officer,
        officer2=officer2,
        shaw=shaw,
        okafor=okafor,
        conditions="Credit the council on the benches\nSend photos",
    )
    text = signed_in.get(f"/apply/applications/{draft.pk}/").text
    assert "Offer made" in text  # the status tag
    for shown in [
        "Application submitted by Tess",
        "The council checked that it is eligible",
        "Cllr Sam Shaw supported this bid with £300.00 from their allocation",
        "Much needed",
        "Cllr Priya Okafor supported this bid with £200.00 from their allocation",
        "Grant approved: £500.00",
        "Good value for the park",
        "Credit the council on the benches",
        "Send photos",
        "Accept the offer",
    ]:
        assert shown in text, shown
    assert "Meets every criterion." not in text  # the officer's assessment stays internal
    assert "Recommended: approve" not in text


def test_a_councillors_decline_shows_its_reason(signed_in, draft, treasurer, officer, shaw):
    journeys.awaiting_support(draft, treasurer=treasurer, officer=officer)
    support.pledge_decline(
        application=draft, councillor=shaw, reason="The park has benches already.", by=shaw.user
    )
    text = signed_in.get(f"/apply/applications/{draft.pk}/").text
    assert "Cllr Sam Shaw did not support this bid" in text
    assert "The park has benches already." in text


def test_withdrawing_needs_a_reason_and_confirms(signed_in, draft, treasurer):
    s.application_submit(application=draft, by=treasurer)
    url = f"/apply/applications/{draft.pk}/withdraw/"
    assert "Are you sure you want to withdraw this application?" in signed_in.get(url).text
    response = signed_in.post(url, {"reason": ""})
    assert error_summary(response) == ["Enter why you are withdrawing the application"]
    response = signed_in.post(url, {"reason": "We found the money elsewhere."}, follow=True)
    assert "Application withdrawn" in response.text and draft.reference in response.text
    draft.refresh_from_db()
    assert draft.status == Status.WITHDRAWN
    status = signed_in.get(f"/apply/applications/{draft.pk}/").text
    assert "We found the money elsewhere." in status
    assert "Withdraw this application" not in status


def test_withdrawing_is_offered_only_while_allowed(
    signed_in, draft, treasurer, officer, finance, officer2, shaw, okafor
):
    journeys.paid(
        draft,
        treasurer=treasurer,
        officer=officer,
        officer2=officer2,
        shaw=shaw,
        okafor=okafor,
        finance=finance,
    )
    text = signed_in.get(f"/apply/applications/{draft.pk}/").text
    assert "Withdraw this application" not in text
    response = signed_in.get(f"/apply/applications/{draft.pk}/withdraw/")
    assert response.status_code == 302


@pytest.fixture
def offer(draft, treasurer, officer, officer2, shaw, okafor):
    return journeys.approved(
        draft,
        treasurer=treasurer,
        officer=officer,
        officer2=officer2,
        shaw=shaw,
        okafor=okafor,
        conditions="Credit the council on the benches",
    )


def test_accepting_an_offer_needs_the_declaration(signed_in, offer):
    url = f"/apply/applications/{offer.pk}/accept/"
    text = signed_in.get(url).text
    assert "£500.00" in text and "Credit the council on the benches" in text
    assert offer.offer_expires_on.strftime("%B %Y") in text
    assert "I confirm that I have read the conditions and accept this offer on behalf of" in text
    response = signed_in.post(url, {})
    assert error_summary(response) == [
        "Confirm that you accept the offer on behalf of Friends of Abbey Park"
    ]
    response = signed_in.post(url, {"confirm": "on"}, follow=True)
    assert "Offer accepted" in response.text
    offer.refresh_from_db()
    assert offer.status == Status.OFFER_ACCEPTED


def test_an_expired_offer_is_refused_in_the_error_summary(signed_in, offer):
    Application.objects.filter(pk=offer.pk).update(
        offer_expires_on=datetime.date.today() - datetime.timedelta(days=1)
    )
    response = signed_in.post(f"/apply/applications/{offer.pk}/accept/", {"confirm": "on"})
    [message] = error_summary(response)
    assert message.startswith("The last day to accept this offer was ")


def test_the_monitoring_report_is_sent_once_the_grant_is_paid(signed_in, offer, treasurer, finance):
    url = f"/apply/applications/{offer.pk}/monitoring/"
    assert signed_in.get(url).status_code == 302  # not paid yet
    s.application_accept_offer(application=offer, by=treasurer)
    s.application_record_payment(application=offer, by=finance, amount=D("500.00"), key="p")
    assert "Send your end-of-grant report" in signed_in.get(f"/apply/applications/{offer.pk}/").text
    response = signed_in.post(url, {"amount_spent": "", "outcomes": "", "people_reached": "-1"})
    assert error_summary(response) == [
        "Enter the amount spent, like 480.00",
        "Enter what the project achieved",
        "Enter a number of people of 0 or more",
    ]
    response = signed_in.post(
        url,
        {"amount_spent": "480.00", "outcomes": "Three benches installed.", "people_reached": "250"},
        follow=True,
    )
    assert "Report sent" in response.text
    report = offer.monitoring_reports.get()
    assert report.amount_spent == D("480.00") and report.people_reached == 250
    status = signed_in.get(f"/apply/applications/{offer.pk}/").text
    assert "End-of-grant report sent: £480.00 spent, 250 people reached" in status
    assert "Thank you for your end-of-grant report" in status


# --- the services this area added -----------------------------------------------------------


def test_only_a_member_removes_other_funding_and_only_from_a_draft(draft, treasurer):
    source = s.match_funding_add(
        application=draft, by=treasurer, source="Savings", amount=D("10"), secured=True
    )
    with pytest.raises(NotPermitted):
        group_services.match_funding_remove(source=source, by=UserFactory())
    s.application_submit(application=draft, by=treasurer)
    with pytest.raises(Refused, match="can no longer be changed"):
        group_services.match_funding_remove(source=source, by=treasurer)
    assert draft.match_funding_sources.exists()


def test_a_stranger_cannot_invite_members(group):
    with pytest.raises(NotPermitted):
        group_services.member_invite(
            organisation=group,
            email="treasurer@example.org",
            role="chair",
            by=UserFactory(),
            site="http://testserver",
        )
    assert not group.invitations.exists()


def test_councillors_of_another_ward_are_not_counted(allocated, ward):
    other = WardFactory(name="Brookfield")
    CouncillorFactory(ward=other)
    assert eligibility.ward_can_pledge(allocated, ward, datetime.date(2026, 11, 23))[0] == 2


def test_what_happens_next_says_when_a_date_has_passed(offer):
    offer.last_step, offer.reported = "approve", False
    assert gs.needs_next(offer).startswith("Accept the offer by ")
    offer.offer_expires_on = datetime.date(2026, 1, 1)
    assert gs.needs_next(offer) == "Accept the offer: the last day to accept it was 1 January 2026"
