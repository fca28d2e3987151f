"""Years, the council, wards, councillors, election periods, funds and fund years."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from budgets.models.base import money_field
from fundmgr.models import Council, CouncilOwned, CouncilQuerySet, fill_council


class FinancialYear(models.Model):
    """A UK financial year, 1 April to 31 March, labelled `2026/27`: the same dates for every
    council on the service. Whether a council has closed it is that council's (YearEnd)."""

    label = models.CharField(max_length=7, unique=True, editable=False)
    start = models.DateField(unique=True, help_text="Always 1 April.")
    end = models.DateField(editable=False)

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


class YearEnd(CouncilOwned):
    """A council has closed a financial year (budgets.ledger.year_close): its allocations were
    carried forward or lapsed, and nothing more posts to its fund years of that year. Another
    council's same year stays open until that council closes it."""

    year = models.ForeignKey(FinancialYear, on_delete=models.PROTECT, related_name="ends")
    closed_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["year__start"]
        constraints = [
            models.UniqueConstraint(fields=["council", "year"], name="one_year_end_per_council"),
        ]

    def __str__(self) -> str:
        return f"{self.year} closed"


def year_closed() -> models.Exists:
    """For a query of financial years: whether the council in scope has closed each (on a
    service-wide query, whether any council has)."""
    return models.Exists(YearEnd.objects.filter(year_id=models.OuterRef("pk")))


WARD_GSS_CODE = r"^(E05|W05|S13|N08)\d{6}$"
WARD_GSS_CODE_FORM = (
    "A ward's GSS code is E05 (England), W05 (Wales), S13 (Scotland) or N08 (Northern "
    "Ireland) then 6 digits: E05012345."
)


class WardQuerySet(CouncilQuerySet):
    def current(self) -> "WardQuerySet":
        """Wards not ended by a boundary review: the ones a new bid may name."""
        return self.filter(ended_on__isnull=True)


class Ward(CouncilOwned):
    """A ward (ONS: electoral ward or division). After a boundary review a renamed ward keeps
    its row; a ward abolished, split or merged is ended (`ended_on`, `replaced_by`) and keeps
    its past bids, allocations and published grants, while new bids name only current wards."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="wards")
    name = models.CharField(max_length=120)
    gss_code = models.CharField(
        "ONS GSS code",
        max_length=9,
        unique=True,
        validators=[RegexValidator(WARD_GSS_CODE, WARD_GSS_CODE_FORM)],
    )
    ended_on = models.DateField(
        null=True,
        blank=True,
        help_text="The day a boundary review abolished the ward. Blank while it is current.",
    )
    replaced_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaces",
        help_text="The ward that took its place (for a merger, the merged ward).",
    )

    objects = WardQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            # An ended ward keeps its name: a boundary review often gives a new ward an old name.
            models.UniqueConstraint(
                fields=["council", "name"],
                condition=Q(ended_on__isnull=True),
                name="ward_name_unique_in_council",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CouncillorQuerySet(CouncilQuerySet):
    def in_term_on(self, day: datetime.date) -> "CouncillorQuerySet":
        return self.filter(Q(term_end__isnull=True) | Q(term_end__gte=day), term_start__lte=day)

    def in_term_during(self, year: FinancialYear) -> "CouncillorQuerySet":
        return self.filter(
            Q(term_end__isnull=True) | Q(term_end__gte=year.start), term_start__lte=year.end
        )


class Councillor(CouncilOwned):
    """One person's term representing one ward. A re-elected member gets a new term row."""

    council_from = "ward"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="councillor_terms"
    )
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="councillors")
    name = models.CharField(max_length=120, help_text="As it appears in letters: Sam Shaw.")
    party = models.CharField(max_length=120, blank=True, help_text="Labour, Independent...")
    term_start = models.DateField()
    term_end = models.DateField(
        null=True,
        blank=True,
        help_text=(
            "Blank while serving. To end a term early, use the action “End this term…” in the "
            "list of councillors: it also withdraws their pledges and moves their unspent "
            "allocation as the fund year says."
        ),
    )
    term_end_reason = models.CharField(
        "why the term ended",
        max_length=200,
        blank=True,
        help_text="Resignation, death, disqualification, by-election: told to the groups.",
    )

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

    @property
    def term_notice(self) -> str:
        """When the term ends or ended, in words; blank while it has no end."""
        if self.term_end is None:
            return ""
        day = f"{self.term_end.day} {self.term_end:%B %Y}"
        if self.term_end < timezone.localdate():
            why = f" ({self.term_end_reason})" if self.term_end_reason else ""
            return f"{self}'s term for {self.ward} ended on {day}{why}."
        return f"{self}'s term for {self.ward} ends on {day}: their last day in office."


