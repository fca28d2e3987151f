"""Payment schedules, instalments, payment runs and the files sent to the bank."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from budgets.models.base import AppendOnlyModel, money_field
from budgets.models.structure import FundYear
from fundmgr.models import CouncilOwned, CouncilQuerySet

# A grant is known here only by its reference, its fund year and its payee: `finance.payments`
# decides what is due and records each payment on the application.


class PaymentSchedule(CouncilOwned):
    """How one grant is paid: one payment, or instalments, each a `Payment`."""

    council_from = "fund_year"

    reference = models.CharField(max_length=18, unique=True, help_text="The grant's reference.")
    fund_year = models.ForeignKey(
        FundYear, on_delete=models.PROTECT, related_name="payment_schedules"
    )
    payee = models.CharField(max_length=200, help_text="The organisation paid, as named in lists.")
    award = money_field()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(condition=Q(award__gt=0), name="payment_schedule_award_positive")
        ]

    def __str__(self) -> str:
        return f"Payments of {self.reference}"


TO_CLEAR = ["prepared", "sent"]  # a run line's states before its payment clears


class PaymentRunQuerySet(CouncilQuerySet):
    def with_clearing(self) -> "PaymentRunQuerySet":
        """Each run with `last_cleared_on` (the latest day a statement cleared one of its
        payments) and `lines_to_clear` (payments sent and not yet cleared): what
        `PaymentRun.status_text` reads, in the list's own query."""
        # Each from its own partial index, per run: the newest cleared line, and the lines
        # still to clear (few: an old run has none), not every line of the page's runs.
        lines = PaymentRunLine.objects.filter(run=OuterRef("pk")).order_by()
        return self.annotate(
            last_cleared_on=Subquery(
                lines.filter(cleared_on__isnull=False)
                .order_by("-cleared_on")
                .values("cleared_on")[:1]
            ),
            lines_to_clear=Coalesce(
                Subquery(
                    lines.filter(status__in=TO_CLEAR)
                    .values("run")
                    .annotate(n=models.Count("pk"))
                    .values("n")[:1]
                ),
                0,
            ),
        )


