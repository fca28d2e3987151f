"""Payment schedules, payment runs and the files a run exports (services).

A grant is known here by its reference, fund year, payee and award: which grants are due and
whether a payee's bank details may be paid is decided in `finance.payments`, which calls
these services. Every service runs in one transaction and writes its PaymentEvent rows in it.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from budgets import bacs
from budgets.models import (
    FundYear,
    Payment,
    PaymentEvent,
    PaymentFile,
    PaymentRun,
    PaymentRunLine,
    PaymentSchedule,
)
from fundmgr import access
from fundmgr.errors import InvalidInput, NotPermitted, Refused
from fundmgr.models import User
from fundmgr.money import PENNY, pounds

MAX_INSTALMENTS = 9  # the payment reference ends /1 to /9 and stays within BACS's 18 characters
Event = PaymentEvent.Kind


# The rules are fundmgr.access's; these names are the ones the finance code has always used.
is_finance_officer = access.finance_officer
may_read_finance = access.reads_finance


def require_finance_officer(user, doing: str = "do this") -> None:
    if not access.finance_officer(user):
        raise NotPermitted(f"Only a finance officer can {doing}.")


def long_date(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _log(payment: Payment, kind: str, by: User, *, run: PaymentRun | None = None, note: str = ""):
    return PaymentEvent.objects.create(
        payment=payment,
        kind=kind,
        run=run,
        note=note[:255],
        by=by if getattr(by, "pk", None) else None,
    )


# --- schedules and instalments --------------------------------------------------------------


@dataclass(frozen=True)
class Instalment:
    amount: Decimal
    due_on: datetime.date
    condition: str = ""


def payment_reference(reference: str, number: int) -> str:
    return f"{reference}/{number}"


def _check_instalments(instalments: Sequence[Instalment], total: Decimal, first: int) -> None:
    if not instalments:
        raise InvalidInput("Add at least one instalment.")
    if first - 1 + len(instalments) > MAX_INSTALMENTS:
        raise InvalidInput(f"A grant can be paid in at most {MAX_INSTALMENTS} instalments.")
    for number, item in enumerate(instalments, start=first):
        amount = item.amount
        if not isinstance(amount, Decimal) or amount != amount.quantize(PENNY) or amount <= 0:
            raise InvalidInput(f"Instalment {number} must be more than £0.00, in pounds and pence.")
        if len(item.condition) > 255:
            raise InvalidInput(f"Keep instalment {number}'s condition to 255 characters.")
    given = sum((i.amount for i in instalments), Decimal("0.00"))
    if given != total:
        raise InvalidInput(
            f"The instalments add up to {pounds(given)}; they must add up to {pounds(total)}, "
            "what is left to pay of the award."
        )


@transaction.atomic
def schedule_create(
    *,
    reference: str,
    fund_year: FundYear,
    payee: str,
    award: Decimal,
    instalments: Sequence[Instalment],
    by: User,
) -> PaymentSchedule:
    """A grant's payments, made when its offer is accepted. Once per grant."""
    if PaymentSchedule.objects.filter(reference=reference).exists():
        raise Refused(f"{reference} already has a payment schedule.")
    _check_instalments(instalments, award, 1)
    schedule = PaymentSchedule.objects.create(
        reference=reference,
        fund_year=fund_year,
        payee=payee[:200],
        award=award,
        created_by=by if getattr(by, "pk", None) else None,
    )
    for number, item in enumerate(instalments, start=1):
        payment = Payment.objects.create(
            schedule=schedule,
            number=number,
            reference=payment_reference(reference, number),
            amount=item.amount,
            due_on=item.due_on,
            condition=item.condition.strip(),
        )
        _log(payment, Event.SCHEDULED, by, note=f"{pounds(item.amount)} due {item.due_on:%d/%m/%Y}")
    return schedule


def was_sent(payment: Payment) -> bool:
    """Whether the payment is in a run, sent, or returned for reissue: changing the instalments
    keeps such a payment as it is (the instalments page shows them apart)."""
    return payment.status not in (Payment.Status.SCHEDULED, Payment.Status.CANCELLED) or any(
        line.status != PaymentRunLine.Status.CANCELLED for line in payment.run_lines.all()
    )


