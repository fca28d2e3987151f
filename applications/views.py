"""The community-group pages for an application: starting one, the task list and its
sections, checking and sending it, and what happens after it is sent.

Views check who may see what, build a form and call a service; a refusal (DomainError) is shown
in the form's error summary. A person reaches only their own organisations' records: anyone
else's id is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import Model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from applications import eligibility, group_selectors, group_services, services
from applications.forms import (
    UPLOAD_HINT,
    AboutForm,
    AcceptOfferForm,
    AttachmentForm,
    BudgetLineForm,
    ChooseFundForm,
    ConfirmForm,
    CostsForm,
    DatesForm,
    MatchFundingForm,
    MonitoringForm,
    StartForm,
    WithdrawForm,
)
from applications.models import Application, Attachment, BudgetLine, MatchFunding, Organisation
from applications.rules import offer_window, outside_pre_election_period, today
from applications.workflow import BEFORE_PAYMENT, Status
from budgets.models import Ward
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
    if request.method == "POST" and form.is_valid():
        try:
            app = services.application_create(
                fund_year=fy, organisation=form.cleaned_data["organisation"], by=request.user
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
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
    items = group_selectors.tasks(app)
    for task in items:
        task.url = reverse(f"applications:{task.slug}", args=[app.pk])
    done = sum(1 for t in items if t.status == group_selectors.COMPLETED)
    return render(
        request,
        "applications/tasks.html",
        _section_context(
            app,
            tasks=items,
            done=done,
            returned=group_selectors.returned_note(app),
        ),
    )


def _save_section(request, app: Application, form, template: str, **extra):
    if request.method == "POST" and form.is_valid():
        try:
            services.application_update(
                application=app,
                by=request.user,
                version=form.cleaned_data["version"],
                **form.answers(),
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            return redirect("applications:tasks", pk=app.pk)
    return render(request, template, _section_context(app, form=form, **extra))


@draft_only
def section_about(request, pk: int):
    app = _editable(request, pk)
    initial = {
        "version": app.version,
        "title": app.title,
        "purpose": app.purpose,
        "wards": [w.pk for w in app.wards.all()],
        "people_benefiting": app.people_benefiting,
    }
    wards = Ward.objects.filter(council_id=app.fund_year.fund.council_id).order_by("name")
    form = AboutForm(posted(request), initial=initial, wards=wards)
    return _save_section(request, app, form, "applications/section_about.html")


@draft_only
def section_dates(request, pk: int):
    app = _editable(request, pk)
    initial = {
        "version": app.version,
        "project_start": app.project_start,
        "project_end": app.project_end,
    }
    form = DatesForm(posted(request), initial=initial)
    return _save_section(request, app, form, "applications/section_dates.html")


def _costs_page(request, app: Application, *, costs_form=None, line_form=None):
    fy = app.fund_year
    costs_form = costs_form or CostsForm(
        initial={
            "version": app.version,
            "total_cost": app.total_cost
            if app.total_cost is not None
            else (group_selectors.lines_total(app) or None),
            "amount_requested": app.amount_requested,
        },
    )
    costs_form.helper.form_action = reverse("applications:costs", args=[app.pk])
    line_form = line_form or BudgetLineForm()
    line_form.helper.form_action = reverse("applications:budget_line_add", args=[app.pk])
    return render(
        request,
        "applications/section_costs.html",
        _section_context(
            app,
            form=costs_form,
            line_form=line_form,
            lines=list(app.budget_lines.all()),
            lines_total=group_selectors.lines_total(app),
            share=fy.match_funding_share,
        ),
    )


@draft_only
def section_costs(request, pk: int):
    app = _editable(request, pk)
    if request.method != "POST":
        return _costs_page(request, app)
    form = CostsForm(request.POST)
    if form.is_valid():
        try:
            services.application_update(
                application=app,
                by=request.user,
                version=form.cleaned_data["version"],
                **form.answers(),
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            return redirect("applications:tasks", pk=app.pk)
    return _costs_page(request, app, costs_form=form)


@draft_only
@require_POST
def budget_line_add(request, pk: int):
    app = _editable(request, pk)
    form = BudgetLineForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.budget_line_add(application=app, by=request.user, **form.cleaned_data)
        except DomainError as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"Added {form.cleaned_data['item']}.")
            return redirect("applications:costs", pk=app.pk)
    return _costs_page(request, app, line_form=form)


@draft_only
@require_POST
def budget_line_remove(request, pk: int, line: int):
    return _remove_item(
        request,
        pk,
        BudgetLine,
        line,
        lambda item, by: services.budget_line_remove(line=item, by=by),
        name=lambda item: item.item,
        back="applications:costs",
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
    return redirect(back, pk=app.pk)


def _other_funding_page(request, app: Application, form=None):
    gap = None
    if app.total_cost is not None and app.amount_requested is not None:
        gap = app.total_cost - app.amount_requested
    return render(
        request,
        "applications/section_other_funding.html",
        _section_context(
            app,
            form=form or MatchFundingForm(),
            sources=list(app.match_funding_sources.all()),
            found=group_selectors.other_funding_total(app),
            gap=gap,
        ),
    )


@draft_only
def section_other_funding(request, pk: int):
    app = _editable(request, pk)
    if request.method != "POST":
        return _other_funding_page(request, app)
    form = MatchFundingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.match_funding_add(
                application=app,
                by=request.user,
                source=data["source"],
                amount=data["amount"],
                secured=data["secured"] == "yes",
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"Added {data['source']}.")
            return redirect("applications:other_funding", pk=app.pk)
    return _other_funding_page(request, app, form)


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
        back="applications:other_funding",
    )


@draft_only
def section_documents(request, pk: int):
    app = _editable(request, pk)
    form = AttachmentForm(posted(request), posted(request, files=True))
    if request.method == "POST" and form.is_valid():
        try:
            services.attachment_add(application=app, by=request.user, **form.cleaned_data)
        except DomainError as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"Uploaded {form.cleaned_data['description']}.")
            return redirect("applications:documents", pk=app.pk)
    return render(
        request,
        "applications/section_documents.html",
        _section_context(app, form=form, documents=list(app.attachments.all())),
    )


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
        back="applications:documents",
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
            tasks=group_selectors.tasks(app),
            lines_total=group_selectors.lines_total(app),
            found=group_selectors.other_funding_total(app),
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
