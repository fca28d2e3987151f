"""The application's question pages through the test client, as GOV.UK's question pages, task
list and check-answers patterns describe them: "Save and come back later" keeps whatever was
typed, the task list says what is missing, money that does not add up says by how much, Change
links come back to Check your answers, a draft is named by its first answer, and the
eligibility checker's answers carry into the application."""

import datetime
import html as html_text
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services as s
from applications.models import Application
from fundmgr.errors import NotPermitted, Refused
from tests.factories import OrganisationFactory, UserFactory, WardFactory

D = Decimal
pytestmark = pytest.mark.django_db


def error_summary(response) -> list[str]:
    html = response.content.decode()
    assert "govuk-error-summary" in html, "the page has no error summary"
    summary = html[html.index("govuk-error-summary") :]
    summary = summary[: summary.index("</ul>")]
    found = re.findall(r"<a href=[^>]*>(.*?)</a>", summary, flags=re.S)
    return [html_text.unescape(re.sub(r"\s+", " ", m).strip()) for m in found]


def field_errors(response) -> list[str]:
    """The messages shown at the fields themselves (GOV.UK's error message component)."""
    found = re.findall(
        r'class="govuk-error-message">\s*<span class="govuk-visually-hidden">Error:</span>'
        r"(.*?)</span>",
        response.content.decode(),
        flags=re.S,
    )
    return [html_text.unescape(re.sub(r"\s+", " ", m).strip()) for m in found]


def text_of(response) -> str:
    return html_text.unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def group(ward, treasurer):
    return OrganisationFactory(ward=ward, members=[treasurer], name="Friends of Abbey Park")


@pytest.fixture
def signed_in(client, treasurer):
    client.force_login(treasurer)
    return client


@pytest.fixture
def empty_draft(group, treasurer, fund_year):
    return s.application_create(fund_year=fund_year, organisation=group, by=treasurer)


@pytest.fixture
def outsider(db):
    """A member of another group."""
    user = UserFactory(username="outsider", roles=["Applicant"])
    OrganisationFactory(members=[user], name="Another Group")
    return user


def url(app, page: str) -> str:
    return f"/apply/applications/{app.pk}/{page}/"


THIRTY_FIRST_APRIL = {
    "project_start_0": "31",
    "project_start_1": "04",
    "project_start_2": "2026",
    "project_end_0": "",
    "project_end_1": "",
    "project_end_2": "",
}


# --- save and come back later ---------------------------------------------------------------


def test_every_question_page_offers_save_and_come_back_later(signed_in, empty_draft):
    for page in ("about", "dates", "costs", "amount", "other-funding", "documents"):
        text = signed_in.get(url(empty_draft, page)).text
        assert 'name="action" value="later"' in text, page
        assert "Save and come back later" in text, page
        assert "Save and continue" in text, page