@transaction.atomic
def instalments_replace(
    *, schedule: PaymentSchedule, instalments: Sequence[Instalment], by: User
) -> list[Payment]:
    """Set the instalments still to be paid. A payment in a run, sent, or returned for reissue
    stays as it is; the new instalments must add up to the rest of the award. Unsent rows are
    reused number by number, and any left over are cancelled: nothing is deleted."""
    schedule = PaymentSchedule.objects.select_for_update().get(pk=schedule.pk)
    payments = list(
        schedule.payments.select_for_update().prefetch_related("run_lines").order_by("number")
    )
    kept = [p for p in payments if was_sent(p)]
    reusable = {p.number: p for p in payments if not was_sent(p)}
    left = schedule.award - sum((p.amount for p in kept), Decimal("0.00"))
    if left <= 0:
        raise Refused(f"Every payment of {schedule.reference} has been made or is in a run.")
    first = max((p.number for p in kept), default=0) + 1
    _check_instalments(instalments, left, first)
    result: list[Payment] = []
    for number, item in enumerate(instalments, start=first):
        condition = item.condition.strip()
        note = f"{pounds(item.amount)} due {item.due_on:%d/%m/%Y}" + (
            f"; condition: {condition}" if condition else ""
        )
        payment = reusable.pop(number, None)
        if payment is None:
            payment = Payment.objects.create(
                schedule=schedule,
                number=number,
                reference=payment_reference(schedule.reference, number),
                amount=item.amount,
                due_on=item.due_on,
                condition=condition,
            )
            _log(payment, Event.SCHEDULED, by, note=note)
        elif payment.status != Payment.Status.SCHEDULED or (
            payment.amount,
            payment.due_on,
            payment.condition,
        ) != (item.amount, item.due_on, condition):
            if payment.condition != condition:
                payment.condition_met_at = None
                payment.condition_met_by = None
            payment.amount, payment.due_on, payment.condition = item.amount, item.due_on, condition
            payment.status = Payment.Status.SCHEDULED
            payment.save()
            _log(payment, Event.CHANGED, by, note=note)
        result.append(payment)
    for payment in reusable.values():
        if payment.status != Payment.Status.CANCELLED:
            Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.CANCELLED)
            _log(payment, Event.CHANGED, by, note="Instalment removed")
    return result


@transaction.atomic
def condition_mark_met(*, payment: Payment, by: User, note: str = "") -> Payment:
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if not payment.condition:
        raise Refused(f"{payment.reference} has no condition to meet.")
    if payment.condition_met_at is not None:
        raise Refused(f"The condition of {payment.reference} was marked met already.")
    payment.condition_met_at = timezone.now()
    payment.condition_met_by = by
    payment.save(update_fields=["condition_met_at", "condition_met_by"])
    _log(payment, Event.CONDITION_MET, by, note=note.strip() or payment.condition)
    return payment


# --- payment runs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Payee:
    """The bank details a payment goes to, as verified (`bank_account` is the row's pk)."""

    bank_account: int
    account_name: str
    sort_code: str
    account_number: str


def check_pay_date(pay_date: datetime.date) -> None:
    today = timezone.localdate()
    if pay_date < today:
        raise InvalidInput(
            f"The payment date must be today or later; {long_date(pay_date)} has passed."
        )
    if pay_date.weekday() >= 5:
        raise InvalidInput(
            f"{pay_date:%A} {long_date(pay_date)} is not a BACS processing day: choose a weekday."
        )
    if pay_date > today + datetime.timedelta(days=31):
        raise InvalidInput(
            "BACS accepts a payment date up to 31 days ahead; choose an earlier one."
        )


