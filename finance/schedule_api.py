"""/api/v1/payment-schedules/: how an accepted grant is paid, as the finance area's grant page
shows it; grants and finance officers set its instalments and mark an instalment's condition
met, through the same services as the pages (`finance.payments`). Auditors read.
"""

from __future__ import annotations

import hashlib

import django_filters
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from applications.models import Application
from budgets.models import Payment, PaymentSchedule
from budgets.payments import MAX_INSTALMENTS, Instalment
from finance import payments
from finance.serializers import NoteSerializer, PaymentSerializer
from fundmgr import access
from fundmgr.api import IdFilter, Problem, if_match_tag, json_object, problems, router
from fundmgr.api_fields import MoneyField
from fundmgr.errors import InvalidInput


class ScheduleSerializer(serializers.ModelSerializer):
    payments = PaymentSerializer(many=True, read_only=True)
    award = MoneyField(read_only=True)

    class Meta:
        model = PaymentSchedule
        fields = ["id", "reference", "payee", "award", "created_at", "payments"]
        read_only_fields = fields


class InstalmentInput(serializers.Serializer):
    amount = MoneyField(what="the amount of the instalment")
    due_on = serializers.DateField()
    condition = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="What must happen before it is paid; empty for none.",
    )


class InstalmentsInput(serializers.Serializer):
    instalments = InstalmentInput(
        many=True,
        help_text="The instalments still to pay, in order: they must add up to what is left "
        "of the award. Payments already in a run or sent stay as they are.",
    )

    def validate_instalments(self, value):
        if not value:
            raise serializers.ValidationError("Add at least one instalment.")
        if len(value) > MAX_INSTALMENTS:
            raise serializers.ValidationError(
                f"A grant can be paid in at most {MAX_INSTALMENTS} instalments."
            )
        return value


# As on the pages: finance officers, auditors and grants officers read a grant's payments;
# grants and finance officers change them.
GrantPayments = access.api(access.reads_grant_payments, access.sets_instalments)


REFERENCE = OpenApiParameter(
    "reference", str, OpenApiParameter.PATH, description="The grant's reference: CCIF26-000123."
)


def schedule_tag(schedule: PaymentSchedule) -> str:
    """The schedule's ETag: a digest of every instalment's amount, date, condition and state, so
    any change to how the grant is paid changes it."""
    state = Payment.objects.filter(schedule=schedule).order_by("number")
    fields = ("pk", "number", "amount", "due_on", "condition", "condition_met_at", "status")
    text = repr(list(state.values_list(*fields)))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    description="A digest of the schedule's instalments, for If-Match when setting them.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag you read from the schedule: 428 without it, 412 if it changed since.",
)


class ScheduleFilter(django_filters.FilterSet):
    fund_year = IdFilter(field_name="fund_year_id")  # an unknown id: an empty list, not a 400

    class Meta:
        model = PaymentSchedule
        fields = ["fund_year"]


@extend_schema_view(
    list=extend_schema(
        summary="Grants' payment schedules", responses={200: ScheduleSerializer(many=True)}
    ),
    retrieve=extend_schema(
        summary="How a grant is paid: its instalments",
        parameters=[REFERENCE, ETAG],
        responses={200: ScheduleSerializer, **problems(401, 403, 404)},
    ),
)
@extend_schema(tags=["payments"])
class ScheduleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = PaymentSchedule.objects.prefetch_related(
        Prefetch(
            "payments",
            queryset=Payment.objects.select_related(
                "schedule__fund_year__fund", "schedule__fund_year__year"
            ).order_by("number"),
        )
    )
    serializer_class = ScheduleSerializer
    permission_classes = [GrantPayments]
    parser_classes = [JSONParser]
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9-]+"
    filterset_class = ScheduleFilter
    ordering_fields = ["reference", "created_at"]
    ordering = ["reference"]

    def _answer(self, reference: str) -> Response:
        schedule = self.get_queryset().get(reference=reference)
        response = Response(self.get_serializer(schedule).data)
        response["ETag"] = f'"{schedule_tag(schedule)}"'
        return response

    def retrieve(self, request, *args, **kwargs):
        """One schedule. The ETag header is a digest of its instalments: send it back as
        If-Match to set them."""
        return self._answer(self.get_object().reference)

    @extend_schema(
        summary="Set the instalments still to pay of an accepted grant",
        description="Grants and finance officers, with If-Match from the schedule they read. "
        "409 unless the offer is accepted and something is left to pay.",
        parameters=[REFERENCE, IF_MATCH, ETAG],
        request=InstalmentsInput,
        responses={200: ScheduleSerializer, **problems(400, 401, 403, 404, 409, 412, 415, 428)},
    )
    @action(detail=True, methods=["put"])
    def instalments(self, request, reference=None):
        schedule = self.get_object()
        given = InstalmentsInput(data=json_object(request.data))
        given.is_valid(raise_exception=True)
        app = Application.objects.filter(reference=schedule.reference).first()
        if app is None:
            raise Problem(409, f"{schedule.reference} is not a grant fundmgr pays.")
        try:
            with transaction.atomic():
                # Compared under the grant's lock, which instalments_set takes too: two officers
                # who read the same schedule cannot both replace it.
                Application.objects.select_for_update(of=("self",)).get(pk=app.pk)
                if_match_tag(request, schedule_tag(schedule))
                payments.instalments_set(
                    application=app,
                    by=request.user,
                    instalments=[Instalment(**i) for i in given.validated_data["instalments"]],
                )
        except InvalidInput as error:
            raise ValidationError({"instalments": [error.message]}) from None
        return self._answer(schedule.reference)

    @extend_schema(
        summary="Mark an instalment's condition met: it is paid when due",
        description="Grants and finance officers. 409 if it has no condition or it was met "
        "already.",
        parameters=[
            REFERENCE,
            OpenApiParameter(
                "number", int, OpenApiParameter.PATH, description="The instalment's number: 1, 2…"
            ),
        ],
        request=NoteSerializer,
        responses={200: PaymentSerializer, **problems(400, 401, 403, 404, 409, 415)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"payments/(?P<number>[0-9]{1,4})/condition-met",
        url_name="condition-met",
    )
    def condition_met(self, request, reference=None, number=None):
        schedule = self.get_object()
        payment = get_object_or_404(schedule.payments.all(), number=int(number))
        given = NoteSerializer(data=json_object(request.data))
        given.is_valid(raise_exception=True)
        payments.condition_met(payment=payment, by=request.user, note=given.validated_data["note"])
        fresh = Payment.objects.select_related(
            "schedule__fund_year__fund", "schedule__fund_year__year"
        )
        return Response(PaymentSerializer(fresh.get(pk=payment.pk)).data)


router.register("payment-schedules", ScheduleViewSet, basename="payment-schedule")
