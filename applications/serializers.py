"""What the API reads and writes for organisations, applications and councillor support.

Serializers only shape and check input: every write goes through the same service functions as
the pages (applications.services, applications.support, applications.organisations).
Money is a string of pounds with two decimal places.
"""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers
from rest_framework.fields import empty

from applications.models import (
    Application,
    BudgetLine,
    InterestDeclaration,
    MatchFunding,
    MonitoringReport,
    Organisation,
    Pledge,
)
from budgets.models import FundYear, Ward
from fundmgr.api_fields import MoneyField


def money(**kwargs) -> MoneyField:
    """Pounds and pence, read as the pages read them (fundmgr.money.read_money)."""
    return MoneyField(**kwargs)


# --- organisations --------------------------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "kind",
            "charity_number",
            "company_number",
            "address",
            "postcode",
            "ward",
            "email",
            "phone",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        # Every group names its ward (the column is nullable only for PostgreSQL's sake:
        # applications.models.Organisation.ward).
        extra_kwargs = {"ward": {"required": True, "allow_null": False}}


# --- an application's parts -----------------------------------------------------------------


class BudgetLineSerializer(serializers.ModelSerializer):
    cost = money(what="the cost")
    quote = serializers.FileField(
        write_only=True,
        required=False,
        help_text="A quote for it (PDF, an image, a Word or Excel file; up to 10 MB), sent as "
        "multipart/form-data.",
    )
    quote_download = serializers.SerializerMethodField(
        help_text="Where to download its quote; null when it has none."
    )

    class Meta:
        model = BudgetLine
        fields = ["id", "item", "cost", "quote", "quote_download"]
        read_only_fields = ["id"]

    def get_quote_download(self, line: BudgetLine) -> str | None:
        if not line.quote:
            return None
        return f"/api/v1/applications/{line.application_id}/budget-lines/{line.pk}/quote/"


class MatchFundingSerializer(serializers.ModelSerializer):
    amount = money(what="the amount of match funding")

    class Meta:
        model = MatchFunding
        fields = ["id", "source", "amount", "secured"]
        read_only_fields = ["id"]
        # The service needs an answer: the model's default would say "not secured" for the
        # group, so a body without it is a 400 naming the field.
        extra_kwargs = {
            "secured": {"required": True, "help_text": "Whether the money is promised already."}
        }


class MonitoringReportSerializer(serializers.ModelSerializer):
    amount_spent = money(what="the amount spent", example="480.00", allow_zero=True)

    class Meta:
        model = MonitoringReport
        fields = ["id", "amount_spent", "outcomes", "people_reached", "submitted_at"]
        read_only_fields = ["id", "submitted_at"]


# --- applications ---------------------------------------------------------------------------


