"""The public grants pages and downloads, and the officers' and councillors' dashboards."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from applications import services as s
from applications.models import Application, TransitionLog
from applications.workflow import Status
from budgets.models import Account
from fundmgr.models import User
from tests.factories import UserFactory
from transparency.population import ward_population_import
from transparency.scope import EVERYTHING, Filters
from transparency.spend import breakdowns

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.transparency_fixtures"]
D = Decimal
PUBLIC = ["/grants/", "/grants/wards/", "/grants/360giving/"]


def text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


def visible(response) -> str:
    """The words on a page, tags stripped and spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


@pytest.fixture
def grants(town):
    """A paid grant to an unregistered group in Abbey Meadow from a councillor's ward budget, an
    offer to a charity in Brookfield from the asset fund, and a bid never decided."""
    park = town.award(
        town.bid(town.group("Friends of Abbey Park"), fund_year=town.ward_budget, amount="400.00"),
        pay="400.00",
    )
    library = town.award(
        town.bid(
            town.group("Brookfield Library", ward=town.brook, charity_number="1990127"),
            amount="1200.00",
            wards=[town.brook],
            title="Large-print books",
        ),
        accept=False,
    )
    pending = town.bid(town.group("Kingsmoor Rugby Club"), title="Floodlights")
    s.application_submit(application=pending, by=town.treasurer)
    return park, library, pending


# --- the public pages ---------------------------------------------------------------------------


def test_the_public_list_shows_awarded_grants_to_anyone(client, grants):
    page = client.get("/grants/")
    assert page.status_code == 200
    words = visible(page)
    assert "Friends of Abbey Park" in words and "£400.00" in words
    assert "Brookfield Library" in words and "£1,200.00" in words
    assert "Kingsmoor Rugby Club" not in words
    assert "1 to 2 of 2" in words


def test_the_public_list_filters_by_ward_fund_and_year(client, grants):
    words = visible(client.get("/grants/", {"ward": "E05800002"}))
    assert "Brookfield Library" in words and "Friends of Abbey Park" not in words
    words = visible(client.get("/grants/", {"fund": "CB"}))
    assert "Friends of Abbey Park" in words and "Brookfield Library" not in words
    words = visible(client.get("/grants/", {"year": "2026/27", "fund": "CAF"}))
    assert "Brookfield Library" in words and "Friends of Abbey Park" not in words
    assert "Grants in 2026/27" in words


def test_a_filter_that_makes_no_sense_is_explained_not_a_500(client, grants):
    page = client.get("/grants/", {"ward": "E05999999", "year": "1999/00"})
    assert page.status_code == 200
    assert "There is a problem" in text(page) and "Choose from the list" in text(page)
    assert "Friends of Abbey Park" in visible(page)  # the list still shows, unfiltered


def test_the_signed_out_start_page_links_to_the_grants_awarded(client, db):
    page = client.get("/apply/")
    assert 'href="/grants/"' in text(page)


def test_the_ward_profile_shows_its_grants_groups_and_money_per_head(client, grants, town):
    ward_population_import(data="gss_code,population,year\nE05800002,8000,2021\n")
    page = client.get("/grants/wards/E05800002/")
    words = visible(page)
    assert "Brookfield" in words and "Brookfield Library" in words
    assert "8,000 (2021)" in words
    assert "£0.15" in words  # £1,200 for 8,000 people
    assert "Friends of Abbey Park" not in words


def test_a_ward_profile_of_no_ward_is_not_found(client, db):
    assert client.get("/grants/wards/E05999999/").status_code == 404


def test_the_wards_page_lists_every_ward_with_its_money(client, grants):
    words = visible(client.get("/grants/wards/", {"year": "2026/27"}))
    assert re.search(r"Abbey Meadow 1 £400\.00", words)
    assert re.search(r"Brookfield 1 £1,200\.00", words)


def test_the_downloads_page_offers_each_year_and_explains_the_files(client, grants):
    page = client.get("/grants/360giving/")
    body = text(page)
    assert "/grants/360giving/grants-2026-27.json" in body
    assert "/grants/360giving/grants-2026-27.xlsx" in body
    assert "/grants/transparency-code/grants-2026-27.csv" in body
    assert "lapsed unaccepted" in body


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("/grants/360giving/grants-2026-27.json", "application/json"),
        ("/grants/360giving/grants-all.csv", "text/csv"),
        ("/grants/360giving/grants-2026-27.xlsx", "spreadsheetml"),
        ("/grants/transparency-code/grants-2026-27.csv", "text/csv"),
    ],
)
def test_each_file_downloads_without_signing_in(client, grants, url, kind):
    response = client.get(url)
    assert response.status_code == 200
    assert kind in response["Content-Type"]
    assert "attachment" in response["Content-Disposition"]


