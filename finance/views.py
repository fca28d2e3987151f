"""The finance officer's pages for paying grants: payments due and held, instalments, payment
runs (prepare, authorise, cancel, download the files).

Views check who may see what, build a form and call a service; a refusal (DomainError) is shown
in the GOV.UK error summary and changes nothing. Auditors see every page and change nothing.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat
from django.views.decorators.http import require_POST

from applications.models import Application, BankAccount
from applications.rules import today
from budgets.models import Payment, PaymentFile, PaymentRun, PaymentSchedule
from budgets.payments import (
    is_finance_officer,
    may_read_finance,
    payment_reissue,
    run_check,
    run_lines,
    run_mark_sent,
    was_sent,
)
from finance import downloads
from finance.forms import (
    CancelRunForm,
    ConditionForm,
    InstalmentsForm,
    RunForm,
)
from finance.payments import (
    SECTIONS,
    PayableLists,
    changed_since_prepared,
    condition_met,
    instalments_set,
    may_set_instalments,
    payable,
    payment_run_authorise,
    payment_run_cancel,
    payment_run_prepare,
)
from finance.reconcile_views import outstanding
from finance.templatetags.runs import run_status
from fundmgr import access, exports
from fundmgr.addresses import addresses
from fundmgr.errors import DomainError
from fundmgr.forms import add_refusal
from fundmgr.models import User
from fundmgr.money import pounds

PAGE_SIZE = 50


def may_read(user) -> bool:
    return may_read_finance(user)


def _payments(count: int) -> str:
    return f"{count:,} payment{'' if count == 1 else 's'}"


def next_weekday(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


# --- the area's front page ------------------------------------------------------------------


@access.page(access.reads_finance)
def home(request):
    return render(
        request,
        "finance/home.html",
        {
            "payable": PayableLists(today()).sections,
            "waiting_runs": PaymentRun.objects.filter(status=PaymentRun.Status.PREPARED).count(),
            "bank_waiting": BankAccount.objects.filter(
                status=BankAccount.Status.UNVERIFIED
            ).count(),
            "outstanding": outstanding(),
            "may_act": is_finance_officer(request.user),
        },
    )


# --- payments -------------------------------------------------------------------------------


@access.page(access.reads_finance)
def payments(request):
    if fmt := exports.requested_format(request):
        due = payable(today())
        which = request.GET.get("list", "due")
        if which not in downloads.PAYMENT_LISTS:
            raise Http404("There is no such list of payments.")
        return exports.download(
            getattr(due, which), downloads.PAYMENT, name=downloads.PAYMENT_LISTS[which], format=fmt
        )
    # Each list a page at a time (its own page parameter, named as the list), sorted in the
    # database; its count and total are the whole list's; its download has every row.
    lists = PayableLists(today())
    sections = lists.pages({name: request.GET.get(name) for name in SECTIONS}, PAGE_SIZE)
    return render(
        request,
        "finance/payments.html",
        {
            "on": lists.on,
            "lists": sections,
            "may_act": is_finance_officer(request.user),
            "may_set": may_set_instalments(request.user),
        },
    )


def _schedule(reference: str) -> tuple[PaymentSchedule, Application | None]:
    schedule = (
        PaymentSchedule.objects.select_related("fund_year__fund", "fund_year__year")
        .filter(reference=reference)
        .first()
    )
    if schedule is None:
        raise Http404(f"{reference} has no payments scheduled.")
    app = Application.objects.filter(reference=reference).select_related("organisation").first()
    return schedule, app


@access.page(access.reads_grant_payments)
def grant(request, reference: str):
    schedule, app = _schedule(reference)
    rows = list(
        schedule.payments.select_related("run")
        .order_by("number")
        .prefetch_related("run_lines__run", "events__by", "events__run")
    )
    return render(
        request,
        "finance/grant.html",
        {
            "schedule": schedule,
            "app": app,
            "payments": rows,
            "may_set": may_set_instalments(request.user)
            and app is not None
            and app.status == "offer_accepted",
            "may_act": is_finance_officer(request.user),
        },
    )


@access.page(access.sets_instalments, access.sets_instalments)
def instalments(request, reference: str):
    schedule, app = _schedule(reference)
    payments_now = list(schedule.payments.order_by("number").prefetch_related("run_lines"))
    kept = [p for p in payments_now if was_sent(p)]
    left = schedule.award - sum((p.amount for p in kept), 0)
    first = max((p.number for p in kept), default=0) + 1
    open_ = [p for p in payments_now if p not in kept and p.status != Payment.Status.CANCELLED]
    initial = {}
    for row, payment in enumerate(open_[:4]):
        initial |= {
            f"amount_{row}": payment.amount,
            f"due_{row}": payment.due_on,
            f"condition_{row}": payment.condition,
        }
    form = InstalmentsForm(request.POST or None, initial=initial, first=first)
    if request.method == "POST" and form.is_valid():
        try:
            instalments_set(
                application=app, by=request.user, instalments=form.cleaned_data["instalments"]
            )
        except DomainError as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"The instalments of {reference} are saved.")
            return redirect("finance:grant", reference=reference)
    return render(
        request,
        "finance/instalments.html",
        {"schedule": schedule, "app": app, "form": form, "kept": kept, "left": left},
    )


@access.page(access.sets_instalments, access.sets_instalments)
def condition(request, pk: int):
    payment = get_object_or_404(Payment.objects.select_related("schedule"), pk=pk)
    form = ConditionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            condition_met(payment=payment, by=request.user, note=form.cleaned_data["note"])
        except DomainError as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"The condition of {payment.reference} is met.")
            return redirect("finance:grant", reference=payment.schedule.reference)
    return render(request, "finance/condition.html", {"payment": payment, "form": form})


@access.page(access.finance_officer, access.finance_officer)
@require_POST
def reissue(request, pk: int):
    payment = get_object_or_404(Payment, pk=pk)
    try:
        payment_reissue(payment=payment, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{payment.reference} will be paid in the next run.")
    return redirect("finance:payments")


# --- payment runs ---------------------------------------------------------------------------


@access.page(access.reads_finance)
def runs(request):
    every = PaymentRun.objects.with_clearing().order_by("-pk")
    if fmt := exports.requested_format(request):
        return exports.download(
            every.select_related("prepared_by", "authorised_by").iterator(),
            downloads.RUN,
            name="payment-runs",
            format=fmt,
        )
    # Counted from the runs alone; the page's runs alone read their lines (an index walk of
    # the runs newest first, each run's lines through their index), however many runs there are.
    page = Paginator(PaymentRun.objects.order_by("-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    runs = list(every[max(page.start_index() - 1, 0) : page.end_index()])  # none: 0
    return render(
        request,
        "finance/runs.html",
        {"page": page, "rows": _run_rows(runs), "may_act": is_finance_officer(request.user)},
    )


def _run_rows(runs: list[PaymentRun]) -> list[dict[str, str]]:
    """Each run as the list shows it, its words made here once (a page of 50 runs costs
    little more than a page of 5). The few finance officers named are read once each, not
    with every run."""
    ids = {run.prepared_by_id for run in runs}
    ids |= {run.authorised_by_id for run in runs if run.authorised_by_id is not None}
    names = {user.pk: str(user) for user in User.objects.filter(pk__in=ids)}
    address = addresses("finance:run")
    return [
        {
            "href": address(run.pk),
            "number": run.number,
            "pays_on": dateformat.format(run.pay_date, "j M Y"),
            "count": f"{run.count:,}",
            "total": pounds(run.total),
            "prepared_by": names[run.prepared_by_id],
            "authorised_by": names.get(run.authorised_by_id or 0, ""),
            "status": run_status(run),
        }
        for run in runs
    ]


@access.page(access.finance_officer, access.finance_officer)
def run_new(request):
    form = RunForm(request.POST or None, initial={"pay_date": next_weekday(today())})
    if request.method == "POST" and form.is_valid():
        try:
            run = payment_run_prepare(by=request.user, pay_date=form.cleaned_data["pay_date"])
        except DomainError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                f"Run {run.number} is prepared: {_payments(run.count)}, {pounds(run.total)}. "
                "Another finance officer must now authorise it.",
            )
            return redirect("finance:run", pk=run.pk)
    due = payable(today())
    return render(request, "finance/run_new.html", {"form": form, "payable": due})


def _run(pk: int) -> PaymentRun:
    return get_object_or_404(
        PaymentRun.objects.with_clearing().select_related(
            "prepared_by", "authorised_by", "cancelled_by", "sent_by"
        ),
        pk=pk,
    )


def _changed(run: PaymentRun, lines) -> dict[int, str]:
    if run.status != PaymentRun.Status.PREPARED or not lines:
        return {}
    return dict((line.pk, why) for line, why in changed_since_prepared(lines))


def _may_authorise(user, run: PaymentRun) -> bool:
    """Offered only to a finance officer who did not prepare the run (the two-person rule,
    which `budgets.payments.run_begin_authorising` and the database enforce too)."""
    return (
        is_finance_officer(user)
        and run.status == PaymentRun.Status.PREPARED
        and run.prepared_by_id != user.pk
    )


def _run_page(request, run: PaymentRun, *, refusal: str = "", cancel_form=None):
    lines = run_lines(run)
    user = request.user
    cancel_form = cancel_form or CancelRunForm()
    cancel_form.helper.form_action = reverse("finance:run_cancel", args=[run.pk])
    return render(
        request,
        "finance/run.html",
        {
            "run": run,
            "lines": lines,
            "changed": _changed(run, lines),
            "files": list(run.files.defer("content").order_by("kind")),
            "refusal": refusal,
            "may_act": is_finance_officer(user),
            "may_authorise": _may_authorise(user, run),
            "prepared_by_me": run.prepared_by_id == user.pk,
            "cancel_form": cancel_form,
        },
        status=400 if refusal or cancel_form.errors else 200,
    )


@access.page(access.reads_finance)
def run(request, pk: int):
    current = _run(pk)
    if fmt := exports.requested_format(request):
        return exports.download(
            run_lines(current),
            downloads.RUN_LINE,
            name=f"payment-run-{current.number}",
            format=fmt,
        )
    return _run_page(request, current)


def _check_page(request, run: PaymentRun, *, refusal: str = ""):
    """What the run will pay, to be checked before it is authorised: the count, the total, each
    payee and account, and the payments held out of it with the reason. The form carries the
    seal of what was shown (`run_check`)."""
    lines = run_lines(run)
    held = payable(run.pay_date)
    changed = _changed(run, lines)
    return render(
        request,
        "finance/run_check.html",
        {
            "run": run,
            "lines": lines,
            "changed": changed,
            "held": held.held + held.waiting,
            "check": run_check(run, lines),
            "may_authorise": _may_authorise(request.user, run) and not changed,
            "prepared_by_me": run.prepared_by_id == request.user.pk,
            "refusal": refusal,
        },
        status=400 if refusal else 200,
    )


@access.page(access.finance_officer)
def run_check_page(request, pk: int):
    current = _run(pk)
    if current.status != PaymentRun.Status.PREPARED:
        messages.info(request, f"Run {current.number} is {current.status_text.lower()}.")
        return redirect("finance:run", pk=current.pk)
    return _check_page(request, current)


@access.page(access.finance_officer, access.finance_officer)
@require_POST
def run_authorise(request, pk: int):
    current = _run(pk)
    try:
        done = payment_run_authorise(
            run=current, by=request.user, check=request.POST.get("check", "")
        )
    except DomainError as error:
        fresh = _run(pk)
        if fresh.status == PaymentRun.Status.PREPARED:
            return _check_page(request, fresh, refusal=error.message)
        return _run_page(request, fresh, refusal=error.message)
    return redirect("finance:run_authorised", pk=done.pk)


@access.page(access.finance_officer)
def run_authorised(request, pk: int):
    """The confirmation after authorising: the BACS file is ready to download and send."""
    current = _run(pk)
    if current.status != PaymentRun.Status.AUTHORISED:
        return redirect("finance:run", pk=current.pk)
    return render(
        request,
        "finance/run_authorised.html",
        {"run": current, "files": list(current.files.defer("content").order_by("kind"))},
    )


@access.page(access.finance_officer, access.finance_officer)
@require_POST
def run_cancel(request, pk: int):
    current = _run(pk)
    form = CancelRunForm(request.POST)
    if form.is_valid():
        try:
            payment_run_cancel(run=current, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request, f"Run {current.number} is cancelled; its payments are due again."
            )
            return redirect("finance:run", pk=current.pk)
    return _run_page(request, _run(pk), cancel_form=form)


@access.page(access.finance_officer)
def run_file(request, pk: int, kind: str):
    """A run's file. The first time a finance officer takes the BACS file, to send it to the
    bank, who and when are kept: the run then reads "Sent to bank on ..."."""
    file = get_object_or_404(PaymentFile, run_id=pk, kind=kind)
    if kind == PaymentFile.Kind.BACS:
        run_mark_sent(run=file.run, by=request.user)
    content = bytes(file.content)
    content_type = "text/csv" if kind == PaymentFile.Kind.FINANCE_CSV else "text/plain"
    response = HttpResponse(content, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file.name}"'
    response["X-Content-SHA256"] = file.sha256
    return response
