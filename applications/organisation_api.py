"""The API for community groups: a member registers a group and edits its details; officers and
auditors see every group. Anything a caller may not see is 404, as on the pages."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from applications import organisations
from applications.models import Organisation
from applications.serializers import OrganisationSerializer
from applications.visibility import visible_organisations
from fundmgr.api import IdFilter, problems, router


class OrganisationFilter(django_filters.FilterSet):
    ward = IdFilter(field_name="ward_id")

    class Meta:
        model = Organisation
        fields = ["ward", "kind"]


@extend_schema(tags=["organisations"])
class OrganisationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Community groups. A member sees and edits their own; officers and auditors see all."""

    queryset = Organisation.objects.none()  # get_queryset decides; this names the model
    parser_classes = [JSONParser]
    serializer_class = OrganisationSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = r"[0-9]+"
    filterset_class = OrganisationFilter
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "pk"]

    def get_queryset(self):
        return visible_organisations(self.request.user)

    @extend_schema(responses={201: OrganisationSerializer, **problems(400)})
    def create(self, request, *args, **kwargs):
        """Register a group: you become its secretary."""
        given = OrganisationSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        org = organisations.organisation_create(by=request.user, **given.validated_data)
        return Response(OrganisationSerializer(org).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: OrganisationSerializer, **problems(400, 403, 404)})
    def partial_update(self, request, *args, **kwargs):
        """Change a group's details: its members only."""
        org = self.get_object()
        given = OrganisationSerializer(org, data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        org = organisations.organisation_update(
            organisation=org, by=request.user, **given.validated_data
        )
        return Response(OrganisationSerializer(org).data)


router.register("organisations", OrganisationViewSet, basename="organisation")
