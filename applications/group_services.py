"""Services the community-group pages need that the lifecycle modules do not offer: creating an
account, adding a member by e-mail address, and taking a match-funding source or a document back
out of a draft.

Same shape as `applications.services`: keyword-only arguments, the acting person as `by`, one
database transaction each, the application locked first, refusals as DomainErrors in plain words.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from applications import organisations, rules
from applications.models import Application, Attachment, MatchFunding, Membership, Organisation
from applications.services import lock_application
from applications.workflow import Status
from fundmgr.errors import InvalidInput, NotPermitted, Refused
from fundmgr.models import User
from fundmgr.roles import Role


class AccountExists(Refused):
    """Someone already signed up with this e-mail address."""

    field = "email"


class NoSuchAccount(InvalidInput):
    """A member can be added only once they have an account of their own."""

    field = "email"


def normalise_email(email: str) -> str:
    return email.strip().lower()


@transaction.atomic
def account_register(*, first_name: str, last_name: str, email: str, password: str) -> User:
    """A community group's member signs up: their e-mail address is their username, and they
    join the Applicant role, which opens the group pages to them."""
    email = normalise_email(email)
    if not email:
        raise InvalidInput("Enter your email address.")
    if not first_name.strip() or not last_name.strip():
        raise InvalidInput("Enter your first name and last name.")
    if User.objects.filter(username__iexact=email).exists() or (
        User.objects.filter(email__iexact=email).exists()
    ):
        raise AccountExists("There is already an account with this email address. Sign in instead.")
    user = User(
        username=email, email=email, first_name=first_name.strip(), last_name=last_name.strip()
    )
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages)) from None
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get_or_create(name=str(Role.APPLICANT))[0])
    return user


@transaction.atomic
def member_add_by_email(*, organisation: Organisation, email: str, role: str, by) -> Membership:
    """Add a person who already has an account to the group, or change their role in it."""
    if not organisation.members.filter(pk=by.pk).exists():  # before saying who has an account
        raise NotPermitted(f"Only members of {organisation} can add members.")
    if role not in Membership.Role.values:
        raise InvalidInput("Choose the person's role in the group.")
    email = normalise_email(email)
    user = (
        User.objects.filter(email__iexact=email).order_by("pk").first()
        or User.objects.filter(username__iexact=email).order_by("pk").first()
    )
    if user is None:
        raise NoSuchAccount(
            f"Nobody has an account with the email address {email}. Ask them to create an "
            "account first, then add them."
        )
    return organisations.membership_add(organisation=organisation, user=user, role=role, by=by)


def _draft_for(application: Application, by) -> Application:
    app = lock_application(application)
    if reason := rules.group_member.refusal(app, by):
        raise NotPermitted(reason)
    if app.status != Status.DRAFT:
        raise Refused(f"{app.reference} has been submitted; it can no longer be changed.")
    return app


@transaction.atomic
def match_funding_remove(*, source: MatchFunding, by) -> None:
    _draft_for(source.application, by)
    MatchFunding.objects.filter(pk=source.pk).delete()


@transaction.atomic
def attachment_remove(*, attachment: Attachment, by) -> None:
    """A document can be taken back out while the application is still a draft; once sent, the
    council keeps what it was sent."""
    _draft_for(attachment.application, by)
    Attachment.objects.filter(pk=attachment.pk).delete()
    storage, name = attachment.file.storage, attachment.file.name
    if name:  # only once the row is gone for good
        transaction.on_commit(lambda: storage.delete(name))
