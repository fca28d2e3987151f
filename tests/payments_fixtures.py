"""Steps the payment and reconciliation tests share: accepted grants, finance officers, runs."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from finance import payments as pay
from tests import journeys
from tests.factories import UserFactory

D = Decimal


def next_weekday(day: datetime.date | None = None) -> datetime.date:
    """Today or the next BACS processing day (a weekday)."""
    day = day or timezone.localdate()
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


@pytest.fixture
def finance2(db):
    return UserFactory(username="finance2", first_name="Fraser", roles=["Finance officer"])


@pytest.fixture
def accepted(draft, treasurer, officer, officer2, shaw, okafor):
    """The £500 CCIF grant to Friends of Abbey Park, approved and accepted: one payment due."""
    return journeys.offer_accepted(
        draft, treasurer=treasurer, officer=officer, officer2=officer2, shaw=shaw, okafor=okafor
    )


def prepared_run(finance, day=None):
    return pay.payment_run_prepare(by=finance, pay_date=next_weekday(day))


def paid_run(finance, finance2, day=None):
    run = prepared_run(finance, day)
    return pay.payment_run_authorise(run=run, by=finance2)


@pytest.fixture
def run_of_two(accepted, finance, finance2):
    """The £500 grant paid in two £250 instalments, sent in one run: on the council's statement
    it is one £500 debit (the run's contra)."""
    from budgets.payments import Instalment

    today = timezone.localdate()
    pay.instalments_set(
        application=accepted,
        by=finance,
        instalments=[Instalment(D("250.00"), today), Instalment(D("250.00"), today)],
    )
    return paid_run(finance, finance2)
