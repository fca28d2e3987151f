"""The API for community groups: a member registers a group and edits its details; officers and
auditors see every group. Anything a caller may not see is 404, as on the pages.

Membership is by invitation, as on the pages: a member invites an e-mail address
(/organisations/{id}/invitations/, 202 with the same answer whoever the address belongs to), sees
the invitations waiting and withdraws them; the person invited accepts or declines with the token
from the e-mail (/invitations/accept/, /invitations/decline/), signed in with that address. A
group's invitations are its members' only: 404 for anyone else, before the body is read."""

from __future__ import annotations

from contextlib import contextmanager

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from applications import group_selectors, group_services, organisations
from applications.models import Invitation, Membership, Organisation
from applications.serializers import OrganisationSerializer
from applications.visibility import visible_organisations
from fundmgr.api import IdFilter, json_object, problems, router


class OrganisationFilter(django_filters.FilterSet):
    ward = IdFilter(field_name="ward_id")

    class Meta:
        model = Organisation
        fields = ["ward", "kind"]


class OrganisationRegistration(OrganisationSerializer):
    """A group's details, and the role in it of the person who registers it."""

    role = serializers.ChoiceField(
        choices=Membership.Role.choices,
        required=False,
        write_only=True,
        help_text="Your role in the group: chair, secretary, treasurer or member. By default, "
        "secretary.",
    )

    class Meta(OrganisationSerializer.Meta):
        fields = [*OrganisationSerializer.Meta.fields, "role"]


def _normalised(data) -> dict:
    """The body with its postcode and registered numbers written one way and checked, before
    the model's own checks (a 400 naming the field, in the pages' words, if one is wrong)."""
    body = dict(json_object(data))
    given = {
        name: body[name]
        for name in organisations.NORMALISERS
        if isinstance(body.get(name), str)  # anything else is the serializer's to refuse
    }
    body.update(organisations.profile_normalised(given))
    return body


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

    @extend_schema(
        request=OrganisationRegistration,
        responses={201: OrganisationSerializer, **problems(400)},
    )
    def create(self, request, *args, **kwargs):
        """Register a group: you become a member of it, in the `role` you give (chair,
        secretary, treasurer or member; secretary if you give none). The postcode is written
        as Royal Mail writes it ("sw1a1aa" is "SW1A 1AA"); the charity and company numbers
        are optional and checked only when given."""
        body = _normalised(request.data)
        role = body.pop("role", Membership.Role.SECRETARY)
        given = OrganisationSerializer(data=body)
        given.is_valid(raise_exception=True)
        org = organisations.organisation_create(by=request.user, role=role, **given.validated_data)
        return Response(OrganisationSerializer(org).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: OrganisationSerializer, **problems(400, 403, 404)})
    def partial_update(self, request, *args, **kwargs):
        """Change a group's details: its members only."""
        org = self.get_object()
        given = OrganisationSerializer(org, data=_normalised(request.data), partial=True)
        given.is_valid(raise_exception=True)
        org = organisations.organisation_update(
            organisation=org, by=request.user, **given.validated_data
        )
        return Response(OrganisationSerializer(org).data)


router.register("organisations", OrganisationViewSet, basename="organisation")


# --- membership by invitation ----------------------------------------------------------------


class InvitationSerializer(serializers.ModelSerializer):
    """An invitation waiting for an answer, as the group's members see it."""

    role_label = serializers.CharField(source="get_role_display", read_only=True)
    invited_by = serializers.StringRelatedField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    expired = serializers.BooleanField(read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "role",
            "role_label",
            "invited_by",
            "created_at",
            "expires_at",
            "expired",
            "status",
            "status_label",
        ]
        read_only_fields = fields


class InvitationInput(serializers.Serializer):
    email = serializers.EmailField(
        max_length=254, help_text="Where to send the invitation. Nobody needs an account yet."
    )
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class InvitationSentSerializer(serializers.Serializer):
    """The same answer whoever the address belongs to, and whether or not it has an account."""

    email = serializers.EmailField(help_text="The address the invitation went to, in lower case.")
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    detail = serializers.CharField(help_text="What happens next, for a person to read.")


class TokenInput(serializers.Serializer):
    token = serializers.CharField(
        max_length=100, help_text="The token at the end of the link in the invitation e-mail."
    )


class JoinedSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Membership
        fields = ["organisation", "organisation_name", "role", "role_label"]
        read_only_fields = fields


class DeclinedSerializer(serializers.Serializer):
    detail = serializers.CharField()


def _own_organisation(request, pk) -> Organisation:
    """One of the caller's own groups, else 404: the same answer as for a group that does not
    exist, before the body is read."""
    return get_object_or_404(group_selectors.organisations_for(request.user), pk=pk)


