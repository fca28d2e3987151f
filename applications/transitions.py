"""Every transition of the application state machine, described once.

For each transition of `applications.workflow`: its words when done ("CCIF26-000001 approved")
and when refused ("it cannot be approved now"), who is told of it, and, for those the API offers
as a step, the step's label, its input and the service that takes it. The services, the API and
the officer's pages all read this table; tests/applications/test_transitions.py holds it against
the state machine both ways, so a transition added to one and not the other fails.

`decisions` takes recommend, approve and reject through its own services: it says so with
`performed_by` when it is ready (decisions/apps.py), so that `applications` never imports it.

The table imports no service: the services read it for their words. What takes each of
applications' own steps is said in the same way as for decisions' (applications/apps.py, from
`applications.steps`), so the services sit below this table and nothing imports in a circle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rest_framework import serializers

from applications.serializers import (
    ApproveInput,
    EmptyInput,
    NoteInput,
    OptionalReasonInput,
    ReasonInput,
    RecommendInput,
    RejectInput,
)

if TYPE_CHECKING:
    from applications.models import Application
    from fundmgr.models import User

Audience = Literal["group", "councillors", "officers", "finance"]
# Who can be told of a transition: the group, the bid's ward councillors, grants officers,
# finance officers (`applications.services` knows each one's addresses).
AUDIENCES: tuple[Audience, ...] = ("group", "councillors", "officers", "finance")

# Takes a transition as the API does: (application, acting user, the input's validated data).
Performer = Callable[["Application", "User", Mapping[str, Any]], object]


@dataclass(frozen=True)
class Transition:
    """One transition: its words, who hears of it, and how the API takes it."""

    name: str
    done: str  # "approved": "CCIF26-000001 approved"
    audiences: tuple[Audience, ...]
    label: str = ""  # the step's name on pages and in the API
    input: type[serializers.Serializer] = EmptyInput
    perform: Performer | None = None
    # False when something else takes it (a payment being made, a panel's decision): the API
    # offers no step for it, though it still has its words and its audience.
    offered: bool = True
    refused: str = ""  # the words in "cannot be ... now", when they are not `done`'s

    @property
    def refused_words(self) -> str:
        return self.refused or self.done

    def take(self, application: Application, by: User, data: Mapping[str, Any]) -> object:
        """Take it as the API does, with the input's validated data; what its performer says."""
        if self.perform is None:
            raise LookupError(f"Nothing takes the transition {self.name}: see performed_by.")
        return self.perform(application, by, data)


_REGISTRY: dict[str, Transition] = {}


def register(entry: Transition) -> Transition:
    """Add a transition to the table; each name once, each audience one that can be told."""
    if entry.name in _REGISTRY:
        raise ValueError(f"The transition {entry.name} is registered already.")
    if unknown := set(entry.audiences) - set(AUDIENCES):
        raise ValueError(f"{entry.name} tells {', '.join(sorted(unknown))}: no such audience.")
    _REGISTRY[entry.name] = entry
    return entry


def performed_by(name: str, perform: Performer) -> None:
    """Say which callable takes a registered transition (another app does, for its own)."""
    entry = get(name)
    if entry.perform is not None:
        raise ValueError(f"The transition {name} is taken by {entry.perform!r} already.")
    _REGISTRY[name] = dataclasses.replace(entry, perform=perform)


def get(name: str) -> Transition:
    return _REGISTRY[name]


def all() -> list[Transition]:
    """Every transition, in the order of an application's life. (Read as `transitions.all()`;
    this module has no use for the builtin it hides.)"""
    return list(_REGISTRY.values())


def disagreements(machine: Iterable[str], entries: Iterable[Transition] | None = None) -> list[str]:
    """What is wrong between the state machine's transition names and the table, in sentences:
    a transition missing from either, an audience no one can tell, a step nothing takes."""
    entries = list(_REGISTRY.values() if entries is None else entries)
    machine, named = set(machine), {e.name for e in entries}
    wrong = [
        f"{n} is a transition of the state machine but is not registered."
        for n in sorted(machine - named)
    ]
    wrong += [
        f"{n} is registered but the state machine has no such transition."
        for n in sorted(named - machine)
    ]
    for entry in entries:
        if unknown := set(entry.audiences) - set(AUDIENCES):
            wrong.append(f"{entry.name} tells {', '.join(sorted(unknown))}: no such audience.")
        if entry.offered and entry.perform is None:
            wrong.append(f"{entry.name} is offered as a step but nothing takes it.")
        if entry.offered and not entry.label:
            wrong.append(f"{entry.name} is offered as a step but has no label.")
    return wrong


# --- the table, in the order of an application's life ----------------------------------------

T = Transition
# fmt: off
register(T("submit", "submitted", ("group", "officers"),
           label="Submit the application", input=EmptyInput))
register(T("mark_eligible", "marked eligible", ("group", "councillors"),
           label="Mark it eligible", input=NoteInput))
register(T("mark_ineligible", "marked not eligible", ("group",),
           label="Mark it not eligible", input=ReasonInput))
register(T("return_to_applicant", "returned to the group", ("group",),
           label="Return it to the group for more information", input=ReasonInput))
register(T("endorse", "moved to assessment", ("group", "officers"),
           label="Move it to assessment: its support is complete", input=EmptyInput))
# recommend, approve and reject are taken by decisions.services (decisions/apps.py says so). A
# panel member's approve or reject is taken by the panel's decision, not by this step: the
# API's step is a grants officer's, under delegated authority.
register(T("recommend", "sent for a decision", ("officers",),
           label="Assess it and send it for a decision", input=RecommendInput))
register(T("approve", "approved", ("group", "councillors"),
           label="Approve it under delegated authority", input=ApproveInput))
register(T("reject", "rejected", ("group", "councillors"),
           label="Reject it under delegated authority", input=RejectInput))
register(T("accept_offer", "accepted", ("officers", "finance"),
           label="Accept the offer", input=EmptyInput))
register(T("lapse", "lapsed", ("group", "officers"),
           label="Mark the offer as lapsed", input=EmptyInput))
# Taken by a payment being made (payments and payment runs), never as a step of its own.
register(T("pay", "paid", ("group",), offered=False))
register(T("close", "closed", ("group",),
           label="Close the grant", input=NoteInput))
register(T("withdraw", "withdrawn", ("group", "officers", "councillors"),
           label="Withdraw the application", input=OptionalReasonInput))
register(T("revoke", "revoked", ("group", "officers", "finance"),
           label="Revoke the grant", input=ReasonInput))
# fmt: on
