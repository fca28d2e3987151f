"""/api/v1/payments/ and /api/v1/payment-runs/: the payments of grants, and their runs:
prepare, authorise (by a second finance officer), cancel, and download the BACS Standard 18 file
and the finance system's CSV.

A run is prepared and authorised by `finance.payments`, which reads the applications and their
bank details (budgets never imports applications), as the pages are in `finance.views`.
Finance officers and auditors read; only finance officers change anything.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from budgets.models import Payment, PaymentFile, PaymentRun, PaymentRunLine
from budgets.payments import payment_reissue, require_finance_officer, run_mark_sent
from finance import payments
from finance.serializers import (
    NoteSerializer,
    PayableQuerySerializer,
    PayableSerializer,
    PaymentRunDetailSerializer,
    PaymentRunSerializer,
    PaymentSerializer,
    RunAuthoriseSerializer,
    RunCancelSerializer,
    RunPrepareSerializer,
)
from fundmgr import access
from fundmgr.api import FileRenderer, IdFilter, router

# Finance officers and auditors read; only finance officers change anything.
FinanceArea = access.api(access.reads_finance, access.finance_officer)


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
    serializer_class = PaymentSerializer
    permission_classes = [FinanceArea]
    filterset_class = PaymentFilter
    ordering_fields = ["due_on", "reference", "amount"]
    ordering = ["due_on", "reference"]

    @extend_schema(
        summary="Reissue a payment the bank returned: it is paid in the next run",
        request=NoteSerializer,
        responses={200: PaymentSerializer},
    )
    @action(detail=True, methods=["post"])
    def reissue(self, request, pk=None):
        payment = self.get_object()
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment_reissue(payment=payment, by=request.user, note=body.validated_data["note"])
        return Response(self.get_serializer(self.get_queryset().get(pk=payment.pk)).data)


# --- payment runs ---------------------------------------------------------------------------


class TextRenderer(FileRenderer):
    media_type = "text/plain"
    format = "txt"


class CsvRenderer(FileRenderer):
    media_type = "text/csv"
    format = "csv"


def _download(run_pk: int, kind: str) -> HttpResponse:
    file = get_object_or_404(PaymentFile, run_id=run_pk, kind=kind)
    media = "text/csv" if kind == PaymentFile.Kind.FINANCE_CSV else "text/plain"
    response = HttpResponse(bytes(file.content), content_type=f"{media}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file.name}"'
    response["X-Content-SHA256"] = file.sha256
    return response


FILE_HEADERS = (
    "Sent as an attachment (Content-Disposition) with its SHA-256 in X-Content-SHA256. "
    "404 until the run is authorised: only an authorised run has files."
)


@extend_schema_view(
    list=extend_schema(summary="Payment runs"),
    retrieve=extend_schema(
        summary="A payment run and its lines", responses={200: PaymentRunDetailSerializer}
    ),
)
class PaymentRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = (
        PaymentRun.objects.with_clearing()
        .select_related("prepared_by", "authorised_by", "cancelled_by")
        .prefetch_related(Prefetch("files", queryset=PaymentFile.objects.defer("content")))
    )
    serializer_class = PaymentRunSerializer
    permission_classes = [FinanceArea]
    filterset_fields = {"status": ["exact"], "pay_date": ["exact", "gte", "lte"]}
    ordering_fields = ["id", "pay_date"]
    ordering = ["-id"]

    def get_serializer_class(self):
        return PaymentRunDetailSerializer if self.action != "list" else PaymentRunSerializer

    def get_queryset(self):
        runs = super().get_queryset()
        if self.action == "list":
            return runs
        return runs.prefetch_related(
            Prefetch("lines", queryset=PaymentRunLine.objects.order_by("reference"))
        )

    def _answer(self, run: PaymentRun, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=run.pk)
        return Response(PaymentRunDetailSerializer(fresh).data, status=code)

    @extend_schema(
        summary="Payments due by a day, which the next run would take, and those held (why)",
        description="What the payments page shows: due and payable, held (bank details not "
        "verified), waiting for a condition, due later, returned by the bank, stopped.",
        parameters=[PayableQuerySerializer],
        responses={200: PayableSerializer},
    )
    @action(detail=False, pagination_class=None, filter_backends=[])
    def due(self, request):
        query = PayableQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(PayableSerializer(payments.payable(query.validated_data.get("on"))).data)

    @extend_schema(
        summary="Prepare a run of every payment due by the pay date whose payee may be paid",
        description="Payments held (bank details not verified, or changed and not yet "
        "verified), waiting for a condition, or due later stay out of the run.",
        request=RunPrepareSerializer,
        responses={201: PaymentRunDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        body = RunPrepareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run = payments.payment_run_prepare(
            by=request.user, pay_date=body.validated_data["pay_date"]
        )
        return self._answer(run, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Authorise a prepared run (a finance officer other than who prepared it)",
        description="Writes the BACS file and the finance CSV and records every payment, all "
        "or nothing. 403 for the officer who prepared it; 409 if a payee's bank details "
        "changed since, or the run is no longer waiting, or the `check` sent is missing or not "
        "the run as it is now (read the run, confirm its payments and total, send its `check`).",
        request=RunAuthoriseSerializer,
        responses={200: PaymentRunDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def authorise(self, request, pk=None):
        run = self.get_object()
        body = RunAuthoriseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # Missing is "" (not None): refused after who-may, as on the page, never paid unread.
        check = body.validated_data.get("check", "")
        run = payments.payment_run_authorise(run=run, by=request.user, check=check)
        return self._answer(run)

    @extend_schema(
        summary="Cancel a prepared run: its payments are due again",
        request=RunCancelSerializer,
        responses={200: PaymentRunDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        run = self.get_object()
        body = RunCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payments.payment_run_cancel(run=run, by=request.user, reason=body.validated_data["reason"])
        return self._answer(run)

    @extend_schema(
        summary="The run's BACS Standard 18 file (finance officers)",
        description=FILE_HEADERS,
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
        },
    )
    @action(detail=True, renderer_classes=[renderers.JSONRenderer, TextRenderer])
    def bacs(self, request, pk=None):
        return self._file(request, pk, PaymentFile.Kind.BACS)

    @extend_schema(
        summary="The run's CSV for the council's finance system (finance officers)",
        description=FILE_HEADERS,
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
        },
    )
    @action(
        detail=True,
        url_path="finance-csv",
        renderer_classes=[renderers.JSONRenderer, CsvRenderer],
    )
    def finance_csv(self, request, pk=None):
        return self._file(request, pk, PaymentFile.Kind.FINANCE_CSV)

    def _file(self, request, pk, kind: str) -> HttpResponse:
        # As on the pages: auditors see the run, but only a finance officer takes its files.
        require_finance_officer(request.user, "download a payment file")
        run = self.get_object()
        response = _download(run.pk, kind)
        if kind == PaymentFile.Kind.BACS:  # taken to send to the bank, as on the run's page
            run_mark_sent(run=run, by=request.user)
        return response


router.register("payments", PaymentViewSet, basename="payment")
router.register("payment-runs", PaymentRunViewSet, basename="payment-run")
