"""Community groups, their applications, councillor support and the audit trail of each step.

The state machine itself is in `applications.workflow` (a mixin of transitions, readable top to
bottom like a table); its rules are in `applications.rules`; services in
`applications.services` are the only callers of the transitions.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.utils import timezone
from django_fsm import FSMField

from applications.uploads import validate_new_upload
from applications.workflow import ApplicationWorkflow, Status
from budgets.models import AppendOnlyModel, Councillor, FundYear, Ward, money_field
from fundmgr.errors import Refused
from fundmgr.models import CouncilOwned

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
UPLOAD_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "docx", "xlsx", "odt", "ods"]


def validate_upload_size(file) -> None:
    if file.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"{file.name} is {file.size / 1024 / 1024:.1f} MB; files must be 10 MB or smaller."
        )


def upload_validators():
    return [FileExtensionValidator(UPLOAD_EXTENSIONS), validate_upload_size]


class Organisation(models.Model):
    class Kind(models.TextChoices):
        CONSTITUTED_GROUP = "constituted_group", "Constituted community group"
        CHARITY = "charity", "Registered charity"
        CIO = "cio", "Charitable incorporated organisation (CIO)"
        CIC = "cic", "Community interest company (CIC)"
        CLG = "clg", "Company limited by guarantee"
        PARISH = "parish", "Parish or town council"
        SCHOOL = "school", "School"

    name = models.CharField(max_length=200)
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    # England and Wales (6 or 7 digits, a linked charity's "-N" after it), Scotland (OSCR:
    # SC012345) or Northern Ireland (CCNI: NIC100012); as `applications.organisations` writes it.
    charity_number = models.CharField(
        max_length=12,
        blank=True,
        validators=[
            RegexValidator(
                r"^([2-9]\d{5}|1\d{6})(-\d{1,3})?$|^1\d{5}$|^SC\d{6}$|^NIC1\d{5}$",
                "A charity number: 1234567, SC012345 or NIC100012.",
            )
        ],
    )
    company_number = models.CharField(
        max_length=8,
        blank=True,
        validators=[
            RegexValidator(r"^([0-9]{8}|[A-Z]{2}[0-9]{6})$", "A company number: 01234567.")
        ],
    )
    address = models.TextField()
    postcode = models.CharField(max_length=8)
    # The ward where the group is based, at the council it registered with. A group applying to
    # another council names that council's wards on each bid; there this ward is another
    # council's, which PostgreSQL does not show (so the join to it is an outer one: null=True,
    # though every group names one).
    ward = models.ForeignKey(
        Ward, on_delete=models.PROTECT, related_name="organisations", null=True
    )
    email = models.EmailField()
    phone = models.CharField(max_length=20, blank=True)
    governing_document = models.FileField(
        upload_to="organisations/governing/", blank=True, validators=upload_validators()
    )
    safeguarding_policy = models.FileField(
        upload_to="organisations/safeguarding/", blank=True, validators=upload_validators()
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="organisation_name_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        for name in ("governing_document", "safeguarding_policy"):
            try:
                validate_new_upload(getattr(self, name))
            except ValidationError as error:
                raise ValidationError({name: error.messages}) from None
        # A charity number is optional for every kind of group (an excepted or newly formed
        # charity has none yet): its format is checked only when one is given.
        if self.kind in (self.Kind.CIC, self.Kind.CLG) and not self.company_number:
            raise ValidationError({"company_number": "Enter the company's registered number."})


class KnownOrganisation(CouncilOwned):
    """A group a council has on its books before it has applied there (imported from the
    council's own list): its officers see it as they see a group that has applied."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="known_by"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["council", "organisation"], name="known_organisation_once"
            )
        ]

    def __str__(self) -> str:
        return str(self.organisation)


class Membership(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", "Chair"
        SECRETARY = "secretary", "Secretary"
        TREASURER = "treasurer", "Treasurer"
        MEMBER = "member", "Member"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="one_membership_each")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.organisation})"


