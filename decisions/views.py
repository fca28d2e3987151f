"""The grants officer's pages: an application's file and its steps, and panels (the workbench
is decisions.workbench_views).

Views check who may see what, build a form and call a service; a refusal (DomainError) is shown
in the GOV.UK error summary and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from applications import rules, transitions
from applications.models import Application
from applications.organisations import current_bank_account
from applications.rules import beyond_delegated_limit
from applications.services import available_transitions, transition_refusal
from applications.workflow import Status
from decisions import downloads, selectors
from decisions import services as decide
from decisions.forms import (
    NOTE_STEPS,
    AgendaForm,
    AssessmentForm,
    DecisionForm,
    EligibilityForm,
    NoteForm,
    PanelMeetingForm,
    RegisterForm,
)
from decisions.models import Assessment, PanelItem, PanelMeeting, PanelMembership
from fundmgr import access, exports
from fundmgr.errors import DomainError
from fundmgr.forms import add_refusal
from fundmgr.models import User
from fundmgr.money import pounds

S = Status
# Takes a page's step with its form's cleaned data; says which transition it took, or "defer".
Performer = Callable[[Application, User, Mapping[str, Any]], str]


# --- an application's file -------------------------------------------------------------------


# Why a person may not take a step, beyond its transitions' own rules, or None if they may.
StepRule = Callable[[Application, User], "str | None"]


@dataclass(frozen=True)
class Step:
    """One page of an application's steps, offered only when one of its transitions is and the
    step's own `rule` (the very function its service refuses with) lets this person take it."""

    slug: str
    title: str
    transitions: tuple[str, ...]
    states: tuple[str, ...] = ()  # empty: any state
    button_class: str = "govuk-button--secondary"
    rule: StepRule | None = None
    # Its service asks every rule the page asks (who may, the state, the transitions' rules and
    # `rule`) again under the application's lock, and its form does not depend on them: a POST
    # is taken first, and the page asks them only when it is refused, to say why as before.
    service_decides: bool = False

    def offered(self, app: Application, available: list[str], user: User) -> list[str]:
        """The step's transitions this person may take now: none, and the step is not offered
        (its page refuses, before anything is filled in)."""
        if self.states and app.status not in self.states:
            return []
        offered = [t for t in self.transitions if t in available]
        if offered and self.rule is not None and self.rule(app, user):
            return []
        return offered

    def refusal(self, app: Application, user: User) -> str:
        if self.states and app.status not in self.states:
            return (
                f"{app.reference} is {app.get_status_display().lower()}: "
                "it is not waiting for this step."
            )
        reasons = [transition_refusal(app, t, user) for t in self.transitions]
        if all(reasons):
            return str(reasons[0])
        if self.rule is not None and (reason := self.rule(app, user)):
            return reason
        return next((r for r in reasons if r), f"You cannot {self.title.lower()} now.")


# The pages of an application's steps, each offering one or more transitions of
# applications.transitions (tests/applications/test_transitions.py holds them to it).
STEPS = {
    step.slug: step
    for step in [
        Step(
            "eligibility",
            "Check eligibility",
            ("mark_eligible", "mark_ineligible", "return_to_applicant"),
            states=(S.SUBMITTED,),
            button_class="",
        ),
        Step("assess", "Assess the application", ("recommend",), button_class=""),
        Step(
            "decide",
            "Decide under delegated authority",
            ("approve", "reject"),
            button_class="",
            rule=decide.delegated_refusal,  # what decision_record refuses: the limit
            service_decides=True,  # decision_record asks each of these under the lock
        ),
        Step(
            "return",
            "Return to the group for more information",
            ("return_to_applicant",),
            states=(S.AWAITING_SUPPORT, S.UNDER_ASSESSMENT),
        ),
        Step("close", transitions.get("close").label, ("close",), button_class=""),
        Step("lapse", transitions.get("lapse").label, ("lapse",)),
        Step(
            "revoke",
            transitions.get("revoke").label,
            ("revoke",),
            button_class="govuk-button--warning",
        ),
        Step(
            "withdraw",
            transitions.get("withdraw").label,
            ("withdraw",),
            button_class="govuk-button--warning",
        ),
    ]
}

