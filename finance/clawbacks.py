"""Monitoring and clawback: which grants owe money back, and raising the request.

From each group's monitoring report, the underspend is what was paid less what it spent; above
the fund year's threshold the whole underspend is clawed back. A revoked grant owes everything
paid. The money side (requests, refunds posted to the ledger) is `budgets.clawback`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch, Q

from applications.models import Application, MonitoringReport
from applications.workflow import Status
from budgets.clawback import clawback_create
from budgets.models import Clawback
from fundmgr.errors import Refused
from fundmgr.models import User
from fundmgr.money import pounds
from fundmgr.notifications import notify

ZERO = Decimal("0.00")


@dataclass
class Underspend:
    application: Application
    paid: Decimal
    spent: Decimal | None  # None: revoked, no report needed
    clawback: Clawback | None

    @property
    def owed(self) -> Decimal:
        if self.spent is None:
            return self.paid
        return max(self.paid - self.spent, ZERO)

    @property
    def threshold(self) -> Decimal:
        return self.application.fund_year.clawback_threshold

    @property
    def due(self) -> bool:
        """A request is due: revoked with money paid, or unspent above the threshold."""
        if self.spent is None:
            return self.owed > 0
        return self.owed > self.threshold

    @property
    def reason(self) -> str:
        if self.spent is None:
            return f"Revoked: {pounds(self.paid)} paid is to be repaid."
        return (
            f"Underspend: {pounds(self.spent)} spent of {pounds(self.paid)} paid; "
            f"{pounds(self.owed)} unspent, above the {pounds(self.threshold)} threshold."
        )


def underspends() -> list[Underspend]:
    """Grants with a monitoring report showing money unspent, and revoked grants with money
    paid, with any clawback already raised. Three queries."""
    apps = list(
        Application.objects.filter(
            Q(status__in=[Status.MONITORING, Status.CLOSED], monitoring_reports__isnull=False)
            | Q(status=Status.REVOKED, paid_to_date__gt=0)
        )
        .distinct()
        .select_related("organisation", "fund_year__fund", "fund_year__year")
        .prefetch_related(
            Prefetch("monitoring_reports", queryset=MonitoringReport.objects.order_by("-pk"))
        )
        .order_by("reference")
    )
    raised: dict[str, Clawback] = {}
    for clawback in (
        Clawback.objects.filter(reference__in=[a.reference for a in apps])
        .exclude(status=Clawback.Status.CANCELLED)
        .order_by("pk")
    ):
        raised[clawback.reference] = clawback
    rows = []
    for app in apps:
        if app.status == Status.REVOKED:
            spent = None
        else:
            reports = list(app.monitoring_reports.all())
            spent = reports[0].amount_spent
            if spent >= app.paid_to_date:
                continue
        rows.append(Underspend(app, app.paid_to_date, spent, raised.get(app.reference)))
    return rows


@transaction.atomic
def clawback_raise(*, application: Application, by: User) -> Clawback:
    """Ask the group for the money back: the request is recorded and the group is told."""
    row = next((r for r in underspends() if r.application.pk == application.pk), None)
    if row is None or not row.due:
        raise Refused(f"{application.reference} owes nothing back under the fund's rules.")
    app = row.application
    clawback = clawback_create(
        reference=app.reference,
        fund_year=app.fund_year,
        payee=app.organisation.name,
        amount=row.owed,
        reason=row.reason,
        by=by,
    )
    notify(
        to=[app.organisation.email, *app.organisation.members.values_list("email", flat=True)],
        subject=f"{app.reference}: please repay {pounds(clawback.amount)}",
        body=(
            f"{app.reference}: {app.title}\n\n{row.reason}\n\n"
            f"Please repay {pounds(clawback.amount)} within 30 days by bank transfer, quoting "
            f"{clawback.number}. The council's letter gives the account to pay into; contact the "
            "grants team if you think this is wrong."
        ),
        reference=app.reference,
    )
    return clawback


def application_for(clawback: Clawback) -> Application:
    return Application.objects.select_related(
        "organisation", "fund_year__fund", "fund_year__year"
    ).get(reference=clawback.reference)
