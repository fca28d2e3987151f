"""The money core: years, wards, councillors, funds and the double-entry budget ledger.

Only `budgets.ledger` writes ledger rows and balances. Entries are append-only: the ORM refuses
to update or delete them, and on PostgreSQL a trigger refuses it too (migration 0002).
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from fundmgr.money import pounds

MONEY = {"max_digits": 12, "decimal_places": 2}


def money_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(**MONEY, **kwargs)


class FinancialYear(models.Model):
    """A UK financial year, 1 April to 31 March, labelled `2026/27`."""

    label = models.CharField(max_length=7, unique=True, editable=False)
    start = models.DateField(unique=True, help_text="Always 1 April.")
    end = models.DateField(editable=False)
    is_closed = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__month=4, start__day=1), name="financial_year_starts_1_april"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        self.end = datetime.date(self.start.year + 1, 3, 31)
        self.label = f"{self.start.year}/{str(self.start.year + 1)[-2:]}"
        super().save(*args, **kwargs)

    @staticmethod
    def start_for(day: datetime.date) -> datetime.date:
        year = day.year if day >= datetime.date(day.year, 4, 1) else day.year - 1
        return datetime.date(year, 4, 1)

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


class Council(models.Model):
    name = models.CharField(max_length=200)
    gss_code = models.CharField(
        "ONS GSS code",
        max_length=9,
        unique=True,
        validators=[
            RegexValidator(r"^[EWSN]0[6-9]\d{6}$", "A local authority GSS code, E07000123.")
        ],
    )
    org_id = models.CharField(
        "org-id identifier", max_length=40, blank=True, help_text="For 360Giving, GB-LAE-ABC."
    )

    def __str__(self) -> str:
        return self.name


class Ward(models.Model):
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="wards")
    name = models.CharField(max_length=120)
    gss_code = models.CharField(
        "ONS GSS code",
        max_length=9,
        unique=True,
        validators=[RegexValidator(r"^[EWSN]05\d{6}$", "A ward GSS code starts E05: E05012345.")],
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["council", "name"], name="ward_name_unique_in_council")
        ]

    def __str__(self) -> str:
        return self.name


class CouncillorQuerySet(models.QuerySet):
    def in_term_on(self, day: datetime.date) -> "CouncillorQuerySet":
        return self.filter(Q(term_end__isnull=True) | Q(term_end__gte=day), term_start__lte=day)

    def in_term_during(self, year: FinancialYear) -> "CouncillorQuerySet":
        return self.filter(
            Q(term_end__isnull=True) | Q(term_end__gte=year.start), term_start__lte=year.end
        )


class Councillor(models.Model):
    """One person's term representing one ward. A re-elected member gets a new term row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="councillor_terms"
    )
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="councillors")
    name = models.CharField(max_length=120, help_text="As it appears in letters: Sam Shaw.")
    term_start = models.DateField()
    term_end = models.DateField(null=True, blank=True, help_text="Blank while serving.")

    objects = CouncillorQuerySet.as_manager()

    class Meta:
        ordering = ["ward__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gte=models.F("term_start")),
                name="councillor_term_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"Cllr {self.name}"

    @property
    def surname_title(self) -> str:
        return f"Cllr {self.name.split()[-1]}"

    def in_term_on(self, day: datetime.date) -> bool:
        return self.term_start <= day and (self.term_end is None or self.term_end >= day)

    def in_term_during(self, year: FinancialYear) -> bool:
        return self.term_start <= year.end and (
            self.term_end is None or self.term_end >= year.start
        )


class ElectionPeriod(models.Model):
    """Notice of election to polling day: no councillor-budget endorsement, pledge or approval."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="election_periods")
    name = models.CharField(max_length=120)
    notice_date = models.DateField()
    polling_day = models.DateField()

    class Meta:
        ordering = ["notice_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(polling_day__gte=models.F("notice_date")),
                name="election_polling_after_notice",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def covers(self, day: datetime.date) -> bool:
        return self.notice_date <= day <= self.polling_day


class Fund(models.Model):
    class Kind(models.TextChoices):
        CCIF = "ccif", "Councillors' Community Initiative Fund"
        COUNCILLOR_BUDGET = "councillor_budget", "Councillor (ward) budget"
        COMMUNITY_ASSET = "community_asset", "Community Asset Fund"

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="funds")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=120)
    code = models.CharField(
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,6}$", "2 to 6 capital letters, such as CCIF.")],
        help_text="Starts every application reference: CCIF26-000123.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FundYear(models.Model):
    """A fund's rules for one financial year."""

    class FundedFrom(models.TextChoices):
        ALLOCATIONS = "allocations", "Councillors' allocations"
        CENTRAL_POT = "central_pot", "The central pot"

    class YearEnd(models.TextChoices):
        CARRY_FORWARD = "carry_forward", "Carry unspent allocations forward"
        LAPSE = "lapse", "Unspent allocations lapse to the pot"

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="years")
    year = models.ForeignKey(FinancialYear, on_delete=models.PROTECT, related_name="fund_years")
    total_budget = money_field(default=Decimal("0.00"), editable=False)
    allocation_per_councillor = money_field(default=Decimal("0.00"))
    min_award = money_field(default=Decimal("0.00"))
    max_award = money_field()
    match_funding_share = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text="Per cent of the project cost the group must find elsewhere.",
    )
    funded_from = models.CharField(max_length=20, choices=FundedFrom.choices)
    councillor_support_required = models.BooleanField(default=True)
    delegated_limit = money_field(help_text="Officers decide up to this; a panel above it.")
    opens_on = models.DateField()
    closes_on = models.DateField()
    year_end = models.CharField(max_length=20, choices=YearEnd.choices, default=YearEnd.LAPSE)
    offer_acceptance_days = models.PositiveIntegerField(default=28)
    monitoring_required = models.BooleanField(default=True)
    monitoring_due_days = models.PositiveIntegerField(
        default=90, help_text="Days after the project ends that the report is due."
    )
    clawback_threshold = money_field(
        default=Decimal("50.00"), help_text="Underspend above this is clawed back."
    )
    cost_code = models.CharField(max_length=30, help_text="Ledger cost code in the finance system.")

    class Meta:
        ordering = ["year__start", "fund__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "year"], name="one_fund_year_per_fund_and_year"
            ),
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="fund_year_closes_after_open"
            ),
            models.CheckConstraint(
                condition=Q(max_award__gte=models.F("min_award")), name="fund_year_max_over_min"
            ),
            models.CheckConstraint(
                condition=Q(match_funding_share__gte=0, match_funding_share__lte=100),
                name="fund_year_match_share_is_percentage",
            ),
            models.CheckConstraint(
                condition=Q(
                    allocation_per_councillor__gte=0, min_award__gte=0, total_budget__gte=0
                ),
                name="fund_year_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund.code} {self.year.label}"

    @property
    def uses_allocations(self) -> bool:
        return self.funded_from == self.FundedFrom.ALLOCATIONS

    def clean(self):
        if self.opens_on and self.year_id and not self.year.contains(self.opens_on):
            raise ValidationError({"opens_on": f"Must fall within {self.year.label}."})


class Account(models.Model):
    """A ledger account of one fund year. `balance` is the sum of its entries, kept in step by
    `budgets.ledger` in the same transaction; CHECK constraints stop it going below zero."""

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


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only: post a reversal instead.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only: post a reversal instead.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only: post a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only: post a reversal instead.")


class LedgerTransaction(AppendOnlyModel):
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


class Entry(AppendOnlyModel):
    """One side of a posting. Positive adds to the account's balance, negative takes from it."""

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


# --- payments -------------------------------------------------------------------------------
# A grant is known here only by its reference, its fund year and its payee: `applications`
# decides what is due and records each payment on the application (`applications.payments`).


class PaymentSchedule(models.Model):
    """How one grant is paid: one payment, or instalments, each a `Payment`."""

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


class PaymentRun(models.Model):
    """Payments gathered by one finance officer and authorised by another; authorising exports
    the BACS file and the finance system's CSV (`PaymentFile`) and posts each payment."""

    class Status(models.TextChoices):
        PREPARED = "prepared", "Waiting for authorisation"
        AUTHORISED = "authorised", "Authorised and sent"
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


class Payment(models.Model):
    """One payment of a grant (an instalment). A conditional instalment is not due until an
    officer marks its condition met. Each time it is sent it is a line of a payment run; its
    status follows its latest line."""

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


class PaymentRunLine(models.Model):
    """One payment as a run sends it. The payee's bank details are copied in when the run is
    prepared, so the line shows what was checked and sent whatever changes later; a payment
    the bank returns is sent again as a line of a later run."""

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
        ]

    def __str__(self) -> str:
        return f"{self.reference} in run {self.run_id}"

    @property
    def masked_account(self) -> str:
        return f"{self.sort_code[:2]}-**-** ****{self.account_number[-4:]}"