# The step each state waits for: if this person cannot take it, the page says why.
WAITS_FOR = {
    S.SUBMITTED: "mark_eligible",
    S.UNDER_ASSESSMENT: "recommend",
    S.AWAITING_DECISION: "approve",
    S.MONITORING: "close",
}


def _application(reference: str) -> Application:
    try:
        return selectors.application_file(reference)
    except Application.DoesNotExist:
        raise Http404(f"There is no application {reference}.") from None


@dataclass(frozen=True)
class PanelRoute:
    """Where a bid above the delegated limit goes instead: the agenda it is on, or the next
    meeting of its fund to add it to, or neither (no meeting is arranged yet)."""

    reason: str
    on_agenda: PanelItem | None = None
    next_meeting: PanelMeeting | None = None


def _panel_route(app: Application, user: User) -> PanelRoute | None:
    """For a grants officer, a bid waiting for a decision that they may not take under delegated
    authority because of the fund's limit: the panel way instead. None otherwise."""
    if app.status != S.AWAITING_DECISION or not selectors.is_grants_officer(user):
        return None
    reason = beyond_delegated_limit(app)
    if reason is None:
        return None
    today = rules.today()
    on_agenda = (
        PanelItem.objects.filter(application=app, meeting__date__gte=today)
        .select_related("meeting")
        .order_by("meeting__date", "pk")
        .first()
    )
    if on_agenda is not None:
        return PanelRoute(reason, on_agenda=on_agenda)
    meeting = (
        PanelMeeting.objects.filter(fund_id=app.fund_year.fund_id, date__gte=today)
        .order_by("date", "pk")
        .first()
    )
    return PanelRoute(reason, next_meeting=meeting)


@access.page(access.reads_applications)
def application_detail(request, reference: str):
    app = _application(reference)
    available = available_transitions(app, request.user)
    steps = [step for step in STEPS.values() if step.offered(app, available, request.user)]
    waits_for = WAITS_FOR.get(app.status)
    blocked = (
        transition_refusal(app, waits_for, request.user)
        if waits_for and waits_for not in available and selectors.is_grants_officer(request.user)
        else None
    )
    decisions = list(app.decisions.all())
    for decision in decisions:
        decision.notice = decision.notice_text()
    return render(
        request,
        "decisions/application.html",
        {
            "app": app,
            "steps": steps,
            "blocked": blocked,
            "panel": _panel_route(app, request.user),
            "next": selectors.what_happens_next(app),
            "bank_account": current_bank_account(app.organisation),
            "postings": selectors.postings(app.reference),
            "pledged": selectors.pledged_total(app),
            "decisions": decisions,
        },
    )


# --- the steps ------------------------------------------------------------------------------


def _step_application(reference: str) -> Application:
    return get_object_or_404(
        Application.objects.select_related("organisation", "fund_year__fund", "fund_year__year"),
        reference=reference,
    )


def _to_decide(reference: str) -> Application:
    """A step its service decides (`Step.service_decides`), POSTed: only what is read of the
    application before its service locks it and reads it whole (lock_application: its key, its
    group and its council) and what the answer says (its reference and state)."""
    return get_object_or_404(
        Application.objects.select_related("fund_year__fund").only(
            "reference", "status", "organisation_id", "council_id", "fund_year__fund__council_id"
        ),
        reference=reference,
    )


def _with_details(app: Application) -> Application:
    """The pledges and assessments a step's page shows, read when it is shown (a step taken
    redirects without them)."""
    prefetch_related_objects(
        [app],
        "pledges",
        Prefetch("assessments", queryset=Assessment.objects.select_related("assessor")),
    )
    return app