def test_the_json_download_is_the_360giving_package(client, grants):
    import json

    from transparency import schema

    package = json.loads(text(client.get("/grants/360giving/grants-2026-27.json")))
    assert len(package["grants"]) == 2
    assert schema.errors(package) == []


def test_a_year_with_no_grants_has_no_file(client, grants):
    from budgets.models import FinancialYear

    FinancialYear.objects.create(start=timezone.localdate().replace(year=2030, month=4, day=1))
    assert client.get("/grants/360giving/grants-2030-31.json").status_code == 404
    assert client.get("/grants/360giving/grants-2041-42.json").status_code == 404


def test_public_pages_and_files_show_no_personal_data(client, grants, town):
    """No person's name or e-mail, no group's e-mail, phone, address or postcode, no councillor
    on the public list."""
    from applications.models import Organisation

    people = [
        *[(u.get_full_name(), u.email) for u in User.objects.all()],
        *[(c.name, "") for c in town.shaw.__class__.objects.all()],
    ]
    forbidden = {value for pair in people for value in pair if value}
    for org in Organisation.objects.all():
        forbidden |= {org.email, org.phone, org.postcode, org.address.splitlines()[0]}
    assert "Tessaly Hollingsworth" in forbidden and "Sam Shawcross" in forbidden
    urls = [
        *PUBLIC,
        "/grants/?ward=E05800001",
        "/grants/wards/E05800001/",
        "/grants/wards/E05800002/",
        "/grants/360giving/grants-all.json",
        "/grants/360giving/grants-all.csv",
        "/grants/transparency-code/grants-all.csv",
    ]
    for url in urls:
        body = text(client.get(url))
        found = [value for value in forbidden if value in body]
        assert found == [], f"{url} shows {found}"