ORGANISATION = OpenApiParameter(
    "organisation_pk", int, OpenApiParameter.PATH, description="The organisation's id."
)


@extend_schema(tags=["organisations"], parameters=[ORGANISATION])
class InvitationViewSet(viewsets.ViewSet):
    """A group's invitations: its members only (404 for anyone else)."""

    parser_classes = [JSONParser]
    lookup_value_regex = r"[0-9]+"

    @extend_schema(
        summary="Invitations to join the organisation waiting for an answer (its members only)",
        description="Expired ones included (`expired`), until withdrawn or sent again.",
        responses={200: InvitationSerializer(many=True), **problems(401, 404)},
    )
    def list(self, request, organisation_pk=None):
        org = _own_organisation(request, organisation_pk)
        return Response(
            InvitationSerializer(group_selectors.pending_invitations(org), many=True).data
        )

    @extend_schema(
        summary="Invite someone to join the organisation by e-mail address",
        description="Any member of the organisation. The address is e-mailed a link; the person "
        "joins only by accepting it, signed in with an account for that address (council staff "
        "cannot). The answer is the same whoever the address belongs to, and whether or not it "
        "has an account. A second invitation to the same address withdraws the first.",
        request=InvitationInput,
        responses={202: InvitationSentSerializer, **problems(400, 401, 404, 409, 415)},
    )
    def create(self, request, organisation_pk=None):
        org = _own_organisation(request, organisation_pk)
        given = InvitationInput(data=json_object(request.data))
        given.is_valid(raise_exception=True)
        email, role = given.validated_data["email"], given.validated_data["role"]
        group_services.member_invite(
            organisation=org,
            email=email,
            role=role,
            by=request.user,
            site=request.build_absolute_uri("/"),
        )
        body = {
            "email": group_services.normalise_email(email),
            "role": role,
            "detail": group_services.invitation_sent_message(org, email),
        }
        return Response(InvitationSentSerializer(body).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Withdraw an invitation waiting for an answer: its link stops working",
        description="Any member of the organisation; 409 if it was answered or withdrawn already.",
        request=None,
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        responses={200: InvitationSerializer, **problems(401, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, organisation_pk=None, pk=None):
        org = _own_organisation(request, organisation_pk)
        invitation = get_object_or_404(Invitation, organisation=org, pk=pk)
        invitation = group_services.invitation_revoke(invitation=invitation, by=request.user)
        return Response(InvitationSerializer(invitation).data)


def _token(request) -> str:
    given = TokenInput(data=json_object(request.data))
    given.is_valid(raise_exception=True)
    return given.validated_data["token"]


@contextmanager
def _naming_the_token():
    """A token no invitation has is bad input about `token`: a 400 naming the field."""
    try:
        yield
    except group_services.UnknownInvitation as error:
        raise ValidationError({"token": [error.message]}) from None


@extend_schema(tags=["organisations"])
class InvitationAnswerViewSet(viewsets.ViewSet):
    """The person invited answers, signed in with the address the invitation was sent to."""

    parser_classes = [JSONParser]

    @extend_schema(
        summary="Accept an invitation: join the organisation",
        description="Signed in with an account for the address the invitation was sent to (403 "
        "for anyone else, and for council staff, who cannot join a group through the group). "
        "409 if the invitation was used, declined or withdrawn, or has expired; 400 naming "
        "`token` if no invitation has it.",
        request=TokenInput,
        responses={200: JoinedSerializer, **problems(400, 401, 403, 409, 415)},
    )
    @action(detail=False, methods=["post"])
    def accept(self, request):
        token = _token(request)
        with _naming_the_token():
            membership = group_services.invitation_accept(token=token, by=request.user)
        return Response(JoinedSerializer(membership).data)

    @extend_schema(
        summary="Decline an invitation",
        description="Signed in with an account for the address the invitation was sent to (403 "
        "for anyone else). 409 if it was used, declined or withdrawn, or has expired.",
        request=TokenInput,
        responses={200: DeclinedSerializer, **problems(400, 401, 403, 409, 415)},
    )
    @action(detail=False, methods=["post"])
    def decline(self, request):
        token = _token(request)
        with _naming_the_token():
            invitation = group_services.invitation_decline(token=token, by=request.user)
        return Response(
            {"detail": f"You have declined the invitation to join {invitation.organisation}."}
        )


router.register(
    r"organisations/(?P<organisation_pk>[0-9]+)/invitations",
    InvitationViewSet,
    basename="organisation-invitation",
)
router.register("invitations", InvitationAnswerViewSet, basename="invitation")
