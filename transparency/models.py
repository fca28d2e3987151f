"""Ward population figures, for money per head on the ward profiles.

A small model of its own rather than fields on `budgets.Ward`: `budgets` is the money core, and a
ward has a population figure per year (census 2021, mid-year estimates), not one.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from budgets.models import Ward
from fundmgr.models import CouncilOwned


class WardPopulation(CouncilOwned):
    council_from = "ward"

    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="populations")
    year = models.PositiveSmallIntegerField(help_text="The year the figure is for: 2021.")
    population = models.PositiveIntegerField()
    loaded_at = models.DateTimeField(auto_now=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["ward__name", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["ward", "year"], name="one_population_per_ward_year"),
            models.CheckConstraint(condition=Q(population__gt=0), name="population_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.ward}: {self.population:,} in {self.year}"


# --- the dashboards' summaries (transparency.summaries keeps them) ------------------------------


class Contribution(CouncilOwned):
    """What one application adds to the dashboards' summaries, as last counted: so a change
    to it (a step, an edited draft, its wards) moves exactly what it added before. `wards` is
    the application's ward ids, sorted and comma-joined ("" for none)."""

    council_from = "application"

    application = models.OneToOneField(
        "applications.Application",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    fund_year = models.ForeignKey("budgets.FundYear", on_delete=models.CASCADE, related_name="+")
    wards = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=20)
    requested = models.BigIntegerField(default=0, help_text="Pence.")
    awarded = models.BigIntegerField(default=0, help_text="Pence.")
    submitted_at = models.DateTimeField(null=True, blank=True, help_text="First submission.")
    to_decision = models.BigIntegerField(
        null=True, blank=True, help_text="Microseconds from first submission to first decision."
    )
    to_payment = models.BigIntegerField(
        null=True, blank=True, help_text="Microseconds from first submission to first payment."
    )
    organisation = models.ForeignKey(
        "applications.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The group that applied: its share of a ward's grants (GroupShare).",
    )

    def __str__(self) -> str:
        return f"application {self.application_id}: {self.status}"


class StateCount(CouncilOwned):
    """Applications in one state, of one fund year and one set of wards, and their money."""

    council_from = "fund_year"

    fund_year = models.ForeignKey("budgets.FundYear", on_delete=models.CASCADE, related_name="+")
    wards = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=20)
    n = models.BigIntegerField(default=0)
    requested = models.BigIntegerField(default=0, help_text="Pence.")
    awarded = models.BigIntegerField(default=0, help_text="Pence.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fund_year", "wards", "status"], name="one_state_count_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.status} in fund year {self.fund_year_id}, wards {self.wards}: {self.n}"


class GroupShare(CouncilOwned):
    """A group's published grants benefiting one ward: how many, and their awards' shares for
    the ward in pence (a grant of several wards shared equally, the odd pennies to its wards
    first in name order), kept as Contribution rows are. A ward profile's "Groups funded" reads
    a page of these, most money first, instead of summing every grant of the ward."""

    council_from = "ward"

    ward = models.ForeignKey("budgets.Ward", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "applications.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    n = models.BigIntegerField(default=0)
    pence = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ward", "organisation"], name="one_group_share_per_key")
        ]
        indexes = [
            models.Index(
                fields=["ward", "-pence"], condition=Q(n__gt=0), name="group_share_most_first"
            )
        ]

    def __str__(self) -> str:
        return f"organisation {self.organisation_id} in ward {self.ward_id}: {self.pence}"


class TimeBand(CouncilOwned):
    """Applications of one fund year and set of wards whose time from first submission to
    `measure` (decision or payment) falls in one band, and the sum of those times."""

    council_from = "fund_year"

    fund_year = models.ForeignKey("budgets.FundYear", on_delete=models.CASCADE, related_name="+")
    wards = models.CharField(max_length=255, blank=True, default="")
    measure = models.CharField(max_length=10)  # "decision" or "payment"
    band = models.CharField(max_length=40)
    n = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0, help_text="Microseconds, summed.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fund_year", "wards", "measure", "band"], name="one_time_band_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.band}, fund year {self.fund_year_id}: {self.n}"


# --- spend and clawback (transparency.money_summaries builds them from the ledger) --------------


class SummaryStamp(CouncilOwned):
    """When a council's summary built from its ledger was last built, and the newest posting,
    step and monitoring report of the council it counted: a newer one means it is out of date."""

    name = models.CharField(max_length=20)
    built_at = models.DateTimeField()
    marks = models.CharField(max_length=100, help_text="Newest posting, step and report ids.")
    queued = models.CharField(max_length=100, blank=True, default="", help_text="Refresh for.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["council", "name"], name="one_summary_stamp_per_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} as at {self.built_at:%Y-%m-%d %H:%M}"


