"""What the API reads and writes for assessments, decisions and grants panels. Writes go through
decisions.services, as the pages' do."""

from __future__ import annotations

from rest_framework import serializers

from applications.models import Application
from budgets.models import Fund
from decisions.models import Assessment, Decision, PanelItem, PanelMeeting, PanelMembership
from fundmgr.api_fields import MoneyField
from fundmgr.models import User


class AssessmentSerializer(serializers.ModelSerializer):
    application_reference = serializers.CharField(source="application.reference", read_only=True)
    recommended_amount = MoneyField(read_only=True, allow_null=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "application",
            "application_reference",
            "assessor",
            "recommendation",
            "recommended_amount",
            "notes",
            "created_at",
        ]
        read_only_fields = fields


class AssessmentInput(serializers.Serializer):
    application = serializers.PrimaryKeyRelatedField(queryset=Application.objects.none())
    recommendation = serializers.ChoiceField(choices=Assessment.Recommendation.choices)
    notes = serializers.CharField()
    recommended_amount = MoneyField(
        required=False, allow_null=True, what="the amount to award", example="500.00"
    )

    def __init__(self, *args, applications=None, **kwargs):
        super().__init__(*args, **kwargs)
        if applications is not None:
            self.fields["application"].queryset = applications


class DecisionSerializer(serializers.ModelSerializer):
    application_reference = serializers.CharField(source="application.reference", read_only=True)
    amount_awarded = MoneyField(read_only=True, allow_null=True)
    panel_meeting = serializers.IntegerField(
        source="panel_item.meeting_id", read_only=True, allow_null=True
    )
    panel_item_position = serializers.IntegerField(
        source="panel_item.position", read_only=True, allow_null=True
    )

    class Meta:
        model = Decision
        fields = [
            "id",
            "application",
            "application_reference",
            "outcome",
            "amount_awarded",
            "conditions",
            "reasons",
            "authority",
            "panel_meeting",
            "panel_item_position",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields


class DecisionBody(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Decision.Outcome.choices)
    reasons = serializers.CharField(help_text="Published with the decision.")
    amount = MoneyField(
        required=False,
        allow_null=True,
        what="the amount awarded",
        example="500.00",
        help_text="For an approval.",
    )
    conditions = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="One condition a line."
    )

    def validate(self, attrs):
        if attrs["outcome"] == Decision.Outcome.APPROVE and not attrs.get("amount"):
            missing = self.fields["amount"].error_messages["required"]
            raise serializers.ValidationError({"amount": missing})
        if attrs["outcome"] != Decision.Outcome.APPROVE:
            attrs["amount"] = None
        return attrs


class DecisionInput(DecisionBody):
    application = serializers.PrimaryKeyRelatedField(queryset=Application.objects.none())

    def __init__(self, *args, applications=None, **kwargs):
        super().__init__(*args, **kwargs)
        if applications is not None:
            self.fields["application"].queryset = applications


# --- panels ---------------------------------------------------------------------------------


class SeatSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.__str__", read_only=True)

    class Meta:
        model = PanelMembership
        fields = ["user", "name", "attended"]
        read_only_fields = fields


class PanelItemSerializer(serializers.ModelSerializer):
    application_reference = serializers.CharField(source="application.reference", read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)

    class Meta:
        model = PanelItem
        fields = ["position", "application", "application_reference", "decisions"]
        read_only_fields = fields


class PanelMeetingSerializer(serializers.ModelSerializer):
    fund_code = serializers.CharField(source="fund.code", read_only=True)
    item_count = serializers.IntegerField(read_only=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PanelMeeting
        fields = [
            "id",
            "title",
            "fund",
            "fund_code",
            "date",
            "quorum",
            "item_count",
            "member_count",
        ]
        read_only_fields = fields


class PanelMeetingDetailSerializer(PanelMeetingSerializer):
    seats = SeatSerializer(source="panelmembership_set", many=True, read_only=True)
    items = PanelItemSerializer(many=True, read_only=True)

    class Meta(PanelMeetingSerializer.Meta):
        fields = [*PanelMeetingSerializer.Meta.fields, "seats", "items"]
        read_only_fields = fields


class PanelMeetingInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    fund = serializers.PrimaryKeyRelatedField(queryset=Fund.objects.all())
    date = serializers.DateField()
    quorum = serializers.IntegerField(min_value=1, max_value=32767)
    members = serializers.PrimaryKeyRelatedField(
        many=True, queryset=User.objects.filter(is_active=True), allow_empty=False
    )


class PanelItemInput(serializers.Serializer):
    application = serializers.PrimaryKeyRelatedField(queryset=Application.objects.none())

    def __init__(self, *args, applications=None, **kwargs):
        super().__init__(*args, **kwargs)
        if applications is not None:
            self.fields["application"].queryset = applications


class AttendanceInput(serializers.Serializer):
    attended = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2_147_483_647),
        allow_empty=True,
        help_text="The user ids of the members present; the others sent apologies.",
    )