class ElectionPeriod(CouncilOwned):
    """Notice of election to polling day: no councillor-budget endorsement, pledge or approval."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="election_periods")
    ward = models.ForeignKey(
        Ward,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="election_periods",
        help_text=(
            "The ward of a by-election: only bids for that ward are held. Leave blank for "
            "elections of the whole council, which hold every ward's bids."
        ),
    )
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

    @property
    def area(self) -> str:
        """What it holds, in words: 'Greenbank ward' or 'every ward'."""
        return f"{self.ward} ward" if self.ward_id else "every ward"

    def clean(self):
        if self.ward_id and self.council_id and self.ward.council_id != self.council_id:
            raise ValidationError({"ward": f"{self.ward} is not a ward of {self.council}."})


class Fund(CouncilOwned):
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


class FundYear(CouncilOwned):
    """A fund's rules for one financial year."""

    council_from = "fund"

    class FundedFrom(models.TextChoices):
        ALLOCATIONS = "allocations", "Councillors' allocations"
        CENTRAL_POT = "central_pot", "The central pot"

    class YearEnd(models.TextChoices):
        CARRY_FORWARD = "carry_forward", "Carry unspent allocations forward"
        LAPSE = "lapse", "Unspent allocations lapse to the pot"

    class TermEnd(models.TextChoices):
        """What happens to a councillor's unspent allocation when their term ends mid-year
        (resignation, death, disqualification): budgets.ledger.term_end_return and
        allocate_year carry it out."""

        SUCCESSOR_PRO_RATA = (
            "successor_pro_rata",
            "Passes to the successor, pro rata to the days left in the year",
        )
        SUCCESSOR_WHOLE = "successor_whole", "Passes whole to the successor"
        POT = "pot", "Returns to the pot"

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
    term_end_policy = models.CharField(
        "when a councillor's term ends mid-year",
        max_length=20,
        choices=TermEnd.choices,
        default=TermEnd.SUCCESSOR_PRO_RATA,
        help_text=(
            "When a councillor's term is ended (Councillors: “End this term…”), their pledges to "
            "bids not yet decided are withdrawn (each group is e-mailed that support is needed "
            "again) and their unspent allocation returns to the pot that day; money committed to "
            "approved grants stays with those grants. Once the ward's new councillor is added, "
            "“Allocate to every councillor in office” gives the successor: with “pro rata”, the "
            "returned money times the days from their first day in office to 31 March, over the "
            "days in the year (£600.00 returned, successor from 16 November 2026: 136 of 365 "
            "days, £223.56; the other £376.44 stays in the pot); with “whole”, all £600.00; with "
            "“returns to the pot”, nothing: the £600.00 stays in the pot. A successor never also "
            "gets the allocation per councillor. (A councillor who left before being allocated "
            "passes on the allocation per councillor in the same way.)"
        ),
    )
    offer_acceptance_days = models.PositiveIntegerField(default=28)
    monitoring_required = models.BooleanField(default=True)
    monitoring_due_days = models.PositiveIntegerField(
        default=90, help_text="Days after the project ends that the report is due."
    )
    clawback_threshold = money_field(
        default=Decimal("50.00"), help_text="Underspend above this is clawed back."
    )
    cost_code = models.CharField(max_length=30, help_text="Ledger cost code in the finance system.")

    # Set with the council's YearEnd by budgets.ledger.year_close, and never otherwise: the
    # reads of a fund year's state need no other table (budgets.integrity checks they agree).
    is_closed = models.BooleanField(
        "year closed", default=False, editable=False, help_text="The council closed this year."
    )

    def save(self, *args, **kwargs):
        if self._state.adding:  # a fund year set up in a year its council has closed is closed
            fill_council(self)
            self.is_closed = YearEnd.objects.filter(
                council_id=self.council_id, year_id=self.year_id
            ).exists()
        super().save(*args, **kwargs)

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

    @property
    def term_end_outcome(self) -> str:
        """What happens to a councillor's money when their term ends, as this year's rule says."""
        then = {
            self.TermEnd.SUCCESSOR_PRO_RATA: "it then passes to the ward's next councillor, pro "
            "rata to the days left in the year from their first day in office",
            self.TermEnd.SUCCESSOR_WHOLE: "it then passes whole to the ward's next councillor",
            self.TermEnd.POT: "it stays there: the ward's next councillor is not given it",
        }[self.TermEnd(self.term_end_policy)]
        return (
            f"When a term ends, support for bids not yet decided is withdrawn and the unspent "
            f"{self.year.label} {self.fund.code} allocation returns to the pot that day; {then}. "
            "Money committed to approved grants stays with them."
        )

    def clean(self):
        if self.opens_on and self.year_id and not self.year.contains(self.opens_on):
            raise ValidationError({"opens_on": f"Must fall within {self.year.label}."})
