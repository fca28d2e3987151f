"""Money a group is asked to pay back, and the refunds it makes."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from budgets.models.base import money_field
from budgets.models.ledger import LedgerTransaction
from budgets.models.statements import StatementLine
from budgets.models.structure import FundYear
from fundmgr.models import CouncilOwned


class Clawback(CouncilOwned):
    """Money a group is asked to pay back: an underspend above the fund's threshold, or what
    was paid on a grant revoked for a breach. Refunds received are posted to the ledger
    (paid back to where the money came from) and listed as `ClawbackRefund` rows."""

    council_from = "fund_year"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        REPAID = "repaid", "Repaid in full"
        CANCELLED = "cancelled", "Cancelled"

    reference = models.CharField(max_length=18, help_text="The grant's reference.")
    fund_year = models.ForeignKey(FundYear, on_delete=models.PROTECT, related_name="clawbacks")
    payee = models.CharField(max_length=200)
    amount = money_field()
    received = money_field(default=Decimal("0.00"))
    reason = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="clawback_amount_positive"),
            models.CheckConstraint(
                condition=Q(received__gte=0, received__lte=models.F("amount")),
                name="clawback_received_within_amount",
            ),
            models.UniqueConstraint(
                fields=["reference"],
                condition=Q(status="requested"),
                name="one_open_clawback_per_grant",
            ),
        ]

    def __str__(self) -> str:
        return f"Clawback {self.number}: {self.reference}"

    @property
    def number(self) -> str:
        return f"CLAW-{self.pk:05d}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.received


class ClawbackRefund(CouncilOwned):
    council_from = "clawback"

    clawback = models.ForeignKey(Clawback, on_delete=models.PROTECT, related_name="refunds")
    amount = money_field()
    received_on = models.DateField()
    posting = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, related_name="clawback_refund"
    )
    statement_line = models.OneToOneField(
        StatementLine, null=True, blank=True, on_delete=models.PROTECT, related_name="refund"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="clawback_refund_positive")
        ]

    def __str__(self) -> str:
        return f"{self.amount} for {self.clawback}"
