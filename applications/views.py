"""The community-group pages for an application: starting one, the task list and its
sections, checking and sending it, and what happens after it is sent.

Views check who may see what, build a form and call a service; a refusal (DomainError) is shown
in the form's error summary. A person reaches only their own organisations' records: anyone
else's id is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from applications import eligibility, group_selectors, group_services, sections, services
from applications.forms import (
    ADD,
    CONTINUE,
    LATER,
    UPLOAD_HINT,
    AcceptOfferForm,
    ChooseFundForm,
    ConfirmForm,
    MonitoringForm,
    StartForm,
    WithdrawForm,
    as_kept,
    short_of,
    typed,
)
from applications.models import Application, Attachment, BudgetLine, MatchFunding, Organisation
from applications.rules import offer_window, outside_pre_election_period, today
from applications.workflow import BEFORE_PAYMENT, Status
from fundmgr import access
from fundmgr.errors import DomainError
from fundmgr.forms import add_refusal
from fundmgr.models import User
from fundmgr.money import pounds

PAGE_SIZE = 20


def posted(request, *, files: bool = False):
    """The submitted data, or None for a GET, so that an empty POST is still a bound form."""
    if request.method != "POST":
        return None
    return request.FILES if files else request.POST


def own_organisation(request, pk: int) -> Organisation:
    return get_object_or_404(group_selectors.organisations_for(request.user), pk=pk)


def _application(request, pk: int) -> Application:
    return get_object_or_404(group_selectors.applications_for(request.user), pk=pk)


def _draft(request, pk: int) -> Application:
    try:
        return group_selectors.draft_for_pages(pk, request.user)
    except Application.DoesNotExist:
        raise Http404("No such application") from None


# --- starting an application ----------------------------------------------------------------


@access.page(access.signed_in)
def application_new(request):
    """Choose the fund: only those open today are offered."""
    orgs = list(group_selectors.organisations_for(request.user))
    fund_years = eligibility.open_fund_years()
    form = ChooseFundForm(request.GET or None, fund_years=fund_years)
    if request.GET and form.is_valid():
        return redirect(
            "applications:before_you_start", fund_year=form.cleaned_data["fund_year"].pk
        )
    return render(
        request,
        "applications/choose_fund.html",
        {"form": form, "organisations": orgs, "any_open": fund_years.exists()},
    )


@access.page(access.signed_in, access.signed_in)
def before_you_start(request, fund_year: int):
    """Every question and every limit of the fund, before the group commits to anything."""
    fy = get_object_or_404(eligibility.open_fund_years(), pk=fund_year)
    orgs = group_selectors.organisations_for(request.user)
    if not orgs:
        return redirect("applications:application_new")
    form = StartForm(posted(request), organisations=orgs)
    carried = eligibility.carried(request.session, fy)
    if request.method == "POST" and form.is_valid():
        try:
            app = services.application_create(
                fund_year=fy,
                organisation=form.cleaned_data["organisation"],
                by=request.user,
                **carried,
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            request.session.pop(eligibility.SESSION_KEY, None)  # used once, for this draft
            return redirect("applications:tasks", pk=app.pk)
    return render(
        request,
        "applications/before_you_start.html",
        {
            "fund_year": fy,
            "form": form,
            "organisations": orgs,
            "scheme": eligibility.scheme(fy),
            "upload_hint": UPLOAD_HINT,
            "carried": carried,
        },
    )


# --- the task list and its sections ---------------------------------------------------------


def _editable(request, pk: int) -> Application:
    app = _draft(request, pk)
    if app.status != Status.DRAFT:
        raise _Locked(app)
    return app


class _Locked(Exception):
    def __init__(self, app: Application):
        self.app = app


def draft_only(view):
    """Sections can be changed only while the application is a draft: otherwise the status page
    says where it has got to."""

    def wrapped(request, pk: int, *args, **kwargs):
        try:
            return view(request, pk, *args, **kwargs)
        except _Locked as locked:
            app = locked.app
            messages.info(
                request,
                f"{app.reference} is {app.get_status_display().lower()}: its answers can no "
                "longer be changed.",
            )
            return redirect("applications:status", pk=app.pk)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return access.page(access.signed_in, access.signed_in)(wrapped)


def _section_context(app: Application, **extra) -> dict:
    return {"app": app, "fund_year": app.fund_year, **extra}


@draft_only
def tasks(request, pk: int):
    app = _editable(request, pk)
    items = sections.tasks(app)
    for task in items:
        task.url = reverse(f"applications:{task.slug}", args=[app.pk])
    done = sum(1 for t in items if t.status == sections.COMPLETED)
    return render(
        request,
        "applications/tasks.html",
        _section_context(
            app,
            tasks=items,
            done=done,
            may_check=sections.required_done(items),
            returned=group_selectors.returned_note(app),
        ),
    )


# --- the sections' pages --------------------------------------------------------------------
# Every section's page has "Save and continue" and "Save and come back later". Valid answers are
# saved into the application either way; what is not valid yet is kept as typed
# (`services.application_draft_keep`) and shown again, as typed, when the page is reopened.
# A page reached from a Change link on Check your answers (?return=check) goes back there.

RETURN_TO_CHECK = "check"


def _returning(request) -> bool:
    """Whether the page was opened from Check your answers: the one word we honour, so the
    parameter can never send anyone elsewhere."""
    return request.GET.get("return") == RETURN_TO_CHECK


def _page_url(request, app: Application, name: str) -> str:
    url = reverse(f"applications:{name}", args=[app.pk])
    return f"{url}?return={RETURN_TO_CHECK}" if _returning(request) else url


def _next_url(request, app: Application) -> str:
    name = "check_answers" if _returning(request) else "tasks"
    return reverse(f"applications:{name}", args=[app.pk])


def _action(request) -> str:
    action = request.POST.get("action", CONTINUE)
    return action if action in (CONTINUE, LATER, ADD) else CONTINUE


def _saved_for_later(request, app: Application):
    messages.success(request, "Your answers have been saved")
    return redirect("applications:tasks", pk=app.pk)


def _keep(request, app: Application, slug: str, form, *, answers=None) -> bool:
    """Keep what was typed on the page (files never); False, with the refusal on the form, if
    the person may not."""
    if answers is None:
        files = {name for name, f in form.fields.items() if isinstance(f, forms.FileField)}
        answers = {k: v for k, v in request.POST.lists() if k not in files}
    try:
        services.application_draft_keep(
            application=app, by=request.user, section=slug, answers=answers
        )
    except DomainError as error:
        add_refusal(form, error)
        return False
    return True


def _shown_form(app: Application, slug: str):
    """The section's form for a GET: what was kept as typed if anything was, else the saved
    answers."""
    kept = sections.kept_form(app, slug)
    return as_kept(kept) if kept is not None else sections.form_for(app, slug)


def _page_context(request, app: Application, **extra) -> dict:
    return _section_context(
        app,
        back_url=_next_url(request, app),
        returning=_returning(request),
        **extra,
    )


def _question(request, pk: int, slug: str, template: str):
    """A section of questions saved into the application itself (about, dates, amount)."""
    app = _editable(request, pk)
    if request.method != "POST":
        form = _shown_form(app, slug)
        return render(request, template, _page_context(request, app, form=form))
    action = _action(request)
    form = sections.form_for(app, slug, request.POST)
    if form.is_valid():
        try:
            services.application_update(
                application=app,
                by=request.user,
                version=form.cleaned_data["version"],
                section=slug,
                **form.answers(),
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            if action == LATER:
                return _saved_for_later(request, app)
            return redirect(_next_url(request, app))
    elif _keep(request, app, slug, form) and action == LATER:
        return _saved_for_later(request, app)
    return render(request, template, _page_context(request, app, form=form))


@draft_only
def section_about(request, pk: int):
    return _question(request, pk, "about", "applications/section_about.html")


@draft_only
def section_dates(request, pk: int):
    return _question(request, pk, "dates", "applications/section_dates.html")


@draft_only
def section_amount(request, pk: int):
    return _question(request, pk, "amount", "applications/section_amount.html")


def _list_section(
    request,
    app: Application,
    slug: str,
    *,
    add: Callable[[Application, User, dict], str],
    page: Callable[..., Any],
    finish: Callable[[Application, User], str | None] | None = None,
    action: str | None = None,
):
    """A section that lists things (costs, other funding, documents): its page adds one more
    with `add`, which returns its name. "Save and continue" adds what was typed, if anything,
    then asks `finish` whether the section may be left (a reason if not)."""
    if request.method != "POST":
        return page(request, app, _shown_form(app, slug))
    action = action or _action(request)
    form = sections.form_for(app, slug, request.POST, request.FILES)
    if action == ADD or typed(form):
        if not form.is_valid():
            if _keep(request, app, slug, form) and action == LATER:
                return _saved_for_later(request, app)
            return page(request, app, form)
        try:
            name = add(app, request.user, form.cleaned_data)
        except DomainError as error:
            add_refusal(form, error)
            if _keep(request, app, slug, form) and action == LATER:
                return _saved_for_later(request, app)
            return page(request, app, form)
        messages.success(request, f"Added {name}.")
    if not _keep(request, app, slug, form, answers={}):  # what was kept is now added
        return page(request, app, form)
    if action == LATER:
        return _saved_for_later(request, app)
    if action == ADD:
        return redirect(_page_url(request, app, slug))
    if finish is not None and (reason := finish(app, request.user)):
        # Shown at the first question of the box, where the person puts it right.
        blank = as_kept(sections.form_for(app, slug))
        blank.add_error(next(iter(blank.fields)), reason)
        return page(request, app, blank)
    return redirect(_next_url(request, app))


def _costs_page(request, app: Application, form):
    form.helper.form_action = _page_url(request, app, "costs")
    app = _draft(request, app.pk)  # the lines as they are now
    asked = app.amount_requested
    lines_total = sections.lines_total(app)
    return render(
        request,
        "applications/section_costs.html",
        _page_context(
            request,
            app,
            form=form,
            lines=list(app.budget_lines.all()),
            lines_total=lines_total,
            short=asked - lines_total if asked is not None and lines_total < asked else None,
            share=app.fund_year.match_funding_share,
        ),
    )


def _add_cost(app: Application, by: User, data: dict) -> str:
    line = services.budget_line_add(application=app, by=by, **data)
    services.application_costs_settle(application=app, by=by)
    return line.item


def _costs_finish(app: Application, by: User) -> str | None:
    app = services.application_costs_settle(application=app, by=by)
    if app.total_cost is None:
        return "Add at least one cost: what you will buy or pay for, and how much it costs"
    if app.amount_requested is not None and app.total_cost < app.amount_requested:
        return short_of(app.total_cost, app.amount_requested)
    return None


@draft_only
def section_costs(request, pk: int):
    app = _editable(request, pk)
    return _list_section(
        request, app, "costs", add=_add_cost, page=_costs_page, finish=_costs_finish
    )


@draft_only
@require_POST
def budget_line_add(request, pk: int):
    """Adding a cost from a page drawn before costs and the buttons shared one form."""
    app = _editable(request, pk)
    return _list_section(
        request, app, "costs", add=_add_cost, page=_costs_page, finish=_costs_finish, action=ADD
    )


def _remove_cost(item: BudgetLine, by: User) -> None:
    services.budget_line_remove(line=item, by=by)
    services.application_costs_settle(application=item.application, by=by)


@draft_only
@require_POST
def budget_line_remove(request, pk: int, line: int):
    return _remove_item(
        request,
        pk,
        BudgetLine,
        line,
        _remove_cost,
        name=lambda item: item.item,
        back="costs",
    )


def _remove_item(
    request,
    pk: int,
    model: type[Model],
    item_pk: int,
    remove: Callable[[Any, User], None],
    *,
    name: Callable[[Any], str],
    back: str,
):
    """Remove one line of a draft's section (a cost, a funding source, a document) and go back
    to the section, saying what happened. `remove(item, by)` is the service that removes it."""
    app = _editable(request, pk)
    item = get_object_or_404(model, pk=item_pk, application=app)
    try:
        remove(item, request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Removed {name(item)}.")
    return redirect(_page_url(request, app, back))


def _other_funding_page(request, app: Application, form):
    form.helper.form_action = _page_url(request, app, "other_funding")
    app = _draft(request, app.pk)
    gap = None
    if app.total_cost is not None and app.amount_requested is not None:
        gap = app.total_cost - app.amount_requested
    return render(
        request,
        "applications/section_other_funding.html",
        _page_context(
            request,
            app,
            form=form,
            sources=list(app.match_funding_sources.all()),
            found=sections.other_funding_total(app),
            gap=gap,
        ),
    )


def _add_funding(app: Application, by: User, data: dict) -> str:
    services.match_funding_add(
        application=app,
        by=by,
        source=data["source"],
        amount=data["amount"],
        secured=data["secured"] == "yes",
    )
    return data["source"]


@draft_only
def section_other_funding(request, pk: int):
    app = _editable(request, pk)
    return _list_section(request, app, "other_funding", add=_add_funding, page=_other_funding_page)


@draft_only
@require_POST
def other_funding_remove(request, pk: int, source: int):
    return _remove_item(
        request,
        pk,
        MatchFunding,
        source,
        lambda item, by: group_services.match_funding_remove(source=item, by=by),
        name=lambda item: item.source,
        back="other_funding",
    )


def _documents_page(request, app: Application, form):
    form.helper.form_action = _page_url(request, app, "documents")
    app = _draft(request, app.pk)
    return render(
        request,
        "applications/section_documents.html",
        _page_context(request, app, form=form, documents=list(app.attachments.all())),
    )


def _add_document(app: Application, by: User, data: dict) -> str:
    services.attachment_add(application=app, by=by, **data)
    return data["description"]


@draft_only
def section_documents(request, pk: int):
    app = _editable(request, pk)
    return _list_section(request, app, "documents", add=_add_document, page=_documents_page)


@draft_only
@require_POST
def document_remove(request, pk: int, document: int):
    return _remove_item(
        request,
        pk,
        Attachment,
        document,
        lambda item, by: group_services.attachment_remove(attachment=item, by=by),
        name=lambda item: item.description,
        back="documents",
    )


@draft_only
def check_answers(request, pk: int):
    app = _editable(request, pk)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.application_submit(application=app, by=request.user)
        except DomainError as error:
            add_refusal(form, error)
        else:
            return redirect("applications:confirmation", pk=app.pk, what="submitted")
    return render(
        request,
        "applications/check_answers.html",
        _section_context(
            app,
            form=form,
            tasks=sections.tasks(app),
            lines_total=sections.lines_total(app),
            found=sections.other_funding_total(app),
        ),
    )


# --- after it is sent -----------------------------------------------------------------------

# The confirmation pages, and the states in which each makes sense.
CONFIRMATIONS = {
    "submitted": ("Application submitted", set(Status) - {Status.DRAFT}),
    "withdrawn": ("Application withdrawn", {Status.WITHDRAWN}),
    "accepted": ("Offer accepted", {Status.OFFER_ACCEPTED, Status.MONITORING, Status.CLOSED}),
    "reported": ("Report sent", {Status.MONITORING, Status.CLOSED}),
}


@access.page(access.signed_in)
def confirmation(request, pk: int, what: str):
    app = _application(request, pk)
    if what not in CONFIRMATIONS or app.status not in CONFIRMATIONS[what][1]:
        return redirect("applications:status", pk=app.pk)
    return render(
        request,
        "applications/confirmation.html",
        {"app": app, "what": what, "title": CONFIRMATIONS[what][0]},
    )


@access.page(access.signed_in)
def status(request, pk: int):
    app = _application(request, pk)
    allowed = services.available_transitions(app, request.user)
    decision = group_selectors.offer_decision(app) if app.status == Status.APPROVED else None
    return render(
        request,
        "applications/status.html",
        {
            "app": app,
            "needs_next": group_selectors.needs_next(app),
            "timeline": group_selectors.timeline(app),
            "returned": group_selectors.returned_note(app),
            "may_withdraw": "withdraw" in allowed,
            "may_accept": "accept_offer" in allowed,
            "may_report": app.status == Status.MONITORING and not app.reported,
            "decision": decision,
            "offer_window": offer_window(app),
            "today": today(),
            # A pre-election period holding the bid's councillor support or decision, if any.
            "election": outside_pre_election_period.refusal(app)
            if app.status in (Status.AWAITING_SUPPORT, Status.AWAITING_DECISION)
            else None,
        },
    )


@access.page(access.signed_in, access.signed_in)
def withdraw(request, pk: int):
    app = _application(request, pk)
    if app.status not in BEFORE_PAYMENT:
        return redirect("applications:status", pk=app.pk)
    form = WithdrawForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.application_withdraw(
                application=app, by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            return redirect("applications:confirmation", pk=app.pk, what="withdrawn")
    return render(request, "applications/withdraw.html", {"app": app, "form": form})


@access.page(access.signed_in, access.signed_in)
def accept_offer(request, pk: int):
    app = _application(request, pk)
    if app.status != Status.APPROVED:
        return redirect("applications:status", pk=app.pk)
    form = AcceptOfferForm(posted(request), organisation=app.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_accept_offer(application=app, by=request.user)
        except DomainError as error:
            add_refusal(form, error)
        else:
            return redirect("applications:confirmation", pk=app.pk, what="accepted")
    return render(
        request,
        "applications/accept_offer.html",
        {
            "app": app,
            "form": form,
            "decision": group_selectors.offer_decision(app),
            "offer_window": offer_window(app),
        },
    )


@access.page(access.signed_in, access.signed_in)
def monitoring_report(request, pk: int):
    app = _application(request, pk)
    if app.status != Status.MONITORING:
        return redirect("applications:status", pk=app.pk)
    form = MonitoringForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.monitoring_report_submit(application=app, by=request.user, **form.cleaned_data)
        except DomainError as error:
            add_refusal(form, error)
        else:
            return redirect("applications:confirmation", pk=app.pk, what="reported")
    return render(
        request,
        "applications/monitoring.html",
        {"app": app, "form": form, "awarded": pounds(app.amount_awarded)},
    )
