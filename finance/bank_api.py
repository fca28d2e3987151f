"""The API for an organisation's bank details and members: the mandate-fraud controls of
DESIGN.md, through the same services as the pages.

- /organisations/{id}/bank-details/: the details entered last, masked as the finance pages mask
  them (its members and the finance area read; a member or a finance officer enters new ones,
  which are unusable, and hold the group's unpaid payments, until verified);
- /bank-accounts/: every set of details ever entered with who entered and who checked it, the
  waiting list and each group's history (finance officers and auditors); a finance officer other
  than the person who entered a set verifies or rejects it;
- /organisations/{id}/members/: the group's members (people join by invitation: see
  `applications.organisation_api`).

An organisation you may not see is 404, as in `applications.api`; one you see but may not act
on is 403. Bodies are JSON.
"""

from __future__ import annotations

import re

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from applications import group_selectors, organisations
from applications.models import BankAccount, Membership, Organisation
from applications.organisation_api import ORGANISATION
from applications.visibility import organisations_here, visible_organisations
from budgets.payments import may_read_finance
from finance.api import FinanceArea
from fundmgr import access
from fundmgr.api import IdFilter, json_object, problems, router

# --- serializers ----------------------------------------------------------------------------


class BankAccountSerializer(serializers.ModelSerializer):
    """One set of bank details as entered; never the full numbers."""

    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    account = serializers.CharField(
        source="masked", read_only=True, help_text="Masked as the finance pages show it."
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    entered_by = serializers.StringRelatedField()
    checked_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = BankAccount
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "account_name",
            "account",
            "status",
            "status_label",
            "entered_by",
            "entered_at",
            "checked_by",
            "checked_at",
            "check_note",
        ]
        read_only_fields = fields


@extend_schema_serializer(many=False)  # one object, though served by the route's `list`
class BankDetailsSummarySerializer(serializers.Serializer):
    current = BankAccountSerializer(
        allow_null=True,
        help_text="The details entered last, unless replaced: waiting, verified or rejected "
        "(rejected ones the group must enter again). Null when none were entered.",
    )
    payable = serializers.BooleanField(
        help_text="Whether payments may go to the group now: its current details are verified."
    )


_DIGITS = re.compile(r"[0-9]+")


class BankDetailsInput(serializers.Serializer):
    account_name = serializers.CharField(
        max_length=18, help_text="As the bank holds it, up to 18 characters (BACS)."
    )
    sort_code = serializers.CharField(
        max_length=20, help_text="6 digits; dashes and spaces are ignored: 20-00-00."
    )
    account_number = serializers.CharField(max_length=20, help_text="8 digits; spaces are ignored.")

    @staticmethod
    def _digits(value: str, length: int, what: str) -> str:
        bare = value.replace("-", "").replace(" ", "")
        if not (_DIGITS.fullmatch(bare) and len(bare) == length):
            raise serializers.ValidationError(f"{what} is {length} digits.")
        return value

    def validate_sort_code(self, value: str) -> str:
        return self._digits(value, 6, "A sort code")

    def validate_account_number(self, value: str) -> str:
        return self._digits(value, 8, "An account number")


class BankCheckInput(serializers.Serializer):
    note = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="What was checked (a call to the group's known number, say).",
    )


class BankRejectInput(serializers.Serializer):
    note = serializers.CharField(
        max_length=255, help_text="Why the details are rejected: the group is told."
    )


class MemberSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", read_only=True)
    name = serializers.SerializerMethodField()
    email = serializers.EmailField(source="user.email", read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "name", "email", "role", "role_label"]
        read_only_fields = fields

    def get_name(self, membership: Membership) -> str:
        return str(membership.user)


# --- who may --------------------------------------------------------------------------------


def _organisation(request, pk) -> Organisation:
    """The organisation, if this person may see it at all (else 404, as everywhere)."""
    return get_object_or_404(visible_organisations(request.user), pk=pk)


def _is_member(organisation: Organisation, user) -> bool:
    return organisation.members.filter(pk=user.pk).exists()


# --- an organisation's bank details ---------------------------------------------------------