class Invitation(models.Model):
    """An invitation to join a group, sent to an e-mail address: the person joins only by
    accepting it, signed in with an account for that address. The link's token is e-mailed and
    never stored; only its SHA-256 digest is kept. The row is the record of who invited whom
    and what became of it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        REVOKED = "revoked", "Withdrawn"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(help_text="As the inviter typed it, in lower case.")
    role = models.CharField(
        max_length=12, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    token_digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was accepted, declined or withdrawn."
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["organisation", "status", "id"], name="invitation_org_status")
        ]
        constraints = [
            # A second invitation to the same address replaces the first (whose link then stops
            # working), so that a member revokes one thing.
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=Q(status="pending"),
                name="one_pending_invitation_per_address",
            ),
            models.CheckConstraint(
                condition=Q(status="accepted", accepted_by__isnull=False)
                | (~Q(status="accepted") & Q(accepted_by__isnull=True)),
                name="invitation_accepted_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation to {self.email} to join {self.organisation}"

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()


class BankAccount(models.Model):
    """One set of bank details as entered. A change is a new row; the old one is superseded, so
    the history of every change and who verified it is the table itself."""

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", "Waiting for verification"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Replaced by newer details"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="bank_accounts"
    )
    account_name = models.CharField(max_length=18, help_text="As the bank holds it (BACS: 18).")
    sort_code = models.CharField(
        max_length=6, validators=[RegexValidator(r"^\d{6}$", "A sort code is 6 digits.")]
    )
    account_number = models.CharField(
        max_length=8, validators=[RegexValidator(r"^\d{8}$", "An account number is 8 digits.")]
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNVERIFIED)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    check_note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-entered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(status__in=["unverified", "verified"]),
                name="one_current_bank_account",
            ),
            models.CheckConstraint(
                condition=Q(checked_by__isnull=True) | ~Q(checked_by=models.F("entered_by")),
                name="bank_details_checked_by_someone_else",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_name} {self.masked}"

    @property
    def masked(self) -> str:
        return f"{self.sort_code[:2]}-**-** ****{self.account_number[-4:]}"


# The states of a grant the public register lists: an offer made, accepted, being paid or
# monitored, closed, or revoked after payment (transparency.published.PUBLISHED).
REGISTER_STATES = (
    Status.APPROVED,
    Status.OFFER_ACCEPTED,
    Status.MONITORING,
    Status.CLOSED,
    Status.REVOKED,
)


class Application(ApplicationWorkflow, CouncilOwned):
    council_from = "fund_year"

    fund_year = models.ForeignKey(FundYear, on_delete=models.PROTECT, related_name="applications")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="applications"
    )
    reference = models.CharField(max_length=18, unique=True, editable=False)
    status = FSMField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, protected=True, db_index=True
    )
    title = models.CharField(max_length=120, blank=True)
    purpose = models.TextField(blank=True, help_text="What the money is for and who it helps.")
    wards = models.ManyToManyField(Ward, related_name="applications", blank=True)
    project_start = models.DateField(null=True, blank=True)
    project_end = models.DateField(null=True, blank=True)
    amount_requested = money_field(null=True, blank=True)
    total_cost = money_field(null=True, blank=True)
    people_benefiting = models.PositiveIntegerField(null=True, blank=True)
    amount_awarded = money_field(
        null=True, blank=True, editable=False, help_text="Set by the approval decision."
    )
    offer_expires_on = models.DateField(null=True, blank=True, editable=False)
    # When the award was made (the time of its `approve` step), stored so the public register
    # sorts and filters by it through an index instead of searching the transition log.
    awarded_at = models.DateTimeField(null=True, blank=True, editable=False)
    monitoring_due_on = models.DateField(null=True, blank=True, editable=False)
    # When it came into its present state: the time of the last step's log, kept by a trigger on
    # PostgreSQL (applications/migrations/0009_state_since.py) as the state changes, so the
    # workbench sorts by days waiting through an index. Null until its first logged step.
    state_since = models.DateTimeField(null=True, blank=True, editable=False)
    paid_to_date = money_field(default=Decimal("0.00"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    # What was typed on a section's page and not yet saved into the fields above, because it was
    # not valid yet or the person chose "Save and come back later": {"dates": {"project_start_0":
    # ["31"], ...}}, as posted (never files or the CSRF token). Shown again, exactly as typed,
    # when the page is reopened; a section's entry goes once its answers are saved.
    draft_answers = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_requested__isnull=True) | Q(amount_requested__gt=0),
                name="application_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(amount_awarded__isnull=True) | Q(amount_awarded__gt=0),
                name="application_award_positive",
            ),
            models.CheckConstraint(
                condition=Q(amount_awarded__isnull=True)
                | Q(paid_to_date__lte=models.F("amount_awarded")),
                name="application_never_paid_more_than_awarded",
            ),
            models.CheckConstraint(
                condition=Q(project_end__isnull=True)
                | Q(project_start__isnull=True)
                | Q(project_end__gte=models.F("project_start")),
                name="application_project_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["fund_year", "status"], name="application_fundyear_status"),
            models.Index(fields=["status", "offer_expires_on"], name="application_offer_expiry"),
            # The public register's order (transparency.published), of the grants it lists
            # only: read backwards, a page is the index's next rows, with no sort and no row
            # to filter out (transparency.published.PUBLISHED is REGISTER_STATES).
            models.Index(
                fields=["awarded_at", "id"],
                name="application_register_order",
                condition=Q(status__in=REGISTER_STATES),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}".strip()

    @property
    def name(self) -> str:
        """What the group calls the bid: its project title, or the title typed but not saved
        yet, or else the day it was started ("Bid started 4 December 2026"), never "Untitled"."""
        if self.title:
            return self.title
        typed = (self.draft_answers or {}).get("about", {}).get("title", [""])
        if typed and str(typed[0]).strip():
            return str(typed[0]).strip()[:120]
        started = timezone.localdate(self.created_at) if self.created_at else timezone.localdate()
        return f"Bid started {started.day} {started:%B %Y}"

    @property
    def match_funding(self) -> Decimal:
        if self.total_cost is None or self.amount_requested is None:
            return Decimal("0.00")
        return self.total_cost - self.amount_requested


class BudgetLine(CouncilOwned):
    council_from = "application"

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="budget_lines"
    )
    item = models.CharField(max_length=200)
    cost = money_field()
    quote = models.FileField(upload_to="quotes/", blank=True, validators=upload_validators())

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=Q(cost__gt=0), name="budget_line_cost")]

    def __str__(self) -> str:
        return self.item

    def clean(self) -> None:
        try:
            validate_new_upload(self.quote)
        except ValidationError as error:
            raise ValidationError({"quote": error.messages}) from None


class MatchFunding(CouncilOwned):
    council_from = "application"

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="match_funding_sources"
    )
    source = models.CharField(max_length=200)
    amount = money_field()
    secured = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="match_amount")]

    def __str__(self) -> str:
        return self.source


class Attachment(CouncilOwned):
    council_from = "application"

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    description = models.CharField(max_length=200)
    file = models.FileField(upload_to="attachments/", validators=upload_validators())
    size = models.PositiveIntegerField(editable=False)
    content_type = models.CharField(max_length=100, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(size__lte=MAX_UPLOAD_BYTES), name="attachment_at_most_10mb"
            )
        ]

    def __str__(self) -> str:
        return self.description

    def clean(self) -> None:
        try:
            validate_new_upload(self.file)
        except ValidationError as error:
            raise ValidationError({"file": error.messages}) from None


class Pledge(CouncilOwned):
    """A councillor's support for a bid: an endorsement, with money from their allocation where
    the fund is paid from allocations. Committed to the ledger only when the grant is approved."""

    council_from = "application"

    class Status(models.TextChoices):
        PLEDGED = "pledged", "Supported"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="pledges")
    councillor = models.ForeignKey(Councillor, on_delete=models.PROTECT, related_name="pledges")
    amount = money_field(default=Decimal("0.00"))
    statement = models.TextField(help_text="Why the councillor supports it, or the reason not.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLEDGED)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "councillor"],
                condition=Q(status__in=["pledged", "declined"]),
                name="one_live_pledge_per_councillor",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="pledge_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["councillor", "status"], name="pledge_councillor_status"),
            # A councillor's pledges (or declines), newest first, a page at a time: the
            # councillor home's lists (applications.councillor_selectors.my_responses).
            models.Index(
                fields=["councillor", "status", "-created_at", "-id"],
                name="pledge_councillor_newest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.councillor} {self.get_status_display()} {self.application.reference}"


class PendingPledges(CouncilOwned):
    """What a councillor has pledged to the fund year's bids still waiting for a decision
    (applications.support.PENDING), kept on PostgreSQL by triggers (migration 0011) in the
    transaction of each pledge or step that changes it, so a budget reads one row, not every
    pledge the councillor ever made. SQLite has no triggers: it sums the pledges instead."""

    council_from = "fund_year"

    councillor = models.ForeignKey(Councillor, on_delete=models.CASCADE, related_name="+")
    fund_year = models.ForeignKey(FundYear, on_delete=models.CASCADE, related_name="+")
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["councillor", "fund_year"], name="one_pending_total_per_allocation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.councillor} pending in fund year {self.fund_year_id}: {self.total}"


class InterestDeclaration(CouncilOwned):
    council_from = "application"

    class Kind(models.TextChoices):
        PECUNIARY = "pecuniary", "Disclosable pecuniary interest"
        OTHER_REGISTRABLE = "other_registrable", "Other registrable interest"
        NON_REGISTRABLE = "non_registrable", "Non-registrable interest"

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="declarations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="declarations"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    details = models.TextField()
    panel_meeting = models.ForeignKey(
        "decisions.PanelMeeting",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="declarations",
    )
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()} in {self.application.reference}"

    @property
    def blocks_involvement(self) -> bool:
        """A pecuniary or other registrable interest means the person takes no part."""
        return self.kind in (self.Kind.PECUNIARY, self.Kind.OTHER_REGISTRABLE)


class MonitoringReport(CouncilOwned):
    """The group's end-of-grant report: what was spent and what it achieved."""

    council_from = "application"

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="monitoring_reports"
    )
    amount_spent = money_field()
    outcomes = models.TextField()
    people_reached = models.PositiveIntegerField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_spent__gte=0), name="report_spend_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"Monitoring report for {self.application.reference}"


