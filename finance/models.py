"""The finance app's own records: the bank reconciliation of the grant account at a date.

Everything else finance works on (payment runs, statements, matches, clawback) is budgets'.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from budgets.models import money_field
from fundmgr.models import CouncilOwned, CouncilQuerySet

ZERO = Decimal("0.00")


class LockedQuerySet(CouncilQuerySet):
    """A checked reconciliation is what an auditor reads: no bulk change reaches it either."""

    def update(self, **kwargs):
        if self.filter(locked=True).exists():
            raise TypeError("A checked bank reconciliation is locked: it cannot be changed.")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(locked=True).exists():
            raise TypeError("A checked bank reconciliation is locked: it cannot be deleted.")
        return super().delete()


class BankReconciliation(CouncilOwned):
    """The bank reconciliation of one bank account at the end of one day (`as_at`), prepared by
    one finance officer and checked by another, and locked once checked.

    The figures and the items behind them are stored when it is prepared, so a statement
    imported or a match made later does not change a month someone has signed off; preparing
    it again (allowed until it is checked) takes the figures afresh. `items` holds the lists:
    `unpresented`, `uncleared_receipts`, `expected_refunds` and `unexplained`, each a list of
    {"date", "reference", "description", "amount"} (see finance.bank_reconciliation).
    """

    account = models.CharField(
        max_length=40, help_text="Sort code and account number: 309950 10203040."
    )
    as_at = models.DateField(help_text="The figures at the end of this day.")
    opening_date = models.DateField(help_text="The day the cash book starts from the bank's.")
    opening_balance = money_field()
    statement_balance = money_field()
    statement_balance_source = models.CharField(max_length=255)
    unpresented_total = money_field()
    uncleared_receipts_total = money_field()
    expected_refunds_total = money_field(help_text="For information: in neither balance.")
    unexplained_total = money_field()
    payments_total = money_field()
    refunds_total = money_field()
    returns_total = money_field()
    other_items_total = money_field()
    cash_book_balance = money_field()
    difference = money_field()
    items = models.JSONField(encoder=DjangoJSONEncoder, default=dict)
    explanation = models.TextField(blank=True, help_text="Why there is a difference, if any.")
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField()
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    locked = models.BooleanField(default=False)

    objects = LockedQuerySet.as_manager()

    class Meta:
        ordering = ["-as_at", "account"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "as_at"], name="bank_reconciliation_once_per_day"
            ),
            # The two-person rule, in the database as well as in the service.
            models.CheckConstraint(
                condition=Q(checked_by__isnull=True) | ~Q(checked_by=models.F("prepared_by")),
                name="bank_reconciliation_checked_by_someone_else",
            ),
            models.CheckConstraint(
                condition=Q(locked=False) | Q(checked_by__isnull=False, checked_at__isnull=False),
                name="bank_reconciliation_locked_when_checked",
            ),
        ]

    def __str__(self) -> str:
        return f"Bank reconciliation of {self.account} at {self.as_at:%d/%m/%Y}"

    def save(self, *args, **kwargs):
        if self.pk is not None and type(self).objects.filter(pk=self.pk, locked=True).exists():
            raise TypeError("A checked bank reconciliation is locked: it cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.locked or type(self).objects.filter(pk=self.pk, locked=True).exists():
            raise TypeError("A checked bank reconciliation is locked: it cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def adjusted_balance(self) -> Decimal:
        """The bank's balance as it will be once what is on its way has reached it."""
        return self.statement_balance - self.unpresented_total + self.uncleared_receipts_total

    @property
    def reconciled(self) -> bool:
        return self.difference == ZERO


class PayableCount(CouncilOwned):
    """The unpaid payments (scheduled or returned by the bank), counted and totalled as they
    change rather than per request: those of one council due on one day in one bucket, the
    payments page's list as far as it does not depend on today (`finance.payments.BUCKETS`:
    returned, stopped, waiting for a condition, ready and payable, ready and held). Each list's
    count and total on the finance pages is then a sum of a row per due day, however many
    payments wait. On PostgreSQL, triggers on the payments keep it in the transaction of each
    change (finance/migrations/0010_payable_counts.py); elsewhere (SQLite, for tests) it stays
    empty and the page counts the payments."""

    bucket = models.CharField(max_length=10)
    due_on = models.DateField()
    n = models.BigIntegerField(default=0)
    total = money_field(default=Decimal("0.00"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["council", "bucket", "due_on"], name="one_payable_count_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bucket} due on {self.due_on}: {self.n}, {self.total}"
