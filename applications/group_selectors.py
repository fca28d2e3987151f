"""Reads for the community-group pages: a person sees only their own organisations and their
applications. Each list is one query however long it grows."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from applications.models import (
    Application,
    BankAccount,
    Invitation,
    Membership,
    MonitoringReport,
    Organisation,
    Pledge,
    TransitionLog,
)
from applications.rules import long_date, today
from applications.workflow import Status
from fundmgr.money import pounds

# --- what each person may see ---------------------------------------------------------------


def organisations_for(user) -> QuerySet[Organisation]:
    """The organisations the person is a member of, each with `my_role`, their role in it."""
    return (
        Organisation.objects.filter(membership__user=user)
        .select_related("ward")
        .annotate(my_role=Subquery(_role_of(user)))
        .order_by("name", "pk")
    )


def _role_of(user):
    return Membership.objects.filter(organisation=OuterRef("pk"), user=user).values("role")[:1]


# Logged beside the steps, but not a step: the application stays where it was.
NOT_STEPS = ["support_withdrawn"]


def applications_for(user) -> QuerySet[Application]:
    """The applications of the person's organisations, with what the home page needs to say what
    each waits for: the last step taken and whether a monitoring report has been sent."""
    last = (
        TransitionLog.objects.filter(application=OuterRef("pk"))
        .exclude(transition__in=NOT_STEPS)
        .order_by("-pk")
    )
    return (
        Application.objects.filter(organisation__membership__user=user)
        .select_related("fund_year__fund", "fund_year__year", "organisation")
        .annotate(
            last_step=Subquery(last.values("transition")[:1]),
            reported=Exists(MonitoringReport.objects.filter(application=OuterRef("pk"))),
        )
        .order_by("-created_at", "-pk")
    )


def role_label(role: str | None) -> str:
    if role is None:
        return ""
    try:
        return Membership.Role(role).label
    except ValueError:
        return ""


def members(organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "pk")
    )


def pending_invitations(organisation: Organisation) -> QuerySet[Invitation]:
    """Invitations waiting for an answer, expired ones included (the group may invite again)."""
    return (
        Invitation.objects.filter(organisation=organisation, status=Invitation.Status.PENDING)
        .select_related("invited_by")
        .order_by("-pk")
    )


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation an e-mailed link's token belongs to: looked up by its digest, as only the
    digest is stored. A token longer than any we issue is not hashed at all."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(token_digest=token_digest(token))
        .first()
    )


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def latest_bank_account(organisation: Organisation) -> BankAccount | None:
    """The details entered last, whatever their state: current ones, or ones the council could
    not verify (which the group must enter again)."""
    return (
        organisation.bank_accounts.exclude(status=BankAccount.Status.SUPERSEDED)
        .order_by("-pk")
        .first()
    )


# --- what each application needs next -------------------------------------------------------


def needs_next(app: Application) -> str:
    """One line for the home page: who acts next and what they do. Uses the annotations of
    `applications_for` (no queries)."""
    status = app.status
    if status == Status.DRAFT:
        if getattr(app, "last_step", None) == "return_to_applicant":
            return "Answer the council’s request for more information, then send it again"
        return "Finish your application and submit it"
    if status == Status.APPROVED:
        return "Accept the offer" + _by(app.offer_expires_on, late="the last day to accept it was")
    if status == Status.MONITORING:
        if getattr(app, "reported", False):
            return "The council is reading your report"
        return "Send your end-of-grant report" + _by(app.monitoring_due_on, late="it was due on")
    return NEXT[status]


def _by(day: datetime.date | None, *, late: str) -> str:
    if day is None:
        return ""
    if day < today():
        return f": {late} {long_date(day)}"
    return f" by {long_date(day)}"


NEXT: dict[str, str] = {
    Status.SUBMITTED: "The council is checking that it is eligible",
    Status.AWAITING_SUPPORT: "Waiting for a councillor for the ward to support it",
    Status.UNDER_ASSESSMENT: "A grants officer is assessing it",
    Status.AWAITING_DECISION: "Waiting for a decision",
    Status.OFFER_ACCEPTED: "The council will pay the grant into your bank account",
    Status.CLOSED: "Nothing: the grant is complete",
    Status.INELIGIBLE: "Nothing: the application was not eligible",
    Status.REJECTED: "Nothing: the application was not funded",
    Status.LAPSED: "Nothing: the offer was not accepted in time",
    Status.WITHDRAWN: "Nothing: the application was withdrawn",
    Status.REVOKED: "Repay the grant: the council will write to you",
}


def returned_note(app: Application) -> TransitionLog | None:
    """The officer's request for more information, while the application is back with the
    group for it."""
    if app.status != Status.DRAFT:
        return None
    last = app.transitions.exclude(transition__in=NOT_STEPS).order_by("-pk").first()
    return last if last is not None and last.transition == "return_to_applicant" else None


# --- the application's pages ----------------------------------------------------------------


def draft_for_pages(app_pk: int, user) -> Application:
    """One application of the person's organisations, with its sections loaded for the task
    list and check-your-answers pages. Raises Application.DoesNotExist for anyone else's."""
    return (
        Application.objects.filter(pk=app_pk, organisation__membership__user=user)
        .select_related("fund_year__fund__council", "fund_year__year", "organisation__ward")
        .prefetch_related("wards", "budget_lines", "match_funding_sources", "attachments")
        .get()
    )


