"""The payments of a grant whose offer is accepted: one, due now, or two halves for a large
Community Asset Fund grant. Here, not in `finance.payments`, because accepting the offer
(`applications.services`) makes them, and applications never imports the finance app, which
sets and pays the instalments afterwards."""

from __future__ import annotations

from decimal import ROUND_DOWN

from applications import rules
from applications.models import Application
from budgets.models import Fund, PaymentSchedule
from budgets.payments import Instalment, schedule_create
from fundmgr.models import User
from fundmgr.money import PENNY

SECOND_STAGE = "Evidence that the first stage of the project is complete"


def default_instalments(app: Application) -> list[Instalment]:
    """One payment, due now; a Community Asset Fund grant above the officer's delegated limit
    is paid in two halves, the second once the first stage is shown to be complete."""
    today = rules.today()
    award = app.amount_awarded
    fund_year = app.fund_year
    if fund_year.fund.kind != Fund.Kind.COMMUNITY_ASSET or award <= fund_year.delegated_limit:
        return [Instalment(award, today)]
    first = (award / 2).quantize(PENNY, rounding=ROUND_DOWN)
    start, end = app.project_start or today, app.project_end or today
    middle = max(today, start + (end - start) / 2)
    return [Instalment(first, today), Instalment(award - first, middle, SECOND_STAGE)]


def schedule_for_offer(app: Application, *, by: User) -> PaymentSchedule:
    """Called by `application_accept_offer`, in its transaction: the accepted grant's payments."""
    existing = PaymentSchedule.objects.filter(reference=app.reference).first()
    if existing is not None:
        return existing
    return schedule_create(
        reference=app.reference,
        fund_year=app.fund_year,
        payee=app.organisation.name,
        award=app.amount_awarded,
        instalments=default_instalments(app),
        by=by,
    )
