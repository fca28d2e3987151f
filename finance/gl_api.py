"""The finance pages' general-ledger comparison and reconciliation reports, for programs.

/api/v1/gl-imports/: the finance system's GL export, imported whole or not at all (the same file
twice is a 409), and compared with the budget ledger per cost code and period.
/api/v1/reconciliation-reports/{year}/: a financial year's reconciliation in figures, and the
report itself as XLSX or as the stored PDF.

As on the pages: finance officers and auditors read; only a finance officer imports.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from budgets import gl, reconciliation_report
from budgets.models import FinancialYear, GLImport
from budgets.serializers import PersonField
from finance.api import FinanceArea
from fundmgr.api import FileRenderer, problems, router
from fundmgr.api_fields import MoneyField
from fundmgr.documents import document_response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --- the general ledger ----------------------------------------------------------------------


class GLImportSerializer(serializers.ModelSerializer):
    imported_by = PersonField(read_only=True)

    class Meta:
        model = GLImport
        fields = [
            "id",
            "filename",
            "sha256",
            "line_count",
            "first_date",
            "last_date",
            "imported_by",
            "imported_at",
        ]
        read_only_fields = fields


class GLUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV with columns for the cost code, the date and the amount (spending "
        "positive), and if it has them the reference and description. Up to 20 MB."
    )

    def validate(self, attrs):
        """The page's own form checks the file, so both refuse alike."""
        from finance.reconcile_forms import GLForm

        form = GLForm(data={}, files={"file": attrs["file"]})
        if not form.is_valid():
            raise serializers.ValidationError(
                {field: [str(m) for m in messages] for field, messages in form.errors.items()}
            )
        return attrs


class PeriodSerializer(serializers.Serializer):
    cost_code = serializers.CharField()
    period = serializers.CharField(help_text="The council's period: 2026/27 P08 (November 2026).")
    ledger = MoneyField(read_only=True)
    gl = MoneyField(read_only=True)
    difference = MoneyField(read_only=True, help_text="The GL's figure less the ledger's.")


class DifferenceSerializer(PeriodSerializer):
    reference = serializers.CharField(help_text="The payment's reference, or (none).")
    why = serializers.CharField()


class ComparisonSerializer(serializers.Serializer):
    first = serializers.DateField(help_text="The first day the export covers.")
    last = serializers.DateField(help_text="The last day the export covers.")
    agrees = serializers.BooleanField(help_text="True when there is no difference to explain.")
    summary = PeriodSerializer(many=True, help_text="Each cost code and period.")
    differences = DifferenceSerializer(many=True, help_text="Every one to explain.")


@extend_schema_view(
    list=extend_schema(summary="Imports of the finance system's general ledger"),
    retrieve=extend_schema(summary="A general-ledger import"),
)
@extend_schema(tags=["reconciliation"])
class GLImportViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = GLImport.objects.select_related("imported_by")
    serializer_class = GLImportSerializer
    permission_classes = [FinanceArea]
    parser_classes = [MultiPartParser, FormParser]
    lookup_value_regex = r"[0-9]+"
    ordering_fields = ["id", "imported_at", "first_date"]
    ordering = ["-id"]

    @extend_schema(
        summary="Import the finance system's general-ledger export (CSV)",
        description="Finance officers. All or nothing: a file that cannot be read answers 400 "
        "naming the line, and nothing is imported. The same file twice answers 409.",
        request={"multipart/form-data": GLUploadSerializer},
        responses={201: GLImportSerializer, **problems(400, 401, 403, 409, 415)},
    )
    def create(self, request, *args, **kwargs):
        body = GLUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        imported = gl.gl_import(content=upload.read(), filename=upload.name, by=request.user)
        fresh = self.get_queryset().get(pk=imported.pk)
        return Response(GLImportSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The import compared with the budget ledger, per cost code and period",
        responses={200: ComparisonSerializer, **problems(401, 403, 404)},
    )
    @action(detail=True, filter_backends=[], pagination_class=None)
    def comparison(self, request, pk=None):
        result = gl.compare(self.get_object())
        return Response(
            ComparisonSerializer(
                {
                    "first": result.first,
                    "last": result.last,
                    "agrees": result.agrees,
                    "summary": result.summary,
                    "differences": result.differences,
                }
            ).data
        )


