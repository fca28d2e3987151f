"""Community groups: their profile, members and bank details, entered once and reused.

Bank details follow the mandate-fraud controls of DESIGN.md: a change is a new record, unusable
until a finance officer other than the person who entered it verifies it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from applications.models import BankAccount, Membership, Organisation
from fundmgr import access
from fundmgr.errors import InvalidInput, NotPermitted, Refused
from fundmgr.models import User

PROFILE_FIELDS = [
    "name",
    "kind",
    "charity_number",
    "company_number",
    "address",
    "postcode",
    "ward",
    "email",
    "phone",
    "governing_document",
    "safeguarding_policy",
]


def _valid(instance, exclude=None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages)) from None


@transaction.atomic
def organisation_create(
    *, by: User, role: str = Membership.Role.SECRETARY, **fields
) -> Organisation:
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown organisation fields: {', '.join(sorted(unknown))}.")
    organisation = Organisation(**fields)
    organisation.postcode = organisation.postcode.upper().strip()
    _valid(organisation)
    organisation.save()
    Membership.objects.create(organisation=organisation, user=by, role=role)
    return organisation


@transaction.atomic
def organisation_update(*, organisation: Organisation, by: User, **fields) -> Organisation:
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not organisation.members.filter(pk=by.pk).exists():
        raise NotPermitted(f"Only members of {organisation} can change its details.")
    for name, value in fields.items():
        if name not in PROFILE_FIELDS:
            raise InvalidInput(f"Unknown organisation field: {name}.")
        setattr(organisation, name, value)
    _valid(organisation)
    organisation.save()
    return organisation


def current_bank_account(organisation: Organisation) -> BankAccount | None:
    return (
        organisation.bank_accounts.filter(status__in=["unverified", "verified"])
        .order_by("-pk")
        .first()
    )


def payable_bank_account(organisation: Organisation) -> BankAccount | None:
    """The account payments may go to: verified, and not changed since."""
    account = current_bank_account(organisation)
    return account if account and account.status == BankAccount.Status.VERIFIED else None


@transaction.atomic
def bank_account_change(
    *, organisation: Organisation, by: User, account_name: str, sort_code: str, account_number: str
) -> BankAccount:
    """New bank details replace the old at once, and wait for verification: until then the
    group's unpaid payments are held."""
    Organisation.objects.select_for_update().get(pk=organisation.pk)
    access.require(access.changes_bank_details, by, organisation)
    account = BankAccount(
        organisation=organisation,
        account_name=account_name.strip().upper(),
        sort_code=sort_code.replace("-", "").replace(" ", ""),
        account_number=account_number.replace(" ", ""),
        entered_by=by,
    )
    _valid(account, exclude=["organisation", "entered_by"])
    organisation.bank_accounts.filter(status__in=["unverified", "verified"]).update(
        status=BankAccount.Status.SUPERSEDED
    )
    account.save()
    return account


@transaction.atomic
def bank_account_verify(
    *, bank_account: BankAccount, by: User, approve: bool, note: str = ""
) -> BankAccount:
    account = BankAccount.objects.select_for_update().get(pk=bank_account.pk)
    if not access.finance_officer(by):
        raise NotPermitted("Only a finance officer can verify bank details.")
    if account.entered_by_id == by.pk:
        raise NotPermitted(
            "You entered these bank details, so another finance officer must verify them."
        )
    if account.status != BankAccount.Status.UNVERIFIED:
        raise Refused(f"These bank details are {account.get_status_display().lower()} already.")
    if not approve and not note.strip():
        raise InvalidInput("Say why the bank details are rejected.")
    account.status = BankAccount.Status.VERIFIED if approve else BankAccount.Status.REJECTED
    account.checked_by = by
    account.checked_at = timezone.now()
    account.check_note = note.strip()
    account.save()
    return account
