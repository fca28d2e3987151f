"""Assessments and decisions, by an officer under delegated authority or by a panel.

Each service records who decided what and why, and moves the application through
`applications.services` in the same database transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction

from applications import services as lifecycle
from applications.models import Application
from applications.rules import beyond_delegated_limit, conflict_of_interest
from applications.workflow import Status
from decisions.documents import decision_documents_later
from decisions.models import Assessment, Decision, PanelItem, PanelMeeting, PanelMembership
from fundmgr import access, contention
from fundmgr.errors import InvalidInput, NotPermitted, Refused
from fundmgr.models import User
from fundmgr.money import pounds


@transaction.atomic
def assessment_record(
    *,
    application: Application,
    by: User,
    recommendation: str,
    notes: str,
    recommended_amount: Decimal | None = None,
) -> Assessment:
    """An officer's assessment, which sends the bid for a decision."""
    access.require(access.may_assess, by, application)
    if recommendation not in Assessment.Recommendation.values:
        raise InvalidInput("Select approve or reject", field="recommendation")
    if not notes.strip():
        raise InvalidInput("Enter your assessment: the decision-maker relies on it", field="notes")
    if recommendation == "approve" and (recommended_amount is None or recommended_amount <= 0):
        raise InvalidInput(
            "Enter the amount to award, of more than £0.00", field="recommended_amount"
        )
    app = lifecycle.lock_application(application)
    asked = app.amount_requested
    if recommendation == "approve" and recommended_amount and asked and recommended_amount > asked:
        raise InvalidInput(
            f"You cannot recommend more than the {pounds(asked)} asked for. "
            f"Enter {pounds(asked)} or less",
            field="recommended_amount",
        )
    lifecycle.application_recommend(
        application=app,
        by=by,
        note=f"Recommended: {recommendation}"
        + (f", {pounds(recommended_amount)}" if recommended_amount else ""),
    )
    return Assessment.objects.create(
        application=app,
        assessor=by,
        recommendation=recommendation,
        recommended_amount=recommended_amount if recommendation == "approve" else None,
        notes=notes.strip(),
    )


def _decide(
    app: Application,
    *,
    by: User,
    outcome: str,
    reasons: str,
    authority: str,
    amount: Decimal | None,
    conditions: str,
    panel_item: PanelItem | None,
    permitted: bool = False,
) -> Decision:
    """Record a decision on a locked application. `permitted`: the caller has asked
    access.may_decide under the lock already. It is asked once, and approve_locked is told so
    (approve's permission is that rule)."""
    if not permitted:
        access.require(access.may_decide, by, app)
    if outcome not in Decision.Outcome.values:
        raise InvalidInput("Select approve, reject or defer", field="outcome")
    if not reasons.strip():
        raise InvalidInput(
            "Enter the reasons for the decision: they are published", field="reasons"
        )
    if app.status != Status.AWAITING_DECISION:
        raise Refused(
            f"{app.reference} is {app.get_status_display().lower()}: it is not waiting for a "
            "decision."
        )
    note = reasons.strip()
    if outcome == Decision.Outcome.APPROVE:
        lifecycle.approve_locked(
            app, by=by, amount=amount, authority=authority, note=note, permitted=True
        )
    elif outcome == Decision.Outcome.REJECT:
        lifecycle.application_reject(application=app, by=by, reason=note)
    decision = Decision.objects.create(
        application=app,
        outcome=outcome,
        amount_awarded=amount if outcome == Decision.Outcome.APPROVE else None,
        conditions=conditions.strip(),
        reasons=note,
        authority=authority,
        panel_item=panel_item,
        decided_by=by,
    )
    # The notice (and an approval's offer letter) by the worker once the decision is committed;
    # until then (or if it fails) the download produces it.
    decision_documents_later(decision)
    return decision


NOT_AN_OFFICER = "Only a grants officer can decide under delegated authority."


def delegated_refusal(app: Application, by: User) -> str | None:
    """Why `by` may not decide `app` under delegated authority, or None: only a grants officer
    may, and only a bid within the fund's delegated limit (above it a panel decides). The
    officer's pages ask this before offering the decision, and `decision_record` refuses with
    it, so the page cannot offer what the service would refuse."""
    if not access.grants_officer(by):
        return NOT_AN_OFFICER
    return beyond_delegated_limit(app)


@contention.atomic
def decision_record(
    *,
    application: Application,
    by: User,
    outcome: str,
    reasons: str,
    amount: Decimal | None = None,
    conditions: str = "",
) -> Decision:
    """A grants officer's decision under delegated authority (up to the fund's limit)."""
    if not access.grants_officer(by):
        raise NotPermitted(NOT_AN_OFFICER)
    app = lifecycle.lock_application(application, facts_for=by, election=True)
    access.require(access.may_decide, by, app)  # who may, before the limit: read with the lock
    if reason := delegated_refusal(app, by):
        raise Refused(reason)
    return _decide(
        app,
        by=by,
        outcome=outcome,
        reasons=reasons,
        authority=Decision.Authority.DELEGATED,
        amount=amount,
        conditions=conditions,
        panel_item=None,
        permitted=True,
    )


