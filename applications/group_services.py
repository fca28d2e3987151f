"""Services the community-group pages need that the lifecycle modules do not offer: membership
by invitation (invite, accept, decline, withdraw), and taking a match-funding source or a document
back out of a draft. (Creating an account is fundmgr.accounts.account_sign_up.)

Same shape as `applications.services`: keyword-only arguments, the acting person as `by`, one
database transaction each, the application locked first, refusals as DomainErrors in plain words.
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from applications import group_selectors
from applications.models import (
    Attachment,
    Invitation,
    MatchFunding,
    Membership,
    Organisation,
)
from applications.services import lock_draft
from fundmgr import access, council_settings
from fundmgr.errors import InvalidInput, NotPermitted, Refused
from fundmgr.models import User
from fundmgr.notifications import notify


def normalise_email(email: str) -> str:
    return email.strip().lower()


# --- membership by invitation ---------------------------------------------------------------
#
# A member invites an e-mail address; the person joins only by accepting, signed in with an
# account for that address. Inviting answers the same whether or not the address has an account
# (and never names anyone): what becomes of the invitation is for the invitee to decide.

INVITATION_DAYS = 14
MAX_PENDING_INVITATIONS = 25

# Separation of duties: members of a group cannot decide its bids, so a group that could make a
# member of staff its member could take them off deciding its bid. Councillors may belong to
# groups (the rules on endorsing and deciding handle that); staff (fundmgr.access.staff: grants,
# finance, panel, audit, administration, superusers) and Django's is_staff may not join this way.
STAFF_REFUSAL = (
    "Council staff cannot join a group’s membership through the group: ask the grants team."
)


class InvalidInvitee(InvalidInput):
    field = "email"


class InvalidRole(InvalidInput):
    field = "role"


class UnknownInvitation(InvalidInput):
    """No invitation has this token: mistyped, cut short, or made up."""

    field = "token"


def member_refusal(organisation: Organisation, user) -> str | None:
    """Who may invite people to a group, see its invitations and withdraw them: its members."""
    if user is not None and organisation.members.filter(pk=user.pk).exists():
        return None
    return f"Only members of {organisation} can invite people to join it."


def staff_refusal(user) -> str | None:
    """Why this person may not join a group through the group, if they may not."""
    if user.is_staff or access.staff(user):
        return STAFF_REFUSAL
    return None


def open_refusal(invitation: Invitation) -> str | None:
    """Why the invitation can no longer be answered: used, declined, withdrawn or expired."""
    again = "Ask the group to invite you again if you still want to join."
    if invitation.status == Invitation.Status.ACCEPTED:
        return "This invitation has been accepted already: each invitation can be used once."
    if invitation.status == Invitation.Status.DECLINED:
        return f"This invitation was declined, so it can no longer be used. {again}"
    if invitation.status == Invitation.Status.REVOKED:
        return f"The group withdrew this invitation, so it can no longer be used. {again}"
    if invitation.expires_at <= timezone.now():
        day = timezone.localtime(invitation.expires_at)
        return f"This invitation expired on {day.day} {day:%B %Y}. {again}"
    return None


def invitee_refusal(invitation: Invitation, user) -> str | None:
    """Only the person the invitation was sent to answers it: signed in with that address."""
    if normalise_email(user.email or "") != invitation.email:
        return (
            "This invitation was sent to a different email address from the one on your "
            "account. Sign in with the account for the address the invitation was sent to, or "
            "create an account with that address, then follow the link again."
        )
    return None


def invitation_sent_message(organisation: Organisation, email: str) -> str:
    """What the inviter is told: the same sentence whoever the address belongs to."""
    return (
        f"We have sent an invitation to {normalise_email(email)}. They join {organisation} when "
        "they accept it; if they do not have an account yet, the email tells them how to create "
        "one."
    )


def _invitation_link(site: str, token: str) -> str:
    return site.rstrip("/") + reverse("applications:invitation", args=[token])


@transaction.atomic
def member_invite(
    *, organisation: Organisation, email: str, role: str, by: User, site: str
) -> tuple[Invitation, str]:
    """Invite an e-mail address to join the group, and e-mail it a link with a new token. `site`
    is the service's address (https://grants.example.gov.uk), for the link. An earlier
    invitation still waiting for the same address is withdrawn: only the newest link works.

    Returns the invitation and its token, which is kept nowhere (only its digest): pages and the
    API never show it; the demo accepts with it."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if reason := member_refusal(organisation, by):
        raise NotPermitted(reason)
    email = normalise_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInvitee(
            "Enter an email address in the correct format, like name@example.com"
        ) from None
    if role not in Membership.Role.values:
        raise InvalidRole("Choose their role in the organisation")
    now = timezone.now()
    waiting = organisation.invitations.filter(status=Invitation.Status.PENDING)
    waiting.filter(email=email).update(
        status=Invitation.Status.REVOKED, revoked_by=by, closed_at=now
    )
    if waiting.filter(expires_at__gt=now).count() >= MAX_PENDING_INVITATIONS:
        raise Refused(
            f"{organisation} has {MAX_PENDING_INVITATIONS} invitations waiting for an answer. "
            "Withdraw some before inviting more people."
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        token_digest=group_selectors.token_digest(token),
        invited_by=by,
        expires_at=now + datetime.timedelta(days=INVITATION_DAYS),
    )
    until = timezone.localtime(invitation.expires_at)
    council = council_settings.council_for()  # whose pages the invitation was sent from
    service = f"{council.name}’s grants service" if council else settings.SERVICE_NAME
    notify(
        to=[email],
        # One line: a group's name is typed by its members, and a header cannot hold a newline.
        subject=" ".join(f"You are invited to join {organisation} on {service}".split()),
        body=(
            f"{by.get_full_name() or by.get_username()} has invited you to join {organisation} "
            f"as its {Membership.Role(role).label.lower()}. Members can apply for grants for "
            "the group, follow its applications and change its details.\n\n"
            f"To accept or decline, follow this link:\n{_invitation_link(site, token)}\n\n"
            f"The link works once, until {until.day} {until:%B %Y}. If you do not have an "
            "account yet, create one with this email address first, then follow the link "
            "again.\n\n"
            "If you were not expecting this invitation, you can ignore this email: nothing "
            "changes unless you accept it."
        ),
        reference=f"invitation-{invitation.pk}",
    )
    return invitation, token


