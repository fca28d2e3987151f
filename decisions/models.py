"""Assessments, decisions and grants panels: every decision traceable to who made it and why."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from budgets.models import Fund, money_field
from fundmgr.models import CouncilOwned
from fundmgr.money import pounds


class Assessment(CouncilOwned):
    council_from = "application"

    class Recommendation(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="assessments"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recommendation = models.CharField(max_length=10, choices=Recommendation.choices)
    recommended_amount = money_field(null=True, blank=True)
    notes = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_recommendation_display()} {self.application.reference}"


class PanelMeeting(CouncilOwned):
    council_from = "fund"

    title = models.CharField(max_length=200)
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="panel_meetings")
    date = models.DateField()
    quorum = models.PositiveSmallIntegerField(default=3)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="PanelMembership", related_name="panel_meetings"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(quorum__gte=1), name="panel_quorum")]

    def __str__(self) -> str:
        return f"{self.title} ({self.date:%d %B %Y})"


class PanelMembership(CouncilOwned):
    council_from = "meeting"

    meeting = models.ForeignKey(PanelMeeting, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    attended = models.BooleanField(null=True, help_text="Blank until the register is taken.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="one_seat_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.meeting}"


class PanelItem(CouncilOwned):
    council_from = "meeting"

    meeting = models.ForeignKey(PanelMeeting, on_delete=models.CASCADE, related_name="items")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="panel_items"
    )
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "application"], name="one_item_per_bid"),
            models.UniqueConstraint(fields=["meeting", "position"], name="one_item_per_position"),
        ]

    def __str__(self) -> str:
        return f"Item {self.position}: {self.application.reference}"


class Decision(CouncilOwned):
    council_from = "application"

    class Outcome(models.TextChoices):
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"
        DEFER = "defer", "Deferred"

    class Authority(models.TextChoices):
        DELEGATED = "delegated", "Officer under delegated authority"
        PANEL = "panel", "Grants panel"

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="decisions"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    amount_awarded = money_field(null=True, blank=True)
    conditions = models.TextField(blank=True, help_text="One condition a line.")
    reasons = models.TextField()
    authority = models.CharField(max_length=10, choices=Authority.choices)
    panel_item = models.ForeignKey(
        PanelItem, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="approve") | Q(amount_awarded__gt=0),
                name="approval_has_an_amount",
            ),
            models.CheckConstraint(
                condition=~Q(authority="panel") | Q(panel_item__isnull=False),
                name="panel_decision_names_its_meeting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.application.reference}"

    @property
    def condition_list(self) -> list[str]:
        return [line.strip() for line in self.conditions.splitlines() if line.strip()]

    def notice_text(self) -> str:
        """The public decision notice: no personal data beyond the decision-maker's office."""
        app = self.application
        lines = [
            f"Decision notice: {app.reference}",
            f"{app.fund_year.fund.name} {app.fund_year.year.label}",
            f"Applicant: {app.organisation.name}",
            f"Project: {app.title}",
            f"Amount requested: {pounds(app.amount_requested)}",
            f"Decision: {self.get_outcome_display()}"
            + (f", {pounds(self.amount_awarded)}" if self.amount_awarded else ""),
            f"Decided by: {self.get_authority_display()}"
            + (f", {self.panel_item.meeting}" if self.panel_item_id else "")
            + f", on {self.decided_at:%d %B %Y}",
            f"Reasons: {self.reasons}",
        ]
        if self.condition_list:
            lines.append("Conditions:")
            lines += [f"  {n}. {c}" for n, c in enumerate(self.condition_list, start=1)]
        declarations = list(app.declarations.all())
        if declarations:
            lines.append("Declarations of interest:")
            lines += [f"  {d.get_kind_display()}: {d.details}" for d in declarations]
        else:
            lines.append("Declarations of interest: none")
        return "\n".join(lines)


class SavedView(CouncilOwned):
    """A grants officer's filters and sort on the workbench, kept under a name they chose ("My
    ward's bids over £5,000"). Only its officer sees it. `query` is the workbench's address after
    the "?", checked by the filter form when saved and again each time it is used."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["officer", "name"], name="one_view_name_per_officer")
        ]

    def __str__(self) -> str:
        return self.name


class QueueCount(CouncilOwned):
    """The workbench's queues, counted as bids change rather than per request: the bids of one
    fund year and one set of wards (their ids in order, comma-joined; "" for none) in one state.
    Every filter of the workbench but the search and the amounts is a sum of a few rows, whose
    number grows with funds, years and wards, never with bids. On PostgreSQL, triggers on the
    applications and their wards keep it in the transaction of each change
    (decisions/migrations/0007_queue_counts.py); elsewhere (SQLite, for tests) it stays empty and
    the workbench counts the bids (decisions.selectors.queues)."""

    council_from = "fund_year"

    fund_year = models.ForeignKey("budgets.FundYear", on_delete=models.CASCADE, related_name="+")
    wards = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=20)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fund_year", "wards", "status"], name="one_queue_count_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.status} in fund year {self.fund_year_id}, wards {self.wards}: {self.n}"


class WardListing(CouncilOwned):
    """A bid in one of its wards, with what the workbench orders it by (its queue's place,
    decisions.selectors.PRIORITY, and when it was received), so that a ward's page is read from
    an index in the list's order, not found by walking every bid's. On PostgreSQL, triggers keep
    a row per bid and ward in the transaction of each change
    (decisions/migrations/0008_ward_listings.py); elsewhere (SQLite, for tests) it stays empty
    and the workbench joins the bids' wards."""

    council_from = "application"

    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # the triggers delete its rows with the bid's wards
        db_index=False,  # one_listing_per_ward serves
        related_name="ward_listings",
    )
    ward = models.ForeignKey(
        "budgets.Ward",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # ward_listing_order serves
        related_name="+",
    )
    # The queue's place (decisions.selectors.PRIORITY); none for a draft, which the list leaves
    # out unless asked for drafts alone.
    priority = models.SmallIntegerField(null=True)
    submitted_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "ward"], name="one_listing_per_ward")
        ]
        indexes = [
            # A ward's list but drafts, in order.
            models.Index(
                fields=["ward", "priority", "submitted_at", "application"],
                name="ward_listing_order",
                condition=Q(priority__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"application {self.application_id} in ward {self.ward_id}"
