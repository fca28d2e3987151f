"""How the API shows the money core: years, wards, councillors, funds, budgets and the ledger
(payments, runs, statements and matches are `finance.serializers`). Money is a string of pounds
with two places (REST_FRAMEWORK's COERCE_DECIMAL_TO_STRING); nothing here writes (views call
services)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from budgets.models import (
    Councillor,
    Entry,
    FinancialYear,
    Fund,
    FundYear,
    LedgerTransaction,
    Ward,
)
from fundmgr.api_fields import MoneyField


def Money(**kwargs) -> MoneyField:  # noqa: N802 - reads as a field type
    return MoneyField(read_only=True, **kwargs)


class PersonField(serializers.StringRelatedField):
    """A member of staff as a name (`Fraser Finance`): never their contact details. Say
    `allow_null=True` where there may be none (made by the system, or not yet done)."""


# --- years, wards, councillors, funds -------------------------------------------------------


class FinancialYearSerializer(serializers.ModelSerializer):
    is_closed = serializers.BooleanField(read_only=True, help_text="Closed by the council.")

    class Meta:
        model = FinancialYear
        fields = ["id", "label", "start", "end", "is_closed"]


class FundSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Fund
        fields = ["id", "code", "name", "kind", "kind_label"]


class FundYearSerializer(serializers.ModelSerializer):
    fund = FundSerializer(read_only=True)
    year = FinancialYearSerializer(read_only=True)
    label = serializers.CharField(source="__str__", read_only=True)
    total_budget = Money()
    allocation_per_councillor = Money()
    min_award = Money()
    max_award = Money()
    delegated_limit = Money()
    clawback_threshold = Money()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["year"]["is_closed"] = instance.is_closed  # as the fund year's council has it
        return data

    class Meta:
        model = FundYear
        fields = [
            "id",
            "label",
            "fund",
            "year",
            "total_budget",
            "allocation_per_councillor",
            "min_award",
            "max_award",
            "match_funding_share",
            "funded_from",
            "councillor_support_required",
            "delegated_limit",
            "opens_on",
            "closes_on",
            "year_end",
            "offer_acceptance_days",
            "monitoring_required",
            "monitoring_due_days",
            "clawback_threshold",
            "cost_code",
        ]


class FundYearBriefSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = FundYear
        fields = ["id", "label"]


class WardSerializer(serializers.ModelSerializer):
    council = serializers.CharField(source="council.name", read_only=True)

    class Meta:
        model = Ward
        fields = ["id", "name", "gss_code", "council"]


class WardBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ward
        fields = ["id", "name", "gss_code"]


class CouncillorSerializer(serializers.ModelSerializer):
    ward = WardBriefSerializer(read_only=True)
    email = serializers.SerializerMethodField(
        help_text="Officers only: the councillor's e-mail address. Null for everyone else."
    )

    class Meta:
        model = Councillor
        fields = ["id", "name", "ward", "term_start", "term_end", "email"]

    def get_email(self, councillor: Councillor) -> str | None:
        return councillor.user.email if self.context.get("sees_contact") else None


class CouncillorBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Councillor
        fields = ["id", "name"]


# --- budgets --------------------------------------------------------------------------------
#
# `pledgeable` is what a councillor can still pledge or transfer: the allocation's `balance`
# less what is `pledged` to bids waiting for a decision (budgets.selectors.with_pledgeable), the
# figure the pages call "Left to pledge". `available` was the balance, which ignored those
# pledges; it is kept for programs that read it, now equal to `pledgeable`, and deprecated.


@extend_schema_serializer(deprecate_fields=["available"])
class BudgetSerializer(serializers.Serializer):
    """A councillor's allocation in one fund year: the allocation account and what it funds."""

    id = serializers.IntegerField(read_only=True, help_text="The allocation account.")
    fund_year = FundYearBriefSerializer(read_only=True)
    councillor = CouncillorBriefSerializer(read_only=True)
    ward = WardBriefSerializer(source="councillor.ward", read_only=True)
    balance = Money(help_text="The allocation account: allocated and transferred, not committed.")
    pledged = Money(help_text="Pledged to bids still waiting for a decision.")
    pledgeable = Money(help_text="Left to pledge: the balance less what is pledged, never below 0.")
    available = Money(source="pledgeable", help_text="Deprecated: the same as `pledgeable`.")
    committed = Money(help_text="Approved grants funded from it, not yet paid.")
    paid = Money(help_text="Paid out of grants funded from it.")


