"""The transitions the API offers on an application as steps: `applications.api` makes a POST
action of each. Their words, inputs and services are in `applications.transitions`."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from applications import transitions
from applications.transitions import Transition

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
