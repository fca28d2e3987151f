"""Bank statements, their matches to payments, and the finance system's general ledger."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from budgets.models.base import money_field
from budgets.models.payments import PaymentRun, PaymentRunLine
from fundmgr.models import CouncilOwned


class Statement(CouncilOwned):
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
    opening_balance = money_field(
        null=True, blank=True, help_text="The balance before its first line, where the file says."
    )
    closing_balance = money_field(
        null=True, blank=True, help_text="The balance after its last line, where the file says."
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"Statement {self.pk}: {self.filename}"


class BankAccountLayout(CouncilOwned):
    """The CSV layout last used for one of the council's bank accounts, offered first the next
    time a file from that account's bank is imported. `columns` holds a custom column mapping."""

    account = models.CharField(
        max_length=40, unique=True, help_text="Sort code and account number: 309950 10203040."
    )
    layout = models.CharField(max_length=20)
    columns = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account"]

    def __str__(self) -> str:
        return f"{self.account}: {self.layout}"


class StatementLine(CouncilOwned):
    """One line of a statement: money out is negative, money in positive."""

    council_from = "statement"

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
    balance = money_field(
        null=True, blank=True, help_text="The running balance after the line, where the file says."
    )
    fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text="The line's identity across downloads: account with the bank's id, or with "
        "date, amount, description and running balance (budgets.statement_files.fingerprints).",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNMATCHED)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["statement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "number"], name="statement_line_unique"),
            models.CheckConstraint(condition=~Q(amount=0), name="statement_line_not_zero"),
            # The same line in a second download of a statement is never imported again.
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=~Q(fingerprint=""),
                name="statement_line_fingerprint_unique",
            ),
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


class Match(CouncilOwned):
    """A statement line matched to a payment run line: money out clears the payment; money in
    records it returned by the bank. Undoing a match keeps the row, marked undone.

    A BACS run is on the council's statement as one debit for the run's total (the contra):
    that line clears every payment of the run, one match per payment, each naming the `run`
    (method "by run total"); they are undone together."""

    council_from = "line"

    class Kind(models.TextChoices):
        CLEARED = "cleared", "Cleared"
        RETURNED = "returned", "Returned"

    class Method(models.TextChoices):
        REFERENCE = "reference", "By reference"
        AMOUNT_DATE = "amount_date", "By amount and date"
        MANUAL = "manual", "By hand"
        RUN_TOTAL = "run_total", "By run total"

    line = models.ForeignKey(StatementLine, on_delete=models.PROTECT, related_name="matches")
    run_line = models.ForeignKey(PaymentRunLine, on_delete=models.PROTECT, related_name="matches")
    run = models.ForeignKey(
        PaymentRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="matches",
        help_text="The run whose total the line is (method 'by run total').",
    )
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
            # A line matches one payment (a run's total: each payment of that run); a payment
            # is cleared (or returned) once.
            models.UniqueConstraint(
                fields=["line"],
                condition=Q(undone_at__isnull=True, run__isnull=True),
                name="line_matched_once",
            ),
            models.CheckConstraint(
                condition=Q(method="run_total", run__isnull=False)
                | (~Q(method="run_total") & Q(run__isnull=True)),
                name="match_by_run_total_names_its_run",
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


class GLImport(CouncilOwned):
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


class GLLine(CouncilOwned):
    council_from = "gl_import"

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
