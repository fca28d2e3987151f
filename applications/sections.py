"""The sections of an application, as its task list shows them: each section's form, how far
it has got, and what is missing from it, in the group's own words.

A section's page may keep what was typed and not saved yet (`Application.draft_answers`, kept
by "Save and come back later" or by a "Save and continue" that found something wrong): such a
section is "In progress", and what is wrong with the kept answers is what the task list says
is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.db.models import Q
from django.http import QueryDict

from applications.forms import (
    AboutForm,
    AmountForm,
    AttachmentForm,
    BudgetLineForm,
    DatesForm,
    MatchFundingForm,
    kept_data,
)
from applications.models import Application
from budgets.models import Ward
from fundmgr.money import pounds

COMPLETED, IN_PROGRESS, NOT_STARTED, CANNOT_START = (
    "Completed",
    "In progress",
    "Not yet started",
    "Cannot start yet",
)
TAG_CLASSES = {
    IN_PROGRESS: "govuk-tag--light-blue",
    NOT_STARTED: "govuk-tag--blue",
}  # Completed and "Cannot start yet" are plain text, as GOV.UK's task list has them


@dataclass
class Task:
    slug: str
    name: str
    status: str
    missing: list[str] = field(default_factory=list)
    hint: str = ""
    url: str = ""

    @property
    def tag_class(self) -> str:
        return TAG_CLASSES.get(self.status, "")

    @property
    def may_start(self) -> bool:
        return self.status != CANNOT_START


def lines_total(app: Application) -> Decimal:
    return sum((line.cost for line in app.budget_lines.all()), Decimal("0.00"))


def other_funding_total(app: Application) -> Decimal:
    return sum((m.amount for m in app.match_funding_sources.all()), Decimal("0.00"))


# --- each section's form --------------------------------------------------------------------


def _about(app: Application, data, files) -> forms.Form:
    wards = (
        Ward.objects.filter(council_id=app.fund_year.fund.council_id)
        .filter(Q(ended_on__isnull=True) | Q(pk__in=app.wards.values("pk")))  # or named already
        .order_by("name")
    )
    initial = {
        "version": app.version,
        "title": app.title,
        "purpose": app.purpose,
        "wards": [w.pk for w in app.wards.all()],
        "people_benefiting": app.people_benefiting,
    }
    return AboutForm(data, initial=initial, wards=wards)


def _dates(app: Application, data, files) -> forms.Form:
    initial = {
        "version": app.version,
        "project_start": app.project_start,
        "project_end": app.project_end,
    }
    return DatesForm(data, initial=initial)


def _amount(app: Application, data, files) -> forms.Form:
    return AmountForm(
        data,
        initial={"version": app.version, "amount_requested": app.amount_requested},
        fund_year=app.fund_year,
        lines_total=lines_total(app),
    )


# The form of each section's page; the lists (costs, other funding, documents) ask for one more
# line of their list.
FORMS: dict[str, Callable[[Application, QueryDict | None, object], forms.Form]] = {
    "about": _about,
    "dates": _dates,
    "costs": lambda app, data, files: BudgetLineForm(data, files),
    "amount": _amount,
    "other_funding": lambda app, data, files: MatchFundingForm(data),
    "documents": lambda app, data, files: AttachmentForm(data, files),
}
# Sections whose page adds lines to a list; the others are questions saved into the application.
LISTS = {"costs", "other_funding", "documents"}


def form_for(app: Application, slug: str, data=None, files=None) -> forms.Form:
    return FORMS[slug](app, data, files)


def kept_form(app: Application, slug: str) -> forms.Form | None:
    """The section's form bound to what was kept of it, or None if nothing was."""
    answers = (app.draft_answers or {}).get(slug)
    if not answers:
        return None
    return form_for(app, slug, kept_data(answers, version=app.version))


def _kept_problems(app: Application, slug: str) -> list[str]:
    """What is wrong with the answers kept for a section: its form's own messages."""
    form = kept_form(app, slug)
    if form is None:
        return []
    if form.is_valid():
        return ["Your answers are saved but not checked: open this section and continue"]
    return [str(message) for errors in form.errors.values() for message in errors]


# --- how far each section has got -----------------------------------------------------------


