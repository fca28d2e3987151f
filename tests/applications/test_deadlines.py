"""applications.deadlines: the end-of-grant report is due the fund's days after the project ends,
and never sooner than that many days after the offer letter."""

import datetime

import pytest

from applications.deadlines import report_due_on
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def app(fund_year):
    fund_year.monitoring_due_days = 90
    fund_year.save()
    return ApplicationFactory(
        fund_year=fund_year, project_start=D(2026, 5, 1), project_end=D(2026, 7, 24)
    )


def test_a_project_ending_after_the_letter_is_due_the_funds_days_after_its_end(app):
    app.project_end = D(2027, 1, 31)
    assert report_due_on(app, letter_on=D(2026, 12, 4)) == D(2027, 5, 1)


def test_a_project_that_ended_before_the_letter_is_due_the_funds_days_after_the_letter(app):
    # 24 July + 90 days is 22 October 2026, before a letter of 4 December 2026.
    assert report_due_on(app, letter_on=D(2026, 12, 4)) == D(2027, 3, 4)


def test_the_due_date_is_never_before_the_letter_whatever_the_project_dates(app):
    letter = D(2026, 12, 4)
    for end in (D(2026, 4, 1), D(2026, 12, 3), D(2026, 12, 4), D(2026, 12, 5), D(2027, 3, 1)):
        app.project_end = end
        assert report_due_on(app, letter_on=letter) >= letter + datetime.timedelta(days=90)


def test_without_a_letter_date_it_counts_from_the_approval(app):
    import time_machine

    from applications.models import TransitionLog

    with time_machine.travel(datetime.datetime(2026, 12, 4, 10, tzinfo=datetime.UTC)):
        TransitionLog.objects.create(
            application=app,
            transition="approve",
            from_state="awaiting_decision",
            to_state="approved",
        )
    assert report_due_on(app) == D(2027, 3, 4)