class TransitionLog(AppendOnlyModel, CouncilOwned):
    """Every state change: who, when, from, to, and why. Append-only."""

    council_from = "application"

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="transitions"
    )
    transition = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20)
    to_state = models.CharField(max_length=20)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["application", "id"], name="transitionlog_app_id")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_state} -> {self.to_state}"


# A grant's reference travels in the BACS reference of each of its payments, and BACS carries
# 18 characters. A payment's reference is the grant's and "/1" to "/9"
# (budgets.payments.payment_reference, MAX_INSTALMENTS), so the grant's own has 16.
BACS_REFERENCE_LENGTH = 18
REFERENCE_LENGTH = BACS_REFERENCE_LENGTH - len("/9")
REFERENCE_DIGITS = 6  # at least: CCIF26-000123


class ReferenceCounter(CouncilOwned):
    """The last number given to an application of a fund year: CCIF26-000123 is number 123.

    `next_reference` takes it under a row lock, so two applications made at once get two
    numbers, in order, with no gap (a refused application rolls its number back)."""

    council_from = "fund_year"

    fund_year = models.OneToOneField(
        FundYear, on_delete=models.CASCADE, primary_key=True, related_name="reference_counter"
    )
    last_number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.fund_year}: {self.last_number}"


def reference_prefix(fund_year: FundYear) -> str:
    """CCIF26-: the fund's code and the last two digits of the year it starts."""
    return f"{fund_year.fund.code}{fund_year.year.start.year % 100:02d}-"


