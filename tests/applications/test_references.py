# ruff: noqa: F811 (pytest fixtures are imported, then named as arguments)
"""Application references come from one counter per fund year: CCIF26-000123, at least six
digits, never more than the 16 characters that leave room for a payment's "/9" in BACS's 18.
Past the last number that fits, a new application is refused with the reason, never a 500."""

from __future__ import annotations

import datetime
import html
import importlib
import re
from decimal import Decimal

import pytest
from django.apps import apps as django_apps

from applications.models import Application, ReferenceCounter
from budgets import bacs
from budgets.payments import MAX_INSTALMENTS, payment_reference
from tests.api_fixtures import API, PROBLEM, client_for
from tests.factories import ApplicationFactory, FundFactory, FundYearFactory

pytestmark = pytest.mark.django_db

COUNCIL = bacs.Originator(
    service_user_number="912345",
    name="Thornbury Vale DC",
    sort_code="309950",
    account_number="10203040",
    account_name="TVDC GRANTS",
)


def error_summary(response) -> list[str]:
    """Each message of the page's GOV.UK error summary, linked or not."""
    page = response.content.decode()
    assert "govuk-error-summary__list" in page, "the page has no error summary"
    listed = page[page.index("govuk-error-summary__list") :]
    listed = listed[: listed.index("</ul>")]
    items = re.findall(r"<li>(.*?)</li>", listed, flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def start(client, fund_year, organisation):
    return client.post(
        f"{API}/applications/",
        {"fund_year": fund_year.pk, "organisation": organisation.pk, "title": "Bulbs"},
        format="json",
    )


def counter_at(fund_year, number: int) -> None:
    ReferenceCounter.objects.update_or_create(fund_year=fund_year, defaults={"last_number": number})


def bacs_reference_field(reference: str) -> str:
    """The reference as the BACS file carries it, for a payment of 1p."""
    credit = bacs.Credit("200000", "12345678", "A GROUP", Decimal("0.01"), reference)
    content = bacs.standard18(
        originator=COUNCIL,
        credits=[credit],
        serial="000042",
        processing_day=datetime.date(2027, 5, 14),
        created=datetime.date(2027, 5, 12),
        narrative="GRANTS RUN 000042",
    )
    standard = content.decode("ascii").split("\r\n")[4]
    return standard[64:82].rstrip()  # characters 65 to 82


def test_references_go_on_past_999999_through_the_api(draft, treasurer):
    """The old rule took the last reference as text, where 999999 sorts after 1000000: from
    CCIF26-1000000 every new application was a 500."""
    fund_year = draft.fund_year
    ApplicationFactory(
        fund_year=fund_year, organisation=draft.organisation, reference="CCIF26-999997"
    )
    counter_at(fund_year, 999_997)
    client = client_for(treasurer)

    made = []
    for _ in range(6):
        response = start(client, fund_year, draft.organisation)
        assert response.status_code == 201, response.content
        made.append(response.json()["reference"])

    assert made == [
        "CCIF26-999998",
        "CCIF26-999999",
        "CCIF26-1000000",
        "CCIF26-1000001",
        "CCIF26-1000002",
        "CCIF26-1000003",
    ]
    assert len(set(Application.objects.values_list("reference", flat=True))) == (
        Application.objects.count()
    )
    for reference in made:
        last_instalment = payment_reference(reference, MAX_INSTALMENTS)
        assert len(last_instalment) <= 18
        assert bacs_reference_field(last_instalment) == last_instalment


def test_numbers_below_a_million_keep_six_digits(draft, treasurer):
    counter_at(draft.fund_year, 122)
    response = start(client_for(treasurer), draft.fund_year, draft.organisation)
    assert response.json()["reference"] == "CCIF26-000123"


def test_a_fund_year_without_a_counter_starts_after_its_highest_reference_by_value(
    draft, treasurer
):
    """A fund year made after the migration has no counter until its first application."""
    for reference in ("CCIF26-999999", "CCIF26-1000000"):
        ApplicationFactory(
            fund_year=draft.fund_year, organisation=draft.organisation, reference=reference
        )
    ReferenceCounter.objects.filter(fund_year=draft.fund_year).delete()
    response = start(client_for(treasurer), draft.fund_year, draft.organisation)
    assert response.status_code == 201, response.content
    assert response.json()["reference"] == "CCIF26-1000001"


def test_the_migration_starts_each_counter_at_its_highest_number_by_value(draft, treasurer):
    other_year = FundYearFactory(fund=FundFactory(code="CAF", name="Community Asset Fund"))
    for fund_year, reference in (
        (draft.fund_year, "CCIF26-999999"),
        (draft.fund_year, "CCIF26-1000004"),
        (draft.fund_year, "CCIF26-000100"),
        (other_year, "CAF26-000041"),
    ):
        ApplicationFactory(
            fund_year=fund_year, organisation=draft.organisation, reference=reference
        )
    ReferenceCounter.objects.all().delete()
    migration = importlib.import_module("applications.migrations.0005_reference_counter")

    migration.start_counters(django_apps, None)

    client = client_for(treasurer)
    assert start(client, draft.fund_year, draft.organisation).json()["reference"] == (
        "CCIF26-1000005"
    )
    assert start(client, other_year, draft.organisation).json()["reference"] == "CAF26-000042"


def test_a_reference_made_without_the_counter_is_never_given_again(draft, treasurer):
    """An import or a benchmark that wrote references of its own must not make every new
    application fail on the unique reference."""
    counter_at(draft.fund_year, 700_004)
    ApplicationFactory(
        fund_year=draft.fund_year, organisation=draft.organisation, reference="CCIF26-700005"
    )
    ApplicationFactory(
        fund_year=draft.fund_year, organisation=draft.organisation, reference="CCIF26-700009"
    )
    client = client_for(treasurer)
    assert start(client, draft.fund_year, draft.organisation).json()["reference"] == (
        "CCIF26-700010"
    )
    assert start(client, draft.fund_year, draft.organisation).json()["reference"] == (
        "CCIF26-700011"
    )


def test_past_the_last_reference_that_fits_bacs_the_application_is_refused(draft, treasurer):
    """CCIF26- leaves nine digits: CCIF26-999999999 is 16 characters, and its ninth payment
    CCIF26-999999999/9 is BACS's 18."""
    counter_at(draft.fund_year, 999_999_998)
    client = client_for(treasurer)
    last = start(client, draft.fund_year, draft.organisation)
    assert last.status_code == 201
    assert last.json()["reference"] == "CCIF26-999999999"
    assert bacs_reference_field("CCIF26-999999999/9") == "CCIF26-999999999/9"
    before = Application.objects.count()

    refused = start(client, draft.fund_year, draft.organisation)

    assert refused.status_code == 409
    assert refused["Content-Type"] == PROBLEM
    assert refused.json()["detail"] == (
        "No more applications can be made to the Councillors' Community Initiative Fund "
        "2026/27: its last reference, CCIF26-999999999, is the longest that fits in a BACS "
        "payment reference (18 characters with the payment's number). Ask the council's "
        "grants team."
    )
    assert Application.objects.count() == before
    assert ReferenceCounter.objects.get(fund_year=draft.fund_year).last_number == 999_999_999


def test_a_six_letter_fund_has_seven_digits_and_the_page_says_when_they_run_out(
    client, draft, treasurer
):
    fund = FundFactory(code="PARKSF", name="Parks Fund")
    fund_year = FundYearFactory(fund=fund)
    counter_at(fund_year, 9_999_998)
    api = client_for(treasurer)
    last = start(api, fund_year, draft.organisation).json()["reference"]
    assert last == "PARKSF26-9999999" and len(last) == 16
    client.force_login(treasurer)

    page = client.post(f"/apply/new/{fund_year.pk}/", {"organisation": draft.organisation.pk})

    assert page.status_code == 200
    assert error_summary(page) == [
        "No more applications can be made to the Parks Fund 2026/27: its last reference, "
        "PARKSF26-9999999, is the longest that fits in a BACS payment reference (18 characters "
        "with the payment's number). Ask the council's grants team."
    ]
