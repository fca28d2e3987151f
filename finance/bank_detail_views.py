"""The finance officer's pages for the mandate-fraud controls of DESIGN.md: bank details waiting
for verification, the check itself (never by the person who entered them), and the history of
every change to an organisation's bank details and who verified it."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from applications import organisations
from applications.models import BankAccount
from applications.organisation_forms import BankDetailsForm
from applications.rules import today
from applications.visibility import organisations_here
from budgets.payments import is_finance_officer
from finance import downloads
from finance.forms import BankCheckForm, OrganisationSearchForm
from finance.payments import payable
from finance.views import may_read
from fundmgr import access, exports
from fundmgr.errors import DomainError
from fundmgr.forms import add_refusal
from fundmgr.money import pounds

RECENT = 20


def _held_by_organisation() -> dict[int, list]:
    held: dict[int, list] = defaultdict(list)
    for row in payable(today()).held:
        held[row.application.organisation_id].append(row)
    return held


def _verified_before(organisation_ids) -> set[int]:
    return set(
        BankAccount.objects.filter(
            organisation_id__in=organisation_ids, status="superseded", checked_by__isnull=False
        ).values_list("organisation_id", flat=True)
    )


@access.page(access.reads_finance)
def waiting(request):
    accounts = list(
        BankAccount.objects.filter(
            status=BankAccount.Status.UNVERIFIED, organisation__in=organisations_here()
        )
        .select_related("organisation", "entered_by")
        .order_by("entered_at", "pk")
    )
    held = _held_by_organisation()
    changed = _verified_before([a.organisation_id for a in accounts])
    for account in accounts:
        rows = held.get(account.organisation_id, [])
        account.held_count = len(rows)
        account.held_total = sum((r.payment.amount for r in rows), Decimal("0.00"))
        account.is_change = account.organisation_id in changed
    if fmt := exports.requested_format(request):
        return exports.download(
            accounts, downloads.BANK_WAITING, name="bank-details-waiting", format=fmt
        )
    search = OrganisationSearchForm(request.GET or None)
    found = None
    if search.is_valid() and search.cleaned_data["q"]:
        found = list(
            organisations_here()
            .filter(name__icontains=search.cleaned_data["q"])
            .order_by("name")[:50]
        )
    recent = (
        BankAccount.objects.filter(checked_at__isnull=False, organisation__in=organisations_here())
        .select_related("organisation", "checked_by")
        .order_by("-checked_at", "-pk")[:RECENT]
    )
    return render(
        request,
        "finance/bank_waiting.html",
        {"accounts": accounts, "recent": recent, "search": search, "found": found},
    )


def _check_refusal(account: BankAccount, user) -> str:
    if account.status != BankAccount.Status.UNVERIFIED:
        return f"These bank details are {account.get_status_display().lower()} already."
    if account.entered_by_id == user.pk:
        return "You entered these bank details, so another finance officer must verify them."
    if not is_finance_officer(user):
        return "Only a finance officer can verify bank details."
    return ""


@access.page(access.reads_finance, access.finance_officer)
def check(request, pk: int):
    account = get_object_or_404(
        BankAccount.objects.select_related("organisation", "entered_by", "checked_by"),
        pk=pk,
        organisation__in=organisations_here(),  # the council's groups' only
    )
    refusal = _check_refusal(account, request.user)
    form = BankCheckForm(request.POST or None)
    if request.method == "POST" and not refusal and form.is_valid():
        approve = form.cleaned_data["outcome"] == "verify"
        try:
            organisations.bank_account_verify(
                bank_account=account,
                by=request.user,
                approve=approve,
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            name = account.organisation.name
            messages.success(
                request,
                f"The bank details of {name} are verified: payments held for them are due."
                if approve
                else f"The bank details of {name} are rejected: the group must enter them again.",
            )
            return redirect("finance:bank_waiting")
    previous = (
        account.organisation.bank_accounts.filter(pk__lt=account.pk, checked_by__isnull=False)
        .exclude(status=BankAccount.Status.REJECTED)
        .select_related("checked_by")
        .order_by("-pk")
        .first()
    )
    held = _held_by_organisation().get(account.organisation_id, [])
    return render(
        request,
        "finance/bank_check.html",
        {
            "account": account,
            "previous": previous,
            "held": held,
            "held_total": sum((r.payment.amount for r in held), Decimal("0.00")),
            "form": None if refusal else form,
            "refusal": refusal if account.status == BankAccount.Status.UNVERIFIED else "",
        },
    )


@access.page(access.reads_finance, access.finance_officer)
def history(request, pk: int):
    organisation = get_object_or_404(organisations_here(), pk=pk)
    may_enter = is_finance_officer(request.user)
    form = BankDetailsForm(request.POST or None)
    form.helper.layout[-1].value = "Save new bank details"
    if request.method == "POST":
        if form.is_valid():
            try:
                account = organisations.bank_account_change(
                    organisation=organisation, by=request.user, **form.cleaned_data
                )
            except DomainError as error:
                add_refusal(form, error)
            else:
                messages.success(
                    request,
                    f"New bank details for {organisation} are saved, ending {account.masked}. "
                    "Another finance officer must verify them; until then its payments are held.",
                )
                return redirect("finance:bank_history", pk=organisation.pk)
    accounts = organisation.bank_accounts.select_related("entered_by", "checked_by").order_by(
        "-entered_at", "-pk"
    )
    return render(
        request,
        "finance/bank_history.html",
        {
            "organisation": organisation,
            "accounts": accounts,
            "form": form if may_enter else None,
            "may_read": may_read(request.user),
            "pounds": pounds,
        },
    )
