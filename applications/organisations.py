"""Community groups: their profile, members and bank details, entered once and reused.

Bank details follow the mandate-fraud controls of DESIGN.md: a change is a new record, unusable
until a finance officer other than the person who entered it verifies it.
"""

from __future__ import annotations

import re

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


# A UK postcode, written without spaces: the outward code (area, district) and the inward code
# (sector, unit), whose last two letters are never C, I, K, M, O or V; and GIR 0AA.
POSTCODE = re.compile(
    r"^(GIR0AA|([A-PR-UWYZ][0-9][0-9A-HJKPSTUW]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)"
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)
# England and Wales: 6 digits from 200000 or 7 from 1000000, a linked charity's number after a
# hyphen (1234567-1); Scotland (OSCR): SC and 6 digits; Northern Ireland (CCNI): its numbers
# start at 100001, written NIC100012 or as the bare number (kept as typed: no E&W number is one).
CHARITY_NUMBER = re.compile(r"^([2-9]\d{5}|1\d{6})(-\d{1,3})?$|^1\d{5}$|^SC\d{6}$|^NIC1\d{5}$")
COMPANY_NUMBER = re.compile(r"^([0-9]{8}|[A-Z]{2}[0-9]{6})$")

POSTCODE_MESSAGE = "Enter a real postcode, like SW1A 1AA"
CHARITY_MESSAGE = (
    "Enter the charity number in the correct format, like 1234567 or SC012345, or leave it "
    "empty if you do not have one"
)
COMPANY_MESSAGE = (
    "Enter the company number in the correct format, like 01234567 or SC123456, or leave it "
    "empty if you do not have one"
)


def postcode_normalised(text: str) -> str:
    """A UK postcode as Royal Mail writes it ("sw1a1aa" is "SW1A 1AA"); InvalidInput if it is
    not one."""
    compact = re.sub(r"\s+", "", text or "").upper()
    if not compact:
        raise InvalidInput("Enter the postcode", field="postcode")
    if not POSTCODE.match(compact):
        raise InvalidInput(POSTCODE_MESSAGE, field="postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def charity_number_normalised(text: str) -> str:
    """A registered charity number without spaces, or "" for none: it is optional for every
    kind of group, and checked only when given."""
    compact = re.sub(r"\s+", "", text or "").upper()
    if compact and not CHARITY_NUMBER.match(compact):
        raise InvalidInput(CHARITY_MESSAGE, field="charity_number")
    return compact


def company_number_normalised(text: str) -> str:
    """A Companies House number without spaces, or "" for none; checked only when given. Its
    leading zeros are put back where a spreadsheet (or the Charity Commission's register, which
    holds it as a whole number) dropped them: 1234567 is 01234567, SC12345 is SC012345. No
    more than three are put back: "12" is a mistake more likely than a company of 1860."""
    compact = re.sub(r"\s+", "", text or "").upper()
    if short := re.fullmatch(r"([A-Z]{2})?([0-9]{3,7})", compact):
        prefix = short[1] or ""
        if len(prefix) + len(short[2]) >= 5:
            compact = prefix + short[2].zfill(8 - len(prefix))
    if compact and not COMPANY_NUMBER.match(compact):
        raise InvalidInput(COMPANY_MESSAGE, field="company_number")
    return compact


NORMALISERS = {
    "postcode": postcode_normalised,
    "charity_number": charity_number_normalised,
    "company_number": company_number_normalised,
}


def profile_normalised(fields: dict) -> dict:
    """The profile answers with the postcode and registered numbers written one way, each
    checked (InvalidInput naming the field, in words that say how to put it right)."""
    return {
        name: NORMALISERS[name](value) if name in NORMALISERS else value
        for name, value in fields.items()
    }


def your_role_sentence(role: str) -> str:
    """What the person is told of their place in a group: "You are its treasurer.", or "You
    are a member." for a member who holds no office."""
    if role == Membership.Role.MEMBER:
        return "You are a member."
    try:
        return f"You are its {Membership.Role(role).label.lower()}."
    except ValueError:
        return "You are a member."


def _valid(instance, exclude=None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        fields = [name for name in getattr(error, "error_dict", {}) if name != "__all__"]
        raise InvalidInput(
            " ".join(error.messages), field=fields[0] if len(fields) == 1 else None
        ) from None


@transaction.atomic
def organisation_create(
    *, by: User, role: str = Membership.Role.SECRETARY, **fields
) -> Organisation:
    """Register a group; the person who registers it becomes a member with `role` (their
    role in the group: chair, secretary, treasurer or member)."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown organisation fields: {', '.join(sorted(unknown))}.")
    if role not in Membership.Role.values:
        raise InvalidInput(
            "Choose your role in the organisation: chair, secretary, treasurer or member.",
            field="role",
        )
    organisation = Organisation(**profile_normalised({"postcode": "", **fields}))
    _valid(organisation)
    organisation.save()
    Membership.objects.create(organisation=organisation, user=by, role=role)
    return organisation


@transaction.atomic
def organisation_update(*, organisation: Organisation, by: User, **fields) -> Organisation:
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not organisation.members.filter(pk=by.pk).exists():
        raise NotPermitted(f"Only members of {organisation} can change its details.")
    for name in fields:
        if name not in PROFILE_FIELDS:
            raise InvalidInput(f"Unknown organisation field: {name}.")
    for name, value in profile_normalised(fields).items():
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
