"""What an allocation account's postings of each kind add up to, for its budget statement.

Kept on PostgreSQL by a trigger on the ledger's entries (migration 0012), in the statement that
inserts them, so a statement's totals are a few rows whatever the number of postings; the
ledger's own code writes nothing here. SQLite has no such trigger: budgets.selectors sums the
entries there instead.
"""

from decimal import Decimal

from django.db import models

from budgets.models.ledger import Account
from fundmgr.models import CouncilOwned


class KindTotal(CouncilOwned):
    """An allocation account's entries of one kind of posting: what came in, what went out
    (negative) and how many entries."""

    council_from = "account"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    plus = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    minus = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "kind"], name="one_kind_total_per_account")
        ]

    def __str__(self) -> str:
        return f"account {self.account_id} {self.kind}: +{self.plus} {self.minus} ({self.n})"
