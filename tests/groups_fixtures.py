"""Steps the community-group page tests share: an application taken through the services to the
state a page needs, as tests/applications/test_services.py drives them."""

from __future__ import annotations

from decimal import Decimal

from applications import services as s
from applications import support
from decisions import services as d

D = Decimal


def to_awaiting_support(app, treasurer, officer):
    s.application_submit(application=app, by=treasurer)
    return s.application_mark_eligible(application=app, by=officer)


def supported(app, shaw, okafor):
    support.pledge_make(
        application=app,
        councillor=shaw,
        amount=D("300.00"),
        statement="The benches are much needed.",
        by=shaw.user,
    )
    support.pledge_make(
        application=app, councillor=okafor, amount=D("200.00"), statement="Agreed", by=okafor.user
    )


def approve(app, *, treasurer, officer, officer2, shaw, okafor, conditions: str = ""):
    """Submit, mark eligible, two pledges, an assessment and an officer's approval of £500."""
    to_awaiting_support(app, treasurer, officer)
    supported(app, shaw, okafor)
    d.assessment_record(
        application=app,
        by=officer,
        recommendation="approve",
        recommended_amount=D("500.00"),
        notes="Meets every criterion.",
    )
    d.decision_record(
        application=app,
        by=officer2,
        outcome="approve",
        amount=D("500.00"),
        reasons="Good value for the park's users.",
        conditions=conditions,
    )
    app.refresh_from_db()
    return app