def run_create(
    *, pay_date: datetime.date, by: User, payments: Sequence[tuple[Payment, str, Payee]]
) -> PaymentRun:
    """A prepared run of `payments` (each with its payee's name and verified bank details).
    Called inside the caller's transaction. A payment another officer has just put in a run of
    their own is refused, so no payment is ever in two runs."""
    require_finance_officer(by, "prepare a payment run")
    check_pay_date(pay_date)
    if not payments:
        raise Refused(f"No payment is due to be paid by {long_date(pay_date)}.")
    ids = [p.pk for p, _, _ in payments]
    run = PaymentRun.objects.create(
        pay_date=pay_date,
        prepared_by=by,
        total=sum((p.amount for p, _, _ in payments), Decimal("0.00")),
        count=len(payments),
    )
    claimed = Payment.objects.filter(pk__in=ids, status=Payment.Status.SCHEDULED).update(
        status=Payment.Status.IN_RUN, run=run
    )
    if claimed != len(ids):
        raise Refused(
            "Another finance officer put some of these payments in a run a moment ago. "
            "Look at the payments due again."
        )
    PaymentRunLine.objects.bulk_create(
        PaymentRunLine(
            run=run,
            payment=payment,
            reference=payment.reference,
            amount=payment.amount,
            payee=payee_name[:200],
            bank_account=payee.bank_account,
            account_name=payee.account_name,
            sort_code=payee.sort_code,
            account_number=payee.account_number,
        )
        for payment, payee_name, payee in payments
    )
    PaymentEvent.objects.bulk_create(
        PaymentEvent(payment=payment, kind=Event.ADDED_TO_RUN, run=run, by=by)
        for payment, _, _ in payments
    )
    return run


def run_lines(run: PaymentRun) -> list[PaymentRunLine]:
    return list(
        run.lines.select_related(
            "payment__schedule__fund_year__fund", "payment__schedule"
        ).order_by("reference")
    )


def run_check(run: PaymentRun, lines: Sequence[PaymentRunLine]) -> str:
    """A short seal of what the check page showed: the run's pay date, count and total and each
    payment's reference, amount, payee and account. The authorise form carries it back, so a
    run is authorised only as a finance officer saw it; any change since gives another seal."""
    from django.utils.crypto import salted_hmac

    shown = [run.pk, run.pay_date.isoformat(), run.count, f"{run.total:.2f}"]
    for line in sorted(lines, key=lambda x: x.pk):
        shown += [
            line.pk,
            line.payment_id,
            line.reference,
            f"{line.amount:.2f}",
            line.payee,
            line.account_name,
            line.sort_code,
            line.account_number,
        ]
    return salted_hmac("budgets.payments.run_check", "|".join(map(str, shown))).hexdigest()[:32]


def run_mark_sent(*, run: PaymentRun, by: User) -> bool:
    """The first time a finance officer takes an authorised run's BACS file, to send it to the
    bank: who and when are kept, and the run reads "Sent to bank on ...". Later downloads
    change nothing. True if this was the first."""
    require_finance_officer(by, "send a payment file to the bank")
    return bool(
        PaymentRun.objects.filter(
            pk=run.pk, status=PaymentRun.Status.AUTHORISED, sent_at__isnull=True
        ).update(sent_at=timezone.now(), sent_by=by)
    )


def run_begin_authorising(*, run: PaymentRun, by: User) -> PaymentRun:
    """The first step of authorising, inside the caller's transaction: the run moves from
    prepared to authorised with one conditional UPDATE, so of two officers authorising at once
    exactly one goes on; the other is told who did."""
    require_finance_officer(by, "authorise a payment run")
    run = PaymentRun.objects.select_related("prepared_by").get(pk=run.pk)
    if run.prepared_by_id == by.pk:
        raise NotPermitted(
            "You prepared this payment run, so another finance officer must authorise it."
        )
    if run.status == PaymentRun.Status.PREPARED:
        today = timezone.localdate()
        if run.pay_date < today:
            raise Refused(
                f"Run {run.number} was to pay on {long_date(run.pay_date)}, which has passed. "
                "Cancel it and prepare a new run."
            )
    moved = PaymentRun.objects.filter(pk=run.pk, status=PaymentRun.Status.PREPARED).update(
        status=PaymentRun.Status.AUTHORISED, authorised_by=by, authorised_at=timezone.now()
    )
    if moved != 1:
        run.refresh_from_db()
        if run.status == PaymentRun.Status.AUTHORISED:
            raise Refused(
                f"Run {run.number} was authorised by {run.authorised_by} at "
                f"{timezone.localtime(run.authorised_at):%H:%M on %d %B %Y}; nothing was changed."
            )
        raise Refused(f"Run {run.number} is {run.get_status_display().lower()}.")
    run.refresh_from_db()
    return run


