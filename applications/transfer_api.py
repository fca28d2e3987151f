"""/api/v1/allocation-transfers/: a councillor gives part of their allocation to a colleague of
the same ward, as the councillor's transfer page does, through the same service
(`applications.support.councillor_transfer`) and the same choices: the councillor's current term
gives, from one of their open allocations, to a colleague of that ward in office today.

Each transfer carries a `key` (a UUID the program makes once per transfer): sending the same
transfer again with its key posts nothing and answers the first transfer (200), so a retry after
a lost answer cannot move the money twice.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from applications import councillor_selectors as selectors
from applications import rules, support
from budgets.models import LedgerTransaction
from fundmgr import access
from fundmgr.api import Problem, json_object, problems, router
from fundmgr.api_fields import MoneyField


class TransferInput(serializers.Serializer):
    key = serializers.UUIDField(
        help_text="A UUID you make once for this transfer: the same key again answers the first "
        "transfer and moves nothing."
    )
    fund_year = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="The fund year of the allocation to transfer from: one of yours, still open.",
    )
    to_councillor = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="The councillor (term) to transfer to: a colleague of your ward in office.",
    )
    amount = MoneyField(what="the amount to transfer", example="100.00", help_text="In pounds.")


class TransferSerializer(serializers.Serializer):
    key = serializers.UUIDField()
    fund_year = serializers.IntegerField()
    from_councillor = serializers.IntegerField()
    from_councillor_name = serializers.CharField()
    to_councillor = serializers.IntegerField()
    to_councillor_name = serializers.CharField()
    amount = MoneyField(read_only=True)
    posted_at = serializers.DateTimeField()


def _described(posting: LedgerTransaction) -> dict:
    entries = list(posting.entries.all())
    sent = next(e for e in entries if e.amount < 0)
    received = next(e for e in entries if e.amount > 0)
    return {
        "key": posting.idempotency_key.split(":", 1)[1],
        "fund_year": sent.account.fund_year_id,
        "from_councillor": sent.account.councillor_id,
        "from_councillor_name": str(sent.account.councillor),
        "to_councillor": received.account.councillor_id,
        "to_councillor_name": str(received.account.councillor),
        "amount": received.amount,
        "posted_at": posting.created_at,
    }


@extend_schema(tags=["councillors"])
class TransferViewSet(viewsets.ViewSet):
    permission_classes = [access.ApiSignedIn]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Transfer part of your allocation to a councillor of your ward",
        description="Councillors only (403 for anyone else), from their own allocation in "
        "their current term. 400 naming `fund_year` for an allocation that is not yours or "
        "is closed, `to_councillor` for someone who is not a colleague of your ward in office; "
        "409 for more than you have free (money pledged to bids still waiting for a decision "
        "is not free), or if you are not in office today or hold no open allocation. "
        "The same `key` again answers the first transfer (200) and moves nothing.",
        request=TransferInput,
        responses={
            201: TransferSerializer,
            200: TransferSerializer,
            **problems(400, 401, 403, 409, 415),
        },
    )
    def create(self, request):
        user = request.user
        if not selectors.is_councillor(user):
            raise PermissionDenied("Only councillors can transfer an allocation.")
        given = TransferInput(data=json_object(request.data))
        given.is_valid(raise_exception=True)
        data = given.validated_data
        key = f"transfer:{data['key']}"
        try:
            return Response(
                TransferSerializer(_described(selectors.transfer_posting(user, key))).data
            )
        except LedgerTransaction.DoesNotExist:
            if LedgerTransaction.objects.filter(idempotency_key=key).exists():
                raise ValidationError(
                    {"key": ["This key was used for something else: make a new one."]}
                ) from None
        today = rules.today()
        current = selectors.current_terms(user, today)
        if not current:
            raise Problem(409, "You are not in office today, so you cannot transfer money.")
        term = current[0]
        budgets = {b.fund_year.pk: b for b in selectors.budgets([term])}
        if not budgets:
            raise Problem(409, "You hold no open allocation to transfer from.")
        budget = budgets.get(data["fund_year"])
        if budget is None:
            raise ValidationError({"fund_year": ["Choose the fund to transfer from."]})
        colleague = selectors.colleagues(term, today).filter(pk=data["to_councillor"]).first()
        if colleague is None:
            raise ValidationError({"to_councillor": ["Choose a councillor of your ward."]})
        posting = support.councillor_transfer(
            fund_year=budget.fund_year,
            from_councillor=term,
            to_councillor=colleague,
            amount=data["amount"],
            by=user,
            key=key,
        )
        fresh = selectors.transfer_posting(user, posting.idempotency_key)
        return Response(TransferSerializer(_described(fresh)).data, status=status.HTTP_201_CREATED)


router.register("allocation-transfers", TransferViewSet, basename="allocation-transfer")