class PaymentEvent(AppendOnlyModel):
    """A payment's history: scheduled, changed, condition met, in a run, sent, cleared,
    returned, reissued. Append-only."""

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CHANGED = "changed", "Instalments changed"
        CONDITION_MET = "condition_met", "Condition met"
        ADDED_TO_RUN = "added_to_run", "Added to a payment run"
        REMOVED_FROM_RUN = "removed_from_run", "Payment run cancelled"
        SENT = "sent", "Sent"
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


class PaymentFile(AppendOnlyModel):
    """A file a payment run exported. Held in the database, not on disk, so that the file and
    the authorisation are committed together or not at all: a failed authorisation can never
    leave a payment file behind for someone to send to the bank. Append-only."""

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


# --- bank statements and reconciliation -----------------------------------------------------


class Statement(models.Model):
    """An imported bank statement file. The same file (by SHA-256) is never imported twice."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        OFX = "ofx", "OFX"
        CAMT053 = "camt053", "ISO 20022 camt.053"

    sha256 = models.CharField(max_length=64, unique=True)
    filename = models.CharField(max_length=255)
    format = models.CharField(max_length=8, choices=Format.choices)
    layout = models.CharField(max_length=60, blank=True, help_text="CSV: the column layout.")
    account = models.CharField(max_length=40, blank=True, help_text="As the file names it.")
    line_count = models.PositiveIntegerField(default=0)
    first_date = models.DateField(null=True, blank=True)
    last_date = models.DateField(null=True, blank=True)
    money_out = money_field(default=Decimal("0.00"))
    money_in = money_field(default=Decimal("0.00"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"Statement {self.pk}: {self.filename}"


class StatementLine(models.Model):
    """One line of a statement: money out is negative, money in positive."""

    class Status(models.TextChoices):
        UNMATCHED = "unmatched", "Not matched"
        MATCHED = "matched", "Matched to a payment"
        RETURNED = "returned", "A payment returned"
        REFUND = "refund", "A clawback repaid"
        SET_ASIDE = "set_aside", "Not a grant payment"

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines")
    number = models.PositiveIntegerField(help_text="The line of the file it came from.")
    date = models.DateField()
    amount = money_field()
    description = models.CharField(max_length=255)
    reference = models.CharField(
        max_length=18, blank=True, help_text="The payment reference found in the description."
    )
    bank_id = models.CharField(
        max_length=80, blank=True, help_text="The bank's own id of the line (OFX FITID)."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNMATCHED)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["statement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "number"], name="statement_line_unique"),
            models.CheckConstraint(condition=~Q(amount=0), name="statement_line_not_zero"),
        ]
        indexes = [
            models.Index(fields=["status", "date"], name="statement_line_status_idx"),
            models.Index(fields=["reference"], name="statement_line_reference_idx"),
            models.Index(fields=["bank_id"], name="statement_line_bank_id_idx"),
        ]

    def __str__(self) -> str:
        return f"Line {self.number} of statement {self.statement_id}"

    @property
    def money_out(self) -> Decimal | None:
        return -self.amount if self.amount < 0 else None

    @property
    def money_in(self) -> Decimal | None:
        return self.amount if self.amount > 0 else None


class Match(models.Model):
    """A statement line matched to a payment run line: money out clears the payment; money in
    records it returned by the bank. Undoing a match keeps the row, marked undone."""

    class Kind(models.TextChoices):
        CLEARED = "cleared", "Cleared"
        RETURNED = "returned", "Returned"

    class Method(models.TextChoices):
        REFERENCE = "reference", "By reference"
        AMOUNT_DATE = "amount_date", "By amount and date"
        MANUAL = "manual", "By hand"

    line = models.ForeignKey(StatementLine, on_delete=models.PROTECT, related_name="matches")
    run_line = models.ForeignKey(PaymentRunLine, on_delete=models.PROTECT, related_name="matches")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CLEARED)
    method = models.CharField(max_length=12, choices=Method.choices)
    matched_at = models.DateTimeField(auto_now_add=True)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undo_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "matches"
        constraints = [
            # A line matches one payment; a payment is cleared (or returned) once.
            models.UniqueConstraint(
                fields=["line"], condition=Q(undone_at__isnull=True), name="line_matched_once"
            ),
            models.UniqueConstraint(
                fields=["run_line", "kind"],
                condition=Q(undone_at__isnull=True),
                name="payment_cleared_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line} {self.kind} {self.run_line}"


# --- the finance system's general ledger ----------------------------------------------------


class GLImport(models.Model):
    """An export of the council's general ledger (CSV), to compare with the budget ledger per
    cost code and period. The same file (by SHA-256) is never imported twice."""

    sha256 = models.CharField(max_length=64, unique=True)
    filename = models.CharField(max_length=255)
    line_count = models.PositiveIntegerField(default=0)
    first_date = models.DateField()
    last_date = models.DateField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = "general ledger import"

    def __str__(self) -> str:
        return f"GL import {self.pk}: {self.filename}"


class GLLine(models.Model):
    gl_import = models.ForeignKey(GLImport, on_delete=models.PROTECT, related_name="lines")
    number = models.PositiveIntegerField()
    cost_code = models.CharField(max_length=30)
    date = models.DateField()
    amount = money_field(help_text="Spending positive, income (a refund) negative.")
    reference = models.CharField(max_length=40, blank=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["gl_import", "number"]
        constraints = [
            models.UniqueConstraint(fields=["gl_import", "number"], name="gl_line_unique")
        ]
        indexes = [models.Index(fields=["cost_code", "date"], name="gl_line_code_date_idx")]

    def __str__(self) -> str:
        return f"Line {self.number} of GL import {self.gl_import_id}"


# --- clawback -------------------------------------------------------------------------------


class Clawback(models.Model):
    """Money a group is asked to pay back: an underspend above the fund's threshold, or what
    was paid on a grant revoked for a breach. Refunds received are posted to the ledger
    (paid back to where the money came from) and listed as `ClawbackRefund` rows."""

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


class ClawbackRefund(models.Model):
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
