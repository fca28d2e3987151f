"""The councillor's pages, under /councillor/: the dashboard, a bid and the ways to answer it
(support and pledge, decline, declare an interest, withdraw a pledge), and transfers to a ward
colleague.

Views check who may see what, build a form and call a service (applications.support,
budgets.ledger). A refusal (DomainError) is shown in the GOV.UK error summary and changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from applications import councillor_downloads as downloads
from applications import councillor_selectors as selectors
from applications import rules, support
from applications.councillor_forms import (
    ConfirmForm,
    DeclineForm,
    InterestForm,
    PledgeForm,
    TransferForm,
)
from applications.models import Application, Pledge
from applications.support import PENDING
from applications.workflow import Status
from budgets.models import Councillor, FundYear, LedgerTransaction
from fundmgr import access, exports
from fundmgr.errors import DomainError, InsufficientFunds, NotPermitted
from fundmgr.forms import add_refusal
from fundmgr.money import pounds

PAGE_SIZE = 20
# While a pledge may still be withdrawn (applications.support.pledge_withdraw says so too).
WITHDRAWABLE = (Status.DRAFT, Status.SUBMITTED, Status.AWAITING_SUPPORT)


def _councillor(request):
    """403 for anyone who is not a councillor."""
    if not selectors.is_councillor(request.user):
        raise PermissionDenied("These pages are for councillors.")
    return request.user


def _posted(request):
    """The submitted data, bound even when empty (a form of one button posts nothing)."""
    return request.POST if request.method == "POST" else None


def _page(request, queryset, param: str):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get(param))


@access.page(access.councillor)
def dashboard(request):
    user = _councillor(request)
    today = rules.today()
    terms = selectors.terms_of(user)
    current = selectors.current_terms(user, today)
    lists = {
        "waiting": selectors.bids_waiting(user, current),
        "supported": selectors.my_responses(terms, status=Pledge.Status.PLEDGED),
        "declined": selectors.my_responses(terms, status=Pledge.Status.DECLINED),
    }
    if fmt := exports.requested_format(request):
        return _download(request, lists, fmt)
    waiting = _page(request, lists["waiting"], "waiting")
    supported = _page(request, lists["supported"], "page")
    declined = _page(request, lists["declined"], "declined")
    return render(
        request,
        "applications/councillor/dashboard.html",
        {
            "current": current,
            "elections": rules.elections_holding(term.ward for term in current),
            "budgets": selectors.budgets(terms),
            "closed": selectors.closed_years(terms),
            "waiting": waiting,
            "supported": supported,
            "declined": declined,
            # each list's pagination keeps the other list's page
        },
    )


def _download(request, lists: dict, fmt: str):
    """One of the dashboard's lists as a file (`?download=csv&list=waiting`), every page of it:
    the same querysets the page lists, so nothing the page would not show."""
    which = request.GET.get("list", "")
    if which not in downloads.LISTS:
        raise Http404("There is no such list to download.")
    columns, name = downloads.LISTS[which]
    return exports.download(lists[which].iterator(), columns, name=name, format=fmt)


# --- a bid ----------------------------------------------------------------------------------


def _bid(request, reference: str) -> tuple[Application, Councillor | None]:
    """The bid, if the person may open it (404 otherwise), and the term they act in."""
    user = _councillor(request)
    today = rules.today()
    try:
        app = selectors.bid(user, selectors.current_terms(user, today), reference)
    except Application.DoesNotExist:
        raise Http404(f"There is no bid {reference} in your ward.") from None
    return app, selectors.term_for(user, app, today)


def _bid_context(request, app: Application, term: Councillor | None) -> dict:
    user = request.user
    state = selectors.support_of(app, user)
    blocking = next((d for d in app.my_declarations if d.blocks_involvement), None)
    budget = None
    if app.fund_year.uses_allocations and term is not None:
        budget = _budget(term, app.fund_year)
    may_answer = app.status == Status.AWAITING_SUPPORT and state.mine is None and blocking is None
    return {
        "app": app,
        "term": term,
        "support": state,
        "budget": budget,
        "blocking": blocking,
        "may_answer": may_answer,
        "may_withdraw": bool(
            state.mine and state.mine.status == Pledge.Status.PLEDGED and app.status in WITHDRAWABLE
        ),
        "may_declare": app.status in PENDING,
        "election": rules.outside_pre_election_period.refusal(app) if may_answer else None,
        "still_needed": _still_needed(app, state.pledged),
    }


def _budget(term: Councillor, fund_year: FundYear) -> selectors.Budget | None:
    """The person's allocation in this fund year, as the dashboard shows it, or None."""
    found = selectors.budgets([term], open_only=False)
    return next((b for b in found if b.fund_year.pk == fund_year.pk), None)


