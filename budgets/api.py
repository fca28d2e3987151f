"""/api/v1/ for the money core: financial years, funds and their yearly rules, wards,
councillors, budgets (balances and statements), the ledger (read-only), payments, bank
statements and matches. Payment runs, which need the applications' bank details, are in
`applications.finance_api`, as the finance pages are in `applications.finance_views`.

Who sees what is decided as the pages decide it: budgets as `budgets.views` (a councillor their
own, officers every one), the finance resources as the finance pages (finance officers and
auditors read, only finance officers act). Every change goes through the same service as the
page's; a refusal is a problem document with the service's own message.
"""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db.models import (
    Count,
    DecimalField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from budgets import reconcile, selectors, serializers
from budgets.models import (
    Account,
    Councillor,
    Entry,
    FinancialYear,
    Fund,
    FundYear,
    LedgerTransaction,
    Match,
    Payment,
    Statement,
    StatementLine,
    Ward,
)
from budgets.payments import payment_reissue, require_finance_officer
from fundmgr import access
from fundmgr.api import IdFilter, router
from fundmgr.roles import sees_all_budgets

# --- who may -------------------------------------------------------------------------------


# Council officers and auditors: every budget and the ledger, as on the budget pages.
SeesAllBudgets = access.api(access.reads_every_budget)
# Finance officers and auditors read; only finance officers change anything.
FinanceArea = access.api(access.reads_finance, access.finance_officer)


# --- years, funds, wards, councillors -------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Financial years"),
    retrieve=extend_schema(summary="A financial year"),
)
class FinancialYearViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = FinancialYear.objects.all()
    serializer_class = serializers.FinancialYearSerializer
    filterset_fields = ["is_closed"]
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


# --- payments -------------------------------------------------------------------------------


class PaymentFilter(django_filters.FilterSet):
    grant = django_filters.CharFilter(field_name="schedule__reference", help_text="CCIF26-000123.")
    fund_year = IdFilter(field_name="schedule__fund_year_id")
    run = IdFilter(field_name="run_id")
    due_from = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")
    due_to = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = Payment
        fields = ["status", "run", "grant", "fund_year", "due_from", "due_to"]


@extend_schema_view(
    list=extend_schema(summary="Payments (instalments of grants)"),
    retrieve=extend_schema(summary="A payment"),
)
class PaymentViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Payment.objects.select_related(
        "schedule__fund_year__fund", "schedule__fund_year__year"
    )
    serializer_class = serializers.PaymentSerializer
    permission_classes = [FinanceArea]
    filterset_class = PaymentFilter
    ordering_fields = ["due_on", "reference", "amount"]
    ordering = ["due_on", "reference"]

    @extend_schema(
        summary="Reissue a payment the bank returned: it is paid in the next run",
        request=serializers.NoteSerializer,
        responses={200: serializers.PaymentSerializer},
    )
    @action(detail=True, methods=["post"])
    def reissue(self, request, pk=None):
        payment = self.get_object()
        body = serializers.NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment_reissue(payment=payment, by=request.user, note=body.validated_data["note"])
        return Response(self.get_serializer(self.get_queryset().get(pk=payment.pk)).data)


# --- bank statements ------------------------------------------------------------------------


class StatementFilter(django_filters.FilterSet):
    # Not `format`: REST framework reads ?format= as the format of the answer (json, api).
    file_format = django_filters.ChoiceFilter(
        field_name="format", choices=Statement.Format.choices, help_text="The file's format."
    )

    class Meta:
        model = Statement
        fields = ["file_format"]


@extend_schema_view(
    list=extend_schema(summary="Imported bank statements"),
    retrieve=extend_schema(summary="An imported bank statement"),
)
class StatementViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Statement.objects.select_related("imported_by").annotate(
        unmatched=Count("lines", filter=Q(lines__status=StatementLine.Status.UNMATCHED))
    )
    serializer_class = serializers.StatementSerializer
    permission_classes = [FinanceArea]
    parser_classes = [MultiPartParser, FormParser]
    filterset_class = StatementFilter
    ordering_fields = ["id", "imported_at", "first_date"]
    ordering = ["-id"]

    @extend_schema(
        summary="Import a bank statement (CSV, OFX or camt.053) and match it to payments",
        description="All or nothing: a file that cannot be read answers 400 naming the line, "
        "and nothing is imported. The same file twice answers 409 and changes nothing.",
        request={"multipart/form-data": serializers.StatementUploadSerializer},
        responses={201: serializers.StatementImportedSerializer},
    )
    def create(self, request, *args, **kwargs):
        body = serializers.StatementUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        result = reconcile.statement_import(
            content=upload.read(),
            filename=upload.name,
            by=request.user,
            layout=body.validated_data["columns"],
        )
        result.statement = self.get_queryset().get(pk=result.statement.pk)
        return Response(
            serializers.StatementImportedSerializer(result).data, status=status.HTTP_201_CREATED
        )


