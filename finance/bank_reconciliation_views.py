"""The bank reconciliation pages: the list, preparing one at a date (the last month end unless
told), one reconciliation with its check button, and its spreadsheet and PDF.

Finance officers prepare and check; auditors read. What the pages show is what was stored
when the reconciliation was prepared (finance.bank_reconciliation), never the live figures.
A refused step (DomainError) is shown in the GOV.UK error summary and changes nothing.
"""

from __future__ import annotations

import datetime

from crispy_forms_gds.layout import Field
from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from budgets.payments import is_finance_officer, long_date
from finance import bank_reconciliation
from finance.models import BankReconciliation
from fundmgr import access
from fundmgr.documents import document_response
from fundmgr.errors import DomainError
from fundmgr.forms import RealDateField, add_refusal, helper
from fundmgr.money import pounds

PAGE_SIZE = 50


class PrepareForm(forms.Form):
    as_at = RealDateField(
        label="Reconcile at the end of",
        what="the day to reconcile at",
        help_text="Usually the last day of a month. For example, 31 10 2026",
    )
    explanation = forms.CharField(
        label="Explain any difference (optional)",
        help_text=(
            "If the bank and the cash book do not agree, say why: for example, a bank charge "
            "to be entered next month. A difference must be explained before it can be checked."
        ),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(
            Field("as_at"),
            Field.textarea("explanation", rows=3),
            button="Prepare the reconciliation",
        )


@access.page(access.reads_finance)
def reconciliations(request):
    page = Paginator(
        BankReconciliation.objects.select_related("prepared_by", "checked_by").order_by(
            "-as_at", "account"
        ),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "finance/bank_reconciliations.html",
        {"page": page, "may_act": is_finance_officer(request.user)},
    )


def _initial_day(request) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get("as_at", ""))
    except ValueError:
        return bank_reconciliation.last_month_end()


@access.page(access.finance_officer, access.finance_officer)
def reconciliation_new(request):
    form = PrepareForm(request.POST or None, initial={"as_at": _initial_day(request)})
    if request.method == "POST" and form.is_valid():
        try:
            done = bank_reconciliation.reconciliation_prepare(
                as_at=form.cleaned_data["as_at"],
                by=request.user,
                explanation=form.cleaned_data["explanation"],
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            difference = (
                "The bank and the cash book agree."
                if done.reconciled
                else f"The difference is {pounds(done.difference)}."
            )
            messages.success(
                request,
                f"The reconciliation at {long_date(done.as_at)} is prepared. {difference} "
                "Another finance officer must now check it.",
            )
            return redirect("finance:bank_reconciliation", pk=done.pk)
    return render(
        request,
        "finance/bank_reconciliation_new.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _get(pk: int) -> BankReconciliation:
    return get_object_or_404(
        BankReconciliation.objects.select_related("prepared_by", "checked_by"), pk=pk
    )


def _page(request, reconciliation: BankReconciliation, *, refusal: str = ""):
    user = request.user
    may_act = is_finance_officer(user)
    return render(
        request,
        "finance/bank_reconciliation.html",
        {
            "rec": reconciliation,
            "summary": bank_reconciliation.summary(reconciliation),
            "sections": [
                (name, heading, bank_reconciliation.stored_items(reconciliation)[name])
                for name, heading in bank_reconciliation.SECTIONS
            ],
            "refusal": refusal,
            "may_act": may_act,
            "may_check": may_act
            and not reconciliation.locked
            and reconciliation.prepared_by_id != user.pk,
            "prepared_by_me": reconciliation.prepared_by_id == user.pk,
        },
        status=400 if refusal else 200,
    )


@access.page(access.reads_finance)
def reconciliation(request, pk: int):
    return _page(request, _get(pk))


@access.page(access.finance_officer, access.finance_officer)
@require_POST
def reconciliation_check(request, pk: int):
    current = _get(pk)
    try:
        done = bank_reconciliation.reconciliation_check(reconciliation=current, by=request.user)
    except DomainError as error:
        return _page(request, _get(pk), refusal=error.message)
    messages.success(
        request,
        f"The reconciliation at {long_date(done.as_at)} is checked and locked: it can no longer "
        "change.",
    )
    return redirect("finance:bank_reconciliation", pk=done.pk)


@access.page(access.reads_finance)
def reconciliation_xlsx(request, pk: int):
    current = _get(pk)
    response = HttpResponse(
        bank_reconciliation.xlsx(current),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"bank-reconciliation-{current.as_at:%Y-%m-%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@access.page(access.reads_finance)
def reconciliation_pdf(request, pk: int):
    return document_response(bank_reconciliation.stored_pdf(_get(pk), by=request.user))
