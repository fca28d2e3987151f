"""The finance officer's monitoring and clawback pages: underspends from the groups' reports,
clawback requests (with their letter), and refunds posted to the ledger as they arrive."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import dateformat, timezone
from django.views.decorators.http import require_POST

from applications.models import Application
from budgets.clawback import refund_record
from budgets.models import Clawback, StatementLine
from budgets.payments import is_finance_officer
from finance import clawbacks, downloads
from finance.documents import clawback_document
from finance.forms import RefundForm
from fundmgr import access, exports
from fundmgr.addresses import addresses
from fundmgr.documents import document_response
from fundmgr.errors import DomainError
from fundmgr.forms import add_refusal
from fundmgr.money import pounds

PAGE_SIZE = 50


@access.page(access.reads_finance)
def overview(request):
    """Three lists, each a page at a time and each chosen in the database, so the page costs
    the same however many grants have been monitored; the downloads have every row."""
    if fmt := exports.requested_format(request):
        if request.GET.get("list") == "requests":
            every = Clawback.objects.order_by("-pk").iterator()
            return exports.download(
                every, downloads.CLAWBACK_REQUESTS, name="clawback-requests", format=fmt
            )
        due = clawbacks.rows(clawbacks.to_ask().iterator())
        return exports.download(due, downloads.CLAWBACK_DUE, name="clawback-to-ask", format=fmt)
    due = Paginator(clawbacks.to_ask(), PAGE_SIZE).get_page(request.GET.get("due"))
    below = Paginator(clawbacks.within_threshold(), PAGE_SIZE).get_page(request.GET.get("below"))
    raised = Paginator(Clawback.objects.order_by("-pk"), PAGE_SIZE).get_page(
        request.GET.get("raised")
    )
    return render(
        request,
        "finance/clawback.html",
        {
            "due": clawbacks.rows(due.object_list),
            "due_page": due,
            "below": clawbacks.rows(below.object_list),
            "below_page": below,
            "raised": raised,
            "raised_rows": _raised_rows(raised.object_list),
            "may_act": is_finance_officer(request.user),
        },
    )


def _raised_rows(raised) -> list[dict[str, str]]:
    """Each request as the list shows it, its words made here once (a page of 50 requests
    costs little more than a page of 5)."""
    address = addresses("finance:clawback_detail")
    return [
        {
            "href": address(c.pk),
            "number": c.number,
            "raised_on": dateformat.format(timezone.localtime(c.raised_at), "j M Y"),
            "reference": c.reference,
            "payee": c.payee,
            "amount": pounds(c.amount),
            "received": pounds(c.received),
            "colour": "green" if c.status == Clawback.Status.REPAID else "yellow",
            "status": c.get_status_display(),
        }
        for c in raised
    ]


@access.page(access.finance_officer, access.finance_officer)
@require_POST
def raise_request(request, reference: str):
    app = get_object_or_404(Application, reference=reference)
    try:
        clawback = clawbacks.clawback_raise(application=app, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("finance:clawback")
    messages.success(
        request,
        f"{clawback.number} raised: {app.organisation} is asked to repay "
        f"{pounds(clawback.amount)}. Download the letter below to send it.",
    )
    return redirect("finance:clawback_detail", pk=clawback.pk)


def _refund_lines(clawback: Clawback):
    """Money in not yet matched that could be this refund: no more than is owed."""
    return (
        StatementLine.objects.filter(
            status=StatementLine.Status.UNMATCHED,
            amount__gt=0,
            amount__lte=clawback.outstanding,
        )
        .filter(
            Q(description__icontains=clawback.number)
            | Q(description__icontains=clawback.reference)
            | Q(amount=clawback.outstanding)
        )
        .order_by("date", "pk")[:50]
    )


@access.page(access.reads_finance, access.finance_officer)
def detail(request, pk: int):
    clawback = get_object_or_404(Clawback.objects.select_related("raised_by"), pk=pk)
    form = RefundForm(request.POST or None, lines=_refund_lines(clawback))
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                refund_record(
                    clawback=clawback,
                    amount=data["amount"],
                    received_on=data["received_on"],
                    statement_line=data["statement_line"],
                    by=request.user,
                )
            except DomainError as error:
                add_refusal(form, error)
            else:
                messages.success(
                    request,
                    f"{pounds(data['amount'])} received for {clawback.number} is posted to the "
                    "ledger.",
                )
                return redirect("finance:clawback_detail", pk=clawback.pk)
    return render(
        request,
        "finance/clawback_detail.html",
        {
            "clawback": clawback,
            "refunds": clawback.refunds.select_related("recorded_by", "statement_line"),
            "form": form,
            "may_act": is_finance_officer(request.user)
            and clawback.status == Clawback.Status.REQUESTED,
        },
        status=400 if form.errors else 200,
    )


@access.page(access.reads_finance)
def letter(request, pk: int):
    clawback = get_object_or_404(Clawback, pk=pk)
    document = clawback_document(clawback, clawbacks.application_for(clawback), by=request.user)
    return document_response(document)
