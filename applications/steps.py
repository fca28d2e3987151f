"""The transitions the API offers on an application: each one's words, its input and the
service it calls. `applications.api` makes a POST action of each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from rest_framework import serializers

from applications import services as s
from applications.models import Application
from applications.serializers import (
    ApproveInput,
    EmptyInput,
    NoteInput,
    OptionalReasonInput,
    ReasonInput,
    RecommendInput,
    RejectInput,
)
from decisions import services as decide
from fundmgr.errors import Refused


@dataclass(frozen=True)
class Step:
    """One transition as the API takes it: its words, its input and the service it calls."""

    label: str
    input: type[serializers.Serializer]
    perform: Any  # (application, by, validated data) -> None


def _endorse(app: Application, by, data) -> None:
    with transaction.atomic():
        locked = s.lock_application(app)
        if not s.application_endorse_if_supported(locked, by=by):
            reason = s.transition_refusal(locked, "endorse", by)
            raise Refused(reason or f"{locked.reference} cannot be moved to assessment now.")


def _recommend(app: Application, by, data) -> None:
    decide.assessment_record(
        application=app,
        by=by,
        recommendation=data["recommendation"],
        notes=data["notes"],
        recommended_amount=data.get("recommended_amount")
        if data["recommendation"] == "approve"
        else None,
    )


STEPS: dict[str, Step] = {
    "submit": Step(
        "Submit the application",
        EmptyInput,
        lambda app, by, d: s.application_submit(application=app, by=by),
    ),
    "mark_eligible": Step(
        "Mark it eligible",
        NoteInput,
        lambda app, by, d: s.application_mark_eligible(application=app, by=by, note=d["note"]),
    ),
    "mark_ineligible": Step(
        "Mark it not eligible",
        ReasonInput,
        lambda app, by, d: s.application_mark_ineligible(
            application=app, by=by, reason=d["reason"]
        ),
    ),
    "return_to_applicant": Step(
        "Return it to the group for more information",
        ReasonInput,
        lambda app, by, d: s.application_return(application=app, by=by, reason=d["reason"]),
    ),
    "endorse": Step("Move it to assessment: its support is complete", EmptyInput, _endorse),
    "recommend": Step("Assess it and send it for a decision", RecommendInput, _recommend),
    "approve": Step(
        "Approve it under delegated authority",
        ApproveInput,
        lambda app, by, d: decide.decision_record(
            application=app,
            by=by,
            outcome="approve",
            amount=d["amount"],
            reasons=d["reasons"],
            conditions=d["conditions"],
        ),
    ),
    "reject": Step(
        "Reject it under delegated authority",
        RejectInput,
        lambda app, by, d: decide.decision_record(
            application=app, by=by, outcome="reject", reasons=d["reasons"]
        ),
    ),
    "accept_offer": Step(
        "Accept the offer",
        EmptyInput,
        lambda app, by, d: s.application_accept_offer(application=app, by=by),
    ),
    "lapse": Step(
        "Mark the offer as lapsed",
        EmptyInput,
        lambda app, by, d: s.application_lapse(application=app, by=by),
    ),
    "close": Step(
        "Close the grant",
        NoteInput,
        lambda app, by, d: s.application_close(application=app, by=by, note=d["note"]),
    ),
    "withdraw": Step(
        "Withdraw the application",
        OptionalReasonInput,
        lambda app, by, d: s.application_withdraw(application=app, by=by, reason=d["reason"]),
    ),
    "revoke": Step(
        "Revoke the grant",
        ReasonInput,
        lambda app, by, d: s.application_revoke(application=app, by=by, reason=d["reason"]),
    ),
}
# `pay` is taken by a payment being made (payments and payment runs), and a panel member's
# approve or reject by the panel's decision (panel meetings): not listed here.
DELEGATED = {"approve", "reject"}


def _field_type(field) -> str:
    if isinstance(field, serializers.DecimalField):
        return "money"
    if isinstance(field, serializers.ChoiceField):
        return "choice"
    if isinstance(field, serializers.DateField):
        return "date"
    if isinstance(field, serializers.IntegerField):
        return "integer"
    return "string"


def input_fields(step: Step) -> list[dict]:
    out = []
    for name, field in step.input().fields.items():
        described = {
            "name": name,
            "required": field.required,
            "type": _field_type(field),
            "help": str(field.help_text or ""),
        }
        if isinstance(field, serializers.ChoiceField):
            described["choices"] = list(field.choices)
        out.append(described)
    return out
