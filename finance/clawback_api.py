"""/api/v1/clawbacks/: money a group is asked to pay back, as the finance area's clawback pages
show it, through the same services (`finance.clawbacks`, `budgets.clawback`).

- GET /clawbacks/underspends/: grants whose monitoring report shows money unspent, and revoked
  grants with money paid, each with what is owed and whether a request is due;
- GET /clawbacks/, /clawbacks/{id}/: the requests raised, with the refunds received;
- POST /clawbacks/ {"reference"}: raise a request where one is due (the group is told);
- POST /clawbacks/{id}/refunds/: record a refund received, posted to the ledger.

Finance officers and auditors read; only finance officers raise requests and record refunds.
Bodies are JSON.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from applications.models import Application
from budgets.clawback import refund_record
from budgets.models import Clawback, ClawbackRefund, StatementLine
from finance import clawbacks
from finance.api import FinanceArea
from fundmgr.api import json_object, problems, router
from fundmgr.api_fields import MoneyField

# --- serializers ----------------------------------------------------------------------------


class RefundSerializer(serializers.ModelSerializer):
    recorded_by = serializers.StringRelatedField()
    statement_line = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    amount = MoneyField(read_only=True)

    class Meta:
        model = ClawbackRefund
        fields = ["id", "amount", "received_on", "statement_line", "recorded_by", "recorded_at"]
        read_only_fields = fields


class ClawbackSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True, help_text="To quote when repaying: CLAW-00012.")
    outstanding = MoneyField(read_only=True, help_text="Still to repay.")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    raised_by = serializers.StringRelatedField()
    refunds = RefundSerializer(many=True, read_only=True)
    amount = MoneyField(read_only=True)
    received = MoneyField(read_only=True)

    class Meta:
        model = Clawback
        fields = [
            "id",
            "number",
            "reference",
            "fund_year",
            "payee",
            "amount",
            "received",
            "outstanding",
            "reason",
            "status",
            "status_label",
            "raised_by",
            "raised_at",
            "refunds",
        ]
        read_only_fields = fields


class UnderspendSerializer(serializers.Serializer):
    reference = serializers.CharField(source="application.reference")
    organisation = serializers.CharField(source="application.organisation.name")
    paid = MoneyField(read_only=True)
    spent = MoneyField(
        read_only=True,
        allow_null=True,
        help_text="As the group's last monitoring report says; null for a revoked grant.",
    )
    owed = MoneyField(read_only=True)
    threshold = MoneyField(read_only=True)
    due = serializers.BooleanField(help_text="Whether a clawback request is due under the rules.")
    reason = serializers.CharField()
    clawback = serializers.IntegerField(
        source="clawback.pk", allow_null=True, help_text="The request raised already, if any."
    )


class RaiseInput(serializers.Serializer):
    reference = serializers.CharField(max_length=18, help_text="The grant's reference.")


class RefundInput(serializers.Serializer):
    amount = MoneyField(what="the amount received", help_text="In pounds.")
    received_on = serializers.DateField(help_text="The day the refund arrived.")
    statement_line = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="The bank statement line of money in that is this refund, if imported.",
    )


class ClawbackFilter(django_filters.FilterSet):
    class Meta:
        model = Clawback
        fields = ["status", "reference"]


# --- views ----------------------------------------------------------------------------------


def _queryset():
    return Clawback.objects.select_related("raised_by").prefetch_related("refunds__recorded_by")


@extend_schema_view(
    list=extend_schema(
        summary="Clawback requests, newest first, with the refunds received",
        responses={200: ClawbackSerializer(many=True), **problems(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="A clawback request, with the refunds received",
        responses={200: ClawbackSerializer, **problems(401, 403, 404)},
    ),
)
@extend_schema(tags=["clawbacks"])
class ClawbackViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = _queryset()
    serializer_class = ClawbackSerializer
    permission_classes = [FinanceArea]
    parser_classes = [JSONParser]
    filterset_class = ClawbackFilter
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields = ["raised_at"]
    ordering = ["-pk"]

    def _answer(self, pk: int, code: int = 200) -> Response:
        return Response(self.get_serializer(_queryset().get(pk=pk)).data, status=code)

    @extend_schema(
        summary="Grants that owe money back: underspends and revoked grants",
        description="From each group's latest monitoring report (paid less spent), and revoked "
        "grants with money paid. `due` says whether a request may be raised under the fund "
        "year's threshold; `clawback` is the request raised already.",
        filters=False,
        responses={200: UnderspendSerializer(many=True), **problems(401, 403)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def underspends(self, request):
        return Response(UnderspendSerializer(clawbacks.underspends(), many=True).data)

    @extend_schema(
        summary="Raise a clawback request for a grant that owes money back",
        description="Finance officers. The amount is what the grant owes under the rules "
        "(see underspends); the group is told by e-mail. 409 if it owes nothing back or has a "
        "request waiting already.",
        request=RaiseInput,
        responses={201: ClawbackSerializer, **problems(400, 401, 403, 409, 415)},
    )
    def create(self, request):
        given = RaiseInput(data=json_object(request.data))
        given.is_valid(raise_exception=True)
        app = Application.objects.filter(reference=given.validated_data["reference"]).first()
        if app is None:
            raise ValidationError({"reference": ["There is no grant with this reference."]})
        clawback = clawbacks.clawback_raise(application=app, by=request.user)
        return self._answer(clawback.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record a refund received: it is posted to the ledger",
        description="Finance officers. Paid back to where the money came from; the request is "
        "repaid once refunds reach its amount. 400 for more than is still owed or a date in the "
        "future; 409 if the request is no longer waiting, or the statement line is not an "
        "unmatched line of this amount in.",
        request=RefundInput,
        responses={201: ClawbackSerializer, **problems(400, 401, 403, 404, 409, 415)},
    )
    @action(detail=True, methods=["post"])
    def refunds(self, request, pk=None):
        clawback = self.get_object()
        given = RefundInput(data=json_object(request.data))
        given.is_valid(raise_exception=True)
        data = given.validated_data
        line = None
        if data["statement_line"] is not None:
            line = StatementLine.objects.filter(pk=data["statement_line"]).first()
            if line is None:
                raise ValidationError({"statement_line": ["There is no such statement line."]})
        refund_record(
            clawback=clawback,
            amount=data["amount"],
            received_on=data["received_on"],
            statement_line=line,
            by=request.user,
        )
        return self._answer(clawback.pk, status.HTTP_201_CREATED)


router.register("clawbacks", ClawbackViewSet, basename="clawback")
