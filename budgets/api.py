"""/api/v1/ for the money core: financial years, funds and their yearly rules, wards,
councillors, budgets (balances and statements) and the ledger (read-only). Payments, runs, bank
statements and matches are the finance app's (`finance.api`, `finance.statement_api`), as the
finance pages are.

Who sees what is decided as the pages decide it (`budgets.views`): a councillor their own
budget, officers every one.
"""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db.models import (
    DecimalField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from budgets import selectors, serializers
from budgets.models import (
    Account,
    Councillor,
    Entry,
    FinancialYear,
    Fund,
    FundYear,
    LedgerTransaction,
    Ward,
    year_closed,
)
from fundmgr import access
from fundmgr.api import IdFilter, router
from fundmgr.roles import sees_all_budgets

# --- who may -------------------------------------------------------------------------------


# Council officers and auditors: every budget and the ledger, as on the budget pages.
SeesAllBudgets = access.api(access.reads_every_budget)


# --- years, funds, wards, councillors -------------------------------------------------------


class FinancialYearFilter(django_filters.FilterSet):
    is_closed = django_filters.BooleanFilter(help_text="Closed by the council.")

    class Meta:
        model = FinancialYear
        fields = ["is_closed"]


@extend_schema_view(
    list=extend_schema(summary="Financial years"),
    retrieve=extend_schema(summary="A financial year"),
)
class FinancialYearViewSet(viewsets.ReadOnlyModelViewSet):
    # Closed or open for the council the request is for (budgets.models.YearEnd).
    queryset = FinancialYear.objects.annotate(is_closed=year_closed())
    serializer_class = serializers.FinancialYearSerializer
    filterset_class = FinancialYearFilter
    ordering_fields = ["start"]
    ordering = ["start"]


class FundFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Fund
        fields = ["kind", "code"]


@extend_schema_view(list=extend_schema(summary="Funds"), retrieve=extend_schema(summary="A fund"))
class FundViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Fund.objects.all()
    serializer_class = serializers.FundSerializer
    filterset_class = FundFilter
    ordering_fields = ["name", "code"]
    ordering = ["name"]


class FundYearFilter(django_filters.FilterSet):
    fund = django_filters.CharFilter(
        field_name="fund__code", lookup_expr="iexact", help_text="The fund's code: CCIF."
    )
    year = django_filters.CharFilter(field_name="year__label", help_text="2026/27.")

    class Meta:
        model = FundYear
        fields = ["fund", "year", "funded_from"]


@extend_schema_view(
    list=extend_schema(summary="Funds' rules, year by year"),
    retrieve=extend_schema(summary="A fund's rules for one year"),
)
class FundYearViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = FundYear.objects.select_related("fund", "year")
    serializer_class = serializers.FundYearSerializer
    filterset_class = FundYearFilter
    ordering_fields = ["year__start", "fund__name"]
    ordering = ["-year__start", "fund__name"]

    @extend_schema(
        summary="Every councillor's balances in the fund year, and the pot (officers)",
        responses={200: serializers.OverviewSerializer},
    )
    @action(detail=True, permission_classes=[SeesAllBudgets], pagination_class=None)
    def overview(self, request, pk=None):
        fund_year = self.get_object()
        return Response(
            serializers.OverviewSerializer(selectors.overview(fund_year=fund_year)).data
        )


class WardFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Ward
        fields = ["name", "gss_code"]


@extend_schema_view(list=extend_schema(summary="Wards"), retrieve=extend_schema(summary="A ward"))
class WardViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Ward.objects.select_related("council")
    serializer_class = serializers.WardSerializer
    filterset_class = WardFilter
    ordering_fields = ["name", "gss_code"]
    ordering = ["name"]


class CouncillorFilter(django_filters.FilterSet):
    ward = IdFilter(field_name="ward_id")
    ward_code = django_filters.CharFilter(field_name="ward__gss_code", help_text="E05012345.")
    serving_on = django_filters.DateFilter(
        method="filter_serving_on", help_text="Only those in term on this day."
    )

    class Meta:
        model = Councillor
        fields = ["ward", "ward_code", "serving_on"]

    def filter_serving_on(self, queryset, name, value):
        return queryset.in_term_on(value)


@extend_schema_view(
    list=extend_schema(summary="Councillors' terms"),
    retrieve=extend_schema(summary="A councillor's term"),
)
class CouncillorViewSet(viewsets.ReadOnlyModelViewSet):
    """Each row is one term in one ward. Names and wards are public; the e-mail address is
    given to officers only."""

    queryset = Councillor.objects.select_related("ward", "user")
    serializer_class = serializers.CouncillorSerializer
    filterset_class = CouncillorFilter
    ordering_fields = ["name", "ward__name", "term_start"]
    ordering = ["ward__name", "name"]

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "sees_contact": self._sees_contact()}

    def _sees_contact(self) -> bool:
        return sees_all_budgets(self.request.user)


