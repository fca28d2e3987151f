"""/api/v1/statements/, /api/v1/statement-lines/ and /api/v1/matches/: import a bank
statement, match its lines to the payments sent by hand or automatically, set a line aside, and
undo a match, through the same services as the statement pages (`budgets.reconcile`).
Finance officers and auditors read; only finance officers act.
"""

from __future__ import annotations

import django_filters
from django.db.models import Count, Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from budgets import reconcile
from budgets.models import Match, Statement, StatementLine
from budgets.payments import require_finance_officer
from finance import serializers
from finance.api import FinanceArea
from fundmgr.api import IdFilter, router

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


router.register("statements", StatementViewSet, basename="statement")
router.register("statement-lines", StatementLineViewSet, basename="statement-line")
router.register("matches", MatchViewSet, basename="match")
