# ruff: noqa: F811 (the fixtures imported below are used as arguments)
"""Letters check their own dates: no letter asks for anything by a day before its own date. The
offer letter's end-of-grant report date is the fund's rule (`applications.deadlines`), the same
date the group's status page shows once the grant is paid."""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from applications.deadlines import report_due_on
from applications.models import Application
from decisions import documents
from decisions import services as d
from fundmgr.documents import stored_content
from tests import journeys
from tests.documents_fixtures import CONDITIONS, awaiting, flat, media, pdf_text  # noqa: F401
from tests.payments_fixtures import finance2, paid_run

__all__ = ["awaiting", "media", "finance2"]
D = Decimal
pytestmark = pytest.mark.django_db

LETTER_DAY = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=ZoneInfo("Europe/London"))
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"


def asked_by(text: str) -> list[datetime.date]:
    """Every "by 22 October 2026" the letter asks for."""
    return [
        datetime.datetime.strptime(f"{day} {month} {year}", "%d %B %Y").date()
        for day, month, year in re.findall(rf"\bby (\d{{1,2}}) ({MONTHS}) (\d{{4}})", text)
    ]


def approve_on_letter_day(app: Application, officer2, project_end: datetime.date):
    Application.objects.filter(pk=app.pk).update(
        project_start=project_end - datetime.timedelta(days=60), project_end=project_end
    )
    app.refresh_from_db()
    with time_machine.travel(LETTER_DAY, tick=False):
        decision = d.decision_record(
            application=app,
            by=officer2,
            outcome="approve",
            amount=D("450.00"),
            reasons="Good value for the ward.",
            conditions=CONDITIONS,
        )
        letter = documents.offer_letter(application=app)
    app.refresh_from_db()
    return decision, flat(pdf_text(stored_content(letter)))


def test_a_project_that_ended_before_the_letter_gets_the_funds_days_from_the_letter(
    awaiting, officer2
):
    # The letter: dated 4 December 2026, for a project that ended on 24 July 2026,
    # asked for the report "by 22 October 2026" (24 July + 90 days).
    _, text = approve_on_letter_day(awaiting, officer2, datetime.date(2026, 7, 24))
    assert "22 October 2026" not in text
    assert (
        "Your project ended on 24 July 2026, before this letter, so send us an end-of-grant "
        "report within 90 days of the date of this letter, by 4 March 2027" in text
    )
    asks = asked_by(text)
    assert asks and all(day > LETTER_DAY.date() for day in asks)


def test_a_project_ending_after_the_letter_is_due_the_funds_days_after_its_end(awaiting, officer2):
    _, text = approve_on_letter_day(awaiting, officer2, datetime.date(2027, 1, 31))
    assert "within 90 days of the project's end, by 1 May 2027" in text
    assert all(day > LETTER_DAY.date() for day in asked_by(text))


def test_the_status_page_shows_the_date_the_letter_gave(
    client, awaiting, officer2, treasurer, finance, finance2
):
    approve_on_letter_day(awaiting, officer2, datetime.date(2026, 7, 24))
    with time_machine.travel(LETTER_DAY + datetime.timedelta(days=1), tick=True):
        journeys.offer_accepted(awaiting, treasurer=treasurer, officer=officer2, officer2=officer2)
        paid_run(finance, finance2)
    awaiting.refresh_from_db()
    assert awaiting.status == "monitoring"
    assert awaiting.monitoring_due_on == datetime.date(2027, 3, 4)
    assert report_due_on(awaiting) == datetime.date(2027, 3, 4)
    client.force_login(treasurer)
    page = client.get(f"/apply/applications/{awaiting.pk}/").text
    assert "due on 4 March 2027" in page
