"""The bank reconciliation, for programs: /api/v1/bank-reconciliations/.

List and read what was stored when each was prepared; prepare one at a day (POST, a finance
officer); check it (POST .../check/, a different finance officer: 403 for the one who
prepared it, 409 while a difference is unexplained or once it is locked); download it as XLSX
or as the stored PDF. As on the pages: finance officers and auditors read; only a finance
officer prepares or checks (finance.bank_reconciliation).
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from budgets.serializers import PersonField
from finance import bank_reconciliation
from finance.api import FinanceArea
from finance.gl_api import XLSX, PdfRenderer, XlsxRenderer
from finance.models import BankReconciliation
from fundmgr.api import problems, router
from fundmgr.api_fields import MoneyField
from fundmgr.documents import document_response

SIGNED: dict[str, bool] = {"allow_negative": True, "allow_zero": True, "read_only": True}


def signed() -> MoneyField:
    """An amount out, which may be negative (money out) or zero."""
    return MoneyField(allow_negative=True, allow_zero=True, read_only=True)


class ItemSerializer(serializers.Serializer):
    date = serializers.DateField()
    reference = serializers.CharField()
    description = serializers.CharField()
    amount = signed()


class ListsSerializer(serializers.Serializer):
    unpresented = ItemSerializer(many=True, help_text="Payments sent, not yet on a statement.")
    uncleared_receipts = ItemSerializer(
        many=True, help_text="Refunds recorded, not yet on a statement."
    )
    unexplained = ItemSerializer(
        many=True, help_text="Statement lines not yet matched or explained: the difference."
    )
    expected_refunds = ItemSerializer(
        many=True, help_text="Refunds asked for, not yet received: in neither balance."
    )


class BankReconciliationSerializer(serializers.ModelSerializer):
    prepared_by = PersonField(read_only=True)
    checked_by = PersonField(read_only=True, allow_null=True)
    adjusted_balance = signed()
    lists = serializers.SerializerMethodField()

    class Meta:
        model = BankReconciliation
        money = [
            "opening_balance",
            "statement_balance",
            "unpresented_total",
            "uncleared_receipts_total",
            "expected_refunds_total",
            "unexplained_total",
            "payments_total",
            "refunds_total",
            "returns_total",
            "other_items_total",
            "cash_book_balance",
            "difference",
        ]
        fields = [
            "id",
            "account",
            "as_at",
            "opening_date",
            "statement_balance_source",
            *money,
            "adjusted_balance",
            "explanation",
            "prepared_by",
            "prepared_at",
            "checked_by",
            "checked_at",
            "locked",
            "lists",
        ]
        read_only_fields = fields

    def build_standard_field(self, field_name, model_field):
        if field_name in self.Meta.money:
            return MoneyField, SIGNED
        return super().build_standard_field(field_name, model_field)

    @extend_schema_field(ListsSerializer)
    def get_lists(self, obj: BankReconciliation) -> dict:
        return ListsSerializer(bank_reconciliation.stored_items(obj)).data


class PrepareSerializer(serializers.Serializer):
    as_at = serializers.DateField(help_text="The day to reconcile at the end of: 2026-10-31.")
    explanation = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Why the bank and the cash book differ, if they do.",
    )


@extend_schema_view(
    list=extend_schema(summary="Bank reconciliations, the latest day first"),
    retrieve=extend_schema(summary="A bank reconciliation, as it was prepared"),
)
@extend_schema(tags=["reconciliation"])
class BankReconciliationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = BankReconciliation.objects.select_related("prepared_by", "checked_by")
    serializer_class = BankReconciliationSerializer
    permission_classes = [FinanceArea]
    lookup_value_regex = r"[0-9]+"
    ordering_fields = ["as_at", "id"]
    ordering = ["-as_at", "account"]

    def _answer(self, rec: BankReconciliation, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=rec.pk)
        return Response(BankReconciliationSerializer(fresh).data, status=code)

    @extend_schema(
        summary="Prepare the reconciliation at the end of a day (again, until it is checked)",
        description="The figures are worked out now and stored. 400 for a day not yet ended "
        "or before the bank's first known balance; 409 once it is locked, or when no "
        "statement shows a balance.",
        request=PrepareSerializer,
        responses={201: BankReconciliationSerializer, **problems(400, 401, 403, 409)},
    )
    def create(self, request, *args, **kwargs):
        body = PrepareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = bank_reconciliation.reconciliation_prepare(
            as_at=body.validated_data["as_at"],
            by=request.user,
            explanation=body.validated_data.get("explanation", ""),
        )
        return self._answer(done, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Check the reconciliation and lock it (a finance officer other than who "
        "prepared it)",
        description="403 for the officer who prepared it; 409 while a difference is not "
        "explained, or once it is locked.",
        request=None,
        responses={200: BankReconciliationSerializer, **problems(401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        done = bank_reconciliation.reconciliation_check(
            reconciliation=self.get_object(), by=request.user
        )
        return self._answer(done)

    @extend_schema(
        summary="The reconciliation as a spreadsheet",
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The reconciliation."),
            **problems(401, 403, 404),
        },
    )
    @action(detail=True, renderer_classes=[renderers.JSONRenderer, XlsxRenderer])
    def xlsx(self, request, pk=None):
        rec = self.get_object()
        response = HttpResponse(bank_reconciliation.xlsx(rec), content_type=XLSX)
        name = f"bank-reconciliation-{rec.as_at:%Y-%m-%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @extend_schema(
        summary="The reconciliation as a PDF, stored with its SHA-256",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The reconciliation."
            ),
            **problems(401, 403, 404),
        },
    )
    @action(detail=True, renderer_classes=[renderers.JSONRenderer, PdfRenderer])
    def pdf(self, request, pk=None):
        return document_response(bank_reconciliation.stored_pdf(self.get_object(), by=request.user))


router.register("bank-reconciliations", BankReconciliationViewSet, basename="bank-reconciliation")