@extend_schema(tags=["organisations"], parameters=[ORGANISATION])
class OrganisationBankDetailsViewSet(viewsets.ViewSet):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="An organisation's bank details, masked",
        description="Its members and finance officers and auditors read them; grants officers "
        "do not (403).",
        responses={200: BankDetailsSummarySerializer, **problems(401, 403, 404)},
    )
    def list(self, request, organisation_pk=None):
        org = _organisation(request, organisation_pk)
        if not (_is_member(org, request.user) or may_read_finance(request.user)):
            raise PermissionDenied(
                f"Only members of {org} and the finance area can see its bank details."
            )
        current = group_selectors.latest_bank_account(org)
        return Response(
            BankDetailsSummarySerializer(
                {"current": current, "payable": organisations.payable_bank_account(org) is not None}
            ).data
        )

    @extend_schema(
        summary="Enter new bank details for an organisation",
        description="A member of the organisation, or a finance officer. The new details replace "
        "the old at once and wait for a finance officer other than you to verify them; until "
        "then the organisation's unpaid payments are held.",
        request=BankDetailsInput,
        responses={201: BankAccountSerializer, **problems(400, 401, 403, 404, 415)},
    )
    def create(self, request, organisation_pk=None):
        org = _organisation(request, organisation_pk)
        access.require(access.changes_bank_details, request.user, org)  # before the body
        given = BankDetailsInput(data=json_object(request.data))
        given.is_valid(raise_exception=True)
        account = organisations.bank_account_change(
            organisation=org, by=request.user, **given.validated_data
        )
        return Response(BankAccountSerializer(account).data, status=status.HTTP_201_CREATED)


# --- every set of bank details, and their checks --------------------------------------------


class BankAccountFilter(django_filters.FilterSet):
    organisation = IdFilter(field_name="organisation_id")

    class Meta:
        model = BankAccount
        fields = ["status", "organisation"]


@extend_schema_view(
    list=extend_schema(
        summary="Bank details as entered, newest first: waiting (status=unverified) and each "
        "organisation's history (organisation=id), with who entered and who checked them",
        responses={200: BankAccountSerializer(many=True), **problems(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="One set of bank details, masked",
        responses={200: BankAccountSerializer, **problems(401, 403, 404)},
    ),
)
@extend_schema(tags=["bank details"])
class BankAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = BankAccount.objects.select_related("organisation", "entered_by", "checked_by")
    serializer_class = BankAccountSerializer
    permission_classes = [FinanceArea]
    parser_classes = [JSONParser]
    filterset_class = BankAccountFilter
    lookup_value_regex = r"[0-9]+"
    ordering_fields = ["entered_at", "checked_at"]
    ordering = ["-entered_at", "-pk"]

    def get_queryset(self):
        # A group's bank details are the whole service's: the council's groups' only.
        return super().get_queryset().filter(organisation__in=organisations_here())

    def _check(self, request, *, approve: bool, given: serializers.Serializer) -> Response:
        account = self.get_object()
        given.is_valid(raise_exception=True)
        organisations.bank_account_verify(
            bank_account=account,
            by=request.user,
            approve=approve,
            note=given.validated_data["note"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=account.pk)).data)

    @extend_schema(
        summary="Verify bank details waiting for a check: payments held for them are due",
        description="A finance officer other than the person who entered them (403 for them); "
        "409 if they are no longer waiting.",
        request=BankCheckInput,
        responses={200: BankAccountSerializer, **problems(400, 401, 403, 404, 409, 415)},
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        return self._check(
            request, approve=True, given=BankCheckInput(data=json_object(request.data))
        )

    @extend_schema(
        summary="Reject bank details waiting for a check: the group must enter them again",
        description="A finance officer other than the person who entered them (403 for them); "
        "409 if they are no longer waiting.",
        request=BankRejectInput,
        responses={200: BankAccountSerializer, **problems(400, 401, 403, 404, 409, 415)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._check(
            request, approve=False, given=BankRejectInput(data=json_object(request.data))
        )


# --- members --------------------------------------------------------------------------------


@extend_schema(tags=["organisations"], parameters=[ORGANISATION])
class MemberViewSet(viewsets.ViewSet):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="An organisation's members (its members only)",
        responses={200: MemberSerializer(many=True), **problems(401, 403, 404)},
    )
    def list(self, request, organisation_pk=None):
        org = _organisation(request, organisation_pk)
        if not _is_member(org, request.user):
            raise PermissionDenied(f"Only members of {org} can see its members.")
        return Response(MemberSerializer(group_selectors.members(org), many=True).data)


router.register(
    r"organisations/(?P<organisation_pk>[0-9]+)/bank-details",
    OrganisationBankDetailsViewSet,
    basename="organisation-bank-details",
)
router.register(
    r"organisations/(?P<organisation_pk>[0-9]+)/members",
    MemberViewSet,
    basename="organisation-member",
)
router.register("bank-accounts", BankAccountViewSet, basename="bank-account")