def _about_task(app: Application) -> Task:
    missing = [
        words
        for words, given in (
            ("Enter the project title", app.title),
            ("Enter what the money is for", app.purpose),
            ("Select the wards that will benefit", list(app.wards.all())),
            ("Enter about how many people will benefit", app.people_benefiting is not None),
        )
        if not given
    ]
    started = bool(app.title or app.purpose or app.people_benefiting is not None)
    return Task("about", "About your project", _status(missing, started), missing)


def _dates_task(app: Application) -> Task:
    missing = []
    if app.project_start is None:
        missing.append("Enter the project start date")
    if app.project_end is None:
        missing.append("Enter the project end date")
    started = app.project_start is not None or app.project_end is not None
    return Task("dates", "Project dates", _status(missing, started), missing)


def _costs_task(app: Application, lines: Decimal) -> Task:
    missing = []
    has_lines = bool(list(app.budget_lines.all()))
    if not has_lines:
        missing.append("Add what you will spend the money on")
    elif app.total_cost != lines:
        missing.append(
            f"Your costs add up to {pounds(lines)}: continue from this section to make that "
            "the project’s total cost"
        )
    if has_lines and app.amount_requested is not None and lines < app.amount_requested:
        asked = app.amount_requested
        missing.append(
            f"Your costs add up to {pounds(lines)} but you asked for {pounds(asked)} — "
            f"{pounds(asked - lines)} short"
        )
    return Task("costs", "Your costs", _status(missing, has_lines), missing)


def _amount_task(app: Application, lines: Decimal) -> Task:
    missing = []
    asked, fy = app.amount_requested, app.fund_year
    if asked is None:
        missing.append("Enter how much you are asking the council for")
    elif asked < fy.min_award or asked > fy.max_award:
        missing.append(
            f"Ask for an amount from {pounds(fy.min_award)} to {pounds(fy.max_award)}: you "
            f"asked for {pounds(asked)}"
        )
    elif lines and asked > lines:
        missing.append(
            f"You asked for {pounds(asked)}, more than your costs of {pounds(lines)}: change "
            "the amount or add costs"
        )
    return Task(
        "amount", "How much you are asking for", _status(missing, asked is not None), missing
    )


def _other_funding_task(app: Application) -> Task:
    name = "Other funding"
    sources = list(app.match_funding_sources.all())
    if app.total_cost is None or app.amount_requested is None:
        return Task(
            "other_funding",
            name,
            CANNOT_START,
            hint="Add your costs and how much you are asking for first",
        )
    gap = app.total_cost - app.amount_requested
    found = other_funding_total(app)
    if gap < 0:
        return Task(
            "other_funding",
            name,
            CANNOT_START,
            hint="Make your costs and the amount you are asking for agree first",
        )
    if gap == 0:
        return Task("other_funding", name, COMPLETED, hint="You do not need other funding")
    if found >= gap:
        return Task("other_funding", name, COMPLETED)
    if not sources:
        return Task(
            "other_funding",
            name,
            NOT_STARTED,
            [f"Add where the other {pounds(gap)} of your costs will come from"],
        )
    return Task(
        "other_funding",
        name,
        IN_PROGRESS,
        [
            f"You have {pounds(found)} of the {pounds(gap)} you need from elsewhere: add where "
            f"the other {pounds(gap - found)} will come from"
        ],
    )


def _status(missing: list[str], started: bool) -> str:
    if not missing:
        return COMPLETED
    return IN_PROGRESS if started else NOT_STARTED


def tasks(app: Application) -> list[Task]:
    """The sections of the application and how far each has got, with what is missing. Uses
    the prefetched sections of `group_selectors.draft_for_pages`."""
    lines = lines_total(app)
    items = [
        _about_task(app),
        _dates_task(app),
        _costs_task(app, lines),
        _amount_task(app, lines),
        _other_funding_task(app),
        Task(
            "documents",
            "Documents",
            COMPLETED if list(app.attachments.all()) else NOT_STARTED,
            hint="Optional: quotes, your constitution or photos",
        ),
    ]
    for task in items:
        kept = _kept_problems(app, task.slug)
        if kept:
            task.status = IN_PROGRESS
            task.missing = kept
            task.hint = ""
        elif task.status == NOT_STARTED and len(task.missing) > 1:
            task.missing = []  # every question of a page not yet opened: the page asks them
    return items


def required_done(items: list[Task]) -> bool:
    """Whether every section but the optional documents is complete: only then can the
    answers be checked and sent."""
    return all(t.status == COMPLETED for t in items if t.slug != "documents")