def _take(name: str, app: Application, by: User, given: Mapping[str, Any]) -> str:
    """Take transition `name` as applications.transitions says it is taken, with `given` as
    its input; the name says what was done."""
    transitions.get(name).take(app, by, given)
    return name


def _eligibility(app: Application, by: User, data: Mapping[str, Any]) -> str:
    outcome, note = data["outcome"], data["note"].strip()
    # The page's one note is a note when it is eligible, otherwise the reason the group is told.
    return _take(outcome, app, by, {"note" if outcome == "mark_eligible" else "reason": note})


def _assess(app: Application, by: User, data: Mapping[str, Any]) -> str:
    return _take("recommend", app, by, data)  # the form asks what the API's input does


def _decide(app: Application, by: User, data: Mapping[str, Any]) -> str:
    # Not through the table: a deferral is a decision that is no transition.
    outcome = data["outcome"]
    decision = decide.decision_record(
        application=app,
        by=by,
        outcome=outcome,
        reasons=data["reasons"],
        amount=data["amount"] if outcome == "approve" else None,
        conditions=data["conditions"],
    )
    return {"approve": "approve", "reject": "reject"}.get(decision.outcome, "defer")


def _note_step(transition: str, field: str | None) -> Performer:
    """A few-words step: the page's note is the transition's input `field` (None: unused)."""

    def perform(app: Application, by: User, data: Mapping[str, Any]) -> str:
        return _take(transition, app, by, {field: data["note"].strip()} if field else {})

    return perform


# How each page takes its step, saying which transition it took (or "defer").
PERFORM: dict[str, Performer] = {
    "eligibility": _eligibility,
    "assess": _assess,
    "decide": _decide,
    "return": _note_step("return_to_applicant", "reason"),
    "withdraw": _note_step("withdraw", "reason"),
    "revoke": _note_step("revoke", "reason"),
    "close": _note_step("close", "note"),
    "lapse": _note_step("lapse", None),
}


# The services' names for what the step pages call otherwise: a step's one box is its `note`.
STEP_FIELDS = {"reason": "note"}


def _form(slug: str, app: Application, offered: list[str], data=None):
    if slug == "eligibility":
        return EligibilityForm(data, offered=offered or list(STEPS[slug].transitions))
    if slug == "assess":
        initial = {"recommended_amount": app.amount_requested}
        return AssessmentForm(data, initial=initial)
    if slug == "decide":
        if data is not None:  # what was sent: the initial amount is not needed
            return DecisionForm(data)
        latest = next(reversed(_with_details(app).assessments.all()), None)
        amount = latest.recommended_amount if latest else None
        return DecisionForm(data, initial={"amount": amount or app.amount_requested})
    return NoteForm(data, **NOTE_STEPS[slug])


def _done_message(app: Application, done: str) -> str:
    """`app` as it was before the step `done`: the state it is in now is the transition's
    target, or (for one whose target depends on the bid) read again."""
    if done == "defer":
        return f"The decision on {app.reference} is deferred: it is still waiting for a decision."
    taken = getattr(app, done)._django_fsm.get_transition(app.status)
    target = taken.target if taken is not None else None
    if not isinstance(target, str):
        app.refresh_from_db(fields=["status"])
        target = app.status
    what = transitions.get(done).done
    return f"{app.reference} {what}. It is now: {Status(target).label.lower()}."


