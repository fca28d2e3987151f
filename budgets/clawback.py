"""Clawback: asking for money back, and posting refunds to the ledger when they arrive.

Which grants owe money (an underspend above the fund's threshold, or a revoked grant) is read
from applications by `finance.clawbacks`, which calls these services. A refund goes through
`budgets.ledger.refund_post` (paid back to where the money came from, or to this year's pot once
that year is closed), with one idempotency key per refund.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from budgets import ledger
from budgets.models import Clawback, ClawbackRefund, FundYear, StatementLine
from budgets.payments import require_finance_officer
from fundmgr import contention
from fundmgr.errors import InvalidInput, Refused
from fundmgr.models import User
from fundmgr.money import PENNY, pounds


@transaction.atomic
def clawback_create(
    *, reference: str, fund_year: FundYear, payee: str, amount: Decimal, reason: str, by: User
) -> Clawback:
    require_finance_officer(by, "raise a clawback request")
    if not isinstance(amount, Decimal) or amount <= 0 or amount != amount.quantize(PENNY):
        raise InvalidInput("A clawback must be more than £0.00, in pounds and pence.")
    if Clawback.objects.filter(reference=reference, status=Clawback.Status.REQUESTED).exists():
        raise Refused(f"{reference} already has a clawback request waiting to be repaid.")
    return Clawback.objects.create(
        reference=reference,
        fund_year=fund_year,
        payee=payee[:200],
        amount=amount,
        reason=reason[:255],
        raised_by=by,
    )


@contention.atomic
def refund_record(
    *,
    clawback: Clawback,
    amount: Decimal,
    received_on: datetime.date,
    by: User,
    statement_line: StatementLine | None = None,
) -> ClawbackRefund:
    """A refund received: posted to the ledger and counted against the request, all or
    nothing. A statement line of money in, when given, is the refund on the bank statement."""
    require_finance_officer(by, "record a refund")
    if not isinstance(amount, Decimal) or amount <= 0 or amount != amount.quantize(PENNY):
        raise InvalidInput("The refund must be more than £0.00, in pounds and pence.")
    if received_on > timezone.localdate():
        raise InvalidInput("The date the refund arrived cannot be in the future.")
    clawback = Clawback.objects.select_for_update().get(pk=clawback.pk)
    if clawback.status != Clawback.Status.REQUESTED:
        raise Refused(f"{clawback.number} is {clawback.get_status_display().lower()}.")
    if amount > clawback.outstanding:
        raise InvalidInput(
            f"{clawback.number} has {pounds(clawback.outstanding)} still to repay; a refund of "
            f"{pounds(amount)} is more than that."
        )
    if statement_line is not None:
        moved = StatementLine.objects.filter(
            pk=statement_line.pk, status=StatementLine.Status.UNMATCHED, amount=amount
        ).update(status=StatementLine.Status.REFUND)
        if moved != 1:
            raise Refused(
                f"Line {statement_line.number} is not an unmatched line of {pounds(amount)} in."
            )
    number = clawback.refunds.count() + 1
    posting = ledger.refund_post(
        reference=clawback.reference,
        amount=amount,
        by=by,
        key=f"clawback:{clawback.pk}:{number}",
    )
    Clawback.objects.filter(pk=clawback.pk).update(received=F("received") + amount)
    clawback.refresh_from_db()
    if clawback.received == clawback.amount:
        Clawback.objects.filter(pk=clawback.pk).update(status=Clawback.Status.REPAID)
    return ClawbackRefund.objects.create(
        clawback=clawback,
        amount=amount,
        received_on=received_on,
        posting=posting,
        statement_line=statement_line,
        recorded_by=by,
    )