# --- reconciliation reports -----------------------------------------------------------------


class FigureSerializer(serializers.Serializer):
    what = serializers.CharField()
    count = serializers.IntegerField()
    amount = MoneyField(read_only=True)


class ReportLinksSerializer(serializers.Serializer):
    year = serializers.CharField(help_text="2026/27")
    start = serializers.IntegerField(help_text="The year it starts in: the address's {year}.")
    xlsx = serializers.CharField(help_text="Where to download the report as a spreadsheet.")
    pdf = serializers.CharField(help_text="Where to download the report as a PDF.")


class ReportSerializer(ReportLinksSerializer):
    reconciled = serializers.BooleanField(
        help_text="Every payment sent is on a statement, none is waiting to be reissued, and "
        "every statement line is matched or set aside."
    )
    figures = FigureSerializer(many=True)


class XlsxRenderer(FileRenderer):
    media_type = XLSX
    format = "xlsx"


class PdfRenderer(FileRenderer):
    media_type = "application/pdf"
    format = "pdf"


YEAR = OpenApiParameter(
    "year", OpenApiTypes.INT, OpenApiParameter.PATH, description="The year it starts in: 2026."
)


def _year(start: str) -> FinancialYear:
    number = int(start)
    year = FinancialYear.objects.filter(start__year=number).first() if 0 < number < 10_000 else None
    if year is None:
        raise Http404(f"There is no {start}/{str(int(start) + 1)[-2:]} financial year.")
    return year


@extend_schema(tags=["reconciliation"])
class ReconciliationReportViewSet(viewsets.GenericViewSet):
    """One report per financial year: the figures here, the documents to download."""

    queryset = FinancialYear.objects.order_by("-start")
    serializer_class = ReportSerializer
    permission_classes = [FinanceArea]
    lookup_url_kwarg = "year"
    lookup_value_regex = r"[0-9]{1,30}"
    filter_backends: list = []
    pagination_class = None

    def _links(self, year: FinancialYear) -> dict:
        start = year.start.year
        return {
            "year": year.label,
            "start": start,
            "xlsx": reverse("api:reconciliation-report-xlsx", kwargs={"year": start}),
            "pdf": reverse("api:reconciliation-report-pdf", kwargs={"year": start}),
        }

    @extend_schema(
        summary="The financial years' reconciliation reports, and where to download each",
        responses={200: ReportLinksSerializer(many=True), **problems(401, 403)},
    )
    def list(self, request):
        years = [self._links(y) for y in self.get_queryset()]
        return Response(ReportLinksSerializer(years, many=True).data)

    @extend_schema(
        summary="A year's reconciliation in figures",
        parameters=[YEAR],
        responses={200: ReportSerializer, **problems(401, 403, 404)},
    )
    def retrieve(self, request, year=None):
        fy = _year(year)
        report = reconciliation_report.build(fy)
        figures = [{"what": w, "count": c, "amount": a} for w, c, a in report.summary]
        data = {**self._links(fy), "reconciled": report.reconciled, "figures": figures}
        return Response(ReportSerializer(data).data)

    @extend_schema(
        summary="The year's reconciliation report as a spreadsheet",
        parameters=[YEAR],
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The report."),
            **problems(401, 403, 404),
        },
    )
    @action(detail=True, renderer_classes=[renderers.JSONRenderer, XlsxRenderer])
    def xlsx(self, request, year=None):
        fy = _year(year)
        content = reconciliation_report.xlsx(reconciliation_report.build(fy))
        response = HttpResponse(content, content_type=XLSX)
        name = f"reconciliation-{fy.label.replace('/', '-')}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @extend_schema(
        summary="The year's reconciliation report as a PDF, stored with its SHA-256",
        description="Each download is kept as a document (X-Content-SHA256 is its digest), as "
        "from the finance pages.",
        parameters=[YEAR],
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The report."
            ),
            **problems(401, 403, 404),
        },
    )
    @action(detail=True, renderer_classes=[renderers.JSONRenderer, PdfRenderer])
    def pdf(self, request, year=None):
        fy = _year(year)
        return document_response(reconciliation_report.stored_pdf(fy, by=request.user))


router.register("gl-imports", GLImportViewSet, basename="gl-import")
router.register(
    "reconciliation-reports", ReconciliationReportViewSet, basename="reconciliation-report"
)
