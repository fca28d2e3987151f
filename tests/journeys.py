"""An application brought to any state through the real services, as people would take it there.

Each function takes the application from wherever it is to the state it names, running only the
steps still to do, so a test says where it starts and nothing else::

    app = journeys.approved(draft, treasurer=treasurer, officer=officer, officer2=officer2,
                            shaw=shaw, okafor=okafor)

The steps are the conftest's cast: the group's treasurer submits; a grants officer checks
eligibility and assesses; the ward's councillors Shaw and Okafor pledge £300 and the rest (£200
of the usual £500 draft), which completes the support; a second grants officer decides; the
treasurer accepts; a finance officer pays. A fund paid from the central pot has no support step,
so Shaw and Okafor are not needed there. Everything goes through `applications.services`,
`applications.support` and `decisions.services`, with their checks, ledger postings and logs.
"""

from __future__ import annotations

from decimal import Decimal

from applications import services as s
from applications import support
from applications.models import Application
from applications.workflow import Status
from decisions import services as d

ORDER = [
    Status.DRAFT,
    Status.SUBMITTED,
    Status.AWAITING_SUPPORT,
    Status.UNDER_ASSESSMENT,
    Status.AWAITING_DECISION,
    Status.APPROVED,
    Status.OFFER_ACCEPTED,
    Status.MONITORING,
]
SHAW_PLEDGES = Decimal("300.00")  # Okafor pledges the rest of the amount asked for
ASSESSMENT = "Meets every criterion."
REASONS = "Good value for the park's users."


def _before(app: Application, status: Status) -> bool:
    """Whether the application has still to reach `status` (read afresh from the database)."""
    app.refresh_from_db()
    return ORDER.index(Status(app.status)) < ORDER.index(status)


def _at(app: Application, status: Status) -> Application:
    """The application, which the steps must have brought to `status`."""
    app.refresh_from_db()
    assert app.status == status, f"{app.reference} is {app.status}, not {status}"
    return app


def submitted(app: Application, *, treasurer) -> Application:
    if _before(app, Status.SUBMITTED):
        s.application_submit(application=app, by=treasurer)
        return _at(app, Status.SUBMITTED)
    return app


def awaiting_support(app: Application, *, treasurer, officer) -> Application:
    """Submitted and found eligible: waiting for the councillors (or, for a fund that needs no
    support, already under assessment)."""
    submitted(app, treasurer=treasurer)
    if _before(app, Status.AWAITING_SUPPORT):
        s.application_mark_eligible(application=app, by=officer)
        app.refresh_from_db()
    return app


def supported(app: Application, *, shaw, okafor) -> Application:
    """Shaw pledges £300 ("Much needed") and Okafor the rest ("Agreed"): the support is
    complete and the application moves on to assessment."""
    support.pledge_make(
        application=app,
        councillor=shaw,
        amount=min(SHAW_PLEDGES, app.amount_requested),
        statement="Much needed",
        by=shaw.user,
    )
    rest = app.amount_requested - SHAW_PLEDGES
    if rest > 0:
        support.pledge_make(
            application=app, councillor=okafor, amount=rest, statement="Agreed", by=okafor.user
        )
    app.refresh_from_db()
    return app


def under_assessment(
    app: Application, *, treasurer, officer, shaw=None, okafor=None
) -> Application:
    awaiting_support(app, treasurer=treasurer, officer=officer)
    if app.status == Status.AWAITING_SUPPORT:
        supported(app, shaw=shaw, okafor=okafor)
        return _at(app, Status.UNDER_ASSESSMENT)
    return app


def awaiting_decision(
    app: Application, *, treasurer, officer, shaw=None, okafor=None, amount: str | None = None
) -> Application:
    """Assessed by `officer`, who recommends approving `amount` (the amount asked for)."""
    under_assessment(app, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor)
    if _before(app, Status.AWAITING_DECISION):
        d.assessment_record(
            application=app,
            by=officer,
            recommendation="approve",
            recommended_amount=Decimal(amount) if amount else app.amount_requested,
            notes=ASSESSMENT,
        )
        return _at(app, Status.AWAITING_DECISION)
    return app


def approved(
    app: Application,
    *,
    treasurer,
    officer,
    officer2,
    shaw=None,
    okafor=None,
    amount: str | None = None,
    reasons: str = REASONS,
    conditions: str = "",
) -> Application:
    """An offer made: `officer2` (not the assessor) approves `amount`, the amount asked for
    unless told, with the reasons and conditions given."""
    awaiting_decision(app, treasurer=treasurer, officer=officer, shaw=shaw, okafor=okafor)
    if _before(app, Status.APPROVED):
        d.decision_record(
            application=app,
            by=officer2,
            outcome="approve",
            amount=Decimal(amount) if amount else app.amount_requested,
            reasons=reasons,
            conditions=conditions,
        )
        return _at(app, Status.APPROVED)
    return app


def offer_accepted(
    app: Application, *, treasurer, officer, officer2, shaw=None, okafor=None, **decision
) -> Application:
    """The treasurer accepts the offer: the grant waits to be paid."""
    approved(
        app,
        treasurer=treasurer,
        officer=officer,
        officer2=officer2,
        shaw=shaw,
        okafor=okafor,
        **decision,
    )
    if _before(app, Status.OFFER_ACCEPTED):
        s.application_accept_offer(application=app, by=treasurer)
        return _at(app, Status.OFFER_ACCEPTED)
    return app


def paid(
    app: Application, *, treasurer, officer, officer2, finance, shaw=None, okafor=None, **decision
) -> Application:
    """The whole award paid by `finance` (the group needs verified bank details): monitoring."""
    offer_accepted(
        app,
        treasurer=treasurer,
        officer=officer,
        officer2=officer2,
        shaw=shaw,
        okafor=okafor,
        **decision,
    )
    if _before(app, Status.MONITORING):
        s.application_record_payment(
            application=app,
            by=finance,
            amount=app.amount_awarded - app.paid_to_date,
            key=f"journeys:{app.reference}",
        )
        return _at(app, Status.MONITORING)
    return app