class ApplicationSerializer(serializers.ModelSerializer):
    """One application as a list shows it."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    fund = serializers.CharField(source="fund_year.fund.code", read_only=True)
    financial_year = serializers.CharField(source="fund_year.year.label", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    wards = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    amount_requested = money(read_only=True, allow_null=True)
    total_cost = money(read_only=True, allow_null=True)
    match_funding = money(read_only=True, help_text="The total cost less the amount requested.")
    amount_awarded = money(read_only=True, allow_null=True)
    paid_to_date = money(read_only=True)
    accept_by = serializers.DateField(
        source="offer_expires_on",
        read_only=True,
        allow_null=True,
        help_text="The last day the offer can be accepted: if it has not been accepted by the "
        "end of that day, it lapses. Null until an offer is made.",
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "status",
            "status_label",
            "fund_year",
            "fund",
            "financial_year",
            "organisation",
            "organisation_name",
            "title",
            "purpose",
            "wards",
            "project_start",
            "project_end",
            "amount_requested",
            "total_cost",
            "match_funding",
            "people_benefiting",
            "amount_awarded",
            "paid_to_date",
            "offer_expires_on",
            "accept_by",
            "monitoring_due_on",
            "created_at",
            "submitted_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


class ApplicationDetailSerializer(ApplicationSerializer):
    """One application with its costs and other funding."""

    budget_lines = BudgetLineSerializer(many=True, read_only=True)
    match_funding_sources = MatchFundingSerializer(many=True, read_only=True)

    class Meta(ApplicationSerializer.Meta):
        fields = [*ApplicationSerializer.Meta.fields, "budget_lines", "match_funding_sources"]
        read_only_fields = fields


class ApplicationAnswersSerializer(serializers.Serializer):
    """The answers a group gives in its draft (applications.services.EDITABLE, and wards)."""

    title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    purpose = serializers.CharField(required=False, allow_blank=True)
    wards = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Ward.objects.all(), required=False
    )
    project_start = serializers.DateField(required=False, allow_null=True)
    project_end = serializers.DateField(required=False, allow_null=True)
    amount_requested = money(
        required=False, allow_null=True, what="the amount you are asking for", example="500.00"
    )
    total_cost = money(
        required=False, allow_null=True, what="the total cost of the project", example="1200.00"
    )
    people_benefiting = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2_147_483_647
    )

    def validate(self, attrs):
        current = self.instance
        start = attrs.get("project_start", getattr(current, "project_start", None))
        end = attrs.get("project_end", getattr(current, "project_end", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"project_end": "The project must end on or after the day it starts."}
            )
        return attrs


class ApplicationCreateSerializer(ApplicationAnswersSerializer):
    fund_year = serializers.PrimaryKeyRelatedField(queryset=FundYear.objects.all())
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.none(),
        help_text="One of your own organisations: you apply as its member.",
    )

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations


class ApplicationUpdateSerializer(ApplicationAnswersSerializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you read, if you do not send If-Match.",
    )


# --- transitions ----------------------------------------------------------------------------


class TransitionInputFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    required = serializers.BooleanField()
    type = serializers.CharField(help_text="string, money, date, choice or integer")
    help = serializers.CharField(allow_blank=True)
    choices = serializers.ListField(child=serializers.CharField(), required=False)


class TransitionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="POST /api/v1/applications/{id}/{name}/ takes it.")
    label = serializers.CharField()
    url = serializers.CharField()
    input = TransitionInputFieldSerializer(many=True)


class NoteInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(help_text="Why: the group is told.")


class OptionalReasonInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class EmptyInput(serializers.Serializer):
    pass


class RecommendInput(serializers.Serializer):
    recommendation = serializers.ChoiceField(choices=["approve", "reject"])
    notes = serializers.CharField(help_text="The assessment's reasoning.")
    recommended_amount = money(
        required=False, allow_null=True, what="the amount to award", example="500.00"
    )


class ApproveInput(serializers.Serializer):
    amount = money(what="the amount awarded", example="500.00")
    reasons = serializers.CharField(help_text="Published with the decision.")
    conditions = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="One condition a line."
    )


class RejectInput(serializers.Serializer):
    reasons = serializers.CharField(help_text="Published with the decision.")


# --- councillor support ---------------------------------------------------------------------


class PledgeSerializer(serializers.ModelSerializer):
    councillor_name = serializers.CharField(source="councillor.name", read_only=True)
    amount = money(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Pledge
        fields = [
            "id",
            "application",
            "councillor",
            "councillor_name",
            "amount",
            "statement",
            "status",
            "status_label",
            "created_at",
        ]
        read_only_fields = fields


class PledgeInput(serializers.Serializer):
    amount = money(
        what="the pledge",
        required=False,
        default=Decimal("0.00"),
        allow_zero=True,
        help_text="From your allocation, where the fund is paid from allocations: required "
        "there, and more than 0.00. Left out where the fund is paid from the central pot.",
    )
    statement = serializers.CharField(help_text="Why you support the bid: it is published.")

    def __init__(self, *args, uses_allocations: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if uses_allocations:  # a pledge of money: the page's box refuses none, and so does this
            amount = self.fields["amount"]
            amount.required, amount.default, amount.allow_zero = True, empty, False


class DeclineInput(serializers.Serializer):
    reason = serializers.CharField(help_text="Why you do not support the bid: the group is told.")


class InterestDeclarationSerializer(serializers.ModelSerializer):
    class Meta:
        model = InterestDeclaration
        fields = ["id", "application", "user", "kind", "details", "panel_meeting", "declared_at"]
        read_only_fields = ["id", "application", "user", "declared_at"]
