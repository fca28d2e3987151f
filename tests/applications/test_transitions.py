"""The table of transitions (applications.transitions) agrees with the state machine both ways,
and everything that names a transition (the API's steps, the officer's pages) names one of it."""

from __future__ import annotations

import pytest

from applications import services, transitions
from applications.api import ApplicationViewSet
from applications.models import Application
from applications.steps import STEPS
from applications.transitions import Transition
from decisions import views


def machine() -> set[str]:
    """The names of the state machine's transitions, as django-fsm collects them."""
    return {t.name for t in Application().get_all_status_transitions()}  # type: ignore[attr-defined]


def unregistered(names) -> list[str]:
    """The names among `names` that the table has no transition for."""
    return sorted(set(names) - {t.name for t in transitions.all()})


# --- the table against the state machine -----------------------------------------------------


def test_every_transition_of_the_state_machine_is_registered_and_nothing_else():
    assert len(machine()) == 14  # the state machine was read, not an empty set
    assert transitions.disagreements(machine()) == []


def test_a_transition_added_to_the_state_machine_but_not_the_table_is_reported():
    assert transitions.disagreements(machine() | {"suspend"}) == [
        "suspend is a transition of the state machine but is not registered."
    ]


def test_a_transition_missing_from_the_table_is_reported():
    without_revoke = [t for t in transitions.all() if t.name != "revoke"]
    assert transitions.disagreements(machine(), without_revoke) == [
        "revoke is a transition of the state machine but is not registered."
    ]


def test_a_registered_transition_the_state_machine_lacks_is_reported():
    extra = Transition("extend", "extended", ("group",), offered=False)
    assert transitions.disagreements(machine(), [*transitions.all(), extra]) == [
        "extend is registered but the state machine has no such transition."
    ]


def test_a_step_offered_with_nothing_to_take_it_is_reported():
    untaken = [
        Transition(t.name, t.done, t.audiences, t.label, t.input) if t.name == "close" else t
        for t in transitions.all()
    ]
    assert transitions.disagreements(machine(), untaken) == [
        "close is offered as a step but nothing takes it."
    ]


def test_decisions_says_what_takes_the_steps_of_an_assessment_and_a_decision():
    for name in ("recommend", "approve", "reject"):
        perform = transitions.get(name).perform
        assert perform is not None and perform.__module__ == "decisions.services", name


def test_a_second_thing_to_take_a_transition_is_refused():
    with pytest.raises(ValueError, match="recommend is taken by"):
        transitions.performed_by("recommend", lambda app, by, data: None)


def test_a_transition_is_registered_once():
    with pytest.raises(ValueError, match="submit is registered already"):
        transitions.register(Transition("submit", "submitted", ("group",)))


# --- who is told -------------------------------------------------------------------------------


def test_every_audience_of_a_transition_is_one_that_can_be_told():
    told = {a for t in transitions.all() for a in t.audiences}
    assert told <= set(transitions.AUDIENCES)
    assert set(transitions.AUDIENCES) == set(services.RECIPIENTS)  # each has its addresses


def test_an_unknown_audience_is_refused_and_reported():
    to_the_press = Transition("tell_the_press", "told", ("group", "press"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tell_the_press tells press: no such audience"):
        transitions.register(to_the_press)
    assert transitions.disagreements(["tell_the_press"], [to_the_press]) == [
        "tell_the_press tells press: no such audience.",
        "tell_the_press is offered as a step but nothing takes it.",
        "tell_the_press is offered as a step but has no label.",
    ]


# --- what names a transition ------------------------------------------------------------------


def test_the_api_offers_every_transition_but_pay_as_a_step():
    actions = {a.url_path for a in ApplicationViewSet.get_extra_actions()}
    assert set(STEPS) == machine() - {"pay"}
    assert set(STEPS) <= actions
    assert "pay" not in actions


def test_every_transition_an_officer_page_names_is_registered():
    named = [t for step in views.STEPS.values() for t in step.transitions]
    assert len(named) >= len(views.STEPS)  # every page names at least one
    assert unregistered(named) == []
    assert unregistered(views.WAITS_FOR.values()) == []


def test_every_officer_page_takes_its_step():
    assert set(views.PERFORM) == set(views.STEPS)


def test_a_page_naming_an_unregistered_transition_is_reported():
    assert unregistered(["mark_eligible", "suspend"]) == ["suspend"]