class PaymentRun(CouncilOwned):
    """Payments gathered by one finance officer and authorised by another; authorising exports
    the BACS file and the finance system's CSV (`PaymentFile`) and posts each payment.

    `status` is where the run is in its own life (prepared, authorised, cancelled); what has
    happened to an authorised run since is told by `status_text`: its BACS file ready, sent to
    the bank (the first time a finance officer took the file: `sent_at`, `sent_by`), cleared
    (the bank statement matched its payments)."""

    class Status(models.TextChoices):
        PREPARED = "prepared", "Waiting for authorisation"
        AUTHORISED = "authorised", "Authorised: BACS file ready"
        CANCELLED = "cancelled", "Cancelled"

    pay_date = models.DateField(help_text="The BACS processing day the money is paid.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREPARED)
    total = money_field(default=Decimal("0.00"))
    count = models.PositiveIntegerField(default=0)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(auto_now_add=True)
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    authorised_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When a finance officer first took the BACS file."
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = PaymentRunQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        constraints = [
            # The two-person rule, in the database as well as in the service.
            models.CheckConstraint(
                condition=Q(authorised_by__isnull=True) | ~Q(authorised_by=models.F("prepared_by")),
                name="payment_run_authorised_by_someone_else",
            ),
            models.CheckConstraint(
                condition=~Q(status="authorised")
                | Q(authorised_by__isnull=False, authorised_at__isnull=False),
                name="payment_run_authorised_has_who_and_when",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="payment_run_total_positive"),
        ]
        indexes = [models.Index(fields=["status", "pay_date"], name="payment_run_status_idx")]

    def __str__(self) -> str:
        return f"Payment run {self.number}"

    @property
    def number(self) -> str:
        return f"{self.pk:06d}"

    @property
    def cleared_on(self) -> datetime.date | None:
        """The day the bank statement cleared the last of its payments, once none is waiting
        to clear (a returned payment is not waiting). Read from `last_cleared_on` and
        `lines_to_clear` where a list annotated them (`with_clearing`), else one query."""
        if self.status != self.Status.AUTHORISED:
            return None
        if not hasattr(self, "last_cleared_on"):
            found = (
                PaymentRun.objects.with_clearing()
                .filter(pk=self.pk)
                .values("last_cleared_on", "lines_to_clear")[0]
            )
            self.last_cleared_on = found["last_cleared_on"]
            self.lines_to_clear = found["lines_to_clear"]
        return self.last_cleared_on if not self.lines_to_clear else None

    @property
    def sent_on(self) -> datetime.date | None:
        from django.utils import timezone

        return timezone.localdate(self.sent_at) if self.sent_at else None

    @property
    def status_text(self) -> str:
        """What is true of the run now, in words: "Waiting for authorisation", "Authorised:
        BACS file ready", "Sent to bank on 5 December 2026", "Cleared on 8 December 2026",
        "Cancelled"."""
        if (cleared := self.cleared_on) is not None:
            return f"Cleared on {cleared.day} {cleared:%B %Y}"
        if self.status == self.Status.AUTHORISED and (sent := self.sent_on) is not None:
            return f"Sent to bank on {sent.day} {sent:%B %Y}"
        return self.get_status_display()


class Payment(CouncilOwned):
    """One payment of a grant (an instalment). A conditional instalment is not due until an
    officer marks its condition met. Each time it is sent it is a line of a payment run; its
    status follows its latest line."""

    council_from = "schedule"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        IN_RUN = "in_run", "In a payment run"
        SENT = "sent", "Sent"
        CLEARED = "cleared", "Cleared"
        RETURNED = "returned", "Returned by the bank"
        CANCELLED = "cancelled", "Not to be paid"

    schedule = models.ForeignKey(PaymentSchedule, on_delete=models.PROTECT, related_name="payments")
    number = models.PositiveSmallIntegerField()
    reference = models.CharField(
        max_length=18, unique=True, help_text="The BACS reference: CCIF26-000123/1."
    )
    amount = money_field()
    due_on = models.DateField()
    condition = models.CharField(max_length=255, blank=True)
    condition_met_at = models.DateTimeField(null=True, blank=True)
    condition_met_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    run = models.ForeignKey(
        PaymentRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The run it is in now, or was last sent in.",
    )

    class Meta:
        ordering = ["schedule__reference", "number"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "number"], name="payment_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=9), name="payment_number_1_to_9"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["in_run", "sent", "cleared"]) | Q(run__isnull=False),
                name="payment_in_a_run_has_its_run",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="payment_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"

    @property
    def condition_met(self) -> bool:
        return not self.condition or self.condition_met_at is not None


class PaymentRunLine(CouncilOwned):
    """One payment as a run sends it. The payee's bank details are copied in when the run is
    prepared, so the line shows what was checked and sent whatever changes later; a payment
    the bank returns is sent again as a line of a later run."""

    council_from = "run"

    class Status(models.TextChoices):
        PREPARED = "prepared", "Waiting for authorisation"
        SENT = "sent", "Sent"
        CLEARED = "cleared", "Cleared"
        RETURNED = "returned", "Returned by the bank"
        CANCELLED = "cancelled", "Run cancelled"

    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, related_name="lines")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="run_lines")
    reference = models.CharField(max_length=18)
    amount = money_field()
    payee = models.CharField(max_length=200)
    # The pk of the applications.BankAccount row copied: a plain number, not a foreign key,
    # because budgets does not depend on applications.
    bank_account = models.PositiveBigIntegerField()
    account_name = models.CharField(max_length=18)
    sort_code = models.CharField(max_length=6)
    account_number = models.CharField(max_length=8)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREPARED)
    cleared_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["run", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["run", "payment"], name="payment_once_per_run"),
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(status__in=["prepared", "sent", "cleared"]),
                name="payment_in_one_live_run_line",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="run_line_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "reference"], name="run_line_status_ref_idx"),
            # The runs list: each run's newest clearing and its lines still to clear.
            models.Index(
                fields=["run", "-cleared_on"],
                condition=Q(cleared_on__isnull=False),
                name="run_line_cleared",
            ),
            models.Index(
                fields=["run"], condition=Q(status__in=TO_CLEAR), name="run_line_to_clear"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} in run {self.run_id}"

    @property
    def masked_account(self) -> str:
        return f"{self.sort_code[:2]}-**-** ****{self.account_number[-4:]}"


class PaymentEvent(AppendOnlyModel, CouncilOwned):
    """A payment's history: scheduled, changed, condition met, in a run, sent, cleared,
    returned, reissued. Append-only."""

    council_from = "payment"

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CHANGED = "changed", "Instalments changed"
        CONDITION_MET = "condition_met", "Condition met"
        ADDED_TO_RUN = "added_to_run", "Added to a payment run"
        REMOVED_FROM_RUN = "removed_from_run", "Payment run cancelled"
        SENT = "sent", "Authorised for payment"
        CLEARED = "cleared", "Cleared on the bank statement"
        UNCLEARED = "uncleared", "Match undone"
        RETURNED = "returned", "Returned by the bank"
        REISSUED = "reissued", "Reissued"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    run = models.ForeignKey(
        PaymentRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["payment", "id"], name="payment_event_idx")]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.kind}"


class PaymentFile(AppendOnlyModel, CouncilOwned):
    """A file a payment run exported. Held in the database, not on disk, so that the file and
    the authorisation are committed together or not at all: a failed authorisation can never
    leave a payment file behind for someone to send to the bank. Append-only."""

    council_from = "run"

    class Kind(models.TextChoices):
        BACS = "bacs", "BACS Standard 18 file"
        FINANCE_CSV = "finance_csv", "Finance system CSV"

    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=100)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["run", "kind"], name="one_payment_file_of_each_kind")
        ]

    def __str__(self) -> str:
        return self.name