# --- budgets --------------------------------------------------------------------------------


def _held(kind: str) -> Coalesce:
    """What the councillor's allocation funds, by kind (commitment or paid), in the row's query."""
    held = (
        Account.objects.filter(
            fund_year=OuterRef("fund_year"), councillor=OuterRef("councillor"), kind=kind
        )
        .order_by()
        .values("councillor")
        .annotate(total=Sum("balance"))
        .values("total")
    )
    money_field = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(
        Subquery(held, output_field=money_field), Value(Decimal("0.00")), output_field=money_field
    )


class BudgetFilter(django_filters.FilterSet):
    fund = django_filters.CharFilter(field_name="fund_year__fund__code", lookup_expr="iexact")
    year = django_filters.CharFilter(field_name="fund_year__year__label", help_text="2026/27.")
    fund_year = IdFilter(field_name="fund_year_id")
    councillor = IdFilter(field_name="councillor_id")
    ward = IdFilter(field_name="councillor__ward_id")

    class Meta:
        model = Account
        fields = ["fund_year", "fund", "year", "councillor", "ward"]


@extend_schema_view(
    list=extend_schema(
        summary="Councillors' budgets: balances per councillor and fund year",
        description="A councillor sees their own; council officers and auditors every one. "
        "Anyone else is refused (403). `pledgeable` is what the councillor can still pledge or "
        "transfer, shown on the pages as Left to pledge: `balance` less what is `pledged` to "
        "bids still waiting for a decision. `available` is deprecated: it used to be `balance`, "
        "which ignored those pledges, and is now the same as `pledgeable`.",
    ),
    retrieve=extend_schema(summary="A councillor's budget in one fund year"),
)
class BudgetViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.BudgetSerializer
    filterset_class = BudgetFilter
    ordering_fields = ["fund_year__year__start", "councillor__name", "balance", "pledgeable"]
    ordering = ["-fund_year__year__start", "fund_year__fund__name", "councillor__name"]

    def get_queryset(self) -> QuerySet[Account]:
        accounts = (
            Account.objects.filter(kind=Account.Kind.ALLOCATION)
            .select_related("fund_year__fund", "fund_year__year", "councillor__ward")
            .annotate(committed=_held(Account.Kind.COMMITMENT), paid=_held(Account.Kind.PAID))
        )
        accounts = selectors.with_pledgeable(accounts)
        user = self.request.user
        if getattr(self, "swagger_fake_view", False) or sees_all_budgets(user):
            return accounts
        if not Councillor.objects.filter(user=user).exists():
            raise PermissionDenied("You have no budgets to see.")
        return accounts.filter(councillor__user=user)

    @extend_schema(
        summary="The budget statement: every posting to the allocation, with totals",
        responses={200: serializers.BudgetStatementSerializer},
    )
    @action(detail=True, pagination_class=None, filter_backends=[])
    def statement(self, request, pk=None):
        account = self.get_object()
        result = selectors.statement(fund_year=account.fund_year, councillor=account.councillor)
        return Response(serializers.BudgetStatementSerializer(result).data)


# --- the ledger -----------------------------------------------------------------------------


class LedgerTransactionFilter(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = LedgerTransaction
        fields = ["kind", "reference", "created_after", "created_before"]


@extend_schema_view(
    list=extend_schema(summary="Ledger transactions and their entries (officers, read-only)"),
    retrieve=extend_schema(summary="A ledger transaction and its entries"),
)
class LedgerTransactionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = LedgerTransaction.objects.select_related("created_by").prefetch_related(
        Prefetch(
            "entries",
            queryset=Entry.objects.select_related(
                "account__fund_year__fund", "account__fund_year__year", "account__councillor"
            ).order_by("id"),
        )
    )
    serializer_class = serializers.LedgerTransactionSerializer
    permission_classes = [SeesAllBudgets]
    filterset_class = LedgerTransactionFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]


router.register("financial-years", FinancialYearViewSet, basename="financial-year")
router.register("funds", FundViewSet, basename="fund")
router.register("fund-years", FundYearViewSet, basename="fund-year")
router.register("wards", WardViewSet, basename="ward")
router.register("councillors", CouncillorViewSet, basename="councillor")
router.register("budgets", BudgetViewSet, basename="budget")
router.register("ledger-transactions", LedgerTransactionViewSet, basename="ledger-transaction")