# --- panels ---------------------------------------------------------------------------------


@transaction.atomic
def panel_meeting_create(
    *, title: str, fund, date: datetime.date, quorum: int, members: list, by: User
) -> PanelMeeting:
    if not access.grants_officer(by):
        raise NotPermitted("Only a grants officer can arrange a panel meeting.")
    if not members:
        raise InvalidInput("Choose the panel's members", field="members")
    if quorum < 1 or quorum > len(members):
        raise InvalidInput(
            f"The quorum must be between 1 and the {len(members)} members you chose. "
            f"Enter a number from 1 to {len(members)}",
            field="quorum",
        )
    meeting = PanelMeeting.objects.create(
        title=title.strip(), fund=fund, date=date, quorum=quorum, created_by=by
    )
    PanelMembership.objects.bulk_create(PanelMembership(meeting=meeting, user=u) for u in members)
    return meeting


@transaction.atomic
def panel_item_add(*, meeting: PanelMeeting, application: Application, by: User) -> PanelItem:
    if not access.grants_officer(by):
        raise NotPermitted("Only a grants officer can set a panel's agenda.")
    application = lifecycle.lock_application(application)
    if application.fund_year.fund_id != meeting.fund_id:
        raise InvalidInput(
            f"{application.reference} is not for {meeting.fund}.",
            field="application",
        )
    if application.status != Status.AWAITING_DECISION:
        raise Refused(
            f"{application.reference} is not waiting for a decision.",
            field="application",
        )
    if meeting.items.filter(application=application).exists():
        raise Refused(
            f"{application.reference} is on this meeting's agenda already.",
            field="application",
        )
    position = meeting.items.count() + 1
    return PanelItem.objects.create(meeting=meeting, application=application, position=position)


@transaction.atomic
def attendance_record(*, meeting: PanelMeeting, attended: list, by: User) -> None:
    """Take the register: everyone named attended; the other members sent apologies."""
    access.require(access.takes_the_register, by, meeting)
    present = {u.pk for u in attended}
    unknown = present - set(meeting.members.values_list("pk", flat=True))
    if unknown:
        raise InvalidInput(
            "Only members of the panel can be recorded as attending.",
            field="attended",
        )
    for seat in PanelMembership.objects.filter(meeting=meeting):
        seat.attended = seat.user_id in present
        seat.save(update_fields=["attended"])


def voting_members(item: PanelItem) -> list:
    """Members present who have no blocking interest in this item's application."""
    app = item.application
    return [
        seat.user
        for seat in PanelMembership.objects.filter(meeting=item.meeting, attended=True)
        .select_related("user")
        .order_by("pk")
        if conflict_of_interest(app, seat.user) is None
    ]


@contention.atomic
def panel_decision_record(
    *,
    item: PanelItem,
    by: User,
    outcome: str,
    reasons: str,
    amount: Decimal | None = None,
    conditions: str = "",
) -> Decision:
    """The panel's decision on one agenda item, recorded by a member who sat on it."""
    item = PanelItem.objects.select_related("meeting").get(pk=item.pk)
    access.require(access.records_panel_decisions, by, item.meeting)
    if item.decisions.exclude(outcome=Decision.Outcome.DEFER).exists():
        raise Refused(f"Item {item.position} has been decided already.")
    voters = voting_members(item)
    if len(voters) < item.meeting.quorum:
        raise Refused(
            f"The panel is not quorate for item {item.position}: {len(voters)} members present "
            f"without an interest, and {item.meeting.quorum} are needed."
        )
    app = lifecycle.lock_application(item.application)
    return _decide(
        app,
        by=by,
        outcome=outcome,
        reasons=reasons,
        authority=Decision.Authority.PANEL,
        amount=amount,
        conditions=conditions,
        panel_item=item,
    )


# --- the API's steps ------------------------------------------------------------------------
# How the API's recommend, approve and reject steps are taken, with their input's validated
# data (applications.transitions; decisions/apps.py says these take them).


def recommend_step(app: Application, by: User, data: Mapping[str, Any]) -> None:
    assessment_record(
        application=app,
        by=by,
        recommendation=data["recommendation"],
        notes=data["notes"],
        recommended_amount=data.get("recommended_amount")
        if data["recommendation"] == "approve"
        else None,
    )


def approve_step(app: Application, by: User, data: Mapping[str, Any]) -> Application:
    """The application as the approval left it: the row read under its lock and saved, what
    the database now holds (the API answers with it, not reading it again)."""
    return decision_record(
        application=app,
        by=by,
        outcome="approve",
        amount=data["amount"],
        reasons=data["reasons"],
        conditions=data["conditions"],
    ).application


def reject_step(app: Application, by: User, data: Mapping[str, Any]) -> None:
    decision_record(application=app, by=by, outcome="reject", reasons=data["reasons"])