def test_the_xlsx_download_shows_no_personal_data(client, grants, town):
    response = client.get("/grants/360giving/grants-all.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["grants"]
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    for user in User.objects.all():
        assert user.get_full_name() not in cells and user.email not in cells
    assert "@groups.example.org" not in cells and "Larkspur Close" not in cells


def many_awarded(n: int, town, group, prefix: str) -> None:
    """`n` awarded grants written in bulk, each with its approve step."""
    apps = Application.objects.bulk_create(
        Application(
            fund_year=town.asset,
            organisation=group,
            reference=f"{prefix}-{i:06d}",
            status=Status.CLOSED,
            title=f"Project {i}",
            amount_requested=D("100.00"),
            total_cost=D("100.00"),
            amount_awarded=D("100.00"),
            paid_to_date=D("100.00"),
            awarded_at=timezone.now(),
            created_by=town.treasurer,
            submitted_at=timezone.now(),
        )
        for i in range(n)
    )
    Through = Application.wards.through
    Through.objects.bulk_create(Through(application=a, ward=town.abbey) for a in apps)
    TransitionLog.objects.bulk_create(
        TransitionLog(application=a, transition="approve", from_state="x", to_state="approved")
        for a in apps
    )


def count_queries(client, url) -> int:
    # A page as it is asked for again: the first request after signing in also writes the
    # time of the request into the session (fundmgr.sign_in.StaffIdleSignOut).
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/grants/", "/grants/wards/E05800001/", "/grants/wards/"])
def test_public_pages_take_the_same_number_of_queries_for_few_grants_and_many(client, town, url):
    group = town.group("Friends of Abbey Park")
    many_awarded(3, town, group, "FEW")
    few = count_queries(client, url)
    many_awarded(120, town, group, "MANY")
    assert count_queries(client, url) == few


# --- dashboards ---------------------------------------------------------------------------------


def test_dashboards_need_a_sign_in(client, db):
    response = client.get("/dashboards/")
    assert response.status_code == 302 and "/sign-in/" in response["Location"]


def test_an_applicant_may_not_see_the_dashboards(client, town):
    client.force_login(town.treasurer)
    assert client.get("/dashboards/spend/").status_code == 403
    assert client.get("/dashboards/spend/download/").status_code == 403


@pytest.mark.parametrize("role", ["Grants officer", "Finance officer", "Auditor", "Councillor"])
def test_officers_auditors_and_councillors_have_a_dashboards_link(client, town, role):
    user = town.shaw.user if role == "Councillor" else UserFactory(roles=[role])
    client.force_login(user)
    assert 'href="/dashboards/"' in text(client.get("/budgets/"))


def test_an_applicant_has_no_dashboards_link(client, town):
    client.force_login(town.treasurer)
    assert 'href="/dashboards/"' not in text(client.get("/apply/"))


def test_an_unknown_dashboard_is_not_found(client, town):
    client.force_login(town.officer)
    assert client.get("/dashboards/nonsense/").status_code == 404


@pytest.mark.parametrize("slug", ["spend", "pipeline", "timing", "clawback"])
def test_every_dashboard_shows_a_chart_and_its_table(client, grants, town, slug):
    client.force_login(town.officer)
    page = client.get(f"/dashboards/{slug}/")
    assert page.status_code == 200
    body = text(page)
    assert 'class="fm-chart' in body and "<table" in body
    assert f'href="/dashboards/{slug}/download/' in body


def pence(amount) -> int:
    return int(D(amount) * 100)


def ledger_total(**lookup) -> int:
    return pence(Account.objects.filter(**lookup).aggregate(t=Sum("balance"))["t"] or 0)


def test_spend_by_ward_fund_councillor_and_year_adds_up_to_the_ledger(grants, town):
    park, library, _ = grants
    s.application_accept_offer(application=library, by=town.treasurer)
    s.application_record_payment(
        application=library, by=town.finance, amount=D("450.25"), key="lib:1"
    )
    tables = breakdowns(Filters(), EVERYTHING)
    paid, committed = ledger_total(kind="paid"), ledger_total(kind="commitment")
    assert (paid, committed) == (pence("850.25"), pence("749.75"))
    for by in ("ward", "fund", "councillor", "year"):
        assert tables[by].totals[2:4] == [paid, committed], by
    rows = {row[0]: row for row in tables["councillor"].rows}
    shaw_paid = ledger_total(kind="paid", councillor=town.shaw)
    assert rows["Cllr Sam Shawcross (Abbey Meadow)"][2] == shaw_paid == pence("400.00")
    pot = rows["Central pot (no councillor)"]
    assert pot[2:4] == [
        ledger_total(kind="paid", councillor__isnull=True),
        ledger_total(kind="commitment", councillor__isnull=True),
    ]
    wards = {row[0]: row for row in tables["ward"].rows}
    assert wards["Brookfield"][2:4] == [pence("450.25"), pence("749.75")]


def test_a_grant_to_two_wards_is_shared_between_them_to_the_penny(town):
    app = town.bid(
        town.group("Friends of Abbey Park"), amount="100.01", wards=[town.abbey, town.brook]
    )
    town.award(app, pay="100.01")
    rows = {row[0]: row for row in breakdowns(Filters(), EVERYTHING)["ward"].rows}
    assert rows["Abbey Meadow"][2] == 5001 and rows["Brookfield"][2] == 5000


def test_a_councillor_sees_their_own_ward_and_allocation_only(client, grants, town):
    client.force_login(town.shaw.user)
    words = visible(client.get("/dashboards/spend/", {"year": ""}))
    assert "Abbey Meadow" in words
    assert "Brookfield" not in words
    assert "Cllr Sam Shawcross" in words and "Okaforth" not in words
    assert "Central pot" not in words


def test_the_dashboards_default_to_this_financial_year(client, grants, town):
    client.force_login(town.officer)
    words = visible(client.get("/dashboards/spend/"))
    assert "Every ward, every fund, 2026/27" in words


def test_the_pipeline_counts_applications_in_each_state(client, grants, town):
    client.force_login(town.officer)
    words = visible(client.get("/dashboards/pipeline/"))
    assert re.search(r"Submitted 1 £500\.00 £0\.00", words)
    assert re.search(r"Offer made 1 £1,200\.00 £1,200\.00", words)
    assert re.search(r"Paid: monitoring 1 £400\.00 £400\.00", words)


def test_clawback_is_due_on_an_underspend_above_the_threshold_and_refunds_count(client, town):
    app = town.award(town.bid(town.group("Friends of Abbey Park"), amount="800.00"), pay="800.00")
    s.monitoring_report_submit(
        application=app,
        by=town.treasurer,
        amount_spent=D("600.00"),
        outcomes="Done",
        people_reached=9,
    )
    from budgets import ledger

    ledger.refund_post(reference=app.reference, amount=D("50.00"), by=None, key="refund:claw")
    client.force_login(town.officer)
    words = visible(client.get("/dashboards/clawback/"))
    # Awarded £800, spent £600: £200 underspend over the £50 threshold; £50 back, £150 owed.
    assert re.search(
        r"Community Asset Fund 2026/27 1 £800\.00 £600\.00 £200\.00 £200\.00 £50\.00 £150\.00",
        words,
    )
    assert app.reference in words


def test_a_dashboards_tables_download_as_xlsx(client, grants, town):
    client.force_login(town.officer)
    response = client.get("/dashboards/spend/download/", {"year": "2026/27"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["By ward", "By fund", "By councillor", "By financial year"]
    sheet = book["By ward"]
    assert [c.value for c in sheet[1]] == [
        "Ward",
        "Grants",
        "Paid",
        "Committed",
        "Total",
    ]
    rows = {r[0].value: [c.value for c in r] for r in sheet.iter_rows(min_row=2)}
    assert rows["Abbey Meadow"][2] == 400.0
    assert rows["Total"][3] == 1200.0


def test_dashboard_pages_take_the_same_number_of_queries_for_few_grants_and_many(client, town):
    group = town.group("Friends of Abbey Park")
    many_awarded(3, town, group, "FEW")
    client.force_login(town.officer)
    few = {slug: count_queries(client, f"/dashboards/{slug}/") for slug in ("spend", "pipeline")}
    many_awarded(80, town, group, "MANY")
    assert {slug: count_queries(client, f"/dashboards/{slug}/") for slug in few} == few


@pytest.mark.parametrize("slug", ["spend", "pipeline", "timing", "clawback"])
def test_a_dashboard_with_nothing_to_count_says_so(client, db, slug):
    client.force_login(UserFactory(roles=["Grants officer"]))
    page = client.get(f"/dashboards/{slug}/")
    assert page.status_code == 200
    assert "None under these filters." in text(page) or "There are no applications" in text(page)
    assert client.get(f"/dashboards/{slug}/download/").status_code == 200


@pytest.mark.parametrize("url", PUBLIC)
def test_the_public_pages_work_before_any_grant_is_awarded(client, db, url):
    assert client.get(url).status_code == 200


def test_time_to_decision_and_payment_counts_from_the_first_submission(client, town):
    import datetime
    from unittest import mock

    start = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)
    app = town.bid(town.group("Friends of Abbey Park"))
    with mock.patch("django.utils.timezone.now", return_value=start):
        s.application_submit(application=app, by=town.treasurer)
    with mock.patch("django.utils.timezone.now", return_value=start + datetime.timedelta(days=3)):
        s.application_return(application=app, by=town.officer, reason="Add a quote.")
        s.application_submit(application=app, by=town.treasurer)  # the clock does not restart
    with mock.patch("django.utils.timezone.now", return_value=start + datetime.timedelta(days=10)):
        s.application_mark_eligible(application=app, by=town.officer)
        from decisions import services as d

        d.assessment_record(
            application=app,
            by=town.officer,
            recommendation="approve",
            recommended_amount=D("500.00"),
            notes="Good.",
        )
        d.decision_record(
            application=app, by=town.officer2, outcome="approve", amount=D("500.00"), reasons="Ok"
        )
    with mock.patch("django.utils.timezone.now", return_value=start + datetime.timedelta(days=20)):
        s.application_accept_offer(application=app, by=town.treasurer)
        s.application_record_payment(
            application=app, by=town.finance, amount=D("500.00"), key="pay:timed"
        )
    client.force_login(town.officer)
    words = visible(client.get("/dashboards/timing/"))
    assert re.search(r"Community Asset Fund 2026/27 1 10\.0 1 20\.0", words)
    assert "The 1 took 10 days on average." in words
    assert re.search(r"Time from submission to first payment .*? 2 to 4 weeks 1", words)