def _open_invitation(token: str) -> Invitation:
    """The invitation with this token, locked after its organisation (the order every
    membership change takes), or UnknownInvitation."""
    found = group_selectors.invitation_for_token(token)
    if found is None:
        raise UnknownInvitation(
            "This invitation link is not valid. Check that you copied the whole link from the "
            "email, or ask the group to invite you again."
        )
    Organisation.objects.select_for_update().get(pk=found.organisation_id)
    return Invitation.objects.select_for_update().select_related("organisation").get(pk=found.pk)


@transaction.atomic
def invitation_accept(*, token: str, by: User) -> Membership:
    """The invitee joins the group (or, a member already, takes the role they were invited to)."""
    invitation = _open_invitation(token)
    if reason := open_refusal(invitation):
        raise Refused(reason)
    if reason := invitee_refusal(invitation, by) or staff_refusal(by):
        raise NotPermitted(reason)
    membership, _ = Membership.objects.update_or_create(
        organisation=invitation.organisation, user=by, defaults={"role": invitation.role}
    )
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_by = by
    invitation.closed_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "closed_at"])
    return membership


@transaction.atomic
def invitation_decline(*, token: str, by: User) -> Invitation:
    invitation = _open_invitation(token)
    if reason := open_refusal(invitation):
        raise Refused(reason)
    if reason := invitee_refusal(invitation, by):
        raise NotPermitted(reason)
    invitation.status = Invitation.Status.DECLINED
    invitation.closed_at = timezone.now()
    invitation.save(update_fields=["status", "closed_at"])
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    """A member withdraws an invitation still waiting for an answer: its link stops working."""
    Organisation.objects.select_for_update().get(pk=invitation.organisation_id)
    invitation = (
        Invitation.objects.select_for_update().select_related("organisation").get(pk=invitation.pk)
    )
    if reason := member_refusal(invitation.organisation, by):
        raise NotPermitted(reason)
    if invitation.status != Invitation.Status.PENDING:
        raise Refused(
            f"The invitation to {invitation.email} was {invitation.get_status_display().lower()} "
            "already."
        )
    invitation.status = Invitation.Status.REVOKED
    invitation.revoked_by = by
    invitation.closed_at = timezone.now()
    invitation.save(update_fields=["status", "revoked_by", "closed_at"])
    return invitation


@transaction.atomic
def match_funding_remove(*, source: MatchFunding, by: User) -> None:
    lock_draft(source.application, by)
    MatchFunding.objects.filter(pk=source.pk).delete()


@transaction.atomic
def attachment_remove(*, attachment: Attachment, by: User) -> None:
    """A document can be taken back out while the application is still a draft; once sent, the
    council keeps what it was sent."""
    lock_draft(attachment.application, by)
    Attachment.objects.filter(pk=attachment.pk).delete()
    storage, name = attachment.file.storage, attachment.file.name
    if name:  # only once the row is gone for good
        transaction.on_commit(lambda: storage.delete(name))