ORIGINATOR_FIELDS = {
    "service_user_number": "bacs_service_user_number",
    "name": "bacs_name",
    "sort_code": "bacs_sort_code",
    "account_number": "bacs_account_number",
    "account_name": "bacs_account_name",
}


def originator(run: PaymentRun | None = None) -> bacs.Originator:
    """The council paying, as a BACS service user: the run's council's own settings (or the
    council in scope)."""
    from fundmgr.council_settings import council_for

    council = council_for(run)
    if council is None:
        raise Refused("A payment run is made for one council: this work is for none.")
    values = {key: getattr(council, field) for key, field in ORIGINATOR_FIELDS.items()}
    missing = [field for key, field in ORIGINATOR_FIELDS.items() if not values[key]]
    if missing:
        labels = [str(getattr(council._meta.get_field(f), "verbose_name", f)) for f in missing]
        raise Refused(
            f"{council.name}'s BACS details are not set up: ask the council's administrator "
            f"to set its {', '.join(labels)} in the council's settings."
        )
    return bacs.Originator(**values)


def _file(run: PaymentRun, kind: str, name: str, content: bytes) -> PaymentFile:
    return PaymentFile.objects.create(
        run=run, kind=kind, name=name, content=content, sha256=hashlib.sha256(content).hexdigest()
    )


