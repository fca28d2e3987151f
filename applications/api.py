"""The API for applications, their transitions and councillor support (groups: organisation_api).

Who sees what is what the pages show: a group member their own organisations' applications, a
councillor the bids of their wards (and any they answered), a panel member the bids on their
panels' agendas, a finance officer the grants awarded, grants officers and auditors everything.
Anything else is 404, never 403, so that ids do not tell what exists: an id in a request body
that the person may not see is a 400 "does not exist", and one in a filter an empty list, just
as for an id that does not exist. A person who may see an application but not act on it is
told so with 403; a step the rules refuse now is 409. Bodies are JSON.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import prefetch_related_objects
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from applications import group_services, rules, services, support, transitions
from applications.attachment_api import AnyFileRenderer
from applications.councillor_selectors import term_for
from applications.file_views import file_response
from applications.group_selectors import organisations_for
from applications.models import (
    Application,
    BudgetLine,
    InterestDeclaration,
    MatchFunding,
    Pledge,
)
from applications.serializers import (
    ApplicationCreateSerializer,
    ApplicationDetailSerializer,
    ApplicationSerializer,
    ApplicationUpdateSerializer,
    BudgetLineSerializer,
    DeclineInput,
    InterestDeclarationSerializer,
    MatchFundingSerializer,
    MonitoringReportSerializer,
    PledgeInput,
    PledgeSerializer,
    TransitionSerializer,
)
from applications.steps import DELEGATED, STEPS, input_fields
from applications.transitions import Transition
from applications.visibility import visible_applications
from applications.workflow import Status
from fundmgr import access
from fundmgr.api import IdFilter, etag, if_match_version, problems, router
from fundmgr.errors import NotPermitted

# --- applications ---------------------------------------------------------------------------


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    fund = IdFilter(field_name="fund_year__fund_id")
    fund_year = IdFilter(field_name="fund_year_id")
    financial_year = django_filters.CharFilter(
        field_name="fund_year__year__label", help_text="As the council writes it: 2026/27."
    )
    ward = IdFilter(field_name="wards")  # (application, ward) is unique: one row each
    organisation = IdFilter(field_name="organisation_id")

    class Meta:
        model = Application
        fields = ["status", "fund", "fund_year", "financial_year", "ward", "organisation"]


def _with_version(response: Response, app: Application) -> Response:
    response["ETag"] = etag(app.version)
    return response


DETAIL_PREFETCH = ("wards", "budget_lines", "match_funding_sources")


def _detail(app: Application) -> Application:
    return (
        Application.objects.select_related("fund_year__fund", "fund_year__year", "organisation")
        .prefetch_related(*DETAIL_PREFETCH)
        .get(pk=app.pk)
    )


# Actions on one application: the list's filters and pages do not apply to them.
ONE_OBJECT: dict[str, Any] = {"filter_backends": [], "pagination_class": None}


# Steps whose service asks a grants officer's permission itself, first thing under the
# application's lock, with the transition's own rule (decisions.services.decision_record), and
# answers the application as it left it.
SERVICE_ASKS_WHO_MAY = frozenset({"approve", "reject"})


def _transition_view(name: str, step: Transition):
    def take(self, request, pk=None):
        app = self.get_object()
        given = step.input(data=request.data if request.data is not None else {})
        # Who may comes before the body: a person who may not act learns nothing of its rules.
        # Asked here unless the service asks it first anyway, in the same words, and the body is
        # one it will take (a refused body is answered only after asking).
        asked_by_service = (
            name in SERVICE_ASKS_WHO_MAY
            and access.grants_officer(request.user)
            and given.is_valid()
        )
        if not asked_by_service:
            if reason := services.permission_refusal(app, name, request.user):
                raise NotPermitted(reason)
            given.is_valid(raise_exception=True)
        taken = transitions.get(name).take(app, request.user, given.validated_data)
        if asked_by_service and isinstance(taken, Application) and taken.pk == app.pk:
            app = taken  # as its service saved it, under the lock: not read again
            prefetch_related_objects([app], *DETAIL_PREFETCH)
        else:
            app = _detail(app)
        return _with_version(Response(ApplicationDetailSerializer(app).data), app)

    take.__name__ = name
    take.__doc__ = (
        f"{step.label}. Refused with 409 and the reason when the rules do not allow it now."
    )
    take = extend_schema(
        operation_id=f"applications_{name}",
        summary=step.label,
        request=step.input,
        responses={
            200: OpenApiResponse(ApplicationDetailSerializer, description="The application now."),
            **problems(400, 403, 404, 409),
        },
    )(take)
    return action(detail=True, methods=["post"], url_path=name, url_name=name, **ONE_OBJECT)(take)


LINE_ID = OpenApiParameter("line_id", OpenApiTypes.INT, OpenApiParameter.PATH)
SOURCE_ID = OpenApiParameter("source_id", OpenApiTypes.INT, OpenApiParameter.PATH)
PLEDGE_ID = OpenApiParameter("pledge_id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema(tags=["applications"])
class ApplicationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Applications, filtered to those the caller may see. GET answers an ETag (the version);
    PATCH needs If-Match with it. Each transition is its own POST action."""

    queryset = Application.objects.none()  # get_queryset decides; this names the model
    parser_classes = [JSONParser]
    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter
    lookup_value_regex = r"[0-9]+"
    ordering_fields = [
        "created_at",
        "submitted_at",
        "updated_at",
        "reference",
        "amount_requested",
        "status",
    ]
    ordering = ["-created_at", "-pk"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        apps = visible_applications(self.request.user).select_related(
            "fund_year__fund", "fund_year__year", "organisation"
        )
        if self.action == "list":
            return apps.prefetch_related("wards")
        if self.action == "retrieve":
            return apps.prefetch_related("wards", "budget_lines", "match_funding_sources")
        return apps

    @extend_schema(responses={200: ApplicationDetailSerializer, **problems(404)})
    def retrieve(self, request, *args, **kwargs):
        """One application. The ETag header is its version: send it back as If-Match to edit."""
        app = self.get_object()
        return _with_version(Response(ApplicationDetailSerializer(app).data), app)

    @extend_schema(
        request=ApplicationCreateSerializer,
        responses={201: ApplicationDetailSerializer, **problems(400, 403, 409)},
    )
    def create(self, request, *args, **kwargs):
        """Start a draft for one of your organisations. Refused with 409 once the fund year has
        given the last reference that fits a BACS payment reference."""
        given = ApplicationCreateSerializer(
            data=request.data, organisations=organisations_for(request.user)
        )
        given.is_valid(raise_exception=True)
        fields = dict(given.validated_data)
        app = services.application_create(
            fund_year=fields.pop("fund_year"),
            organisation=fields.pop("organisation"),
            by=request.user,
            **fields,
        )
        app = _detail(app)
        response = Response(ApplicationDetailSerializer(app).data, status=status.HTTP_201_CREATED)
        response["Location"] = f"/api/v1/applications/{app.pk}/"
        return _with_version(response, app)

    @extend_schema(
        request=ApplicationUpdateSerializer,
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The ETag you read (or send `version` in the body).",
            )
        ],
        responses={200: ApplicationDetailSerializer, **problems(400, 403, 404, 409, 412, 428)},
    )
    def partial_update(self, request, *args, **kwargs):
        """Save answers to a draft. 428 without If-Match (or `version`); 412 if someone saved
        since you read it, and nothing is changed."""
        app = self.get_object()
        access.require(access.group_member, request.user, app)  # before If-Match and the body
        # The body before If-Match: what breaks the schema (a `version` below 1 too) is a 400
        # whatever the precondition, so a client learns what it sent wrong before anything else.
        given = ApplicationUpdateSerializer(app, data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        version = if_match_version(request, app.version)
        fields = {k: v for k, v in given.validated_data.items() if k != "version"}
        services.application_update(application=app, by=request.user, version=version, **fields)
        app = _detail(app)
        return _with_version(Response(ApplicationDetailSerializer(app).data), app)

    # --- transitions ---

    @extend_schema(responses={200: TransitionSerializer(many=True), **problems(404)})
    @action(detail=True, methods=["get"], **ONE_OBJECT)
    def transitions(self, request, pk=None):
        """The transitions you may take now, each with what it needs."""
        app = self.get_object()
        names = services.available_transitions(app, request.user)
        # Delegated steps are a grants officer's, and within the fund's limit (as the service).
        if not access.grants_officer(request.user) or rules.beyond_delegated_limit(app):
            names = [n for n in names if n not in DELEGATED]
        return Response(
            [
                {
                    "name": name,
                    "label": STEPS[name].label,
                    "url": f"/api/v1/applications/{app.pk}/{name}/",
                    "input": input_fields(STEPS[name]),
                }
                for name in names
                if name in STEPS
            ]
        )

    # --- budget lines and other funding of a draft ---

    @extend_schema(methods=["GET"], request=None, responses={200: BudgetLineSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=BudgetLineSerializer,
        responses={201: BudgetLineSerializer, **problems(400, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="budget-lines",
        parser_classes=[JSONParser, MultiPartParser],
        **ONE_OBJECT,
    )
    def budget_lines(self, request, pk=None):
        """A draft's costs; POST adds one (the group's members, while it is a draft), as JSON
        or, with its quote, as multipart/form-data."""
        app = self.get_object()
        if request.method == "GET":
            return Response(BudgetLineSerializer(app.budget_lines.all(), many=True).data)
        access.require(access.group_member, request.user, app)  # before the body is read
        given = BudgetLineSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        line = services.budget_line_add(application=app, by=request.user, **given.validated_data)
        return Response(BudgetLineSerializer(line).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[LINE_ID], request=None, responses={204: None, **problems(403, 404, 409)}
    )
    @action(detail=True, methods=["delete"], url_path=r"budget-lines/(?P<line_id>[0-9]+)")
    def budget_line_remove(self, request, pk=None, line_id=None):
        app = self.get_object()
        line = get_object_or_404(BudgetLine, application=app, pk=line_id)
        services.budget_line_remove(line=line, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[LINE_ID],
        request=None,
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The quote's file."),
            **problems(401, 404),
        },
    )
    @action(
        detail=True,
        url_path=r"budget-lines/(?P<line_id>[0-9]+)/quote",
        renderer_classes=[JSONRenderer, AnyFileRenderer],
        **ONE_OBJECT,
    )
    def budget_line_quote(self, request, pk=None, line_id=None):
        """Download a budget line's quote: anyone who may read the application."""
        line = get_object_or_404(BudgetLine, application=self.get_object(), pk=line_id)
        return file_response(line.quote)

    @extend_schema(
        methods=["GET"], request=None, responses={200: MatchFundingSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        request=MatchFundingSerializer,
        responses={201: MatchFundingSerializer, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["get", "post"], url_path="match-funding", **ONE_OBJECT)
    def match_funding(self, request, pk=None):
        """A draft's other funding; POST adds a source."""
        app = self.get_object()
        if request.method == "GET":
            return Response(MatchFundingSerializer(app.match_funding_sources.all(), many=True).data)
        access.require(access.group_member, request.user, app)  # before the body is read
        given = MatchFundingSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        source = services.match_funding_add(
            application=app, by=request.user, **given.validated_data
        )
        return Response(MatchFundingSerializer(source).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[SOURCE_ID], request=None, responses={204: None, **problems(403, 404, 409)}
    )
    @action(detail=True, methods=["delete"], url_path=r"match-funding/(?P<source_id>[0-9]+)")
    def match_funding_remove(self, request, pk=None, source_id=None):
        app = self.get_object()
        source = get_object_or_404(MatchFunding, application=app, pk=source_id)
        group_services.match_funding_remove(source=source, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=MonitoringReportSerializer,
        responses={201: MonitoringReportSerializer, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="monitoring-reports")
    def monitoring_reports(self, request, pk=None):
        """The group's end-of-grant report."""
        app = self.get_object()
        access.require(access.group_member, request.user, app)  # before the body is read
        given = MonitoringReportSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        report = services.monitoring_report_submit(
            application=app, by=request.user, **given.validated_data
        )
        return Response(MonitoringReportSerializer(report).data, status=status.HTTP_201_CREATED)

    # --- councillor support ---

    @extend_schema(methods=["GET"], request=None, responses={200: PledgeSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=PledgeInput,
        responses={201: PledgeSerializer, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["get", "post"], **ONE_OBJECT)
    def pledges(self, request, pk=None):
        """Councillors' support. POST: a councillor of a ward the bid benefits supports it,
        pledging from their own allocation where the fund is paid from allocations."""
        app = self.get_object()
        if request.method == "GET":
            found = app.pledges.select_related("councillor").order_by("pk")
            return Response(PledgeSerializer(found, many=True).data)
        term = self._term(app)  # who may, before the body is read
        given = PledgeInput(data=request.data, uses_allocations=app.fund_year.uses_allocations)
        given.is_valid(raise_exception=True)
        pledge = support.pledge_make(
            application=app,
            councillor=term,
            amount=given.validated_data["amount"],
            statement=given.validated_data["statement"],
            by=request.user,
        )
        return Response(PledgeSerializer(pledge).data, status=status.HTTP_201_CREATED)

    def _term(self, app: Application):
        term = term_for(self.request.user, app, rules.today())
        if term is None:
            raise NotPermitted("Only a councillor can answer a bid for support.")
        return term

    @extend_schema(
        request=DeclineInput, responses={201: PledgeSerializer, **problems(400, 403, 404, 409)}
    )
    @action(detail=True, methods=["post"], url_path="pledges/decline")
    def decline(self, request, pk=None):
        """A councillor says they do not support the bid, and why."""
        app = self.get_object()
        term = self._term(app)  # who may, before the body is read
        given = DeclineInput(data=request.data)
        given.is_valid(raise_exception=True)
        pledge = support.pledge_decline(
            application=app,
            councillor=term,
            reason=given.validated_data["reason"],
            by=request.user,
        )
        return Response(PledgeSerializer(pledge).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[PLEDGE_ID],
        request=None,
        responses={200: PledgeSerializer, **problems(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path=r"pledges/(?P<pledge_id>[0-9]+)/withdraw")
    def pledge_withdraw(self, request, pk=None, pledge_id=None):
        """The councillor who pledged takes it back, while the bid still waits for support."""
        app = self.get_object()
        pledge = get_object_or_404(Pledge, application=app, pk=pledge_id)
        pledge = support.pledge_withdraw(pledge=pledge, by=request.user)
        return Response(PledgeSerializer(pledge).data)

    @extend_schema(
        methods=["GET"], request=None, responses={200: InterestDeclarationSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        request=InterestDeclarationSerializer,
        responses={201: InterestDeclarationSerializer, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["get", "post"], **ONE_OBJECT)
    def declarations(self, request, pk=None):
        """Interests declared in the bid: officers and auditors see all, others their own.
        POST declares one (councillors, panel members and officers)."""
        app = self.get_object()
        if request.method == "GET":
            found = InterestDeclaration.objects.filter(application=app).order_by("pk")
            if not access.reads_applications(request.user):
                found = found.filter(user=request.user)
            return Response(InterestDeclarationSerializer(found, many=True).data)
        access.require(access.declares_interests, request.user)  # before the body is read
        given = InterestDeclarationSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        declaration = support.interest_declare(
            application=app, by=request.user, **given.validated_data
        )
        return Response(
            InterestDeclarationSerializer(declaration).data, status=status.HTTP_201_CREATED
        )


for _name, _step in STEPS.items():
    setattr(ApplicationViewSet, _name, _transition_view(_name, _step))


router.register("applications", ApplicationViewSet, basename="application")