def _still_needed(app: Application, pledged: Decimal) -> Decimal | None:
    if not app.fund_year.uses_allocations or app.amount_requested is None:
        return None
    return max(app.amount_requested - pledged, Decimal("0.00"))


@access.page(access.councillor)
def bid(request, reference: str):
    app, term = _bid(request, reference)
    return render(request, "applications/councillor/bid.html", _bid_context(request, app, term))


def _amount_hint(app: Application, pledged: Decimal, still_needed: Decimal | None) -> str:
    asked = pounds(app.amount_requested)
    if not pledged:
        return f"The group asks for {asked}."
    return (
        f"The group asks for {asked}. Councillors have pledged {pounds(pledged)}, so "
        f"{pounds(still_needed)} is still needed."
    )


@access.page(access.councillor, access.councillor)
def support_bid(request, reference: str):
    app, term = _bid(request, reference)
    context = _bid_context(request, app, term)
    budget = context["budget"]
    pledgeable = budget.pledgeable if budget else Decimal("0.00")
    form = PledgeForm(
        _posted(request),
        fund_year=app.fund_year,
        available=f"You have {pounds(pledgeable)} left to pledge",
        still_needed=_amount_hint(app, context["support"].pledged, context["still_needed"]),
    )
    if request.method == "POST" and form.is_valid():
        try:
            if term is None:
                raise NotPermitted("You do not represent a ward, so you cannot answer bids.")
            support.pledge_make(
                application=app,
                councillor=term,
                amount=form.amount_or_nothing(),
                statement=form.cleaned_data["statement"],
                by=request.user,
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            return redirect("councillor:supported", reference=app.reference)
    return render(request, "applications/councillor/support.html", {**context, "form": form})


@access.page(access.councillor)
def supported(request, reference: str):
    """The confirmation after a pledge: what was pledged and where the bid is now."""
    app, term = _bid(request, reference)
    context = _bid_context(request, app, term)
    mine = context["support"].mine
    if mine is None or mine.status != Pledge.Status.PLEDGED:
        return redirect("councillor:bid", reference=app.reference)
    return render(request, "applications/councillor/supported.html", context)


@access.page(access.councillor, access.councillor)
def decline_bid(request, reference: str):
    app, term = _bid(request, reference)
    form = DeclineForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            if term is None:
                raise NotPermitted("You do not represent a ward, so you cannot answer bids.")
            support.pledge_decline(
                application=app,
                councillor=term,
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                f"You declined to support {app.reference}. The group will be told your reason.",
            )
            return redirect("councillor:dashboard")
    context = _bid_context(request, app, term)
    return render(request, "applications/councillor/decline.html", {**context, "form": form})


@access.page(access.councillor, access.councillor)
def declare_interest(request, reference: str):
    app, term = _bid(request, reference)
    form = InterestForm(_posted(request), organisation=app.organisation.name)
    if request.method == "POST" and form.is_valid():
        try:
            declaration = support.interest_declare(
                application=app,
                by=request.user,
                kind=form.cleaned_data["kind"],
                details=form.cleaned_data["details"],
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            what = declaration.get_kind_display().lower()
            if declaration.blocks_involvement:
                text = (
                    f"You declared a {what} in {app.reference}. You take no part in it: any "
                    "support you gave it is withdrawn."
                )
            else:
                text = f"You declared a {what} in {app.reference}. It is recorded."
            messages.success(request, text)
            return redirect("councillor:bid", reference=app.reference)
    context = _bid_context(request, app, term)
    return render(request, "applications/councillor/interest.html", {**context, "form": form})


@access.page(access.councillor, access.councillor)
def withdraw_pledge(request, reference: str):
    app, term = _bid(request, reference)
    context = _bid_context(request, app, term)
    mine = context["support"].mine
    if mine is None or mine.status != Pledge.Status.PLEDGED:
        return redirect("councillor:bid", reference=app.reference)
    form = ConfirmForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            support.pledge_withdraw(pledge=mine, by=request.user)
        except DomainError as error:
            add_refusal(form, error)
        else:
            what = f"pledge of {pounds(mine.amount)}" if mine.amount else "support"
            messages.success(request, f"You withdrew your {what} to {app.reference}.")
            return redirect("councillor:bid", reference=app.reference)
    return render(request, "applications/councillor/withdraw.html", {**context, "form": form})


# --- transfers ------------------------------------------------------------------------------


@access.page(access.councillor, access.councillor)
def transfer(request):
    """Choose a fund year, a ward colleague and an amount; check; transfer. The idempotency key
    made when the form was first shown makes a second submit return the first posting."""
    user = _councillor(request)
    today = rules.today()
    current = selectors.current_terms(user, today)
    term = current[0] if current else None
    budgets = selectors.budgets([term]) if term else []
    colleagues = selectors.colleagues(term, today) if term else None
    context = {"term": term, "budgets": budgets}
    if term is None or not budgets or not colleagues.exists():
        return render(request, "applications/councillor/transfer.html", context)
    form = TransferForm(_posted(request), budgets=budgets, colleagues=colleagues)
    if request.method == "POST" and "change" in request.POST:
        form.is_valid()  # shows what was typed again, with any error beside it
    elif request.method == "POST" and form.is_valid():
        if "confirm" not in request.POST:
            return render(
                request,
                "applications/councillor/transfer_check.html",
                {**context, "form": form, "budget": form.budget, "data": form.cleaned_data},
            )
        try:
            posting = support.councillor_transfer(
                fund_year=form.cleaned_data["fund_year"],
                from_councillor=term,
                to_councillor=form.cleaned_data["colleague"],
                amount=form.cleaned_data["amount"],
                by=user,
                key=form.posting_key(),
            )
        except InsufficientFunds as error:
            add_refusal(form, _about_yourself(error, term, form.cleaned_data["fund_year"]))
        except DomainError as error:
            add_refusal(form, error)
        else:
            return redirect("councillor:transferred", key=posting.idempotency_key.split(":", 1)[1])
    return render(request, "applications/councillor/transfer.html", {**context, "form": form})


def _about_yourself(error: InsufficientFunds, term: Councillor, fund_year: FundYear) -> DomainError:
    """A shortfall in the councillor's own allocation, said to them in the second person, at the
    amount. The ledger names the councillor ("Cllr Shaw has £X left"), as officers read it about
    someone else; applications.support's own refusals (with a field) speak to them already."""
    if error.field is not None:
        return error
    left = pounds(max(support.pledgeable(term, fund_year), Decimal("0.00")))
    return InsufficientFunds(
        f"You have {left} left in your {fund_year.year.label} {fund_year.fund.code} allocation "
        f"to transfer. Enter {left} or less",
        field="amount",
    )


@access.page(access.councillor)
def transferred(request, key):
    user = _councillor(request)
    try:
        posting = selectors.transfer_posting(user, f"transfer:{key}")
    except LedgerTransaction.DoesNotExist:
        raise Http404("There is no such transfer of yours.") from None
    entries = list(posting.entries.all())
    sent = next(e for e in entries if e.amount < 0)
    received = next(e for e in entries if e.amount > 0)
    return render(
        request,
        "applications/councillor/transferred.html",
        {
            "posting": posting,
            "amount": received.amount,
            "fund_year": sent.account.fund_year,
            "sender": sent.account.councillor,
            "recipient": received.account.councillor,
            "budget": _budget(sent.account.councillor, sent.account.fund_year),
            "statement_url": reverse(
                "budgets:statement",
                args=[
                    sent.account.fund_year.fund.code,
                    sent.account.fund_year.year.start.year,
                    sent.account.councillor_id,
                ],
            ),
        },
    )