def finance_csv(run: PaymentRun, lines: Sequence[PaymentRunLine]) -> bytes:
    """One row per payment for the council's finance system: the cost code it is charged to,
    the payment and grant references, the payee, the amount and the payment date."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Cost code", "Reference", "Grant", "Payee", "Amount", "Payment date"])
    for line in lines:
        schedule = line.payment.schedule
        writer.writerow(
            [
                schedule.fund_year.cost_code,
                line.reference,
                schedule.reference,
                line.payee,
                f"{line.amount:.2f}",
                run.pay_date.isoformat(),
            ]
        )
    return out.getvalue().encode("utf-8")


def run_export_and_send(
    *, run: PaymentRun, lines: Sequence[PaymentRunLine], by: User
) -> PaymentRun:
    """The last step of authorising, inside the caller's transaction: the BACS file and the
    finance CSV are written (to the database, in the same transaction) and every line and
    payment is marked sent."""
    credits = [
        bacs.Credit(
            sort_code=line.sort_code,
            account_number=line.account_number,
            account_name=line.account_name,
            amount=line.amount,
            reference=line.reference,
        )
        for line in lines
    ]
    try:
        content = bacs.standard18(
            originator=originator(run),
            credits=credits,
            serial=run.number[-6:],
            processing_day=run.pay_date,
            created=timezone.localdate(),
            narrative=f"GRANTS RUN {run.number}",
        )
    except bacs.BacsError as error:
        raise InvalidInput(f"The BACS file cannot be written: {error}") from None
    _file(run, PaymentFile.Kind.BACS, f"bacs-run-{run.number}.txt", content)
    _file(
        run, PaymentFile.Kind.FINANCE_CSV, f"finance-run-{run.number}.csv", finance_csv(run, lines)
    )
    run.lines.update(status=PaymentRunLine.Status.SENT)
    Payment.objects.filter(run_lines__run=run).update(status=Payment.Status.SENT)
    paid_on = f"Paid on {long_date(run.pay_date)}, the run's pay date"
    PaymentEvent.objects.bulk_create(
        PaymentEvent(payment_id=line.payment_id, kind=Event.SENT, run=run, by=by, note=paid_on)
        for line in lines
    )
    return run


@transaction.atomic
def run_cancel(*, run: PaymentRun, by: User, reason: str) -> PaymentRun:
    """A prepared run that will not be sent: its payments are due again."""
    require_finance_officer(by, "cancel a payment run")
    if not reason.strip():
        raise InvalidInput("Say why the run is cancelled.")
    moved = PaymentRun.objects.filter(pk=run.pk, status=PaymentRun.Status.PREPARED).update(
        status=PaymentRun.Status.CANCELLED,
        cancelled_by=by,
        cancelled_at=timezone.now(),
        cancel_reason=reason.strip()[:255],
    )
    run.refresh_from_db()
    if moved != 1:
        raise Refused(
            f"Run {run.number} is {run.get_status_display().lower()}: it cannot be cancelled."
        )
    payments = list(Payment.objects.filter(run=run, status=Payment.Status.IN_RUN))
    run.lines.update(status=PaymentRunLine.Status.CANCELLED)
    Payment.objects.filter(pk__in=[p.pk for p in payments]).update(
        status=Payment.Status.SCHEDULED, run=None
    )
    PaymentEvent.objects.bulk_create(
        PaymentEvent(payment=p, kind=Event.REMOVED_FROM_RUN, run=run, by=by, note=reason.strip())
        for p in payments
    )
    return run


# --- returned payments ----------------------------------------------------------------------


@transaction.atomic
def run_line_mark_returned(*, line: PaymentRunLine, by: User, note: str = "") -> PaymentRunLine:
    """The bank sent a payment back (a closed or wrong account): it waits to be reissued. The
    ledger keeps it as paid, because the group is still owed it and the reissue posts nothing
    new; until then it is a reconciling item on the reconciliation report."""
    require_finance_officer(by, "record a returned payment")
    line = PaymentRunLine.objects.select_for_update().select_related("payment").get(pk=line.pk)
    if line.status not in (PaymentRunLine.Status.SENT, PaymentRunLine.Status.CLEARED):
        raise Refused(
            f"{line.reference} in run {line.run.number} is {line.get_status_display().lower()}: "
            "only a sent payment can come back."
        )
    PaymentRunLine.objects.filter(pk=line.pk).update(
        status=PaymentRunLine.Status.RETURNED, cleared_on=None
    )
    Payment.objects.filter(pk=line.payment_id).update(status=Payment.Status.RETURNED)
    _log(line.payment, Event.RETURNED, by, run=line.run, note=note or "Returned by the bank")
    line.refresh_from_db()
    return line


def held_by_return(bank_accounts: Iterable[int]) -> dict[int, str]:
    """Of these bank details (applications' BankAccount pks), those a payment was sent back
    from, each with why its group's payments are held. A return shows the details are wrong
    (an account closed): nothing more is paid to them, and the hold lasts until the group's
    new details are entered and verified (a new row, so a new pk). Undoing the return's match
    lifts it. One query."""
    held: dict[int, str] = {}
    for line in (
        PaymentRunLine.objects.filter(
            bank_account__in=set(bank_accounts), status=PaymentRunLine.Status.RETURNED
        )
        .select_related("run")
        .order_by("-run__pay_date", "-pk")
    ):
        held.setdefault(
            line.bank_account,
            f"{line.reference}, paid to {line.masked_account} in run {line.run.number}, was "
            "returned by the bank: the group's payments are held until new bank details are "
            "entered and verified.",
        )
    return held


@transaction.atomic
def payment_reissue(*, payment: Payment, by: User, note: str = "") -> Payment:
    """A returned payment goes back to be paid in the next run (to the group's bank details
    as verified then: usually new ones, after the return showed the old were wrong)."""
    require_finance_officer(by, "reissue a payment")
    moved = Payment.objects.filter(pk=payment.pk, status=Payment.Status.RETURNED).update(
        status=Payment.Status.SCHEDULED, due_on=timezone.localdate()
    )
    payment.refresh_from_db()
    if moved != 1:
        raise Refused(
            f"{payment.reference} is {payment.get_status_display().lower()}: only a returned "
            "payment can be reissued."
        )
    _log(payment, Event.REISSUED, by, note=note or "To be paid in the next run")
    return payment


def sent_count(payment: Payment) -> int:
    return payment.run_lines.exclude(status=PaymentRunLine.Status.CANCELLED).count()