def highest_reference_number(prefix: str) -> int:
    """The highest number among references that start with `prefix`, by value: CCIF26-1000000
    is above CCIF26-999999 although it sorts before it as text."""
    last = (
        Application.objects.filter(reference__regex=rf"^{re.escape(prefix)}[0-9]+$")
        .order_by(Length("reference").desc(), "-reference")
        .values_list("reference", flat=True)
        .first()
    )
    return int(last.removeprefix(prefix)) if last else 0


def next_reference(fund_year: FundYear) -> str:
    """CCIF26-000123: the fund's code, the year's last two digits, and the next number of the
    fund year's `ReferenceCounter`, at least six digits long.

    The reference must fit, with a payment's "/9", in BACS's 18 characters, so it is at most 16
    long: a fund with a four-letter code (CCIF26-) can number 999,999,999 applications a year,
    one with six letters 9,999,999. Past that a new application is refused and nothing is
    written: `Refused`, which the API answers as a 409 and the page shows as the error, saying
    why and whom to ask.

    A reference someone made without the counter (an import, a benchmark) is never given
    twice: if the next number is taken, the counter moves past the highest number in use."""
    prefix = reference_prefix(fund_year)
    largest = 10 ** (REFERENCE_LENGTH - len(prefix)) - 1
    with transaction.atomic():
        counter = ReferenceCounter.objects.select_for_update().filter(fund_year=fund_year).first()
        if counter is None:
            # The fund year's first: start from what is already there. If another request
            # made the row in between, its row stands and this one is ignored.
            ReferenceCounter.objects.bulk_create(
                [
                    ReferenceCounter(
                        fund_year=fund_year, last_number=highest_reference_number(prefix)
                    )
                ],
                ignore_conflicts=True,
            )
            counter = ReferenceCounter.objects.select_for_update().get(fund_year=fund_year)
        number = counter.last_number + 1
        if Application.objects.filter(reference=f"{prefix}{number:0{REFERENCE_DIGITS}d}").exists():
            number = highest_reference_number(prefix) + 1
        if number > largest:
            raise Refused(
                f"No more applications can be made to the {fund_year.fund.name} "
                f"{fund_year.year.label}: its last reference, {prefix}{largest}, is the longest "
                f"that fits in a BACS payment reference ({BACS_REFERENCE_LENGTH} characters with "
                "the payment's number). Ask the council's grants team."
            )
        counter.last_number = number
        counter.save(update_fields=["last_number"])
    return f"{prefix}{number:0{REFERENCE_DIGITS}d}"


def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()
