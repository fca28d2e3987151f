"""The transitions the API offers on an application as steps: `applications.api` makes a POST
action of each. Their words and inputs are in `applications.transitions`; what takes each of
applications' own is here (`take_own_steps`, called from applications/apps.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from rest_framework import serializers

from applications import services, transitions
from applications.transitions import Transition
from fundmgr.errors import Refused

if TYPE_CHECKING:
    from applications.models import Application
    from fundmgr.models import User

# Every step the API offers, by name, for its label and input: `pay` is taken by a payment being
# made, a panel's approve or reject by the panel's decision, not here (Transition.offered). Take
# a step with `transitions.get(name).take(...)`: another app may say what takes it once it is
# ready, after this module was read.
STEPS: dict[str, Transition] = {t.name: t for t in transitions.all() if t.offered}
# Steps a grants officer takes under delegated authority: listed to no one else.
DELEGATED = {"approve", "reject"}


def _field_type(field: serializers.Field) -> str:
    if isinstance(field, serializers.DecimalField):
        return "money"
    if isinstance(field, serializers.ChoiceField):
        return "choice"
    if isinstance(field, serializers.DateField):
        return "date"
    if isinstance(field, serializers.IntegerField):
        return "integer"
    return "string"


def input_fields(step: Transition) -> list[dict[str, Any]]:
    """What the step's input asks for, as `GET .../transitions/` describes it."""
    out = []
    for name, field in step.input().fields.items():
        described: dict[str, Any] = {
            "name": name,
            "required": field.required,
            "type": _field_type(field),
            "help": str(field.help_text or ""),
        }
        if isinstance(field, serializers.ChoiceField):
            described["choices"] = list(field.choices)
        out.append(described)
    return out


# --- what takes applications' own steps (said in applications/apps.py) ----------------------


def _submit(app: Application, by: User, data: Mapping[str, Any]) -> None:
    services.application_submit(application=app, by=by)


def _mark_eligible(app: Application, by: User, data: Mapping[str, Any]) -> None:
    services.application_mark_eligible(application=app, by=by, note=data["note"])


def _mark_ineligible(app: Application, by: User, data: Mapping[str, Any]) -> None:
    services.application_mark_ineligible(application=app, by=by, reason=data["reason"])


def _return_to_applicant(app: Application, by: User, data: Mapping[str, Any]) -> None:
    services.application_return(application=app, by=by, reason=data["reason"])


def _endorse(app: Application, by: User, data: Mapping[str, Any]) -> None:
    with transaction.atomic():
        locked = services.lock_application(app)
        if not services.application_endorse_if_supported(locked, by=by):
            reason = services.transition_refusal(locked, "endorse", by)
            words = transitions.get("endorse").refused_words
            raise Refused(reason or f"{locked.reference} cannot be {words} now.")


def _accept_offer(app: Application, by: User, data: Mapping[str, Any]) -> None:
    services.application_accept_offer(application=app, by=by)


def _lapse(app: Application, by: User, data: Mapping[str, Any]) -> None:
    services.application_lapse(application=app, by=by)


def _close(app: Application, by: User, data: Mapping[str, Any]) -> None:
    services.application_close(application=app, by=by, note=data["note"])


def _withdraw(app: Application, by: User, data: Mapping[str, Any]) -> None:
    services.application_withdraw(application=app, by=by, reason=data["reason"])


def _revoke(app: Application, by: User, data: Mapping[str, Any]) -> None:
    services.application_revoke(application=app, by=by, reason=data["reason"])


def take_own_steps() -> None:
    """Tell the table what takes each of applications' own steps: called once, when the app is
    ready (decisions says the same of its own in decisions/apps.py)."""
    for name, perform in [
        ("submit", _submit),
        ("mark_eligible", _mark_eligible),
        ("mark_ineligible", _mark_ineligible),
        ("return_to_applicant", _return_to_applicant),
        ("endorse", _endorse),
        ("accept_offer", _accept_offer),
        ("lapse", _lapse),
        ("close", _close),
        ("withdraw", _withdraw),
        ("revoke", _revoke),
    ]:
        transitions.performed_by(name, perform)