@access.page(access.grants_officer, access.grants_officer)
def step(request, reference: str, slug: str):
    page = STEPS.get(slug)
    if page is None:
        raise Http404("There is no such step.")
    taken_first = request.method == "POST" and page.service_decides
    app = _to_decide(reference) if taken_first else _step_application(reference)

    def offered_now() -> list[str]:
        available = available_transitions(app, request.user, among=page.transitions)
        return page.offered(app, available, request.user)

    offered = list(page.transitions) if taken_first else offered_now()
    # A person who may not take the step is told why, before anything they sent is used.
    if request.method == "POST" and offered:
        form = _form(slug, app, offered, request.POST)
        if form.is_valid():
            try:
                done = PERFORM[slug](app, request.user, form.cleaned_data)
            except DomainError as error:
                add_refusal(form, error, fields=STEP_FIELDS)
            else:
                messages.success(request, _done_message(app, done))
                return redirect("decisions:application", reference=app.reference)
        if taken_first:  # refused or not valid: as if the page had asked first
            app = _step_application(reference)  # all of it, for the page
            offered = offered_now()
    else:
        form = _form(slug, app, offered)
    refusal = None if offered else page.refusal(app, request.user)
    latest = next(reversed(_with_details(app).assessments.all()), None)
    return render(
        request,
        "decisions/step.html",
        {
            "app": app,
            "step": page,
            "form": form if offered else None,
            "refusal": refusal,
            "assessment": latest,
            "pledged": selectors.pledged_total(app),
            "panel": _panel_route(app, request.user) if refusal else None,
        },
    )


# --- panels ---------------------------------------------------------------------------------


def _meeting(user: User, pk: int) -> PanelMeeting:
    meeting = PanelMeeting.objects.select_related("fund", "created_by").filter(pk=pk).first()
    if meeting is None or not selectors.may_see_meeting(user, meeting):
        raise Http404("There is no such panel meeting.")  # not theirs: as if none
    return meeting


@access.page(access.reads_panels)
def panels(request):
    if fmt := exports.requested_format(request):  # "Download this list"
        return downloads.panels(selectors.meetings_for(request.user), fmt)
    return render(
        request,
        "decisions/panels.html",
        {
            "meetings": selectors.meetings_for(request.user),
            "may_arrange": selectors.is_grants_officer(request.user),
        },
    )


@access.page(access.grants_officer, access.grants_officer)
def panel_create(request):
    form = PanelMeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = decide.panel_meeting_create(
                title=data["title"],
                fund=data["fund"],
                date=data["date"],
                quorum=data["quorum"],
                members=list(data["members"]),
                by=request.user,
            )
        except DomainError as error:
            add_refusal(form, error)  # its fields are the service's: quorum, members
        else:
            messages.success(request, f"{meeting} arranged. Now add applications to its agenda.")
            return redirect("decisions:panel", pk=meeting.pk)
    return render(request, "decisions/panel_form.html", {"form": form})


@access.page(access.reads_panels)
def panel_detail(request, pk: int):
    meeting = _meeting(request.user, pk)
    if fmt := exports.requested_format(request):  # the agenda, "Download this list"
        return downloads.agenda(meeting, fmt)
    seats = selectors.seats(meeting)
    mine = next((s for s in seats if s.user_id == request.user.pk), None)
    items = selectors.agenda(meeting)
    rows = []
    for item in items:
        app = item.application
        decided = selectors.item_decided(item)
        rows.append(
            {
                "item": item,
                "app": app,
                "assessment": next(reversed(app.assessments.all()), None),
                "support": [p for p in app.pledges.all() if p.status != "withdrawn"],
                "decided": decided,
                "deferred": [d for d in item.decisions.all() if d.outcome == "defer"],
                "may_record": bool(mine and mine.attended)
                and decided is None
                and app.status == S.AWAITING_DECISION,
            }
        )
    attended = sum(1 for s in seats if s.attended)
    return render(
        request,
        "decisions/panel.html",
        {
            "meeting": meeting,
            "seats": seats,
            "mine": mine,
            "rows": rows,
            "attended": attended,
            "register_taken": any(s.attended is not None for s in seats),
            "is_officer": selectors.is_grants_officer(request.user),
            "may_take_register": selectors.is_grants_officer(request.user) or mine is not None,
        },
    )


