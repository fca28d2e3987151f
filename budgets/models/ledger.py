"""The double-entry budget ledger: accounts, postings and their entries.

Only `budgets.ledger` writes ledger rows and balances. Entries are append-only: the ORM refuses
to update or delete them, and on PostgreSQL a trigger refuses it too (migration 0002).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from budgets.models.base import AppendOnlyModel, money_field
from budgets.models.structure import Councillor, FundYear
from fundmgr.models import CouncilOwned
from fundmgr.money import pounds


class Account(CouncilOwned):
    """A ledger account of one fund year. `balance` is the sum of its entries, kept in step by
    `budgets.ledger` in the same transaction; CHECK constraints stop it going below zero."""

    council_from = "fund_year"

    class Kind(models.TextChoices):
        SOURCE = "source", "Source"
        POT = "pot", "Pot"
        ALLOCATION = "allocation", "Allocation"
        COMMITMENT = "commitment", "Commitment"
        PAID = "paid", "Paid"

    fund_year = models.ForeignKey(FundYear, on_delete=models.PROTECT, related_name="accounts")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    councillor = models.ForeignKey(
        Councillor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        help_text="Allocation: whose. Commitment, paid: whose allocation funded it (blank: pot).",
    )
    reference = models.CharField(
        max_length=18, blank=True, default="", help_text="Commitment: the grant reference."
    )
    balance = money_field(default=Decimal("0.00"), editable=False)

    class Meta:
        ordering = ["fund_year", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="source") | Q(balance__gte=0), name="account_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind="allocation") | Q(councillor__isnull=False),
                name="allocation_account_has_councillor",
            ),
            models.CheckConstraint(
                condition=~Q(kind="commitment") | ~Q(reference=""),
                name="commitment_account_has_reference",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["commitment"]) | Q(reference=""),
                name="only_commitments_have_reference",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["source", "pot"]) | Q(councillor__isnull=True),
                name="source_and_pot_have_no_councillor",
            ),
            models.UniqueConstraint(
                fields=["fund_year", "kind", "councillor", "reference"],
                condition=Q(councillor__isnull=False),
                name="account_unique_with_councillor",
            ),
            models.UniqueConstraint(
                fields=["fund_year", "kind", "reference"],
                condition=Q(councillor__isnull=True),
                name="account_unique_without_councillor",
            ),
        ]
        indexes = [
            models.Index(fields=["reference"], name="account_reference_idx"),
            models.Index(fields=["councillor", "kind"], name="account_councillor_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.describe()

    def describe(self) -> str:
        """How the account is named to a person in messages and statements."""
        fy = self.fund_year
        period = f"{fy.year.label} {fy.fund.code}"
        match self.kind:
            case self.Kind.SOURCE:
                return f"the {period} budget source"
            case self.Kind.POT:
                return f"the {period} pot"
            case self.Kind.ALLOCATION:
                return f"{self.councillor}'s {period} allocation"
            case self.Kind.COMMITMENT:
                return f"the commitment to {self.reference}"
            case _:
                return f"{period} paid"

    def short_label(self) -> str:
        if self.kind == self.Kind.ALLOCATION:
            return f"{self.councillor} allocation"
        if self.kind == self.Kind.COMMITMENT:
            return f"Commitment {self.reference}"
        return self.get_kind_display()

    def balance_text(self) -> str:
        return pounds(self.balance)


class LedgerTransaction(AppendOnlyModel, CouncilOwned):
    """One posting: two or more entries that sum to zero. Never changed; reversed if wrong."""

    class Kind(models.TextChoices):
        BUDGET = "budget", "Budget set"
        ALLOCATION = "allocation", "Allocation"
        TRANSFER = "transfer", "Transfer"
        COMMITMENT = "commitment", "Commitment"
        RELEASE = "release", "Release"
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"
        CARRY_FORWARD = "carry_forward", "Carried forward"
        LAPSE = "lapse", "Lapsed"
        REVERSAL = "reversal", "Reversal"
        # What a council switching in the middle of a year brings with it (budgets.opening):
        # each allocation, and what was committed and paid from it before the switch.
        OPENING = "opening", "Opening position"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=120, unique=True)
    reference = models.CharField(max_length=18, blank=True, default="", db_index=True)
    memo = models.CharField(max_length=255)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = "ledger transaction"

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}: {self.memo}"


class Entry(AppendOnlyModel, CouncilOwned):
    """One side of a posting. Positive adds to the account's balance, negative takes from it."""

    council_from = "account"

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = money_field()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "id"], name="entry_account_id_idx")]

    def __str__(self) -> str:
        return f"{pounds(self.amount)} {self.account.short_label()}"