class StatementRowSerializer(serializers.Serializer):
    entry_id = serializers.IntegerField()
    posted_at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=LedgerTransaction.Kind.choices)
    kind_label = serializers.CharField()
    memo = serializers.CharField()
    reference = serializers.CharField()
    amount = Money()
    balance = Money()


@extend_schema_serializer(deprecate_fields=["available"])
class BudgetStatementSerializer(serializers.Serializer):
    """budgets.selectors.statement: the allocation account line by line, with its totals."""

    fund_year = FundYearBriefSerializer()
    councillor = CouncillorBriefSerializer()
    allocated = Money()
    transfers_in = Money()
    transfers_out = Money()
    commitments = Money()
    releases = Money()
    year_end = Money()
    corrections = Money()
    balance = Money(help_text="The allocation account: allocated and transferred, not committed.")
    pledged = Money(help_text="Pledged to bids still waiting for a decision.")
    pledgeable = Money(help_text="Left to pledge: the balance less what is pledged, never below 0.")
    available = Money(source="pledgeable", help_text="Deprecated: the same as `pledgeable`.")
    committed = Money()
    paid = Money()
    rows = StatementRowSerializer(many=True)


@extend_schema_serializer(deprecate_fields=["available"])
class BalanceRowSerializer(serializers.Serializer):
    councillor = CouncillorBriefSerializer()
    ward = WardBriefSerializer(source="councillor.ward")
    balance = Money(help_text="The allocation account: allocated and transferred, not committed.")
    pledged = Money(help_text="Pledged to bids still waiting for a decision.")
    pledgeable = Money(help_text="Left to pledge: the balance less what is pledged, never below 0.")
    available = Money(source="pledgeable", help_text="Deprecated: the same as `pledgeable`.")
    committed = Money()
    paid = Money()
    allocated = Money()


@extend_schema_serializer(deprecate_fields=["available"])
class TotalsSerializer(serializers.Serializer):
    balance = Money(help_text="The allocation account: allocated and transferred, not committed.")
    pledged = Money(help_text="Pledged to bids still waiting for a decision.")
    pledgeable = Money(help_text="Left to pledge: the balance less what is pledged, never below 0.")
    available = Money(source="pledgeable", help_text="Deprecated: the same as `pledgeable`.")
    committed = Money()
    paid = Money()
    allocated = Money()


class OverviewSerializer(serializers.Serializer):
    """budgets.selectors.overview: every councillor's balances in one fund year, and the pot."""

    fund_year = FundYearBriefSerializer()
    pot = Money(help_text="The fund's unallocated money.")
    pot_committed = Money(help_text="Committed from the central pot.")
    pot_paid = Money()
    rows = BalanceRowSerializer(many=True)
    totals = TotalsSerializer()


# --- the ledger -----------------------------------------------------------------------------


class EntrySerializer(serializers.ModelSerializer):
    account_kind = serializers.CharField(source="account.kind", read_only=True)
    account_name = serializers.CharField(source="account.describe", read_only=True)
    amount = Money()

    class Meta:
        model = Entry
        fields = ["id", "account", "account_kind", "account_name", "amount"]


class LedgerTransactionSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    created_by = PersonField(read_only=True, allow_null=True)
    entries = EntrySerializer(many=True, read_only=True)

    class Meta:
        model = LedgerTransaction
        fields = [
            "id",
            "kind",
            "kind_label",
            "reference",
            "memo",
            "reverses",
            "idempotency_key",
            "created_at",
            "created_by",
            "entries",
        ]
