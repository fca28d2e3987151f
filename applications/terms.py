"""A councillor's term of office ending mid-year: resignation, death, disqualification.

The orchestration lives here because it reaches pledges (this app); the money moves in
`budgets.ledger` (`term_end_return`, then `allocate_year` for the successor), which never
imports this app. What happens to the departing councillor's unspent allocation is the fund
year's `term_end_policy`, chosen by the administrator on the fund year's admin page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from applications import rules
from applications.models import Application, Pledge, TransitionLog
from applications.services import lock_application
from applications.support import PENDING
from applications.workflow import Status
from budgets import ledger
from budgets.models import Councillor
from fundmgr import access, contention
from fundmgr.errors import InvalidInput, Refused
from fundmgr.models import User
from fundmgr.money import pounds
from fundmgr.notifications import notify
from fundmgr.roles import Role, holders


@dataclass
class TermEnded:
    councillor: Councillor
    withdrawn: list[Pledge] = field(default_factory=list)
    returned: list[ledger.TermEndReturn] = field(default_factory=list)


def _ward_councillors(councillor: Councillor, on: datetime.date) -> list[Councillor]:
    return list(
        Councillor.objects.in_term_on(on + datetime.timedelta(days=1))
        .filter(ward_id=councillor.ward_id)
        .exclude(pk=councillor.pk)
        .select_related("user")
        .order_by("name")
    )


def _support_withdrawn_email(
    app: Application, pledge: Pledge, councillor: Councillor, others: list[Councillor], why: str
) -> None:
    ended = rules.long_date(councillor.term_end)  # type: ignore[arg-type]
    money = f" and the {pounds(pledge.amount)} they pledged" if pledge.amount else ""
    ask = (
        "Ask for support from the ward's councillors: " + ", ".join(str(c) for c in others) + "."
        if others
        else f"{councillor.ward} has no other councillor in office yet: the new councillor "
        "for the ward can support it once they take office."
    )
    past_support = app.status in (Status.UNDER_ASSESSMENT, Status.AWAITING_DECISION)
    if past_support:
        # Councillors pledge only while a bid waits for support: an officer returns it first.
        ask += (
            " Your bid is already with the grants team, who have been told: they will return it "
            "to you so that councillors can support it again, and it will not be decided until "
            "its support is complete."
        )
        notify(
            to=holders(Role.GRANTS_OFFICER, app.council_id).values_list("email", flat=True),
            subject=f"{app.reference}: support withdrawn, {councillor} left office",
            body=(
                f"{app.reference}: {app.title}, from {app.organisation}, is "
                f"{app.get_status_display().lower()}. {councillor} left office on {ended} "
                f"({why}); their support{money} has been withdrawn, so it cannot be approved "
                "as it stands. Return it to the group so that the ward's councillors can "
                "support it again."
            ),
            reference=app.reference,
            council=app,
        )
    body = (
        f"{app.reference}: {app.title}\n\n"
        f"{councillor} left office on {ended} ({why}). Their support for your bid{money} "
        "has been withdrawn, because a councillor's allocation can only be pledged while "
        "they are in office.\n\n"
        f"Your bid needs that support again. {ask}\n\n"
        "Sign in to see where your bid stands."
    )
    notify(
        to=[app.organisation.email, *app.organisation.members.values_list("email", flat=True)],
        subject=f"{app.reference}: {councillor}'s support withdrawn: they left office",
        body=body,
        reference=app.reference,
        council=app,
    )
    notify(
        to=[c.user.email for c in others],
        subject=f"{app.reference} needs your support: {councillor} left office",
        body=(
            f"{app.reference}: {app.title}, from {app.organisation}.\n\n"
            f"{councillor} left office on {ended} ({why}); their support{money} for this bid "
            f"in {councillor.ward} has been withdrawn, and the group has been told.\n\n"
            "Sign in to see the bid."
        ),
        reference=app.reference,
        council=app,
    )


@contention.atomic
def councillor_term_end(
    *, councillor: Councillor, on: datetime.date, by: User, reason: str
) -> TermEnded:
    """End a councillor's term on `on` (their last day in office): set the day and the reason,
    withdraw their pledges to bids not yet decided (each group and the ward's other councillors
    are e-mailed), and return their unspent allocation to the pot at once. Their successor's
    share follows when `budgets.ledger.allocate_year` is run once the successor is added."""
    access.require(access.writes, by)
    access.require(access.administrator, by)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(
            "Say why the term ended (resignation, death, disqualification): "
            "the groups whose support is withdrawn are told."
        )
    if not isinstance(on, datetime.date):
        raise InvalidInput("Enter the last day in office as a date, like 15 11 2026.")
    today = rules.today()
    councillor = Councillor.objects.select_for_update().select_related("ward").get(pk=councillor.pk)
    if councillor.term_end_reason and councillor.term_end is not None:
        raise Refused(
            f"{councillor}'s term already ended on {rules.long_date(councillor.term_end)} "
            f"({councillor.term_end_reason})."
        )
    if on > today:
        raise InvalidInput(
            f"The last day in office must be today or earlier; {rules.long_date(on)} is still "
            "to come. End the term on the day it ends."
        )
    if on < councillor.term_start:
        raise InvalidInput(
            f"{councillor}'s term started on {rules.long_date(councillor.term_start)}; it "
            "cannot end before that."
        )
    councillor.term_end = on
    councillor.term_end_reason = reason[:200]
    councillor.save(update_fields=["term_end", "term_end_reason"])

    ended = TermEnded(councillor)
    others = _ward_councillors(councillor, on)
    pledges = Pledge.objects.filter(
        councillor=councillor, status=Pledge.Status.PLEDGED, application__status__in=PENDING
    ).order_by("application_id", "pk")
    # Applications first, then accounts: the lock order of every service.
    for app_id in dict.fromkeys(pledges.values_list("application_id", flat=True)):
        app = lock_application(Application(pk=app_id))
        for pledge in Pledge.objects.filter(
            application=app, councillor=councillor, status=Pledge.Status.PLEDGED
        ):
            pledge.status = Pledge.Status.WITHDRAWN
            pledge.save(update_fields=["status"])
            TransitionLog.objects.create(
                application=app,
                transition="support_withdrawn",
                from_state=app.status,
                to_state=app.status,
                by=by,
                note=(
                    f"{councillor}'s support ({pounds(pledge.amount)}) withdrawn: they left "
                    f"office on {rules.long_date(on)} ({reason})."
                ),
            )
            _support_withdrawn_email(app, pledge, councillor, others, reason)
            ended.withdrawn.append(pledge)
    ended.returned = ledger.term_end_return(councillor=councillor, by=by)
    return ended