# --- the status page ------------------------------------------------------------------------


@dataclass
class Event:
    """One line of the timeline."""

    at: datetime.datetime
    title: str
    notes: list[str] = field(default_factory=list)
    label: str = ""  # what the notes are: "Reason", "Conditions"
    listed: list[str] = field(default_factory=list)


STEP_TITLES: dict[str, str] = {
    "submit": "Application submitted",
    "mark_eligible": "The council checked that it is eligible",
    "mark_ineligible": "The council found that it is not eligible",
    "return_to_applicant": "The council asked for more information",
    "endorse": "Councillor support complete: sent for assessment",
    "recommend": "Assessed: sent for a decision",
    "approve": "Grant approved",
    "reject": "Not funded",
    "accept_offer": "Offer accepted",
    "lapse": "The offer lapsed",
    "pay": "Payment made",
    "close": "Grant closed",
    "withdraw": "Application withdrawn",
    "revoke": "Grant revoked",
    "support_withdrawn": "A councillor's support was withdrawn: they left office",
}
# Officers' internal notes that the group does not see, and notes that only repeat the title.
UNSHOWN_NOTES = {"recommend", "endorse"}
DECISION_TITLES = {
    "approve": "Grant approved",
    "reject": "Not funded",
    "defer": "Decision deferred",
}


def timeline(app: Application) -> list[Event]:
    """What happened, oldest first: each step, each councillor's response, each decision and
    report. A fixed number of queries."""
    events: list[Event] = []
    decisions = list(app.decisions.order_by("pk"))
    decided = {d.outcome for d in decisions}
    for log in app.transitions.select_related("by").order_by("pk"):
        if log.transition in ("approve", "reject") and log.transition in decided:
            continue  # the decision's own entry says it, with the reasons and conditions
        event = Event(at=log.at, title=STEP_TITLES.get(log.transition, log.transition))
        if log.transition == "submit" and log.by is not None:
            event.title = f"Application submitted by {log.by}"
        if log.note and log.transition not in UNSHOWN_NOTES:
            event.notes.append(log.note)
            if log.transition in ("return_to_applicant", "mark_ineligible", "withdraw", "reject"):
                event.label = "Reason"
        events.append(event)
    for pledge in app.pledges.select_related("councillor").order_by("pk"):
        who = str(pledge.councillor)
        if pledge.status == Pledge.Status.DECLINED:
            title = f"{who} did not support this bid"
            event = Event(at=pledge.created_at, title=title, notes=[pledge.statement])
            event.label = "Reason"
        else:
            title = f"{who} supported this bid"
            if pledge.amount:
                title += f" with {pounds(pledge.amount)} from their allocation"
            if pledge.status == Pledge.Status.WITHDRAWN:
                title += " (later withdrawn)"
            event = Event(at=pledge.created_at, title=title, notes=[pledge.statement])
        events.append(event)
    for decision in decisions:
        title = DECISION_TITLES.get(decision.outcome, decision.get_outcome_display())
        if decision.amount_awarded:
            title += f": {pounds(decision.amount_awarded)}"
        event = Event(at=decision.decided_at, title=title, notes=[decision.reasons])
        event.label = "Reasons"
        event.listed = decision.condition_list
        events.append(event)
    for report in app.monitoring_reports.order_by("pk"):
        events.append(
            Event(
                at=report.submitted_at,
                title=f"End-of-grant report sent: {pounds(report.amount_spent)} spent, "
                f"{report.people_reached:,} people reached",
                notes=[report.outcomes],
            )
        )
    events.sort(key=lambda e: e.at)
    return events


def offer_decision(app: Application):
    """The approval behind an offer, for its conditions."""
    return app.decisions.filter(outcome="approve").order_by("-pk").first()
