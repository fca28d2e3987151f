"""The API for assessments, decisions and grants panels.

Decisions and assessments are read for the applications the caller may see (as
applications.api decides); panel meetings as the panel pages show them: officers and auditors
every meeting, a panel member the meetings they sit on. Anything else is 404.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from applications.api import ONE_OBJECT
from applications.visibility import visible_applications
from decisions import selectors
from decisions import services as decide
from decisions.models import Assessment, Decision, PanelItem, PanelMeeting, PanelMembership
from decisions.serializers import (
    AssessmentInput,
    AssessmentSerializer,
    AttendanceInput,
    DecisionBody,
    DecisionInput,
    DecisionSerializer,
    PanelItemInput,
    PanelItemSerializer,
    PanelMeetingDetailSerializer,
    PanelMeetingInput,
    PanelMeetingSerializer,
)
from fundmgr import access
from fundmgr.api import IdFilter, problems, router
from fundmgr.errors import InvalidInput, NotPermitted
from fundmgr.models import User


class AssessmentFilter(django_filters.FilterSet):
    # An id, not a choice of every application: asking about one you may not see is an empty
    # list, as for one that does not exist.
    application = IdFilter(field_name="application_id")

    class Meta:
        model = Assessment
        fields = ["application", "recommendation"]


class DecisionFilter(django_filters.FilterSet):
    application = IdFilter(field_name="application_id")

    class Meta:
        model = Decision
        fields = ["application", "outcome", "authority"]


class PanelMeetingFilter(django_filters.FilterSet):
    fund = IdFilter(field_name="fund_id")

    class Meta:
        model = PanelMeeting
        fields = ["fund"]


@extend_schema(tags=["decisions"])
class AssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Officers' assessments. POST records one and sends the bid for a decision."""

    queryset = Assessment.objects.none()  # get_queryset decides; this names the model
    # An assessment is the officers' internal advice: the group and finance never read it.
    permission_classes = [access.api(access.reads_assessments, access.grants_officer)]
    parser_classes = [JSONParser]
    serializer_class = AssessmentSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = AssessmentFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-pk"]

    def get_queryset(self):
        return Assessment.objects.filter(
            application__in=visible_applications(self.request.user)
        ).select_related("application")

    @extend_schema(
        request=AssessmentInput,
        responses={201: AssessmentSerializer, **problems(400, 403, 409)},
    )
    def create(self, request, *args, **kwargs):
        given = AssessmentInput(data=request.data, applications=visible_applications(request.user))
        given.is_valid(raise_exception=True)
        data = given.validated_data
        assessment = decide.assessment_record(
            application=data["application"],
            by=request.user,
            recommendation=data["recommendation"],
            notes=data["notes"],
            recommended_amount=data.get("recommended_amount"),
        )
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["decisions"])
class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Decisions on applications. POST records a grants officer's decision under delegated
    authority (approve, reject or defer); a panel's is recorded on its meeting's item."""

    queryset = Decision.objects.none()  # get_queryset decides; this names the model
    permission_classes = [access.api(access.signed_in, access.grants_officer)]
    parser_classes = [JSONParser]
    serializer_class = DecisionSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = DecisionFilter
    ordering_fields = ["decided_at"]
    ordering = ["-decided_at", "-pk"]

    def get_queryset(self):
        return Decision.objects.filter(
            application__in=visible_applications(self.request.user)
        ).select_related("application", "panel_item")

    @extend_schema(
        request=DecisionInput, responses={201: DecisionSerializer, **problems(400, 403, 409)}
    )
    def create(self, request, *args, **kwargs):
        given = DecisionInput(data=request.data, applications=visible_applications(request.user))
        given.is_valid(raise_exception=True)
        data = given.validated_data
        decision = decide.decision_record(
            application=data["application"],
            by=request.user,
            outcome=data["outcome"],
            reasons=data["reasons"],
            amount=data["amount"],
            conditions=data["conditions"],
        )
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


POSITION = OpenApiParameter("position", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema(tags=["panels"])
class PanelMeetingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Grants panels: arrange one, set its agenda, take the register, record its decisions."""

    queryset = PanelMeeting.objects.none()  # get_queryset decides; this names the model
    # Members, officers and auditors; what each may do on a meeting is checked on the meeting.
    permission_classes = [access.api(access.reads_panels)]
    parser_classes = [JSONParser]
    serializer_class = PanelMeetingSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = PanelMeetingFilter
    ordering_fields = ["date"]
    ordering = ["-date", "-pk"]

    def get_queryset(self):
        meetings = selectors.meetings_for(self.request.user)
        if self.action == "list":
            return meetings
        return meetings.prefetch_related(
            Prefetch(
                "panelmembership_set",
                queryset=PanelMembership.objects.select_related("user").order_by("pk"),
            ),
            Prefetch(
                "items",
                queryset=PanelItem.objects.select_related("application")
                .prefetch_related(
                    Prefetch(
                        "decisions",
                        queryset=Decision.objects.select_related("panel_item", "application"),
                    )
                )
                .order_by("position"),
            ),
        )

    @extend_schema(responses={200: PanelMeetingDetailSerializer, **problems(404)})
    def retrieve(self, request, *args, **kwargs):
        """A meeting with its members, attendance and agenda."""
        return Response(PanelMeetingDetailSerializer(self.get_object()).data)

    def _detail(self, meeting) -> Response:
        return Response(PanelMeetingDetailSerializer(self.get_queryset().get(pk=meeting.pk)).data)

    @extend_schema(
        request=PanelMeetingInput,
        responses={201: PanelMeetingDetailSerializer, **problems(400, 403)},
    )
    def create(self, request, *args, **kwargs):
        """Arrange a meeting (grants officers)."""
        if not selectors.is_grants_officer(request.user):
            # Before reading the body, as the page does: ids in it tell nobody else anything.
            raise NotPermitted("Only a grants officer can arrange a panel meeting.")
        given = PanelMeetingInput(data=request.data)
        given.is_valid(raise_exception=True)
        meeting = decide.panel_meeting_create(by=request.user, **given.validated_data)
        response = self._detail(meeting)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(
        request=PanelItemInput,
        responses={201: PanelItemSerializer, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], **ONE_OBJECT)
    def items(self, request, pk=None):
        """Add an application waiting for a decision to the agenda (grants officers)."""
        meeting = self.get_object()
        if not selectors.is_grants_officer(request.user):
            # As the agenda page does: the body's ids tell nobody else anything.
            raise NotPermitted("Only a grants officer can set a panel's agenda.")
        given = PanelItemInput(data=request.data, applications=visible_applications(request.user))
        given.is_valid(raise_exception=True)
        item = decide.panel_item_add(
            meeting=meeting, application=given.validated_data["application"], by=request.user
        )
        return Response(PanelItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AttendanceInput,
        responses={200: PanelMeetingDetailSerializer, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], **ONE_OBJECT)
    def attendance(self, request, pk=None):
        """Take the register: those named attended, the other members sent apologies."""
        meeting = self.get_object()
        access.require(access.takes_the_register, request.user, meeting)  # before the body
        given = AttendanceInput(data=request.data)
        given.is_valid(raise_exception=True)
        ids = set(given.validated_data["attended"])
        present = list(User.objects.filter(pk__in=ids))
        if len(present) != len(ids):
            raise InvalidInput("Only members of the panel can be recorded as attending.")
        decide.attendance_record(meeting=meeting, attended=present, by=request.user)
        return self._detail(meeting)

    @extend_schema(
        parameters=[POSITION],
        request=DecisionBody,
        responses={201: DecisionSerializer, **problems(400, 403, 404, 409)},
    )
    @action(
        detail=True, methods=["post"], url_path=r"items/(?P<position>[0-9]+)/decision", **ONE_OBJECT
    )
    def decision(self, request, pk=None, position=None):
        """The panel's decision on one agenda item, by a member who attended."""
        meeting = self.get_object()
        item = get_object_or_404(PanelItem, meeting=meeting, position=position)
        access.require(access.records_panel_decisions, request.user, meeting)  # before the body
        given = DecisionBody(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        decision = decide.panel_decision_record(
            item=item,
            by=request.user,
            outcome=data["outcome"],
            reasons=data["reasons"],
            amount=data["amount"],
            conditions=data["conditions"],
        )
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("decisions", DecisionViewSet, basename="decision")
router.register("panel-meetings", PanelMeetingViewSet, basename="panel-meeting")