class StatementLineFilter(django_filters.FilterSet):
    statement = IdFilter(field_name="statement_id")

    class Meta:
        model = StatementLine
        fields = ["statement", "status", "reference"]


def _line_action(summary: str, request=None):
    return extend_schema(
        summary=summary,
        request=request,
        responses={200: serializers.StatementLineSerializer},
    )


@extend_schema_view(
    list=extend_schema(summary="Bank statement lines"),
    retrieve=extend_schema(summary="A bank statement line"),
)
class StatementLineViewSet(viewsets.ReadOnlyModelViewSet):
    """Lines of the imported statements. What the automatic matching left, a finance officer
    matches by hand, records as a payment returned, or sets aside (not a grant payment)."""

    queryset = StatementLine.objects.all()
    serializer_class = serializers.StatementLineSerializer
    permission_classes = [FinanceArea]
    filterset_class = StatementLineFilter
    ordering_fields = ["date", "number", "amount"]
    ordering = ["statement", "number"]

    def _run_line(self, request):
        body = serializers.RunLineChoiceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data["run_line"]

    def _answer(self, line: StatementLine) -> Response:
        line.refresh_from_db()
        return Response(self.get_serializer(line).data)

    @_line_action(
        "Match a line of money out to a payment sent: it is cleared",
        serializers.RunLineChoiceSerializer,
    )
    @action(detail=True, methods=["post"])
    def match(self, request, pk=None):
        line = self.get_object()
        reconcile.match_by_hand(line=line, run_line=self._run_line(request), by=request.user)
        return self._answer(line)

    @_line_action(
        "Record a line of money in as a payment returned by the bank",
        serializers.RunLineChoiceSerializer,
    )
    @action(detail=True, methods=["post"])
    def returned(self, request, pk=None):
        line = self.get_object()
        reconcile.match_returned_payment(
            line=line, run_line=self._run_line(request), by=request.user
        )
        return self._answer(line)

    @_line_action("Set a line aside: it is not a grant payment", serializers.SetAsideSerializer)
    @action(detail=True, methods=["post"], url_path="set-aside")
    def set_aside(self, request, pk=None):
        line = self.get_object()
        body = serializers.SetAsideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reconcile.line_set_aside(line=line, by=request.user, note=body.validated_data["note"])
        return self._answer(line)

    @_line_action("Put a line set aside back with the lines to match", None)
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        line = self.get_object()
        reconcile.line_restore(line=line, by=request.user)
        return self._answer(line)


class MatchFilter(django_filters.FilterSet):
    statement = IdFilter(field_name="line__statement_id")
    run_line = IdFilter(field_name="run_line_id")
    undone = django_filters.BooleanFilter(
        field_name="undone_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Match
        fields = ["statement", "kind", "method", "run_line", "undone"]


@extend_schema_view(
    list=extend_schema(summary="Matches of statement lines to payments"),
    retrieve=extend_schema(summary="A match"),
)
class MatchViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Match.objects.select_related("line", "run_line", "matched_by", "undone_by")
    serializer_class = serializers.MatchSerializer
    permission_classes = [FinanceArea]
    filterset_class = MatchFilter
    ordering_fields = ["id", "matched_at"]
    ordering = ["id"]

    @extend_schema(
        summary="Undo a match, saying why: the line is unmatched and the payment not cleared",
        request=serializers.ReasonSerializer,
        responses={200: serializers.MatchSerializer},
    )
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        match = self.get_object()
        body = serializers.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reconcile.match_undo(match=match, by=request.user, reason=body.validated_data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=match.pk)).data)

    @extend_schema(
        summary="Run the automatic matching over every unmatched line and payment sent",
        request=None,
        responses={200: serializers.ReconciledSerializer},
    )
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def reconcile(self, request):
        require_finance_officer(request.user, "run the matching")
        return Response({"matched": reconcile.reconcile(by=request.user)})


router.register("financial-years", FinancialYearViewSet, basename="financial-year")
router.register("funds", FundViewSet, basename="fund")
router.register("fund-years", FundYearViewSet, basename="fund-year")
router.register("wards", WardViewSet, basename="ward")
router.register("councillors", CouncillorViewSet, basename="councillor")
router.register("budgets", BudgetViewSet, basename="budget")
router.register("ledger-transactions", LedgerTransactionViewSet, basename="ledger-transaction")
router.register("payments", PaymentViewSet, basename="payment")
router.register("statements", StatementViewSet, basename="statement")
router.register("statement-lines", StatementLineViewSet, basename="statement-line")
router.register("matches", MatchViewSet, basename="match")