@access.page(access.grants_officer, access.grants_officer)
def panel_agenda(request, pk: int):
    meeting = _meeting(request.user, pk)
    candidates = selectors.agenda_candidates(meeting)
    # "Add to a panel agenda" on a bid's page comes here with the bid ticked already.
    ticked = list(candidates.filter(reference=request.GET.get("application", "")))
    form = AgendaForm(request.POST or None, candidates=candidates, initial={"applications": ticked})
    if request.method == "POST" and form.is_valid():
        added = []
        try:
            for app in form.cleaned_data["applications"]:
                decide.panel_item_add(meeting=meeting, application=app, by=request.user)
                added.append(app.reference)
        except DomainError as error:
            add_refusal(form, error, fields={"application": "applications"})
        if not form.errors:
            messages.success(request, f"Added to the agenda: {', '.join(added)}.")
            return redirect("decisions:panel", pk=meeting.pk)
        if added:
            messages.info(request, f"Added to the agenda before the problem: {', '.join(added)}.")
    return render(
        request,
        "decisions/panel_agenda.html",
        {"meeting": meeting, "form": form, "has_candidates": candidates.exists()},
    )


@access.page(access.reads_panels, access.reads_panels)
def panel_register(request, pk: int):
    meeting = _meeting(request.user, pk)
    is_member = PanelMembership.objects.filter(meeting=meeting, user=request.user).exists()
    if not (selectors.is_grants_officer(request.user) or is_member):
        raise PermissionDenied(
            "Only the panel's members or a grants officer can take the register."
        )
    present = PanelMembership.objects.filter(meeting=meeting, attended=True).values_list(
        "user_id", flat=True
    )
    form = RegisterForm(request.POST or None, meeting=meeting, initial={"attended": list(present)})
    if request.method == "POST" and form.is_valid():
        try:
            decide.attendance_record(
                meeting=meeting, attended=list(form.cleaned_data["attended"]), by=request.user
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            messages.success(request, "The register is saved.")
            return redirect("decisions:panel", pk=meeting.pk)
    return render(request, "decisions/panel_register.html", {"meeting": meeting, "form": form})


@access.page(access.reads_panels, access.reads_panels)
def panel_item(request, pk: int, position: int):
    meeting = _meeting(request.user, pk)
    items = [i for i in selectors.agenda(meeting) if i.position == position]
    if not items:
        raise Http404("There is no such item on the agenda.")
    item = items[0]
    app = item.application
    seat = PanelMembership.objects.filter(meeting=meeting, user=request.user).first()
    decided = selectors.item_decided(item)
    if decided is not None:
        refusal = f"Item {item.position} has been decided already."
    elif app.status != S.AWAITING_DECISION:
        refusal = (
            f"{app.reference} is {app.get_status_display().lower()}: "
            "it is not waiting for a decision."
        )
    elif seat is None or not seat.attended:
        refusal = "Only a panel member who attended the meeting can record its decision."
    else:
        refusal = None
    latest = next(reversed(app.assessments.all()), None)
    initial = {"amount": (latest.recommended_amount if latest else None) or app.amount_requested}
    form = DecisionForm(request.POST or None, initial=initial, button="Record the panel's decision")
    if request.method == "POST" and refusal is None and form.is_valid():
        data = form.cleaned_data
        try:
            decision = decide.panel_decision_record(
                item=item,
                by=request.user,
                outcome=data["outcome"],
                reasons=data["reasons"],
                amount=data["amount"] if data["outcome"] == "approve" else None,
                conditions=data["conditions"],
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                f"Item {item.position}, {app.reference}: {decision.get_outcome_display().lower()}"
                + (f", {pounds(decision.amount_awarded)}" if decision.amount_awarded else "")
                + ".",
            )
            return redirect("decisions:panel", pk=meeting.pk)
    return render(
        request,
        "decisions/panel_item.html",
        {
            "meeting": meeting,
            "item": item,
            "app": app,
            "assessment": latest,
            "pledged": selectors.pledged_total(app),
            "form": None if refusal else form,
            "refusal": refusal,
        },
    )
