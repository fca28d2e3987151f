"""Monitoring and clawback: which grants owe money back, and raising the request.

From each group's monitoring report, the underspend is what was paid less what it spent; above
the fund year's threshold the whole underspend is clawed back. A revoked grant owes everything
paid. The money side (requests, refunds posted to the ledger) is `budgets.clawback`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL

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


def _underspent() -> QuerySet[Application]:
    """Grants owing something back, in the database: a monitoring report (the latest) showing
    less spent than paid, or revoked with money paid. Each carries `spent`, its latest report's
    figure (None when there is no report).

    On PostgreSQL both facts are kept on the grant's row by the triggers of
    finance/migrations/0004_underspend_facts.py, and the grants owing have their own index in
    reference order, so a list is a walk of that index and its count counts the grants owing,
    not every grant monitored. Elsewhere each grant's latest report is asked."""
    found: QuerySet[Application]
    if connection.vendor == "postgresql":
        found = Application.objects.annotate(
            spent=RawSQL('"applications_application"."finance_spent"', [], DecimalField()),
            owing=RawSQL('"applications_application"."finance_owing"', [], BooleanField()),
        ).filter(owing=True)
    else:
        latest = (
            MonitoringReport.objects.filter(application=OuterRef("pk"))
            .order_by("-pk")
            .values("amount_spent")[:1]
        )
        found = Application.objects.annotate(spent=Subquery(latest)).filter(
            Q(status__in=[Status.MONITORING, Status.CLOSED], spent__lt=F("paid_to_date"))
            | Q(status=Status.REVOKED, paid_to_date__gt=0)
        )
    return found.select_related("organisation", "fund_year__fund", "fund_year__year").order_by(
        "reference"
    )


def _is_due() -> Q:
    """Underspend.due in the database: revoked, or unspent above the fund year's threshold."""
    return Q(status=Status.REVOKED) | Q(
        paid_to_date__gt=F("spent") + F("fund_year__clawback_threshold")
    )


def _asked() -> Exists:
    return Exists(
        Clawback.objects.filter(reference=OuterRef("reference")).exclude(
            status=Clawback.Status.CANCELLED
        )
    )


def to_ask() -> QuerySet[Application]:
    """The grants a request is due for and not yet raised (`rows` makes them Underspends). On
    PostgreSQL whether one was raised is kept on the grant's row (`finance_asked`, by
    finance/migrations/0009_clawback_asked.py), and the grants owing and not asked have their
    own index: the grants already asked, which gather year on year, are not passed."""
    if connection.vendor == "postgresql":
        asked = RawSQL('"applications_application"."finance_asked"', [], BooleanField())
        return _underspent().annotate(asked=asked).filter(_is_due(), asked=False)
    return _underspent().filter(_is_due()).exclude(_asked())


def within_threshold() -> QuerySet[Application]:
    """Unspent money a group keeps: at or below its fund year's threshold."""
    return _underspent().exclude(_is_due())


def rows(apps, raised: dict[str, Clawback] | None = None) -> list[Underspend]:
    """Underspends of applications from `_underspent` (`spent` annotated)."""
    return [
        Underspend(
            app,
            app.paid_to_date,
            None if app.status == Status.REVOKED else app.spent,  # type: ignore[attr-defined]
            (raised or {}).get(app.reference),
        )
        for app in apps
    ]


def underspends(*, application: Application | None = None) -> list[Underspend]:
    """Grants with a monitoring report showing money unspent, and revoked grants with money
    paid, with any clawback already raised (of one application, if given). Two queries."""
    found = _underspent()
    if application is not None:
        found = found.filter(pk=application.pk)
    apps = list(found)
    raised: dict[str, Clawback] = {}
    for clawback in (
        Clawback.objects.filter(reference__in=[a.reference for a in apps])
        .exclude(status=Clawback.Status.CANCELLED)
        .order_by("pk")
    ):
        raised[clawback.reference] = clawback
    return rows(apps, raised)


@transaction.atomic
def clawback_raise(*, application: Application, by: User) -> Clawback:
    """Ask the group for the money back: the request is recorded and the group is told."""
    row = next(iter(underspends(application=application)), None)
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
        council=app,
    )
    return clawback


def application_for(clawback: Clawback) -> Application:
    return Application.objects.select_related(
        "organisation", "fund_year__fund", "fund_year__year"
    ).get(reference=clawback.reference)
