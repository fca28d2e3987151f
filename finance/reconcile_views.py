"""The finance officer's statement pages: import a statement, see it reconciled line by line, and
match, undo, record a return or set aside by hand what the automatic matching left.

A refused action (DomainError) is shown in the GOV.UK error summary, linked to the control of
the line it concerns, and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from budgets import reconcile, reconciliation_report
from budgets.models import (
    FinancialYear,
    Match,
    PaymentRunLine,
    Statement,
    StatementLine,
    year_closed,
)
from budgets.payments import is_finance_officer
from finance import downloads
from finance.reconcile_forms import NoteForm, ReasonForm, StatementForm
from fundmgr import access, exports
from fundmgr.documents import document_response
from fundmgr.errors import DomainError, InvalidInput
from fundmgr.forms import add_refusal

PAGE_SIZE = 50
MATCHED_PAGE_SIZE = 100


def outstanding() -> dict:
    """Payments sent and not yet seen on a statement, and lines not yet matched."""
    sent = PaymentRunLine.objects.filter(status=PaymentRunLine.Status.SENT).aggregate(
        total=Sum("amount"), count=Count("pk")
    )
    lines = StatementLine.objects.filter(status=StatementLine.Status.UNMATCHED).count()
    return {"sent_total": sent["total"] or 0, "sent_count": sent["count"] or 0, "unmatched": lines}


@access.page(access.reads_finance, access.finance_officer)
def statements(request):
    form = StatementForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = reconcile.statement_import(
                    content=upload.read(),
                    filename=upload.name,
                    by=request.user,
                    layout=form.cleaned_data["columns"],
                )
            except DomainError as error:
                error.field = "file"
                add_refusal(form, error)
            else:
                statement = result.statement
                skipped = (
                    f" {result.skipped} lines already in an earlier statement were skipped."
                    if result.skipped
                    else ""
                )
                messages.success(
                    request,
                    f"Statement {statement.pk} imported: {statement.line_count} lines, "
                    f"{result.matched} matched to payments.{skipped}",
                )
                return redirect("finance:statement", pk=statement.pk)
    every = (
        Statement.objects.select_related("imported_by")
        .annotate(unmatched=Count("lines", filter=Q(lines__status=StatementLine.Status.UNMATCHED)))
        .order_by("-pk")
    )
    if request.method == "GET" and (fmt := exports.requested_format(request)):
        return exports.download(
            every.iterator(), downloads.STATEMENT, name="statements", format=fmt
        )
    page = Paginator(every, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "finance/statements.html",
        {
            "form": form,
            "page": page,
            "may_act": is_finance_officer(request.user),
            "outstanding": outstanding(),
        },
        status=400 if form.errors else 200,
    )


def _statement_page(request, statement: Statement, *, error: str = "", anchor: str = ""):
    lines = statement.lines.prefetch_related(
        Prefetch(
            "matches",
            queryset=Match.objects.filter(undone_at__isnull=True).select_related(
                "run_line__run", "matched_by"
            ),
            to_attr="live_matches",
        )
    )
    open_lines = list(lines.filter(status=StatementLine.Status.UNMATCHED).order_by("number"))
    options = reconcile.suggestions(open_lines) if is_finance_officer(request.user) else {}
    for line in open_lines:
        line.options = options.get(line.pk, [])
        line.error_on = anchor.rsplit("-", 1)[-1] if anchor.startswith(f"line-{line.pk}-") else ""
    done = Paginator(
        lines.exclude(status=StatementLine.Status.UNMATCHED).order_by("number"), MATCHED_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    for line in done.object_list:
        line.match = line.live_matches[0] if line.live_matches else None
    return render(
        request,
        "finance/statement.html",
        {
            "statement": statement,
            "open_lines": open_lines,
            "done": done,
            "error": error,
            "anchor": anchor,
            "may_act": is_finance_officer(request.user),
        },
        status=400 if error else 200,
    )


@access.page(access.reads_finance)
def statement(request, pk: int):
    return _statement_page(
        request, get_object_or_404(Statement.objects.select_related("imported_by"), pk=pk)
    )


@access.page(access.finance_officer, access.finance_officer)
@require_POST
def line_action(request, pk: int, action: str):
    line = get_object_or_404(StatementLine.objects.select_related("statement"), pk=pk)
    anchor = f"line-{line.pk}-{action}"
    try:
        if action in ("match", "returned"):
            run_line = PaymentRunLine.objects.filter(pk=request.POST.get("run_line") or 0).first()
            if run_line is None:
                raise InvalidInput(f"Choose the payment that line {line.number} is.")
            if action == "match":
                reconcile.match_by_hand(line=line, run_line=run_line, by=request.user)
                done = f"Line {line.number} matched to {run_line.reference}: it is cleared."
            else:
                reconcile.match_returned_payment(line=line, run_line=run_line, by=request.user)
                done = (
                    f"Line {line.number} recorded as {run_line.reference} returned by the bank: "
                    "it is waiting to be reissued."
                )
        elif action == "set-aside":
            form = NoteForm(request.POST)
            note = form.data.get("note", "")
            reconcile.line_set_aside(line=line, by=request.user, note=note)
            done = f"Line {line.number} set aside: {note.strip()}."
        elif action == "restore":
            reconcile.line_restore(line=line, by=request.user)
            done = f"Line {line.number} is back with the lines to match."
        else:
            raise Http404("There is no such action.")
    except DomainError as error:
        return _statement_page(request, line.statement, error=error.message, anchor=anchor)
    messages.success(request, done)
    return redirect(reverse("finance:statement", args=[line.statement_id]))


@access.page(access.finance_officer, access.finance_officer)
@require_POST
def match_undo(request, pk: int):
    match = get_object_or_404(Match.objects.select_related("line__statement", "run_line"), pk=pk)
    form = ReasonForm(request.POST)
    try:
        reconcile.match_undo(match=match, by=request.user, reason=form.data.get("reason", ""))
    except DomainError as error:
        return _statement_page(
            request, match.line.statement, error=error.message, anchor=f"match-{match.pk}-reason"
        )
    messages.success(
        request,
        f"The match of line {match.line.number} to {match.run_line.reference} is undone.",
    )
    return redirect("finance:statement", pk=match.line.statement_id)


@access.page(access.reads_finance)
def reconciliation(request):
    """What is not reconciled yet: payments sent and not cleared, lines not matched."""
    sent = (
        PaymentRunLine.objects.filter(status=PaymentRunLine.Status.SENT)
        .select_related("run")
        .order_by("run__pay_date", "reference")
    )
    lines = (
        StatementLine.objects.filter(status=StatementLine.Status.UNMATCHED)
        .select_related("statement")
        .order_by("date", "pk")
    )
    return render(
        request,
        "finance/reconciliation.html",
        {
            "sent": Paginator(sent, PAGE_SIZE).get_page(request.GET.get("sent")),
            "lines": Paginator(lines, PAGE_SIZE).get_page(request.GET.get("lines")),
            "outstanding": outstanding(),
        },
    )


# --- the reconciliation report --------------------------------------------------------------


def _year(start: int) -> FinancialYear:
    year = FinancialYear.objects.filter(start__year=start).first()
    if year is None:
        raise Http404(f"There is no {start}/{str(start + 1)[-2:]} financial year.")
    return year


@access.page(access.reads_finance)
def reports(request):
    years = list(FinancialYear.objects.annotate(is_closed=year_closed()).order_by("-start"))
    return render(request, "finance/reports.html", {"years": years})


@access.page(access.reads_finance)
def report_xlsx(request, start: int):
    year = _year(start)
    content = reconciliation_report.xlsx(reconciliation_report.build(year))
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"reconciliation-{year.label.replace('/', '-')}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@access.page(access.reads_finance)
def report_pdf(request, start: int):
    return document_response(reconciliation_report.stored_pdf(_year(start), by=request.user))