class SpendFigure(CouncilOwned):
    """One row of a council's spend table: `by` ward, fund, councillor or year, the row's `key`
    (its id; 0 for no ward or the central pot), under the filters year and fund (0: every one),
    for the grants' shares in ward `within` (0: every ward). Financial years are the service's:
    the council is part of the key."""

    year = models.IntegerField(default=0)
    fund = models.IntegerField(default=0)
    within = models.IntegerField(default=0)
    by = models.CharField(max_length=10)
    key = models.IntegerField(default=0)
    grants = models.BigIntegerField(default=0)
    paid = models.BigIntegerField(default=0, help_text="Pence.")
    committed = models.BigIntegerField(default=0, help_text="Pence.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["council", "year", "fund", "within", "by", "key"],
                name="one_spend_figure_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.by} {self.key} ({self.year}/{self.fund}/{self.within}): {self.paid}"


class ClawbackFigure(CouncilOwned):
    """Underspend and clawback of the grants of one fund year and one set of wards."""

    council_from = "fund_year"

    fund_year = models.ForeignKey("budgets.FundYear", on_delete=models.CASCADE, related_name="+")
    wards = models.CharField(max_length=255, blank=True, default="")
    reports = models.BigIntegerField(default=0)
    awarded = models.BigIntegerField(default=0, help_text="Pence, of the grants reported on.")
    spent = models.BigIntegerField(default=0, help_text="Pence.")
    underspend = models.BigIntegerField(default=0, help_text="Pence.")
    due = models.BigIntegerField(default=0, help_text="Pence.")
    refunded = models.BigIntegerField(default=0, help_text="Pence.")
    owed = models.BigIntegerField(default=0, help_text="Pence.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fund_year", "wards"], name="one_clawback_per_key")
        ]

    def __str__(self) -> str:
        return f"clawback of fund year {self.fund_year_id}, wards {self.wards}: {self.due}"


class ClawbackGrant(CouncilOwned):
    """A grant with clawback due, as the dashboard lists it."""

    council_from = "application"

    application = models.OneToOneField(
        "applications.Application", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    fund_year = models.ForeignKey("budgets.FundYear", on_delete=models.CASCADE, related_name="+")
    wards = models.CharField(max_length=255, blank=True, default="")
    start = models.DateField(help_text="The start of the grant's financial year: the list's order.")
    reference = models.CharField(max_length=40)
    organisation = models.CharField(max_length=255)
    revoked = models.BooleanField(default=False)
    underspend = models.BigIntegerField(default=0, help_text="Pence.")
    threshold = models.BigIntegerField(default=0, help_text="Pence.")
    due = models.BigIntegerField(default=0, help_text="Pence.")
    refunded = models.BigIntegerField(default=0, help_text="Pence.")
    owed = models.BigIntegerField(default=0, help_text="Pence.")

    class Meta:
        indexes = [models.Index(fields=["start", "reference"], name="clawback_grant_order")]

    def __str__(self) -> str:
        return f"{self.reference}: {self.due} due"


# --- past grants imported from a 360Giving file (transparency.threesixty_imports) -------------


class ImportedGrant(CouncilOwned):
    """A grant made before the council used fundmgr, imported from a 360Giving file: its
    application row (closed, with its award) is what the register, the ward profiles and the
    dashboards count; this row says where it came from and what the 360Giving export publishes
    of it as it was published before (its own identifier, recipient, programme, places, amount
    disbursed). It has no ledger postings: the money was paid before fundmgr."""

    council_from = "application"

    application = models.OneToOneField(
        "applications.Application", on_delete=models.CASCADE, related_name="imported_grant"
    )
    identifier = models.CharField("360Giving identifier", max_length=200)
    recipient_id = models.CharField("recipient's identifier", max_length=200, db_index=True)
    source = models.CharField(max_length=255, help_text="The file it was imported from.")
    # The 360Giving fields the export writes back as the file had them (cleaned: ISO dates).
    published = models.JSONField(default=dict)
    # The grant as it was in the file: compared on a second import ("unchanged").
    raw = models.JSONField(default=dict)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["council", "identifier"], name="imported_grant_identifier_once"
            ),
        ]

    def __str__(self) -> str:
        return self.identifier