def test_an_impossible_date_is_kept_as_typed_without_errors_until_continue(signed_in, empty_draft):
    response = signed_in.post(
        url(empty_draft, "dates"),
        {
            "csrfmiddlewaretoken": "not-an-answer",
            "version": empty_draft.version,
            "action": "later",
            **THIRTY_FIRST_APRIL,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url(empty_draft, "tasks")
    assert "Your answers have been saved" in response.text
    empty_draft.refresh_from_db()
    assert empty_draft.project_start is None  # nothing invalid goes into the answers
    kept = empty_draft.draft_answers["dates"]
    assert kept["project_start_0"] == ["31"] and kept["project_start_1"] == ["04"]
    assert "csrfmiddlewaretoken" not in kept and "action" not in kept and "version" not in kept
    # The task list says the section is under way and what is wrong with it.
    tasks = text_of(response)
    assert re.search(r"Project dates.*?Project start date must be a real date.*?In progress", tasks)
    # Coming back: exactly what was typed, and no error yet.
    page = signed_in.get(url(empty_draft, "dates"))
    assert 'name="project_start_0" value="31"' in page.text
    assert 'name="project_start_1" value="04"' in page.text
    assert "govuk-error-summary" not in page.text and "govuk-error-message" not in page.text
    # Continue: GOV.UK's message at the field and in the summary.
    data = {"version": empty_draft.version, "action": "continue", **THIRTY_FIRST_APRIL}
    response = signed_in.post(url(empty_draft, "dates"), data)
    assert error_summary(response) == [
        "Project start date must be a real date",
        "Enter the date the project ends",
    ]
    assert field_errors(response) == error_summary(response)
    assert "out of range" not in response.text


def test_half_an_about_section_is_kept_and_names_the_draft(signed_in, empty_draft, ward):
    signed_in.post(
        url(empty_draft, "about"),
        {
            "version": empty_draft.version,
            "title": "Allotment sheds",
            "purpose": "",
            "wards": [ward.pk],
            "people_benefiting": "lots",
            "action": "later",
        },
    )
    page = signed_in.get(url(empty_draft, "about")).text
    assert 'value="Allotment sheds"' in page and 'value="lots"' in page
    assert "govuk-error-message" not in page
    home = signed_in.get("/apply/").text
    assert "Allotment sheds" in home and "Untitled" not in home
    tasks = text_of(signed_in.get(url(empty_draft, "tasks")))
    assert "Enter what the money is for" in tasks
    assert "Enter the number of people as a whole number, such as 200" in tasks


def test_valid_answers_saved_for_later_go_into_the_application(signed_in, empty_draft, ward):
    s.application_draft_keep(
        application=empty_draft,
        by=empty_draft.created_by,
        section="about",
        answers={"title": ["Old typing"]},
    )
    response = signed_in.post(
        url(empty_draft, "about"),
        {
            "version": empty_draft.version,
            "title": "Benches",
            "purpose": "Somewhere to sit",
            "wards": [ward.pk],
            "people_benefiting": "300",
            "action": "later",
        },
    )
    assert response.url == url(empty_draft, "tasks")
    empty_draft.refresh_from_db()
    assert (empty_draft.title, empty_draft.people_benefiting) == ("Benches", 300)
    assert "about" not in empty_draft.draft_answers  # the kept typing gave way to the answers
    assert re.search(
        r"About your project.*?Completed", text_of(signed_in.get(url(empty_draft, "tasks")))
    )


def test_a_half_typed_cost_is_kept_as_typed_and_no_file_is_kept(signed_in, empty_draft):
    response = signed_in.post(
        url(empty_draft, "costs"),
        {
            "item": "Paint",
            "cost": "£12,50x",
            "quote": SimpleUploadedFile("quote.pdf", b"%PDF-1.4", "application/pdf"),
            "action": "later",
        },
    )
    assert response.url == url(empty_draft, "tasks")
    empty_draft.refresh_from_db()
    assert not empty_draft.budget_lines.exists()
    assert empty_draft.draft_answers["costs"] == {"item": ["Paint"], "cost": ["£12,50x"]}
    page = signed_in.get(url(empty_draft, "costs")).text
    assert 'value="Paint"' in page and 'value="£12,50x"' in page
    assert "govuk-error-message" not in page
    response = signed_in.post(url(empty_draft, "costs"), {"item": "Paint", "cost": "£12,50x"})
    assert error_summary(response) == ["Enter the cost in pounds and pence, like 250.00"]
    assert field_errors(response) == error_summary(response)


def test_a_document_page_saved_for_later_keeps_the_description_only(signed_in, empty_draft):
    signed_in.post(
        url(empty_draft, "documents"),
        {"description": "Constitution", "file": "", "action": "later"},
    )
    empty_draft.refresh_from_db()
    assert empty_draft.draft_answers["documents"] == {"description": ["Constitution"]}
    assert 'value="Constitution"' in signed_in.get(url(empty_draft, "documents")).text


def test_a_file_refused_by_the_service_is_named_at_the_field_too(signed_in, empty_draft):
    big = SimpleUploadedFile("plan.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024))
    response = signed_in.post(
        url(empty_draft, "documents"), {"description": "Plan", "file": big, "action": "add"}
    )
    expected = ["plan.pdf is 10.0 MB; files must be 10 MB or smaller."]
    assert error_summary(response) == expected and field_errors(response) == expected
    empty_draft.refresh_from_db()
    assert empty_draft.draft_answers["documents"] == {"description": ["Plan"]}


def test_an_outsider_cannot_save_into_another_groups_draft(client, empty_draft, outsider):
    client.force_login(outsider)
    for page in ("about", "dates", "costs", "amount", "other-funding", "documents"):
        response = client.post(
            url(empty_draft, page), {"title": "Mine now", "item": "x", "action": "later"}
        )
        assert response.status_code == 404, page
    response = client.post("/apply/applications/999999/about/", {"title": "x", "action": "later"})
    assert response.status_code == 404
    empty_draft.refresh_from_db()
    assert empty_draft.draft_answers == {} and empty_draft.title == ""
    with pytest.raises(NotPermitted):
        s.application_draft_keep(
            application=empty_draft, by=outsider, section="about", answers={"title": ["x"]}
        )


def test_a_submitted_application_keeps_no_more_typing(signed_in, treasurer, fund_year, group):
    from tests.factories import ApplicationFactory

    app = ApplicationFactory(fund_year=fund_year, organisation=group, created_by=treasurer)
    s.application_submit(application=app, by=treasurer)
    response = signed_in.post(url(app, "about"), {"title": "Changed", "action": "later"})
    assert response.status_code == 302 and response.url == f"/apply/applications/{app.pk}/"
    with pytest.raises(Refused):
        s.application_draft_keep(
            application=app, by=treasurer, section="about", answers={"title": ["x"]}
        )
    app.refresh_from_db()
    assert app.draft_answers == {}


# --- the task list says what is missing -----------------------------------------------------


def test_the_task_list_says_what_is_missing_in_each_section(signed_in, empty_draft, treasurer):
    s.application_update(
        application=empty_draft,
        by=treasurer,
        project_start=datetime.date(2027, 1, 10),
        amount_requested=D("1500.00"),
    )
    s.budget_line_add(application=empty_draft, by=treasurer, item="Shed", cost=D("1200.00"))
    s.application_costs_settle(application=empty_draft, by=treasurer)
    text = text_of(signed_in.get(url(empty_draft, "tasks")))
    assert re.search(r"Project dates.*?Enter the project end date.*?In progress", text)
    assert re.search(
        r"Your costs.*?Your costs add up to £1,200.00 but you asked for £1,500.00 — £300.00 "
        r"short.*?In progress",
        text,
    )
    # A section not yet opened is not a list of every question on it.
    assert re.search(r"About your project</a> </div>.*?Not yet started", text)
    assert "Enter the project title" not in text
    assert re.search(
        r"How much you are asking for.*?You asked for £1,500.00, more than your costs of "
        r"£1,200.00: change the amount or add costs.*?In progress",
        text,
    )
    assert "You have completed 0 of 6 sections." in text
    assert "Incomplete" not in text
    # Checking cannot start until every required section is complete, and is not a link.
    assert re.search(r"Check your answers and submit.*?Cannot start yet", text)
    assert f'href="{url(empty_draft, "check")}"' not in text


def test_other_funding_cannot_start_before_the_costs_and_amount(signed_in, empty_draft):
    text = text_of(signed_in.get(url(empty_draft, "tasks")))
    assert re.search(
        r"Other funding.*?Add your costs and how much you are asking for first.*?Cannot start yet",
        text,
    )
    assert f'href="{url(empty_draft, "other-funding")}"' not in text


# --- money that does not add up -------------------------------------------------------------


def test_asking_for_more_than_the_costs_says_by_how_much_at_the_field(
    signed_in, empty_draft, treasurer
):
    s.budget_line_add(application=empty_draft, by=treasurer, item="Shed", cost=D("1200.00"))
    response = signed_in.post(
        url(empty_draft, "amount"),
        {"version": empty_draft.version, "amount_requested": "£1,500", "action": "continue"},
    )
    expected = (
        "Your costs add up to £1,200.00, £300.00 less than the £1,500.00 you asked for. Add "
        "costs or change the amount you are asking for"
    )
    assert error_summary(response) == [expected]
    assert field_errors(response) == [expected]
    empty_draft.refresh_from_db()
    assert empty_draft.amount_requested is None


def test_the_amount_asked_must_be_within_the_funds_limits(signed_in, empty_draft):
    response = signed_in.post(
        url(empty_draft, "amount"),
        {"version": empty_draft.version, "amount_requested": "2000"},
    )
    expected = (
        "Ask for an amount from £50.00 to £1,500.00: the Councillors' Community Initiative "
        "Fund gives grants of that size"
    )
    assert error_summary(response) == [expected] and field_errors(response) == [expected]


def test_costs_that_fall_short_of_the_amount_asked_are_refused_on_continue(
    signed_in, empty_draft, treasurer
):
    s.application_update(application=empty_draft, by=treasurer, amount_requested=D("1500.00"))
    s.budget_line_add(application=empty_draft, by=treasurer, item="Shed", cost=D("1200.00"))
    page = text_of(signed_in.get(url(empty_draft, "costs")))
    assert "£300.00 less than the £1,500.00 you asked for" in page  # said before continuing
    response = signed_in.post(url(empty_draft, "costs"), {"action": "continue"})
    expected = (
        "Your costs add up to £1,200.00, £300.00 less than the £1,500.00 you asked for. Add "
        "costs or change the amount you are asking for"
    )
    assert error_summary(response) == [expected] and field_errors(response) == [expected]
    assert 'href="#id_item"' in response.text


# --- check your answers ---------------------------------------------------------------------


@pytest.fixture
def complete(fund_year, group, treasurer):
    from tests.factories import ApplicationFactory

    return ApplicationFactory(fund_year=fund_year, organisation=group, created_by=treasurer)


def test_change_links_come_back_to_check_your_answers(signed_in, complete):
    text = signed_in.get(url(complete, "check")).text
    end = re.search(
        r'<a class="govuk-link" href="([^"]+)">Change<span class="govuk-visually-hidden"> '
        r"project end date</span></a>",
        text,
    )
    assert end and end.group(1) == f"{url(complete, 'dates')}?return=check"
    page = signed_in.get(end.group(1)).text
    assert f'href="{url(complete, "check")}" class="govuk-back-link"' in page
    response = signed_in.post(
        end.group(1),
        {
            "version": complete.version,
            "project_start_0": "10",
            "project_start_1": "1",
            "project_start_2": "2027",
            "project_end_0": "31",
            "project_end_1": "3",
            "project_end_2": "2027",
        },
    )
    assert response.url == url(complete, "check")
    complete.refresh_from_db()
    assert complete.project_end == datetime.date(2027, 3, 31)
    # The amount asked for has its own page, and its Change link too.
    assert f'href="{url(complete, "amount")}?return=check">Change' in text


def test_the_return_parameter_never_sends_anyone_elsewhere(signed_in, complete):
    for target in ("https://evil.example/", "//evil.example", "/apply/", "checkx"):
        response = signed_in.post(
            f"{url(complete, 'dates')}?return={target}",
            {
                "version": complete.version,
                "project_start_0": "10",
                "project_start_1": "1",
                "project_start_2": "2027",
                "project_end_0": "20",
                "project_end_1": "3",
                "project_end_2": "2027",
            },
        )
        complete.refresh_from_db()
        assert response.url == url(complete, "tasks"), target


# --- a draft's name -------------------------------------------------------------------------


def test_a_draft_without_a_title_is_named_by_the_day_it_was_started(signed_in, empty_draft):
    name = "Bid started 23 November 2026"
    for page in ("/apply/", f"/apply/applications/{empty_draft.pk}/", url(empty_draft, "tasks")):
        text = signed_in.get(page).text
        assert name in text, page
        assert "Untitled" not in text, page


# --- the eligibility checker ----------------------------------------------------------------


@pytest.mark.parametrize("typed", ["£800", "800.00", "£800.00", "800"])
def test_the_eligibility_checker_takes_money_as_people_write_it(client, fund_year, ward, typed):
    response = client.get(
        "/apply/eligibility/results/",
        {"kind": "constituted_group", "ward": ward.pk, "amount": typed, "capital": "no"},
    )
    assert "govuk-error-summary" not in response.text
    assert "£800.00" in response.text


def test_the_eligibility_answers_fill_in_the_application(signed_in, group, fund_year):
    other = WardFactory(name="Castle")
    signed_in.get(
        "/apply/eligibility/results/",
        {"kind": "constituted_group", "ward": other.pk, "amount": "£1,250", "capital": "no"},
    )
    page = text_of(signed_in.get(f"/apply/new/{fund_year.pk}/"))
    assert "Castle as the ward that benefits, £1,250.00 as the amount you are asking for" in page
    response = signed_in.post(f"/apply/new/{fund_year.pk}/", {"organisation": group.pk})
    app = Application.objects.get(organisation=group)
    assert response.url == url(app, "tasks")
    assert app.amount_requested == D("1250.00")
    assert list(app.wards.all()) == [other]
    # Used once: the next application starts empty.
    signed_in.post(f"/apply/new/{fund_year.pk}/", {"organisation": group.pk})
    second = Application.objects.filter(organisation=group).exclude(pk=app.pk).get()
    assert second.amount_requested is None and list(second.wards.all()) == [group.ward]


def test_a_fund_that_fits_leads_straight_to_its_start(signed_in, group, fund_year, shaw):
    from budgets import ledger

    ledger.allocate_year(fund_year=fund_year, by=None)
    results = signed_in.get(
        "/apply/eligibility/results/",
        {"kind": "constituted_group", "ward": shaw.ward.pk, "amount": "£480", "capital": "no"},
    ).text
    assert "1 fund you can apply to now" in results
    assert f'href="/apply/new/{fund_year.pk}/"' in results


def test_a_tampered_eligibility_session_fills_in_nothing_wrong(signed_in, group, fund_year):
    session = signed_in.session
    session["eligibility_answers"] = {"ward": "1; drop", "amount": "NaN", "capital": "no"}
    session.save()
    signed_in.post(f"/apply/new/{fund_year.pk}/", {"organisation": group.pk})
    app = Application.objects.get(organisation=group)
    assert app.amount_requested is None and list(app.wards.all()) == [group.ward]
